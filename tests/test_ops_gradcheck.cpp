// Every op's backward against central finite differences of <g, f(x)>, plus whole-graph Jacobians.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <tuple>

#include "engine/backend.h"
#include "engine/executor.h"
#include "engine/init.h"
#include "kernels/cpu/cpu_kernels.h"
#include "tests/gradcheck.h"
#include "tests/test_util.h"

using namespace naswot;
using naswot::test::blocked;
using naswot::test::Bwd;
using naswot::test::Fwd;
using naswot::test::gradcheck;
using naswot::test::random_vec;
using naswot::test::unblocked;

namespace {

// A kernel's forward and backward on NCHW vectors (what gradcheck perturbs), run on blocked copies.
// Tensors are (C channels, P pixels) of B samples; padding lanes never reach the checked values.
struct Dims {
  int C, P;
};
using KFwd = std::function<void(const float* x, float* y)>;
using KBwd = std::function<void(const float* dy, float* dx, bool accumulate)>;
Fwd on_nchw(int B, Dims in, Dims out, KFwd k) {
  return [=](const float* x, float* y) {
    const auto xb = blocked(x, B, in.C, in.P);
    std::vector<float> yb(cpu::padded_batch(B) * out.C * out.P);
    k(xb.data(), yb.data());
    cpu::from_blocked(B, out.C, out.P, yb.data(), y);
  };
}
Bwd on_nchw(int B, Dims in, Dims out, KBwd k) {
  return [=](const float* dy, float* dx, bool a) {
    const auto dyb = blocked(dy, B, out.C, out.P);
    auto dxb = blocked(dx, B, in.C, in.P);
    k(dyb.data(), dxb.data(), a);
    cpu::from_blocked(B, in.C, in.P, dxb.data(), dx);
  };
}

// Inputs bounded away from 0 so that ReLU kinks stay outside the finite-difference step.
std::vector<float> away_from_zero(size_t n, uint32_t seed) {
  auto v = random_vec(n, seed);
  for (auto& x : v) x = x < 0 ? x - 0.1f : x + 0.1f;
  return v;
}

// Central differences of F(x) = sum_b y_b through the executor at every stride-th input coordinate:
// returns max |J| and, per checked coordinate, |fd - J| / max |J|.
std::pair<double, std::vector<double>> executor_fd(const Graph& g, const std::vector<float>& params,
                                                   const std::vector<float>& batch, int B, float h, size_t stride) {
  auto be = make_cpu_backend(0);
  Executor ex(*be);
  const JacobianResult r = ex.jacobian(g, params, batch.data(), B);
  auto F = [&](const std::vector<float>& xb) {
    const auto rr = ex.jacobian(g, params, xb.data(), B);
    double s = 0;
    for (float v : rr.output) s += v;
    return s;
  };
  double scale = 0;
  for (float v : r.jacobian) scale = std::max(scale, double(std::fabs(v)));
  std::vector<double> err;
  for (size_t j = 0; j < batch.size(); j += stride) {
    auto xp = batch, xm = batch;
    xp[j] += h;
    xm[j] -= h;
    const double fd = (F(xp) - F(xm)) / (double(xp[j]) - double(xm[j]));
    err.push_back(std::fabs(fd - r.jacobian[j]) / std::max(scale, 1e-30));
  }
  return {scale, err};
}

}  // namespace

TEST_CASE("conv2d backward-data matches finite differences") {
  struct Case {
    int B, Cin, H, Cout, k, s, p;
  };
  // Includes batch tails (B = 37, 70, 20 are not multiples of the 8-, 16- or 32-lane blocks),
  // output-channel tails (11, 3, 5), stride 2, no padding, and 1x1 convolutions.
  for (Case c :
       {Case{2, 3, 7, 4, 3, 1, 1}, Case{3, 4, 8, 5, 3, 2, 1}, Case{2, 5, 6, 3, 1, 1, 0}, Case{1, 2, 5, 2, 3, 1, 0},
        Case{37, 3, 6, 11, 3, 1, 1}, Case{20, 9, 6, 3, 3, 2, 1}, Case{70, 3, 8, 4, 1, 1, 0}}) {
    CAPTURE(c.k);
    CAPTURE(c.s);
    const int Ho = (c.H + 2 * c.p - c.k) / c.s + 1;
    cpu::ConvDims d{c.B, c.Cin, c.H, c.H, c.Cout, c.k, c.s, c.p, Ho, Ho};
    const auto w = random_vec(size_t(c.Cout) * c.Cin * c.k * c.k, 5);
    const Dims in{c.Cin, c.H * c.H}, out{c.Cout, Ho * Ho};
    gradcheck(random_vec(size_t(c.Cin) * c.B * c.H * c.H, 6), size_t(c.Cout) * c.B * Ho * Ho,
              on_nchw(c.B, in, out, [&](const float* x, float* y) { cpu::conv2d_forward(d, x, w.data(), y); }),
              on_nchw(c.B, in, out,
                      [&](const float* dy, float* dx, bool a) { cpu::conv2d_backward_data(d, dy, w.data(), dx, a); }),
              0.5f, 1e-4);
  }
}

