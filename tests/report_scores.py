#!/usr/bin/env python3
"""naswot report of a run of several scores, recomputed here from the database and the benchmark table:
each score's Kendall tau-b and Spearman rho, the pairwise agreement, the mean-rank ensemble, --by (report
and search), --published, and shards of such a run merged. Usage: report_scores.py NASWOT DATA_DIR"""
import csv
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from kendall import tau_b  # noqa: E402  (the O(n^2) definition)
from naslib_zc_correlations import ranks, spearman  # noqa: E402  (checked by tests/naslib_zc.py)

naswot, data = sys.argv[1], sys.argv[2]
SCORES = ["snip", "params", "grad_norm", "flops"]


def close(a, b, what):
    if abs(a - b) > 1e-12:
        sys.exit(f"FAIL: {what}: report {a!r}, recomputed {b!r}")


def report(*args):
    out = subprocess.run([naswot, "report", *args, "--data", data, "--format", "json"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)["tables"]


with tempfile.TemporaryDirectory() as tmp:
    db = os.path.join(tmp, "run.db")
    subprocess.run([naswot, "score-space", "--space", "nb201", "--sample", "30", "--seed", "3", "--batch", "8",
                    "--score", ",".join(SCORES), "--data", data, "--out", db], check=True, capture_output=True)
    con = sqlite3.connect(db)
    rows = {i: [s] for i, s in con.execute("SELECT idx, score FROM scores")}
    for i, k, s in con.execute("SELECT idx, k, score FROM more_scores ORDER BY idx, k"):
        assert len(rows[i]) == k, "more_scores numbered 1, 2, ... per index"
        rows[i].append(s)
    idx = sorted(rows)
    assert len(idx) == 30 and all(len(rows[i]) == len(SCORES) for i in idx)
    with open(os.path.join(data, "nb201", "nb201_accuracy.csv")) as f:
        table = {int(r["index"]): r for r in csv.DictReader(f)}
    acc = [float(table[i]["c10_test_200"]) for i in idx]
    values = {name: [rows[i][k] for i in idx] for k, name in enumerate(SCORES)}
    # params is the proxies' network's own count: the benchmark's parameter count of its CIFAR-10 network.
    for i, p in zip(idx, values["params"]):
        if p != round(float(table[i]["params_m_c10"]) * 1e6):
            sys.exit(f"FAIL: index {i}: params {p}, the benchmark's {table[i]['params_m_c10']} M")
    rank_sum = [0.0] * len(idx)
    for name in ("snip", "flops"):
        rank_sum = [a + b for a, b in zip(rank_sum, ranks(values[name]))]
    values["mean_rank"] = [r / 2 for r in rank_sum]

    pub = os.path.join(tmp, "published.csv")
    with open(pub, "w") as f:
        f.write("score,space,dataset,spearman,source\nsnip,nb201,cifar10,0.58,a paper\n")
    t = report(db, "--ensemble", "snip,flops", "--published", pub)
    names = [r["score"] for r in t["scores"]]
    if names != SCORES + ["mean_rank"]:
        sys.exit(f"FAIL: scores table lists {names}")
    for r in t["scores"]:
        v = values[r["score"]]
        close(r["Kendall tau"], tau_b(v, acc), r["score"] + " Kendall tau")
        close(r["Spearman rho"], spearman(v, acc), r["score"] + " Spearman rho")
        want = 0.58 if r["score"] == "snip" else None
        if r["published rho"] != want:
            sys.exit(f"FAIL: {r['score']}: published rho {r['published rho']}, expected {want}")
    for r in t["score_agreement"]:
        for other in names:
            if r[other] is not None:
                close(r[other], tau_b(values[r["score"]], values[other]), f"agreement {r['score']}/{other}")
    # --by: the correlation table follows the chosen score (here the ensemble).
    for by in ("grad_norm", "mean_rank"):
        t = report(db, "--ensemble", "snip,flops", "--by", by)
        row = [r for r in t["correlation"] if r["column"] == "c10_test_200"][0]
        close(row["Kendall tau (all)"], tau_b(values[by], acc), f"--by {by} correlation")
    # Errors name what is wrong.
    bad_pub = os.path.join(tmp, "bad.csv")
    with open(bad_pub, "w") as f:
        f.write("score,rho\nsnip,0.5\n")
    for args, msg in ((["--by", "zen"], "--by zen: "), (["--ensemble", "snip,zen"], "--ensemble zen: "),
                      (["--by", "mean_rank"], "without --ensemble"),
                      (["--published", bad_pub], "expected the header score,space,dataset,spearman,source"),
                      (["--published", os.path.join(tmp, "none.csv")], "cannot read --published")):
        p = subprocess.run([naswot, "report", db, "--data", data, *args], capture_output=True, text=True)
        if p.returncode == 0 or msg not in p.stderr:
            sys.exit(f"FAIL: report {args} should fail with '{msg}': {p.stderr}")
    # Shards of a run of several scores merge into the single run, every score (time column aside).
    def exported(path):
        rows = list(csv.reader(subprocess.run([naswot, "export", path], check=True, capture_output=True,
                                              text=True).stdout.splitlines()))
        return [r[:4] + r[5:] for r in rows]
    shards = []
    for i in range(2):
        shards.append(os.path.join(tmp, f"shard{i}.db"))
        subprocess.run([naswot, "score-space", "--space", "nb201", "--sample", "30", "--seed", "3", "--batch", "8",
                        "--score", ",".join(SCORES), "--data", data, "--shard", f"{i}/2", "--out", shards[-1]],
                       check=True, capture_output=True)
    merged = os.path.join(tmp, "merged.db")
    subprocess.run([naswot, "merge", *shards, "--out", merged], check=True, capture_output=True)
    if exported(merged) != exported(db) or len(exported(db)[0]) != 4 + 1 + 3 * (len(SCORES) - 1):
        sys.exit("FAIL: merged shards of a run of several scores differ from the single run")
    # A live search of several scores ranks by --by: it chooses what a search of that score alone chooses.
    def choices(*score):
        p = subprocess.run([naswot, "search", "--space", "nb201", "-N", "8", "--runs", "3", "--batch", "8",
                            "--print-choices", "--data", data, *score], check=True, capture_output=True, text=True)
        return [line for line in p.stderr.splitlines() if line.startswith("run ")]
    alone, by = choices("--score", "flops"), choices("--score", "snip,flops", "--by", "flops")
    if not alone or alone != by:
        sys.exit(f"FAIL: search --by flops chose {by}, --score flops alone {alone}")
print("report of several scores: every figure recomputed from the database agrees")
