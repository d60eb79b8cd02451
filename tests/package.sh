#!/usr/bin/env bash
# The installed package as a user gets it: cmake --install, then a separate project that finds it
# (find_package(naswot), naswot::naswot) and a C program built with pkg-config alone score with the
# CLI's bits, and report bad options and architectures as errors.
set -euo pipefail
build=$1
data=$2
src=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
for f in bin/naswot include/naswot/naswot.hpp include/naswot/naswot.h lib/libnaswot.so lib/cmake/naswot/naswotConfig.cmake \
  lib/pkgconfig/naswot.pc; do
  [ -e "$tmp/prefix/$f" ] || { echo "FAIL: the install lacks $f"; exit 1; }
done
echo "ok: cmake --install lays out bin, include/naswot, lib, lib/cmake/naswot, lib/pkgconfig"
# The library exports its public interface only (tools/api/libnaswot.map): no symbol of the static
# core (engine, kernels, SQLite, the standard library's instantiations) that could clash with a
# program's own.
leaked=$(nm -DC --defined-only "$tmp/prefix/lib/libnaswot.so" | awk '{ $1 = ""; $2 = ""; sub(/^  /, ""); print }' |
  grep -Ev '^(naswot_[a-z_]+|naswot::(Scorer|Result)::.*|naswot::version\(\)|(typeinfo|typeinfo name|vtable) for naswot::Error|naswot::Error::.*|NASWOT_[0-9A-Z_.]+)$' || true)
[ -z "$leaked" ] || { echo "FAIL: libnaswot.so exports internal symbols:"; head -20 <<<"$leaked"; exit 1; }
for s in naswot_new naswot_score naswot_free 'naswot::Scorer::score(long)' 'naswot::version()'; do
  nm -DC --defined-only "$tmp/prefix/lib/libnaswot.so" | grep -qF " $s" || { echo "FAIL: libnaswot.so lacks $s"; exit 1; }
done
echo "ok: libnaswot.so exports the public interface and nothing else"
cmake -S "$src/consumer" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$tmp/consumer" >/dev/null
PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" cc -O2 "$src/consumer/consumer.c" -o "$tmp/consumer_pc" \
  $(PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" pkg-config --cflags --libs naswot)
echo "ok: a CMake project (C++ and C) and a pkg-config C build compile against the installed package"

opts="space=nb201 batch=16 seed=3 backend=cpu threads=2 data=$data"
arch='|avg_pool_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|'  # index 123
"$tmp/prefix/bin/naswot" score-space --space nb201 --batch 16 --seed 3 --backend cpu --threads 2 --data "$data" \
  --indices "1,10,$arch" --out "$tmp/cli.db" 2>/dev/null
want=$("$tmp/prefix/bin/naswot" export "$tmp/cli.db" | tail -n +2 | cut -d, -f1,3,4 | sort)
for bin in "$tmp/consumer/consumer_cpp" "$tmp/consumer/consumer_c" "$tmp/consumer_pc"; do
  got=$(LD_LIBRARY_PATH="$tmp/prefix/lib" "$bin" "$opts" 1 10 "$arch" | awk -F'\t' '{print $1 "," $3 "," $4}' | sort)
  [ "$got" = "$want" ] || { echo "FAIL: $(basename "$bin") scores differ from the CLI's:"; echo "$got"; echo "$want"; exit 1; }
done
echo "ok: the installed C++ and C interfaces score with the CLI's bits (ok and degenerate rows)"

expect_error() {  # expect_error "<message part>" OPTIONS ARCH
  local want=$1 out
  shift
  for bin in "$tmp/consumer/consumer_cpp" "$tmp/consumer/consumer_c"; do
    if out=$(LD_LIBRARY_PATH="$tmp/prefix/lib" "$bin" "$@" 2>&1); then echo "FAIL: $bin $* succeeded"; exit 1; fi
    grep -qF -- "$want" <<<"$out" || { echo "FAIL: $bin $*: '$out' lacks '$want'"; exit 1; }
  done
  echo "ok: error: $want"
}
expect_error "--batch 1 is out of range" "space=nb201 batch=1 data=$data" 1
expect_error "unknown option 'arch'" "arch=1 data=$data" 1
expect_error "unknown --space 'nb999'" "space=nb999 data=$data" 1
expect_error "out of range" "$opts" 15625
expect_error "unknown op" "$opts" '|nor_conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|'
out=$(LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/consumer/consumer_c" "space" 1 2>&1 || true)
grep -q "option 'space' is not key=value" <<<"$out" || { echo "FAIL: a C option without '=' is not reported: $out"; exit 1; }
echo "ok: error: an option without '='"
