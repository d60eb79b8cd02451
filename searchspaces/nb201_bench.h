// NAS-Bench-201 accuracy table (nb201_accuracy.csv from the data directory), indexed by benchmark index.
#pragma once
#include <string>
#include <vector>

namespace naswot::nb201 {

struct AccuracyTable {
  std::vector<std::string> columns;         // accuracy columns after index,arch (e.g. c10_test_200)
  std::vector<std::vector<double>> values;  // [index][column], NaN where empty
  int column(const std::string& name) const;  // -1 if absent
};

// Reads <dir>/nb201/nb201_accuracy.csv; checks 15,625 rows whose arch strings match this index order.
AccuracyTable load_accuracy_table(const std::string& data_dir);

}  // namespace naswot::nb201
