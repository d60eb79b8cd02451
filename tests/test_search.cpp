// Search algorithms on a toy space with known values, and the spaces' mutations and training-time models.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "engine/error.h"
#include "engine/search.h"
#include "searchspaces/nats_sss_search.h"
#include "searchspaces/nb101_index.h"
#include "searchspaces/nb101_search.h"
#include "searchspaces/nb201.h"
#include "searchspaces/nb201_search.h"
#include "tests/test_util.h"

using namespace naswot;

namespace {

// Architectures 0..999; fitness = (a * 37) % 1000, cost 7 s each; mutation = a +- 1..3.
struct ToySpace : SearchSpace {
  long sample(SearchRng& r) override { return long(r.below(1000)); }
  long mutate(long p, SearchRng& r) override {
    const long d = 1 + long(r.below(3));
    return (p + (r.below(2) ? d : 1000 - d)) % 1000;
  }
  double fitness(long a) override {
    evaluated.push_back(a);
    return double((a * 37) % 1000);
  }
  std::vector<long> evaluated;
  double train_seconds(long) override { return 7; }
};

ScoreValue toy_score(long a) { return {a % 10 == 3 ? -INFINITY : double((a * 91) % 997), 0.5}; }

// A ScoreFn that scores one architecture at a time with f, in the order given.
ScoreFn each(const std::function<ScoreValue(long)>& f) {
  return [f](const std::vector<long>& archs) {
    std::vector<ScoreValue> v;
    for (long a : archs) v.push_back(f(a));
    return v;
  };
}

}  // namespace

TEST_CASE("best-of-N keeps the best score, degenerate last, and is reproducible") {
  ToySpace s;
  std::vector<long> seen;
  const ScoreFn f = each([&](long a) {
    seen.push_back(a);
    return toy_score(a);
  });
  SearchRng r1(5, 0);
  const SearchResult r = best_of_n(s, f, 50, r1);
  CHECK(seen.size() == 50);
  CHECK(std::set<long>(seen.begin(), seen.end()).size() == 50);
  long best = seen[0];
  for (long a : seen)
    if (toy_score(a).score > toy_score(best).score) best = a;
  CHECK(r.chosen == best);
  CHECK(r.score_seconds == doctest::Approx(25.0));
  SearchRng r2(5, 0);
  CHECK(best_of_n(s, each(toy_score), 50, r2).chosen == r.chosen);
  SearchRng r3(5, 1);
  seen.clear();
  best_of_n(s, f, 50, r3);
  CHECK(seen.size() == 50);
}

TEST_CASE("an architecture without a score (NaN) ranks last, with the degenerate ones") {
  ToySpace s;
  std::vector<long> seen;
  // The first candidate has no score: it must not stay chosen (every comparison with NaN is false).
  const ScoreFn f = each([&](long a) {
    seen.push_back(a);
    return seen.size() == 1 ? ScoreValue{std::nan(""), 0} : toy_score(a);
  });
  SearchRng r1(5, 0);
  const SearchResult r = best_of_n(s, f, 50, r1);
  CHECK(r.chosen != seen[0]);
  CHECK(r.chosen >= 0);
  // AREA: NaN scores fall outside its top P (half the candidates unscorable; sort order stays valid).
  std::vector<long> nan_archs;
  const ScoreFn g = each([&](long a) {
    if (a % 2) {
      nan_archs.push_back(a);
      return ScoreValue{std::nan(""), 0};
    }
    return toy_score(a);
  });
  SearchRng r2(4, 0);
  const SearchResult res = area(s, g, Budget{30, 0}, 100, 10, 3, r2);
  for (long a : res.initial) CHECK(a % 2 == 0);
}

