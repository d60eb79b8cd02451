// Planner memory reuse and the determinism the engine promises (order, arena reuse, thread count).
#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>

#include "engine/backend.h"
#include "engine/executor.h"
#include "engine/init.h"
#include "engine/planner.h"
#include "engine/rng.h"
#include "engine/score_hamming.h"
#include "searchspaces/nb101.h"
#include "searchspaces/nb201.h"
#include "tests/test_util.h"

using namespace naswot;

namespace {
std::vector<float> jac(Executor& ex, int index, const std::vector<float>& x, int B) {
  const Graph g = nb201::build(nb201::from_index(index));
  return ex.jacobian(g, init_params(g, 1, uint64_t(index)), x.data(), B).jacobian;
}
}  // namespace

TEST_CASE("the plan reuses memory") {
  const Plan p = make_plan(nb201::build(nb201::from_index(1)), 8);
  CHECK(p.arena_floats < p.naive_floats / 2);
}

TEST_CASE("fused adds: terms write into the Add's buffer, sole inputs share its gradient") {
  // Index 2: |avg_pool_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|avg_pool_3x3~0|avg_pool_3x3~1|avg_pool_3x3~2|
  const Graph g = nb201::build(nb201::from_index(2));
  const Plan fused = make_plan(g, 8), plain = make_plan(g, 8, PlanMode::InputGradient, 0, {false});
  int terms = 0, shared = 0;
  for (int v : fused.order) {
    const Node& n = g.nodes[v];
    CHECK(plain[v].sum_into == -1);
    CHECK_FALSE(plain[v].grad_shared);
    if (fused[v].sum_into >= 0) {
      ++terms;
      const Node& add = g.nodes[fused[v].sum_into];
      REQUIRE(add.op == OpKind::Add);
      CHECK(std::count(add.inputs.begin(), add.inputs.end(), v) == 1);
      CHECK((n.op == OpKind::BatchNorm || n.op == OpKind::AvgPool3x3));
      CHECK(fused[v].value_off == fused[fused[v].sum_into].value_off);
    }
    if (fused[v].grad_shared) {  // its one consumer is an Add whose gradient it shares
      ++shared;
      std::vector<int> consumers;
      for (int u : fused.order)
        if (std::count(g.nodes[u].inputs.begin(), g.nodes[u].inputs.end(), v)) consumers.push_back(u);
      REQUIRE(consumers.size() == 1);
      CHECK(g.nodes[consumers[0]].op == OpKind::Add);
      CHECK(fused[v].grad_off == fused[consumers[0]].grad_off);
    }
  }
  // Each of the 15 cells has 5 pool/conv terms in Adds (node 1's single term is no Add), none with
  // another consumer; the two residual blocks' adds take a convolution and a batch norm (fused).
  CHECK(terms == 15 * 5 + 2);
  CHECK(shared >= terms);
  // Per Add, exactly the first term in topological order writes.
  for (int v : fused.order)
    if (g.nodes[v].op == OpKind::Add) {
      int writers = 0;
      for (int in : g.nodes[v].inputs)
        if (fused[in].sum_into == v && !fused[in].sum_acc) ++writers;
      CHECK(writers == (fused[v].has_terms ? 1 : 0));
    }
  CHECK(fused.arena_floats < plain.arena_floats);
}

