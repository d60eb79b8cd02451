// Kendall tau-b in O(n log n) (Knight) with the O(n^2) count as its check, and Spearman rho.
#include "engine/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "engine/error.h"

namespace naswot {

namespace {

void check_pair(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size() || x.size() < 2) fail("kendall tau: need two equally long samples of size >= 2");
  for (size_t i = 0; i < x.size(); ++i)
    if (std::isnan(x[i]) || std::isnan(y[i])) fail("kendall tau: NaN at position " + std::to_string(i));
}

// tau-b from the pair counts: (concordant - discordant) / sqrt((n0 - ties in x) (n0 - ties in y)).
double tau_b(size_t n, long long concordant_minus_discordant, long long tie_x, long long tie_y) {
  const double n0 = double(n) * double(n - 1) / 2;
  const double denom = std::sqrt((n0 - double(tie_x)) * (n0 - double(tie_y)));
  return denom > 0 ? double(concordant_minus_discordant) / denom : NAN;
}

// Pairs within runs of equal values of a sorted sequence.
template <class Equal>
long long tied_pairs(size_t n, Equal equal) {
  long long pairs = 0, run = 1;
  for (size_t i = 1; i <= n; ++i) {
    if (i < n && equal(i - 1, i)) {
      ++run;
    } else {
      pairs += run * (run - 1) / 2;
      run = 1;
    }
  }
  return pairs;
}

}  // namespace

double kendall_tau_b(const std::vector<double>& x, const std::vector<double>& y) {
  // Knight's algorithm: sort by (x, y); the pairs out of order in y after that are the discordant
  // ones (counted by a merge sort), the ties come from runs of equal values.
  check_pair(x, y);
  const size_t n = x.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return x[a] < x[b] || (x[a] == x[b] && y[a] < y[b]); });
  const long long tie_x = tied_pairs(n, [&](size_t i, size_t j) { return x[order[i]] == x[order[j]]; });
  const long long tie_xy =
      tied_pairs(n, [&](size_t i, size_t j) { return x[order[i]] == x[order[j]] && y[order[i]] == y[order[j]]; });
  std::vector<double> v(n), tmp(n);
  for (size_t i = 0; i < n; ++i) v[i] = y[order[i]];
  long long swaps = 0;  // pairs i < j with v[i] > v[j]: discordant (ties in x were sorted by y, so none is there)
  for (size_t width = 1; width < n; width *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * width) {
      const size_t mid = std::min(n, lo + width), hi = std::min(n, lo + 2 * width);
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        if (v[j] < v[i]) {
          swaps += (long long)(mid - i);
          tmp[k++] = v[j++];
        } else {
          tmp[k++] = v[i++];
        }
      }
      while (i < mid) tmp[k++] = v[i++];
      while (j < hi) tmp[k++] = v[j++];
    }
    v.swap(tmp);
  }
  const long long tie_y = tied_pairs(n, [&](size_t i, size_t j) { return v[i] == v[j]; });  // v is sorted now
  const long long n0 = (long long)n * (long long)(n - 1) / 2;
  // concordant + discordant = n0 - tie_x - tie_y + tie_xy, and discordant = swaps.
  return tau_b(n, n0 - tie_x - tie_y + tie_xy - 2 * swaps, tie_x, tie_y);
}

double kendall_tau_b_quadratic(const std::vector<double>& x, const std::vector<double>& y) {
  check_pair(x, y);
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
  return tau_b(n, concordant - discordant, tie_x, tie_y);
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
