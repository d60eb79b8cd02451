// The fisher proxy's per-layer terms on [B][C][H][W] (kernels/ops.def, fisher_terms): per channel a
// float64 sum in a fixed order, then the channels in order (deterministic).
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/reduce.cuh"

namespace naswot::cuda {
namespace {

// Channel blockIdx.x of the fisher terms: sum over samples of (sum over pixels of act * grad)^2, in
// float64, samples in order (one warp-sum per sample: fixed order).
__global__ void fisher_channel_k(int C, int HW, int B, const float* __restrict__ act, const float* __restrict__ grad,
                                 double* per_channel) {
  __shared__ double scratch[32];
  const int c = blockIdx.x;
  double sq = 0;
  for (int b = 0; b < B; ++b) {
    const size_t base = (size_t(b) * C + c) * HW;
    double dot = 0;
    for (int p = threadIdx.x; p < HW; p += blockDim.x) dot += double(act[base + p]) * double(grad[base + p]);
    dot = block_sum(dot, scratch);
    sq += dot * dot;  // every thread holds the same block sum
  }
  if (threadIdx.x == 0) per_channel[c] = 0.5 * sq / double(B);
}
__global__ void fisher_sum_k(int C, const double* per_channel, float* out, bool acc) {
  double total = 0;
  for (int c = 0; c < C; ++c) total += per_channel[c];
  out[0] = acc ? out[0] + float(total) : float(total);
}

}  // namespace

void fisher_terms(cudaStream_t s, int C, int HW, int B, const float* act, const float* grad, float* out, bool acc,
                  double* scratch) {
  if (C <= 0) return;
  fisher_channel_k<<<C, 256, 0, s>>>(C, HW, B, act, grad, scratch);
  NASWOT_CUDA_LAUNCH_CHECK();
  fisher_sum_k<<<1, 1, 0, s>>>(C, scratch, out, acc);
  NASWOT_CUDA_LAUNCH_CHECK();
}

}  // namespace naswot::cuda
