// NATS-Bench's size space as a search space: uniform sampling, one-layer width mutation, benchmark
// fitness and training times (or the FLOPs model).
#pragma once
#include <string>

#include "searchspaces/nats_sss.h"
#include "searchspaces/table_space.h"

namespace naswot::nats_sss {

// Multiply-add FLOPs x 2 of one forward pass of one CIFAR image (convolutions and classifier).
double network_flops(long index);

class SearchSpaceSSS final : public TableSpace {
 public:
  // fitness_column: e.g. val_acc_12ep_c10valid (NATS-Bench's REA: 12-epoch validation accuracy, in
  // tables converted from the official files), or test_acc_90ep_c10. Training time: time_column (e.g.
  // time_12ep_c10valid) when complete, else the FLOPs model (TableSpace).
  SearchSpaceSSS(const AccuracyTable& table, const std::string& fitness_column, const std::string& time_column = "");
  long sample(SearchRng& rng) override;
  // One of the 5 layers to one of the 7 other widths. (NATS-Bench's mutate_size_func draws any of the
  // 8, so 1 child in 8 is its parent; a search space's mutation here always moves.)
  long mutate(long parent, SearchRng& rng) override;
};

}  // namespace naswot::nats_sss