TEST_CASE("conv2d forward matches a direct loop") {
  cpu::ConvDims d{2, 3, 5, 5, 2, 3, 2, 1, 3, 3};
  const auto x = random_vec(3 * 2 * 25, 1), w = random_vec(2 * 3 * 9, 2);  // x: NCHW
  std::vector<float> yb(cpu::padded_batch(2) * 2 * 9);
  cpu::conv2d_forward(d, blocked(x, 2, 3, 25).data(), w.data(), yb.data());
  const auto y = unblocked(yb, 2, 2, 9);
  for (int co = 0; co < 2; ++co)
    for (int b = 0; b < 2; ++b)
      for (int oy = 0; oy < 3; ++oy)
        for (int ox = 0; ox < 3; ++ox) {
          double s = 0;
          for (int ci = 0; ci < 3; ++ci)
            for (int ky = 0; ky < 3; ++ky)
              for (int kx = 0; kx < 3; ++kx) {
                const int iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
                if (iy < 0 || iy >= 5 || ix < 0 || ix >= 5) continue;
                s += double(w[((co * 3 + ci) * 3 + ky) * 3 + kx]) * x[((b * 3 + ci) * 5 + iy) * 5 + ix];
              }
          CHECK(y[((b * 2 + co) * 3 + oy) * 3 + ox] == doctest::Approx(s).epsilon(1e-5));
        }
}

TEST_CASE("batch norm backward includes the cross-sample terms") {
  const int C = 3, P = 16;  // perturbing one sample moves the others' outputs
  const auto gamma = random_vec(C, 3, 0.5f, 1.5f), beta = random_vec(C, 4);
  std::vector<float> mean(C), rstd(C);
  for (int B : {2, 5}) {  // 5: a padded block whose spare lanes must not enter the statistics
    CAPTURE(B);
    const size_t n = size_t(C) * P * B;
    const std::vector<float> x0 = random_vec(n, 8);
    const auto x0b = blocked(x0, B, C, P);
    gradcheck(x0, n,
              on_nchw(B, {C, P}, {C, P},
                      [&](const float* x, float* y) {
                        cpu::batchnorm_forward(C, P, B, x, gamma.data(), beta.data(), 1e-5f, y, mean.data(),
                                               rstd.data(), cpu::BnStore::Write);
                      }),
              on_nchw(B, {C, P}, {C, P},
                      [&](const float* dy, float* dx, bool a) {
                        std::vector<float> y(x0b.size());
                        cpu::batchnorm_forward(C, P, B, x0b.data(), gamma.data(), beta.data(), 1e-5f, y.data(),
                                               mean.data(), rstd.data(), cpu::BnStore::Write);
                        cpu::batchnorm_backward(C, P, B, dy, x0b.data(), gamma.data(), mean.data(), rstd.data(),
                                                nullptr, dx, a);
                      }),
              1e-2f, 2e-3);
  }
}

TEST_CASE("batch norm forward normalises with the biased batch variance") {
  const std::vector<float> x = {1,  2,  3,  4,
                                10, 10, 10, 10};  // one sample, 2 channels of 4 pixels; channel 1 is constant
  const std::vector<float> g = {2, 1}, b = {0.5f, -1};
  std::vector<float> yb(cpu::padded_batch(1) * 8), mean(2), rstd(2);
  cpu::batchnorm_forward(2, 4, 1, blocked(x, 1, 2, 4).data(), g.data(), b.data(), 1e-5f, yb.data(), mean.data(),
                         rstd.data(), cpu::BnStore::Write);
  const auto y = unblocked(yb, 1, 2, 4);
  const double var = 1.25;  // of 1,2,3,4 with divisor 4
  CHECK(y[0] == doctest::Approx((1 - 2.5) / std::sqrt(var + 1e-5) * 2 + 0.5).epsilon(1e-6));
  CHECK(y[5] == doctest::Approx(-1.0));  // constant channel -> beta
}

