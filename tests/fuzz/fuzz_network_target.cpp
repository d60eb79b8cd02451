// Fuzz target over whole networks: any NB201 architecture or NB101 cell, shrunk (4 channels, 8x8
// images), scored with fusion on and off on the CPU backend. The planner's fused schedule must give
// the plain schedule's Jacobian and Hamming kernel bit for bit, and a second network in between must
// not change them (arena reuse), under ASan + UBSan in fuzz builds.
#include <cmath>
#include <memory>
#include <random>
#include <string>

#include "engine/backend.h"
#include "engine/error.h"
#include "engine/executor.h"
#include "engine/init.h"
#include "engine/score_hamming.h"
#include "searchspaces/nb101.h"
#include "searchspaces/nb201.h"
#include "tests/fuzz/fuzz_targets.h"

namespace naswot::fuzz {

void network_fusion(const uint8_t* d, size_t n) {
  if (n < 3) return;
  constexpr int kBatch = 3, kImage = 8;  // an odd batch: the CPU backend's padding lanes are exercised
  Graph g;
  std::string what;
  if (d[0] % 2 == 0) {
    const int index = (d[1] | d[2] << 8) % nb201::kNumArchs;
    what = "NB201 index " + std::to_string(index);
    g = nb201::build(nb201::from_index(index), nb201::NetConfig{4, 1, 1, kImage});
  } else {
    const std::string s(reinterpret_cast<const char*>(d + 1), n - 1);
    const size_t nl = s.find('\n');
    const nb101::Cell c = nb101::parse_cell(s.substr(0, nl), nl == std::string::npos ? "" : s.substr(nl + 1));
    what = "NB101 cell " + c.matrix_string() + " " + c.ops_string();
    nb101::NetConfig cfg;
    cfg.stem = 4;
    cfg.stacks = 2;
    cfg.modules_per_stack = 1;
    cfg.image = kImage;
    g = nb101::build(c, cfg);
  }
  static const std::unique_ptr<Backend> be = make_cpu_backend(1);
  static Executor fused(*be), plain(*be);
  static const bool once = (plain.set_plan_options({false}), true);
  (void)once;
  static const std::vector<float> x = [] {
    std::mt19937 gen(7);
    std::uniform_real_distribution<float> u(-2.f, 2.f);
    std::vector<float> v(size_t(kBatch) * 3 * kImage * kImage);
    for (float& e : v) e = u(gen);
    return v;
  }();
  const std::vector<float> w = init_params(g, 3, n);
  const auto weight = [](const Node& node) { return relu_site_weight(node, ReluSites::Each); };
  const JacobianResult a = fused.jacobian(g, w, x.data(), kBatch);
  const JacobianResult b = plain.jacobian(g, w, x.data(), kBatch);
  NASWOT_FUZZ_CHECK(a.jacobian == b.jacobian, what + ": fused and plain Jacobians differ");
  for (float v : a.jacobian) NASWOT_FUZZ_CHECK(std::isfinite(v), what + ": a non-finite Jacobian entry");
  NASWOT_FUZZ_CHECK(
      fused.hamming_kernel(g, w, x.data(), kBatch, weight).K == plain.hamming_kernel(g, w, x.data(), kBatch, weight).K,
      what + ": fused and plain Hamming kernels differ");
  // The Hamming pass reused the arena in between: the Jacobian must come out the same again.
  NASWOT_FUZZ_CHECK(fused.jacobian(g, w, x.data(), kBatch).jacobian == a.jacobian, what + ": not repeatable");
}

}  // namespace naswot::fuzz
