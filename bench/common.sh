# Shared set-up for the CPU benchmarks (sourced): builds naswot and picks the same N random NB201
# architectures every time. Sets: n, threads, data, build, tmp, idx (comma list), $tmp/archs (strings).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
n=${1:-50}
threads=${2:-2}
data=${NASWOT_DATA:?set NASWOT_DATA to the data directory}
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target naswot >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
seq 0 15624 | shuf -n "$n" --random-source=<(yes 2026) >"$tmp/idx"
idx=$(paste -sd, "$tmp/idx")
"$build/naswot" score --arch "$idx" --batch 2 --data "$data" --threads 1 2>/dev/null | tail -n +2 | cut -f2 >"$tmp/archs"
