// Search algorithms; every random choice goes through SearchRng so runs are reproducible.
#include "engine/search.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <set>

#include "engine/error.h"
#include "engine/rng.h"

namespace naswot {

SearchRng::SearchRng(uint64_t seed, uint64_t run) : key_(stream_key(seed, run, 0x5EA2C4)) {}
uint64_t SearchRng::below(uint64_t n) { return naswot::below(key_, counter_++, n); }

namespace {

// Charges one "training" against the budget; false (and nothing charged) if it would exceed it.
bool charge(SearchSpace& s, const Budget& b, long arch, SearchResult& r) {
  const double t = s.train_seconds(arch);
  if (b.evaluations > 0 && r.evaluations + 1 > b.evaluations) return false;
  if (b.seconds > 0 && r.train_seconds + t > b.seconds) return false;
  ++r.evaluations;
  r.train_seconds += t;
  return true;
}

bool unlimited(const Budget& b) { return b.evaluations <= 0 && b.seconds <= 0; }

// n distinct uniform architectures in sampling order (the draws do not depend on any score).
std::vector<long> sample_distinct(SearchSpace& s, int n, SearchRng& rng, const char* who) {
  std::vector<long> archs;
  std::set<long> seen;
  for (int attempts = 0; int(archs.size()) < n;) {
    if (++attempts > 100 * n)
      fail(std::string(who) + ": could not sample " + std::to_string(n) + " distinct architectures");
    const long a = s.sample(rng);
    if (seen.insert(a).second) archs.push_back(a);
  }
  return archs;
}

std::vector<ScoreValue> scores_of(const ScoreFn& score, const std::vector<long>& archs) {
  std::vector<ScoreValue> v = score(archs);
  if (v.size() != archs.size()) fail("search: the scorer returned a different number of scores");
  // No score (NaN: a cell the reference cannot score) ranks last with the degenerate ones: a NaN would
  // never lose a comparison once chosen, and breaks the ordering sort relies on.
  for (ScoreValue& x : v)
    if (std::isnan(x.score)) x.score = -INFINITY;
  return v;
}

}  // namespace

ConstrainedSpace::ConstrainedSpace(SearchSpace& base, std::vector<long> feasible)
    : base_(base), feasible_(std::move(feasible)) {
  if (feasible_.empty()) fail("no architecture satisfies the constraint");
  for (long a : feasible_) {
    if (a < 0) fail("ConstrainedSpace: negative architecture index");
    if (size_t(a) >= ok_.size()) ok_.resize(size_t(a) + 1, 0);
    ok_[size_t(a)] = 1;
  }
}

long ConstrainedSpace::sample(SearchRng& rng) { return feasible_[size_t(rng.below(feasible_.size()))]; }

long ConstrainedSpace::mutate(long parent, SearchRng& rng) {
  for (int k = 0; k < kMutationTries; ++k)
    if (const long c = base_.mutate(parent, rng); allows(c)) return c;
  if (feasible_.size() == 1) return feasible_[0];
  for (;;)  // no feasible neighbour: a fresh feasible architecture other than the parent
    if (const long c = sample(rng); c != parent) return c;
}

SearchResult best_of_n(SearchSpace& s, const ScoreFn& score, int n, SearchRng& rng) {
  if (n < 1) fail("best-of-N needs N >= 1");
  SearchResult r;
  const std::vector<long> archs = sample_distinct(s, n, rng, "best-of-N");
  const std::vector<ScoreValue> v = scores_of(score, archs);
  double best = -std::numeric_limits<double>::infinity();
  for (size_t k = 0; k < archs.size(); ++k) {  // ties (and all degenerate) go to the first sampled
    ++r.scored;
    r.score_seconds += v[k].seconds;
    if (r.chosen < 0 || v[k].score > best) {
      best = v[k].score;
      r.chosen = archs[k];
    }
  }
  return r;
}

SearchResult random_search(SearchSpace& s, const Budget& b, SearchRng& rng) {
  if (unlimited(b)) fail("random search needs a budget (--evals or --budget-seconds)");
  SearchResult r;
  double best = -std::numeric_limits<double>::infinity();
  for (;;) {
    const long a = s.sample(rng);
    if (!charge(s, b, a, r)) break;
    const double f = s.fitness(a);
    if (r.chosen < 0 || f > best) best = f, r.chosen = a;
  }
  return r;
}

SearchResult rea(SearchSpace& s, const Budget& b, int population, int sample, SearchRng& rng,
                 std::vector<long> initial) {
  if (unlimited(b)) fail("REA needs a budget (--evals or --budget-seconds)");
  if (population < 1 || sample < 1 || sample > population) fail("REA needs 1 <= sample size <= population");
  SearchResult r;
  r.initial = initial;
  std::deque<std::pair<long, double>> pop;  // oldest first
  double best = -std::numeric_limits<double>::infinity();
  auto evaluate = [&](long a) {
    if (!charge(s, b, a, r)) return false;
    const double f = s.fitness(a);
    pop.emplace_back(a, f);
    if (r.chosen < 0 || f > best) best = f, r.chosen = a;
    return true;
  };
  for (size_t i = 0; int(pop.size()) < population; ++i)
    if (!evaluate(i < initial.size() ? initial[i] : s.sample(rng))) return r;
  for (;;) {
    // Tournament: the fittest of `sample` members drawn without replacement.
    std::vector<size_t> idx(pop.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    size_t parent = 0;
    double pf = -std::numeric_limits<double>::infinity();
    for (int k = 0; k < sample; ++k) {
      std::swap(idx[size_t(k)], idx[size_t(k) + rng.below(idx.size() - size_t(k))]);
      if (pop[idx[size_t(k)]].second > pf || k == 0) pf = pop[idx[size_t(k)]].second, parent = idx[size_t(k)];
    }
    if (!evaluate(s.mutate(pop[parent].first, rng))) return r;
    pop.pop_front();  // regularised: the oldest dies
  }
}

SearchResult area(SearchSpace& s, const ScoreFn& score, const Budget& b, int m, int population, int sample,
                  SearchRng& rng) {
  if (m < population) fail("AREA needs M >= population (it keeps the top P of M scored architectures)");
  const std::vector<long> archs = sample_distinct(s, m, rng, "AREA");
  const std::vector<ScoreValue> v = scores_of(score, archs);
  std::vector<std::pair<double, long>> scored;
  SearchResult pre;
  for (size_t k = 0; k < archs.size(); ++k) {
    ++pre.scored;
    pre.score_seconds += v[k].seconds;
    scored.emplace_back(v[k].score, archs[k]);
  }
  // Top P by score; ties (e.g. degenerate -inf) keep the sampling order.
  std::stable_sort(scored.begin(), scored.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
  std::vector<long> init;
  for (int i = 0; i < population; ++i) init.push_back(scored[size_t(i)].second);
  SearchResult r = rea(s, b, population, sample, rng, init);
  r.scored = pre.scored;
  r.score_seconds = pre.score_seconds;
  return r;
}

}  // namespace naswot
