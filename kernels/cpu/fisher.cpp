// The fisher proxy's per-layer terms on the blocked layout (kernels/ops.def, fisher_terms).
#include <algorithm>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/simd.h"

namespace naswot::cpu {
namespace {
constexpr int L = simd::kLanes;
}  // namespace

void fisher_terms(int C, int P, int B, const float* act, const float* grad, float* out, bool accumulate) {
  // Per (sample, channel) the dot product over pixels in float64, pixel order; then the squares'
  // mean over samples per channel, channels in order.
  const int nblk = batch_blocks(B);
  double total = 0;
  for (int c = 0; c < C; ++c) {
    double sq = 0;
    for (int blk = 0; blk < nblk; ++blk)
      for (int l = 0; l < std::min(L, B - blk * L); ++l) {
        double dot = 0;
        for (int p = 0; p < P; ++p) {
          const size_t i = ((size_t(blk) * P + p) * C + c) * L + l;
          dot += double(act[i]) * double(grad[i]);
        }
        sq += dot * dot;
      }
    total += 0.5 * sq / double(B);
  }
  out[0] = accumulate ? out[0] + float(total) : float(total);
}

}  // namespace naswot::cpu
