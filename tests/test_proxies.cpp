// The proxies' pass: weight gradients of a whole network against finite differences of its loss,
// the cross-entropy's gradient, and the scores' definitions.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "engine/backend.h"
#include "engine/executor.h"
#include "engine/init.h"
#include "engine/proxies.h"
#include "searchspaces/nb101.h"
#include "searchspaces/space.h"
#include "tests/test_util.h"

using namespace naswot;

namespace {

constexpr int B = 6, kClasses = 10;

double loss_of(Executor& ex, const Graph& g, const std::vector<float>& w, const std::vector<float>& x,
               const std::vector<int>& labels) {
  const JacobianResult r = ex.jacobian(g, w, x.data(), B, false);
  return cross_entropy(r.output, labels, kClasses, nullptr);
}

// dL/dtheta of the whole network against central differences of L at parameters of every kind.
void check_network(const Graph& g, uint64_t key, size_t stride = 1) {
  auto be = make_cpu_backend(2);
  Executor ex(*be);
  const auto x = test::random_vec(size_t(B) * 3 * 32 * 32, 17);
  const std::vector<int> labels = {3, 1, 4, 1, 5, 9};
  std::vector<float> w = init_params(g, 2, key);
  // With the fisher terms: the plan that keeps every layer's output longest.
  const WeightGradients wg = ex.weight_gradients(
      g, w, x.data(), B,
      [&](const std::vector<float>& y) {
        std::vector<float> dy;
        cross_entropy(y, labels, kClasses, &dy);
        return dy;
      },
      true);
  REQUIRE(!wg.fisher.empty());
  REQUIRE(wg.grads.size() == w.size());
  // Per tensor, a directional derivative: L at w +- h d for a random sign vector d over the whole
  // tensor against sum_i g_i d_i. The whole tensor's gradient is the signal (a single element's is
  // often below the float32 loss's rounding), and an error in any part of it (a missing ReLU mask on
  // some elements, a wrong tap) shows against sum_i |g_i|. The step is small, so few ReLU inputs
  // cross zero inside it; the loss's rounding (about 2e-7) then moves the difference by about 1e-3.
  std::mt19937 gen(5);
  int checked = 0;
  for (size_t t = 0; t < g.params.size(); t += stride) {
    const Param& p = g.params[t];
    float wmax = 0;
    for (size_t i = 0; i < p.size; ++i) wmax = std::max(wmax, std::fabs(w[p.offset + i]));
    const float h = 3e-4f * std::max(1.f, wmax);
    std::vector<float> wp = w, wm = w;
    double along = 0, l1 = 0;
    for (size_t i = 0; i < p.size; ++i) {
      const float d = gen() % 2 ? 1.f : -1.f;
      wp[p.offset + i] += h * d;
      wm[p.offset + i] -= h * d;
      along += double(wg.grads[p.offset + i]) * d;
      l1 += std::fabs(wg.grads[p.offset + i]);
    }
    const double fd = (loss_of(ex, g, wp, x, labels) - loss_of(ex, g, wm, x, labels)) / (2.0 * h);
    CAPTURE(p.name);
    CAPTURE(fd);
    CAPTURE(along);
    CHECK(std::fabs(fd - along) <= 5e-2 * l1 + 2e-3);
    ++checked;
  }
  CHECK(checked == int((g.params.size() + stride - 1) / stride));
}

// Executor::hessian_vector for directions over every parameter and over each kind alone
// (convolutions, batch norms, the classifier): the tangents leave the gradient's bits alone, H is
// symmetric (u . Hv = v . Hu), and, with `fd`, H v equals central differences of the gradient along v.
// Differences are exact only where no ReLU or max pool changes its branch within the step (the
// gradient jumps there): `fd` networks are small enough that none does, which the test checks.
void check_hessian(const Graph& g, uint64_t key, bool fd) {
  auto be = make_cpu_backend(2);
  Executor ex(*be);
  ex.capture_relu_masks(fd);
  const Shape in = g.shape(0);
  const auto x = test::random_vec(size_t(B) * in.per_sample(), 19);
  const std::vector<int> labels = {2, 7, 1, 8, 2, 8};
  const std::vector<float> w = init_params(g, 4, key);
  const auto seed = [&](const std::vector<float>& y) {
    std::vector<float> dy;
    cross_entropy(y, labels, kClasses, &dy);
    return dy;
  };
  const auto seed_tangent = [&](const std::vector<float>& y, const std::vector<float>& ty) {
    return cross_entropy_hessian(y, kClasses, ty);
  };
  const auto grads_at = [&](const std::vector<float>& wt) { return ex.weight_gradients(g, wt, x.data(), B, seed); };
  const WeightGradients g0 = grads_at(w);
  const auto same_branches = [&](const WeightGradients& a) {
    bool same = a.relu_masks.size() == g0.relu_masks.size() && a.pool_argmax.size() == g0.pool_argmax.size();
    for (size_t i = 0; same && i < a.relu_masks.size(); ++i) same = a.relu_masks[i].bits == g0.relu_masks[i].bits;
    for (size_t i = 0; same && i < a.pool_argmax.size(); ++i) same = a.pool_argmax[i].index == g0.pool_argmax[i].index;
    return same;
  };
  std::mt19937 gen(9);
  std::vector<std::vector<float>> dirs, hvs;
  for (int kind = 0; kind < 4; ++kind) {  // every parameter, convolutions, batch norms, the classifier
    CAPTURE(kind);
    std::vector<float> v(w.size(), 0.f);
    for (const Node& n : g.nodes) {
      const bool take = kind == 0 || (kind == 1 && n.op == OpKind::Conv2d) ||
                        (kind == 2 && n.op == OpKind::BatchNorm) || (kind == 3 && n.op == OpKind::Linear);
      for (int id : {n.weight, n.bias})
        if (take && id >= 0)
          for (size_t i = 0; i < g.params[size_t(id)].size; ++i)
            v[g.params[size_t(id)].offset + i] = std::uniform_real_distribution<float>(-1.f, 1.f)(gen);
    }
    const WeightGradients r = ex.hessian_vector(g, w, x.data(), B, v, seed, seed_tangent);
    CHECK(r.grads == g0.grads);
    double norm = 0;
    for (float e : r.hessian_vector) norm += double(e) * e;
    CHECK(norm > 0);
    dirs.push_back(v);
    hvs.push_back(r.hessian_vector);
    if (!fd) continue;
    // The largest step (float32's rounding weighs less) at which no branch changes.
    float h = 0;
    WeightGradients gp, gm;
    for (const float step : {1e-4f, 3e-5f, 1e-5f}) {
      std::vector<float> wp = w, wm = w;
      for (size_t i = 0; i < w.size(); ++i) wp[i] += step * v[i], wm[i] -= step * v[i];
      gp = grads_at(wp), gm = grads_at(wm);
      if (same_branches(gp) && same_branches(gm)) {
        h = step;
        break;
      }
    }
    REQUIRE(h > 0);
    CAPTURE(h);
    double err = 0;
    for (size_t i = 0; i < w.size(); ++i) {
      const double d = (double(gp.grads[i]) - double(gm.grads[i])) / (2.0 * h) - r.hessian_vector[i];
      err += d * d;
    }
    CHECK(std::sqrt(err) <= 1e-2 * std::sqrt(norm));
  }
  for (size_t a = 0; a < dirs.size(); ++a)
    for (size_t b = a + 1; b < dirs.size(); ++b) {
      double uhv = 0, vhu = 0, scale = 0;
      for (size_t i = 0; i < w.size(); ++i) {
        uhv += double(dirs[a][i]) * hvs[b][i];
        vhu += double(dirs[b][i]) * hvs[a][i];
        scale += std::fabs(double(dirs[a][i]) * hvs[b][i]) + std::fabs(double(dirs[b][i]) * hvs[a][i]);
      }
      CAPTURE(a);
      CAPTURE(b);
      CHECK(std::fabs(uhv - vhu) <= 1e-5 * scale);
    }
}

// Every op kind on 6 x 6 images: a fused batch norm + ReLU, max pool, a batch norm and a pool summed
// into an add, an unfused ReLU, a strided convolution, concatenation, a channel slice, the classifier.
Graph tiny_network() {
  Graph g;
  const int x = g.input({3, 6, 6});
  const int a = g.relu(g.batchnorm(g.conv2d(x, 4, 3, 1, 1, "c1"), "b1"));
  const int c = g.batchnorm(g.conv2d(g.maxpool(a, 3, 1, 1), 4, 1, 1, 0, "c2"), "b2");
  const int r = g.relu(g.add({c, g.avgpool3x3(a), a}));
  const int f = g.concat({g.conv2d(r, 6, 3, 2, 1, "c3"), g.avgpool2x2(r)});
  const int t = g.relu(g.batchnorm(g.channel_slice(f, 7), "b3"));
  g.output = g.linear(g.global_avgpool(t), kClasses, "fc");
  return g;
}

}  // namespace

