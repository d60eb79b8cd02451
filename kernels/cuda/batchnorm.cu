// Training-mode batch norm on [B][C][H][W]: per-channel float64 partial sums over sample groups,
// a fixed-order finalisation (deterministic), then an element-wise apply. Mirrors kernels/cpu/batchnorm.cpp.
#include <algorithm>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/reduce.cuh"

namespace naswot::cuda {
namespace {

constexpr int kMaxSplit = 64;

// Channels x splits blocks keep the GPU busy even for 16-channel layers.
int splits_for(int C, int B) { return std::max(1, std::min({kMaxSplit, B, (1024 + C - 1) / C})); }

// Sums over channel c of samples b = split, split + nsplit, ...: forward (x - x0, (x - x0)^2) or
// backward (dy, dy * (x - mean)).
template <bool kBackward>
__global__ void channel_sums_k(int C, int HW, int B, const float* __restrict__ x, const float* __restrict__ dy,
                               const float* __restrict__ mean, double* partial) {
  __shared__ double scratch[32];
  const int c = blockIdx.x, split = blockIdx.y, nsplit = gridDim.y;
  const int nb = (B - split + nsplit - 1) / nsplit;
  const size_t per = size_t(nb) * HW;
  const float ref = kBackward ? mean[c] : x[size_t(c) * HW];  // x0: the channel's first value
  double s = 0, ss = 0;
  for (size_t t = threadIdx.x; t < per; t += blockDim.x) {
    const int b = split + int(t / HW) * nsplit;
    const size_t at = (size_t(b) * C + c) * HW + t % HW;
    if (kBackward) {
      s += dy[at];
      ss += double(dy[at]) * double(x[at] - ref);
    } else {
      const double d = double(x[at]) - double(ref);
      s += d;
      ss += d * d;
    }
  }
  s = block_sum(s, scratch);
  ss = block_sum(ss, scratch);
  if (threadIdx.x == 0) {
    partial[(size_t(c) * nsplit + split) * 2] = s;
    partial[(size_t(c) * nsplit + split) * 2 + 1] = ss;
  }
}

// Forward: mean, rstd and the affine (scale, shift) per channel, in the CPU kernel's precision.
__global__ void bn_stats_k(int C, int nsplit, double M, const float* __restrict__ x, int HW,
                           const double* __restrict__ partial, const float* __restrict__ gamma,
                           const float* __restrict__ beta, float eps, float* mean, float* rstd, float* coef) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= C) return;
  double s = 0, ss = 0;
  for (int k = 0; k < nsplit; ++k) s += partial[(size_t(c) * nsplit + k) * 2], ss += partial[(size_t(c) * nsplit + k) * 2 + 1];
  const double x0 = x[size_t(c) * HW];
  const double dmu = s / M;
  const double var = fmax(0.0, ss / M - dmu * dmu);
  const float r = float(1.0 / sqrt(var + double(eps)));
  const float m = float(x0 + dmu);
  mean[c] = m;
  rstd[c] = r;
  const float scale = r * gamma[c];
  coef[2 * c] = scale;
  coef[2 * c + 1] = beta[c] - m * scale;
}

__global__ void bn_apply_k(size_t n, int C, int HW, const float* __restrict__ x, const float* __restrict__ coef,
                           float* y) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    const int c = int((i / HW) % C);
    y[i] = x[i] * coef[2 * c] + coef[2 * c + 1];
  }
}

// Backward: g = gamma * rstd, a = mean(dy), b = mean(dy * (x - m)) * rstd^2 per channel.
__global__ void bn_grad_coef_k(int C, int nsplit, double M, const double* __restrict__ partial,
                               const float* __restrict__ gamma, const float* __restrict__ rstd, float* coef) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= C) return;
  double sdy = 0, sdyx = 0;
  for (int k = 0; k < nsplit; ++k)
    sdy += partial[(size_t(c) * nsplit + k) * 2], sdyx += partial[(size_t(c) * nsplit + k) * 2 + 1];
  const float r = rstd[c];
  coef[3 * c] = gamma[c] * r;
  coef[3 * c + 1] = float(sdy / M);
  coef[3 * c + 2] = float(sdyx / M) * r * r;
}

__global__ void bn_backward_apply_k(size_t n, int C, int HW, const float* __restrict__ dy,
                                    const float* __restrict__ x, const float* __restrict__ mean,
                                    const float* __restrict__ coef, float* dx, bool acc) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    const int c = int((i / HW) % C);
    const float v = coef[3 * c] * (dy[i] - coef[3 * c + 1] - (x[i] - mean[c]) * coef[3 * c + 2]);
    dx[i] = acc ? dx[i] + v : v;
  }
}

}  // namespace

size_t batchnorm_workspace_bytes(int C, int B) {
  return size_t(C) * splits_for(C, B) * 2 * sizeof(double) + size_t(C) * 3 * sizeof(float);
}

void batchnorm_forward(cudaStream_t s, int C, int HW, int B, const float* x, const float* gamma, const float* beta,
                       float eps, float* y, float* mean, float* rstd, void* ws) {
  const int nsplit = splits_for(C, B);
  double* partial = static_cast<double*>(ws);
  float* coef = reinterpret_cast<float*>(partial + size_t(C) * nsplit * 2);
  channel_sums_k<false><<<dim3(C, nsplit), kThreads, 0, s>>>(C, HW, B, x, nullptr, nullptr, partial);
  NASWOT_CUDA_LAUNCH_CHECK();
  bn_stats_k<<<(C + 127) / 128, 128, 0, s>>>(C, nsplit, double(B) * HW, x, HW, partial, gamma, beta, eps, mean, rstd,
                                              coef);
  NASWOT_CUDA_LAUNCH_CHECK();
  const size_t n = size_t(B) * C * HW;
  bn_apply_k<<<grid_for(n), kThreads, 0, s>>>(n, C, HW, x, coef, y);
  NASWOT_CUDA_LAUNCH_CHECK();
}

void batchnorm_backward(cudaStream_t s, int C, int HW, int B, const float* dy, const float* x, const float* gamma,
                        const float* mean, const float* rstd, float* dx, bool acc, void* ws) {
  const int nsplit = splits_for(C, B);
  double* partial = static_cast<double*>(ws);
  float* coef = reinterpret_cast<float*>(partial + size_t(C) * nsplit * 2);
  channel_sums_k<true><<<dim3(C, nsplit), kThreads, 0, s>>>(C, HW, B, x, dy, mean, partial);
  NASWOT_CUDA_LAUNCH_CHECK();
  bn_grad_coef_k<<<(C + 127) / 128, 128, 0, s>>>(C, nsplit, double(B) * HW, partial, gamma, rstd, coef);
  NASWOT_CUDA_LAUNCH_CHECK();
  const size_t n = size_t(B) * C * HW;
  bn_backward_apply_k<<<grid_for(n), kThreads, 0, s>>>(n, C, HW, dy, x, mean, coef, dx, acc);
  NASWOT_CUDA_LAUNCH_CHECK();
}

}  // namespace naswot::cuda
