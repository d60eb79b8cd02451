// The fisher proxy's per-layer terms on the blocked layout (kernels/ops.def, fisher_terms).
#include <algorithm>
#include <vector>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/simd.h"

namespace naswot::cpu {
namespace {
constexpr int L = simd::kLanes;
}  // namespace

void fisher_terms(int C, int P, int B, const float* act, const float* grad, float* out, bool accumulate) {
  // Per (sample, channel) the dot product over pixels in float64, pixel order (the block's rows are
  // read once, contiguously); then per channel the squares summed over samples in order, and the
  // channels in order.
  const int nblk = batch_blocks(B);
  std::vector<double> dot(size_t(C) * L), sq(size_t(C), 0.0);
  for (int blk = 0; blk < nblk; ++blk) {
    std::fill(dot.begin(), dot.end(), 0.0);
    for (int p = 0; p < P; ++p) {
      const size_t row = (size_t(blk) * P + p) * C * L;
      for (size_t e = 0; e < size_t(C) * L; ++e) dot[e] += double(act[row + e]) * double(grad[row + e]);
    }
    const int nl = std::min(L, B - blk * L);  // padding lanes never enter
    for (int c = 0; c < C; ++c)
      for (int l = 0; l < nl; ++l) sq[size_t(c)] += dot[size_t(c) * L + l] * dot[size_t(c) * L + l];
  }
  double total = 0;
  for (int c = 0; c < C; ++c) total += 0.5 * sq[size_t(c)] / double(B);
  out[0] = accumulate ? out[0] + float(total) : float(total);
}

}  // namespace naswot::cpu
