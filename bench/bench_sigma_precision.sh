#!/usr/bin/env bash
# Sigma_J's product in float64 (default) against float32-then-float64 (--sigma-precision fp32): the
# same sample of NB201 architectures scored both ways on one backend, in one run; throughput of each
# and what float32 does to scores and rankings (bench/compare_scores.py).
# Usage: bench/bench_sigma_precision.sh NASWOT_BIN OUT.md [N=1000] [BACKEND=cpu] [extra score-space args...]
set -uo pipefail
cd "$(dirname "$0")/.."
bin=$1 out=$2 n=${3:-1000} backend=${4:-cpu}
shift $(($# < 4 ? $# : 4))
data=${NASWOT_DATA:?set NASWOT_DATA}
py=${PYTHON:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
  echo "# Sigma_J product precision, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Backend $backend: $("$bin" devices 2>/dev/null | grep "^$backend:" | cut -d' ' -f2-)"
  echo "Command: \`bench/bench_sigma_precision.sh $bin OUT $n $backend $*\`; sample: \`score-space --sample $n --seed 0\`, batch 128."
  echo
  echo "| sigma precision | arch/s (score-space loop) |"
  echo "|---|---|"
} >"$out"
for p in fp64 fp32; do
  "$bin" score-space --backend "$backend" --sample "$n" --seed 0 --batch 128 --data "$data" --sigma-precision "$p" \
    --out "$tmp/$p.db" "$@" 2>"$tmp/$p.log" >/dev/null || { echo "score-space $p failed:"; tail -3 "$tmp/$p.log"; } >&2
  rate=$(grep '^# throughput' "$tmp/$p.log" | sed -E 's/.*= ([0-9.]+) arch\/s.*/\1/')
  echo "| $p | ${rate:-FAILED} |" >>"$out"
done
$py bench/compare_scores.py "$tmp/fp64.db" "$tmp/fp32.db" "sigma fp64" "sigma fp32" "$data/nb201/nb201_accuracy.csv" >>"$out"
cat "$out"
