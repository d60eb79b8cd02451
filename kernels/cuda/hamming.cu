// The Hamming score's ReLU codes on the GPU: the launchers of kernels/cuda/hamming_kernels.cuh on a stream.
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/hamming_kernels.cuh"
#include "kernels/cuda/on_stream.cuh"

namespace naswot::cuda {

void relu_codes_many(cudaStream_t s, const op_args::relu_codes* calls, int n) {
  relu_codes_many(calls, n, on_stream(s));
}

void hamming_pairs_many(cudaStream_t s, const op_args::hamming_pairs* calls, int n) {
  hamming_pairs_many(calls, n, on_stream(s));
}

}  // namespace naswot::cuda