TEST_CASE("Hessian-vector products of whole networks: finite differences of the gradient, symmetry") {
  NetShape shape;
  shape.num_classes = kClasses;
  check_hessian(tiny_network(), 3, true);
  check_hessian(space_of(SpaceId::Nb201).build(1, shape), 1, false);  // whole networks (PyTorch: oracle_proxies)
  check_hessian(test::small_nb101(8, kClasses), 7, false);
}

TEST_CASE("grasp: -sum of w * Hg over convolution and linear weights; degenerate when not finite") {
  const Graph g = tiny_network();
  auto be = make_cpu_backend(2);
  Executor ex(*be);
  const auto x = test::random_vec(size_t(B) * g.shape(0).per_sample(), 29);
  const std::vector<int> labels = {0, 1, 2, 3, 4, 5};
  std::vector<float> w = init_params(g, 5, 1);
  const auto seed = [&](const std::vector<float>& y) {
    std::vector<float> dy;
    cross_entropy(y, labels, kClasses, &dy);
    return dy;
  };
  const WeightGradients wg = ex.weight_gradients(g, w, x.data(), B, seed);
  // The direction is the gradient on convolution and linear weights only.
  const std::vector<float> v = grasp_direction(g, wg.grads);
  for (const Node& n : g.nodes)
    for (int id : {n.weight, n.bias}) {
      if (id < 0) continue;
      const Param& p = g.params[size_t(id)];
      const bool counted = (n.op == OpKind::Conv2d || n.op == OpKind::Linear) && id == n.weight;
      for (size_t i = 0; i < p.size; ++i) CHECK(v[p.offset + i] == (counted ? wg.grads[p.offset + i] : 0.f));
    }
  const WeightGradients hv = ex.hessian_vector(g, w, x.data(), B, v, seed, [&](const auto& y, const auto& ty) {
    return cross_entropy_hessian(y, kClasses, ty);
  });
  const JacobScore s = grasp(ex, g, w, x.data(), B, labels, kClasses, wg.grads);
  CHECK(s.status == ScoreStatus::Ok);
  CHECK(s.score == grasp_score(g, w, hv.hessian_vector));
  double direct = 0;
  for (const Node& n : g.nodes)
    if ((n.op == OpKind::Conv2d || n.op == OpKind::Linear) && n.weight >= 0) {
      const Param& p = g.params[size_t(n.weight)];
      for (size_t i = 0; i < p.size; ++i) direct -= double(w[p.offset + i]) * hv.hessian_vector[p.offset + i];
    }
  CHECK(s.score == doctest::Approx(direct).epsilon(1e-12));
  // A weight of NaN: the gradient, H g and the score are not finite, a degenerate score with its reason.
  w[g.params[size_t(g.nodes[1].weight)].offset] = NAN;
  const WeightGradients bad = ex.weight_gradients(g, w, x.data(), B, seed);
  const JacobScore d = grasp(ex, g, w, x.data(), B, labels, kClasses, bad.grads);
  CHECK(d.status == ScoreStatus::Degenerate);
  CHECK(d.reason.find("not finite") != std::string::npos);
}

