// Training-mode batch norm forward/backward; per-channel sums in float64, one thread per channel.
#include <algorithm>
#include <cmath>

#include "kernels/cpu/cpu_kernels.h"

namespace naswot::cpu {

void batchnorm_forward(int C, size_t M, const float* x, const float* gamma, const float* beta, float eps,
                       float* y, float* mean, float* rstd) {
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; ++c) {
    const float* xc = x + size_t(c) * M;
    float* yc = y + size_t(c) * M;
    // Shifted single pass: sums of (x - x0) in float64 keep the variance exact enough without a
    // second read of the channel.
    const double x0 = xc[0];
    double s = 0, ss = 0;
#pragma omp simd reduction(+ : s, ss)
    for (size_t i = 0; i < M; ++i) {
      const double t = double(xc[i]) - x0;
      s += t;
      ss += t * t;
    }
    const double dmu = s / double(M);
    const double var = std::max(0.0, ss / double(M) - dmu * dmu);  // biased, as PyTorch normalises in training
    const float r = float(1.0 / std::sqrt(var + double(eps)));
    const float m = float(x0 + dmu);
    mean[c] = m;
    rstd[c] = r;
    const float scale = r * gamma[c], shift = beta[c] - m * scale;
#pragma omp simd
    for (size_t i = 0; i < M; ++i) yc[i] = xc[i] * scale + shift;
  }
}

void batchnorm_backward(int C, size_t M, const float* dy, const float* x, const float* gamma,
                        const float* mean, const float* rstd, float* dx, bool accumulate) {
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; ++c) {
    const float* dyc = dy + size_t(c) * M;
    const float* xc = x + size_t(c) * M;
    float* dxc = dx + size_t(c) * M;
    const float m = mean[c], r = rstd[c];
    double sdy = 0, sdyx = 0;
#pragma omp simd reduction(+ : sdy, sdyx)
    for (size_t i = 0; i < M; ++i) {
      sdy += dyc[i];
      sdyx += double(dyc[i]) * double(xc[i] - m);
    }
    // dx = gamma*rstd * (dy - mean(dy) - xhat * mean(dy*xhat)),  xhat = (x - m) * r
    const float g = gamma[c] * r;
    const float a = float(sdy / double(M)), b = float(sdyx / double(M)) * r * r;
    if (accumulate) {
#pragma omp simd
      for (size_t i = 0; i < M; ++i) dxc[i] += g * (dyc[i] - a - (xc[i] - m) * b);
    } else {
#pragma omp simd
      for (size_t i = 0; i < M; ++i) dxc[i] = g * (dyc[i] - a - (xc[i] - m) * b);
    }
  }
}

}  // namespace naswot::cpu
