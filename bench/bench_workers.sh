#!/usr/bin/env bash
# score-space on the CPU with one architecture in flight against W in flight (--workers), interleaved
# A B A B ... on the same sample, all threads in both; prints arch/s per round, the median speed-up
# and checks that both runs stored the same scores bit for bit.
# Usage: bench/bench_workers.sh [W=2] [rounds=5] [N archs=16] [space=nb201] [batch=128]
# (NASWOT_DATA must be set; BUILD_DIR picks the build, default build/.)
set -euo pipefail
w=${1:-2}
rounds=${2:-5}
space=${4:-nb201}
batch=${5:-128}
set -- "${3:-16}" "$(nproc)"
source "$(dirname "$0")/common.sh"  # builds; n, threads, data, build, tmp, idx (NB201 indices)
[ "$space" = nb201 ] || idx=$(echo "$idx" | tr , '\n' | awk '{print $1 * 27}' | paste -sd,)  # NB101: spread over its 423,624 cells

# arch/s of one score-space run (its throughput line: set-up excluded): DB WORKERS
rate() {
  rm -f "$1"
  "$build/naswot" score-space --backend cpu --space "$space" --batch "$batch" --indices "$idx" \
    --threads "$threads" --workers "$2" --data "$data" --out "$1" 2>"$1.log" >/dev/null
  grep '^# throughput' "$1.log" | sed -E 's/.*= ([0-9.]+) arch\/s.*/\1/'
}

echo "$space, batch $batch, $n architectures (bench/common.sh's sample), $threads threads, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "| round | 1 worker arch/s | $w workers arch/s | speed-up |"
echo "|---|---|---|---|"
ratios=()
for r in $(seq "$rounds"); do
  a=$(rate "$tmp/one.db" 1)
  b=$(rate "$tmp/many.db" "$w")
  q=$(echo "$b / $a" | bc -l)
  ratios+=("$q")
  printf '| %d | %.3f | %.3f | %.3f |\n' "$r" "$a" "$b" "$q"
done
printf 'median speed-up over %d rounds: %.3f\n' "$rounds" \
  "$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}')"
# Same scores and statuses, bit for bit, whatever the workers.
python3 - "$tmp/one.db" "$tmp/many.db" <<'PY'
import sqlite3, sys
rows = [sorted((i, repr(s), st) for i, s, st in sqlite3.connect(f).execute("select idx, score, status from scores"))
        for f in sys.argv[1:]]
print(f"scores: {'identical' if rows[0] == rows[1] else 'DIFFER'} ({len(rows[0])} architectures)")
sys.exit(rows[0] != rows[1])
PY
