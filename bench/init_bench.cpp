// Host time to draw one architecture's weights: init_params against the libm Box-Muller it replaced
// (the baseline, written out below as engine 0.2.0 had it), alternated in one run, one thread.
// Usage: naswot_init_bench [SPACE=nb101] [SAMPLE=200] [ROUNDS=7]   Markdown on stdout.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/init.h"
#include "engine/rng.h"
#include "searchspaces/space.h"

using namespace naswot;

namespace {

using Clock = std::chrono::steady_clock;

// The baseline: u from 53 bits, libm's log and cos, one value per pair of draws.
double libm_normal(uint64_t key, uint64_t i) {
  const double u1 = (double(draw(key, 2 * i) >> 11) + 1.0) * 0x1.0p-53;
  const double u2 = double(draw(key, 2 * i + 1) >> 11) * 0x1.0p-53;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

std::vector<float> libm_init(const Graph& g, uint64_t seed, uint64_t arch_key) {
  std::vector<float> w(g.num_params());
  for (size_t p = 0; p < g.params.size(); ++p) {
    const Param& prm = g.params[p];
    float* out = w.data() + prm.offset;
    const uint64_t key = stream_key(seed, arch_key, p);
    switch (prm.init) {
      case InitKind::Ones: std::fill_n(out, prm.size, 1.f); break;
      case InitKind::Zeros: std::fill_n(out, prm.size, 0.f); break;
      case InitKind::HeNormalFanOut:
      case InitKind::Normal001:
      case InitKind::StandardNormal: {
        const double sd = prm.init == InitKind::Normal001        ? 0.01
                          : prm.init == InitKind::StandardNormal ? 1.0
                                                                 : std::sqrt(2.0 / double(prm.fan_out));
        for (size_t i = 0; i < prm.size; ++i) out[i] = float(sd * libm_normal(key, i));
        break;
      }
      case InitKind::KaimingUniformA5:
      case InitKind::LinearBias: {
        const float b = float(1.0 / std::sqrt(double(prm.fan_in)));
        for (size_t i = 0; i < prm.size; ++i) out[i] = -b + 2.f * b * uniform01(key, i);
        break;
      }
    }
  }
  return w;
}

template <class Init>
double seconds_for(const std::vector<Graph>& graphs, const std::vector<uint64_t>& keys, Init init, double& sink) {
  const auto t0 = Clock::now();
  for (size_t i = 0; i < graphs.size(); ++i) sink += init(graphs[i], 0, keys[i])[0];
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) try {
  const Space& sp = space_named(argc > 1 ? argv[1] : "nb101");
  const long sample = argc > 2 ? std::atol(argv[2]) : 200;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 7;
  if (sample < 1 || rounds < 1) fail("usage: naswot_init_bench [nb201|nb101|nats-sss] [SAMPLE>=1] [ROUNDS>=1]");
  std::vector<Graph> graphs;
  std::vector<uint64_t> keys;
  size_t weights = 0;
  for (uint64_t j = 0; long(graphs.size()) < std::min(sample, sp.size()); ++j) {
    const long index = long(below(stream_key(2026, 12, 6), j, uint64_t(sp.size())));
    graphs.push_back(sp.build(index, NetShape{}));
    keys.push_back(sp.weight_key(index));
    weights += graphs.back().num_params();
  }
  double sink = 0;
  std::vector<double> base, now;
  for (int r = 0; r < rounds; ++r) {  // alternated, so drift in the machine's speed hits both
    base.push_back(seconds_for(graphs, keys, libm_init, sink));
    now.push_back(seconds_for(graphs, keys, init_params, sink));
  }
  const double n = double(graphs.size()), b = median(base), m = median(now);
  std::printf("# Weights on the host: %s, %zu architectures (%.0f parameters each on average), one thread\n\n",
              sp.title(), graphs.size(), double(weights) / n);
  std::printf("Median of %d alternated rounds. Baseline: the libm Box-Muller of engine 0.2.0.\n\n", rounds);
  std::printf("| draws | ms per architecture | ns per parameter | vs baseline |\n|---|---|---|---|\n");
  std::printf("| libm Box-Muller (baseline) | %.3f | %.2f | 1.00x |\n", 1e3 * b / n, 1e9 * b / double(weights));
  std::printf("| normal_draws 2 | %.3f | %.2f | %.2fx |\n", 1e3 * m / n, 1e9 * m / double(weights), b / m);
  std::fprintf(stderr, "(checksum %g)\n", sink);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "naswot_init_bench: %s\n", e.what());
  return 1;
}
