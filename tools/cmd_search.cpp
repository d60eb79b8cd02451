// 'search': best-of-N, random search, REA and AREA on NAS-Bench-201, live or replayed from a run database.
#include <algorithm>
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

// --max-latency: the NB201 architectures within every bound, and a line that says so.
struct LatencyConstraint {
  std::vector<long> feasible;
  std::vector<int> columns;  // the bounded devices' latency-table columns
  std::string description;
};
LatencyConstraint latency_constraint(const std::string& spec, const nb201::AccuracyTable& lat) {
  const std::vector<LatencyBound> bounds = parse_latency_bounds(spec, lat);
  LatencyConstraint c;
  for (long i = 0; i < nb201::kNumArchs; ++i) {
    bool ok = true;
    for (const LatencyBound& lb : bounds) ok = ok && lat.values[size_t(i)][size_t(lb.column)] <= lb.ms;
    if (ok) c.feasible.push_back(i);
  }
  if (c.feasible.empty()) fail("no NAS-Bench-201 architecture satisfies --max-latency " + spec);
  c.description = "Constraint: ";
  for (const LatencyBound& lb : bounds) {
    char b[128];
    std::snprintf(b, sizeof b, "%s%s <= %g ms", c.columns.empty() ? "" : ", ", lat.columns[size_t(lb.column)].c_str(),
                  lb.ms);
    c.description += b;
    c.columns.push_back(lb.column);
  }
  c.description += ": " + std::to_string(c.feasible.size()) + " of " + std::to_string(nb201::kNumArchs) +
                   " architectures (searches and the optimum row are limited to them)";
  return c;
}

const char* kColumns[6] = {"c10valid_val_200", "c10_test_200", "c100_val_200",
                           "c100_test_200",    "im16_val_200", "im16_test_200"};

}  // namespace

