#!/usr/bin/env python3
"""Plots for a naswot run database: score vs accuracy, and Sigma_J histograms by accuracy (the seed
paper's Figure 1).

  tools/plot_report.py RUN.db --data DIR --out PLOTS_DIR [--naswot build/naswot] [--per-group 5]

Writes PLOTS_DIR/score_vs_c10_test_200.png and PLOTS_DIR/sigma_histograms.png. The histograms
re-score a few architectures from each accuracy group with the run's own configuration
(`naswot score --dump-sigma`), so they show exactly the Sigma_J the run's scores came from.
Needs matplotlib (Debian: python3-matplotlib).
"""
import argparse
import csv
import os
import random
import sqlite3
import subprocess
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

GROUPS = [(0, 80), (80, 85), (85, 90), (90, 92), (92, 101)]  # c10_test_200 ranges, %


def read_run(path):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rows = con.execute("SELECT idx, score, status FROM scores ORDER BY idx").fetchall()
    ident = dict(con.execute("SELECT key, value FROM naswot_meta WHERE kind='identity'").fetchall())
    return rows, ident


def read_accuracy(data, column="c10_test_200"):
    with open(os.path.join(data, "nb201", "nb201_accuracy.csv")) as f:
        return {int(r["index"]): float(r[column]) for r in csv.DictReader(f) if r[column]}


def scatter(rows, acc, out):
    ok = [(acc[i], s) for i, s, st in rows if st == "ok" and i in acc]
    n_deg = sum(1 for _, _, st in rows if st != "ok")
    x, y = np.array(ok).T
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.scatter(x, y, s=2, alpha=0.4, linewidths=0)
    ax.set_xlabel("CIFAR-10 test accuracy after 200 epochs (%)")
    ax.set_ylabel("naswot score (jacob_cov)")
    ax.set_title(f"NAS-Bench-201: {len(ok)} architectures ({n_deg} degenerate not shown)")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def sigma_histograms(rows, acc, ident, args, out):
    rng = random.Random(0)
    ok = [i for i, _, st in rows if st == "ok" and i in acc]
    chosen = []
    for lo, hi in GROUPS:
        members = [i for i in ok if lo <= acc[i] < hi]
        chosen.append(sorted(rng.sample(members, min(args.per_group, len(members)))))
    with tempfile.TemporaryDirectory() as tmp:
        flat = [str(i) for g in chosen for i in g]
        if flat:
            cmd = [args.naswot, "score", "--space", ident.get("space", "nb201"), "--batch", ident["batch"],
                   "--seed", ident["seed"], "--augment", ident["augment"], "--num-classes", ident["num_classes"],
                   "--data", args.data, "--dump-sigma", tmp, "--arch", ",".join(flat)]
            # Run keys recorded only when not the default.
            for key in ("sampler", "init", "sigma_precision"):
                if key in ident:
                    cmd += ["--" + key.replace("_", "-"), ident[key]]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        B = int(ident["batch"])
        fig, axes = plt.subplots(1, len(GROUPS), figsize=(3 * len(GROUPS), 2.8), sharey=True)
        for ax, (lo, hi), group in zip(axes, GROUPS, chosen):
            vals = []
            for i in group:
                s = np.fromfile(os.path.join(tmp, f"{i}.sigma.f64"), dtype="<f8").reshape(B, B)
                vals.append(s[~np.eye(B, dtype=bool)])
            if vals:
                ax.hist(np.concatenate(vals), bins=60, range=(-1, 1), density=True)
            ax.set_title(f"{lo}-{min(hi, 100)}% ({len(group)} nets)", fontsize=9)
            ax.set_xlabel("Sigma_J entry")
        axes[0].set_ylabel("density")
        fig.suptitle("Off-diagonal Sigma_J entries by final CIFAR-10 accuracy")
        fig.tight_layout()
        fig.savefig(out, dpi=120)
        plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run")
    ap.add_argument("--data", default=os.environ.get("NASWOT_DATA"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--naswot", default=os.path.join(os.path.dirname(__file__), "..", "build", "naswot"))
    ap.add_argument("--per-group", type=int, default=5)
    args = ap.parse_args()
    if not args.data:
        sys.exit("plot_report.py: pass --data DIR or set NASWOT_DATA")
    rows, ident = read_run(args.run)
    if ident.get("space") != "nb201":
        sys.exit("plot_report.py: only NAS-Bench-201 runs are supported")
    acc = read_accuracy(args.data)
    os.makedirs(args.out, exist_ok=True)
    scatter(rows, acc, os.path.join(args.out, "score_vs_c10_test_200.png"))
    sigma_histograms(rows, acc, ident, args, os.path.join(args.out, "sigma_histograms.png"))
    print(f"wrote {args.out}/score_vs_c10_test_200.png and {args.out}/sigma_histograms.png")


if __name__ == "__main__":
    main()
