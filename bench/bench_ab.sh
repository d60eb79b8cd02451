#!/usr/bin/env bash
# A/B benchmark of two naswot option sets on the same architectures, interleaved A B A B ... so that
# drift and noise on a shared VM hit both sides alike; prints per-round seconds/arch and the median
# ratio B/A (> 1: A is faster). Usage: bench/bench_ab.sh "<options A>" "<options B>" [rounds=6] [N archs=10]
# e.g. bench/bench_ab.sh "--batch 256" "--batch 256 --fusion off"   (NASWOT_DATA must be set)
# A_BIN / B_BIN: other naswot binaries for a side (default: this tree's build), e.g. an older commit's.
# METRIC=wall (default) or scoring (see seconds_per_arch in common.sh).
set -euo pipefail
a_opts=$1
b_opts=$2
rounds=${3:-6}
set -- "${4:-10}" 2
source "$(dirname "$0")/common.sh"
a_bin=${A_BIN:-$build/naswot}
b_bin=${B_BIN:-$build/naswot}
metric=${METRIC:-wall}
echo "A: $a_bin $a_opts"
echo "B: $b_bin $b_opts"
echo "$n architecture indices (bench/common.sh's sample), $threads threads, metric $metric, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "| round | A s/arch | B s/arch | B/A |"
echo "|---|---|---|---|"
ratios=()
for r in $(seq "$rounds"); do
  # shellcheck disable=SC2086
  ta=$(seconds_per_arch "$a_bin" "$metric" $a_opts)
  # shellcheck disable=SC2086
  tb=$(seconds_per_arch "$b_bin" "$metric" $b_opts)
  q=$(echo "$tb / $ta" | bc -l)
  ratios+=("$q")
  printf '| %d | %.3f | %.3f | %.3f |\n' "$r" "$ta" "$tb" "$q"
done
printf 'median B/A over %d rounds: %.3f\n' "$rounds" "$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}')"
