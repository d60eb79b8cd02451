// CSV reader for the NB201 tables, cross-checked against the engine's index order.
#include "searchspaces/nb201_bench.h"

#include "searchspaces/nb201.h"

namespace naswot::nb201 {
AccuracyTable load_accuracy_table(const std::string& data_dir) {
  return load_table(data_dir + "/nb201/nb201_accuracy.csv", "accuracy table");
}

AccuracyTable load_latency_table(const std::string& data_dir) {
  return load_table(data_dir + "/nb201/nb201_latency_ms.csv", "latency table");
}

AccuracyTable load_table(const std::string& path, const std::string& what) {
  return load_indexed_table(path, "NAS-Bench-201 " + what, "arch", kNumArchs,
                            [](long i) { return to_string(from_index(int(i))); });
}

}  // namespace naswot::nb201
