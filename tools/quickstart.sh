#!/usr/bin/env bash
# Main job: build, then a best-of-N search on NAS-Bench-201 (score N random architectures without
# training, keep the best) and look up its trained accuracy in the benchmark table.
# Usage: tools/quickstart.sh [N=20] [seed=0]   Data: $NASWOT_DATA, else ../shared/data.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
seed=${2:-0}
bash tools/install-deps.sh
export NASWOT_DATA=${NASWOT_DATA:-$(cd .. && pwd)/shared/data}
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target naswot >/dev/null
idx=$(seq 0 15624 | shuf -n "$n" --random-source=<(yes "$seed") | paste -sd,)
scores=$(build/naswot score --space nb201 --arch "$idx" --seed "$seed")
echo "$scores"
best=$(echo "$scores" | tail -n +2 | awk -F'\t' '$4 == "ok"' | sort -t$'\t' -k3,3 -g -r | head -1)
bi=$(cut -f1 <<<"$best")
echo
echo "best of $n by score: index $bi  $(cut -f2 <<<"$best")  score $(cut -f3 <<<"$best")"
acc="$NASWOT_DATA/nb201/nb201_accuracy.csv"
if [ -f "$acc" ]; then
  awk -F, -v i="$bi" 'NR > 1 && $1 == i {printf "its CIFAR-10 test accuracy after 200 epochs: %s%%\n", $3}' "$acc"
  best_acc=$(echo "$scores" | tail -n +2 | cut -f1 | awk -F, 'NR==FNR {want[$1]; next} FNR > 1 && ($1 in want) {print $3}' - "$acc" | sort -g | tail -1)
  echo "best accuracy among the $n sampled: ${best_acc}%"
fi
