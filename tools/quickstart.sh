#!/usr/bin/env bash
# Main job: build, then the paper's search on NAS-Bench-201 without training: for each of 3 runs, score
# N random architectures (live, on this machine) and keep the best by score; print the benchmark
# accuracies of the chosen networks next to the space's optimum.
# Usage: tools/quickstart.sh [N=20] [runs=3]   Data: $NASWOT_DATA, else ../shared/data.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
runs=${2:-3}
bash tools/install-deps.sh
export NASWOT_DATA=${NASWOT_DATA:-$(cd .. && pwd)/shared/data}
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target naswot >/dev/null
build/naswot search --space nb201 --algo best-of-n -N "$n" --runs "$runs" --batch 128 --print-choices
