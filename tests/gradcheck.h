// Central finite differences against an analytic input gradient, for any op given as host functions.
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "tests/test_util.h"

namespace naswot::test {

using Fwd = std::function<void(const float* x, float* y)>;
using Bwd = std::function<void(const float* dy, float* dx, bool accumulate)>;

// Compares the analytic gradient of L(x) = sum_i g_i f(x)_i with central differences at every input
// (or a strided subset), and checks that accumulate=true adds to what is already there.
inline void gradcheck(std::vector<float> x, size_t ny, const Fwd& f, const Bwd& b, float h, double tol) {
  const size_t nx = x.size();
  const std::vector<float> g = random_vec(ny, 99);
  std::vector<float> dx(nx), y(ny);
  f(x.data(), y.data());
  b(g.data(), dx.data(), false);
  auto L = [&](const std::vector<float>& xx) {
    std::vector<float> yy(ny);
    f(xx.data(), yy.data());
    double s = 0;
    for (size_t i = 0; i < ny; ++i) s += double(g[i]) * yy[i];
    return s;
  };
  double scale = 1e-12, worst = 0;
  for (float v : dx) scale = std::max(scale, double(std::fabs(v)));
  const size_t step = std::max<size_t>(1, nx / 64);
  for (size_t j = 0; j < nx; j += step) {
    std::vector<float> xp = x, xm = x;
    xp[j] += h;
    xm[j] -= h;
    const double fd = (L(xp) - L(xm)) / (double(xp[j]) - double(xm[j]));
    worst = std::max(worst, std::fabs(fd - dx[j]) / scale);
  }
  CHECK(worst <= tol);
  std::vector<float> acc(nx, 0.5f);
  b(g.data(), acc.data(), true);
  double acc_err = 0;
  for (size_t j = 0; j < nx; ++j) acc_err = std::max(acc_err, double(std::fabs(acc[j] - 0.5f - dx[j])));
  CHECK(acc_err <= 1e-5 * scale + 1e-6);
}

}  // namespace naswot::test
