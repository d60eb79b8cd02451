// NAS-Bench-201 as a search space: uniform sampling, one-edge mutation, benchmark fitness and the
// benchmark's training times (or a FLOPs-based model of them).
#pragma once
#include <string>

#include "searchspaces/nb201_bench.h"
#include "searchspaces/table_space.h"

namespace naswot::nb201 {

// Multiply-add FLOPs x 2 of one forward pass of one CIFAR image (convolutions and classifier).
double network_flops(long index);

class SearchSpace201 final : public TableSpace {
 public:
  // fitness_column: the validation signal, e.g. c10valid_val_12 (NB201's own REA uses the 12-epoch
  // columns). Training time: time_column (e.g. c10valid_time_12, the benchmark's 12-epoch training +
  // one validation pass, in tables converted from the official files) when complete, else the FLOPs
  // model (TableSpace).
  SearchSpace201(const AccuracyTable& table, const std::string& fitness_column, const std::string& time_column = "");
  long sample(SearchRng& rng) override;
  long mutate(long parent, SearchRng& rng) override;  // one of the 6 edges to one of the 4 other ops
};

}  // namespace naswot::nb201
