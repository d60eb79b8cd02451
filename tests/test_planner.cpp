// Planner memory reuse and the determinism the engine promises (order, arena reuse, thread count).
#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>

#include "engine/backend.h"
#include "engine/executor.h"
#include "engine/init.h"
#include "engine/planner.h"
#include "searchspaces/nb201.h"
#include "tests/test_util.h"

using namespace naswot;

namespace {
std::vector<float> jac(Executor& ex, int index, const std::vector<float>& x, int B) {
  const Graph g = nb201::build(nb201::from_index(index));
  return ex.jacobian(g, init_params(g, 1, uint64_t(index)), x.data(), B).jacobian;
}
}  // namespace

TEST_CASE("the plan reuses memory") {
  const Plan p = make_plan(nb201::build(nb201::from_index(1)), 8);
  CHECK(p.arena_floats < p.naive_floats / 2);
}

TEST_CASE("the network of a 'none'-only cell does not depend on its input") {
  const Graph g = nb201::build(nb201::from_index(10));
  const Plan p = make_plan(g, 4);
  CHECK_FALSE(p.live[p.input]);
}

TEST_CASE("Jacobians are bit-identical across scoring order, arena reuse and thread count") {
  const int B = 8;
  const auto x = test::random_vec(size_t(B) * 3 * 32 * 32, 5);
  auto be = make_cpu_backend(2);
  Executor ex(*be);
  const auto a1 = jac(ex, 123, x, B);
  jac(ex, 1, x, B);  // a bigger network in between reuses the arena
  const auto a2 = jac(ex, 123, x, B);
  CHECK(a1 == a2);
  auto fresh = make_cpu_backend(1);
  Executor ex1(*fresh);
  const auto a3 = jac(ex1, 123, x, B);
  omp_set_num_threads(2);
  CHECK(a1 == a3);
}

TEST_CASE("weights depend only on (seed, architecture, layer)") {
  const Graph g = nb201::build(nb201::from_index(7));
  CHECK(init_params(g, 3, 7) == init_params(g, 3, 7));
  CHECK(init_params(g, 3, 7) != init_params(g, 4, 7));
  const auto w = init_params(g, 3, 7);
  // Conv bound 1/sqrt(fan_in); BN gamma 1, beta 0.
  for (const Param& p : g.params) {
    const float* v = w.data() + p.offset;
    if (p.init == InitKind::Ones) CHECK(v[0] == 1.f);
    if (p.init == InitKind::Zeros) CHECK(v[0] == 0.f);
    if (p.init == InitKind::KaimingUniformA5) {
      const float b = 1.f / std::sqrt(float(p.fan_in));
      for (size_t i = 0; i < p.size; ++i) REQUIRE(std::fabs(v[i]) <= b);
    }
  }
}