TEST_CASE("budgets stop exactly") {
  ToySpace s;
  SearchRng r1(1, 0);
  CHECK(random_search(s, Budget{25, 0}, r1).evaluations == 25);
  SearchRng r2(1, 0);
  const SearchResult r = rea(s, Budget{0, 50}, 3, 2, r2);  // 7 s each: 7 fit (49 s), the 8th would not
  CHECK(r.evaluations == 7);
  CHECK(r.train_seconds == doctest::Approx(49.0));
  SearchRng r3(1, 0);
  CHECK(rea(s, Budget{2, 0}, 5, 2, r3).evaluations == 2);  // budget ends inside the initial population
  SearchRng r4(1, 0);
  CHECK_THROWS_AS(rea(s, Budget{}, 5, 2, r4), Error);
}

TEST_CASE("REA: same seed, same choice; the best evaluated architecture is reported") {
  ToySpace s, t;
  SearchRng a(9, 3), b(9, 3);
  const SearchResult x = rea(s, Budget{200, 0}, 10, 3, a), y = rea(t, Budget{200, 0}, 10, 3, b);
  CHECK(x.chosen == y.chosen);
  CHECK(s.evaluated == t.evaluated);
  REQUIRE(s.evaluated.size() == 200);
  long best = s.evaluated[0];
  for (long e : s.evaluated)
    if ((e * 37) % 1000 > (best * 37) % 1000) best = e;
  CHECK(x.chosen == best);
  // Children are mutations of population members: after the initial 10, each is within 3 of some earlier one.
  for (size_t i = 10; i < s.evaluated.size(); ++i) {
    bool near = false;
    for (size_t j = 0; j < i && !near; ++j) {
      const long d = std::labs(s.evaluated[i] - s.evaluated[j]);
      near = (d >= 1 && d <= 3) || (d >= 997 && d <= 999);
    }
    CHECK(near);
  }
}

TEST_CASE("AREA starts REA from the top P of its M scored architectures") {
  ToySpace s;
  std::vector<std::pair<double, long>> scored;
  const ScoreFn f = each([&](long a) {
    const ScoreValue v = toy_score(a);
    scored.emplace_back(v.score, a);
    return v;
  });
  SearchRng r(4, 0);
  const SearchResult res = area(s, f, Budget{30, 0}, 100, 10, 3, r);
  REQUIRE(scored.size() == 100);
  std::stable_sort(scored.begin(), scored.end(), [](auto& x, auto& y) { return x.first > y.first; });
  std::vector<long> top;
  for (int i = 0; i < 10; ++i) top.push_back(scored[size_t(i)].second);
  CHECK(res.initial == top);
  CHECK(res.scored == 100);
  CHECK(res.evaluations == 30);
}

TEST_CASE("NB201 budget: the table's 12-epoch times when complete, else the FLOPs model") {
  nb201::AccuracyTable t;
  t.columns = {"c10valid_val_12", "c10valid_time_12"};
  for (int i = 0; i < nb201::kNumArchs; ++i) t.values.push_back({50.0, 100.0 + i % 13});
  nb201::SearchSpace201 timed(t, "c10valid_val_12", "c10valid_time_12");
  CHECK(timed.measured_times);
  CHECK(timed.train_seconds(27) == 100.0 + 27 % 13);
  t.values[5][1] = NAN;  // one gap: the model for all (a budget mixing the two would be neither)
  nb201::SearchSpace201 modelled(t, "c10valid_val_12", "c10valid_time_12");
  CHECK_FALSE(modelled.measured_times);
  CHECK(modelled.mean_train_seconds == nb201::SearchSpace201::kMeanTrainSeconds);
  CHECK(modelled.train_seconds(1) > modelled.train_seconds(0));  // more conv FLOPs cost more
  CHECK_FALSE(nb201::SearchSpace201(t, "c10valid_val_12", "no_such_column").measured_times);
}

