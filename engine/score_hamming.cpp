// ln det K_H = 2 sum ln L_ii from LAPACK dpotrf, with an explicit singularity status.
#include "engine/score_hamming.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "engine/error.h"

extern "C" void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info);

namespace naswot {

ReluSites parse_relu_sites(const std::string& s) {
  if (s == "each") return ReluSites::Each;
  if (s == "reference") return ReluSites::Reference;
  fail("unknown --relu-sites '" + s + "' (expected each or reference)");
}

const char* relu_sites_name(ReluSites m) { return m == ReluSites::Each ? "each" : "reference"; }

int64_t relu_site_weight(const Node& n, ReluSites mode) {
  if (!has_trait(n.op, kReLUSite)) return 0;
  return int64_t(n.relu_modules) * (mode == ReluSites::Reference && n.relu_in_block ? 2 : 1);
}

HammingLayout hamming_layout(const Graph& g, const std::vector<int>& order,
                             const std::function<int64_t(const Node&)>& weight) {
  HammingLayout l;
  l.row.assign(g.nodes.size(), HammingLayout::kNoSite);
  std::map<int64_t, std::vector<int>> sites;  // by weight, ascending
  for (int v : order)
    if (const int64_t w = has_trait(g.nodes[v].op, kReLUSite) ? weight(g.nodes[v]) : 0; w > 0) sites[w].push_back(v);
  for (const auto& [w, vs] : sites) {
    HammingLayout::Run r{w, l.rows, 0, 0};
    for (int v : vs) {
      l.row[size_t(v)] = l.rows + r.words;
      r.words += (g.nodes[v].out.per_sample() + 63) / 64;
      r.units += int64_t(g.nodes[v].out.per_sample());
    }
    l.rows += r.words;
    l.runs.push_back(r);
  }
  return l;
}

HammingScore hamming_logdet(const std::vector<int64_t>& K, int B) {
  HammingScore out;
  auto degenerate = [&](std::string why) {
    out.status = ScoreStatus::Degenerate;
    out.score = -std::numeric_limits<double>::infinity();
    out.reason = std::move(why);
    return out;
  };
  if (K.size() != size_t(B) * B) fail("hamming_logdet: K has the wrong size");
  std::vector<double> a(K.begin(), K.end());  // exact: entries are far below 2^53
  double max_diag = 0;
  for (int i = 0; i < B; ++i) max_diag = std::max(max_diag, a[size_t(i) * B + i]);
  if (!(max_diag > 0)) return degenerate("K_H is zero (no ReLU sites?)");
  const char uplo = 'L';
  int n = B, info = 0;
  dpotrf_(&uplo, &n, a.data(), &n, &info);  // symmetric, so the row-major upper triangle is the lower one
  if (info != 0)
    return degenerate("K_H is not positive definite (Cholesky failed at row " + std::to_string(info) + ")");
  const double tiny = double(B) * std::numeric_limits<double>::epsilon() * max_diag;
  double logdet = 0;
  for (int i = 0; i < B; ++i) {
    const double d = a[size_t(i) * B + i];
    if (!(d * d > tiny)) return degenerate("K_H is singular (pivot " + std::to_string(i) + "; identical codes?)");
    logdet += 2 * std::log(d);
  }
  out.score = logdet;
  return out;
}

}  // namespace naswot
