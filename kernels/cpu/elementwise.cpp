// ReLU, n-ary add, copy/accumulate and fill over flat float arrays; channel-range copies.
#include <algorithm>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/simd.h"

namespace naswot::cpu {

void relu_forward(size_t n, const float* x, float* y) {
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f;
}

void relu_backward(size_t n, const float* dy, const float* y, float* dx, bool accumulate) {
  if (accumulate) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; ++i) dx[i] += y[i] > 0.f ? dy[i] : 0.f;
  } else {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; ++i) dx[i] = y[i] > 0.f ? dy[i] : 0.f;
  }
}

void add_forward(size_t n, const float* const* xs, int count, float* y) {
  // Left to right, like Python's sum over the cell's incoming edges.
  const float* a = xs[0];
  const float* b = xs[1];
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
  for (int k = 2; k < count; ++k) {
    const float* c = xs[k];
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; ++i) y[i] += c[i];
  }
}

void copy_or_accumulate(size_t n, const float* src, float* dst, bool accumulate) {
  if (accumulate) {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; ++i) dst[i] += src[i];
  } else {
#pragma omp parallel for simd schedule(static)
    for (size_t i = 0; i < n; ++i) dst[i] = src[i];
  }
}

void fill(size_t n, float v, float* y) {
#pragma omp parallel for simd schedule(static)
  for (size_t i = 0; i < n; ++i) y[i] = v;
}

void copy_channels(int B, int P, int count, const float* src, int src_C, int src_c0, float* dst, int dst_C, int dst_c0,
                   bool accumulate) {
  constexpr int L = simd::kLanes;
  const int nblk = batch_blocks(B);
  const size_t run = size_t(count) * L;  // the channels of one pixel of one block are contiguous
#pragma omp parallel for collapse(2) schedule(static)
  for (int blk = 0; blk < nblk; ++blk)
    for (int p = 0; p < P; ++p) {
      const float* s = src + ((size_t(blk) * P + p) * src_C + src_c0) * L;
      float* d = dst + ((size_t(blk) * P + p) * dst_C + dst_c0) * L;
      if (accumulate) {
        for (size_t i = 0; i < run; ++i) d[i] += s[i];
      } else {
        std::copy(s, s + run, d);
      }
    }
}

}  // namespace naswot::cpu
