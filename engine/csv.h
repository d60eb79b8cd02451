// Splitting one line of the benchmark tables (plain comma-separated values, no quoting).
#pragma once
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

}  // namespace naswot
