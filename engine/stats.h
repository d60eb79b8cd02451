// Rank statistics for score/accuracy agreement: Kendall tau-b and Spearman rho (average ranks for ties).
#pragma once
#include <vector>

namespace naswot {

// Kendall tau-b in O(n log n); NaN when a sample is constant. A NaN in either sample is an error.
double kendall_tau_b(const std::vector<double>& x, const std::vector<double>& y);
// The same by counting every pair, O(n^2): the reference the tests check the fast one against.
double kendall_tau_b_quadratic(const std::vector<double>& x, const std::vector<double>& y);
double spearman_rho(const std::vector<double>& x, const std::vector<double>& y);
std::vector<double> average_ranks(const std::vector<double>& v);  // 1-based, ties get their mean rank

}  // namespace naswot
