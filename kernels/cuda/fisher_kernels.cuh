// The fisher proxy's per-layer terms on [B][C][H][W] (kernels/ops.def, fisher_terms): per channel a
// float64 sum in a fixed order, then the channels in order (deterministic).
// Device code and its launches without launch syntax: the launchers call launch(kernel, grid,
// threads, args...), on a stream in fisher.cu (kernels/cuda/on_stream.cuh) and on the CPU under
// tests/simt_emulator.h.
#pragma once
#include "kernels/cuda/reduce.cuh"
#include "kernels/op_table.h"

namespace naswot::cuda {
namespace {  // one copy per translation unit: the GPU build's and the emulation's never meet

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

template <class Launch>
void fisher_terms(int C, int HW, int B, const float* act, const float* grad, float* out, bool acc, double* scratch,
                  Launch&& launch) {
  if (C <= 0) return;
  launch(fisher_channel_k, dim3(C), unsigned(256), C, HW, B, act, grad, scratch);
  launch(fisher_sum_k, dim3(1), unsigned(1), C, scratch, out, acc);
}

}  // namespace
}  // namespace naswot::cuda
