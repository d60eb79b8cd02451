// Pools on the GPU: the launchers of kernels/cuda/pooling_kernels.cuh on a stream.
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/on_stream.cuh"
#include "kernels/cuda/pooling_kernels.cuh"

namespace naswot::cuda {

void maxpool_forward_many(cudaStream_t s, const op_args::maxpool_forward* calls, int n) {
  maxpool_forward_many(calls, n, on_stream(s));
}

void maxpool_backward_many(cudaStream_t s, const op_args::maxpool_backward* calls, int n) {
  maxpool_backward_many(calls, n, on_stream(s));
}

void maxpool_tangent_forward_many(cudaStream_t s, const op_args::maxpool_tangent_forward* calls, int n) {
  maxpool_tangent_forward_many(calls, n, on_stream(s));
}

void avgpool3x3_forward_many(cudaStream_t s, const op_args::avgpool3x3_forward* calls, int n) {
  avgpool3x3_forward_many(calls, n, on_stream(s));
}

void avgpool3x3_backward_many(cudaStream_t s, const op_args::avgpool3x3_backward* calls, int n) {
  avgpool3x3_backward_many(calls, n, on_stream(s));
}

void avgpool2x2_forward_many(cudaStream_t s, const op_args::avgpool2x2_forward* calls, int n) {
  avgpool2x2_forward_many(calls, n, on_stream(s));
}

void avgpool2x2_backward_many(cudaStream_t s, const op_args::avgpool2x2_backward* calls, int n) {
  avgpool2x2_backward_many(calls, n, on_stream(s));
}

void global_avgpool_forward_many(cudaStream_t s, const op_args::global_avgpool_forward* calls, int n) {
  global_avgpool_forward_many(calls, n, on_stream(s));
}

void global_avgpool_backward_many(cudaStream_t s, const op_args::global_avgpool_backward* calls, int n) {
  global_avgpool_backward_many(calls, n, on_stream(s));
}

}  // namespace naswot::cuda