TEST_CASE("cross-entropy's Hessian: the tangent of its gradient, against central differences") {
  const std::vector<float> y = {1.f, 2.f, 3.f, -1.f, 0.f, 4.f}, ty = {0.5f, -1.f, 2.f, 1.f, 0.25f, -0.5f};
  const std::vector<int> labels = {2, 0};
  const std::vector<float> hy = cross_entropy_hessian(y, 3, ty);
  const double h = 1e-3;
  std::vector<float> yp = y, ym = y, dp, dm;
  for (size_t i = 0; i < y.size(); ++i) yp[i] += float(h) * ty[i], ym[i] -= float(h) * ty[i];
  cross_entropy(yp, labels, 3, &dp);
  cross_entropy(ym, labels, 3, &dm);
  for (size_t i = 0; i < y.size(); ++i) CHECK(hy[i] == doctest::Approx((dp[i] - dm[i]) / (2 * h)).epsilon(1e-3));
  CHECK(test::error_of([&] { cross_entropy_hessian(y, 3, {1.f}); }).find("disagree") != std::string::npos);
}

TEST_CASE("cross-entropy: the mean loss and (softmax - onehot) / B, against a direct computation") {
  const std::vector<float> y = {1.f, 2.f, 3.f, -1.f, 0.f, 4.f};
  const std::vector<int> labels = {2, 0};
  std::vector<float> dy;
  const double L = cross_entropy(y, labels, 3, &dy);
  const double l0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3.0;
  const double l1 = std::log(std::exp(-1.0) + std::exp(0.0) + std::exp(4.0)) + 1.0;
  CHECK(L == doctest::Approx((l0 + l1) / 2).epsilon(1e-12));
  const double s0 = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  CHECK(dy[0] == doctest::Approx(std::exp(1.0) / s0 / 2).epsilon(1e-6));
  CHECK(dy[2] == doctest::Approx((std::exp(3.0) / s0 - 1) / 2).epsilon(1e-6));
  CHECK(test::error_of([&] { cross_entropy(y, {2, 3}, 3, nullptr); }).find("label 3 of sample 1") != std::string::npos);
}

