// Lockstep scoring: the merge keeps each program's order, and K architectures at a time score
// exactly as one at a time.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>

#include "engine/backend.h"
#include "engine/backend_trace.h"
#include "engine/init.h"
#include "engine/lockstep.h"
#include "engine/score_hamming.h"
#include "engine/scorer.h"
#include "searchspaces/nb101.h"
#include "searchspaces/space.h"
#include "tests/scs_reference.h"
#include "tests/test_util.h"

using namespace naswot;

namespace {

// Every program's keys come out in order, each once; a step advances programs whose next keys are equal.
void check_merge(const std::vector<std::vector<uint32_t>>& programs) {
  const auto steps = merge_in_lockstep(programs);
  std::vector<size_t> pos(programs.size(), 0);
  for (const auto& step : steps) {
    REQUIRE_FALSE(step.empty());
    CHECK(std::is_sorted(step.begin(), step.end()));
    CHECK(std::adjacent_find(step.begin(), step.end()) == step.end());
    const uint32_t key = programs[size_t(step[0])][pos[size_t(step[0])]];
    for (int i : step) {
      REQUIRE(pos[size_t(i)] < programs[size_t(i)].size());
      CHECK(programs[size_t(i)][pos[size_t(i)]++] == key);
    }
  }
  for (size_t i = 0; i < programs.size(); ++i) CHECK(pos[i] == programs[i].size());
}

std::vector<Graph> networks() {
  std::vector<Graph> g;
  const Space& nb201 = space_of(SpaceId::Nb201);
  // 10: every cell 'none' (J = 0); 15624 and 7: all convolutions, pools and skips; 2, 123, 4000: mixed.
  for (long index : {2L, 10L, 7L, 123L, 4000L, 15624L}) g.push_back(nb201.build(index, NetShape{}));
  const Space& sss = space_of(SpaceId::NatsSss);
  for (long index : {0L, 31337L}) g.push_back(sss.build(index, NetShape{}));
  g.push_back(test::small_nb101());
  return g;
}

void check_same(const JacobScore& a, const JacobScore& b) {
  CHECK(a.status == b.status);
  CHECK(a.reason == b.reason);
  CHECK(std::memcmp(&a.score, &b.score, sizeof(double)) == 0);  // bit for bit (-inf included)
  CHECK(a.eigenvalues == b.eigenvalues);
}

}  // namespace

TEST_CASE("merge_in_lockstep keeps each program's order and batches equal keys") {
  check_merge({});
  check_merge({{}, {1, 2}, {}});
  // Identical programs: one step per call, all programs in each.
  const std::vector<uint32_t> p{0, 1, 2, 1, 3, 0};
  const auto same = merge_in_lockstep({p, p, p});
  CHECK(same.size() == p.size());
  for (const auto& s : same) CHECK(s.size() == 3);
  // The majority's key runs first: {0,1} {0,1} {1}: key 0 for two programs, then key 1 for all three.
  const auto steps = merge_in_lockstep({{0, 1}, {0, 1}, {1}});
  REQUIRE(steps.size() == 2);
  CHECK(steps[0] == std::vector<int>{0, 1});
  CHECK(steps[1] == std::vector<int>{0, 1, 2});
  std::mt19937 gen(3);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<std::vector<uint32_t>> programs(size_t(1 + gen() % 9));
    for (auto& prog : programs) {
      prog.resize(gen() % 40);
      for (auto& k : prog) k = gen() % 5;
    }
    check_merge(programs);
    CHECK(merge_in_lockstep(programs) == merge_in_lockstep(programs, test::reference_supersequence));
  }
}

TEST_CASE("the bit-parallel shortest common supersequence equals the dynamic programme's, position for position") {
  std::mt19937 gen(7);
  int differ = 0;
  for (int trial = 0; trial < 400; ++trial) {
    // Lengths across word boundaries (64, 128, 192 bits), alphabets from 2 keys (long matches, carries
    // through whole words) to 60 (few matches); keys are arbitrary 32-bit values.
    const size_t n = gen() % 300, m = trial % 4 == 0 ? 64 * (1 + gen() % 3) : gen() % 260;
    const uint32_t alphabet = 2 + gen() % 59, salt = uint32_t(gen());
    std::vector<uint32_t> a(n), b(m);
    for (auto& k : a) k = (gen() % alphabet) * 2654435761u + salt;
    for (auto& k : b) k = (gen() % alphabet) * 2654435761u + salt;
    std::vector<uint32_t> out, a_at, b_at, ref_out, ref_a, ref_b;
    const size_t len = shortest_common_supersequence(a, b, out, a_at, b_at);
    const size_t ref = test::reference_supersequence(a, b, ref_out, ref_a, ref_b);
    REQUIRE(len == ref);
    differ += out != ref_out || a_at != ref_a || b_at != ref_b;
    for (size_t i = 0; i < n; ++i) REQUIRE(out[a_at[i]] == a[i]);
    for (size_t j = 0; j < m; ++j) REQUIRE(out[b_at[j]] == b[j]);
  }
  CHECK(differ == 0);
}

