// PyTorch-default initialisation over counter-based random streams, or replayed from PyTorch's generator.
#include "engine/init.h"

#include <algorithm>
#include <cmath>

#include "engine/error.h"
#include "engine/rng.h"
#include "kernels/cpu/cpu_kernels.h"
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

void fill_normal(float* out, size_t n, uint64_t key, double sd) {
  const WeightDraw d{WeightDraw::Normal, key, 0, n, 0.f, sd};
  cpu::draw_weights(&d, 1, out);
}

std::vector<WeightDraw> weight_draws(const Graph& g, uint64_t seed, uint64_t arch_key) {
  std::vector<WeightDraw> table;
  for (size_t p = 0; p < g.params.size(); ++p) {
    const Param& prm = g.params[p];
    WeightDraw d{WeightDraw::Fill, stream_key(seed, arch_key, p), prm.offset, prm.size, 0.f, 0.0};
    switch (prm.init) {
      case InitKind::Ones: d.value = 1.f; break;
      case InitKind::Zeros: break;
      case InitKind::HeNormalFanOut:
      case InitKind::Normal001:
      case InitKind::StandardNormal:
        d.kind = WeightDraw::Normal;
        d.sd = prm.init == InitKind::Normal001        ? 0.01
               : prm.init == InitKind::StandardNormal ? 1.0
                                                      : std::sqrt(2.0 / double(prm.fan_out));
        break;
      case InitKind::KaimingUniformA5:
      case InitKind::LinearBias:
        // Both reduce to a bound of 1/sqrt(fan_in) (gain sqrt(2/(1+5)) * sqrt(3) = 1).
        d.kind = WeightDraw::Uniform;
        d.value = float(1.0 / std::sqrt(double(prm.fan_in)));
        break;
    }
    table.push_back(d);
  }
  return table;
}

std::vector<float> init_params(const Graph& g, uint64_t seed, uint64_t arch_key) {
  std::vector<float> w(g.num_params());
  const std::vector<WeightDraw> table = weight_draws(g, seed, arch_key);
  cpu::draw_weights(table.data(), int(table.size()), w.data());
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
