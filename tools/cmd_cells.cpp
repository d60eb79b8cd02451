// 'cells': enumerate NAS-Bench-101's unique cells with their canonical representatives.
#include <chrono>
#include <cstdio>
#include <map>

#include "engine/error.h"
#include "searchspaces/nb101.h"
#include "searchspaces/nb101_index.h"
#include "tools/cli_args.h"
#include "tools/commands.h"

namespace naswot {

int cmd_cells(int argc, char** argv) {
  const cli::Args a = cli::parse(argc, argv, cli::kCells);
  if (a.get("space", "nb101") != "nb101") fail("cells: only --space nb101 is enumerated (NB201 is indexed)");
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<nb101::HashedCell> cells = nb101::enumerate_cells();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::map<int, long> by_v;
  long inplace = 0;
  for (const auto& c : cells) ++by_v[c.cell.V], inplace += nb101::hits_reference_inplace_bug(c.cell);
  std::fprintf(stderr, "# %zu unique cells in %.1f s; by vertex count:", cells.size(), secs);
  for (auto [v, n] : by_v) std::fprintf(stderr, " V=%d: %ld", v, n);
  std::fprintf(stderr,
               "\n# %ld cells hit the reference port's in-place bug (docs/nb101.md; --nb101-inplace reference)\n",
               inplace);
  FILE* f = stdout;
  if (a.has("out") && !(f = std::fopen(a.get("out").c_str(), "w"))) fail("cannot write " + a.get("out"));
  // Same layout as the benchmark-derived table: hash, V, flat row-major adjacency, ops.
  std::fprintf(f, "hash\tnum_vertices\tadjacency\tops\n");
  for (const auto& c : cells) {
    std::string adj;
    for (uint8_t e : c.cell.adj) adj += e ? '1' : '0';
    std::fprintf(f, "%s\t%d\t%s\t%s\n", c.hash.c_str(), c.cell.V, adj.c_str(), c.cell.ops_string().c_str());
  }
  if (f != stdout) std::fclose(f);
  return 0;
}

}  // namespace naswot
