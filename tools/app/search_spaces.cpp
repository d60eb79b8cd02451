// The search command's spaces: tables, adapters, bounds and report columns (tools/app/search_spaces.h).
#include "tools/app/search_spaces.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "engine/error.h"
#include "searchspaces/nats_sss_search.h"
#include "searchspaces/nb101_index.h"
#include "searchspaces/nb101_search.h"
#include "searchspaces/nb201.h"
#include "searchspaces/nb201_search.h"

namespace naswot {
namespace {

struct LatencyBound {
  int column;  // in the latency table
  double ms;
};

// DEVICE=MS[,DEVICE=MS...]; DEVICE a column of nb201_latency_ms.csv, with or without its lat_ prefix.
std::vector<LatencyBound> parse_latency_bounds(const std::string& spec, const nb201::AccuracyTable& t) {
  std::vector<LatencyBound> out;
  size_t start = 0;
  for (;;) {
    const size_t comma = spec.find(',', start);
    const std::string item = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size())
      fail("--max-latency expects DEVICE=MS[,DEVICE=MS...], e.g. pixel3=20 (got '" + item + "')");
    const std::string dev = item.substr(0, eq);
    int col = t.column(dev);
    if (col < 0) col = t.column("lat_" + dev);
    if (col < 0) {
      std::string names;
      for (const auto& c : t.columns) names += (names.empty() ? "" : ", ") + c.substr(c.rfind("lat_", 0) == 0 ? 4 : 0);
      fail("--max-latency: unknown device '" + dev + "' (the latency table has: " + names + ")");
    }
    char* end = nullptr;
    const std::string num = item.substr(eq + 1);
    const double ms = std::strtod(num.c_str(), &end);
    if (end != num.c_str() + num.size() || !(ms > 0) || !std::isfinite(ms))
      fail("--max-latency: '" + num + "' is not a positive number of milliseconds");
    out.push_back({col, ms});
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

std::string fmt_g(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}

// --max-latency: one bound per device, on nb201_latency_ms.csv's columns.
std::vector<Bound> latency_bounds(const std::string& spec, const std::shared_ptr<const IndexedTable>& lat) {
  std::vector<Bound> out;
  for (const LatencyBound& lb : parse_latency_bounds(spec, *lat)) {
    char b[128];
    std::snprintf(b, sizeof b, "%s <= %g ms", lat->columns[size_t(lb.column)].c_str(), lb.ms);
    out.push_back({b, [lat, col = size_t(lb.column)](long i) { return lat->values[size_t(i)][col]; }, lb.ms});
  }
  return out;
}

const char* kColumns[6] = {"c10valid_val_200", "c10_test_200", "c100_val_200",
                           "c100_test_200",    "im16_val_200", "im16_test_200"};

template <class Table>  // IndexedTable or NB101's hash-keyed table
bool column_complete(const Table& t, const std::string& name) {
  const int col = t.column(name);
  if (col < 0) return false;
  for (const auto& row : t.values)
    if (std::isnan(row[size_t(col)])) return false;
  return true;
}

std::string table_budget_note(const TableSpace& s, const std::string& time_column) {
  char b[256];
  if (s.measured_times)
    std::snprintf(b, sizeof b,
                  "%s from the table: each architecture's 12-epoch training and validation time, mean over seeds; "
                  "mean %.0f s",
                  time_column.c_str(), s.mean_train_seconds);
  else
    std::snprintf(b, sizeof b, "%.0f s for the average network's 12 epochs, scaled by FLOPs",
                  TableSpace::kMeanTrainSeconds);
  return b;
}

}  // namespace

void SpaceSearch::constrain(const std::vector<Bound>& bounds, long count, const std::string& name) {
  if (bounds.empty()) return;
  std::string what;
  for (const Bound& b : bounds) what += (what.empty() ? "" : ", ") + b.what;
  std::vector<long> feasible;
  for (long i = 0; i < count; ++i) {
    bool ok = true;
    for (const Bound& b : bounds) ok = ok && b.value(i) <= b.limit;
    if (ok) feasible.push_back(i);
  }
  if (feasible.empty()) fail("no " + name + " architecture satisfies " + what);
  constraint = "Constraint: " + what + ": " + std::to_string(feasible.size()) + " of " + std::to_string(count) +
               " architectures (searches and the optimum row are limited to them)";
  constrained = std::make_unique<ConstrainedSpace>(*space, std::move(feasible));
}

void SpaceSearch::add_column(const std::string& header, std::function<double(long)> value, long count, bool best) {
  double top = -1;
  for (long i = 0; i < count && best; ++i)
    if (allows(i)) top = std::max(top, value(i));
  headers.push_back(header);
  report.push_back(std::move(value));
  optimum.push_back(best ? top : NAN);
}

void SpaceSearch::add_column(const std::shared_ptr<const IndexedTable>& t, const std::string& header,
                             const std::string& name, long count, bool best, double scale) {
  const int col = t->column(name);
  if (col < 0) fail("the benchmark table has no column '" + name + "'");
  add_column(
      header, [t, col, scale](long i) { return scale * t->values[size_t(i)][size_t(col)]; }, count, best);
}

double parse_max_params(const std::string& text) {
  char* end = nullptr;
  const double m = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !(m > 0) || !std::isfinite(m))
    fail("--max-params: '" + text + "' is not a positive number of millions of parameters");
  return m;
}

namespace {

SpaceSearch search_nb201(const std::string& data_dir, const std::string& dataset, const std::string& max_latency,
                         double max_params) {
  const std::map<std::string, std::pair<std::string, std::string>> cols = {
      // fitness, time
      {"cifar10", {"c10valid_val_12", "c10valid_time_12"}},
      {"cifar100", {"c100_val_12", "c100_time_12"}},
      {"imagenet16", {"im16_val_12", "im16_time_12"}}};
  SpaceSearch r;
  auto acc = std::make_shared<const nb201::AccuracyTable>(nb201::load_accuracy_table(data_dir));
  r.tables.push_back(acc);
  r.fitness = cols.at(dataset).first;
  // The benchmark's 12-epoch training + validation time, where the table has it (convert_nb201.py).
  auto s = std::make_unique<nb201::SearchSpace201>(*acc, r.fitness, cols.at(dataset).second);
  r.budget_note = table_budget_note(*s, cols.at(dataset).second);
  r.space = std::move(s);
  std::vector<Bound> bounds;
  std::shared_ptr<const IndexedTable> lat;
  if (!max_latency.empty()) {
    lat = std::make_shared<const nb201::AccuracyTable>(nb201::load_latency_table(data_dir));
    r.tables.push_back(lat);
    bounds = latency_bounds(max_latency, lat);
  }
  const size_t n_latency = bounds.size();
  const int pcol = acc->column("params_m_c10");
  if (max_params > 0) {
    if (pcol < 0) fail("--max-params: the NAS-Bench-201 table has no params_m_c10 column");
    bounds.push_back({"params_m_c10 <= " + fmt_g(max_params) + " M",
                      [acc, pcol](long i) { return acc->values[size_t(i)][size_t(pcol)]; }, max_params});
  }
  r.constrain(bounds, nb201::kNumArchs, "NAS-Bench-201");
  const char* headers[6] = {"CIFAR-10 val",   "CIFAR-10 test",      "CIFAR-100 val",
                            "CIFAR-100 test", "ImageNet16-120 val", "ImageNet16-120 test"};
  for (int k = 0; k < 6; ++k) r.add_column(acc, headers[k], kColumns[k], nb201::kNumArchs, true);
  for (size_t k = 0; k < n_latency; ++k)  // then the bounded quantities of the chosen architectures
    r.add_column("Latency " + bounds[k].what.substr(0, bounds[k].what.find(' ')) + " (ms)", bounds[k].value, 0, false);
  if (max_params > 0) r.add_column("Params (M)", bounds.back().value, 0, false);
  return r;
}

SpaceSearch search_nb101(const std::string& data_dir, double max_params) {
  SpaceSearch r;
  auto acc = std::make_shared<const nb101::AccuracyTable>(nb101::load_accuracy_table(data_dir));
  r.tables.push_back(acc);
  // NAS-Bench-101's own REA trains for validation accuracy: used when every cell has one (tables
  // converted from the official files); the data folder's table has the test accuracy only.
  r.fitness = column_complete(*acc, "val_acc_108_single_run") ? "val_acc_108_single_run" : "test_acc_108_single_run";
  if (r.fitness == "test_acc_108_single_run")
    r.fitness_note =
        " (a test accuracy: the table lacks val_acc_108_single_run for some cells; tools/convert_nb101.py "
        "writes it for all from the official file)";
  auto s = std::make_unique<nb101::SearchSpace101>(*acc, r.fitness);
  char b[256];
  if (s->measured_times)
    std::snprintf(b, sizeof b, "each cell's training_time_108; mean %.0f s per cell", s->mean_train_seconds);
  else
    std::snprintf(b, sizeof b,
                  "training_time_108 = %.4g * flops + %.0f s, least squares over %ld cells, R^2 %.2f; "
                  "mean %.0f s per cell",
                  s->fit_a, s->fit_b, s->fit_n, s->fit_r2, s->mean_train_seconds);
  r.budget_note = b;
  nb101::SearchSpace101* s101 = s.get();
  r.space = std::move(s);
  std::vector<Bound> bounds;
  if (max_params > 0) {
    if (!column_complete(*acc, "trainable_params"))
      fail(
          "--max-params: the NB101 table lacks trainable_params for some cells (tools/convert_nb101.py writes it "
          "for all from the official file)");
    const int pcol = acc->column("trainable_params");
    bounds.push_back({"trainable_params <= " + fmt_g(max_params) + " M",
                      [s101, pcol](long i) { return 1e-6 * s101->value(i, pcol); }, max_params});
  }
  r.constrain(bounds, nb101::kNumCells, "NAS-Bench-101");
  const int col = acc->column("test_acc_108_single_run");
  r.add_column(
      "CIFAR-10 test (108 epochs, one run)", [s101, col](long i) { return 100 * s101->value(i, col); },
      nb101::kNumCells, true);
  if (max_params > 0) r.add_column("Params (M)", bounds.back().value, 0, false);
  return r;
}

SpaceSearch search_sss(const std::string& data_dir, const std::string& dataset, double max_params) {
  const std::map<std::string, std::array<std::string, 3>> cols = {
      // 12-epoch fitness, its time, 90-epoch test
      {"cifar10", {"val_acc_12ep_c10valid", "time_12ep_c10valid", "test_acc_90ep_c10"}},
      {"cifar100", {"val_acc_12ep_c100", "time_12ep_c100", "test_acc_90ep_c100"}},
      {"imagenet16", {"val_acc_12ep_im16", "time_12ep_im16", "test_acc_90ep_im16"}}};
  SpaceSearch r;
  auto acc = std::make_shared<const nats_sss::AccuracyTable>(nats_sss::load_accuracy_table(data_dir));
  r.tables.push_back(acc);
  // NATS-Bench's REA trains for the 12-epoch validation accuracy (tables converted from the official
  // files); the data folder's table has the 90-epoch test accuracy only, which then stands in.
  const auto& c = cols.at(dataset);
  r.fitness = column_complete(*acc, c[0]) ? c[0] : c[2];
  if (r.fitness == c[2])
    r.fitness_note = " (a test accuracy: the table has no " + c[0] +
                     "; tools/convert_nb201.py writes it from the official NATS-sss file)";
  auto s = std::make_unique<nats_sss::SearchSpaceSSS>(*acc, r.fitness, c[1]);
  r.budget_note = table_budget_note(*s, c[1]);
  r.space = std::move(s);
  if (max_params > 0) {
    const int pcol = acc->column("params_c10");
    if (pcol < 0) fail("--max-params: the NATS-Bench SSS table has no params_c10 column");
    r.constrain({{"params_c10 <= " + fmt_g(max_params) + " M",
                  [acc, pcol](long i) { return 1e-6 * acc->values[size_t(i)][size_t(pcol)]; }, max_params}},
                nats_sss::kNumArchs, "NATS-Bench SSS");
  }
  r.add_column(acc, "CIFAR-10 test (90 epochs)", "test_acc_90ep_c10", nats_sss::kNumArchs, true);
  r.add_column(acc, "CIFAR-100 test", "test_acc_90ep_c100", nats_sss::kNumArchs, true);
  r.add_column(acc, "ImageNet16-120 test", "test_acc_90ep_im16", nats_sss::kNumArchs, true);
  r.add_column(acc, "Params CIFAR-10 (M)", "params_c10", nats_sss::kNumArchs, false, 1e-6);
  return r;
}

}  // namespace

SearchDefaults search_defaults(const Space& space) {
  switch (space.id()) {
    case SpaceId::Nb201: return {10, 3, 12000};     // the benchmark's REA and its published 12,000 s
    case SpaceId::NatsSss: return {10, 3, 20000};   // NATS-Bench's REA script
    case SpaceId::Nb101: return {50, 10, 1000000};  // the nasbench REA example; 1e6 s (~520 evaluations)
  }
  fail("search: unknown space");
}

SpaceSearch space_search(const Space& space, const std::string& data_dir, const std::string& dataset,
                         const std::string& max_latency, double max_params) {
  if (!max_latency.empty() && space.id() != SpaceId::Nb201)
    fail("--max-latency: latency tables exist for NAS-Bench-201 only");
  switch (space.id()) {
    case SpaceId::Nb201: return search_nb201(data_dir, dataset, max_latency, max_params);
    case SpaceId::Nb101: return search_nb101(data_dir, max_params);
    case SpaceId::NatsSss: return search_sss(data_dir, dataset, max_params);
  }
  fail("search: unknown space");
}

}  // namespace naswot