TEST_CASE("relu, pools, global pool and linear backward match finite differences") {
  const int B = 2, C = 3, H = 5, W = 6;
  const size_t n = size_t(B) * C * H * W, planes = size_t(B) * C;  // planes: output size of the global pool
  const Dims img{C, H * W}, half{C, (H / 2) * (W / 2)}, one{C, 1};
  const size_t slots = cpu::padded_batch(B) * C * H * W;
  gradcheck(away_from_zero(n, 11), n,
            on_nchw(B, img, img, [&](const float* x, float* y) { cpu::relu_forward(slots, x, y); }),
            on_nchw(B, img, img,
                    [&](const float* dy, float* dx, bool a) {
                      std::vector<float> y(slots);
                      cpu::relu_forward(slots, blocked(away_from_zero(n, 11), B, C, H * W).data(), y.data());
                      cpu::relu_backward(slots, dy, y.data(), dx, a);
                    }),
            1e-2f, 1e-4);
  gradcheck(random_vec(n, 12), n,
            on_nchw(B, img, img, [&](const float* x, float* y) { cpu::avgpool3x3_forward(C, H, W, B, x, y, false); }),
            on_nchw(B, img, img,
                    [&](const float* dy, float* dx, bool a) { cpu::avgpool3x3_backward(C, H, W, B, dy, dx, a); }),
            0.5f, 1e-4);
  gradcheck(random_vec(n, 13), planes * (H / 2) * (W / 2),
            on_nchw(B, img, half, [&](const float* x, float* y) { cpu::avgpool2x2_forward(C, H, W, B, x, y); }),
            on_nchw(B, img, half,
                    [&](const float* dy, float* dx, bool a) { cpu::avgpool2x2_backward(C, H, W, B, dy, dx, a); }),
            0.5f, 1e-4);
  gradcheck(random_vec(n, 14), planes,
            on_nchw(B, img, one, [&](const float* x, float* y) { cpu::global_avgpool_forward(C, H * W, B, x, y); }),
            on_nchw(B, img, one,
                    [&](const float* dy, float* dx, bool a) { cpu::global_avgpool_backward(C, H * W, B, dy, dx, a); }),
            0.5f, 1e-4);
  const int In = 7, Out = 3;
  const auto w = random_vec(size_t(In) * Out, 15), bias = random_vec(Out, 16);
  gradcheck(
      random_vec(size_t(In) * B, 17), size_t(Out) * B,
      on_nchw(B, {In, 1}, {Out, 1},
              [&](const float* x, float* y) { cpu::linear_forward(B, In, Out, x, w.data(), bias.data(), y); }),
      on_nchw(B, {In, 1}, {Out, 1},
              [&](const float* dy, float* dx, bool a) { cpu::linear_backward_data(B, In, Out, dy, w.data(), dx, a); }),
      0.5f, 1e-4);
}

TEST_CASE("avg_pool_3x3 excludes padding from the divisor") {
  const std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<float> yb(cpu::padded_batch(1) * 9);
  cpu::avgpool3x3_forward(1, 3, 3, 1, blocked(x, 1, 1, 9).data(), yb.data(), false);
  const auto y = unblocked(yb, 1, 1, 9);
  CHECK(y[0] == doctest::Approx((1 + 2 + 4 + 5) / 4.0));
  CHECK(y[1] == doctest::Approx((1 + 2 + 3 + 4 + 5 + 6) / 6.0));
  CHECK(y[4] == doctest::Approx(5.0));
}

TEST_CASE("forward ops with accumulate add their result to the output") {
  // The fused adds' contract: accumulate gives y0 + f(x), where f(x) is what the writing call gives.
  for (int B : {3, 20}) {  // one padded block; more than one block on every ISA
    CAPTURE(B);
    const int C = 4, H = 5, W = 6, P = H * W;
    const size_t slots = cpu::padded_batch(B) * C * P;
    const auto x = blocked(random_vec(size_t(B) * C * P, 21), B, C, P);
    const auto y0 = blocked(random_vec(size_t(B) * C * P, 22), B, C, P);
    const auto gamma = random_vec(C, 23, 0.5f, 1.5f), beta = random_vec(C, 24);
    std::vector<float> mean(C), rstd(C);
    auto check = [&](const char* what, const std::function<void(float*, bool)>& op) {
      CAPTURE(what);
      std::vector<float> f(slots), acc = y0;
      op(f.data(), false);
      op(acc.data(), true);
      const auto fr = unblocked(f, B, C, P), ar = unblocked(acc, B, C, P), yr = unblocked(y0, B, C, P);
      for (size_t i = 0; i < fr.size(); ++i) REQUIRE(ar[i] == doctest::Approx(yr[i] + fr[i]).epsilon(1e-6));
    };
    check("batchnorm_forward", [&](float* y, bool a) {
      cpu::batchnorm_forward(C, P, B, x.data(), gamma.data(), beta.data(), 1e-5f, y, mean.data(), rstd.data(),
                             a ? cpu::BnStore::Accumulate : cpu::BnStore::Write);
    });
    check("avgpool3x3_forward", [&](float* y, bool a) { cpu::avgpool3x3_forward(C, H, W, B, x.data(), y, a); });
  }
}

