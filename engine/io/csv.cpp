// Reading the benchmark tables keyed by architecture index (engine/io/csv.h).
#include "engine/io/csv.h"

#include <cmath>
#include <cstdlib>
#include <fstream>

#include "engine/error.h"

namespace naswot {

int IndexedTable::column(const std::string& name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name) return int(i);
  return -1;
}

double csv_number(const std::string& cell, const std::string& where) {
  // The whole cell must be the number: "91.5x" is refused, not read as 91.5.
  char* end = nullptr;
  const double v = std::strtod(cell.c_str(), &end);
  if (cell.empty() || end != cell.c_str() + cell.size() || std::isinf(v)) fail(where + ": bad number '" + cell + "'");
  return v;
}

IndexedTable load_indexed_table(const std::string& path, const std::string& what, const std::string& arch_header,
                                long count, const std::function<std::string(long)>& arch_of) {
  std::ifstream f(path);
  if (!f) fail("cannot open the " + what + " " + path);
  std::string line;
  if (!std::getline(f, line)) fail(path + " is empty");
  const auto header = split_csv(line);
  if (header.size() < 3 || header[0] != "index" || header[1] != arch_header)
    fail(path + ": expected a header starting with index," + arch_header);
  IndexedTable t;
  t.columns.assign(header.begin() + 2, header.end());
  t.values.assign(size_t(count), std::vector<double>(t.columns.size(), NAN));
  std::vector<char> seen(size_t(count), 0);
  for (long lineno = 2; std::getline(f, line); ++lineno) {
    if (line.empty()) continue;
    const std::string where = path + ":" + std::to_string(lineno);
    const auto cells = split_csv(line);
    if (cells.size() != header.size()) fail(where + ": wrong number of columns");
    const std::string& ix = cells[0];
    const long index =
        !ix.empty() && ix.size() <= 12 && ix.find_first_not_of("0123456789") == std::string::npos ? std::stol(ix) : -1;
    if (index < 0 || index >= count) fail(where + ": bad index '" + ix + "'");
    if (seen[size_t(index)]) fail(where + ": index " + ix + " appears twice");
    if (cells[1] != arch_of(index))
      fail(where + ": " + arch_header + " of index " + cells[0] + " disagrees with the benchmark order");
    for (size_t c = 2; c < cells.size(); ++c) {
      if (cells[c].empty()) continue;
      t.values[size_t(index)][c - 2] = csv_number(cells[c], where);
    }
    seen[size_t(index)] = 1;
  }
  for (long i = 0; i < count; ++i)
    if (!seen[size_t(i)]) fail(path + ": index " + std::to_string(i) + " is missing");
  return t;
}

}  // namespace naswot
