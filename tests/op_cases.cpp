// Test cases of every op of the op table on small, odd shapes (tests/op_cases.h).
#include "tests/op_cases.h"

#include <cmath>
#include <cstring>

#include "engine/init.h"
#include "engine/rng.h"
#include "tests/test_util.h"

namespace naswot::op_test {
namespace {

constexpr int B = 3;  // samples: odd, so the CPU's padding lanes are in play

HostTensor rnd(int C, int P, uint32_t seed) { return act(test::random_vec(size_t(B) * C * P, seed), B, P); }
HostTensor zeros(int C, int P) { return act(std::vector<float>(size_t(B) * C * P), B, P); }
HostTensor raw_rnd(size_t n, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  return raw(test::random_vec(n, seed, lo, hi));
}
HostTensor raw_zeros(size_t n) { return raw(std::vector<float>(n)); }
size_t count(Backend& be, int C, int P) { return be.padded_batch(B) * size_t(C) * P; }

void conv_cases(std::vector<OpCase>& v) {
  struct S {
    int cin, h, w, cout, k, stride, pad;
  };
  for (const S s : {S{4, 6, 5, 5, 3, 1, 1}, S{3, 7, 7, 4, 3, 2, 1}, S{5, 4, 4, 3, 1, 1, 0}}) {
    const int ho = (s.h + 2 * s.pad - s.k) / s.stride + 1, wo = (s.w + 2 * s.pad - s.k) / s.stride + 1;
    const ConvDims d{B, s.cin, s.h, s.w, s.cout, s.k, s.stride, s.pad, ho, wo};
    const std::string what = "k" + std::to_string(s.k) + " s" + std::to_string(s.stride) + " p" + std::to_string(s.pad);
    const HostTensor w = raw_rnd(size_t(s.cout) * s.cin * s.k * s.k, 11, -0.5f, 0.5f);
    const auto fwd = [d](Backend& be, const std::vector<float*>& p, bool) { be.conv2d_forward(d, p[0], p[1], p[2]); };
    OpCase f{"conv2d_forward", what, {rnd(s.cin, s.h * s.w, 1), w}, {zeros(s.cout, ho * wo)}, false, fwd, 1e-4};
    v.push_back(f);
    OpCase b{
        "conv2d_backward_data",
        what,
        {rnd(s.cout, ho * wo, 2), rnd(s.cin, s.h * s.w, 1), w},
        {rnd(s.cin, s.h * s.w, 3)},
        true,
        [d](Backend& be, const std::vector<float*>& p, bool acc) { be.conv2d_backward_data(d, p[0], p[2], p[3], acc); },
        1e-4};
    b.forward_op = "conv2d_forward";
    b.fwd_outs = {zeros(s.cout, ho * wo)};
    b.forward = fwd;
    v.push_back(b);
    OpCase wg{"conv2d_backward_weight",
              what,
              {rnd(s.cout, ho * wo, 4), rnd(s.cin, s.h * s.w, 1), w},
              {raw_rnd(w.v.size(), 5)},
              true,
              [d](Backend& be, const std::vector<float*>& p, bool acc) {
                be.conv2d_backward_weight(d, p[1], p[0], p[3], acc);
              },
              1e-4};
    wg.forward_op = "conv2d_forward";
    wg.fwd_outs = {zeros(s.cout, ho * wo)};
    wg.forward = fwd;
    wg.fd_wrt = 1;
    v.push_back(wg);
    // A ReLU fused into the input: forward, and its data gradient by finite differences (steps too
    // small to cross the ReLU's kink).
    const auto rfwd = [d](Backend& be, const std::vector<float*>& p, bool) {
      be.conv2d_relu_forward(d, p[0], p[1], p[2]);
    };
    v.push_back(
        {"conv2d_relu_forward", what, {rnd(s.cin, s.h * s.w, 1), w}, {zeros(s.cout, ho * wo)}, false, rfwd, 1e-4});
    OpCase rb{"conv2d_relu_backward_data",
              what,
              {rnd(s.cout, ho * wo, 2), rnd(s.cin, s.h * s.w, 1), w},
              {rnd(s.cin, s.h * s.w, 3)},
              true,
              [d](Backend& be, const std::vector<float*>& p, bool acc) {
                be.conv2d_relu_backward_data(d, p[0], p[2], p[1], p[3], acc);
              },
              1e-4};
    rb.forward_op = "conv2d_relu_forward";
    rb.fwd_outs = {zeros(s.cout, ho * wo)};
    rb.forward = rfwd;
    rb.fd_step = 1e-4f;
    v.push_back(rb);
    // A batch norm after the convolution, its backward read through: d<dy, bn(conv(x))>/dx by finite
    // differences, plain and with ReLUs on both sides (the input's mask, the batch norm's fused ReLU).
    const HostTensor gamma = raw_rnd(size_t(s.cout), 12, 0.5f, 1.5f), beta = raw_rnd(size_t(s.cout), 13);
    for (const bool relu : {false, true}) {
      const BnStore store = relu ? BnStore::ReLU : BnStore::Write;
      // p = {x, w, gamma, beta, y, conv output, mean, rstd}: the statistics with the convolution, then
      // the batch norm's output (so the finite differences check those ops too).
      const auto bn_fwd = [d, store, relu](Backend& be, const std::vector<float*>& p) {
        if (relu)
          be.conv2d_relu_forward_bn_stats(d, p[0], p[1], p[5], 1e-5f, p[6], p[7]);
        else
          be.conv2d_forward_bn_stats(d, p[0], p[1], p[5], 1e-5f, p[6], p[7]);
        be.batchnorm_apply(d.Cout, d.Ho * d.Wo, d.B, p[5], p[2], p[3], p[6], p[7], p[4], store);
      };
      const auto stats_case = [d, relu](Backend& be, const std::vector<float*>& p, bool) {
        if (relu)
          be.conv2d_relu_forward_bn_stats(d, p[0], p[1], p[2], 1e-5f, p[3], p[4]);
        else
          be.conv2d_forward_bn_stats(d, p[0], p[1], p[2], 1e-5f, p[3], p[4]);
      };
      v.push_back({relu ? "conv2d_relu_forward_bn_stats" : "conv2d_forward_bn_stats",
                   what,
                   {rnd(s.cin, s.h * s.w, 1), w},
                   {zeros(s.cout, ho * wo), raw_zeros(size_t(s.cout)), raw_zeros(size_t(s.cout))},
                   false,
                   stats_case,
                   1e-4});
      // p = {dy, x, w, gamma, beta, dx, conv output, y, mean, rstd}
      OpCase bb{"conv2d_bn_backward_data",
                what + (relu ? ", ReLUs before and after" : ""),
                {rnd(s.cout, ho * wo, 6), rnd(s.cin, s.h * s.w, 1), w, gamma, beta},
                {rnd(s.cin, s.h * s.w, 3), zeros(s.cout, ho * wo), zeros(s.cout, ho * wo), raw_zeros(size_t(s.cout)),
                 raw_zeros(size_t(s.cout))},
                true,
                [bn_fwd, d, relu](Backend& be, const std::vector<float*>& p, bool acc) {
                  bn_fwd(be, {p[1], p[2], p[3], p[4], p[7], p[6], p[8], p[9]});
                  const BnGrad bn{p[0], p[6], p[3], p[8], p[9], relu ? p[7] : nullptr};
                  be.conv2d_bn_backward_data(d, bn, p[2], relu ? p[1] : nullptr, p[5], acc);
                },
                1e-4};
      bb.forward_op = relu ? "conv2d_relu_forward_bn_stats" : "conv2d_forward_bn_stats";
      bb.fwd_outs = {zeros(s.cout, ho * wo), zeros(s.cout, ho * wo), raw_zeros(size_t(s.cout)),
                     raw_zeros(size_t(s.cout))};
      bb.forward = [bn_fwd](Backend& be, const std::vector<float*>& p, bool) { bn_fwd(be, p); };
      bb.fd_step = relu ? 1e-4f : 1e-3f;  // small steps cross no ReLU kink
      v.push_back(bb);
    }
  }
}

void batchnorm_cases(std::vector<OpCase>& v) {
  const int C = 3, P = 5;
  const HostTensor gamma = raw_rnd(C, 21, 0.5f, 1.5f), beta = raw_rnd(C, 22);
  for (const BnStore store : {BnStore::Write, BnStore::ReLU}) {
    const bool relu = store == BnStore::ReLU;
    const auto fwd = [=](Backend& be, const std::vector<float*>& p, bool acc) {
      be.batchnorm_forward(C, P, B, p[0], p[1], p[2], 1e-5f, p[3], p[4], p[5], acc ? BnStore::Accumulate : store);
    };
    v.push_back({"batchnorm_forward",
                 relu ? "fused ReLU" : "write / accumulate",
                 {rnd(C, P, 23), gamma, beta},
                 {rnd(C, P, 24), raw_zeros(C), raw_zeros(C)},
                 !relu,
                 fwd,
                 1e-5});
    // The output from given statistics, by its definition: y = x * s + (beta - mean * s), s = rstd * gamma.
    OpCase ap{"batchnorm_apply",
              relu ? "fused ReLU" : "write / accumulate",
              {rnd(C, P, 23), gamma, beta, raw_rnd(C, 30), raw_rnd(C, 31, 0.5f, 2.f)},
              {rnd(C, P, 24)},
              !relu,
              [=](Backend& be, const std::vector<float*>& p, bool acc) {
                be.batchnorm_apply(C, P, B, p[0], p[1], p[2], p[3], p[4], p[5], acc ? BnStore::Accumulate : store);
              },
              1e-5};
    ap.host = [=](const std::vector<HostTensor>& in) {
      std::vector<float> y(in[0].v.size());
      for (size_t i = 0; i < y.size(); ++i) {
        const size_t c = i / P % C;
        const float sc = in[4].v[c] * in[1].v[c], v = in[0].v[i] * sc + (in[2].v[c] - in[3].v[c] * sc);
        y[i] = relu && !(v > 0.f) ? 0.f : v;
      }
      return std::vector<std::vector<float>>{y};
    };
    v.push_back(ap);
    // dx through the batch statistics (and the fused ReLU's mask): forward first, for mean and rstd.
    OpCase b{"batchnorm_backward",
             relu ? "fused ReLU mask" : "plain",
             {rnd(C, P, 25), rnd(C, P, 23), gamma, beta},
             {rnd(C, P, 26), zeros(C, P), raw_zeros(C), raw_zeros(C)},
             true,
             [=](Backend& be, const std::vector<float*>& p, bool acc) {
               be.batchnorm_forward(C, P, B, p[1], p[2], p[3], 1e-5f, p[5], p[6], p[7], store);
               be.batchnorm_backward(C, P, B, p[0], p[1], p[2], p[6], p[7], relu ? p[5] : nullptr, p[4], acc);
             },
             1e-4};
    b.forward_op = "batchnorm_forward";
    b.fwd_outs = {zeros(C, P), raw_zeros(C), raw_zeros(C)};
    b.forward = [=](Backend& be, const std::vector<float*>& p, bool) {
      be.batchnorm_forward(C, P, B, p[0], p[1], p[2], 1e-5f, p[3], p[4], p[5], store);
    };
    v.push_back(b);
    // dgamma (finite differences in gamma) and dbeta (in beta): forward first, for mean and rstd.
    for (const int wrt : {1, 2}) {
      OpCase a{"batchnorm_backward_affine",
               std::string(relu ? "fused ReLU mask, " : "plain, ") + (wrt == 1 ? "dgamma" : "dbeta"),
               {rnd(C, P, 27), rnd(C, P, 23), gamma, beta},
               {raw_rnd(C, 28), raw_rnd(C, 29), zeros(C, P), raw_zeros(C), raw_zeros(C)},
               true,
               [=](Backend& be, const std::vector<float*>& p, bool acc) {
                 be.batchnorm_forward(C, P, B, p[1], p[2], p[3], 1e-5f, p[6], p[7], p[8], store);
                 be.batchnorm_backward_affine(C, P, B, p[0], p[1], p[7], p[8], relu ? p[6] : nullptr, p[4], p[5], acc);
               },
               1e-4};
      a.forward_op = "batchnorm_forward";
      a.fwd_outs = b.fwd_outs;
      a.forward = b.forward;
      a.fd_wrt = wrt;
      a.fd_out = wrt - 1;
      v.push_back(a);
    }
  }
}

// The tangent ops (forward-mode derivatives, the grasp proxy's Hessian-vector product) against central
// differences of what they differentiate.
void tangent_cases(std::vector<OpCase>& v) {
  const int C = 3, P = 5;
  const HostTensor gamma = raw_rnd(C, 21, 0.5f, 1.5f), beta = raw_rnd(C, 22);
  for (const BnStore store : {BnStore::Write, BnStore::ReLU}) {
    const bool relu = store == BnStore::ReLU;
    // p = {x, gamma, beta, tx, tgamma, tbeta, ty, y, mean, rstd}
    OpCase f{"batchnorm_tangent_forward",
             relu ? "fused ReLU" : "write / accumulate",
             {rnd(C, P, 23), gamma, beta, rnd(C, P, 71), raw_rnd(C, 72), raw_rnd(C, 73)},
             {rnd(C, P, 74), zeros(C, P), raw_zeros(C), raw_zeros(C)},
             !relu,
             [=](Backend& be, const std::vector<float*>& p, bool acc) {
               be.batchnorm_forward(C, P, B, p[0], p[1], p[2], 1e-5f, p[7], p[8], p[9], store);
               be.batchnorm_tangent_forward(C, P, B, p[0], p[3], p[1], p[4], p[5], p[8], p[9], relu ? p[7] : nullptr,
                                            p[6], acc ? BnStore::Accumulate : store);
             },
             1e-4};
    f.base_op = "batchnorm_forward";
    f.base = [=](Backend& be, const std::vector<float*>& p, bool) {
      be.batchnorm_forward(C, P, B, p[0], p[1], p[2], 1e-5f, p[6], p[7], p[8], store);
    };
    f.base_outs = {zeros(C, P), raw_zeros(C), raw_zeros(C)};
    f.tangent_of = {{3, 0}, {4, 1}, {5, 2}};
    f.fd_step = relu ? 1e-4f : 1e-3f;  // small steps cross no ReLU kink
    v.push_back(f);
    // p = {dy, x, gamma, beta, tdy, tx, tgamma, tdx, tdgamma, tdbeta, y, mean, rstd}
    OpCase b{"batchnorm_tangent_backward",
             relu ? "fused ReLU mask" : "plain",
             {rnd(C, P, 25), rnd(C, P, 23), gamma, beta, rnd(C, P, 75), rnd(C, P, 76), raw_rnd(C, 77)},
             {rnd(C, P, 78), raw_rnd(C, 79), raw_rnd(C, 80), zeros(C, P), raw_zeros(C), raw_zeros(C)},
             true,
             [=](Backend& be, const std::vector<float*>& p, bool acc) {
               be.batchnorm_forward(C, P, B, p[1], p[2], p[3], 1e-5f, p[10], p[11], p[12], store);
               be.batchnorm_tangent_backward(C, P, B, p[0], p[4], p[1], p[5], p[2], p[6], p[11], p[12],
                                             relu ? p[10] : nullptr, p[7], p[8], p[9], acc);
             },
             1e-4};
    b.base_op = "batchnorm_backward";
    b.base = [=](Backend& be, const std::vector<float*>& p, bool) {  // p = {ins..., dx, dgamma, dbeta, y, mean, rstd}
      be.batchnorm_forward(C, P, B, p[1], p[2], p[3], 1e-5f, p[10], p[11], p[12], store);
      const float* relu_y = relu ? p[10] : nullptr;
      be.batchnorm_backward(C, P, B, p[0], p[1], p[2], p[11], p[12], relu_y, p[7], false);
      be.batchnorm_backward_affine(C, P, B, p[0], p[1], p[11], p[12], relu_y, p[8], p[9], false);
    };
    b.base_outs = {zeros(C, P), raw_zeros(C), raw_zeros(C), zeros(C, P), raw_zeros(C), raw_zeros(C)};
    b.tangent_of = {{4, 0}, {5, 1}, {6, 2}};
    b.tangent_outs = 3;
    b.fd_step = relu ? 1e-4f : 1e-3f;
    v.push_back(b);
  }
  const int H = 5, W = 6;
  struct M {
    int k, stride, pad;
  };
  for (const M m : {M{3, 1, 1}, M{2, 2, 0}}) {
    const int ho = (H + 2 * m.pad - m.k) / m.stride + 1, wo = (W + 2 * m.pad - m.k) / m.stride + 1;
    OpCase t{"maxpool_tangent_forward",
             "k" + std::to_string(m.k) + " s" + std::to_string(m.stride) + " p" + std::to_string(m.pad),
             {rnd(C, H * W, 81), rnd(C, H * W, 82)},
             {rnd(C, ho * wo, 83)},
             false,
             [=](Backend& be, const std::vector<float*>& p, bool) {
               be.maxpool_tangent_forward(C, H, W, B, m.k, m.stride, m.pad, p[0], p[1], p[2]);
             }};
    t.base_op = "maxpool_forward";
    t.base = [=](Backend& be, const std::vector<float*>& p, bool) {
      be.maxpool_forward(C, H, W, B, m.k, m.stride, m.pad, p[0], p[2]);
    };
    t.base_outs = {zeros(C, ho * wo)};
    t.tangent_of = {{1, 0}};
    t.fd_step = 1e-4f;  // y is some x exactly: small steps change no window's winner
    v.push_back(t);
  }
}

// Element-wise and channel copies: their definitions are one line each.
void copy_cases(std::vector<OpCase>& v) {
  const int C = 4, P = 6;
  OpCase fill{"fill", "",
              {},     {rnd(C, P, 31)},
              false,  [=](Backend& be, const std::vector<float*>& p, bool) { be.fill(count(be, C, P), 0.75f, p[0]); }};
  fill.host = [=](const std::vector<HostTensor>&) {
    return std::vector<std::vector<float>>{std::vector<float>(size_t(B) * C * P, 0.75f)};
  };
  v.push_back(fill);
  OpCase add{"add_forward",
             "three inputs",
             {rnd(C, P, 32), rnd(C, P, 33), rnd(C, P, 34)},
             {zeros(C, P)},
             false,
             [=](Backend& be, const std::vector<float*>& p, bool) {
               const float* xs[3] = {p[0], p[1], p[2]};
               be.add_forward(count(be, C, P), xs, 3, p[3]);
             }};
  add.host = [](const std::vector<HostTensor>& in) {
    std::vector<float> y(in[0].v.size());
    for (size_t i = 0; i < y.size(); ++i) y[i] = (in[0].v[i] + in[1].v[i]) + in[2].v[i];
    return std::vector<std::vector<float>>{y};
  };
  v.push_back(add);
  OpCase copy{"copy_or_accumulate",
              "",
              {rnd(C, P, 35)},
              {rnd(C, P, 36)},
              true,
              [=](Backend& be, const std::vector<float*>& p, bool acc) {
                be.copy_or_accumulate(count(be, C, P), p[0], p[1], acc);
              }};
  copy.host = [](const std::vector<HostTensor>& in) { return std::vector<std::vector<float>>{in[0].v}; };
  v.push_back(copy);
  // Channels 1..3 of a 5-channel tensor into channels 2..4 of a 7-channel one (the rest stays).
  const HostTensor dst0 = rnd(7, P, 38);
  OpCase ch{"copy_channels",
            "3 of 5 channels to offset 2 of 7",
            {rnd(5, P, 37)},
            {dst0},
            true,
            [=](Backend& be, const std::vector<float*>& p, bool acc) {
              be.copy_channels(B, P, 3, p[0], 5, 1, p[1], 7, 2, acc);
            }};
  ch.host = [=](const std::vector<HostTensor>& in) {
    std::vector<float> y = dst0.v;
    for (int b = 0; b < B; ++b)
      for (int c = 0; c < 3; ++c)
        for (int i = 0; i < P; ++i) y[(size_t(b) * 7 + 2 + c) * P + i] = in[0].v[(size_t(b) * 5 + 1 + c) * P + i];
    return std::vector<std::vector<float>>{y};
  };
  v.push_back(ch);
}

// A forward op y(x) and its backward op; `bwd` gets p = {dy, x, dx, scratch...}.
void pair(std::vector<OpCase>& v, const std::string& f, const std::string& b, const std::string& what, int cin, int pin,
          int cout, int pout, bool fwd_acc, const Call& fwd, const Call& bwd, std::vector<HostTensor> scratch = {}) {
  v.push_back({f, what, {rnd(cin, pin, 41)}, {rnd(cout, pout, 42)}, fwd_acc, fwd});
  std::vector<HostTensor> outs = {rnd(cin, pin, 43)};
  outs.insert(outs.end(), scratch.begin(), scratch.end());
  OpCase c{b, what, {rnd(cout, pout, 44), rnd(cin, pin, 41)}, outs, true, bwd};
  c.forward_op = f;
  c.fwd_outs = {zeros(cout, pout)};
  c.forward = fwd;
  v.push_back(c);
}

void pool_and_linear_cases(std::vector<OpCase>& v) {
  const int C = 3;
  pair(
      v, "relu_forward", "relu_backward", "", C, 10, C, 10, false,
      [=](Backend& be, const std::vector<float*>& p, bool) { be.relu_forward(count(be, C, 10), p[0], p[1]); },
      [=](Backend& be, const std::vector<float*>& p, bool acc) {
        be.relu_forward(count(be, C, 10), p[1], p[3]);  // y, whose mask the backward pass reads
        be.relu_backward(count(be, C, 10), p[0], p[3], p[2], acc);
      },
      {zeros(C, 10)});
  v.back().fd_step = 1e-4f;  // y = x or 0 exactly: small steps cross no kink
  const int H = 5, W = 6;
  pair(
      v, "avgpool3x3_forward", "avgpool3x3_backward", "5x6", C, H * W, C, H * W, true,
      [=](Backend& be, const std::vector<float*>& p, bool acc) { be.avgpool3x3_forward(C, H, W, B, p[0], p[1], acc); },
      [=](Backend& be, const std::vector<float*>& p, bool acc) {
        be.avgpool3x3_backward(C, H, W, B, p[0], p[2], acc);
      });
  pair(
      v, "avgpool2x2_forward", "avgpool2x2_backward", "6x4", C, 24, C, 6, false,
      [=](Backend& be, const std::vector<float*>& p, bool) { be.avgpool2x2_forward(C, 6, 4, B, p[0], p[1]); },
      [=](Backend& be, const std::vector<float*>& p, bool acc) {
        be.avgpool2x2_backward(C, 6, 4, B, p[0], p[2], acc);
      });
  pair(
      v, "global_avgpool_forward", "global_avgpool_backward", "5x6", C, H * W, C, 1, false,
      [=](Backend& be, const std::vector<float*>& p, bool) { be.global_avgpool_forward(C, H * W, B, p[0], p[1]); },
      [=](Backend& be, const std::vector<float*>& p, bool acc) {
        be.global_avgpool_backward(C, H * W, B, p[0], p[2], acc);
      });
  struct M {
    int k, stride, pad;
  };
  for (const M m : {M{3, 1, 1}, M{2, 2, 0}, M{3, 2, 1}}) {
    const int ho = (H + 2 * m.pad - m.k) / m.stride + 1, wo = (W + 2 * m.pad - m.k) / m.stride + 1;
    pair(
        v, "maxpool_forward", "maxpool_backward",
        "k" + std::to_string(m.k) + " s" + std::to_string(m.stride) + " p" + std::to_string(m.pad), C, H * W, C,
        ho * wo, false,
        [=](Backend& be, const std::vector<float*>& p, bool) {
          be.maxpool_forward(C, H, W, B, m.k, m.stride, m.pad, p[0], p[1]);
        },
        [=](Backend& be, const std::vector<float*>& p, bool acc) {
          be.maxpool_backward(C, H, W, B, m.k, m.stride, m.pad, p[1], p[0], p[2], acc);
        });
    v.back().fd_step = 1e-4f;  // y is some x exactly: small steps change no window's winner
  }
  // Linear: weights and bias are inputs after x.
  const int In = 6, Out = 4;
  const HostTensor w = raw_rnd(size_t(Out) * In, 51), bias = raw_rnd(Out, 52);
  const auto fwd = [=](Backend& be, const std::vector<float*>& p, bool) {
    be.linear_forward(B, In, Out, p[0], p[1], p[2], p[3]);
  };
  v.push_back({"linear_forward", "6 -> 4", {rnd(In, 1, 53), w, bias}, {zeros(Out, 1)}, false, fwd, 1e-5});
  OpCase b{"linear_backward_data",
           "6 -> 4",
           {rnd(Out, 1, 54), rnd(In, 1, 53), w, bias},
           {rnd(In, 1, 55)},
           true,
           [=](Backend& be, const std::vector<float*>& p, bool acc) {
             be.linear_backward_data(B, In, Out, p[0], p[2], p[4], acc);
           }};
  b.forward_op = "linear_forward";
  b.fwd_outs = {zeros(Out, 1)};
  b.forward = fwd;
  v.push_back(b);
  // fisher_terms: sum over channels of 0.5 * mean over samples of (sum over pixels of act * grad)^2.
  {
    const int C = 3, P = 7;
    OpCase f{
        "fisher_terms",
        "3 channels of 7 pixels",
        {rnd(C, P, 61), rnd(C, P, 62)},
        {raw_rnd(1, 63)},
        true,
        [=](Backend& be, const std::vector<float*>& p, bool acc) { be.fisher_terms(C, P, B, p[0], p[1], p[2], acc); },
        1e-5};
    f.host = [=](const std::vector<HostTensor>& in) {
      double total = 0;
      for (int c = 0; c < C; ++c)
        for (int b = 0; b < B; ++b) {
          double dot = 0;
          for (int i = 0; i < P; ++i) {
            const size_t at = (size_t(b) * C + c) * P + size_t(i);
            dot += double(in[0].v[at]) * in[1].v[at];
          }
          total += 0.5 * dot * dot / B;
        }
      return std::vector<std::vector<float>>{{float(total)}};
    };
    v.push_back(f);
  }
  for (const int wrt : {1, 2}) {  // dw, then dbias
    OpCase g{"linear_backward_weight",
             wrt == 1 ? "6 -> 4, dw" : "6 -> 4, dbias",
             {rnd(Out, 1, 56), rnd(In, 1, 53), w, bias},
             {raw_rnd(w.v.size(), 57), raw_rnd(Out, 58)},
             true,
             [=](Backend& be, const std::vector<float*>& p, bool acc) {
               be.linear_backward_weight(B, In, Out, p[1], p[0], p[4], p[5], acc);
             }};
    g.forward_op = "linear_forward";
    g.fwd_outs = {zeros(Out, 1)};
    g.forward = fwd;
    g.fd_wrt = wrt;
    g.fd_out = wrt - 1;
    v.push_back(g);
  }
}

// The parameters' draws: one tensor of each kind, odd sizes (a normal tensor's last pair half used),
// a gap that no row writes; the definition is init.cpp's scalar formulas, element by element.
OpCase draw_case(const char* what, const std::vector<WeightDraw>& table, size_t n) {
  OpCase d{"draw_weights", what, {}, {raw_rnd(n, 91)}, false, [=](Backend& be, const std::vector<float*>& p, bool) {
             be.draw_weights(table.data(), int(table.size()), p[0]);
           }};
  d.gpu_tol = 0;  // the same bits on every backend
  d.host = [=](const std::vector<HostTensor>&) {
    std::vector<float> w = d.outs[0].v;
    for (const WeightDraw& t : table)
      for (size_t i = 0; i < t.size; ++i)
        w[t.offset + i] = t.kind == WeightDraw::Fill      ? t.value
                          : t.kind == WeightDraw::Uniform ? float(double(2.f * t.value * uniform01(t.key, i)) - t.value)
                                                          : float(t.sd * standard_normal(t.key, i));
    return std::vector<std::vector<float>>{w};
  };
  return d;
}

void draw_cases(std::vector<OpCase>& v) {
  // Element 19 and 20: a gap that no row writes.
  v.push_back(draw_case("fill, uniform, normal (odd and even sizes)",
                        {{WeightDraw::Fill, 0, 0, 3, 0.5f, 0.0},
                         {WeightDraw::Uniform, stream_key(1, 2, 3), 3, 7, 0.3f, 0.0},
                         {WeightDraw::Normal, stream_key(1, 2, 4), 10, 9, 0.f, 0.05},
                         {WeightDraw::Normal, stream_key(1, 2, 5), 21, 64, 0.f, 1.0}},
                        85));
  // More tensors than one CUDA launch carries (a network has a few hundred): every kind, sizes 1 to 7.
  std::vector<WeightDraw> many;
  uint64_t offset = 0;
  for (int t = 0; t < 230; ++t) {
    const uint64_t size = uint64_t(1 + t % 7);
    const auto kind = WeightDraw::Kind(t % 3);
    many.push_back({kind, stream_key(7, uint64_t(t), 1), offset, size, kind == WeightDraw::Fill ? 0.25f * t : 0.1f,
                    0.02 * (1 + t % 5)});
    offset += size;
  }
  v.push_back(draw_case("230 tensors of every kind", many, size_t(offset) + 1));
}

// The Hamming score's codes: relu_codes at a word boundary's either side (with the ReLU's edges: exact
// zeros, -0 and NaN are off), hamming_pairs writing and adding (its definition: K's int64 bits, exact)
// on codes with every bit pattern.
std::vector<float> words_as_floats(const std::vector<uint64_t>& w) {
  std::vector<float> f(2 * w.size());
  std::memcpy(f.data(), w.data(), w.size() * sizeof(uint64_t));
  return f;
}
std::vector<uint64_t> floats_as_words(const std::vector<float>& f) {
  std::vector<uint64_t> w(f.size() / 2);
  std::memcpy(w.data(), f.data(), w.size() * sizeof(uint64_t));
  return w;
}
void hamming_cases(std::vector<OpCase>& v) {
  for (const int D : {64, 130}) {
    const size_t words = size_t(D + 63) / 64;
    HostTensor y = rnd(D, 1, 81);
    for (size_t i = 0; i < y.v.size(); i += 5) y.v[i] = i % 3 == 0 ? 0.f : i % 3 == 1 ? -0.f : std::nanf("");
    OpCase c{"relu_codes",
             std::to_string(D) + " units",
             {y},
             {raw_rnd(2 * words * B, 82)},  // overwritten, padding bits included
             false,
             [=](Backend& be, const std::vector<float*>& p, bool) {
               be.relu_codes(size_t(D), B, p[0], reinterpret_cast<uint64_t*>(p[1]));
             }};
    c.exact = true;
    c.host = [=](const std::vector<HostTensor>& in) {
      std::vector<uint64_t> codes(words * B, 0);
      for (int b = 0; b < B; ++b)
        for (int e = 0; e < D; ++e)
          if (in[0].v[size_t(b) * D + size_t(e)] > 0.f)
            codes[size_t(e / 64) * B + size_t(b)] |= uint64_t(1) << (e % 64);
      return std::vector<std::vector<float>>{words_as_floats(codes)};
    };
    v.push_back(c);
  }
  for (const bool add : {false, true}) {
    const int Bk = 5;
    const size_t words = 3;
    const int64_t D = 150, weight = 3;  // units: any count; the codes' bits past them are set too
    std::vector<uint64_t> codes(words * Bk), k0(size_t(Bk) * Bk);
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (uint64_t& c : codes) c = x = x * 6364136223846793005u + 1442695040888963407u;
    for (size_t i = 0; i < k0.size(); ++i) k0[i] = uint64_t(0x3f8000003f800000) + 977 * i;  // normal floats
    OpCase c{"hamming_pairs",
             add ? "adding" : "writing",
             {raw(words_as_floats(codes))},
             {raw(words_as_floats(k0))},
             false,
             [=](Backend& be, const std::vector<float*>& p, bool) {
               be.hamming_pairs(Bk, words, reinterpret_cast<const uint64_t*>(p[0]), D, weight,
                                reinterpret_cast<int64_t*>(p[1]), add);
             }};
    c.exact = true;
    c.host = [=](const std::vector<HostTensor>& in) {
      const std::vector<uint64_t> cw = floats_as_words(in[0].v);
      std::vector<uint64_t> K(k0.size());
      for (int a = 0; a < Bk; ++a)
        for (int b = 0; b < Bk; ++b) {
          int64_t differ = 0;
          for (size_t w = 0; w < words; ++w)
            for (int bit = 0; bit < 64; ++bit)
              differ += ((cw[w * Bk + size_t(a)] >> bit) & 1) != ((cw[w * Bk + size_t(b)] >> bit) & 1);
          const size_t at = size_t(a) * Bk + size_t(b);
          K[at] = (add ? k0[at] : 0) + uint64_t(weight * (D - differ));
        }
      return std::vector<std::vector<float>>{words_as_floats(K)};
    };
    v.push_back(c);
  }
}

}  // namespace

const std::vector<OpCase>& op_cases() {
  static const std::vector<OpCase> cases = [] {
    std::vector<OpCase> v;
    copy_cases(v);
    conv_cases(v);
    batchnorm_cases(v);
    pool_and_linear_cases(v);
    tangent_cases(v);
    draw_cases(v);
    hamming_cases(v);
    return v;
  }();
  return cases;
}

}  // namespace naswot::op_test
