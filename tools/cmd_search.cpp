// 'search': best-of-N, random search, REA and AREA on NAS-Bench-201, NAS-Bench-101 and NATS-Bench SSS, live or
// replayed from a run database.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>

#include "engine/error.h"
#include "engine/io/store.h"
#include "engine/search.h"
#include "tools/app/runs.h"
#include "tools/app/scoring.h"
#include "tools/app/search_spaces.h"
#include "tools/commands.h"
#include "tools/doc.h"
#include "tools/scoring_setup.h"

namespace naswot {
namespace {

struct Stat {
  double sum = 0, sq = 0;
  long n = 0;
  void add(double v) { sum += v, sq += v * v, ++n; }
  Cell cell() const {  // mean ± population std, as the papers' tables
    const double m = sum / double(n), sd = std::sqrt(std::max(0.0, sq / double(n) - m * m));
    return cell_mean_std(m, sd, 2);
  }
};

// Where a search's scores come from: a score-space run replayed (an architecture missing is an
// error), or live scoring over several workers (each architecture once; --record keeps them).
class SearchScores {
 public:
  SearchScores(const cli::Args& a, const Space& space, const std::string& dataset) {
    replay_ = a.get("scores");
    if (!replay_.empty()) {
      for (const std::string& k :
           {"batch", "seed", "augment", "score", "relu-sites", "num-classes", "sigma-precision", "sampler", "init"})
        if (a.has(k)) fail("--" + k + " conflicts with --scores: the scoring configuration comes from " + replay_);
      const CheckedRun s = read_run(replay_);
      if (s.space != space.name())
        fail(replay_ + " holds " + s.space + " scores; this search is over --space " + space.name());
      const size_t by = score_position(s.scores, a.get("by"), replay_);
      for (const ScoreRow& r : s.rows) known_[r.index] = {r.value(by).score, r.seconds};
      // Scores of one dataset's images may rank networks for another's accuracies; say so when they do.
      const std::string db_dataset = s.get("dataset", "cifar10");
      mode = "replay of " + replay_ + " (" + std::to_string(known_.size()) + " scores, " + s.scores[by] + ", batch " +
             s.get("batch", "") + (db_dataset != dataset ? ", scored on " + db_dataset + " images" : "") + ")";
      return;
    }
    try {
      live_ = std::make_unique<ScoringSetup>(make_scoring_setup(a, ScoringUse::Many));  // candidates in flight
    } catch (const MissingData& e) {
      // Live scoring follows --dataset; without its images, scores of other images can still be replayed.
      fail(std::string(e.what()) + ". A live search scores on --dataset " + dataset +
           "'s images; to rank with scores computed on other images, replay a score-space run: --scores RUN.db");
    }
    std::vector<std::string> names;
    for (ScoreKind k : live_->score_kinds) names.push_back(score_kind_name(k));
    by_ = score_position(names, a.get("by"), "--score " + score_kinds_name(live_->score_kinds));
    if (a.has("record")) {
      record_ = std::make_unique<RunStore>(RunStore::open_for_run(a.get("record"), live_->run_config()));
      for (long i : record_->done_indices()) stored_.insert(i);  // read once, not per architecture
    }
    mode = "live: " + live_->banner().substr(2) + (names.size() > 1 ? " | ranked by " + names[by_] : "");
  }

  std::vector<ScoreValue> operator()(const std::vector<long>& archs) {
    std::vector<ScoreValue> out(archs.size());
    std::vector<long> todo;  // live: not scored yet (an architecture drawn again is not rescored)
    std::vector<size_t> where;
    for (size_t k = 0; k < archs.size(); ++k) {
      if (auto it = known_.find(archs[k]); it != known_.end()) {
        out[k] = it->second;
      } else if (!live_) {
        fail("index " + std::to_string(archs[k]) + " is not in " + replay_ +
             "; score the space first (naswot score-space)");
      } else {
        todo.push_back(archs[k]);
        where.push_back(k);
      }
    }
    if (live_)
      live_->score_many(todo, [&](size_t j, const ScoreRow& r) {
        if (record_ && stored_.insert(todo[j]).second) record_->put(r);
        known_[todo[j]] = out[where[j]] = {r.value(by_).score, r.seconds};
      });
    return out;
  }

  std::string mode;  // for the output's first line

