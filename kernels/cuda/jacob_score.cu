// Sigma_J on the GPU, around cuBLAS DSYRK/SSYRK and cuSOLVER: float64 row centring and normalisation of J
// (with the CPU's degenerate-row checks), clamping, and the Cholesky terms of the score.
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/reduce.cuh"

namespace naswot::cuda {
namespace {

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

}  // namespace

void normalise_rows(cudaStream_t s, int B, size_t row, const float* J, double* A, int* flags) {
  normalise_rows_k<<<B, 512, 0, s>>>(row, J, A, flags);
  NASWOT_CUDA_LAUNCH_CHECK();
}
void normalise_rows(cudaStream_t s, int B, size_t row, const float* J, float* A, int* flags) {
  normalise_rows_k<<<B, 512, 0, s>>>(row, J, A, flags);
  NASWOT_CUDA_LAUNCH_CHECK();
}
void widen(cudaStream_t s, size_t n, const float* src, double* dst) {
  if (!n) return;
  widen_k<<<grid_for(n), kThreads, 0, s>>>(n, src, dst);
  NASWOT_CUDA_LAUNCH_CHECK();
}
void clamp_sigma(cudaStream_t s, int B, double* S, double shift, double* M) {
  clamp_sigma_k<<<grid_for(size_t(B) * B), kThreads, 0, s>>>(B, S, shift, M);
  NASWOT_CUDA_LAUNCH_CHECK();
}
void set_identity(cudaStream_t s, int B, double* X) {
  set_identity_k<<<grid_for(size_t(B) * B), kThreads, 0, s>>>(B, X);
  NASWOT_CUDA_LAUNCH_CHECK();
}
void cholesky_terms(cudaStream_t s, int B, const double* L, const double* X, double* out) {
  cholesky_terms_k<<<1, 256, 0, s>>>(B, L, X, out);
  NASWOT_CUDA_LAUNCH_CHECK();
}

}  // namespace naswot::cuda
