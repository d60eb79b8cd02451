# Shared set-up for the CPU benchmarks (sourced): builds naswot and picks the same N random NB201
# architectures every time. Sets: n, threads, data, build, tmp, idx (comma list), $tmp/archs (strings);
# defines seconds_per_arch.
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
# A uniform sample (Python's Mersenne Twister, seed 2026); shuf fed a constant byte stream, as before
# 2026-12-02, picked clustered indices.
/usr/bin/python3 -c "import random; print('\n'.join(map(str, random.Random(2026).sample(range(15625), $n))))" >"$tmp/idx"
idx=$(paste -sd, "$tmp/idx")
"$build/naswot" score --arch "$idx" --batch 2 --data "$data" --threads 1 2>/dev/null | tail -n +2 | cut -f2 >"$tmp/archs"

# Seconds per architecture of one `naswot score` over the sample: BIN METRIC [options...]. METRIC wall:
# the process's wall time / n; scoring: the sum of the `seconds` column / n (forward, backward and
# score only, without start-up such as NB101's cell enumeration).
seconds_per_arch() {
  local bin=$1 metric=$2 t0 t1
  shift 2
  t0=$(date +%s.%N)
  "$bin" score --arch "$idx" --data "$data" --threads "$threads" "$@" 2>/dev/null >"$tmp/out"
  t1=$(date +%s.%N)
  if [ "$metric" = scoring ]; then
    awk -v n="$n" 'NR > 1 && !/^#/ {s += $NF} END {printf "%.6f\n", s / n}' "$tmp/out"
  else
    echo "($t1 - $t0) / $n" | bc -l
  fi
}
