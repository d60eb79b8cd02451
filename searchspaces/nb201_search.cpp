// NB201 search-space adapter: FLOPs from the engine's own graph of each architecture.
#include "searchspaces/nb201_search.h"

#include <cmath>

#include "engine/error.h"
#include "searchspaces/nb201.h"

namespace naswot::nb201 {

double network_flops(long index) {
  NetConfig cfg;
  cfg.num_classes = 10;  // the benchmark's network
  return forward_flops(build(from_index(int(index)), cfg));
}

SearchSpace201::SearchSpace201(const AccuracyTable& table, const std::string& fitness_column,
                               const std::string& time_column)
    : table_(table), column_(table.column(fitness_column)) {
  if (column_ < 0) fail("accuracy table has no column '" + fitness_column + "'");
  bool any = false;
  for (const auto& row : table.values) any = any || !std::isnan(row[size_t(column_)]);
  if (!any)
    fail("the accuracy table's column '" + fitness_column +
         "' is empty (NAS-Bench-201 v1.0 has 12-epoch results for cifar10-valid only: convert v1.1 or NATS-tss "
         "for another --dataset)");
  seconds_.resize(kNumArchs);
  const int tc = time_column.empty() ? -1 : table.column(time_column);
  measured_times = tc >= 0;
  for (int i = 0; i < kNumArchs && measured_times; ++i) {
    const double t = table.values[size_t(i)][size_t(tc)];
    measured_times = !std::isnan(t) && t > 0;
  }
  if (measured_times) {
    for (int i = 0; i < kNumArchs; ++i) mean_train_seconds += seconds_[i] = table.values[size_t(i)][size_t(tc)];
    mean_train_seconds /= kNumArchs;
    return;
  }
  std::vector<double> flops(kNumArchs);
  double mean = 0;
  for (int i = 0; i < kNumArchs; ++i) mean += flops[i] = network_flops(i);
  mean /= kNumArchs;
  for (int i = 0; i < kNumArchs; ++i) seconds_[i] = kMeanTrainSeconds * flops[i] / mean;
  mean_train_seconds = kMeanTrainSeconds;
}

long SearchSpace201::sample(SearchRng& rng) { return long(rng.below(kNumArchs)); }

long SearchSpace201::mutate(long parent, SearchRng& rng) {
  Arch a = from_index(int(parent));
  const int edge = int(rng.below(kNumEdges));
  const int shift = 1 + int(rng.below(4));  // any of the other four ops
  a.ops[edge] = (a.ops[edge] + shift) % 5;
  return index_of(a);
}

double SearchSpace201::fitness(long arch) {
  const double v = table_.values[size_t(arch)][size_t(column_)];
  return std::isnan(v) ? -INFINITY : v;
}

double SearchSpace201::train_seconds(long arch) { return seconds_[size_t(arch)]; }

}  // namespace naswot::nb201
