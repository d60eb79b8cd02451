// Search algorithms over any space: best-of-N by score, random search, REA and Assisted-REA.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace naswot {

// Counter-based random stream: the k-th draw of (seed, run) is fixed, whatever else happens.
class SearchRng {
 public:
  SearchRng(uint64_t seed, uint64_t run);
  uint64_t below(uint64_t n);  // uniform in [0, n)

 private:
  uint64_t key_, counter_ = 0;
};

// What a search needs from a search space and its benchmark.
class SearchSpace {
 public:
  virtual ~SearchSpace() = default;
  virtual long sample(SearchRng& rng) = 0;               // uniform architecture
  virtual long mutate(long parent, SearchRng& rng) = 0;  // a valid neighbour, different from parent
  virtual double fitness(long arch) = 0;                 // the validation signal REA "trains" for
  virtual double train_seconds(long arch) = 0;           // simulated cost of obtaining that signal
};

// A space restricted to the architectures in `feasible` (e.g. those under a latency bound): uniform
// sampling over them; a mutation is drawn again until the child is feasible, and a parent with no
// feasible child in kMutationTries draws gets a uniform feasible architecture instead.
class ConstrainedSpace final : public SearchSpace {
 public:
  ConstrainedSpace(SearchSpace& base, std::vector<long> feasible);
  long sample(SearchRng& rng) override;
  long mutate(long parent, SearchRng& rng) override;
  double fitness(long arch) override { return base_.fitness(arch); }
  double train_seconds(long arch) override { return base_.train_seconds(arch); }
  size_t size() const { return feasible_.size(); }
  bool allows(long arch) const { return arch >= 0 && size_t(arch) < ok_.size() && ok_[size_t(arch)]; }
  static constexpr int kMutationTries = 1000;

 private:
  SearchSpace& base_;
  std::vector<long> feasible_;
  std::vector<char> ok_;  // by architecture index
};

// Training-free score of an architecture: live (computed now) or replayed from a run database.
struct ScoreValue {
  double score;    // -inf when degenerate; NaN (no score) is ranked as -inf
  double seconds;  // time the scoring took (live) or was recorded to take (replay)
};
// The scores of distinct architectures, in the order given: the searches that score hand over all
// their candidates at once, so a live scorer can keep several in flight (--workers).
using ScoreFn = std::function<std::vector<ScoreValue>(const std::vector<long>& archs)>;

// Stop when the number of evaluations or the simulated training time would exceed the budget.
struct Budget {
  long evaluations = 0;  // 0: unlimited
  double seconds = 0;    // 0: unlimited
};

struct SearchResult {
  long chosen = -1;
  long evaluations = 0;       // benchmark lookups ("trainings")
  long scored = 0;            // training-free scores computed or replayed
  double score_seconds = 0;   // time spent scoring
  double train_seconds = 0;   // simulated training time spent
  std::vector<long> initial;  // AREA: the initial population
};

// The paper's NASWOT: score N distinct random architectures, keep the best by score (degenerate
// last, ties to the first sampled).
SearchResult best_of_n(SearchSpace& s, const ScoreFn& score, int n, SearchRng& rng);
// Random search: sample and "train" until the budget is spent; best by fitness.
SearchResult random_search(SearchSpace& s, const Budget& b, SearchRng& rng);
// Regularised evolution (Real et al.): population P, tournament S, age-based removal.
SearchResult rea(SearchSpace& s, const Budget& b, int population, int sample, SearchRng& rng,
                 std::vector<long> initial = {});
// Assisted-REA: score M random architectures, start REA from the top P by score.
SearchResult area(SearchSpace& s, const ScoreFn& score, const Budget& b, int m, int population, int sample,
                  SearchRng& rng);

}  // namespace naswot
