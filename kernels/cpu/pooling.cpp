// Average pools (3x3/s1/p1 without padded cells, 2x2/s2), max pools and global average pool on [C][H][W][B].
// Every spatial step moves by whole B-vectors, so the inner loops run over the batch and vectorise.
#include <algorithm>

#include "kernels/cpu/cpu_kernels.h"

namespace naswot::cpu {
namespace {

// Number of in-image pixels in the 3x3 window centred on (i, j) (count_include_pad = false).
inline int window_count(int i, int j, int H, int W) {
  return (3 - (i == 0) - (i == H - 1)) * (3 - (j == 0) - (j == W - 1));
}

}  // namespace

void avgpool3x3_forward(int C, int H, int W, int B, const float* x, float* y) {
#pragma omp parallel for collapse(2) schedule(static)
  for (int c = 0; c < C; ++c)
    for (int i = 0; i < H; ++i) {
      const float* xc = x + size_t(c) * H * W * B;
      for (int j = 0; j < W; ++j) {
        float* out = y + ((size_t(c) * H + i) * W + j) * B;
        const float inv = 1.f / float(window_count(i, j, H, W));
        for (int b = 0; b < B; ++b) out[b] = 0.f;
        for (int ii = i - 1; ii <= i + 1; ++ii) {
          if (ii < 0 || ii >= H) continue;
          for (int jj = j - 1; jj <= j + 1; ++jj) {
            if (jj < 0 || jj >= W) continue;
            const float* in = xc + (size_t(ii) * W + jj) * B;
#pragma omp simd
            for (int b = 0; b < B; ++b) out[b] += in[b];
          }
        }
#pragma omp simd
        for (int b = 0; b < B; ++b) out[b] *= inv;
      }
    }
}

void avgpool3x3_backward(int C, int H, int W, int B, const float* dy, float* dx, bool accumulate) {
  // The window is symmetric: input pixel (i, j) receives dy/count from the outputs within distance 1.
#pragma omp parallel for collapse(2) schedule(static)
  for (int c = 0; c < C; ++c)
    for (int i = 0; i < H; ++i) {
      const float* gc = dy + size_t(c) * H * W * B;
      for (int j = 0; j < W; ++j) {
        float* out = dx + ((size_t(c) * H + i) * W + j) * B;
        if (!accumulate)
          for (int b = 0; b < B; ++b) out[b] = 0.f;
        for (int ii = i - 1; ii <= i + 1; ++ii) {
          if (ii < 0 || ii >= H) continue;
          for (int jj = j - 1; jj <= j + 1; ++jj) {
            if (jj < 0 || jj >= W) continue;
            const float* g = gc + (size_t(ii) * W + jj) * B;
            const float inv = 1.f / float(window_count(ii, jj, H, W));
#pragma omp simd
            for (int b = 0; b < B; ++b) out[b] += g[b] * inv;
          }
        }
      }
    }
}

void avgpool2x2_forward(int C, int H, int W, int B, const float* x, float* y) {
  const int Ho = H / 2, Wo = W / 2;
#pragma omp parallel for collapse(2) schedule(static)
  for (int c = 0; c < C; ++c)
    for (int i = 0; i < Ho; ++i)
      for (int j = 0; j < Wo; ++j) {
        const float* r0 = x + ((size_t(c) * H + 2 * i) * W + 2 * j) * B;
        const float* r1 = r0 + size_t(W) * B;
        float* out = y + ((size_t(c) * Ho + i) * Wo + j) * B;
#pragma omp simd
        for (int b = 0; b < B; ++b) out[b] = (r0[b] + r0[B + b] + r1[b] + r1[B + b]) * 0.25f;
      }
}

void avgpool2x2_backward(int C, int H, int W, int B, const float* dy, float* dx, bool accumulate) {
  const int Ho = H / 2, Wo = W / 2;
#pragma omp parallel for collapse(2) schedule(static)
  for (int c = 0; c < C; ++c)
    for (int i = 0; i < H; ++i)
      for (int j = 0; j < W; ++j) {
        float* out = dx + ((size_t(c) * H + i) * W + j) * B;
        // Odd trailing rows/columns are dropped by the forward pass and get no gradient.
        if (i / 2 >= Ho || j / 2 >= Wo) {
          if (!accumulate)
            for (int b = 0; b < B; ++b) out[b] = 0.f;
          continue;
        }
        const float* g = dy + ((size_t(c) * Ho + i / 2) * Wo + j / 2) * B;
        if (accumulate) {
#pragma omp simd
          for (int b = 0; b < B; ++b) out[b] += g[b] * 0.25f;
        } else {
#pragma omp simd
          for (int b = 0; b < B; ++b) out[b] = g[b] * 0.25f;
        }
      }
}

void global_avgpool_forward(int C, int HW, int B, const float* x, float* y) {
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; ++c) {
    float* out = y + size_t(c) * B;
    for (int b = 0; b < B; ++b) out[b] = 0.f;
    for (int p = 0; p < HW; ++p) {
      const float* in = x + (size_t(c) * HW + p) * B;
#pragma omp simd
      for (int b = 0; b < B; ++b) out[b] += in[b];
    }
    for (int b = 0; b < B; ++b) out[b] /= float(HW);
  }
}

