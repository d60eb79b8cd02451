// CSV reader for the NB201 tables, cross-checked against the engine's index order.
#include "searchspaces/nb201_bench.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "engine/csv.h"
#include "engine/error.h"
#include "searchspaces/nb201.h"

namespace naswot::nb201 {
int AccuracyTable::column(const std::string& name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name) return int(i);
  return -1;
}

AccuracyTable load_accuracy_table(const std::string& data_dir) {
  return load_table(data_dir + "/nb201/nb201_accuracy.csv", "accuracy table");
}

AccuracyTable load_latency_table(const std::string& data_dir) {
  return load_table(data_dir + "/nb201/nb201_latency_ms.csv", "latency table");
}

AccuracyTable load_table(const std::string& path, const std::string& what) {
  std::ifstream f(path);
  if (!f) fail("cannot open the NAS-Bench-201 " + what + " " + path);
  std::string line;
  if (!std::getline(f, line)) fail(path + " is empty");
  const auto header = split_csv(line);
  if (header.size() < 3 || header[0] != "index" || header[1] != "arch")
    fail(path + ": expected a header starting with index,arch");
  AccuracyTable t;
  t.columns.assign(header.begin() + 2, header.end());
  t.values.assign(kNumArchs, std::vector<double>(t.columns.size(), NAN));
  std::vector<char> seen(kNumArchs, 0);
  long lineno = 1;
  while (std::getline(f, line)) {
    ++lineno;
    if (line.empty()) continue;
    const auto cells = split_csv(line);
    if (cells.size() != header.size()) fail(path + ":" + std::to_string(lineno) + ": wrong number of columns");
    long index = -1;
    try {
      index = std::stol(cells[0]);
    } catch (...) {
    }
    if (index < 0 || index >= kNumArchs) fail(path + ":" + std::to_string(lineno) + ": bad index '" + cells[0] + "'");
    if (cells[1] != to_string(from_index(int(index))))
      fail(path + ":" + std::to_string(lineno) + ": arch of index " + cells[0] + " disagrees with the benchmark order");
    for (size_t c = 2; c < cells.size(); ++c) {
      if (cells[c].empty()) continue;
      try {
        t.values[index][c - 2] = std::stod(cells[c]);
      } catch (...) {
        fail(path + ":" + std::to_string(lineno) + ": bad number '" + cells[c] + "'");
      }
    }
    seen[index] = 1;
  }
  for (int i = 0; i < kNumArchs; ++i)
    if (!seen[i]) fail(path + ": index " + std::to_string(i) + " is missing");
  return t;
}

}  // namespace naswot::nb201
