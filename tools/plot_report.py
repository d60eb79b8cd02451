#!/usr/bin/python3
"""Plots for a naswot NAS-Bench-201 run database: score against accuracy (one panel per dataset, with
Kendall tau and n), and Sigma_J histograms by accuracy group (the seed paper's Figure 1).

  tools/plot_report.py RUN.db --data DIR --out PLOTS_DIR [--naswot build/naswot] [--per-group 5]
                       [--figure1]

Writes PLOTS_DIR/score_vs_accuracy.{png,pdf} and PLOTS_DIR/sigma_histograms.{png,pdf}.

- The scatter plots every scored architecture against the test accuracy (200 epochs) of CIFAR-10,
  CIFAR-100 and ImageNet16-120; tau and n are naswot report's (degenerate architectures are counted
  there, tied last, and left out of the plot).
- The histograms re-score a few architectures of each CIFAR-10 accuracy group with the run's own
  settings (space, batch, seed, augmentation, dataset, classes, sampler, init, Sigma_J precision:
  `naswot score --dump-sigma`), so they show the Sigma_J the run saw. A Hamming run has no Sigma_J:
  its histograms are of the same networks and batch, and say so. --figure1 uses the paper's Figure 1
  batch instead: flip-cropped copies of one image (--augment augment-one).

Runs under Debian's /usr/bin/python3 with python3-matplotlib and python3-numpy (tools/install-deps.sh).
"""
import argparse
import csv
import json
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
PANELS = [("c10_test_200", "CIFAR-10"), ("c100_test_200", "CIFAR-100"), ("im16_test_200", "ImageNet16-120")]
# Run keys passed through to re-scoring as they are recorded (only when not the default).
DATASETS = {"cifar10": "CIFAR-10", "cifar100": "CIFAR-100", "imagenet16": "ImageNet16-120"}
PASSED = ["space", "batch", "seed", "augment", "dataset", "num_classes", "sampler", "init", "sigma_precision"]


def fail(msg):
    sys.exit(f"plot_report.py: {msg}")


def read_run(path):
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        rows = con.execute("SELECT idx, score, status FROM scores ORDER BY idx").fetchall()
        ident = dict(con.execute("SELECT key, value FROM naswot_meta WHERE kind='identity'").fetchall())
    except sqlite3.Error as e:
        fail(f"{path} is not a naswot run database ({e})")
    return rows, ident


def read_accuracy(data):
    path = os.path.join(data, "nb201", "nb201_accuracy.csv")
    try:
        with open(path) as f:
            table = list(csv.DictReader(f))
    except OSError as e:
        fail(f"cannot read {path}: {e}")
    return {c: {int(r["index"]): float(r[c]) for r in table if r.get(c)} for c, _ in PANELS}


def naswot(args, *argv):
    """Runs naswot; its error message, not a traceback, reaches the user when it fails."""
    try:
        r = subprocess.run([args.naswot, *argv], capture_output=True, text=True)
    except OSError as e:
        fail(f"cannot run {args.naswot}: {e} (pass --naswot PATH)")
    if r.returncode != 0:
        fail(f"naswot {argv[0]} failed (exit {r.returncode}): {r.stderr.strip()}")
    return r.stdout


def save(fig, out, stem):
    for ext in ("png", "pdf"):
        fig.savefig(os.path.join(out, f"{stem}.{ext}"), dpi=150)
    plt.close(fig)


def scatter(rows, acc, ident, report, out):
    corr = {r["column"]: r for r in report["tables"]["correlation"]}
    ok = [(i, s) for i, s, st in rows if st == "ok"]
    n_deg = sum(1 for _, _, st in rows if st == "degenerate")
    size = float(np.clip(3000 / max(len(ok), 1), 1, 25))  # markers shrink as points grow in number
    fig, axes = plt.subplots(1, len(PANELS), figsize=(4.2 * len(PANELS), 3.8), sharey=True)
    titles = []
    for ax, (column, name) in zip(axes, PANELS):
        pts = np.array([(acc[column][i], s) for i, s in ok if i in acc[column]])
        if len(pts):
            ax.scatter(pts[:, 0], pts[:, 1], s=size, alpha=0.5, linewidths=0)
        r = corr.get(column)
        tau = f"Kendall τ = {r['Kendall tau (all)']:.3f}, n = {r['n']}" if r and r["Kendall tau (all)"] is not None else ""
        ax.set_title(f"{name}\n{tau}", fontsize=10)
        titles.append(f"{name}: {tau}")
        ax.set_xlabel(f"{name} test accuracy, 200 epochs (%)")
    score = ident.get("score", "jacob_cov")
    sites = f", ReLU sites {ident['relu_sites']}" if score == "hamming" and "relu_sites" in ident else ""
    axes[0].set_ylabel(f"naswot score ({score}{sites})")
    print(f"score_vs_accuracy: y naswot score ({score}{sites}); " + "; ".join(titles))
    fig.suptitle(f"NAS-Bench-201: {len(ok)} architectures scored on {DATASETS[ident.get('dataset', 'cifar10')]} images, "
                 f"batch {ident.get('batch')} ({n_deg} degenerate not shown)", fontsize=11)
    fig.tight_layout()
    save(fig, out, "score_vs_accuracy")