TEST_CASE("fused BN + ReLU: the batch norm writes the ReLU's value and takes its gradient") {
  const Graph g = nb101::build(nb101::parse_cell("0100110/0010000/0001001/0000010/0000010/0000001/0000000",
                                                 "conv3x3,maxpool3x3,conv3x3,conv3x3,conv1x1"));
  const Plan fused = make_plan(g, 8), plain = make_plan(g, 8, PlanMode::InputGradient, 0, {false});
  int pairs = 0;
  for (int v : fused.order) {
    CHECK(plain[v].relu == -1);
    if (g.nodes[v].op != OpKind::BatchNorm) continue;
    int readers = 0, relu = -1;
    for (int u : fused.order)
      for (int in : g.nodes[u].inputs)
        if (in == v) ++readers, relu = g.nodes[u].op == OpKind::ReLU ? u : -1;
    if (readers == 1 && relu >= 0) {  // every conv-BN-ReLU of NB101
      ++pairs;
      REQUIRE(fused[v].relu == relu);
      CHECK(fused[relu].relu_computed_by == v);
      CHECK(fused[v].value_off == fused[relu].value_off);
      CHECK(fused[v].grad_off == fused[relu].grad_off);
    } else {
      CHECK(fused[v].relu == -1);
    }
  }
  CHECK(pairs >= 10);  // stem, 9 modules' projections and conv vertices
  // (No arena-size check here: the ReLU buffers now live one step longer each way, and the greedy
  // slot assignment can come out a few per cent larger or smaller either way.)
}

TEST_CASE(
    "ReLU + convolution: ReLUs read only by convolutions have no value; a sole reader next applies the mask; "
    "the Hamming score's plans read them through too, and ReLUs nobody reads") {
  // A ReLU whose input is a batch norm read by nothing else is that batch norm's (NB201: a node that
  // is one convolution edge's output; conv_b's ReLU of a residual block; the last ReLU).
  // Network A, per cell: node 0's ReLU feeds one convolution (read through, mask applied by it); node
  // 1's is its batch norm's; node 2's feeds one (applied). Network B: node 0's feeds three
  // convolutions (read through, its own backward masks; in the first cell it is the stem's batch
  // norm's), node 1's is its batch norm's, node 2's feeds one (applied). Network C: node 1 is a pool
  // of node 0 whose ReLU feeds the convolution to node 2, which nothing reads: the Jacobian's plan has
  // neither, so node 0's ReLU (feeding the convolution to node 3) is its batch norm's but after a
  // residual block (a sum: read through, applied); the Hamming plan computes node 1 for its ReLU's
  // codes: that ReLU is read by no live node, and node 0's, read by the pool too, is read through in
  // every cell. Residual blocks: conv_a's ReLU is applied by conv_a.
  struct Want {
    const char* arch;
    int through, applied;         // the Jacobian's plan
    int hamming_through, unread;  // the Hamming score's; unread: read by no live node
  };
  for (const Want& want :
       {Want{"|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|",
             15 * 2 + 2, 15 * 2 + 2, 15 * 2 + 2, 0},
        Want{"|nor_conv_3x3~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|",
             15 * 2 - 1 + 2, 15 + 2, 15 * 2 - 1 + 2, 0},
        Want{"|avg_pool_3x3~0|+|none~0|nor_conv_3x3~1|+|nor_conv_3x3~0|none~1|none~2|", 2 + 2, 2 + 2, 15 * 2 + 2,
             15}}) {
    CAPTURE(std::string(want.arch));
    const Graph g = nb201::build(nb201::parse(want.arch));
    // The plan's read-through ReLUs, checked node by node against the plain plan; counts them, those
    // a reader applies and those no live node reads.
    const auto count = [&](const Plan& fused, const Plan& plain, int& through, int& applied, int& unread) {
      through = applied = unread = 0;
      for (int v : fused.order) {
        CHECK_FALSE(plain[v].relu_read_through);
        CHECK(plain[v].relu_applied_by == -1);
        CHECK_FALSE(plain[v].relu_on_load);
        const Node& n = g.nodes[v];
        if (fused[v].relu_on_load) {
          CHECK(n.op == OpKind::Conv2d);
          CHECK(fused[n.inputs[0]].relu_read_through);
        }
        if (!fused[v].relu_read_through) {
          CHECK(fused[v].relu_applied_by == -1);
          continue;
        }
        ++through;
        REQUIRE(n.op == OpKind::ReLU);
        CHECK(fused[v].relu_computed_by == -1);
        std::vector<int> readers;
        for (int u : fused.order)
          if (std::count(g.nodes[u].inputs.begin(), g.nodes[u].inputs.end(), v)) readers.push_back(u);
        for (int u : readers) CHECK(fused[u].relu_on_load);
        unread += readers.empty();
        if (const int c = fused[v].relu_applied_by; c >= 0) {
          ++applied;
          CHECK(readers == std::vector<int>{c});
        }
      }
    };
    const Plan fused = make_plan(g, 8), plain = make_plan(g, 8, PlanMode::InputGradient, 0, {false});
    int through = 0, applied = 0, unread = 0;
    count(fused, plain, through, applied, unread);
    CHECK(through == want.through);
    CHECK(applied == want.applied);
    CHECK(unread == 0);
    CHECK(fused.arena_floats < plain.arena_floats);
    // The Hamming score's forward plan: the same ReLUs and those nobody reads; no backward applies a mask.
    const Plan hf = make_plan(g, 8, PlanMode::ForwardAllReLUs),
               hp = make_plan(g, 8, PlanMode::ForwardAllReLUs, 0, {false});
    count(hf, hp, through, applied, unread);
    CHECK(through == want.hamming_through);
    CHECK(applied == 0);
    CHECK(unread == want.unread);
    CHECK(hf.arena_floats <= hp.arena_floats);
    // Weight gradients read the convolutions' inputs: nothing fuses there.
    const Plan wg = make_plan(g, 8, PlanMode::WeightGradient);
    for (int v : wg.order) CHECK_FALSE(wg[v].relu_read_through);
  }
}

