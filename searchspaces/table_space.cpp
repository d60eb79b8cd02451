// Table-backed search spaces: fitness and training-time columns, the FLOPs time model (table_space.h).
#include "searchspaces/table_space.h"

#include <cmath>

#include "engine/error.h"

namespace naswot {

TableSpace::TableSpace(const IndexedTable& table, long count, const std::string& fitness_column,
                       const std::string& time_column, const std::function<double(long)>& flops,
                       const std::string& empty_hint)
    : table_(table), column_(table.column(fitness_column)), count_(count), flops_(flops) {
  if (column_ < 0) fail("accuracy table has no column '" + fitness_column + "'");
  bool any = false;
  for (const auto& row : table.values) any = any || !std::isnan(row[size_t(column_)]);
  if (!any) fail("the accuracy table's column '" + fitness_column + "' is empty" + empty_hint);
  const int tc = time_column.empty() ? -1 : table.column(time_column);
  measured_times = tc >= 0;
  for (long i = 0; i < count && measured_times; ++i) {
    const double t = table.values[size_t(i)][size_t(tc)];
    measured_times = !std::isnan(t) && t > 0;
  }
  if (!measured_times) {
    mean_train_seconds = kMeanTrainSeconds;
    return;
  }
  seconds_.resize(size_t(count));
  for (long i = 0; i < count; ++i) mean_train_seconds += seconds_[size_t(i)] = table.values[size_t(i)][size_t(tc)];
  mean_train_seconds /= double(count);
}

double TableSpace::fitness(long arch) {
  const double v = table_.values[size_t(arch)][size_t(column_)];
  return std::isnan(v) ? -INFINITY : v;
}

double TableSpace::train_seconds(long arch) {
  if (seconds_.empty()) {  // the FLOPs model, on first use
    seconds_.resize(size_t(count_));
    double mean = 0;
    for (long i = 0; i < count_; ++i) mean += seconds_[size_t(i)] = flops_(i);
    mean /= double(count_);
    for (double& s : seconds_) s = kMeanTrainSeconds * s / mean;
  }
  return seconds_[size_t(arch)];
}

}  // namespace naswot
