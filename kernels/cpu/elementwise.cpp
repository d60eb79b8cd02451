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

void copy_channels(int B, int P, int count, const float* src, int src_C, int src_c0, float* dst, int dst_C,
                   int dst_c0, bool accumulate) {
  constexpr int L = simd::kLanes;
  const size_t run = size_t(count) * L;  // the channels of one pixel of one block are contiguous
#pragma omp parallel for collapse(2) schedule(static)
  for (int blk = 0; blk < batch_blocks(B); ++blk)
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

void transpose(const float* src, float* dst, size_t rows, size_t cols) {
  constexpr size_t T = 32;
#pragma omp parallel for collapse(2) schedule(static)
  for (size_t r0 = 0; r0 < rows; r0 += T)
    for (size_t c0 = 0; c0 < cols; c0 += T)
      for (size_t r = r0; r < std::min(rows, r0 + T); ++r)
        for (size_t c = c0; c < std::min(cols, c0 + T); ++c) dst[c * rows + r] = src[r * cols + c];
}

}  // namespace naswot::cpu