TEST_CASE(
    "batch norm + convolution: a batch norm whose input convolution it alone reads has its backward run and "
    "its statistics summed by it") {
  // NB201: every convolution but the residual blocks' shortcuts feeds one batch norm alone: the stem's,
  // one per convolution edge of the 15 cells, two per residual block. The NB101 network's batch norms
  // (with their ReLUs fused) follow its convolutions likewise.
  struct Want {
    Graph g;
    int fused;
  };
  const Graph nb101 = test::small_nb101();
  int nb101_convs = 0;
  for (const Node& n : nb101.nodes) nb101_convs += n.op == OpKind::Conv2d;
  for (const Want& want :
       {Want{nb201::build(nb201::parse(
                 "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|")),
             1 + 15 * 4 + 2 * 2},
        Want{nb201::build(nb201::parse(
                 "|nor_conv_3x3~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|")),
             1 + 15 * 6 + 2 * 2},
        Want{nb101, nb101_convs}}) {
    const Graph& g = want.g;
    PlanOptions off;
    off.conv_loads = PlanOptions::ConvLoads::Off;
    const Plan fused = make_plan(g, 8), plain = make_plan(g, 8, PlanMode::InputGradient, 0, off);
    int count = 0;
    for (int v : fused.order) {
      CHECK(plain[v].bn_backward_by == -1);
      CHECK(plain[v].bn_grad_on_load == -1);
      const int u = fused[v].bn_backward_by;
      if (u < 0) continue;
      ++count;
      const Node& n = g.nodes[v];
      CHECK(n.op == OpKind::BatchNorm);
      REQUIRE(n.inputs == std::vector<int>{u});
      CHECK(g.nodes[u].op == OpKind::Conv2d);
      CHECK(fused[u].bn_grad_on_load == v);
      for (int r : fused.order)  // the convolution's one reader is the batch norm
        if (r != v) CHECK(std::count(g.nodes[r].inputs.begin(), g.nodes[r].inputs.end(), u) == 0);
      // What the convolution's backward step reads (the batch norm's gradient, its input and fused
      // ReLU's output) lives apart from the gradient it writes (its input's, or a ReLU it applies).
      const int in = g.nodes[u].inputs[0], dst = fused[in].relu_applied_by == u ? g.nodes[in].inputs[0] : in;
      const size_t nv = n.out.per_sample() * 8, nd = g.nodes[dst].out.per_sample() * 8;
      const auto apart = [&](size_t a, size_t na) {
        return a + na <= fused[dst].grad_off || fused[dst].grad_off + nd <= a;
      };
      CHECK(apart(fused[v].grad_off, nv));
      CHECK(apart(fused[u].value_off, nv));
      if (fused[v].relu >= 0) CHECK(apart(fused[fused[v].relu].value_off, nv));
    }
    for (int u : fused.order)
      if (fused[u].bn_grad_on_load >= 0) CHECK(fused[fused[u].bn_grad_on_load].bn_backward_by == u);
    CHECK(count == want.fused);
    // Weight gradients read the convolutions' output gradients: nothing fuses there.
    const Plan wg = make_plan(g, 8, PlanMode::WeightGradient);
    for (int v : wg.order) CHECK(wg[v].bn_backward_by == -1);
    // The same convolutions sum their batch norms' statistics, in every plan.
    for (const PlanMode mode : {PlanMode::InputGradient, PlanMode::ForwardAllReLUs, PlanMode::WeightGradient}) {
      CAPTURE(int(mode));
      const Plan p = make_plan(g, 8, mode), q = make_plan(g, 8, mode, 0, off);
      int stats = 0;
      for (int v : p.order) {
        CHECK_FALSE(q[v].bn_stats_by_input);
        CHECK(q[v].bn_stats_of == -1);
        if (const int b = p[v].bn_stats_of; b >= 0) CHECK((p[b].bn_stats_by_input && g.nodes[b].inputs[0] == v));
        if (!p[v].bn_stats_by_input) continue;
        ++stats;
        CHECK(p[g.nodes[v].inputs[0]].bn_stats_of == v);
        CHECK(fused[v].bn_backward_by == g.nodes[v].inputs[0]);  // the pairs whose backward fuses
      }
      CHECK(stats == want.fused);
    }
  }
}

