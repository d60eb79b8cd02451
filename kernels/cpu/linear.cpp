// Fully connected layer on one-pixel activations of the blocked layout ([block][channel][lane]).
#include <algorithm>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/simd.h"

namespace naswot::cpu {

namespace {
constexpr int L = simd::kLanes;
}

void linear_forward(int B, int In, int Out, const float* x, const float* w, const float* bias, float* y) {
  const int nblk = batch_blocks(B);
  for (int blk = 0; blk < nblk; ++blk)
    for (int o = 0; o < Out; ++o)
      for (int l = 0; l < L; ++l) {
        float s = 0.f;
        for (int i = 0; i < In; ++i) s += w[size_t(o) * In + i] * x[(size_t(blk) * In + i) * L + l];
        y[(size_t(blk) * Out + o) * L + l] = s + bias[o];
      }
}

void linear_backward_data(int B, int In, int Out, const float* dy, const float* w, float* dx, bool accumulate) {
  const int nblk = batch_blocks(B);
  for (int blk = 0; blk < nblk; ++blk)
    for (int i = 0; i < In; ++i)
      for (int l = 0; l < L; ++l) {
        float s = 0.f;
        for (int o = 0; o < Out; ++o) s += w[size_t(o) * In + i] * dy[(size_t(blk) * Out + o) * L + l];
        float& d = dx[(size_t(blk) * In + i) * L + l];
        d = accumulate ? d + s : s;
      }
}

void linear_backward_weight(int B, int In, int Out, const float* x, const float* dy, float* dw, float* dbias,
                            bool accumulate) {
  // Sums over the real samples in float64, in sample order.
  const int nblk = batch_blocks(B);
  for (int o = 0; o < Out; ++o) {
    double sb = 0;
    for (int blk = 0; blk < nblk; ++blk)
      for (int l = 0; l < std::min(L, B - blk * L); ++l) sb += dy[(size_t(blk) * Out + o) * L + l];
    dbias[o] = accumulate ? dbias[o] + float(sb) : float(sb);
    for (int i = 0; i < In; ++i) {
      double s = 0;
      for (int blk = 0; blk < nblk; ++blk)
        for (int l = 0; l < std::min(L, B - blk * L); ++l)
          s += double(dy[(size_t(blk) * Out + o) * L + l]) * double(x[(size_t(blk) * In + i) * L + l]);
      float& d = dw[size_t(o) * In + i];
      d = accumulate ? d + float(s) : float(s);
    }
  }
}

}  // namespace naswot::cpu
