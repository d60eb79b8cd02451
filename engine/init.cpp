// PyTorch-default initialisation over counter-based random streams, or replayed from PyTorch's generator.
#include "engine/init.h"

#include <algorithm>
#include <cmath>

#include "engine/error.h"
#include "engine/rng.h"

namespace naswot {

double standard_normal(uint64_t key, uint64_t i) {
  // Box-Muller on two counter-based uniforms; (0, 1] keeps the log finite.
  const double u1 = (double(draw(key, 2 * i) >> 11) + 1.0) * 0x1.0p-53;
  const double u2 = double(draw(key, 2 * i + 1) >> 11) * 0x1.0p-53;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
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
        const uint64_t key = stream_key(seed, arch_key, p);
        for (size_t i = 0; i < prm.size; ++i) out[i] = float(sd * standard_normal(key, i));
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
