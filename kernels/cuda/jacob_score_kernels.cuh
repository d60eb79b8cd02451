// Sigma_J's own kernels around cuBLAS DSYRK/SSYRK and cuSOLVER: float64 row centring and normalisation
// of J (with the CPU's degenerate-row checks), widening, clamping, and the Cholesky terms of the score.
// Device code and its launches without launch syntax: the launchers call launch(kernel, grid,
// threads, args...), on a stream in jacob_score.cu (kernels/cuda/on_stream.cuh) and on the CPU under
// tests/simt_emulator.h.
#pragma once
#include <cmath>
#include <cstddef>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/reduce.cuh"

namespace naswot::cuda {
namespace {  // one copy per translation unit: the GPU build's and the emulation's never meet

// One block per row: sum (and finiteness), then the sum of squared deviations, then the scaled row
// (in float64, stored as T).
template <class T>
__global__ void normalise_rows_k(size_t row, const float* __restrict__ J, T* A, int* flags) {
  __shared__ double scratch[32];
  const int b = blockIdx.x;
  const float* src = J + size_t(b) * row;
  T* dst = A + size_t(b) * row;
  double s = 0, bad = 0;
  for (size_t c = threadIdx.x; c < row; c += blockDim.x) {
    const float v = src[c];
    if (isfinite(v))
      s += v;
    else
      bad = 1;
  }
  bad = block_sum(bad, scratch);
  if (bad > 0) {
    if (threadIdx.x == 0) flags[b] = 1;
    return;
  }
  s = block_sum(s, scratch);
  const double mean = s / double(row);
  double ss = 0;
  for (size_t c = threadIdx.x; c < row; c += blockDim.x) {
    const double d = double(src[c]) - mean;
    ss += d * d;
  }
  ss = block_sum(ss, scratch);
  if (!(ss > 0)) {
    if (threadIdx.x == 0) flags[b] = 2;
    return;
  }
  const double inv = 1.0 / sqrt(ss);
  for (size_t c = threadIdx.x; c < row; c += blockDim.x) dst[c] = T((double(src[c]) - mean) * inv);
  if (threadIdx.x == 0) flags[b] = 0;
}

__global__ void widen_k(size_t n, const float* __restrict__ src, double* dst) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    dst[i] = double(src[i]);
}

__global__ void clamp_sigma_k(int B, double* S, double shift, double* M) {
  const size_t n = size_t(B) * B;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    const int r = int(i % B), c = int(i / B);  // column-major: (r, c) at c * B + r
    if (r < c) continue;                       // the upper triangle is not referenced
    const double v = fmin(1.0, fmax(-1.0, S[i]));
    S[i] = v;
    if (M) M[i] = r == c ? v + shift : v;
  }
}

__global__ void set_identity_k(int B, double* X) {
  const size_t n = size_t(B) * B;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    X[i] = (i % B) == (i / B) ? 1.0 : 0.0;
}

__global__ void cholesky_terms_k(int B, const double* __restrict__ L, const double* __restrict__ X, double* out) {
  __shared__ double scratch[32];
  double ld = 0, tr = 0;
  for (int i = threadIdx.x; i < B; i += blockDim.x) {
    ld += 2.0 * log(L[size_t(i) * B + i]);
    tr += X[size_t(i) * B + i];
  }
  ld = block_sum(ld, scratch);
  tr = block_sum(tr, scratch);
  if (threadIdx.x == 0) out[0] = ld, out[1] = tr;
}

template <class T, class Launch>
void normalise_rows(int B, size_t row, const float* J, T* A, int* flags, Launch&& launch) {
  launch(normalise_rows_k<T>, dim3(unsigned(B)), unsigned(512), row, J, A, flags);
}
template <class Launch>
void widen(size_t n, const float* src, double* dst, Launch&& launch) {
  if (n) launch(widen_k, dim3(grid_for(n)), unsigned(kThreads), n, src, dst);
}
template <class Launch>
void clamp_sigma(int B, double* S, double shift, double* M, Launch&& launch) {
  launch(clamp_sigma_k, dim3(grid_for(size_t(B) * B)), unsigned(kThreads), B, S, shift, M);
}
template <class Launch>
void set_identity(int B, double* X, Launch&& launch) {
  launch(set_identity_k, dim3(grid_for(size_t(B) * B)), unsigned(kThreads), B, X);
}
template <class Launch>
void cholesky_terms(int B, const double* L, const double* X, double* out, Launch&& launch) {
  launch(cholesky_terms_k, dim3(1), unsigned(256), B, L, X, out);
}

}  // namespace
}  // namespace naswot::cuda