def sigma_histograms(rows, acc, ident, args, out):
    rng = random.Random(0)
    c10 = acc["c10_test_200"]
    ok = [i for i, _, st in rows if st == "ok" and i in c10]
    chosen = [sorted(rng.sample(m, min(args.per_group, len(m))))
              for m in ([i for i in ok if lo <= c10[i] < hi] for lo, hi in GROUPS)]
    batch = int(ident["batch"])
    with tempfile.TemporaryDirectory() as tmp:
        flat = [str(i) for g in chosen for i in g]
        if flat:
            cmd = ["score", "--data", args.data, "--dump-sigma", tmp, "--arch", ",".join(flat)]
            for key in PASSED:
                if key in ident:
                    cmd += ["--" + key.replace("_", "-"), ident[key]]
            if args.figure1:  # the paper's batch: copies of one image
                cmd[cmd.index("--augment") + 1] = "augment-one"
            naswot(args, *cmd)
        fig, axes = plt.subplots(1, len(GROUPS), figsize=(3 * len(GROUPS), 3.0), sharey=True)
        for ax, (lo, hi), group in zip(axes, GROUPS, chosen):
            vals = []
            for i in group:
                path = os.path.join(tmp, f"{i}.sigma.f64")
                if os.path.exists(path):  # degenerate on this batch: no Sigma_J written
                    s = np.fromfile(path, dtype="<f8").reshape(batch, batch)
                    vals.append(s[~np.eye(batch, dtype=bool)])
            if vals:
                ax.hist(np.concatenate(vals), bins=60, range=(-1, 1), density=True)
            ax.set_title(f"{lo}-{min(hi, 100)}% ({len(vals)} nets)", fontsize=9)
            ax.set_xlabel("Σ_J entry")
        axes[0].set_ylabel("density")
        batch_text = "one image, flip-cropped" if args.figure1 or ident.get("augment") == "augment-one" else \
            f"{DATASETS[ident.get('dataset', 'cifar10')]} images, augment {ident.get('augment', 'none')}"
        note = "; the run's score is hamming: Σ_J of its networks and batch" if ident.get("score") == "hamming" else ""
        fig.suptitle(f"Off-diagonal Σ_J entries by CIFAR-10 accuracy (batch {batch}: {batch_text}{note})",
                     fontsize=10)
        fig.tight_layout()
        save(fig, out, "sigma_histograms")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run")
    ap.add_argument("--data", default=os.environ.get("NASWOT_DATA"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--naswot", default=os.path.join(os.path.dirname(__file__), "..", "build", "naswot"))
    ap.add_argument("--per-group", type=int, default=5, help="architectures per accuracy group (histograms)")
    ap.add_argument("--figure1", action="store_true", help="histograms on copies of one image (the paper's Figure 1)")
    args = ap.parse_args()
    if not args.data:
        fail("pass --data DIR or set NASWOT_DATA")
    if args.per_group < 1:
        fail("--per-group must be at least 1")
    rows, ident = read_run(args.run)
    if ident.get("space", "nb201") != "nb201":
        fail(f"{args.run} is a {ident['space']} run; only NAS-Bench-201 runs are plotted")
    acc = read_accuracy(args.data)
    report = json.loads(naswot(args, "report", args.run, "--data", args.data, "--format", "json"))
    os.makedirs(args.out, exist_ok=True)
    scatter(rows, acc, ident, report, args.out)
    sigma_histograms(rows, acc, ident, args, args.out)
    print(f"wrote {args.out}/score_vs_accuracy.{{png,pdf}} and {args.out}/sigma_histograms.{{png,pdf}}")


if __name__ == "__main__":
    main()
