// 'search': best-of-N, random search, REA and AREA on NAS-Bench-201, live or replayed from a run database.
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include "engine/error.h"
#include "engine/search.h"
#include "engine/store.h"
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

const char* kColumns[6] = {"c10valid_val_200", "c10_test_200", "c100_val_200",
                           "c100_test_200",    "im16_val_200", "im16_test_200"};

}  // namespace

int cmd_search(int argc, char** argv) {
  std::set<std::string> valued = {"algo",  "N",          "runs",           "scores", "record", "evals",
                                  "budget-seconds", "population", "tournament", "m",      "dataset", "search-seed"};
  valued.insert(scoring_options().begin(), scoring_options().end());
  const cli::Args a = cli::parse(argc, argv, 2, valued, {"print-choices"});
  const std::string algo = a.get("algo", "best-of-n");
  if (algo != "best-of-n" && algo != "random" && algo != "rea" && algo != "area")
    fail("unknown --algo '" + algo + "' (expected best-of-n, random, rea or area)");
  if (a.get("space", "nb201") != "nb201") fail("search supports --space nb201 (NAS-Bench-101 is not built yet)");
  const int runs = int(a.get_int("runs", 10, 1, 1000000));
  const int n = int(a.get_int("N", 100, 1, nb201::kNumArchs));
  const int population = int(a.get_int("population", 10, 1, 100000));
  const int tournament = int(a.get_int("tournament", 3, 1, 100000));
  const int m = int(a.get_int("m", 1000, 1, nb201::kNumArchs));
  const uint64_t search_seed = uint64_t(a.get_int("search-seed", 0, 0, (1L << 62)));
  Budget budget;
  budget.evaluations = a.get_int("evals", 0, 0, 1L << 40);
  if (budget.evaluations == 0) budget.seconds = double(a.get_int("budget-seconds", 12000, 1, 1L << 40));
  const std::string dataset = a.get("dataset", "cifar10");
  const std::map<std::string, std::string> fitness_col = {
      {"cifar10", "c10valid_val_12"}, {"cifar100", "c100_val_12"}, {"imagenet16", "im16_val_12"}};
  if (!fitness_col.count(dataset)) fail("unknown --dataset '" + dataset + "' (cifar10, cifar100, imagenet16)");
  const bool uses_score = algo == "best-of-n" || algo == "area";

  // Scores: replayed from a database (any architecture missing is an error), or computed live.
  const std::string replay = a.get("scores");
  std::unique_ptr<ScoringSetup> live;
  std::unique_ptr<RunStore> record;
  std::map<long, ScoreValue> table_scores;
  std::string mode = "no scores";
  if (uses_score && !replay.empty()) {
    for (const std::string& k : {"batch", "seed", "augment", "score", "relu-sites", "num-classes"})
      if (a.has(k)) fail("--" + k + " conflicts with --scores: the scoring configuration comes from " + replay);
    const RunStore s = RunStore::open_existing(replay);
    for (const ScoreRow& r : s.rows()) table_scores[r.index] = {r.score, r.seconds};
    mode = "replay of " + replay + " (" + std::to_string(table_scores.size()) + " scores, " +
           s.config().identity.at("score") + ", batch " + s.config().identity.at("batch") + ")";
  } else if (uses_score) {
    live = std::make_unique<ScoringSetup>(make_scoring_setup(a));
    if (a.has("record")) record = std::make_unique<RunStore>(RunStore::open_for_run(a.get("record"), live->run_config()));
    mode = "live: " + live->banner().substr(2);
  }
  const std::string data_dir = resolve_data_dir(a.get("data"));
  const nb201::AccuracyTable acc = nb201::load_accuracy_table(data_dir);
  nb201::SearchSpace201 space(acc, fitness_col.at(dataset));

  std::map<long, ScoreValue> recorded;
  std::set<long> stored;  // already in the --record database (read once, not per architecture)
  if (record)
    for (long i : record->done_indices()) stored.insert(i);
  const ScoreFn score = [&](long arch) -> ScoreValue {
    if (!live) {
      auto it = table_scores.find(arch);
      if (it == table_scores.end())
        fail("index " + std::to_string(arch) + " is not in " + replay + "; score the space first (naswot score-space)");
      return it->second;
    }
    if (auto it = recorded.find(arch); it != recorded.end()) return it->second;  // same arch again: no rescoring
    const ScoreRow r = live->score(nb201::from_index(int(arch)));
    if (record && stored.insert(arch).second) record->put(r);
    return recorded[arch] = {r.score, r.seconds};
  };

  Stat time, cols[6];
  std::vector<int> col_idx;
  for (const char* c : kColumns) col_idx.push_back(acc.column(c));
  for (int run = 0; run < runs; ++run) {
    SearchRng rng(search_seed, uint64_t(run));
    SearchResult r;
    if (algo == "best-of-n") r = best_of_n(space, score, n, rng);
    else if (algo == "random") r = random_search(space, budget, rng);
    else if (algo == "rea") r = rea(space, budget, population, tournament, rng);
    else r = area(space, score, budget, m, population, tournament, rng);
    time.add(r.score_seconds + r.train_seconds);
    for (int c = 0; c < 6; ++c) cols[c].add(acc.values[size_t(r.chosen)][size_t(col_idx[size_t(c)])]);
    if (a.has("print-choices"))
      std::fprintf(stderr, "run %d: chose %ld (%ld evaluations, %ld scored)\n", run, r.chosen, r.evaluations, r.scored);
  }

  std::string method = algo == "best-of-n" ? "NASWOT (N=" + std::to_string(n) + ")"
                       : algo == "random"  ? "Random search"
                       : algo == "rea"     ? "REA"
                                           : "AREA (M=" + std::to_string(m) + ")";
  std::printf("Scores: %s\n", mode.c_str());
  if (algo != "best-of-n") {
    if (budget.evaluations) std::printf("Budget: %ld evaluations", budget.evaluations);
    else std::printf("Budget: %.0f s of simulated training (%.0f s for the average network's 12 epochs, scaled by FLOPs)",
                     budget.seconds, nb201::SearchSpace201::kMeanTrainSeconds);
    std::printf("; fitness %s", fitness_col.at(dataset).c_str());
    if (algo != "random") std::printf("; population %d, tournament %d", population, tournament);
    std::printf("\n");
  }
  std::printf("%d runs, search seed %llu. Accuracies in %%, mean ± std over runs.\n\n", runs,
              static_cast<unsigned long long>(search_seed));
  std::printf("| Method | Search (s) | CIFAR-10 val | CIFAR-10 test | CIFAR-100 val | CIFAR-100 test | "
              "ImageNet16-120 val | ImageNet16-120 test |\n|---|---|---|---|---|---|---|---|\n");
  std::printf("| %s | %s |", method.c_str(), time.str().c_str());
  for (const Stat& s : cols) std::printf(" %s |", s.str().c_str());
  std::printf("\n| Optimal | – |");
  for (int c = 0; c < 6; ++c) {
    double best = -1;
    for (const auto& row : acc.values) best = std::max(best, row[size_t(col_idx[size_t(c)])]);
    std::printf(" %.2f |", best);
  }
  std::printf("\n");
  return 0;
}

}  // namespace naswot
