// Training-mode batch norm forward/backward; per-channel sums in float64, one thread per channel.
#include <cmath>

#include "kernels/cpu/cpu_kernels.h"

namespace naswot::cpu {

void batchnorm_forward(int C, size_t M, const float* x, const float* gamma, const float* beta, float eps,
                       float* y, float* mean, float* rstd) {
#pragma omp parallel for schedule(static)
  for (int c = 0; c < C; ++c) {
    const float* xc = x + size_t(c) * M;
    float* yc = y + size_t(c) * M;
    double s = 0, ss = 0;
    for (size_t i = 0; i < M; ++i) s += xc[i];
    const double mu = s / double(M);
    for (size_t i = 0; i < M; ++i) {
      const double t = xc[i] - mu;
      ss += t * t;
    }
    const double var = ss / double(M);  // biased, as PyTorch normalises in training mode
    const float r = float(1.0 / std::sqrt(var + double(eps)));
    const float m = float(mu);
    mean[c] = m;
    rstd[c] = r;
    const float scale = r * gamma[c], shift = beta[c];
    for (size_t i = 0; i < M; ++i) yc[i] = (xc[i] - m) * scale + shift;
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
    for (size_t i = 0; i < M; ++i) {
      sdy += dyc[i];
      sdyx += double(dyc[i]) * double((xc[i] - m) * r);
    }
    // dx = gamma*rstd * (dy - mean(dy) - xhat * mean(dy*xhat))
    const float a = float(sdy / double(M)), b = float(sdyx / double(M));
    const float g = gamma[c] * r;
    if (accumulate)
      for (size_t i = 0; i < M; ++i) dxc[i] += g * (dyc[i] - a - (xc[i] - m) * r * b);
    else
      for (size_t i = 0; i < M; ++i) dxc[i] = g * (dyc[i] - a - (xc[i] - m) * r * b);
  }
}

}  // namespace naswot::cpu