 private:
  std::string replay_;
  std::map<long, ScoreValue> known_;  // replayed, or scored live so far
  std::unique_ptr<ScoringSetup> live_;
  size_t by_ = 0;  // live: the position of --by among the scores
  std::unique_ptr<RunStore> record_;
  std::set<long> stored_;  // in the --record database
};

}  // namespace

int cmd_search(int argc, char** argv) {
  const cli::Args a = cli::parse(argc, argv, cli::kSearch);
  const std::string algo = a.get("algo");
  const Format format = parse_format(a.get("format"));
  if (algo != "best-of-n" && algo != "random" && algo != "rea" && algo != "area")
    fail("unknown --algo '" + algo + "' (expected best-of-n, random, rea or area)");
  const Space& space = space_named(a.get("space"));
  const long space_size = space.size();
  const SearchDefaults defaults = search_defaults(space);
  const int population = int(a.get_int("population", defaults.population));
  const int tournament = int(a.get_int("tournament", std::min(defaults.tournament, population)));
  const int runs = int(a.get_int("runs"));
  const int n = int(a.get_int("N", 100, 1, space_size));  // at most the space

  const int m = int(a.get_int("m", 1000, 1, space_size));
  const uint64_t search_seed = uint64_t(a.get_int("search-seed"));
  Budget budget;
  budget.evaluations = a.get_int("evals");
  if (budget.evaluations == 0) budget.seconds = double(a.get_int("budget-seconds", defaults.budget_seconds));
  const std::string dataset = dataset_name(parse_dataset(a.get("dataset")));
  if (!space.all_datasets() && dataset != "cifar10")
    fail("--dataset " + dataset + ": " + space.title() + " has CIFAR-10 results only");
  if (a.has("max-latency") && space.id() != SpaceId::Nb201)
    fail("--max-latency: latency tables exist for NAS-Bench-201 only");
  const double max_params = a.has("max-params") ? parse_max_params(a.get("max-params")) : 0;

  std::unique_ptr<SearchScores> scores;  // best-of-N and AREA rank by score; random search and REA do not
  if (algo == "best-of-n" || algo == "area") scores = std::make_unique<SearchScores>(a, space, dataset);
  const ScoreFn score = [&](const std::vector<long>& archs) { return (*scores)(archs); };
  const std::string data_dir = resolve_data_dir(a.given("data"));
  SpaceSearch ss = space_search(space, data_dir, dataset, a.get("max-latency"), max_params);

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
    if (algo == "best-of-n")
      r = best_of_n(searched, score, n, rng);
    else if (algo == "random")
      r = random_search(searched, budget, rng);
    else if (algo == "rea")
      r = rea(searched, budget, population, tournament, rng);
    else
      r = area(searched, score, budget, m, population, tournament, rng);
    time.add(r.score_seconds + r.train_seconds);
    for (size_t c = 0; c < ss.report.size(); ++c) cols[c].add(ss.report[c](r.chosen));
    if (a.has("print-choices"))
      std::fprintf(stderr, "run %d: chose %ld (%ld evaluations, %ld scored)\n", run, r.chosen, r.evaluations, r.scored);
  }

  const std::string method = algo == "best-of-n" ? "NASWOT (N=" + std::to_string(n) + ")"
                             : algo == "random"  ? "Random search"
                             : algo == "rea"     ? "REA"
                                                 : "AREA (M=" + std::to_string(m) + ")";
  std::string head = std::string("Scores: ") + (scores ? scores->mode : "no scores") + "\n";
  if (!ss.constraint.empty()) head += ss.constraint + "\n";
  if (algo != "best-of-n") {
    char b[64];
    std::snprintf(b, sizeof b, "%.0f", budget.seconds);
    head += budget.evaluations ? "Budget: " + std::to_string(budget.evaluations) + " evaluations"
                               : "Budget: " + std::string(b) + " s of simulated training (" + ss.budget_note + ")";
    head += "; fitness " + ss.fitness + ss.fitness_note;
    if (algo != "random")
      head += "; population " + std::to_string(population) + ", tournament " + std::to_string(tournament);
    head += "\n";
  }
  head += std::to_string(runs) + " runs, search seed " + std::to_string(search_seed) +
          ". Accuracies in %, mean ± std over runs.";
  Doc doc("naswot search", /*markdown_heading=*/false);
  doc.text(head);
  std::vector<std::string> columns = {"Method", "Search (s)"};
  columns.insert(columns.end(), ss.headers.begin(), ss.headers.end());
  Table& t = doc.table("search", columns);
  std::vector<Cell> row = {cell(method), time.cell()};
  for (const Stat& st : cols) row.push_back(st.cell());
  t.rows.push_back(row);
  row = {cell("Optimal"), missing()};
  for (double best : ss.optimum) row.push_back(std::isnan(best) ? missing() : cell(best, 2));
  t.rows.push_back(row);
  doc.print(format);
  return 0;
}

}  // namespace naswot
