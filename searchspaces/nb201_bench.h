// NAS-Bench-201 tables from the data directory (accuracies, latencies), indexed by benchmark index.
#pragma once
#include <string>
#include <vector>

namespace naswot::nb201 {

struct AccuracyTable {
  std::vector<std::string> columns;         // accuracy columns after index,arch (e.g. c10_test_200)
  std::vector<std::vector<double>> values;  // [index][column], NaN where empty
  int column(const std::string& name) const;  // -1 if absent
};

// Reads a CSV with header index,arch,<columns>; checks 15,625 rows whose arch strings match this index
// order. `what` names the table in errors.
AccuracyTable load_table(const std::string& path, const std::string& what);
// <dir>/nb201/nb201_accuracy.csv
AccuracyTable load_accuracy_table(const std::string& data_dir);
// <dir>/nb201/nb201_latency_ms.csv: measured latency (ms) per device column (HW-NAS-Bench, HELP).
AccuracyTable load_latency_table(const std::string& data_dir);

}  // namespace naswot::nb201