TEST_CASE("lockstep: K architectures at a time score as one at a time, bit for bit (CPU)") {
  const int B = 10;  // not a whole number of the CPU's lane blocks: padding lanes in every buffer
  const auto x = test::random_vec(size_t(B) * 3 * 32 * 32, 11);
  const std::vector<Graph> graphs = networks();
  std::vector<std::vector<float>> params;
  for (size_t i = 0; i < graphs.size(); ++i) params.push_back(init_params(graphs[i], 5, uint64_t(i) * 977));

  auto be = make_cpu_backend(2);
  std::vector<JacobScore> alone;
  {
    Executor ex(*be);
    for (size_t i = 0; i < graphs.size(); ++i)
      alone.push_back(score_network(ex, graphs[i], params[i], x, B, false).score);
  }
  CHECK(alone[1].status == ScoreStatus::Degenerate);  // the 'none' network
  CHECK(alone[0].status == ScoreStatus::Ok);

  for (size_t group : {size_t(1), size_t(2), size_t(4), graphs.size()}) {
    CAPTURE(group);
    // A fresh backend each time: nothing may depend on what an earlier call left in the arena.
    auto fresh = make_cpu_backend(2);
    Lockstep ls(*fresh);
    for (size_t i0 = 0; i0 < graphs.size(); i0 += group) {
      std::vector<Lockstep::Net> nets;
      for (size_t i = i0; i < std::min(graphs.size(), i0 + group); ++i) nets.push_back({&graphs[i], &params[i]});
      const std::vector<JacobScore> together = ls.jacob_cov(nets, x.data(), B);
      REQUIRE(together.size() == nets.size());
      for (size_t k = 0; k < nets.size(); ++k) {
        CAPTURE(i0 + k);
        check_same(together[k], alone[i0 + k]);
      }
    }
    CHECK(ls.stats().networks == graphs.size());
    if (group == 1) CHECK(ls.stats().steps == ls.stats().calls);
    if (group > 1) CHECK(ls.stats().steps < ls.stats().calls);
  }
  // The plain schedule (no fusion) too, and convolutions reading ReLUs and batch norms' gradients
  // through (the CPU backend does not ask for it; naswot's GPU kernels do).
  PlanOptions through;
  through.conv_loads = PlanOptions::ConvLoads::On;
  for (const PlanOptions o : {PlanOptions{false}, through}) {
    Lockstep other(*be, o);
    std::vector<Lockstep::Net> nets;
    for (size_t i = 0; i < graphs.size(); ++i) nets.push_back({&graphs[i], &params[i]});
    const std::vector<JacobScore> together = other.jacob_cov(nets, x.data(), B);
    for (size_t i = 0; i < graphs.size(); ++i) check_same(together[i], alone[i]);
  }
}

TEST_CASE("lockstep: Hamming kernels of K architectures at a time equal one at a time, exactly") {
  const int B = 10;
  const auto x = test::random_vec(size_t(B) * 3 * 32 * 32, 12);
  const std::vector<Graph> graphs = networks();
  std::vector<std::vector<float>> params;
  for (size_t i = 0; i < graphs.size(); ++i) params.push_back(init_params(graphs[i], 6, uint64_t(i) * 131));
  const auto weight = [](const Node& n) { return relu_site_weight(n, ReluSites::Reference); };
  auto be = make_cpu_backend(2);
  std::vector<std::vector<int64_t>> alone;
  {
    Executor ex(*be);
    for (size_t i = 0; i < graphs.size(); ++i)
      alone.push_back(ex.hamming_kernel(graphs[i], params[i], x.data(), B, weight).K);
  }
  for (size_t group : {size_t(3), graphs.size()}) {
    CAPTURE(group);
    Lockstep ls(*be);
    for (size_t i0 = 0; i0 < graphs.size(); i0 += group) {
      std::vector<Lockstep::Net> nets;
      for (size_t i = i0; i < std::min(graphs.size(), i0 + group); ++i) nets.push_back({&graphs[i], &params[i]});
      const auto K = ls.hamming_kernels(nets, x.data(), B, weight);
      for (size_t k = 0; k < nets.size(); ++k) {
        CAPTURE(i0 + k);
        CHECK(K[k] == alone[i0 + k]);
        CHECK(K[k][0] > 0);  // the diagonal counts every unit: a kernel, not zeros
      }
    }
    CHECK(ls.stats().steps < ls.stats().calls);
  }
}

