// Fully connected layer on channel-major [In][B] features, with its data gradient.
#include "kernels/cpu/cpu_kernels.h"

namespace naswot::cpu {

void linear_forward(int B, int In, int Out, const float* x, const float* w, const float* bias, float* y) {
  for (int o = 0; o < Out; ++o)
    for (int b = 0; b < B; ++b) {
      float s = 0.f;
      for (int i = 0; i < In; ++i) s += w[size_t(o) * In + i] * x[size_t(i) * B + b];
      y[size_t(o) * B + b] = s + bias[o];
    }
}

void linear_backward_data(int B, int In, int Out, const float* dy, const float* w, float* dx, bool accumulate) {
  for (int i = 0; i < In; ++i)
    for (int b = 0; b < B; ++b) {
      float s = 0.f;
      for (int o = 0; o < Out; ++o) s += w[size_t(o) * In + i] * dy[size_t(o) * B + b];
      dx[size_t(i) * B + b] = accumulate ? dx[size_t(i) * B + b] + s : s;
    }
}

}  // namespace naswot::cpu
