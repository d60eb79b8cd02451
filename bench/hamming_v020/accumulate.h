// Engine 0.2.0's per-site Hamming accumulation on the GPU (bench/hamming_v020/kernels.cuh), the baseline
// of bench/hamming_bench.cpp: K (B x B int64) += weight * #{units whose (y > 0) agrees}, y B x D values;
// codes: B * ceil(D / 64) words of scratch.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace naswot::bench_v020 {

void accumulate(cudaStream_t s, size_t D, int B, const float* y, int64_t weight, int64_t* K, uint64_t* codes);

}  // namespace naswot::bench_v020
