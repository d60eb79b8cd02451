// The ReLU-code Hamming kernel on the GPU: the launchers of kernels/cuda/hamming_kernels.cuh on a stream.
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/hamming_kernels.cuh"
#include "kernels/cuda/on_stream.cuh"

namespace naswot::cuda {

size_t hamming_codes_words(size_t per_sample, int B) { return codes_words(per_sample, B); }

void hamming_accumulate(cudaStream_t s, size_t D, int B, const float* y, int64_t weight, int64_t* K, uint64_t* codes) {
  hamming_accumulate(D, B, y, weight, K, codes, on_stream(s));
}

}  // namespace naswot::cuda
