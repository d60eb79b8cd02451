// PyTorch-default initialisation over counter-based random streams, or replayed from PyTorch's generator.
#include "engine/init.h"

#include <algorithm>
#include <cmath>

#include "engine/error.h"
#include "engine/rng.h"
#include "kernels/normal_draw.h"

namespace naswot {

std::pair<double, double> normal_pair(uint64_t r1, uint64_t r2) {
  const normal_draw::Pair p = normal_draw::pair(r1, r2);
  return {p.z0, p.z1};
}

double standard_normal(uint64_t key, uint64_t i) {
  const uint64_t j = i / 2;
  const auto [z0, z1] = normal_pair(draw(key, 2 * j), draw(key, 2 * j + 1));
  return i % 2 == 0 ? z0 : z1;
}

// Portable builds for the x86-64 baseline get AVX-512 and AVX2 versions of the loop too, picked at load
// time (4.8x and 2.5x the SSE2 one's speed on the development VM); lanes round as scalar code does, so
// every version's bits agree. Not where the build names an -march (native, or x86-64-v3 bundles): GCC
// does not inline the draws into a clone of another arch, and the clone would be slower than none.
#if defined(NASWOT_INIT_CLONES) && defined(__x86_64__) && !defined(__AVX2__) && defined(__GNUC__) && !defined(__clang__)
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
  if (n % 2 != 0) out[n - 1] = float(sd * standard_normal(key, n - 1));
}

std::vector<float> init_params(const Graph& g, uint64_t seed, uint64_t arch_key) {
  std::vector<float> w(g.num_params());
  for (size_t p = 0; p < g.params.size(); ++p) {
    const Param& prm = g.params[p];
    float* out = w.data() + prm.offset;
    switch (prm.init) {
      case InitKind::Ones:
        for (size_t i = 0; i < prm.size; ++i) out[i] = 1.f;
        break;
      case InitKind::Zeros:
        for (size_t i = 0; i < prm.size; ++i) out[i] = 0.f;
        break;
      case InitKind::HeNormalFanOut:
      case InitKind::Normal001:
      case InitKind::StandardNormal: {
        const double sd = prm.init == InitKind::Normal001        ? 0.01
                          : prm.init == InitKind::StandardNormal ? 1.0
                                                                 : std::sqrt(2.0 / double(prm.fan_out));
        fill_normal(out, prm.size, stream_key(seed, arch_key, p), sd);
        break;
      }
      case InitKind::KaimingUniformA5:
      case InitKind::LinearBias: {
        // Both reduce to a bound of 1/sqrt(fan_in) (gain sqrt(2/(1+5)) * sqrt(3) = 1).
        const float b = float(1.0 / std::sqrt(double(prm.fan_in)));
        const uint64_t key = stream_key(seed, arch_key, p);
        for (size_t i = 0; i < prm.size; ++i) out[i] = -b + 2.f * b * uniform01(key, i);
        break;
      }
    }
  }
  return w;
}

std::vector<float> init_params_torch(const Graph& g, TorchGenerator gen) {
  std::vector<float> w(g.num_params());
  for (const Param& prm : g.params) {
    float* out = w.data() + prm.offset;
    double bound = 0;
    switch (prm.init) {
      case InitKind::Ones: std::fill_n(out, prm.size, 1.f); continue;
      case InitKind::Zeros: std::fill_n(out, prm.size, 0.f); continue;
      case InitKind::KaimingUniformA5: bound = kaiming_uniform_a5_bound(prm.fan_in); break;
      case InitKind::LinearBias: bound = 1.0 / std::sqrt(double(prm.fan_in)); break;
      case InitKind::HeNormalFanOut:
      case InitKind::Normal001:
      case InitKind::StandardNormal:
        fail("PyTorch's normal_ initialisation (" + prm.name +
             ") is not replayed; the reference weights exist for NAS-Bench-201 only (docs/nb101.md, Weights)");
    }
    for (size_t i = 0; i < prm.size; ++i) out[i] = gen.uniform(-bound, bound);
  }
  return w;
}

}  // namespace naswot
