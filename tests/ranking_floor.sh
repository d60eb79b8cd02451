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
