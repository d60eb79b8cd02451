// Element-wise CUDA kernels: fill, ReLU, n-ary add, copy/accumulate, per-sample block copy, bias.
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/launch.cuh"

namespace naswot::cuda {
namespace {

#define GRID_STRIDE(i, n) \
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < (n); i += size_t(gridDim.x) * blockDim.x)

__global__ void fill_k(size_t n, float v, float* y) { GRID_STRIDE(i, n) y[i] = v; }
__global__ void relu_forward_k(size_t n, const float* __restrict__ x, float* __restrict__ y) {
  GRID_STRIDE(i, n) y[i] = x[i] > 0.f ? x[i] : 0.f;
}
__global__ void relu_backward_k(size_t n, const float* __restrict__ dy, const float* __restrict__ y, float* dx,
                                bool acc) {
  GRID_STRIDE(i, n) {
    const float g = y[i] > 0.f ? dy[i] : 0.f;
    dx[i] = acc ? dx[i] + g : g;
  }
}

constexpr int kMaxAdd = 8;
struct AddArgs {
  const float* x[kMaxAdd];
};
// y = x0 + x1 + ... in input order (as the CPU kernel sums), or y += ... when `first` is false.
__global__ void add_k(size_t n, AddArgs a, int count, bool first, float* y) {
  GRID_STRIDE(i, n) {
    float v = first ? a.x[0][i] : y[i];
    for (int j = first ? 1 : 0; j < count; ++j) v += a.x[j][i];
    y[i] = v;
  }
}
__global__ void copy_k(size_t n, const float* __restrict__ src, float* dst, bool acc) {
  GRID_STRIDE(i, n) dst[i] = acc ? dst[i] + src[i] : src[i];
}
__global__ void copy_block_k(int B, size_t len, const float* __restrict__ src, size_t sps, size_t soff, float* dst,
                             size_t dps, size_t doff, bool acc) {
  const size_t n = size_t(B) * len;
  GRID_STRIDE(i, n) {
    const size_t b = i / len, e = i % len;
    const float v = src[b * sps + soff + e];
    float& d = dst[b * dps + doff + e];
    d = acc ? d + v : v;
  }
}
__global__ void add_bias_k(int B, int Out, const float* __restrict__ bias, float* y) {
  const size_t n = size_t(B) * Out;
  GRID_STRIDE(i, n) y[i] += bias[i % Out];
}

}  // namespace

void fill(cudaStream_t s, size_t n, float v, float* y) {
  if (!n) return;
  fill_k<<<grid_for(n), kThreads, 0, s>>>(n, v, y);
  NASWOT_CUDA_LAUNCH_CHECK();
}
void relu_forward(cudaStream_t s, size_t n, const float* x, float* y) {
  if (!n) return;
  relu_forward_k<<<grid_for(n), kThreads, 0, s>>>(n, x, y);
  NASWOT_CUDA_LAUNCH_CHECK();
}
void relu_backward(cudaStream_t s, size_t n, const float* dy, const float* y, float* dx, bool acc) {
  if (!n) return;
  relu_backward_k<<<grid_for(n), kThreads, 0, s>>>(n, dy, y, dx, acc);
  NASWOT_CUDA_LAUNCH_CHECK();
}
void add_forward(cudaStream_t s, size_t n, const float* const* xs, int count, float* y) {
  if (!n || count <= 0) return;
  for (int j0 = 0; j0 < count; j0 += kMaxAdd) {
    AddArgs a{};
    const int c = std::min(kMaxAdd, count - j0);
    for (int j = 0; j < c; ++j) a.x[j] = xs[j0 + j];
    add_k<<<grid_for(n), kThreads, 0, s>>>(n, a, c, j0 == 0, y);
    NASWOT_CUDA_LAUNCH_CHECK();
  }
}
void copy_or_accumulate(cudaStream_t s, size_t n, const float* src, float* dst, bool acc) {
  if (!n) return;
  if (!acc) {
    NASWOT_CUDA_CHECK(cudaMemcpyAsync(dst, src, n * sizeof(float), cudaMemcpyDeviceToDevice, s));
    return;
  }
  copy_k<<<grid_for(n), kThreads, 0, s>>>(n, src, dst, acc);
  NASWOT_CUDA_LAUNCH_CHECK();
}
void copy_block(cudaStream_t s, int B, size_t len, const float* src, size_t sps, size_t soff, float* dst, size_t dps,
                size_t doff, bool acc) {
  const size_t n = size_t(B) * len;
  if (!n) return;
  copy_block_k<<<grid_for(n), kThreads, 0, s>>>(B, len, src, sps, soff, dst, dps, doff, acc);
  NASWOT_CUDA_LAUNCH_CHECK();
}
void add_bias(cudaStream_t s, int B, int Out, const float* bias, float* y) {
  const size_t n = size_t(B) * Out;
  if (!n) return;
  add_bias_k<<<grid_for(n), kThreads, 0, s>>>(B, Out, bias, y);
  NASWOT_CUDA_LAUNCH_CHECK();
}

}  // namespace naswot::cuda
