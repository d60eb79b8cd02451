// Max pool (CPU tie rule, gather backward) and global average pool on [B][C][H][W].
// (The average pools run on cuDNN; see engine/backend_cuda.cpp.)
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/launch.cuh"

namespace naswot::cuda {
namespace {

// Index (within the plane) of the first maximum of output (i, j)'s window, or -1 if it has no pixel.
__device__ inline int window_argmax(const float* __restrict__ plane, int H, int W, int k, int stride, int pad, int i,
                                    int j) {
  int arg = -1;
  float best = 0.f;
  for (int di = 0; di < k; ++di) {
    const int ii = i * stride - pad + di;
    if (ii < 0 || ii >= H) continue;
    for (int dj = 0; dj < k; ++dj) {
      const int jj = j * stride - pad + dj;
      if (jj < 0 || jj >= W) continue;
      const float v = plane[ii * W + jj];
      if (arg < 0 || v > best) best = v, arg = ii * W + jj;
    }
  }
  return arg;
}

// One block per (b, c) plane (plane_grid), threads over its outputs: no 64-bit index division.
__global__ void maxpool_forward_k(int H, int W, int Ho, int Wo, int k, int stride, int pad, const float* __restrict__ x,
                                  float* y) {
  const float* p = x + size_t(blockIdx.x) * H * W;
  float* out = y + size_t(blockIdx.x) * Ho * Wo;
  for (int r = threadIdx.x; r < Ho * Wo; r += blockDim.x) {
    const int i = r / Wo, j = r - i * Wo;
    // The CPU forward keeps max(in, out) with `in > out` from the first in-image pixel: the value of
    // the first maximum.
    const int arg = window_argmax(p, H, W, k, stride, pad, i, j);
    out[r] = arg < 0 ? 0.f : p[arg];
  }
}

// Each input pixel sums dy of the outputs whose window's first maximum it is (fixed order); one
// block per plane, threads over its pixels.
__global__ void maxpool_backward_k(int H, int W, int Ho, int Wo, int k, int stride, int pad,
                                   const float* __restrict__ x, const float* __restrict__ dy, float* dx, bool acc) {
  const float* p = x + size_t(blockIdx.x) * H * W;
  const float* g = dy + size_t(blockIdx.x) * Ho * Wo;
  float* d = dx + size_t(blockIdx.x) * H * W;
  for (int r = threadIdx.x; r < H * W; r += blockDim.x) {
    const int ii = r / W, jj = r - ii * W;
    // Outputs i with i*stride - pad <= ii <= i*stride - pad + k - 1.
    const int i_lo = max(0, (ii + pad - k + stride) / stride), i_hi = min(Ho - 1, (ii + pad) / stride);
    const int j_lo = max(0, (jj + pad - k + stride) / stride), j_hi = min(Wo - 1, (jj + pad) / stride);
    float v = 0.f;
    for (int i = i_lo; i <= i_hi; ++i)
      for (int j = j_lo; j <= j_hi; ++j)
        if (window_argmax(p, H, W, k, stride, pad, i, j) == r) v += g[i * Wo + j];
    d[r] = acc ? d[r] + v : v;
  }
}

// One warp per (b, c) plane.
__global__ void gap_forward_k(size_t planes, int HW, const float* __restrict__ x, float* y) {
  const size_t warp = (blockIdx.x * size_t(blockDim.x) + threadIdx.x) / 32;
  const int lane = threadIdx.x & 31;
  if (warp >= planes) return;
  const float* p = x + warp * HW;
  float s = 0.f;
  for (int i = lane; i < HW; i += 32) s += p[i];
  for (int o = 16; o > 0; o >>= 1) s += __shfl_down_sync(0xffffffffu, s, o);
  if (lane == 0) y[warp] = s / float(HW);
}

// One block per (b, c) plane (plane_grid).
__global__ void gap_backward_k(int HW, const float* __restrict__ dy, float* dx, bool acc) {
  const float v = dy[blockIdx.x] / float(HW);
  const size_t base = size_t(blockIdx.x) * HW;
  for (int p = threadIdx.x; p < HW; p += blockDim.x) dx[base + p] = acc ? dx[base + p] + v : v;
}

}  // namespace

void maxpool_forward(cudaStream_t s, int C, int H, int W, int B, int k, int stride, int pad, const float* x, float* y) {
  const int Ho = (H + 2 * pad - k) / stride + 1, Wo = (W + 2 * pad - k) / stride + 1;
  if (size_t(B) * C * Ho * Wo == 0) return;
  maxpool_forward_k<<<plane_grid(B, C), plane_threads(Ho * Wo), 0, s>>>(H, W, Ho, Wo, k, stride, pad, x, y);
  NASWOT_CUDA_LAUNCH_CHECK();
}

void maxpool_backward(cudaStream_t s, int C, int H, int W, int B, int k, int stride, int pad, const float* x,
                      const float* dy, float* dx, bool acc) {
  const int Ho = (H + 2 * pad - k) / stride + 1, Wo = (W + 2 * pad - k) / stride + 1;
  if (size_t(B) * C * H * W == 0) return;
  maxpool_backward_k<<<plane_grid(B, C), plane_threads(H * W), 0, s>>>(H, W, Ho, Wo, k, stride, pad, x, dy, dx, acc);
  NASWOT_CUDA_LAUNCH_CHECK();
}

void global_avgpool_forward(cudaStream_t s, int C, int HW, int B, const float* x, float* y) {
  const size_t planes = size_t(B) * C;
  if (!planes) return;
  gap_forward_k<<<unsigned((planes * 32 + kThreads - 1) / kThreads), kThreads, 0, s>>>(planes, HW, x, y);
  NASWOT_CUDA_LAUNCH_CHECK();
}

void global_avgpool_backward(cudaStream_t s, int C, int HW, int B, const float* dy, float* dx, bool acc) {
  if (size_t(B) * C * HW == 0) return;
  gap_backward_k<<<plane_grid(B, C), plane_threads(HW), 0, s>>>(HW, dy, dx, acc);
  NASWOT_CUDA_LAUNCH_CHECK();
}

}  // namespace naswot::cuda