void global_avgpool_backward(int C, int HW, int B, const float* dy, float* dx, bool accumulate) {
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; ++c)
    for (int p = 0; p < HW; ++p) {
      float* out = dx + (size_t(c) * HW + p) * B;
      const float* g = dy + size_t(c) * B;
      if (accumulate) {
#pragma omp simd
        for (int b = 0; b < B; ++b) out[b] += g[b] / float(HW);
      } else {
#pragma omp simd
        for (int b = 0; b < B; ++b) out[b] = g[b] / float(HW);
      }
    }
}

void maxpool_forward(int C, int H, int W, int B, int k, int stride, int pad, const float* x, float* y) {
  const int Ho = (H + 2 * pad - k) / stride + 1, Wo = (W + 2 * pad - k) / stride + 1;
#pragma omp parallel for collapse(2) schedule(static)
  for (int c = 0; c < C; ++c)
    for (int i = 0; i < Ho; ++i)
      for (int j = 0; j < Wo; ++j) {
        float* out = y + ((size_t(c) * Ho + i) * Wo + j) * B;
        bool first = true;
        for (int di = 0; di < k; ++di) {
          const int ii = i * stride - pad + di;
          if (ii < 0 || ii >= H) continue;
          for (int dj = 0; dj < k; ++dj) {
            const int jj = j * stride - pad + dj;
            if (jj < 0 || jj >= W) continue;
            const float* in = x + ((size_t(c) * H + ii) * W + jj) * B;
            if (first) {
              for (int b = 0; b < B; ++b) out[b] = in[b];
              first = false;
            } else {
#pragma omp simd
              for (int b = 0; b < B; ++b) out[b] = in[b] > out[b] ? in[b] : out[b];
            }
          }
        }
      }
}

void maxpool_backward(int C, int H, int W, int B, int k, int stride, int pad, const float* x, const float* dy,
                      float* dx, bool accumulate) {
  const int Ho = (H + 2 * pad - k) / stride + 1, Wo = (W + 2 * pad - k) / stride + 1;
  // One thread per channel: windows overlap (stride < k), so scatters stay within a thread.
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; ++c) {
    float* dxc = dx + size_t(c) * H * W * B;
    const float* xc = x + size_t(c) * H * W * B;
    if (!accumulate) std::fill(dxc, dxc + size_t(H) * W * B, 0.f);
    for (int i = 0; i < Ho; ++i)
      for (int j = 0; j < Wo; ++j) {
        const float* g = dy + ((size_t(c) * Ho + i) * Wo + j) * B;
        for (int b = 0; b < B; ++b) {
          size_t arg = 0;
          float best = 0;
          bool first = true;
          for (int di = 0; di < k; ++di) {
            const int ii = i * stride - pad + di;
            if (ii < 0 || ii >= H) continue;
            for (int dj = 0; dj < k; ++dj) {
              const int jj = j * stride - pad + dj;
              if (jj < 0 || jj >= W) continue;
              const size_t at = (size_t(ii) * W + jj) * B + b;
              if (first || xc[at] > best) best = xc[at], arg = at, first = false;
            }
          }
          dxc[arg] += g[b];
        }
      }
  }
}

}  // namespace naswot::cpu
