// Index <-> hash for NAS-Bench-101, backed by the enumeration (no benchmark file needed).
#include "searchspaces/nb101_index.h"

#include <algorithm>
#include <cstdio>

#include "engine/error.h"

namespace naswot::nb101 {

const std::vector<HashedCell>& indexed_cells() {
  static const std::vector<HashedCell> cells = [] {
    std::fprintf(stderr, "# enumerating the 423,624 NAS-Bench-101 cells for the index (about 10 s)\n");
    std::vector<HashedCell> c = enumerate_cells();
    if (long(c.size()) != kNumCells) fail("NB101 enumeration gave " + std::to_string(c.size()) + " cells");
    return c;
  }();
  return cells;
}

long index_of_hash(const std::string& hash) {
  const auto& cells = indexed_cells();
  const auto it = std::lower_bound(cells.begin(), cells.end(), hash,
                                   [](const HashedCell& c, const std::string& h) { return c.hash < h; });
  return it != cells.end() && it->hash == hash ? long(it - cells.begin()) : -1;
}

long resolve_index(const std::string& spec) {
  if (!spec.empty() && spec.size() <= 7 && spec.find_first_not_of("0123456789") == std::string::npos) {
    const long i = std::stol(spec);
    if (i >= kNumCells) fail("NB101 index " + spec + " is out of range (0 .. 423623)");
    return i;
  }
  if (spec.size() == 32 && spec.find_first_not_of("0123456789abcdef") == std::string::npos) {
    const long i = index_of_hash(spec);
    if (i < 0) fail("no NAS-Bench-101 cell has the hash " + spec);
    return i;
  }
  fail("'" + spec + "' is neither an NB101 index (0 .. 423623) nor a 32-digit lowercase hex graph hash");
}

bool hits_reference_inplace_bug(const Cell& c) {
  const int out = c.V - 1;
  if (c.V < 3 || !c.edge(0, out)) return false;
  int feeders = 0, feeder = -1;
  for (int v = 1; v < out; ++v)
    if (c.edge(v, out)) ++feeders, feeder = v;
  return feeders == 1 && (c.labels[size_t(feeder)] == Conv3x3 || c.labels[size_t(feeder)] == Conv1x1);
}

}  // namespace naswot::nb101
