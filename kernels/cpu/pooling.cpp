// Average pools (3x3/s1/p1 without padded cells, 2x2/s2) and global average pool, with backward.
#include "kernels/cpu/cpu_kernels.h"

namespace naswot::cpu {
namespace {

// Number of in-image pixels in the 3x3 window centred on (i, j) (count_include_pad = false).
inline float window_count(int i, int j, int H, int W) {
  const int rows = 3 - (i == 0) - (i == H - 1);
  const int cols = 3 - (j == 0) - (j == W - 1);
  return float(rows * cols);
}

}  // namespace

void avgpool3x3_forward(size_t planes, int H, int W, const float* x, float* y) {
  const size_t plane = size_t(H) * W;
#pragma omp parallel for schedule(static)
  for (size_t p = 0; p < planes; ++p) {
    const float* xi = x + p * plane;
    float* yo = y + p * plane;
    for (int i = 0; i < H; ++i)
      for (int j = 0; j < W; ++j) {
        float s = 0.f;
        for (int di = -1; di <= 1; ++di) {
          const int ii = i + di;
          if (ii < 0 || ii >= H) continue;
          for (int dj = -1; dj <= 1; ++dj) {
            const int jj = j + dj;
            if (jj >= 0 && jj < W) s += xi[ii * W + jj];
          }
        }
        yo[i * W + j] = s / window_count(i, j, H, W);
      }
  }
}

void avgpool3x3_backward(size_t planes, int H, int W, const float* dy, float* dx, bool accumulate) {
  const size_t plane = size_t(H) * W;
  // The window is symmetric, so input pixel (i, j) receives from the outputs within distance 1.
#pragma omp parallel for schedule(static)
  for (size_t p = 0; p < planes; ++p) {
    const float* g = dy + p * plane;
    float* o = dx + p * plane;
    for (int i = 0; i < H; ++i)
      for (int j = 0; j < W; ++j) {
        float s = 0.f;
        for (int di = -1; di <= 1; ++di) {
          const int ii = i + di;
          if (ii < 0 || ii >= H) continue;
          for (int dj = -1; dj <= 1; ++dj) {
            const int jj = j + dj;
            if (jj >= 0 && jj < W) s += g[ii * W + jj] / window_count(ii, jj, H, W);
          }
        }
        o[i * W + j] = accumulate ? o[i * W + j] + s : s;
      }
  }
}

void avgpool2x2_forward(size_t planes, int H, int W, const float* x, float* y) {
  const int Ho = H / 2, Wo = W / 2;
#pragma omp parallel for schedule(static)
  for (size_t p = 0; p < planes; ++p) {
    const float* xi = x + p * H * W;
    float* yo = y + p * Ho * Wo;
    for (int i = 0; i < Ho; ++i)
      for (int j = 0; j < Wo; ++j) {
        const float* r0 = xi + (2 * i) * W + 2 * j;
        yo[i * Wo + j] = (r0[0] + r0[1] + r0[W] + r0[W + 1]) / 4.f;
      }
  }
}

void avgpool2x2_backward(size_t planes, int H, int W, const float* dy, float* dx, bool accumulate) {
  const int Ho = H / 2, Wo = W / 2;
#pragma omp parallel for schedule(static)
  for (size_t p = 0; p < planes; ++p) {
    const float* g = dy + p * Ho * Wo;
    float* o = dx + p * H * W;
    for (int i = 0; i < H; ++i)
      for (int j = 0; j < W; ++j) {
        // Odd trailing rows/columns are dropped by the forward pass and get no gradient.
        const bool in = (i / 2) < Ho && (j / 2) < Wo;
        const float v = in ? g[(i / 2) * Wo + j / 2] / 4.f : 0.f;
        o[i * W + j] = accumulate ? o[i * W + j] + v : v;
      }
  }
}

void global_avgpool_forward(size_t planes, int HW, const float* x, float* y) {
#pragma omp parallel for schedule(static)
  for (size_t p = 0; p < planes; ++p) {
    float s = 0.f;
    for (int i = 0; i < HW; ++i) s += x[p * HW + i];
    y[p] = s / float(HW);
  }
}

void global_avgpool_backward(size_t planes, int HW, const float* dy, float* dx, bool accumulate) {
#pragma omp parallel for schedule(static)
  for (size_t p = 0; p < planes; ++p) {
    const float v = dy[p] / float(HW);
    for (int i = 0; i < HW; ++i) dx[p * HW + i] = accumulate ? dx[p * HW + i] + v : v;
  }
}

}  // namespace naswot::cpu
