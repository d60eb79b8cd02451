// A network's parameters drawn in place (kernels/ops.def, draw_weights): fills, the uniform formula and
// the normal draws of kernels/normal_draw.h. Compiled without contraction (-ffp-contract=off), so
// every build and the CUDA kernel (kernels/cuda/draws.cu) give the same bits.
#include <algorithm>

#include "kernels/counter_rng.h"
#include "kernels/cpu/cpu_kernels.h"
#include "kernels/normal_draw.h"

namespace naswot::cpu {
namespace {

// Portable builds for the x86-64 baseline get AVX-512 and AVX2 versions of the loop too, picked at load
// time (4.8x and 2.5x the SSE2 one's speed on the development VM); lanes round as scalar code does, so
// every version's bits agree. Not where the build names an -march (native, or x86-64-v3 bundles): GCC
// does not inline the draws into a clone of another arch, and the clone would be slower than none.
#if defined(NASWOT_DRAW_CLONES) && defined(__x86_64__) && !defined(__AVX2__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
void fill_normal(float* out, size_t n, uint64_t key, double sd) {
  // Pair j gives elements 2j and 2j + 1; with no libm call in it, the loop vectorises.
  const size_t pairs = n / 2;
  for (size_t j = 0; j < pairs; ++j) {
    const normal_draw::Pair p = normal_draw::pair(draw(key, 2 * j), draw(key, 2 * j + 1));
    out[2 * j] = float(sd * p.z0);
    out[2 * j + 1] = float(sd * p.z1);
  }
  if (n % 2 != 0) out[n - 1] = float(sd * normal_draw::pair(draw(key, n - 1), draw(key, n)).z0);
}

void fill_uniform(float* out, size_t n, uint64_t key, float b) {
  for (size_t i = 0; i < n; ++i) out[i] = -b + 2.f * b * uniform01(key, i);  // fl(fl(2b u) - b): 2b is exact
}

}  // namespace

void draw_weights(const WeightDraw* table, int count, float* params) {
  for (int t = 0; t < count; ++t) {
    const WeightDraw& d = table[t];
    float* out = params + d.offset;
    switch (d.kind) {
      case WeightDraw::Fill: std::fill_n(out, d.size, d.value); break;
      case WeightDraw::Uniform: fill_uniform(out, d.size, d.key, d.value); break;
      case WeightDraw::Normal: fill_normal(out, d.size, d.key, d.sd); break;
    }
  }
}

}  // namespace naswot::cpu
