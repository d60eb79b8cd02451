// The baseline of bench/hamming_bench.cpp (engine 0.2.0's Hamming kernels) built for the emulated runtime.
#include <cuda_runtime.h>

#include "tests/simt_emulator.h"
// clang-format off
#include "bench/hamming_v020/accumulate.cu"
// clang-format on
