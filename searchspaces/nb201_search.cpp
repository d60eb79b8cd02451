// NB201 search-space adapter: FLOPs from the engine's own graph of each architecture.
#include "searchspaces/nb201_search.h"

#include "searchspaces/nb201.h"

namespace naswot::nb201 {

double network_flops(long index) {
  NetConfig cfg;
  cfg.num_classes = 10;  // the benchmark's network
  return forward_flops(build(from_index(int(index)), cfg));
}

SearchSpace201::SearchSpace201(const AccuracyTable& table, const std::string& fitness_column,
                               const std::string& time_column)
    : TableSpace(table, kNumArchs, fitness_column, time_column, network_flops,
                 " (NAS-Bench-201 v1.0 has 12-epoch results for cifar10-valid only: convert v1.1 or NATS-tss for "
                 "another --dataset)") {}

long SearchSpace201::sample(SearchRng& rng) { return long(rng.below(kNumArchs)); }

long SearchSpace201::mutate(long parent, SearchRng& rng) {
  Arch a = from_index(int(parent));
  const int edge = int(rng.below(kNumEdges));
  const int shift = 1 + int(rng.below(4));  // any of the other four ops
  a.ops[edge] = (a.ops[edge] + shift) % 5;
  return index_of(a);
}

}  // namespace naswot::nb201