TEST_CASE("ConstrainedSpace: samples and mutates within the feasible set, reproducibly") {
  nb201::AccuracyTable t;
  t.columns = {"c10valid_val_12"};
  t.values.assign(nb201::kNumArchs, {50.0});
  nb201::SearchSpace201 base(t, "c10valid_val_12");
  std::vector<long> feasible;
  for (long i = 0; i < nb201::kNumArchs; ++i)
    if (i % 7 == 0 || i == 15624) feasible.push_back(i);
  ConstrainedSpace s(base, feasible);
  CHECK(s.size() == feasible.size());
  SearchRng rng(5, 0), again(5, 0);
  std::set<long> seen;
  for (int k = 0; k < 3000; ++k) {
    const long a = s.sample(rng), c = s.mutate(a, rng);
    REQUIRE(s.allows(a));
    REQUIRE(s.allows(c));
    REQUIRE(c != a);
    seen.insert(a);
    REQUIRE(a == s.sample(again));
    REQUIRE(c == s.mutate(a, again));
  }
  CHECK(seen.size() > feasible.size() / 2);  // uniform over the set, not stuck
  CHECK_FALSE(s.allows(1));
  CHECK_FALSE(s.allows(-1));
  CHECK(test::error_of([&] { ConstrainedSpace none(base, {}); }).find("no architecture") != std::string::npos);
}

TEST_CASE("NB201 mutations change exactly one edge") {
  SearchRng rng(2, 0);
  nb201::AccuracyTable empty;
  empty.columns = {"c10valid_val_12"};
  empty.values.assign(nb201::kNumArchs, {50.0});
  nb201::SearchSpace201 s(empty, "c10valid_val_12");
  for (int t = 0; t < 2000; ++t) {
    const long p = s.sample(rng), c = s.mutate(p, rng);
    const nb201::Arch a = nb201::from_index(int(p)), b = nb201::from_index(int(c));
    int diff = 0;
    for (int e = 0; e < 6; ++e) diff += a.ops[e] != b.ops[e];
    REQUIRE(diff == 1);
  }
  CHECK(nb201::network_flops(1) > nb201::network_flops(10) - 1);  // same convs, index 10 has dead ones too
  CHECK(s.train_seconds(1) > s.train_seconds(0));                 // more conv FLOPs cost more
}

TEST_CASE("NATS-Bench SSS: mutations move one layer to another width; time from the table or scaled by FLOPs") {
  nats_sss::AccuracyTable t;
  t.columns = {"val_acc_12ep_c10valid", "time_12ep_c10valid"};
  for (long i = 0; i < nats_sss::kNumArchs; ++i)
    t.values.push_back({i == 3 ? NAN : 60.0 + double(i % 11), 50.0 + double(i % 17)});
  nats_sss::SearchSpaceSSS timed(t, "val_acc_12ep_c10valid", "time_12ep_c10valid");
  CHECK(timed.measured_times);
  CHECK(timed.train_seconds(40) == 50.0 + 40 % 17);
  CHECK(timed.fitness(40) == 60.0 + 40 % 11);
  CHECK(timed.fitness(3) == -INFINITY);  // no result: never preferred to a trained network
  SearchRng rng(4, 1);
  std::set<std::pair<int, int>> moves;  // (layer, new width) seen from parent 0 = 8:8:8:8:8
  for (int k = 0; k < 3000; ++k) {
    const long p = k % 2 ? 0 : timed.sample(rng), c = timed.mutate(p, rng);
    const nats_sss::Channels a = nats_sss::from_index(p), b = nats_sss::from_index(c);
    int diff = 0;
    for (int l = 0; l < nats_sss::kLayers; ++l)
      if (a.c[size_t(l)] != b.c[size_t(l)]) {
        ++diff;
        if (p == 0) moves.insert({l, b.c[size_t(l)]});
      }
    REQUIRE(diff == 1);
  }
  CHECK(moves.size() == 35);  // every layer to each of the 7 other widths
  t.values[9][1] = NAN;       // a gap: the FLOPs model for all
  nats_sss::SearchSpaceSSS modelled(t, "val_acc_12ep_c10valid", "time_12ep_c10valid");
  CHECK_FALSE(modelled.measured_times);
  const long narrow = nats_sss::index_of({{8, 8, 8, 8, 8}}), wide = nats_sss::index_of({{64, 64, 64, 64, 64}});
  const long one_wider = nats_sss::index_of({{8, 8, 16, 8, 8}});
  CHECK(nats_sss::network_flops(one_wider) > nats_sss::network_flops(narrow));
  CHECK(modelled.train_seconds(wide) / modelled.train_seconds(narrow) ==
        doctest::Approx(nats_sss::network_flops(wide) / nats_sss::network_flops(narrow)).epsilon(1e-12));
  t.columns[0] = "other";
  CHECK(test::error_of([&] { nats_sss::SearchSpaceSSS bad(t, "val_acc_12ep_c10valid"); }).find("no column") !=
        std::string::npos);
}

