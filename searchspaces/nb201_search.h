// NAS-Bench-201 as a search space: uniform sampling, one-edge mutation, benchmark fitness and the
// benchmark's training times (or a FLOPs-based model of them).
#pragma once
#include <string>
#include <vector>

#include "engine/search.h"
#include "searchspaces/nb201_bench.h"

namespace naswot::nb201 {

// Multiply-add FLOPs x 2 of one forward pass of one CIFAR image (convolutions and classifier).
double network_flops(long index);

class SearchSpace201 final : public SearchSpace {
 public:
  // fitness_column: the validation signal, e.g. c10valid_val_12 (NB201's own REA uses the 12-epoch
  // columns). Training time of an architecture: time_column (e.g. c10valid_time_12, the benchmark's
  // 12-epoch training + one validation pass, in tables converted from the official files) when the
  // table has it for every architecture, else kMeanTrainSeconds * flops / mean flops.
  SearchSpace201(const AccuracyTable& table, const std::string& fitness_column, const std::string& time_column = "");
  long sample(SearchRng& rng) override;
  long mutate(long parent, SearchRng& rng) override;  // one of the 6 edges to one of the 4 other ops
  double fitness(long arch) override;
  double train_seconds(long arch) override;

  // Assumption where the table has no training times: the average network's 12-epoch training takes
  // 120 s, so NB201's published 12,000 s budget buys about 100 evaluations.
  static constexpr double kMeanTrainSeconds = 120.0;
  bool measured_times = false;  // seconds from time_column
  double mean_train_seconds = 0;

 private:
  const AccuracyTable& table_;
  int column_;
  std::vector<double> seconds_;
};

}  // namespace naswot::nb201
