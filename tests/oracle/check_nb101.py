"""Oracle test for NAS-Bench-101 networks: engine Jacobians and scores against nb101_torch.py.

Cells: the two documented test cells, the 2-vertex cell, cells of the shapes that exercise the builder
(concatenation plus input projection, a max-pool vertex feeding the output, one conv feeder plus
projection, channel truncation) and random ones, all taken from nb101_cells.tsv.gz (canonical forms).
Each is scored with --export and compared by check_nb201.check_export (same criteria as NB201).

Max pools are the ReLU's analogue: where two inputs of a window are within float32 rounding of each
other, which one wins (and receives the gradient) is decided by rounding. So, as with the ReLU masks,
the engine exports its winners, the reference uses them (pinned), and the oracle requires every
winner to be float64's first maximum except at near-ties (values within max(1e-4 * rms(x), 10 * rms
of float32's own error) of the maximum); the 'pool ties' count is printed.
"""
import argparse
import gzip
import os
import shutil
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nb101_torch as n1  # noqa: E402
from check_nb201 import check_export  # noqa: E402


def pick_cells(data, n_random, seed=101):
    rows = []
    with gzip.open(os.path.join(data, "nb101", "nb101_cells.tsv.gz"), "rt") as f:
        next(f)
        for line in f:
            h, V, adj, ops = line.rstrip("\n").split("\t")
            V = int(V)
            m = np.array([int(c) for c in adj], dtype=int).reshape(V, V)
            rows.append((h, m, ops.split(",")))
    by_hash = {r[0]: r for r in rows}
    chosen = [by_hash["00005c142e6f48ac74fdcf73e3439874"], by_hash["28cfc7874f6d200472e1a9dcd8650aa0"],
              by_hash["043721b9c7fe8c5fad811d47d83132ec"]]

    def feeders(m):
        return [v for v in range(1, len(m) - 1) if m[v, -1]]

    def truncates(m):
        vc = n1.vertex_channels(16, 16, m)
        return any(m[s, t] and vc[s] == vc[t] + 1 for s in range(1, len(m) - 1) for t in range(s + 1, len(m) - 1))

    shapes = [
        lambda m, o: m[0, -1] and len(feeders(m)) >= 2,                                # concat + projection
        lambda m, o: any(o[v] == "maxpool3x3" for v in feeders(m)),                     # max-pool output
        lambda m, o: m[0, -1] and len(feeders(m)) == 1 and o[feeders(m)[0]] != "maxpool3x3",  # port's in-place case
        lambda m, o: truncates(m),                                                      # truncation
        lambda m, o: len(m) == 3,
    ]
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(rows))
    for shape in shapes:
        chosen.append(next(rows[i] for i in order if shape(rows[i][1], rows[i][2])))
    chosen += [rows[i] for i in order[-n_random:]]
    unique = {}
    for c in chosen:
        unique.setdefault(c[0], c)  # a shape may be met by a cell already chosen
    return list(unique.values())


def cell_args(cells):
    """naswot score arguments for (hash, matrix, ops) cells."""
    args = []
    for _, mat, ops in cells:
        args += ["--matrix", "/".join("".join(str(x) for x in row) for row in mat), "--ops", ",".join(ops)]
    return args


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--naswot", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--random", type=int, default=14)
    ap.add_argument("--augment", default="none")
    args = ap.parse_args()
    cells = pick_cells(args.data, args.random)
    assert len(cells) >= 20, f"only {len(cells)} distinct cells picked"
    out = os.path.join(args.work, "nb101")
    cmd = [args.naswot, "score", "--space", "nb101", "--batch", str(args.batch), "--seed", "7", "--augment",
           args.augment, "--data", args.data, "--export", out, "--backend", "cpu"]
    cmd += cell_args(cells)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    failures = 0
    for h, m, ops in cells:
        d = os.path.join(out, h)
        pins = n1.m201.read_export(d)[0]["maxpool_argmax"]
        n1.POOL.pin = {site: torch.from_numpy(idx) for site, (idx, _) in pins.items()}
        n1.POOL.record = {}
        bad, _, line = check_export(d, n1.load_model, h[:16])
        ties = 0
        for site, (idx, (k, s, p)) in pins.items():
            rec = n1.POOL.record.get(site, {})
            if torch.float64 not in rec or torch.float32 not in rec:
                bad.append("pool-site:" + site)
                continue
            count, only_ties = n1.pool_mismatches(idx, rec[torch.float64].numpy(), rec[torch.float32].numpy(), k, s, p)
            ties += count
            if not only_ties:
                bad.append("pool:" + site)
        n1.POOL.pin = {}
        verdict = "ok" if not bad else "FAIL " + ",".join(bad[:4])
        print(f"{line.rsplit('  ', 1)[0]}  pool ties {ties:>4}  {verdict}", flush=True)
        failures += bool(bad)
        shutil.rmtree(d)
    print(f"{len(cells) - failures}/{len(cells)} NAS-Bench-101 cells passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