TEST_CASE("weight gradients of whole NB201-topology networks against finite differences of the cross-entropy") {
  NetShape shape;
  shape.num_classes = kClasses;
  // NB201 index 1 (convolutions, a pool and skips): every 7th tensor (convolutions, batch norms, the
  // classifier); every tensor of the NATS-Bench SSS network of 8 channels throughout (index 0).
  check_network(space_of(SpaceId::Nb201).build(1, shape), 1, 7);
  check_network(space_of(SpaceId::NatsSss).build(0, shape), 0);
}

TEST_CASE("weight gradients of an NB101 network (concatenation, projections, max pool) against finite differences") {
  check_network(test::small_nb101(8, kClasses), 7);
}

TEST_CASE("grad_norm and snip: sums over convolution and linear weights only") {
  NetShape shape;
  shape.num_classes = kClasses;
  const Graph g = space_of(SpaceId::Nb201).build(2, shape);
  std::vector<float> w(g.num_params()), grads(g.num_params(), 0.f);
  for (size_t i = 0; i < w.size(); ++i) w[i] = (i % 2 ? -0.5f : 2.f);
  double norm = 0, snip = 0;
  for (const Node& n : g.nodes) {
    for (int id : {n.weight, n.bias}) {
      if (id < 0) continue;
      const Param& p = g.params[size_t(id)];
      const bool counted = (n.op == OpKind::Conv2d || n.op == OpKind::Linear) && id == n.weight;
      for (size_t i = 0; i < p.size; ++i) grads[p.offset + i] = counted ? 3.f : 100.f;  // others must not count
      if (counted) norm += 3.0 * std::sqrt(double(p.size));
      if (counted)
        for (size_t i = 0; i < p.size; ++i) snip += std::fabs(3.0 * w[p.offset + i]);
    }
  }
  CHECK(grad_norm_score(g, grads) == doctest::Approx(norm).epsilon(1e-12));
  CHECK(snip_score(g, w, grads) == doctest::Approx(snip).epsilon(1e-12));
}