TEST_CASE("executor Jacobian of sum_b y_b matches finite differences through a whole graph") {
  // conv -> BN -> avgpool3x3 + skip -> strided conv -> BN -> 2x2 pool -> GAP -> linear: smooth (no ReLU),
  // with batch statistics coupling the samples, so every entry of J is checked strictly.
  Graph g;
  int x = g.input({2, 6, 6});
  int h = g.batchnorm(g.conv2d(x, 4, 3, 1, 1, "c1"), "bn1");
  h = g.add({g.avgpool3x3(h), h});
  h = g.batchnorm(g.conv2d(h, 3, 3, 2, 1, "c2"), "bn2");
  h = g.add({g.avgpool2x2(h), g.zero({3, 1, 1})});
  g.output = g.linear(g.global_avgpool(h), 2, "fc");
  const auto params = init_params(g, 3, 0);
  const auto [scale, err] = executor_fd(g, params, random_vec(size_t(3) * 2 * 36, 21), 3, 1e-2f, 5);
  CHECK(scale > 0);
  CHECK(*std::max_element(err.begin(), err.end()) <= 5e-3);
}

TEST_CASE("max pool forward/backward: 3x3 stride 1 pad 1 and 2x2 stride 2") {
  const int B = 3, C = 2, H = 6, W = 5;
  const size_t n = size_t(B) * C * H * W;
  // Distinct values so every window has a unique maximum (finite differences stay away from ties).
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = float((i * 7919) % n) / float(n) - 0.5f;
  for (auto [k, s, p] : {std::tuple{3, 1, 1}, std::tuple{2, 2, 0}}) {
    const int Ho = (H + 2 * p - k) / s + 1, Wo = (W + 2 * p - k) / s + 1;
    const size_t ny = size_t(B) * C * Ho * Wo;
    const Dims in{C, H * W}, out{C, Ho * Wo};
    const auto xb = blocked(x, B, C, H * W);
    gradcheck(x, ny,
              on_nchw(B, in, out, [&](const float* xx, float* y) { cpu::maxpool_forward(C, H, W, B, k, s, p, xx, y); }),
              on_nchw(B, in, out,
                      [&](const float* dy, float* dx, bool a) {
                        cpu::maxpool_backward(C, H, W, B, k, s, p, xb.data(), dy, dx, a);
                      }),
              1e-4f, 2e-2);
    std::vector<float> yb(cpu::padded_batch(B) * C * Ho * Wo);
    cpu::maxpool_forward(C, H, W, B, k, s, p, xb.data(), yb.data());
    const auto y = unblocked(yb, B, C, Ho * Wo);
    // Corner of channel 0, sample 0: the max over the in-image part of its window.
    float want = -1e9f;
    for (int i = 0; i < k - p; ++i)
      for (int j = 0; j < k - p; ++j) want = std::max(want, x[size_t(i) * W + j]);
    CHECK(y[0] == want);
  }
}

TEST_CASE("batch norm with a fused ReLU = batch norm then ReLU, forward and backward, bit for bit") {
  for (int B : {3, 20}) {
    CAPTURE(B);
    const int C = 5, P = 12;
    const size_t slots = cpu::padded_batch(B) * C * P;
    const auto x = blocked(random_vec(size_t(B) * C * P, 41), B, C, P);
    const auto dy = blocked(random_vec(size_t(B) * C * P, 42), B, C, P);
    const auto gamma = random_vec(C, 43, 0.5f, 1.5f), beta = random_vec(C, 44);
    std::vector<float> mean(C), rstd(C), bn(slots), relu(slots), fused(slots);
    cpu::batchnorm_forward(C, P, B, x.data(), gamma.data(), beta.data(), 1e-5f, bn.data(), mean.data(), rstd.data(),
                           cpu::BnStore::Write);
    cpu::relu_forward(slots, bn.data(), relu.data());
    cpu::batchnorm_forward(C, P, B, x.data(), gamma.data(), beta.data(), 1e-5f, fused.data(), mean.data(), rstd.data(),
                           cpu::BnStore::ReLU);
    CHECK(unblocked(fused, B, C, P) == unblocked(relu, B, C, P));
    CHECK(std::count(relu.begin(), relu.end(), 0.f) > 0);  // the mask matters
    for (bool acc : {false, true}) {
      CAPTURE(acc);
      std::vector<float> d_relu(slots), plain(slots, 0.5f), one_pass(slots, 0.5f);
      cpu::relu_backward(slots, dy.data(), relu.data(), d_relu.data(), false);
      cpu::batchnorm_backward(C, P, B, d_relu.data(), x.data(), gamma.data(), mean.data(), rstd.data(), nullptr,
                              plain.data(), acc);
      cpu::batchnorm_backward(C, P, B, dy.data(), x.data(), gamma.data(), mean.data(), rstd.data(), fused.data(),
                              one_pass.data(), acc);
      CHECK(unblocked(one_pass, B, C, P) == unblocked(plain, B, C, P));
    }
  }
}

