// 'search': best-of-N, random search, REA and AREA on NAS-Bench-201, NAS-Bench-101 and NATS-Bench SSS, live or
// replayed from a run database.
#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>

#include "engine/error.h"
#include "engine/search.h"
#include "engine/store.h"
#include "searchspaces/nats_sss_search.h"
#include "searchspaces/nb101_search.h"
#include "searchspaces/nb201_search.h"
#include "tools/commands.h"
#include "tools/scoring_setup.h"

namespace naswot {
namespace {

struct Stat {
  double sum = 0, sq = 0;
  long n = 0;
  void add(double v) { sum += v, sq += v * v, ++n; }
  std::string str() const {  // mean +- population std, as the papers' tables
    const double m = sum / double(n), sd = std::sqrt(std::max(0.0, sq / double(n) - m * m));
    char b[64];
    std::snprintf(b, sizeof b, "%.2f ± %.2f", m, sd);
    return b;
  }
};

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

// An upper bound on one per-architecture quantity (--max-latency, --max-params).
struct Bound {
  std::string what;                    // e.g. "lat_pixel3 <= 12 ms"
  std::function<double(long)> value;   // NaN never satisfies a bound
  double limit;
};

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

// --max-params M: parameters in millions (the benchmark's 10-class network).
double parse_max_params(const std::string& text) {
  char* end = nullptr;
  const double m = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !(m > 0) || !std::isfinite(m))
    fail("--max-params: '" + text + "' is not a positive number of millions of parameters");
  return m;
}

const char* kColumns[6] = {"c10valid_val_200", "c10_test_200", "c100_val_200",
                           "c100_test_200",    "im16_val_200", "im16_test_200"};

// A space as the search sees it: what it samples and trains, how training is charged, what the
// table reports of a chosen architecture (percent) and the best such value.
struct SpaceSearch {
  std::vector<std::shared_ptr<const void>> tables;  // read by `space` and `report`; outlive them
  std::unique_ptr<SearchSpace> space;
  std::unique_ptr<ConstrainedSpace> constrained;  // --max-latency / --max-params: the feasible architectures only
  std::string constraint;                          // and a line that says so
  std::string fitness;                             // the column REA and random search train for
  std::string fitness_note;                        // printed after it
  std::string budget_note;                         // how simulated training is charged
  std::vector<std::string> headers;
  std::vector<std::function<double(long)>> report;
  std::vector<double> optimum;  // NaN: no optimum row entry (costs)

