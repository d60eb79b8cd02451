// The baseline of bench/hamming_bench.cpp on a stream (bench/hamming_v020/kernels.cuh).
#include "bench/hamming_v020/accumulate.h"
#include "bench/hamming_v020/kernels.cuh"
#include "kernels/cuda/on_stream.cuh"

namespace naswot::bench_v020 {

void accumulate(cudaStream_t s, size_t D, int B, const float* y, int64_t weight, int64_t* K, uint64_t* codes) {
  accumulate(D, B, y, weight, K, codes, cuda::on_stream(s));
}

}  // namespace naswot::bench_v020