TEST_CASE("Hamming plans: the codes and K lie apart from every buffer, and K's diagonal counts every unit") {
  // The diagonal K[a][a] = sum over sites of weight * units (a sample agrees with itself everywhere),
  // with the sites' weights in two runs (Reference: ReLUs inside ReLU-Conv-BN blocks twice) or one.
  const int B = 5;
  const auto x = test::random_vec(size_t(B) * 3 * 32 * 32, 12);
  const auto be = make_cpu_backend(1);
  for (const std::string arch :
       {"|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|",
        "|avg_pool_3x3~0|+|none~0|nor_conv_3x3~1|+|nor_conv_3x3~0|none~1|none~2|"})
    for (const bool loads : {false, true}) {
      CAPTURE(arch);
      CAPTURE(loads);
      const Graph g = nb201::build(nb201::parse(arch));
      PlanOptions o;
      o.conv_loads = loads ? PlanOptions::ConvLoads::On : PlanOptions::ConvLoads::Off;
      const Plan p = make_plan(g, B, PlanMode::ForwardAllReLUs, be->padded_batch(B), o);
      size_t words = 0;
      for (int v : p.order)
        if (g.nodes[v].op == OpKind::ReLU) words += (g.nodes[v].out.per_sample() + 63) / 64;
      CHECK(p.hamming_words == words);
      const size_t codes_end = p.hamming_codes_off + 2 * words * B, k_end = p.hamming_K_off + 2 * size_t(B) * B;
      CHECK(p.hamming_codes_off % 16 == 0);
      CHECK(p.hamming_K_off % 16 == 0);
      CHECK(p.hamming_codes_off >= g.num_params());
      CHECK(codes_end <= p.hamming_K_off);
      CHECK(k_end <= p.arena_floats);
      const size_t slots = be->padded_batch(B);
      for (int v : p.order) {  // batch statistics and values: none inside the two regions
        const auto apart = [&](size_t a, size_t n) { return a + n <= p.hamming_codes_off || k_end <= a; };
        if (has_trait(g.nodes[v].op, kBatchStats)) CHECK(apart(p[v].stats_off, 2 * size_t(g.nodes[v].out.c)));
        if (p[v].sum_into < 0 && p[v].relu < 0 && !p[v].relu_read_through)
          CHECK(apart(p[v].value_off, g.nodes[v].out.per_sample() * slots));
      }
      Executor ex(*be);
      ex.set_plan_options(o);
      const std::vector<float> w = init_params(g, 0, 3);
      for (const ReluSites mode : {ReluSites::Each, ReluSites::Reference}) {
        const auto weight = [&](const Node& n) { return relu_site_weight(n, mode); };
        int64_t diag = 0;
        for (int v : p.order) diag += weight(g.nodes[v]) * int64_t(g.nodes[v].out.per_sample());
        const std::vector<int64_t> K = ex.hamming_kernel(g, w, x.data(), B, weight).K;
        for (int a = 0; a < B; ++a) CHECK(K[size_t(a) * B + a] == diag);
        for (int a = 0; a < B; ++a)
          for (int b = 0; b < B; ++b)
            CHECK((K[size_t(a) * B + b] == K[size_t(b) * B + a] && K[size_t(a) * B + b] <= diag));
      }
    }
}