int cmd_search(int argc, char** argv) {
  std::set<std::string> valued = {"algo",  "N",          "runs",           "scores", "record", "evals",
                                  "budget-seconds", "population", "tournament", "m",      "dataset", "search-seed",
                                  "max-latency"};
  valued.insert(scoring_options().begin(), scoring_options().end());
  const cli::Args a = cli::parse(argc, argv, 2, valued, {"print-choices"});
  const std::string algo = a.get("algo", "best-of-n");
  if (algo != "best-of-n" && algo != "random" && algo != "rea" && algo != "area")
    fail("unknown --algo '" + algo + "' (expected best-of-n, random, rea or area)");
  const std::string space_name = a.get("space", "nb201");
  if (space_name == "nats-sss") fail("search supports --space nb201 and nb101 (NATS-Bench SSS: score, score-space, report)");
  if (space_name != "nb201" && space_name != "nb101") fail("unknown --space '" + space_name + "' (nb201 or nb101)");
  const bool is101 = space_name == "nb101";
  const long space_size = is101 ? nb101::kNumCells : nb201::kNumArchs;
  // REA defaults: NB201's own REA (10 / 3); NB101: the nasbench REA example's (50 / 10).
  const int population = int(a.get_int("population", is101 ? 50 : 10, 1, 100000));
  const int tournament = int(a.get_int("tournament", std::min(is101 ? 10 : 3, population), 1, 100000));
  const int runs = int(a.get_int("runs", 10, 1, 1000000));
  const int n = int(a.get_int("N", 100, 1, space_size));

  const int m = int(a.get_int("m", 1000, 1, space_size));
  const uint64_t search_seed = uint64_t(a.get_int("search-seed", 0, 0, (1L << 62)));
  Budget budget;
  budget.evaluations = a.get_int("evals", 0, 0, 1L << 40);
  // NB201: the benchmark's published 12,000 s; NB101: 1e6 s of modelled training (~520 evaluations).
  if (budget.evaluations == 0) budget.seconds = double(a.get_int("budget-seconds", is101 ? 1000000 : 12000, 1, 1L << 40));
  const std::string dataset = a.get("dataset", "cifar10");
  const std::map<std::string, std::string> fitness_col =
      is101 ? std::map<std::string, std::string>{{"cifar10", "test_acc_108_single_run"}}
            : std::map<std::string, std::string>{
                  {"cifar10", "c10valid_val_12"}, {"cifar100", "c100_val_12"}, {"imagenet16", "im16_val_12"}};
  if (!fitness_col.count(dataset))
    fail("unknown --dataset '" + dataset + "' (" + (is101 ? "NB101: cifar10" : "cifar10, cifar100, imagenet16") + ")");
  std::string fitness = fitness_col.at(dataset);
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
    for (const ScoreRow& r : s.rows()) table_scores[r.index] = {r.score, r.seconds};
    mode = "replay of " + replay + " (" + std::to_string(table_scores.size()) + " scores, " +
           s.config().identity.at("score") + ", batch " + s.config().identity.at("batch") + ")";
  } else if (uses_score) {
    live = std::make_unique<ScoringSetup>(make_scoring_setup(a, /*parallel=*/true));  // candidates in flight
    if (a.has("record")) record = std::make_unique<RunStore>(RunStore::open_for_run(a.get("record"), live->run_config()));
    mode = "live: " + live->banner().substr(2);
  }
  const std::string data_dir = resolve_data_dir(a.get("data"));
  // The space, and what the table reports of a chosen architecture (percent).
  std::unique_ptr<nb201::AccuracyTable> acc201;
  std::unique_ptr<nb101::AccuracyTable> acc101;
  std::unique_ptr<SearchSpace> space;
  nb101::SearchSpace101* space101 = nullptr;
  nb201::SearchSpace201* space201 = nullptr;
  std::unique_ptr<nb201::AccuracyTable> lat201;
  std::unique_ptr<ConstrainedSpace> constrained;  // --max-latency: the feasible architectures only
  std::string constraint;
  std::vector<int> lat_cols;
  std::vector<std::string> headers;
  std::vector<std::function<double(long)>> report;
  std::vector<double> optimum;
  if (!is101) {
    acc201 = std::make_unique<nb201::AccuracyTable>(nb201::load_accuracy_table(data_dir));
    // The benchmark's 12-epoch training + validation time, where the table has it (convert_nb201.py).
    const std::map<std::string, std::string> time_col = {
        {"cifar10", "c10valid_time_12"}, {"cifar100", "c100_time_12"}, {"imagenet16", "im16_time_12"}};
    auto s201 = std::make_unique<nb201::SearchSpace201>(*acc201, fitness, time_col.at(dataset));
    space201 = s201.get();
    space = std::move(s201);
    headers = {"CIFAR-10 val", "CIFAR-10 test", "CIFAR-100 val", "CIFAR-100 test", "ImageNet16-120 val",
               "ImageNet16-120 test"};
    if (a.has("max-latency")) {
      lat201 = std::make_unique<nb201::AccuracyTable>(nb201::load_latency_table(data_dir));
      LatencyConstraint c = latency_constraint(a.get("max-latency"), *lat201);
      constraint = c.description;
      lat_cols = c.columns;
      constrained = std::make_unique<ConstrainedSpace>(*space, std::move(c.feasible));
    }
    for (const char* c : kColumns) {
      const size_t col = size_t(acc201->column(c));
      report.push_back([&, col](long i) { return acc201->values[size_t(i)][col]; });
      double best = -1;
      for (long i = 0; i < nb201::kNumArchs; ++i)
        if (!constrained || constrained->allows(i)) best = std::max(best, acc201->values[size_t(i)][col]);
      optimum.push_back(best);
    }
    for (int col : lat_cols) {  // then the chosen architectures' latencies
      headers.push_back("Latency " + lat201->columns[size_t(col)] + " (ms)");
      report.push_back([&, col](long i) { return lat201->values[size_t(i)][size_t(col)]; });
      optimum.push_back(NAN);
    }
  } else {
    if (a.has("max-latency")) fail("--max-latency: latency tables exist for NAS-Bench-201 only");
    acc101 = std::make_unique<nb101::AccuracyTable>(nb101::load_accuracy_table(data_dir));
    // NAS-Bench-101's own REA trains for validation accuracy: used when every cell has one (tables
    // converted from the official files); the data folder's table has the test accuracy only.
    const int vc = acc101->column("val_acc_108_single_run");
    bool every_val = vc >= 0;
    for (size_t r = 0; r < acc101->values.size() && every_val; ++r)
      every_val = !std::isnan(acc101->values[r][size_t(vc)]);
    if (every_val) fitness = "val_acc_108_single_run";
    auto s101 = std::make_unique<nb101::SearchSpace101>(*acc101, fitness);
    space101 = s101.get();
    space = std::move(s101);
    headers = {"CIFAR-10 test (108 epochs, one run)"};
    const int col = acc101->column("test_acc_108_single_run");
    report.push_back([&, col](long i) { return 100 * space101->value(i, col); });
    double best = -1;
    for (const auto& row : acc101->values) best = std::max(best, 100 * row[size_t(col)]);
    optimum.push_back(best);
  }

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

  SearchSpace& searched = constrained ? static_cast<SearchSpace&>(*constrained) : *space;
  const long searchable = constrained ? long(constrained->size()) : space_size;
  if (algo == "best-of-n" && n > searchable)
    fail("-N " + std::to_string(n) + " exceeds the " + std::to_string(searchable) +
         " architectures that satisfy --max-latency");
  if (algo == "area" && m > searchable)
    fail("--m " + std::to_string(m) + " exceeds the " + std::to_string(searchable) +
         " architectures that satisfy --max-latency");
  Stat time;
  std::vector<Stat> cols(report.size());
  for (int run = 0; run < runs; ++run) {
    SearchRng rng(search_seed, uint64_t(run));
    SearchResult r;
    if (algo == "best-of-n") r = best_of_n(searched, score, n, rng);
    else if (algo == "random") r = random_search(searched, budget, rng);
    else if (algo == "rea") r = rea(searched, budget, population, tournament, rng);
    else r = area(searched, score, budget, m, population, tournament, rng);
    time.add(r.score_seconds + r.train_seconds);
    for (size_t c = 0; c < report.size(); ++c) cols[c].add(report[c](r.chosen));
    if (a.has("print-choices"))
      std::fprintf(stderr, "run %d: chose %ld (%ld evaluations, %ld scored)\n", run, r.chosen, r.evaluations, r.scored);
  }

  std::string method = algo == "best-of-n" ? "NASWOT (N=" + std::to_string(n) + ")"
                       : algo == "random"  ? "Random search"
                       : algo == "rea"     ? "REA"
                                           : "AREA (M=" + std::to_string(m) + ")";
  std::printf("Scores: %s\n", mode.c_str());
  if (!constraint.empty()) std::printf("%s\n", constraint.c_str());
  if (algo != "best-of-n") {
    if (budget.evaluations) std::printf("Budget: %ld evaluations", budget.evaluations);
    else if (!is101 && space201->measured_times)
      std::printf("Budget: %.0f s of simulated training (each architecture's 12-epoch training and validation "
                  "time from the table, mean over seeds; mean %.0f s)",
                  budget.seconds, space201->mean_train_seconds);
    else if (!is101)
      std::printf("Budget: %.0f s of simulated training (%.0f s for the average network's 12 epochs, scaled by FLOPs)",
                  budget.seconds, nb201::SearchSpace201::kMeanTrainSeconds);
    else if (space101->measured_times)
      std::printf("Budget: %.0f s of simulated training (each cell's training_time_108; mean %.0f s per cell)",
                  budget.seconds, space101->mean_train_seconds);
    else
      std::printf("Budget: %.0f s of simulated training (training_time_108 = %.4g * flops + %.0f s, least squares "
                  "over %ld cells, R^2 %.2f; mean %.0f s per cell)",
                  budget.seconds, space101->fit_a, space101->fit_b, space101->fit_n, space101->fit_r2,
                  space101->mean_train_seconds);
    std::printf("; fitness %s", fitness.c_str());
    if (algo != "random") std::printf("; population %d, tournament %d", population, tournament);
    std::printf("\n");
  }
  std::printf("%d runs, search seed %llu. Accuracies in %%, mean ± std over runs.\n\n", runs,
              static_cast<unsigned long long>(search_seed));
  std::printf("| Method | Search (s) |");
  for (const auto& h : headers) std::printf(" %s |", h.c_str());
  std::printf("\n|---|---|");
  for (size_t c = 0; c < headers.size(); ++c) std::printf("---|");
  std::printf("\n| %s | %s |", method.c_str(), time.str().c_str());
  for (const Stat& s : cols) std::printf(" %s |", s.str().c_str());
  std::printf("\n| Optimal | – |");
  for (double best : optimum) std::isnan(best) ? std::printf(" – |") : std::printf(" %.2f |", best);
  std::printf("\n");
  return 0;
}

}  // namespace naswot
