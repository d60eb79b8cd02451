#!/usr/bin/env python3
"""tools/naslib_zc_correlations.py on a synthetic file in NAS-Bench-Suite-Zero's layout: every row's
Spearman rho recomputed here by another definition of the ranks (counting, O(n^2)), NASLib's names and
datasets mapped to naswot's, non-finite values left out, unknown proxies reported; the rows accepted by
`naswot report --published`; clear errors for a missing file, non-JSON and an unknown space.
Usage: naslib_zc.py NASWOT DATA_DIR"""
import json
import math
import os
import random
import subprocess
import sys
import tempfile

naswot, data = sys.argv[1], sys.argv[2]
tool = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools", "naslib_zc_correlations.py")


def fail(msg):
    sys.exit("FAIL: " + msg)


def count_ranks(v):  # rank = 1 + #smaller + (#equal - 1) / 2
    return [1 + sum(w < x for w in v) + (sum(w == x for w in v) - 1) / 2 for x in v]


def rho(x, y):
    rx, ry = count_ranks(x), count_ranks(y)
    n = len(x)
    mx, my = sum(rx) / n, sum(ry) / n
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    return cov / math.sqrt(sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry))


def run(*files):
    return subprocess.run([sys.executable, tool, *files], capture_output=True, text=True)


gen = random.Random(7)
space = {}
for ds in ("cifar10", "ImageNet16-120"):
    archs = {}
    for i in range(40):
        acc = round(gen.uniform(50, 95), 1)  # ties among accuracies
        archs[f"({i % 5}, {i // 5}, 0, 1, 2, 3)"] = {
            "grad_norm": gen.uniform(0, 100), "jacov": -gen.uniform(30, 40), "epe_nas": gen.random(),
            "synflow": float(gen.randint(0, 9)),  # ties among values
            "grasp": float("nan") if i % 7 == 0 else gen.gauss(0, 10), "val_accuracy": acc}
    space[ds] = archs
zc = {"nasbench201": space, "nasbench101": {"cifar10": {k: v for k, v in list(space["cifar10"].items())[:10]}}}

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "zc.json")
    with open(path, "w") as f:
        json.dump(zc, f)  # NaN as the JSON extension NASLib's files use
    r = run(path)
    if r.returncode != 0:
        fail(f"tool failed: {r.stderr}")
    lines = r.stdout.strip().split("\n")
    if lines[0] != "score,space,dataset,spearman,source":
        fail(f"header {lines[0]!r}")
    got = {tuple(l.split(",")[:3]): (float(l.split(",")[3]), l.split(",", 4)[4]) for l in lines[1:]}
    names = {"grad_norm": "grad_norm", "jacov": "jacob_cov_zc", "synflow": "synflow", "grasp": "grasp"}
    want = set()
    for sp, tag in (("nasbench201", "nb201"), ("nasbench101", "nb101")):
        for ds, archs in zc[sp].items():
            dtag = {"cifar10": "cifar10", "ImageNet16-120": "imagenet16"}[ds]
            for proxy, name in names.items():
                pairs = [(a[proxy], a["val_accuracy"]) for a in archs.values() if math.isfinite(a[proxy])]
                key = (name, tag, dtag)
                want.add(key)
                if key not in got:
                    fail(f"no row for {key}")
                value, source = got[key]
                if abs(value - rho([p[0] for p in pairs], [p[1] for p in pairs])) > 6e-5:  # printed to 4 decimals
                    fail(f"{key}: rho {value}, recomputed {rho([p[0] for p in pairs], [p[1] for p in pairs])}")
                if f"over its {len(pairs)} architectures" not in source:
                    fail(f"{key}: source {source!r} does not count the {len(pairs)} finite values")
    if set(got) != want:
        fail(f"unexpected rows {sorted(set(got) - want)}")
    if "epe_nas" not in r.stderr:
        fail(f"the proxy naswot lacks is not reported: {r.stderr!r}")

    # The rows as naswot report's --published: a run of snip and synflow shows the synthetic synflow rho.
    csv_path = os.path.join(tmp, "suite.csv")
    with open(csv_path, "w") as f:
        f.write(r.stdout)
    db = os.path.join(tmp, "run.db")
    subprocess.run([naswot, "score-space", "--space", "nb201", "--sample", "6", "--seed", "3", "--batch", "8",
                    "--score", "snip,synflow", "--data", data, "--out", db], check=True, capture_output=True)
    out = subprocess.run([naswot, "report", db, "--data", data, "--published", csv_path, "--format", "json"],
                         check=True, capture_output=True, text=True).stdout
    table = {row["score"]: row for row in json.loads(out)["tables"]["scores"]}
    want_syn = got[("synflow", "nb201", "cifar10")][0]
    if table["synflow"]["published rho"] != want_syn or table["snip"]["published rho"] is not None:
        fail(f"report --published: {table['synflow']['published rho']} / {table['snip']['published rho']}")

    # Errors name the problem.
    bad = os.path.join(tmp, "bad.json")
    with open(bad, "w") as f:
        f.write("{not json")
    other = os.path.join(tmp, "other.json")
    with open(other, "w") as f:
        json.dump({"nasbench301": {"cifar10": {}}}, f)
    for args, msg in (([os.path.join(tmp, "none.json")], "cannot read"), ([bad], "is not JSON"),
                      ([other], "unknown space 'nasbench301'")):
        r = run(*args)
        if r.returncode == 0 or msg not in r.stderr:
            fail(f"{args}: expected an error with {msg!r}, got {r.returncode} {r.stderr!r}")
print("naslib_zc: rows, ranks, names, --published and errors ok")
