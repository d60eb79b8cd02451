// CSV: splitting a benchmark table's line (plain comma-separated values, no quoting), reading a table
// keyed by architecture index, and writing one RFC 4180 field.
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace naswot {

inline std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

// v as an RFC 4180 field: quoted (inner quotes doubled) when it holds a comma, a quote or a newline,
// or always.
inline std::string csv_field(const std::string& v, bool always_quote = false) {
  if (!always_quote && v.find_first_of(",\"\n") == std::string::npos) return v;
  std::string q = "\"";
  for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// A table cell that must be a number, all of it (finite, or nan for a gap); otherwise naswot::Error
// "<where>: bad number '<cell>'".
double csv_number(const std::string& cell, const std::string& where);

struct IndexedTable {
  std::vector<std::string> columns;           // after index and the arch column
  std::vector<std::vector<double>> values;    // [index][column], NaN where empty
  int column(const std::string& name) const;  // -1 if absent
};

// Reads a CSV with header "index,<arch_header>,<columns...>": every index of [0, count) exactly once,
// each row's arch string equal to arch_of(index) (the benchmark's order is this engine's). `what` names
// the table in errors (e.g. "NAS-Bench-201 accuracy table"); every problem is a naswot::Error.
IndexedTable load_indexed_table(const std::string& path, const std::string& what, const std::string& arch_header,
                                long count, const std::function<std::string(long)>& arch_of);

}  // namespace naswot