TEST_CASE("synflow's rescaled network: the score does not depend on where the scales sit") {
  // Scales at every cut node whose bound leaves [1/2, 2] and only where it leaves [2^-16, 2^16] give
  // the same score: a scale on a node that some path bypasses, or one left out of log2_scale, would
  // change it. R is linear in the stem convolution's weights (every path passes it), so the sum over
  // them of w * dR/dw is R minus the classifier bias's part. Networks whose R overflows float32
  // without the scales (nb201 1 and 1462: 1e36, 1e50) and one that needs none (777).
  NetShape shape;
  shape.num_classes = kClasses;
  auto be = make_cpu_backend(2);
  Executor ex(*be);
  int more_scales = 0;
  for (long index : {1L, 1462L, 777L}) {
    CAPTURE(index);
    const Graph g = space_of(SpaceId::Nb201).build(index, shape);
    const std::vector<float> w = init_params(g, 3, uint64_t(index));
    const SynflowNetwork sn = synflow_network(g, w);
    const auto batch_norms =
        std::count_if(g.nodes.begin(), g.nodes.end(), [](const Node& n) { return n.op == OpKind::BatchNorm; });
    CHECK(sn.graph.nodes.size() == g.nodes.size() - size_t(batch_norms) + size_t(sn.scaled_nodes));  // batch norms gone
    if (index != 777) CHECK(sn.scaled_nodes > 0);
    const std::vector<float> ones(2 * 3 * 32 * 32, 1.f);
    const WeightGradients wg =
        ex.weight_gradients(sn.graph, sn.params, ones.data(), 2,
                            [](const std::vector<float>& y) { return std::vector<float>(y.size(), 1.f); });
    double R = 0, bias = 0, stem = 0;
    for (float y : wg.output) R += y;
    const Node& out = sn.graph.nodes[size_t(sn.graph.output)];
    const Param& pb = sn.graph.params[size_t(out.bias)];
    for (size_t i = 0; i < pb.size; ++i) bias += 2.0 * sn.params[pb.offset + i];
    const Param& ps = sn.graph.params[size_t(g.nodes[1].weight)];  // the stem convolution
    REQUIRE(g.nodes[1].op == OpKind::Conv2d);
    for (size_t i = 0; i < ps.size; ++i) stem += double(sn.params[ps.offset + i]) * wg.grads[ps.offset + i];
    CHECK(std::isfinite(R));
    CHECK(stem == doctest::Approx(R - bias).epsilon(1e-5));
    // The score is finite, positive and undoes the scales: at least the stem's flow, R / 2^log2_scale.
    const double score = synflow_score(sn, g, wg.grads) / 2;
    CHECK(score >= std::ldexp(stem / 2, int(-sn.log2_scale)) * (1 - 1e-6));
    const SynflowNetwork many = synflow_network(g, w, 1);
    CHECK(many.scaled_nodes > 0);
    CHECK(many.scaled_nodes >= sn.scaled_nodes);
    more_scales += many.scaled_nodes - sn.scaled_nodes;
    const WeightGradients wm =
        ex.weight_gradients(many.graph, many.params, ones.data(), 2,
                            [](const std::vector<float>& y) { return std::vector<float>(y.size(), 1.f); });
    CHECK(synflow_score(many, g, wm.grads) / 2 == doctest::Approx(score).epsilon(1e-5));
  }
  CHECK(more_scales > 5);
}

TEST_CASE("ntk: the condition number of Theta = G G^T, degenerate when Theta is singular") {
  // Orthogonal rows of norms 1, 2 and 4: Theta = diag(1, 4, 16), condition number 16.
  std::vector<std::vector<float>> rows = {{1, 0, 0, 0}, {0, 2, 0, 0}, {0, 0, 0, 4}};
  JacobScore s = ntk_score(rows);
  CHECK(s.status == ScoreStatus::Ok);
  CHECK(s.score == doctest::Approx(-16.0).epsilon(1e-12));
  // A rotation of the rows changes Theta's entries but not its spectrum.
  rows = {{0.6f, 0.8f, 0, 0}, {-1.6f, 1.2f, 0, 0}, {0, 0, 4, 0}};
  CHECK(ntk_score(rows).score == doctest::Approx(-16.0).epsilon(1e-6));
  rows.push_back(rows[0]);  // two samples with the same gradient: Theta singular
  s = ntk_score(rows);
  CHECK(s.status == ScoreStatus::Degenerate);
  CHECK(s.reason.find("singular") != std::string::npos);
  CHECK(ntk_score({{1, 0}, {0, NAN}}).status == ScoreStatus::Degenerate);
}

TEST_CASE("several backward passes on one forward (weight_gradients_each) = one forward each, bit for bit") {
  auto be = make_cpu_backend(2);
  Executor ex(*be);
  NetShape shape;
  shape.num_classes = kClasses;
  const auto x = test::random_vec(size_t(B) * 3 * 32 * 32, 23);
  for (const Graph& g : {space_of(SpaceId::Nb201).build(1462, shape), test::small_nb101(8, kClasses)}) {
    const std::vector<float> w = init_params(g, 4, 99);
    const auto seed = [](const std::vector<float>& y, int i) {
      std::vector<float> dy(y.size());
      for (size_t k = 0; k < dy.size(); ++k) dy[k] = float((k * 7 + size_t(i) * 3) % 11) - 5.f;
      return dy;
    };
    std::vector<std::vector<float>> each;
    ex.weight_gradients_each(g, w, x.data(), B, 3, seed,
                             [&](int, const std::vector<float>& gr) { each.push_back(gr); });
    REQUIRE(each.size() == 3);
    for (int i = 0; i < 3; ++i) {
      const WeightGradients one =
          ex.weight_gradients(g, w, x.data(), B, [&](const std::vector<float>& y) { return seed(y, i); });
      CAPTURE(i);
      CHECK(std::memcmp(one.grads.data(), each[size_t(i)].data(), one.grads.size() * sizeof(float)) == 0);
    }
    CHECK(each[0] != each[1]);
  }
}
