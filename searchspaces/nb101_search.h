// NAS-Bench-101 as a search space: uniform sampling over the 423,624 cells, the nasbench-style
// one-edge-or-one-op mutation, benchmark fitness and a training-time model fitted on FLOPs.
#pragma once
#include <string>
#include <vector>

#include "engine/search.h"
#include "searchspaces/nb101_bench.h"

namespace naswot::nb101 {

class SearchSpace101 final : public SearchSpace {
 public:
  // fitness_column: test_acc_108_single_run is the only accuracy the table has for every cell (the
  // validation accuracies exist for 30,001 cells), so REA "trains" for it. Training time: the table's
  // training_time_108 when every cell has one (tables converted from the official files), else the
  // least-squares line training_time_108 = a * flops_thop + b over the cells that have both.
  SearchSpace101(const AccuracyTable& table, const std::string& fitness_column);
  long sample(SearchRng& rng) override;
  // Embeds the cell in the 7-vertex space (pruned vertices come back as dead vertices with drawn
  // ops), then mutates as NAS-Bench-101's REA example does (each edge flips with probability 1/7,
  // each interior op changes with probability 1/5), redrawn until the result is a valid cell with
  // another hash.
  long mutate(long parent, SearchRng& rng) override;
  double fitness(long arch) override;
  double train_seconds(long arch) override;
  double value(long arch, int column) const;  // any table column by index (NaN where empty)

  double fit_a = 0, fit_b = 0, fit_r2 = 0, mean_train_seconds = 0;
  long fit_n = 0;
  bool measured_times = false;  // every cell's own training_time_108, no model

 private:
  const AccuracyTable& table_;
  int column_;
  std::vector<size_t> row_;  // index -> table row
  std::vector<double> seconds_;
};

}  // namespace naswot::nb101
