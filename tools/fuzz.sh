#!/usr/bin/env bash
# Fuzzes every parser of user input (tests/fuzz) with libFuzzer under ASan + UBSan: builds build-fuzz
# with clang, then runs each target for SECONDS, starting from a copy of its corpus in tests/fuzz/corpus.
# A bug leaves its input in OUT/<target>/ (crash-*, leak-*, timeout-*): add it to the corpus once fixed.
# Usage: tools/fuzz.sh [SECONDS_PER_TARGET=60] [TARGET ...]   (needs clang and libclang-rt-14-dev)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
out=${OUT:-fuzz-out}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNASWOT_FUZZ=ON -DNASWOT_CUDA=OFF \
  -DNASWOT_NATIVE=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target naswot_fuzz >/dev/null
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(nb201_arch sss_arch nb101_cell cli_args table_csv image_file cell_cache run_db network_fusion)
export NASWOT_CACHE_DIR=off ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
status=0
for t in "${targets[@]}"; do
  mkdir -p "$out/$t/corpus"
  cp -n tests/fuzz/corpus/"$t"/* "$out/$t/corpus/" 2>/dev/null || true
  echo "== $t (${secs}s)"
  if NASWOT_FUZZ_TARGET=$t build-fuzz/tests/naswot_fuzz -max_total_time="$secs" -max_len=4096 -timeout=10 \
      -rss_limit_mb=4096 -artifact_prefix="$out/$t/" -print_final_stats=1 "$out/$t/corpus" >"$out/$t/log" 2>&1; then
    { grep -E "^Done [0-9]+ runs" "$out/$t/log" || echo "(no summary)"; } | tail -1
  else
    status=1
    echo "BUG in $t: $(ls "$out/$t" | grep -E '^(crash|leak|timeout|oom)-' | head -1)"
    grep -m3 -E "BUG|ERROR|runtime error" "$out/$t/log" || tail -20 "$out/$t/log"
  fi
done
exit $status
