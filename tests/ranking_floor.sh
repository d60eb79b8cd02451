#!/usr/bin/env bash
# The pipeline ranks: on a fixed sample of 150 NB201 architectures at batch 64, Kendall tau of the
# score against CIFAR-10 test accuracy (c10_test_200, degenerate architectures included as ties at
# the bottom) must clear a loose floor of 0.3 (the official implementation reaches 0.53 over the space).
# Also: the report's size and cost table, and the report of several runs at once, against Python.
set -euo pipefail
naswot=$1
data=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$naswot" score-space --space nb201 --sample 150 --seed 11 --batch 64 --data "$data" --out "$tmp/r.db" 2>/dev/null
report=$("$naswot" report "$tmp/r.db" --benchmark nb201 --data "$data")
echo "$report" | grep -E '^\| (column|c10_test_200|c100_test_200|im16_test_200) '
tau=$(echo "$report" | awk -F'|' '$2 ~ /^ c10_test_200 $/ {gsub(/ /, "", $3); print $3}')
echo "Kendall tau vs c10_test_200: $tau (floor 0.3)"
awk -v t="$tau" 'BEGIN { exit !(t > 0.3) }'
# Size and cost columns are reported apart from the accuracies: Kendall tau-b of the score (ok rows)
# against params_m_c10 and lat_pixel3, recomputed here in Python from the database and the tables.
grep -qE '^\| lat_pixel3 \| [-0-9.]+ \| [-0-9.]+ \| [-0-9.]+ \| [-0-9.]+ \| [0-9]+ \|$' <<<"$report" &&
  { echo "FAIL: latency reported as an accuracy column"; exit 1; }
/usr/bin/python3 - "$tmp/r.db" "$data" <<PY
import csv, sqlite3, sys
sys.path.insert(0, "$here")
from kendall import tau_b
rows = [(i, s) for i, s, st in sqlite3.connect(sys.argv[1]).execute("select idx, score, status from scores") if st == "ok"]
tables = [csv.DictReader(open(sys.argv[2] + "/nb201/" + f)) for f in ("nb201_accuracy.csv", "nb201_latency_ms.csv")]
cols = {}
for t in tables:
    for r in t:
        for k, v in r.items():
            cols.setdefault(k, {})[int(r["index"])] = v
report = """$report"""
for name in ("params_m_c10", "lat_pixel3"):
    t = tau_b([s for _, s in rows], [float(cols[name][i]) for i, _ in rows])
    line = [l for l in report.splitlines() if l.startswith(f"| {name} |")]
    assert len(line) == 1, (name, line)
    got = float(line[0].split("|")[2])
    assert abs(got - t) < 1e-4, (name, got, t)
    print(f"ok: score vs {name}: Kendall tau {got:.4f} (Python {t:.4f})")
PY
# --format json and csv: the same tables for scripts (numbers as numbers; NaN as null / empty).
"$naswot" report "$tmp/r.db" --data "$data" --format json >"$tmp/r.json"
"$naswot" report "$tmp/r.db" --data "$data" --format csv >"$tmp/r.csv"
/usr/bin/python3 - "$tmp/r.json" "$tmp/r.csv" "$tau" <<'PY'
import csv, io, json, sys
doc = json.load(open(sys.argv[1]))
corr = {r["column"]: r for r in doc["tables"]["correlation"]}
assert abs(corr["c10_test_200"]["Kendall tau (all)"] - float(sys.argv[3])) < 5e-5, corr["c10_test_200"]
assert doc["facts"]["space"] == "nb201" and doc["facts"]["batch"] == "64", doc["facts"]
assert [r["top k"] for r in doc["tables"]["top"]] == [1, 10, 100], doc["tables"]["top"]
blocks = open(sys.argv[2]).read().split("\n\n")  # tables, each headed '# name'
by_name = {b.splitlines()[0][2:]: list(csv.DictReader(io.StringIO("\n".join(b.splitlines()[1:])))) for b in blocks}
assert set(by_name) == set(doc["tables"]), (set(by_name), set(doc["tables"]))
row = [r for r in by_name["correlation"] if r["column"] == "c10_test_200"][0]
assert abs(float(row["Kendall tau (all)"]) - float(sys.argv[3])) < 5e-5, row
print("ok: report --format json and csv carry the Markdown report's tables")
PY
# Several runs at once (report A.db B.db ...): each run's tau against its headline column, their mean
# and sample standard deviation, and the pairwise tau between the runs' scores, recomputed in Python.
idx=$(/usr/bin/python3 -c "print(','.join(str(i * 389 % 15625) for i in range(40)))")
for s in 1 2; do
  "$naswot" score-space --space nb201 --indices "$idx" --seed $s --batch 16 --data "$data" --out "$tmp/s$s.db" 2>/dev/null
done
multi=$("$naswot" report "$tmp/s1.db" "$tmp/s2.db" "$tmp/r.db" --data "$data")
echo "$multi" | grep -E '^\| (run|/|[0-9]:)|^Over'
/usr/bin/python3 - "$tmp" "$data" <<PY
import csv, math, sqlite3, sys
sys.path.insert(0, "$here")
from kendall import tau_b
tmp, data = sys.argv[1:]
acc = {int(r["index"]): float(r["c10_test_200"]) for r in csv.DictReader(open(data + "/nb201/nb201_accuracy.csv"))}
runs = [dict(sqlite3.connect(f"{tmp}/{n}.db").execute("select idx, score from scores")) for n in ("s1", "s2", "r")]
report = """$multi""".splitlines()
taus = []
for k, r in enumerate(runs):
    t = tau_b(list(r.values()), [acc[i] for i in r])
    taus.append(t)
    got = float([l for l in report if l.startswith(f"| {tmp}/{('s1', 's2', 'r')[k]}.db |")][0].split("|")[10])
    assert abs(got - t) < 1e-4, (k, got, t)
m = sum(taus) / 3
sd = math.sqrt(sum((t - m) ** 2 for t in taus) / 2)
assert f"Kendall tau {m:.4f} ± {sd:.4f}" in "\n".join(report), (m, sd)
for i, j in ((0, 1), (0, 2), (1, 2)):  # s1 and s2: the same 40 architectures; r: a sample that barely overlaps
    keys = sorted(set(runs[i]) & set(runs[j]))
    cell = [l for l in report if l.startswith(f"| {i + 1}: ")][0].split("|")[2 + j].split()
    assert cell[1] == f"({len(keys)})", (i, j, cell, len(keys))
    if len(keys) < 2:
        assert cell[0] == "n/a", (i, j, cell)
        continue
    t = tau_b([runs[i][x] for x in keys], [runs[j][x] for x in keys])
    assert abs(float(cell[0]) - t) < 1e-4, (i, j, cell, t)
assert "(40)" in [l for l in report if l.startswith("| 1: ")][0]
print(f"ok: multi-run report: per-run tau, mean ± std {m:.4f} ± {sd:.4f}, pairwise agreement (Python recomputed)")
PY
"$naswot" score-space --space nats-sss --indices 0-2 --batch 8 --data "$data" --out "$tmp/sss.db" 2>/dev/null
if msg=$("$naswot" report "$tmp/s1.db" "$tmp/sss.db" --data "$data" 2>&1); then
  echo "FAIL: runs of two spaces reported together"; exit 1
fi
grep -q "runs of one space only" <<<"$msg" || { echo "FAIL: $msg"; exit 1; }
echo "ok: runs of two spaces are refused"