  SearchSpace& searched() { return constrained ? static_cast<SearchSpace&>(*constrained) : *space; }
  // Limits searches and the optimum row to the architectures of [0, count) within every bound (call
  // before add_column); `name` names the space in the error when none is.
  void constrain(const std::vector<Bound>& bounds, long count, const std::string& name) {
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
  bool allows(long i) const { return !constrained || constrained->allows(i); }
  // A report column: value(arch) of the chosen architectures; with `best`, the optimum over the allowed ones.
  void add_column(const std::string& header, std::function<double(long)> value, long count, bool best) {
    double top = -1;
    for (long i = 0; i < count && best; ++i)
      if (allows(i)) top = std::max(top, value(i));
    headers.push_back(header);
    report.push_back(std::move(value));
    optimum.push_back(best ? top : NAN);
  }
  // The same for `scale` x table column `name`.
  void add_column(const std::shared_ptr<const IndexedTable>& t, const std::string& header, const std::string& name,
                  long count, bool best, double scale = 1) {
    const int col = t->column(name);
    if (col < 0) fail("the benchmark table has no column '" + name + "'");
    add_column(header, [t, col, scale](long i) { return scale * t->values[size_t(i)][size_t(col)]; }, count, best);
  }
};

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
    std::snprintf(b, sizeof b, "%.0f s for the average network's 12 epochs, scaled by FLOPs", TableSpace::kMeanTrainSeconds);
  return b;
}

SpaceSearch search_nb201(const std::string& data_dir, const std::string& dataset, const std::string& max_latency,
                         double max_params) {
  const std::map<std::string, std::pair<std::string, std::string>> cols = {  // fitness, time
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
  const char* headers[6] = {"CIFAR-10 val", "CIFAR-10 test", "CIFAR-100 val", "CIFAR-100 test", "ImageNet16-120 val",
                            "ImageNet16-120 test"};
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
    r.fitness_note = " (a test accuracy: the table lacks val_acc_108_single_run for some cells; tools/convert_nb101.py "
                     "writes it for all from the official file)";
  auto s = std::make_unique<nb101::SearchSpace101>(*acc, r.fitness);
  char b[256];
  if (s->measured_times)
    std::snprintf(b, sizeof b, "each cell's training_time_108; mean %.0f s per cell", s->mean_train_seconds);
  else
    std::snprintf(b, sizeof b, "training_time_108 = %.4g * flops + %.0f s, least squares over %ld cells, R^2 %.2f; "
                  "mean %.0f s per cell", s->fit_a, s->fit_b, s->fit_n, s->fit_r2, s->mean_train_seconds);
  r.budget_note = b;
  nb101::SearchSpace101* s101 = s.get();
  r.space = std::move(s);
  std::vector<Bound> bounds;
  if (max_params > 0) {
    if (!column_complete(*acc, "trainable_params"))
      fail("--max-params: the NB101 table lacks trainable_params for some cells (tools/convert_nb101.py writes it "
           "for all from the official file)");
    const int pcol = acc->column("trainable_params");
    bounds.push_back({"trainable_params <= " + fmt_g(max_params) + " M",
                      [s101, pcol](long i) { return 1e-6 * s101->value(i, pcol); }, max_params});
  }
  r.constrain(bounds, nb101::kNumCells, "NAS-Bench-101");
  const int col = acc->column("test_acc_108_single_run");
  r.add_column("CIFAR-10 test (108 epochs, one run)", [s101, col](long i) { return 100 * s101->value(i, col); },
               nb101::kNumCells, true);
  if (max_params > 0) r.add_column("Params (M)", bounds.back().value, 0, false);
  return r;
}

SpaceSearch search_sss(const std::string& data_dir, const std::string& dataset, double max_params) {
  const std::map<std::string, std::array<std::string, 3>> cols = {  // 12-epoch fitness, its time, 90-epoch test
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

int cmd_search(int argc, char** argv) {
  std::set<std::string> valued = {"algo",  "N",          "runs",           "scores", "record", "evals",
                                  "budget-seconds", "population", "tournament", "m",      "dataset", "search-seed",
                                  "max-latency", "max-params"};
  valued.insert(scoring_options().begin(), scoring_options().end());
  const cli::Args a = cli::parse(argc, argv, 2, valued, {"print-choices"});
  const std::string algo = a.get("algo", "best-of-n");
  if (algo != "best-of-n" && algo != "random" && algo != "rea" && algo != "area")
    fail("unknown --algo '" + algo + "' (expected best-of-n, random, rea or area)");
  const std::string space_name = a.get("space", "nb201");
  if (space_name != "nb201" && space_name != "nb101" && space_name != "nats-sss")
    fail("unknown --space '" + space_name + "' (nb201, nb101 or nats-sss)");
  const bool is101 = space_name == "nb101";
  const long space_size = naswot::space_size(space_name);
  // REA defaults: NB201's and NATS-Bench's own REA (10 / 3); NB101: the nasbench REA example's (50 / 10).
  const int population = int(a.get_int("population", is101 ? 50 : 10, 1, 100000));
  const int tournament = int(a.get_int("tournament", std::min(is101 ? 10 : 3, population), 1, 100000));
  const int runs = int(a.get_int("runs", 10, 1, 1000000));
  const int n = int(a.get_int("N", 100, 1, space_size));

  const int m = int(a.get_int("m", 1000, 1, space_size));
  const uint64_t search_seed = uint64_t(a.get_int("search-seed", 0, 0, (1L << 62)));
  Budget budget;
  budget.evaluations = a.get_int("evals", 0, 0, 1L << 40);
  // NB201: the benchmark's published 12,000 s; NATS-Bench SSS: its REA script's 20,000 s; NB101: 1e6 s
  // of modelled training (~520 evaluations).
  const long default_budget = is101 ? 1000000 : space_name == "nats-sss" ? 20000 : 12000;
  if (budget.evaluations == 0) budget.seconds = double(a.get_int("budget-seconds", default_budget, 1, 1L << 40));
  const std::string dataset = a.get("dataset", "cifar10");
  if (is101 ? dataset != "cifar10" : dataset != "cifar10" && dataset != "cifar100" && dataset != "imagenet16")
    fail("unknown --dataset '" + dataset + "' (" + (is101 ? "NB101: cifar10" : "cifar10, cifar100, imagenet16") + ")");
  if (a.has("max-latency") && space_name != "nb201") fail("--max-latency: latency tables exist for NAS-Bench-201 only");
  const double max_params = a.has("max-params") ? parse_max_params(a.get("max-params")) : 0;
  const bool uses_score = algo == "best-of-n" || algo == "area";

  // Scores: replayed from a database (any architecture missing is an error), or computed live.
  const std::string replay = a.get("scores");
  std::unique_ptr<ScoringSetup> live;
  std::unique_ptr<RunStore> record;
  std::map<long, ScoreValue> table_scores;
  std::string mode = "no scores";
  if (uses_score && !replay.empty()) {
    for (const std::string& k :
         {"batch", "seed", "augment", "score", "relu-sites", "num-classes", "sigma-precision", "sampler", "init"})
      if (a.has(k)) fail("--" + k + " conflicts with --scores: the scoring configuration comes from " + replay);
    const RunStore s = RunStore::open_existing(replay);
    const auto& id = s.config().identity;
    const std::string db_space = id.count("space") ? id.at("space") : "nb201";
    if (db_space != space_name)
      fail(replay + " holds " + db_space + " scores; this search is over --space " + space_name);
    for (const ScoreRow& r : s.rows()) table_scores[r.index] = {r.score, r.seconds};
    mode = "replay of " + replay + " (" + std::to_string(table_scores.size()) + " scores, " + id.at("score") +
           ", batch " + id.at("batch") + ")";
  } else if (uses_score) {
    live = std::make_unique<ScoringSetup>(make_scoring_setup(a, /*parallel=*/true));  // candidates in flight
    if (a.has("record")) record = std::make_unique<RunStore>(RunStore::open_for_run(a.get("record"), live->run_config()));
    mode = "live: " + live->banner().substr(2);
  }
  const std::string data_dir = resolve_data_dir(a.get("data"));
  SpaceSearch ss = space_name == "nb201" ? search_nb201(data_dir, dataset, a.get("max-latency"), max_params)
                   : is101               ? search_nb101(data_dir, max_params)
                                         : search_sss(data_dir, dataset, max_params);

  std::map<long, ScoreValue> recorded;
  std::set<long> stored;  // already in the --record database (read once, not per architecture)
  if (record)
    for (long i : record->done_indices()) stored.insert(i);
  const ScoreFn score = [&](const std::vector<long>& archs) {
    std::vector<ScoreValue> out(archs.size());
    std::vector<long> todo;  // live: not scored yet (an architecture drawn again is not rescored)
    std::vector<size_t> where;
    for (size_t k = 0; k < archs.size(); ++k) {
      if (!live) {
        auto it = table_scores.find(archs[k]);
        if (it == table_scores.end())
          fail("index " + std::to_string(archs[k]) + " is not in " + replay +
               "; score the space first (naswot score-space)");
        out[k] = it->second;
      } else if (auto it = recorded.find(archs[k]); it != recorded.end()) {
        out[k] = it->second;
      } else {
        todo.push_back(archs[k]);
        where.push_back(k);
      }
    }
    if (live)
      live->score_many(todo, [&](size_t j, const ScoreRow& r) {
        if (record && stored.insert(todo[j]).second) record->put(r);
        recorded[todo[j]] = out[where[j]] = {r.score, r.seconds};
      });
    return out;
  };

  SearchSpace& searched = ss.searched();
  const long searchable = ss.constrained ? long(ss.constrained->size()) : space_size;
  if (algo == "best-of-n" && n > searchable)
    fail("-N " + std::to_string(n) + " exceeds the " + std::to_string(searchable) +
         " architectures that satisfy the constraint");
  if (algo == "area" && m > searchable)
    fail("--m " + std::to_string(m) + " exceeds the " + std::to_string(searchable) +
         " architectures that satisfy the constraint");
  Stat time;
  std::vector<Stat> cols(ss.report.size());
  for (int run = 0; run < runs; ++run) {
    SearchRng rng(search_seed, uint64_t(run));
    SearchResult r;
    if (algo == "best-of-n") r = best_of_n(searched, score, n, rng);
    else if (algo == "random") r = random_search(searched, budget, rng);
    else if (algo == "rea") r = rea(searched, budget, population, tournament, rng);
    else r = area(searched, score, budget, m, population, tournament, rng);
    time.add(r.score_seconds + r.train_seconds);
    for (size_t c = 0; c < ss.report.size(); ++c) cols[c].add(ss.report[c](r.chosen));
    if (a.has("print-choices"))
      std::fprintf(stderr, "run %d: chose %ld (%ld evaluations, %ld scored)\n", run, r.chosen, r.evaluations, r.scored);
  }

  std::string method = algo == "best-of-n" ? "NASWOT (N=" + std::to_string(n) + ")"
                       : algo == "random"  ? "Random search"
                       : algo == "rea"     ? "REA"
                                           : "AREA (M=" + std::to_string(m) + ")";
  std::printf("Scores: %s\n", mode.c_str());
  if (!ss.constraint.empty()) std::printf("%s\n", ss.constraint.c_str());
  if (algo != "best-of-n") {
    if (budget.evaluations) std::printf("Budget: %ld evaluations", budget.evaluations);
    else std::printf("Budget: %.0f s of simulated training (%s)", budget.seconds, ss.budget_note.c_str());
    std::printf("; fitness %s%s", ss.fitness.c_str(), ss.fitness_note.c_str());
    if (algo != "random") std::printf("; population %d, tournament %d", population, tournament);
    std::printf("\n");
  }
  std::printf("%d runs, search seed %llu. Accuracies in %%, mean ± std over runs.\n\n", runs,
              static_cast<unsigned long long>(search_seed));
  std::printf("| Method | Search (s) |");
  for (const auto& h : ss.headers) std::printf(" %s |", h.c_str());
  std::printf("\n|---|---|");
  for (size_t c = 0; c < ss.headers.size(); ++c) std::printf("---|");
  std::printf("\n| %s | %s |", method.c_str(), time.str().c_str());
  for (const Stat& s : cols) std::printf(" %s |", s.str().c_str());
  std::printf("\n| Optimal | – |");
  for (double best : ss.optimum) std::isnan(best) ? std::printf(" – |") : std::printf(" %.2f |", best);
  std::printf("\n");
  return 0;
}

}  // namespace naswot
