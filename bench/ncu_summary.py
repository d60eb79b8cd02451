#!/usr/bin/env python3
"""Summarises an Nsight Compute CSV (`ncu --csv --page raw --metrics gpu__time_duration.sum,...`) by kernel.

Usage: ncu_summary.py NCU.csv [TITLE]
Prints markdown: kernels launched, their summed device time, and per kernel name (templates cut to
their first 90 characters) the launches, mean and total microseconds, grid and block sizes and
registers per thread, longest total first. The summed time is what the kernels themselves take on the
device (Nsight Compute serialises them); set against the wall time of the same run, the difference is
time the device spent waiting for the host.
"""
import csv
import sys
from collections import defaultdict

UNITS = {"nsecond": 1e-3, "ns": 1e-3, "usecond": 1.0, "us": 1.0, "msecond": 1e3, "ms": 1e3, "second": 1e6, "s": 1e6}


def rows(path):
    with open(path, newline="") as f:
        lines = [line for line in f if line.startswith('"')]  # ncu's own log lines are not CSV
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        raise SystemExit(f"{path}: no CSV rows (did ncu profile any kernel?)")
    units = None
    for r in reader:
        rec = dict(zip(header, r))
        if not rec.get("ID", "").strip().isdigit():  # the units row
            units = rec
            continue
        yield rec, units or {}


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    title = sys.argv[2] if len(sys.argv) > 2 else sys.argv[1]
    by_name = defaultdict(lambda: {"n": 0, "us": 0.0, "grid": set(), "block": set(), "regs": set()})
    total_us, launches = 0.0, 0
    for rec, units in rows(sys.argv[1]):
        t = rec.get("gpu__time_duration.sum", "").replace(",", "")
        if not t:
            continue
        us = float(t) * UNITS.get(units.get("gpu__time_duration.sum", "nsecond").strip(), 1e-3)
        name = rec.get("Kernel Name", "?")
        k = by_name[name[:90]]
        k["n"] += 1
        k["us"] += us
        k["grid"].add(rec.get("Grid Size", "").strip())
        k["block"].add(rec.get("Block Size", "").strip())
        k["regs"].add(rec.get("launch__registers_per_thread", "").strip())
        total_us += us
        launches += 1
    if not launches:
        raise SystemExit(f"{sys.argv[1]}: no kernel with gpu__time_duration.sum")
    print(f"## {title}\n")
    print(f"{launches} kernel launches, {total_us / 1e3:.3f} ms of device time in kernels, "
          f"{len(by_name)} distinct kernels.\n")
    print("| kernel | launches | mean us | total us | share | grid | block | registers |")
    print("|---|---|---|---|---|---|---|---|")
    for name, k in sorted(by_name.items(), key=lambda kv: -kv[1]["us"]):
        def few(s):
            v = sorted(x for x in s if x)
            return " ".join(v[:3]) + (" ..." if len(v) > 3 else "")

        print(f"| `{name}` | {k['n']} | {k['us'] / k['n']:.1f} | {k['us']:.1f} | {100 * k['us'] / total_us:.1f} % "
              f"| {few(k['grid'])} | {few(k['block'])} | {few(k['regs'])} |")
    print()


if __name__ == "__main__":
    main()
