// The weights' draws: the normal draws' accuracy against libm (kernels/normal_draw.h), their
// distribution, one value per element whichever way a tensor is filled, and weights drawn by the
// backend (Ops::draw_weights) = the host's.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "engine/backend.h"
#include "engine/error.h"
#include "engine/executor.h"
#include "engine/init.h"
#include "engine/lockstep.h"
#include "engine/rng.h"
#include "engine/score_hamming.h"
#include "kernels/normal_draw.h"
#include "searchspaces/nb201.h"
#include "tests/test_util.h"

using namespace naswot;

namespace {
double ulps_apart(double a, double b) {
  return std::fabs(a - b) / (std::nextafter(std::fabs(b), 1e308) - std::fabs(b));
}
}  // namespace

TEST_CASE("normal draws: ln u, cosine and sine within a few ulps of libm's") {
  // Edge values of u = 1 - k 2^-52 and of the quarter-turn reduction, then a million stream draws.
  CHECK(normal_draw::log_unit(1.0) == 0.0);
  for (const double u : {0x1p-52, 0x1p-1, 0.7071067811865475, 0.7071067811865476, 1.0 - 0x1p-52, 0.999, 1e-9})
    CHECK(ulps_apart(normal_draw::log_unit(u), std::log(u)) <= 3);
  double worst_log = 0, worst_z = 0;
  const uint64_t key = stream_key(11, 22, 33);
  const auto check_pair = [&](uint64_t r1, uint64_t r2) {
    const double u = 2.0 - (1.0 + double(r1 >> 12) * 0x1p-52), t = double(r2 >> 12) * 0x1p-52;
    if (u < 1) worst_log = std::max(worst_log, ulps_apart(normal_draw::log_unit(u), std::log(u)));
    const double radius = std::sqrt(-2.0 * std::log(u));
    const normal_draw::Pair p = normal_draw::pair(r1, r2);
    if (radius > 0)
      worst_z = std::max({worst_z, std::fabs(p.z0 - radius * std::cos(2 * M_PI * t)) / radius,
                          std::fabs(p.z1 - radius * std::sin(2 * M_PI * t)) / radius});
  };
  // Angles at and beside every quarter turn (k = q 2^50 and its neighbours) and the half-way points.
  const int64_t half = int64_t(1) << 49;
  for (int64_t q = 0; q <= 4; ++q)
    for (const int64_t d : {int64_t(-1), int64_t(0), int64_t(1), half - 1, half, -half}) {
      const int64_t k = (q << 50) + d;
      if (k >= 0 && k < (int64_t(1) << 52)) check_pair(draw(key, 0), uint64_t(k) << 12);
    }
  for (uint64_t j = 0; j < 1000000; ++j) check_pair(draw(key, 2 * j), draw(key, 2 * j + 1));
  MESSAGE("ln u within " << worst_log << " ulps of libm; z within " << worst_z << " of the radius");
  CHECK(worst_log <= 3);
  CHECK(worst_z <= 4e-16 * 8);  // a few ulps of cosine and sine near 1 (the radius is at most 8.5)
}

TEST_CASE("normal draws: standard normal by Kolmogorov-Smirnov and by the moments") {
  const size_t n = 1 << 20;
  std::vector<float> z(n);
  fill_normal(z.data(), n, stream_key(4, 5, 6), 1.0);
  std::sort(z.begin(), z.end());
  double d = 0, m1 = 0, m2 = 0, m4 = 0;
  for (size_t i = 0; i < n; ++i) {
    const double F = 0.5 * std::erfc(-double(z[i]) / std::sqrt(2.0));
    d = std::max({d, F - double(i) / n, double(i + 1) / n - F});
    m1 += z[i];
    m2 += double(z[i]) * z[i];
    m4 += double(z[i]) * z[i] * z[i] * z[i];
  }
  m1 /= n, m2 /= n, m4 /= n;
  // The 0.1 % critical value of D: a true normal sample exceeds it once in a thousand seeds.
  MESSAGE("KS D = " << d << " (0.1% critical value " << 1.95 / std::sqrt(double(n)) << "), mean " << m1 << ", variance "
                    << m2 << ", 4th moment " << m4);
  CHECK(d < 1.95 / std::sqrt(double(n)));
  CHECK(std::fabs(m1) < 5 / std::sqrt(double(n)));
  CHECK(std::fabs(m2 - 1) < 5 * std::sqrt(2.0 / n));
  CHECK(std::fabs(m4 - 3) < 5 * std::sqrt(96.0 / n));
  // Cosine and sine halves of each pair are uncorrelated (a swapped or shared angle would not be).
  std::vector<float> w(n);
  fill_normal(w.data(), n, stream_key(4, 5, 7), 1.0);
  double c = 0;
  for (size_t j = 0; j < n / 2; ++j) c += double(w[2 * j]) * w[2 * j + 1];
  CHECK(std::fabs(c / (n / 2)) < 5 / std::sqrt(n / 2.0));
}

