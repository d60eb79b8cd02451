// Training-mode batch norm on the GPU: the launchers of kernels/cuda/batchnorm_kernels.cuh on a stream.
#include "kernels/cuda/batchnorm_kernels.cuh"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/on_stream.cuh"

namespace naswot::cuda {

size_t batchnorm_workspace_bytes(int C, int HW, int B) { return bn_workspace_bytes(C, HW, B); }
bool batchnorm_tile_stats(int HW) { return tile_stats_supported(HW); }

void batchnorm_forward_many(cudaStream_t s, const op_args::batchnorm_forward* calls, int n, void* ws,
                            unsigned* counters) {
  batchnorm_forward_dispatch(calls, n, ws, counters, on_stream(s));
}

void batchnorm_statistics_many(cudaStream_t s, const op_args::conv2d_forward_bn_stats* calls, int n, void* ws,
                               unsigned* counters) {
  batchnorm_statistics_dispatch(calls, n, ws, counters, on_stream(s));
}

void batchnorm_apply_many(cudaStream_t s, const op_args::batchnorm_apply* calls, int n) {
  batchnorm_apply_dispatch(calls, n, on_stream(s));
}

void batchnorm_backward_many(cudaStream_t s, const op_args::batchnorm_backward* calls, int n, void* ws,
                             unsigned* counters) {
  batchnorm_backward_dispatch(calls, n, ws, counters, on_stream(s));
}

void batchnorm_backward_affine(cudaStream_t s, int C, int HW, int B, const float* dy, const float* x, const float* mean,
                               const float* rstd, const float* relu_y, float* dgamma, float* dbeta, bool acc) {
  batchnorm_backward_affine_dispatch(C, HW, B, dy, x, mean, rstd, relu_y, dgamma, dbeta, acc, on_stream(s));
}

size_t batchnorm_tangent_scratch_floats(int C) { return size_t(C) * kCoef; }

void batchnorm_tangent_forward(cudaStream_t s, int C, int HW, int B, const float* x, const float* tx,
                               const float* gamma, const float* tgamma, const float* tbeta, const float* mean,
                               const float* rstd, const float* relu_y, float* ty, BnStore store, float* coef) {
  batchnorm_tangent_forward_dispatch(C, HW, B, x, tx, gamma, tgamma, tbeta, mean, rstd, relu_y, ty, store, coef,
                                     on_stream(s));
}

void batchnorm_tangent_backward(cudaStream_t s, int C, int HW, int B, const float* dy, const float* tdy, const float* x,
                                const float* tx, const float* gamma, const float* tgamma, const float* mean,
                                const float* rstd, const float* relu_y, float* tdx, float* tdgamma, float* tdbeta,
                                bool acc, float* coef) {
  batchnorm_tangent_backward_dispatch(C, HW, B, dy, tdy, x, tx, gamma, tgamma, mean, rstd, relu_y, tdx, tdgamma, tdbeta,
                                      acc, coef, on_stream(s));
}

}  // namespace naswot::cuda
