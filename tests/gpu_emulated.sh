#!/usr/bin/env bash
# Runs the emulated GPU tests (naswot_gpu_tests_emulated) as two shards at once: the SIMT emulator is
# single-threaded, and CI has two cores. Each shard's log is printed; fails if either fails.
# Usage: tests/gpu_emulated.sh TEST_BINARY [doctest options...]
set -uo pipefail
bin=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# About half the time each (the network cases dominate; --duration=true, 2026-12-06: 211 s and 204 s).
slow='cuda: synflow*,cuda: Cholesky*,cuda: NB201 networks*,cuda: 16x16*,cuda: Hamming kernels of*,cuda: NB101*,cuda: lockstep (several*,cuda (emulator): networks*'
"$bin" -tc="$slow" "$@" >"$tmp/1.log" 2>&1 &
p1=$!
"$bin" -tce="$slow" "$@" >"$tmp/2.log" 2>&1 &
p2=$!
wait "$p1"
r1=$?
wait "$p2"
r2=$?
cat "$tmp/1.log" "$tmp/2.log"
[ "$r1" -eq 0 ] && [ "$r2" -eq 0 ]
