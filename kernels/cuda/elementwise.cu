// Element-wise CUDA kernels: the launchers of kernels/cuda/elementwise_kernels.cuh on a stream.
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/elementwise_kernels.cuh"
#include "kernels/cuda/on_stream.cuh"

namespace naswot::cuda {

void fill_many(cudaStream_t s, const op_args::fill* calls, int n) { fill_many(calls, n, on_stream(s)); }

void relu_forward_many(cudaStream_t s, const op_args::relu_forward* calls, int n) {
  relu_forward_many(calls, n, on_stream(s));
}

void relu_backward_many(cudaStream_t s, const op_args::relu_backward* calls, int n) {
  relu_backward_many(calls, n, on_stream(s));
}

void add_forward_many(cudaStream_t s, const op_args::add_forward* calls, int n) {
  add_forward_many(calls, n, on_stream(s));
}

void copy_or_accumulate_many(cudaStream_t s, const op_args::copy_or_accumulate* calls, int n) {
  copy_or_accumulate_many(calls, n, on_stream(s));
}

void copy_block(cudaStream_t s, int B, size_t len, const float* src, size_t sps, size_t soff, float* dst, size_t dps,
                size_t doff, bool acc) {
  copy_block(B, len, src, sps, soff, dst, dps, doff, acc, on_stream(s));
}

void add_bias(cudaStream_t s, int B, int Out, const float* bias, float* y) { add_bias(B, Out, bias, y, on_stream(s)); }

}  // namespace naswot::cuda
