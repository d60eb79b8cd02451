#!/usr/bin/env bash
# The pipeline ranks: on a fixed sample of 150 NB201 architectures at batch 64, Kendall tau of the
# score against CIFAR-10 test accuracy (c10_test_200, degenerate architectures included as ties at
# the bottom) must clear a loose floor of 0.3 (the official implementation reaches 0.53 over the space).
set -euo pipefail
naswot=$1
data=$2
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
rows = [(i, s) for i, s, st in sqlite3.connect(sys.argv[1]).execute("select idx, score, status from scores") if st == "ok"]
tables = [csv.DictReader(open(sys.argv[2] + "/nb201/" + f)) for f in ("nb201_accuracy.csv", "nb201_latency_ms.csv")]
cols = {}
for t in tables:
    for r in t:
        for k, v in r.items():
            cols.setdefault(k, {})[int(r["index"])] = v
def tau_b(x, y):
    n = len(x); c = d = tx = ty = 0
    for i in range(n):
        for j in range(i + 1, n):
            a, b = (x[i] > x[j]) - (x[i] < x[j]), (y[i] > y[j]) - (y[i] < y[j])
            if a and b: c += a == b; d += a != b
            elif a: ty += 1
            elif b: tx += 1
    return (c - d) / ((c + d + tx) * (c + d + ty)) ** 0.5
report = """$report"""
for name in ("params_m_c10", "lat_pixel3"):
    t = tau_b([s for _, s in rows], [float(cols[name][i]) for i, _ in rows])
    line = [l for l in report.splitlines() if l.startswith(f"| {name} |")]
    assert len(line) == 1, (name, line)
    got = float(line[0].split("|")[2])
    assert abs(got - t) < 1e-4, (name, got, t)
    print(f"ok: score vs {name}: Kendall tau {got:.4f} (Python {t:.4f})")
PY
