// Rank statistics for score/accuracy agreement: Kendall tau-b and Spearman rho (average ranks for ties).
#pragma once
#include <vector>

namespace naswot {

double kendall_tau_b(const std::vector<double>& x, const std::vector<double>& y);
double spearman_rho(const std::vector<double>& x, const std::vector<double>& y);
std::vector<double> average_ranks(const std::vector<double>& v);  // 1-based, ties get their mean rank

}  // namespace naswot
