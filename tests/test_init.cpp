// The normal draws (kernels/normal_draw.h): accuracy against libm, the distribution, and one value per
// element whichever way a tensor is filled.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/init.h"
#include "engine/rng.h"
#include "kernels/normal_draw.h"

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
