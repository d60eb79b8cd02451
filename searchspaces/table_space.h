// A search space whose benchmark is a table indexed by architecture: fitness from one column, training
// time from another or from a FLOPs model (NAS-Bench-201, NATS-Bench SSS).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "engine/io/csv.h"
#include "engine/search.h"

namespace naswot {

class TableSpace : public SearchSpace {
 public:
  double fitness(long arch) override;  // NaN in the table -> -inf (never chosen over a trained one)
  double train_seconds(long arch) override;

  // Assumption where the table has no training times: the average network's 12-epoch training takes
  // 120 s (NB201's published 12,000 s budget then buys about 100 evaluations); others scale by FLOPs.
  static constexpr double kMeanTrainSeconds = 120.0;
  bool measured_times = false;  // seconds from the time column
  double mean_train_seconds = 0;

 protected:
  // Rows 0..count-1 of `table`. Training time of an architecture: time_column when the table has it,
  // positive, for every architecture; else kMeanTrainSeconds * flops(arch) / mean flops, computed on the
  // first train_seconds call (building every network takes about a second, and best-of-N never asks).
  // An absent or empty fitness column is an error (empty_hint says which tables have it).
  TableSpace(const IndexedTable& table, long count, const std::string& fitness_column, const std::string& time_column,
             const std::function<double(long)>& flops, const std::string& empty_hint);

 private:
  const IndexedTable& table_;
  int column_;
  long count_;
  std::function<double(long)> flops_;
  std::vector<double> seconds_;  // empty until needed under the FLOPs model
};

}  // namespace naswot
