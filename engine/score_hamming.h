// The v2 NASWOT score: log-determinant of the ReLU-code Hamming kernel K_H, by float64 Cholesky.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/graph.h"
#include "engine/score_jacob.h"

namespace naswot {

// How ReLU sites are counted. Each: every ReLU module of the network once. Reference: as the
// official v2 code's hooks do ('ReLU' substring match), ReLUs inside ReLU-Conv-BN blocks twice.
enum class ReluSites { Each, Reference };
ReluSites parse_relu_sites(const std::string& s);
const char* relu_sites_name(ReluSites m);
int64_t relu_site_weight(const Node& n, ReluSites mode);  // 0 for non-ReLU nodes

// Where each ReLU site's codes go in a plan's codes buffer (Plan::hamming_codes_off; kernels/ops.def,
// relu_codes): the sites (ReLU nodes of `order` with weight > 0) grouped by weight, ascending, in
// `order` within a weight, so that each weight's rows are one run that one hamming_pairs call sums.
struct HammingLayout {
  static constexpr size_t kNoSite = ~size_t(0);
  struct Run {
    int64_t weight;
    size_t start, words;  // rows
    int64_t units;        // the sites' units per sample (K's diagonal, over weight)
  };
  std::vector<Run> runs;
  std::vector<size_t> row;  // per node: its first row, or kNoSite
  size_t rows = 0;
};
HammingLayout hamming_layout(const Graph& g, const std::vector<int>& order,
                             const std::function<int64_t(const Node&)>& weight);

struct HammingScore {
  double score = 0;  // ln det K_H; -inf when degenerate
  ScoreStatus status = ScoreStatus::Ok;
  std::string reason;
};

// K: B x B exact integer kernel. Degenerate when K is not numerically positive definite
// (a Cholesky pivot^2 <= B * 2^-52 * max diag, e.g. two samples with identical codes).
HammingScore hamming_logdet(const std::vector<int64_t>& K, int B);

}  // namespace naswot
