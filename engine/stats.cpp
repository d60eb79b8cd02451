// Exact O(n^2) Kendall tau-b (15,625 architectures take well under a second) and Spearman rho.
#include "engine/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "engine/error.h"

namespace naswot {

double kendall_tau_b(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size() || x.size() < 2) fail("kendall tau: need two equally long samples of size >= 2");
  const size_t n = x.size();
  long long concordant = 0, discordant = 0, tie_x = 0, tie_y = 0;
#pragma omp parallel for schedule(dynamic, 64) reduction(+ : concordant, discordant, tie_x, tie_y)
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      const double dx = x[i] - x[j], dy = y[i] - y[j];
      // -inf - -inf is NaN: equal infinite scores are ties.
      const bool tx = x[i] == x[j], ty = y[i] == y[j];
      if (tx) ++tie_x;
      if (ty) ++tie_y;
      if (tx || ty) continue;
      if ((dx > 0) == (dy > 0))
        ++concordant;
      else
        ++discordant;
    }
  const double n0 = double(n) * double(n - 1) / 2;
  const double denom = std::sqrt((n0 - double(tie_x)) * (n0 - double(tie_y)));
  return denom > 0 ? double(concordant - discordant) / denom : NAN;
}

std::vector<double> average_ranks(const std::vector<double>& v) {
  std::vector<size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> rank(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    const double r = (double(i) + double(j)) / 2 + 1;
    for (size_t k = i; k <= j; ++k) rank[order[k]] = r;
    i = j + 1;
  }
  return rank;
}

double spearman_rho(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size() || x.size() < 2) fail("spearman rho: need two equally long samples of size >= 2");
  const std::vector<double> rx = average_ranks(x), ry = average_ranks(y);
  const double mx = std::accumulate(rx.begin(), rx.end(), 0.0) / double(rx.size());
  const double my = std::accumulate(ry.begin(), ry.end(), 0.0) / double(ry.size());
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < rx.size(); ++i) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) * (rx[i] - mx);
    syy += (ry[i] - my) * (ry[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : NAN;
}

}  // namespace naswot