TEST_CASE("fusion gives the plain schedule's Jacobians and Hamming kernels bit for bit") {
  const int B = 12;
  const auto x = test::random_vec(size_t(B) * 3 * 32 * 32, 6);
  auto be = make_cpu_backend(2);
  Executor fused(*be), plain(*be);
  plain.set_plan_options({false});
  // Convolutions reading ReLUs and batch norms' gradients through and summing batch norms' statistics (the
  // CPU backend does not ask for it).
  PlanOptions through;
  through.conv_loads = PlanOptions::ConvLoads::On;
  fused.set_plan_options(through);
  std::vector<Graph> graphs;
  for (int index : {1, 2, 5, 7, 123, 4000, 15624}) graphs.push_back(nb201::build(nb201::from_index(index)));
  // Skips first: node 3's sum skip0 + conv1 + conv2 may fuse conv1 only.
  graphs.push_back(nb201::build(
      nb201::parse("|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|")));
  // Every ReLU of a cell shared but node 2's (fused into its convolution); the input's gradient sums
  // fused and shared terms.
  graphs.push_back(nb201::build(
      nb201::parse("|nor_conv_3x3~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|")));
  // A pool's output whose ReLU feeds a convolution off the output's path: in the Hamming plan alone.
  graphs.push_back(
      nb201::build(nb201::parse("|avg_pool_3x3~0|+|none~0|nor_conv_3x3~1|+|nor_conv_3x3~0|none~1|none~2|")));
  graphs.push_back(test::small_nb101());
  for (size_t i = 0; i < graphs.size(); ++i) {
    CAPTURE(i);
    const Graph& g = graphs[i];
    const auto w = init_params(g, 1, uint64_t(i));
    // The fused sums round as the plain ones: every bit agrees.
    CHECK(fused.jacobian(g, w, x.data(), B).jacobian == plain.jacobian(g, w, x.data(), B).jacobian);
    auto weight = [](const Node& n) { return relu_site_weight(n, ReluSites::Each); };
    CHECK(fused.hamming_kernel(g, w, x.data(), B, weight).K == plain.hamming_kernel(g, w, x.data(), B, weight).K);
  }
  // The Hamming score's codes of ReLUs read through come from their inputs: the masks as exported.
  fused.capture_relu_masks(true);
  plain.capture_relu_masks(true);
  for (size_t i : {size_t(0), graphs.size() - 2}) {
    CAPTURE(i);
    const auto w = init_params(graphs[i], 1, uint64_t(i));
    auto weight = [](const Node& n) { return relu_site_weight(n, ReluSites::Each); };
    const HammingResult f = fused.hamming_kernel(graphs[i], w, x.data(), B, weight),
                        q = plain.hamming_kernel(graphs[i], w, x.data(), B, weight);
    REQUIRE(f.relu_masks.size() == q.relu_masks.size());
    for (size_t m = 0; m < f.relu_masks.size(); ++m) {
      CHECK(f.relu_masks[m].name == q.relu_masks[m].name);
      CHECK(f.relu_masks[m].bits == q.relu_masks[m].bits);
    }
  }
}

