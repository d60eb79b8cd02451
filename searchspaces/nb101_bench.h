// NAS-Bench-101 accuracy table (nb101_accuracy.csv from the data directory), keyed by graph hash.
#pragma once
#include <string>
#include <vector>

namespace naswot::nb101 {

struct AccuracyTable {
  std::vector<std::string> columns;                                // columns after hash (test_acc_108_single_run, ...)
  std::vector<std::string> hashes;                                 // ascending
  std::vector<std::vector<double>> values;                         // [row][column], NaN where empty
  int column(const std::string& name) const;                       // -1 if absent
  const std::vector<double>* find(const std::string& hash) const;  // nullptr if absent
};

// Reads <dir>/nb101/nb101_accuracy.csv: a hash column, then numeric columns; 423,624 distinct hashes.
AccuracyTable load_accuracy_table(const std::string& data_dir);

}  // namespace naswot::nb101