TEST_CASE("lockstep: every recorded call runs, and NB201 networks share most launches") {
  auto cpu = make_cpu_backend(2);
  size_t ran = 0;
  TracingBackend tracer(*cpu, [&](const OpCall&) { ++ran; });
  const int B = 4;
  const auto x = test::random_vec(size_t(B) * 3 * 32 * 32, 2);
  const Space& nb201 = space_of(SpaceId::Nb201);
  std::mt19937 gen(7);
  std::vector<Graph> graphs;
  std::vector<std::vector<float>> params;
  for (int i = 0; i < 16; ++i) {
    const long index = long(gen() % 15625);
    graphs.push_back(nb201.build(index, NetShape{}));
    params.push_back(init_params(graphs.back(), 0, uint64_t(index)));
  }
  std::vector<Lockstep::Net> nets;
  for (size_t i = 0; i < graphs.size(); ++i) nets.push_back({&graphs[i], &params[i]});
  Lockstep ls(tracer);
  ls.jacob_cov(nets, x.data(), B);
  CHECK(ran == ls.stats().calls);
  // 16 random NB201 networks share the skeleton: several architectures per launch on average.
  const double per_launch = double(ls.stats().calls) / double(ls.stats().steps);
  MESSAGE("NB201, 16 random architectures: " << ls.stats().calls << " calls in " << ls.stats().steps << " steps ("
                                             << per_launch << " per launch)");
  CHECK(per_launch > 4.0);
}

TEST_CASE("lockstep order: the space's key puts architectures with common op sequences together; fewer launches") {
  auto cpu = make_cpu_backend(1);
  TracingBackend counted(*cpu, nullptr, Trace::ReportOnly);  // calls counted, nothing run
  const int B = 4, K = 16;
  const long kSpread = 600;
  const auto x = test::random_vec(size_t(B) * 3 * 32 * 32, 2);
  for (const SpaceId id : {SpaceId::Nb201, SpaceId::Nb101}) {
    const Space& sp = space_of(id);
    const std::string name = sp.name();
    CAPTURE(name);
    // An evenly spread part of the space (as dense as a whole-space run's neighbours are not), drawn
    // into random order, and a repeat: equal keys keep their positions' order.
    std::vector<long> drawn;
    for (long i = 0; i < sp.size(); i += sp.size() / kSpread) drawn.push_back(i);
    std::shuffle(drawn.begin(), drawn.end(), std::mt19937(11));
    drawn.push_back(drawn[5]);
    const std::vector<size_t> order = lockstep_order(sp, drawn);
    REQUIRE(order.size() == drawn.size());
    std::vector<size_t> seen = order;
    std::sort(seen.begin(), seen.end());
    for (size_t k = 0; k < seen.size(); ++k) CHECK(seen[k] == k);  // a permutation of the positions
    for (size_t j = 1; j < order.size(); ++j) {
      const std::string a = sp.lockstep_key(drawn[order[j - 1]]), b = sp.lockstep_key(drawn[order[j]]);
      CHECK((a < b || (a == b && order[j - 1] < order[j])));
    }
    if (id == SpaceId::Nb101)  // the cell's matrix and ops, not its hash (the arch column's first word)
      for (long i : drawn) CHECK(sp.arch(i).substr(sp.arch(i).find(' ') + 1) == sp.lockstep_key(i));
    // Groups of K in either order, counted: neighbours in the key's order share more launches.
    const auto launches = [&](const std::vector<long>& indices) {
      Lockstep ls(counted);
      for (size_t k0 = 0; k0 < indices.size(); k0 += K) {
        std::vector<Graph> graphs;
        std::vector<std::vector<float>> params;
        for (size_t k = k0; k < std::min(indices.size(), k0 + K); ++k) {
          graphs.push_back(sp.build(indices[k], NetShape{}));
          params.emplace_back(graphs.back().num_params());  // values do not matter: nothing runs
        }
        std::vector<Lockstep::Net> nets;
        for (size_t i = 0; i < graphs.size(); ++i) nets.push_back({&graphs[i], &params[i]});
        ls.issue(nets, x.data(), B);
      }
      return ls.stats().steps;
    };
    std::vector<long> sorted;
    for (size_t k : order) sorted.push_back(drawn[k]);
    const size_t as_drawn = launches(drawn), as_sorted = launches(sorted);
    MESSAGE(name << ", " << drawn.size() << " architectures in groups of 16: " << as_drawn << " launches as drawn, "
                 << as_sorted << " in lockstep order");
    CHECK(double(as_sorted) < 0.95 * double(as_drawn));  // 15 % (NB201) and 10 % (NB101) fewer here
  }
}