TEST_CASE("the network of a 'none'-only cell does not depend on its input") {
  const Graph g = nb201::build(nb201::from_index(10));
  const Plan p = make_plan(g, 4);
  CHECK_FALSE(p[p.input].live);
}

TEST_CASE("Jacobians are bit-identical across scoring order, arena reuse and thread count") {
  const int B = 8;
  const auto x = test::random_vec(size_t(B) * 3 * 32 * 32, 5);
  auto be = make_cpu_backend(2);
  Executor ex(*be);
  const auto a1 = jac(ex, 123, x, B);
  jac(ex, 1, x, B);  // a bigger network in between reuses the arena
  const auto a2 = jac(ex, 123, x, B);
  CHECK(a1 == a2);
  auto fresh = make_cpu_backend(1);
  Executor ex1(*fresh);
  const auto a3 = jac(ex1, 123, x, B);
  omp_set_num_threads(2);
  CHECK(a1 == a3);
}

TEST_CASE("uniform weights are exactly fl(fl(2b * u) - b), whatever the build (no fused multiply-add)") {
  // docs/nb201.md (Weights): u = the stream's 24-bit uniform, b = fl(1 / sqrt(fan_in)). The product
  // and the sum are each rounded to float32: the expectation is computed in float64, where both are
  // exact before the one rounding to float32, so the test's own build cannot contract it.
  const Graph g = nb201::build(nb201::from_index(1));
  const uint64_t seed = 3, key = 1;
  const auto w = init_params(g, seed, key);
  size_t checked = 0;
  for (size_t p = 0; p < g.params.size(); ++p) {
    const Param& prm = g.params[p];
    if (prm.init != InitKind::KaimingUniformA5 && prm.init != InitKind::LinearBias) continue;
    const float b = float(1.0 / std::sqrt(double(prm.fan_in)));
    for (size_t i = 0; i < prm.size; ++i, ++checked) {
      const float u = uniform01(stream_key(seed, key, p), i);
      const float prod = float(double(2.f * b) * double(u));
      const float expect = float(double(-b) + double(prod));
      if (w[prm.offset + i] != expect) {
        CAPTURE(prm.name);
        CAPTURE(i);
        REQUIRE(w[prm.offset + i] == expect);
      }
    }
  }
  CHECK(checked > 790000);  // every conv and linear value of the 801,841 parameters
}

TEST_CASE("weights depend only on (seed, architecture, layer)") {
  const Graph g = nb201::build(nb201::from_index(7));
  CHECK(init_params(g, 3, 7) == init_params(g, 3, 7));
  CHECK(init_params(g, 3, 7) != init_params(g, 4, 7));
  const auto w = init_params(g, 3, 7);
  // Conv bound 1/sqrt(fan_in); BN gamma 1, beta 0.
  for (const Param& p : g.params) {
    const float* v = w.data() + p.offset;
    if (p.init == InitKind::Ones) CHECK(v[0] == 1.f);
    if (p.init == InitKind::Zeros) CHECK(v[0] == 0.f);
    if (p.init == InitKind::KaimingUniformA5) {
      const float b = 1.f / std::sqrt(float(p.fan_in));
      for (size_t i = 0; i < p.size; ++i) REQUIRE(std::fabs(v[i]) <= b);
    }
  }
}
