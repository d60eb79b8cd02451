#!/usr/bin/env bash
# How much the choice of weights and batch (--seed) moves the score's ranking: the same N random NB201
# architectures scored with SEEDS different seeds, then `naswot report` of all runs (each run's tau, mean
# and spread, pairwise agreement) and, in Python, the tau of the per-architecture mean score over the runs.
# Usage: NASWOT_DATA=DIR bench/seed_spread.sh BIN OUT [N=400] [SEEDS=5] [BATCH=128] [extra score-space options...]
set -euo pipefail
bin=$1
out=$2
n=${3:-400}
seeds=${4:-5}
batch=${5:-128}
shift $(($# < 5 ? $# : 5))
data=${NASWOT_DATA:?set NASWOT_DATA to the data directory}
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
# A uniform sample (Python's Mersenne Twister, seed 2026), the same on every machine.
idx=$(/usr/bin/python3 -c "import random; print(','.join(map(str, sorted(random.Random(2026).sample(range(15625), $n)))))")
dbs=()
for s in $(seq 1 "$seeds"); do
  "$bin" score-space --space nb201 --indices "$idx" --seed "$s" --batch "$batch" --data "$data" \
    --out "$out/seed$s.db" "$@" 2>"$out/seed$s.log"
  dbs+=("$out/seed$s.db")
done
"$bin" report "${dbs[@]}" --data "$data" | tee "$out/report.md"
/usr/bin/python3 - "$here/tests" "$data" "${dbs[@]}" <<'PY' | tee -a "$out/report.md"
import csv, sqlite3, sys
sys.path.insert(0, sys.argv[1])
from kendall import tau_b
data, dbs = sys.argv[2], sys.argv[3:]
acc = {int(r["index"]): r for r in csv.DictReader(open(data + "/nb201/nb201_accuracy.csv"))}
runs = [dict(sqlite3.connect(d).execute("select idx, score from scores")) for d in dbs]
common = sorted(set.intersection(*(set(r) for r in runs)))
# Mean score over the runs; an architecture degenerate in any run stays at -inf (ranked last).
mean = [sum(r[i] for r in runs) / len(runs) for i in common]
print(f"\nMean score over the {len(runs)} runs ({len(common)} architectures), Kendall tau-b:\n")
print("| column | tau of the mean score | tau of each run (min .. max) |\n|---|---|---|")
for col in ("c10_test_200", "c100_test_200", "im16_test_200"):
    y = [float(acc[i][col]) for i in common]
    each = [tau_b([r[i] for i in common], y) for r in runs]
    print(f"| {col} | {tau_b(mean, y):.4f} | {min(each):.4f} .. {max(each):.4f} |")
PY
