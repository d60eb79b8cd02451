#!/usr/bin/env bash
# Packs what tools/gpu-check.sh needs on a GPU machine that lacks our build dependencies (OpenBLAS,
# SQLite, doctest): portable binaries (x86-64-v3, static libstdc++), their non-CUDA shared libraries
# and a small data subset, into .devbundle/bundle.tar.xz (git-ignored; never commit data).
# Usage: tools/make-device-bundle.sh [DATA_DIR=../shared/data] [IMAGES=2000]
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data} images=${2:-2000}
cmake -S . -B build-dev -DCMAKE_BUILD_TYPE=Release -DNASWOT_CUDA=ON -DNASWOT_NATIVE=OFF \
  -DCMAKE_CXX_FLAGS=-march=x86-64-v3 -DCMAKE_CUDA_ARCHITECTURES=90 \
  -DCMAKE_EXE_LINKER_FLAGS="-static-libstdc++ -static-libgcc" >/dev/null
cmake --build build-dev -j"$(nproc)" --target naswot naswot_gpu_tests naswot_gpu_ops_bench naswot_lockstep_bench \
  naswot_latency_bench naswot_init_bench naswot_hamming_bench
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib" "$stage/data/cifar10" "$stage/data/nb201"
cp build-dev/naswot build-dev/tests/naswot_gpu_tests build-dev/naswot_gpu_ops_bench build-dev/naswot_lockstep_bench \
  build-dev/naswot_latency_bench build-dev/naswot_init_bench build-dev/naswot_hamming_bench "$stage/bin/"
cp -P build-dev/libnaswot.so* "$stage/lib/"  # the latency benchmark links the public library
for l in libopenblas.so.0 libgfortran.so.5 libquadmath.so.0 libsqlite3.so.0 libgomp.so.1; do
  cp -L "$(ldd build-dev/naswot | awk -v l="$l" '$1 == l {print $3}' | head -1 || true)" "$stage/lib/$l" 2>/dev/null ||
    cp -L "$(ldconfig -p | awk -v l="$l" '$1 == l {print $NF; exit}')" "$stage/lib/$l"
done
head -c $((images * 3073)) "$data/cifar10/data_batch_1.bin" >"$stage/data/cifar10/data_batch_1.bin"
cp "$data/nb201/nb201_accuracy.csv" "$stage/data/nb201/"
mkdir -p .devbundle
tar -cJf .devbundle/bundle.tar.xz -C "$stage" .
ls -la .devbundle/bundle.tar.xz
