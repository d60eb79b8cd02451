// CSV reader for the NB101 accuracy table; checks the header, numbers, hash format and completeness.
#include "searchspaces/nb101_bench.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>

#include "engine/error.h"
#include "engine/io/csv.h"
#include "searchspaces/nb101_index.h"

namespace naswot::nb101 {

int AccuracyTable::column(const std::string& name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name) return int(i);
  return -1;
}

const std::vector<double>* AccuracyTable::find(const std::string& hash) const {
  const auto it = std::lower_bound(hashes.begin(), hashes.end(), hash);
  return it != hashes.end() && *it == hash ? &values[size_t(it - hashes.begin())] : nullptr;
}

AccuracyTable load_accuracy_table(const std::string& data_dir) {
  const std::string path = data_dir + "/nb101/nb101_accuracy.csv";
  std::ifstream f(path);
  if (!f) fail("cannot open the NAS-Bench-101 accuracy table " + path);
  std::string line;
  if (!std::getline(f, line)) fail(path + " is empty");
  const auto header = split_csv(line);
  if (header.size() < 2 || header[0] != "hash") fail(path + ": expected a header starting with hash");
  AccuracyTable t;
  t.columns.assign(header.begin() + 1, header.end());
  long lineno = 1;
  while (std::getline(f, line)) {
    ++lineno;
    if (line.empty()) continue;
    const auto cells = split_csv(line);
    const std::string where = path + ":" + std::to_string(lineno);
    if (cells.size() != header.size()) fail(where + ": wrong number of columns");
    if (!nb101::is_graph_hash(cells[0])) fail(where + ": '" + cells[0] + "' is not a graph hash");
    std::vector<double> v(t.columns.size(), NAN);
    for (size_t c = 1; c < cells.size(); ++c) {
      if (!cells[c].empty()) v[c - 1] = csv_number(cells[c], where);
    }
    t.hashes.push_back(cells[0]);
    t.values.push_back(std::move(v));
  }
  // Sort by hash (the file is sorted already; this keeps lookups right if it is not).
  std::vector<size_t> o(t.hashes.size());
  std::iota(o.begin(), o.end(), 0);
  std::sort(o.begin(), o.end(), [&](size_t a, size_t b) { return t.hashes[a] < t.hashes[b]; });
  AccuracyTable s;
  s.columns = t.columns;
  for (size_t i : o) {
    if (!s.hashes.empty() && s.hashes.back() == t.hashes[i]) fail(path + ": hash " + t.hashes[i] + " appears twice");
    s.hashes.push_back(std::move(t.hashes[i]));
    s.values.push_back(std::move(t.values[i]));
  }
  if (long(s.hashes.size()) != kNumCells)
    fail(path + ": " + std::to_string(s.hashes.size()) + " cells, expected " + std::to_string(kNumCells));
  return s;
}

}  // namespace naswot::nb101