TEST_CASE("max pool backward sends each window's gradient to its first maximum, ties included") {
  // Values on a coarse grid: most windows hold ties, which finite differences cannot check. The rule
  // (PyTorch's): the first maximum in row-major window order. Reference: a plain NCHW scatter.
  const int C = 3, H = 7, W = 6;
  for (int B : {2, 20}) {
    for (auto [k, s, p] : {std::tuple{3, 1, 1}, std::tuple{2, 2, 0}, std::tuple{3, 2, 1}}) {
      CAPTURE(B);
      CAPTURE(k);
      CAPTURE(s);
      const int Ho = (H + 2 * p - k) / s + 1, Wo = (W + 2 * p - k) / s + 1;
      auto x = random_vec(size_t(B) * C * H * W, 31);
      for (auto& v : x) v = std::round(v * 2.f) / 2.f;
      const auto dy = random_vec(size_t(B) * C * Ho * Wo, 32);
      std::vector<float> want(x.size(), 0.f);
      for (int plane = 0; plane < B * C; ++plane)
        for (int i = 0; i < Ho; ++i)
          for (int j = 0; j < Wo; ++j) {
            int arg = -1;
            for (int di = 0; di < k; ++di)
              for (int dj = 0; dj < k; ++dj) {
                const int ii = i * s - p + di, jj = j * s - p + dj;
                if (ii < 0 || ii >= H || jj < 0 || jj >= W) continue;
                const float v = x[size_t(plane) * H * W + ii * W + jj];
                if (arg < 0 || v > x[size_t(plane) * H * W + arg]) arg = ii * W + jj;
              }
            want[size_t(plane) * H * W + arg] += dy[(size_t(plane) * Ho + i) * Wo + j];
          }
      const size_t nx = cpu::padded_batch(B) * C * H * W;
      for (bool acc : {false, true}) {
        CAPTURE(acc);
        std::vector<float> dxb(nx, 0.f);
        if (acc) dxb = blocked(std::vector<float>(x.size(), 1.f), B, C, H * W);
        cpu::maxpool_backward(C, H, W, B, k, s, p, blocked(x, B, C, H * W).data(), blocked(dy, B, C, Ho * Wo).data(),
                              dxb.data(), acc);
        const auto got = unblocked(dxb, B, C, H * W);
        for (size_t e = 0; e < got.size(); ++e) REQUIRE(got[e] == doctest::Approx(want[e] + (acc ? 1.f : 0.f)));
      }
    }
  }
}

TEST_CASE("executor Jacobian through max-pool, concat and channel slice matches finite differences") {
  Graph g;
  int x = g.input({2, 6, 6});
  int h = g.batchnorm(g.conv2d(x, 4, 3, 1, 1, "c1"), "bn1");
  const int a = g.maxpool(h, 3, 1, 1);
  const int b = g.conv2d(g.channel_slice(h, 3), 2, 1, 1, 0, "c2");
  h = g.maxpool(g.concat({a, b}), 2, 2, 0);
  CHECK(g.shape(h) == Shape{6, 3, 3});
  g.output = g.linear(g.global_avgpool(h), 2, "fc");
  const auto params = init_params(g, 5, 0);
  const auto [scale, err] = executor_fd(g, params, random_vec(size_t(3) * 2 * 36, 31), 3, 1e-3f, 3);
  CHECK(scale > 0);
  // A perturbation can move a window's argmax (a kink), so allow a few coordinates out of ~70.
  CHECK(std::count_if(err.begin(), err.end(), [](double e) { return e > 2e-2; }) <= 2);
}
