// Average pools (3x3/s1/p1 without padded cells, 2x2/s2), max pools and global average pool on the
// blocked layout. A (block, pixel) row holds C x lanes contiguous values, so every spatial step moves
// by whole rows and the inner loops run over a row and vectorise.
#include <algorithm>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/simd.h"

namespace naswot::cpu {
namespace {

constexpr int L = simd::kLanes;

// Number of in-image pixels in the 3x3 window centred on (i, j) (count_include_pad = false).
inline int window_count(int i, int j, int H, int W) {
  return (3 - (i == 0) - (i == H - 1)) * (3 - (j == 0) - (j == W - 1));
}

// Row (block, pixel) of an activation whose rows hold R values.
inline const float* row(const float* t, int blk, int P, int pix, size_t R) { return t + (size_t(blk) * P + pix) * R; }
inline float* row(float* t, int blk, int P, int pix, size_t R) { return t + (size_t(blk) * P + pix) * R; }

// Pixel index of the first maximum (row-major window order, as PyTorch) of output (i, j)'s window;
// x0 is one value at pixel 0, and pixels are `stride_px` floats apart.
int window_argmax(const float* x0, size_t stride_px, int H, int W, int k, int stride, int pad, int i, int j) {
  int arg = -1;
  float best = 0;
  for (int ii = std::max(0, i * stride - pad); ii < std::min(H, i * stride - pad + k); ++ii)
    for (int jj = std::max(0, j * stride - pad); jj < std::min(W, j * stride - pad + k); ++jj) {
      const float v = x0[size_t(ii * W + jj) * stride_px];
      if (arg < 0 || v > best) best = v, arg = ii * W + jj;
    }
  return arg;
}

}  // namespace

void avgpool3x3_forward(int C, int H, int W, int B, const float* x, float* y) {
  const int nblk = batch_blocks(B);
  const size_t R = size_t(C) * L;
  const int P = H * W;
#pragma omp parallel for collapse(2) schedule(static)
  for (int blk = 0; blk < nblk; ++blk)
    for (int i = 0; i < H; ++i)
      for (int j = 0; j < W; ++j) {
        float* out = row(y, blk, P, i * W + j, R);
        const float inv = 1.f / float(window_count(i, j, H, W));
        std::fill(out, out + R, 0.f);
        for (int ii = std::max(0, i - 1); ii <= std::min(H - 1, i + 1); ++ii)
          for (int jj = std::max(0, j - 1); jj <= std::min(W - 1, j + 1); ++jj) {
            const float* in = row(x, blk, P, ii * W + jj, R);
#pragma omp simd
            for (size_t e = 0; e < R; ++e) out[e] += in[e];
          }
#pragma omp simd
        for (size_t e = 0; e < R; ++e) out[e] *= inv;
      }
}

void avgpool3x3_backward(int C, int H, int W, int B, const float* dy, float* dx, bool accumulate) {
  const int nblk = batch_blocks(B);
  // The window is symmetric: input pixel (i, j) receives dy/count from the outputs within distance 1.
  const size_t R = size_t(C) * L;
  const int P = H * W;
#pragma omp parallel for collapse(2) schedule(static)
  for (int blk = 0; blk < nblk; ++blk)
    for (int i = 0; i < H; ++i)
      for (int j = 0; j < W; ++j) {
        float* out = row(dx, blk, P, i * W + j, R);
        if (!accumulate) std::fill(out, out + R, 0.f);
        for (int ii = std::max(0, i - 1); ii <= std::min(H - 1, i + 1); ++ii)
          for (int jj = std::max(0, j - 1); jj <= std::min(W - 1, j + 1); ++jj) {
            const float* g = row(dy, blk, P, ii * W + jj, R);
            const float inv = 1.f / float(window_count(ii, jj, H, W));
#pragma omp simd
            for (size_t e = 0; e < R; ++e) out[e] += g[e] * inv;
          }
      }
}

void avgpool2x2_forward(int C, int H, int W, int B, const float* x, float* y) {
  const int nblk = batch_blocks(B);
  const int Ho = H / 2, Wo = W / 2;
  const size_t R = size_t(C) * L;
#pragma omp parallel for collapse(2) schedule(static)
  for (int blk = 0; blk < nblk; ++blk)
    for (int i = 0; i < Ho; ++i)
      for (int j = 0; j < Wo; ++j) {
        const float* a = row(x, blk, H * W, 2 * i * W + 2 * j, R);
        const float* b = a + R;
        const float* c = a + W * R;
        const float* d = c + R;
        float* out = row(y, blk, Ho * Wo, i * Wo + j, R);
#pragma omp simd
        for (size_t e = 0; e < R; ++e) out[e] = (a[e] + b[e] + c[e] + d[e]) * 0.25f;
      }
}

void avgpool2x2_backward(int C, int H, int W, int B, const float* dy, float* dx, bool accumulate) {
  const int nblk = batch_blocks(B);
  const int Ho = H / 2, Wo = W / 2;
  const size_t R = size_t(C) * L;
#pragma omp parallel for collapse(2) schedule(static)
  for (int blk = 0; blk < nblk; ++blk)
    for (int i = 0; i < H; ++i)
      for (int j = 0; j < W; ++j) {
        float* out = row(dx, blk, H * W, i * W + j, R);
        // Odd trailing rows/columns are dropped by the forward pass and get no gradient.
        if (i / 2 >= Ho || j / 2 >= Wo) {
          if (!accumulate) std::fill(out, out + R, 0.f);
          continue;
        }
        const float* g = row(dy, blk, Ho * Wo, (i / 2) * Wo + j / 2, R);
        if (accumulate) {
#pragma omp simd
          for (size_t e = 0; e < R; ++e) out[e] += g[e] * 0.25f;
        } else {
#pragma omp simd
          for (size_t e = 0; e < R; ++e) out[e] = g[e] * 0.25f;
        }
      }
}

void global_avgpool_forward(int C, int HW, int B, const float* x, float* y) {
  const int nblk = batch_blocks(B);
  const size_t R = size_t(C) * L;
#pragma omp parallel for schedule(static)
  for (int blk = 0; blk < nblk; ++blk) {
    float* out = y + blk * R;
    std::fill(out, out + R, 0.f);
    for (int p = 0; p < HW; ++p) {
      const float* in = row(x, blk, HW, p, R);
#pragma omp simd
      for (size_t e = 0; e < R; ++e) out[e] += in[e];
    }
    for (size_t e = 0; e < R; ++e) out[e] /= float(HW);
  }
}

void global_avgpool_backward(int C, int HW, int B, const float* dy, float* dx, bool accumulate) {
  const int nblk = batch_blocks(B);
  const size_t R = size_t(C) * L;
#pragma omp parallel for collapse(2) schedule(static)
  for (int blk = 0; blk < nblk; ++blk)
    for (int p = 0; p < HW; ++p) {
      float* out = row(dx, blk, HW, p, R);
      const float* g = dy + blk * R;
      if (accumulate) {
#pragma omp simd
        for (size_t e = 0; e < R; ++e) out[e] += g[e] / float(HW);
      } else {
#pragma omp simd
        for (size_t e = 0; e < R; ++e) out[e] = g[e] / float(HW);
      }
    }
}

void maxpool_forward(int C, int H, int W, int B, int k, int stride, int pad, const float* x, float* y) {
  const int nblk = batch_blocks(B);
  const int Ho = (H + 2 * pad - k) / stride + 1, Wo = (W + 2 * pad - k) / stride + 1;
  const size_t R = size_t(C) * L;
#pragma omp parallel for collapse(2) schedule(static)
  for (int blk = 0; blk < nblk; ++blk)
    for (int i = 0; i < Ho; ++i)
      for (int j = 0; j < Wo; ++j) {
        float* out = row(y, blk, Ho * Wo, i * Wo + j, R);
        bool first = true;
        for (int di = 0; di < k; ++di) {
          const int ii = i * stride - pad + di;
          if (ii < 0 || ii >= H) continue;
          for (int dj = 0; dj < k; ++dj) {
            const int jj = j * stride - pad + dj;
            if (jj < 0 || jj >= W) continue;
            const float* in = row(x, blk, H * W, ii * W + jj, R);
            if (first) {
              std::copy(in, in + R, out);
              first = false;
            } else {
#pragma omp simd
              for (size_t e = 0; e < R; ++e) out[e] = in[e] > out[e] ? in[e] : out[e];
            }
          }
        }
      }
}

void maxpool_backward(int C, int H, int W, int B, int k, int stride, int pad, const float* x, const float* dy,
                      float* dx, bool accumulate) {
  const int nblk = batch_blocks(B);
  const int Ho = (H + 2 * pad - k) / stride + 1, Wo = (W + 2 * pad - k) / stride + 1;
  const size_t R = size_t(C) * L;
  // One thread per (block, channel): windows overlap (stride < k), so each value's scatters stay
  // within the thread that owns its channel.
#pragma omp parallel for collapse(2) schedule(static)
  for (int blk = 0; blk < nblk; ++blk)
    for (int c = 0; c < C; ++c) {
      const size_t e0 = size_t(c) * L;
      if (!accumulate)
        for (int p = 0; p < H * W; ++p) std::fill_n(row(dx, blk, H * W, p, R) + e0, L, 0.f);
      for (int i = 0; i < Ho; ++i)
        for (int j = 0; j < Wo; ++j) {
          const float* g = row(dy, blk, Ho * Wo, i * Wo + j, R) + e0;
          for (int l = 0; l < L; ++l) {
            const int arg = window_argmax(row(x, blk, H * W, 0, R) + e0 + l, R, H, W, k, stride, pad, i, j);
            row(dx, blk, H * W, arg, R)[e0 + l] += g[l];
          }
        }
    }
}

}  // namespace naswot::cpu