TEST_CASE("NB101: mutations give valid cells with another hash; the time model is the least-squares line") {
  const auto& cells = nb101::indexed_cells();
  nb101::AccuracyTable t;
  t.columns = {"test_acc_108_single_run", "flops_thop", "training_time_108"};
  for (size_t i = 0; i < cells.size(); ++i) {
    t.hashes.push_back(cells[i].hash);
    const double flops = 1e6 * double(i % 1000 + 1);
    // Exact line 3e-6 * flops + 40 on every 7th cell, no training time elsewhere.
    t.values.push_back({0.9, flops, i % 7 == 0 ? 3e-6 * flops + 40 : NAN});
  }
  nb101::SearchSpace101 s(t, "test_acc_108_single_run");
  CHECK(s.fit_a == doctest::Approx(3e-6).epsilon(1e-9));
  CHECK(s.fit_b == doctest::Approx(40).epsilon(1e-6));
  CHECK(s.fit_n == long((cells.size() + 6) / 7));
  CHECK(s.train_seconds(5) == doctest::Approx(3e-6 * 6e6 + 40));
  SearchRng rng(4, 0);
  // The 2-vertex cell (input -> output) too: its neighbours need two new edges at once.
  const long v2 = nb101::resolve_index("043721b9c7fe8c5fad811d47d83132ec");
  for (int k = 0; k < 300; ++k) {
    const long p = k == 0 ? v2 : s.sample(rng), c = s.mutate(p, rng);
    REQUIRE(c != p);
    REQUIRE(c >= 0);
    REQUIRE(nb101::graph_hash(cells[size_t(c)].cell) == cells[size_t(c)].hash);
  }
  for (int k = 0; k < 50; ++k) {  // same stream, same children
    SearchRng r1(9, uint64_t(k)), r2(9, uint64_t(k));
    CHECK(s.mutate(s.sample(r1), r1) == s.mutate(s.sample(r2), r2));
  }
  CHECK_FALSE(s.measured_times);
}

TEST_CASE("NB101: with every cell's training_time_108 (converted official tables) the budget uses it, no FLOPs") {
  const auto& cells = nb101::indexed_cells();
  nb101::AccuracyTable t;
  t.columns = {"test_acc_108_single_run", "training_time_108"};
  for (size_t i = 0; i < cells.size(); ++i) {
    t.hashes.push_back(cells[i].hash);
    t.values.push_back({0.9, 1000.0 + double(i % 97)});
  }
  nb101::SearchSpace101 s(t, "test_acc_108_single_run");
  CHECK(s.measured_times);
  CHECK(s.train_seconds(5) == 1005.0);
  CHECK(s.train_seconds(200) == 1000.0 + double(200 % 97));
  t.values[3][1] = NAN;  // one cell without a time and no flops_thop to model it: a clear error
  CHECK(test::error_of([&] { nb101::SearchSpace101 bad(t, "test_acc_108_single_run"); }).find("no flops_thop") !=
        std::string::npos);
}