TEST_CASE("normal draws: a tensor's fill equals its values one by one, for odd and even sizes") {
  for (const size_t n : {size_t(1), size_t(2), size_t(7), size_t(64), size_t(1001)}) {
    const uint64_t key = stream_key(9, n, 1);
    std::vector<float> w(n);
    fill_normal(w.data(), n, key, 0.05);
    for (size_t i = 0; i < n; ++i) REQUIRE(w[i] == float(0.05 * standard_normal(key, i)));
    // The first elements do not depend on the tensor's size.
    std::vector<float> longer(n + 3);
    fill_normal(longer.data(), n + 3, key, 0.05);
    CHECK(std::equal(w.begin(), w.end(), longer.begin()));
  }
}

TEST_CASE("weights drawn by the backend score as the host's uploaded weights, bit for bit") {
  // The CPU backend's draw_weights is the kernel init_params runs; through the executor and lockstep
  // the drawn parameters must give the same Jacobians, Hamming kernels and scores.
  const int B = 6;
  const auto x = test::random_vec(size_t(B) * 3 * 32 * 32, 17);
  std::vector<Graph> graphs{nb201::build(nb201::from_index(7)), test::small_nb101()};  // uniform; He-normal
  std::vector<std::vector<float>> values;
  std::vector<std::vector<WeightDraw>> draws;
  for (size_t i = 0; i < graphs.size(); ++i) {
    values.push_back(init_params(graphs[i], 3, 40 + i));
    draws.push_back(weight_draws(graphs[i], 3, 40 + i));
  }
  auto be = make_cpu_backend(2);
  Executor ex(*be);
  const auto weight = [](const Node& n) { return relu_site_weight(n, ReluSites::Each); };
  for (size_t i = 0; i < graphs.size(); ++i) {
    CAPTURE(i);
    const std::vector<float> j_host = ex.jacobian(graphs[i], values[i], x.data(), B).jacobian;
    const std::vector<float> j_drawn = ex.jacobian(graphs[i], Weights(draws[i]), x.data(), B).jacobian;
    CHECK(j_host == j_drawn);
    CHECK(ex.hamming_kernel(graphs[i], values[i], x.data(), B, weight).K ==
          ex.hamming_kernel(graphs[i], Weights(draws[i]), x.data(), B, weight).K);
  }
  // A table that does not fit the network is refused: another network's, or one tensor too long.
  CHECK_THROWS_WITH_AS(ex.jacobian(graphs[0], Weights(draws[1]), x.data(), B),
                       doctest::Contains("do not fit the network"), Error);
  std::vector<WeightDraw> longer = draws[0];
  longer.back().size += 1;
  CHECK_THROWS_WITH_AS(ex.jacobian(graphs[0], Weights(longer), x.data(), B),
                       doctest::Contains("do not fit the network"), Error);
  Lockstep ls(*be);
  std::vector<Lockstep::Net> host, drawn;
  for (size_t i = 0; i < graphs.size(); ++i) {
    host.push_back({&graphs[i], &values[i]});
    drawn.push_back({&graphs[i], nullptr, &draws[i]});
  }
  const std::vector<JacobScore> a = ls.jacob_cov(host, x.data(), B), b = ls.jacob_cov(drawn, x.data(), B);
  for (size_t i = 0; i < a.size(); ++i) CHECK(std::memcmp(&a[i].score, &b[i].score, sizeof(double)) == 0);
}
