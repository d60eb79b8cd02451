#!/usr/bin/env bash
# Builds naswot and runs the whole test suite (unit, CLI error paths, PyTorch oracle; the GPU tests
# when the build has CUDA: they run on a GPU and report 'skipped' elsewhere).
# Data: $NASWOT_DATA, else ../shared/data beside the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
export NASWOT_DATA=${NASWOT_DATA:-$(cd .. && pwd)/shared/data}
# NB101's cell cache: a fresh one for this run (the first NB101 process enumerates, the rest read it),
# so the tests neither depend on nor touch the user's cache.
if [ -z "${NASWOT_CACHE_DIR:-}" ]; then
  NASWOT_CACHE_DIR=$(mktemp -d)
  export NASWOT_CACHE_DIR
  trap 'rm -rf "$NASWOT_CACHE_DIR"' EXIT
fi
# Format: every C++/CUDA file as .clang-format says (clang-format 14), no line over 120 columns.
mapfile -t sources < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.c' '*.cu' '*.cuh')
if ! clang-format-14 --style=file --dry-run --Werror "${sources[@]}" ||
  ! awk 'length > 120 { print FILENAME ":" FNR ": over 120 columns"; bad = 1 } END { exit bad }' "${sources[@]}"; then
  echo "test.sh: format check failed: clang-format-14 -i --style=file on the files above" >&2
  exit 1
fi
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DNASWOT_MPI=ON -DNASWOT_TEST_DATA="$NASWOT_DATA"
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure -L 'cpu|gpu'
# NASWOT_ASAN_REPLAY=1: the fuzz corpus (seeds and past bugs' inputs) once more under ASan + UBSan, for
# memory errors and not only wrong exceptions (about 2-3 min more; off by default to keep CI within its
# time limit; tools/fuzz.sh fuzzes under the sanitizers anyway).
if [ "${NASWOT_ASAN_REPLAY:-0}" = 1 ]; then
  cmake -S . -B "$build-asan" -DCMAKE_BUILD_TYPE=Release -DNASWOT_SANITIZE=ON -DNASWOT_CUDA=OFF -DNASWOT_NATIVE=OFF \
    >/dev/null
  cmake --build "$build-asan" -j"$(nproc)" --target naswot_fuzz_replay >/dev/null
  NASWOT_CACHE_DIR=off "$build-asan/tests/naswot_fuzz_replay" tests/fuzz/corpus
fi
