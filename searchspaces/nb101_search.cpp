// NB101 search-space adapter over the enumeration's index and the accuracy table.
#include "searchspaces/nb101_search.h"

#include <cmath>

#include "engine/error.h"
#include "searchspaces/nb101_index.h"

namespace naswot::nb101 {

SearchSpace101::SearchSpace101(const AccuracyTable& table, const std::string& fitness_column)
    : table_(table), column_(table.column(fitness_column)) {
  if (column_ < 0) fail("NB101 accuracy table has no column '" + fitness_column + "'");
  const auto& cells = indexed_cells();
  row_.resize(cells.size());
  for (size_t i = 0; i < cells.size(); ++i) {
    const auto* v = table.find(cells[i].hash);
    if (!v) fail("NB101 accuracy table lacks cell " + cells[i].hash);
    row_[i] = size_t(v - table.values.data());
  }
  const int tc = table.column("training_time_108"), fc = table.column("flops_thop");
  if (tc < 0) fail("NB101 accuracy table needs training_time_108 for the search budget");
  seconds_.resize(cells.size());
  double total = 0;
  // A table converted from the official files (tools/convert_nb101.py) has every cell's time: use it.
  measured_times = true;
  for (size_t i = 0; i < cells.size() && measured_times; ++i)
    measured_times = !std::isnan(table.values[row_[i]][size_t(tc)]);
  if (measured_times) {
    for (size_t i = 0; i < cells.size(); ++i) total += seconds_[i] = table.values[row_[i]][size_t(tc)];
    mean_train_seconds = total / double(cells.size());
    return;
  }
  if (fc < 0)
    fail(
        "NB101 accuracy table: training_time_108 is missing for some cells and there is no flops_thop column to "
        "model it from");
  double sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0;
  for (const auto& r : table.values) {
    const double x = r[size_t(fc)], y = r[size_t(tc)];
    if (std::isnan(x) || std::isnan(y)) continue;
    sx += x, sy += y, sxx += x * x, sxy += x * y, syy += y * y, ++fit_n;
  }
  if (fit_n < 2) fail("NB101 accuracy table: too few training times to fit the time model");
  const double n = double(fit_n), cov = sxy - sx * sy / n, var = sxx - sx * sx / n;
  fit_a = cov / var;
  fit_b = (sy - fit_a * sx) / n;
  fit_r2 = cov * cov / (var * (syy - sy * sy / n));
  for (size_t i = 0; i < cells.size(); ++i) {
    const double f = table.values[row_[i]][size_t(fc)];
    if (std::isnan(f)) fail("NB101 accuracy table: no flops_thop for cell " + cells[i].hash);
    total += seconds_[i] = std::max(1.0, fit_a * f + fit_b);
  }
  mean_train_seconds = total / double(cells.size());
}

long SearchSpace101::sample(SearchRng& rng) { return long(rng.below(uint64_t(kNumCells))); }

long SearchSpace101::mutate(long parent, SearchRng& rng) {
  const Cell& c = indexed_cells().at(size_t(parent)).cell;
  const std::string& parent_hash = indexed_cells()[size_t(parent)].hash;
  // 7-vertex embedding: vertices 0 .. V-2 keep their place, the output moves to 6, dead vertices
  // get ops drawn now.
  constexpr int N = kMaxVertices;
  std::vector<std::vector<int>> m(N, std::vector<int>(N, 0));
  std::vector<int> labels(N);
  auto place = [&](int v) { return v == c.V - 1 ? N - 1 : v; };
  for (int i = 0; i < c.V; ++i)
    for (int j = 0; j < c.V; ++j)
      if (c.edge(i, j)) m[size_t(place(i))][size_t(place(j))] = 1;
  for (int v = 0; v < N; ++v) labels[size_t(v)] = v == 0 ? Input : v == N - 1 ? Output : int(rng.below(3));
  for (int v = 1; v < c.V - 1; ++v) labels[size_t(v)] = c.labels[size_t(v)];
  // As NAS-Bench-101's own REA example (mutation rate 1): every edge flips with probability 1/7,
  // every interior op changes with probability 1/5; drawn again until valid and new. (One change at a
  // time cannot leave the 2-vertex cell: a new vertex needs two edges.)
  for (int attempt = 0; attempt < 100000; ++attempt) {
    auto mm = m;
    auto ll = labels;
    for (int i = 0; i < N - 1; ++i)
      for (int j = i + 1; j < N; ++j)
        if (rng.below(N) == 0) mm[size_t(i)][size_t(j)] ^= 1;
    for (int v = 1; v < N - 1; ++v)
      if (rng.below(N - 2) == 0) ll[size_t(v)] = (ll[size_t(v)] + 1 + int(rng.below(2))) % 3;
    try {
      const Cell child = make_cell(mm, ll);
      const std::string h = graph_hash(child);
      if (h != parent_hash) return index_of_hash(h);
    } catch (const Error&) {
      // invalid (disconnected, too many edges): draw again
    }
  }
  fail("NB101 mutation found no valid neighbour of cell " + parent_hash);
}

double SearchSpace101::value(long arch, int column) const {
  return table_.values[row_.at(size_t(arch))][size_t(column)];
}

double SearchSpace101::fitness(long arch) {
  const double v = value(arch, column_);
  return std::isnan(v) ? -INFINITY : v;
}

double SearchSpace101::train_seconds(long arch) { return seconds_.at(size_t(arch)); }

}  // namespace naswot::nb101
