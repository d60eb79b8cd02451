// Every CUDA backend op against the CPU backend on random inputs (outputs and accumulate mode).
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/cuda/cuda_kernels.h"
#include "tests/op_cases.h"
#include "tests/op_harness.h"
#include "tests/test_util.h"
#ifdef NASWOT_EMULATED_CUDA
#include "tests/simt_schedule.h"
#endif

using namespace naswot;
using namespace naswot::op_test;
using naswot::test::random_vec;

namespace {

struct Backends {
  std::unique_ptr<Backend> cpu = make_cpu_backend(0), gpu = make_backend("cuda", BackendOptions{});
};
Backends& backends() {
  static Backends b;
  return b;
}

// Runs op on both backends and checks every output within tol (relative to the output's scale).
void same(const char* what, const std::vector<HostTensor>& ins, const std::vector<HostTensor>& outs,
          const std::function<void(Backend&, const std::vector<float*>&)>& op, double tol = 1e-5) {
  auto& b = backends();
  const auto rc = run(*b.cpu, ins, outs, [&](const std::vector<float*>& p) { op(*b.cpu, p); });
  const auto rg = run(*b.gpu, ins, outs, [&](const std::vector<float*>& p) { op(*b.gpu, p); });
  for (size_t i = 0; i < rc.size(); ++i) {
    CAPTURE(what);
    CAPTURE(i);
    CHECK(rel_diff(rg[i], rc[i]) <= tol);
  }
}

HostTensor rnd(int B, size_t ps, uint32_t seed, int P = 1) { return act(random_vec(size_t(B) * ps, seed), B, P); }

// naswot's direct and gather kernels and cuDNN's calls: every path of the fused convolution ops.
std::vector<std::unique_ptr<Backend>> conv_kernel_backends() {
  std::vector<std::unique_ptr<Backend>> bes;
  for (const ConvKernels k : {ConvKernels::Naswot, ConvKernels::NaswotGather, ConvKernels::Cudnn}) {
    BackendOptions o;
    o.conv = k;
    bes.push_back(make_backend("cuda", o));
  }
  return bes;
}
// Direct-kernel shapes (stride 1 and 2, 1x1 and 3x3), a gather-only one, and one only cuDNN takes.
const std::vector<ConvDims>& fusion_shapes() {
  static const std::vector<ConvDims> v = {
      ConvDims{4, 16, 32, 32, 16, 3, 1, 1, 32, 32}, ConvDims{4, 32, 16, 16, 32, 1, 1, 0, 16, 16},
      ConvDims{4, 16, 32, 32, 32, 3, 2, 1, 16, 16}, ConvDims{3, 5, 7, 9, 70, 3, 1, 1, 7, 9},
      ConvDims{2, 4, 9, 9, 6, 5, 2, 2, 5, 5}};
  return v;
}

}  // namespace

TEST_CASE("cuda: fill, relu, add, copy, copy_channels") {
  const int B = 5;
  const size_t ps = 3 * 7 * 9;
  // Element-wise counts cover the backend's padding lanes (the CPU pads the batch to whole lane blocks).
  auto n = [&](Backend& be) { return be.padded_batch(B) * ps; };
  same(
      "fill", {}, {rnd(B, ps, 1)}, [&](Backend& be, auto& p) { be.fill(n(be), 0.75f, p[0]); }, 0);
  same(
      "relu_forward", {rnd(B, ps, 2)}, {rnd(B, ps, 3)},
      [&](Backend& be, auto& p) { be.relu_forward(n(be), p[0], p[1]); }, 0);
  for (bool acc : {false, true})
    same("relu_backward", {rnd(B, ps, 4), rnd(B, ps, 5)}, {rnd(B, ps, 6)},
         [&](Backend& be, auto& p) { be.relu_backward(n(be), p[0], p[1], p[2], acc); });
  same("add3", {rnd(B, ps, 7), rnd(B, ps, 8), rnd(B, ps, 9)}, {rnd(B, ps, 10)}, [&](Backend& be, auto& p) {
    const float* xs[3] = {p[0], p[1], p[2]};
    be.add_forward(n(be), xs, 3, p[3]);
  });
  same("add_in_place", {rnd(B, ps, 15), rnd(B, ps, 16)}, {rnd(B, ps, 17)}, [&](Backend& be, auto& p) {
    const float* xs[3] = {p[2], p[0], p[1]};  // y = y + x0 + x1 (a fused add's remaining inputs)
    be.add_forward(n(be), xs, 3, p[2]);
  });
  for (bool acc : {false, true})
    same("copy_or_accumulate", {rnd(B, ps, 11)}, {rnd(B, ps, 12)},
         [&](Backend& be, auto& p) { be.copy_or_accumulate(n(be), p[0], p[1], acc); });
  // Channels 2..4 of a 6-channel 4x4 tensor into channels 1..3 of a 5-channel one.
  for (bool acc : {false, true})
    same("copy_channels", {rnd(B, 6 * 16, 13, 16)}, {rnd(B, 5 * 16, 14, 16)},
         [&](Backend& be, auto& p) { be.copy_channels(B, 16, 3, p[0], 6, 2, p[1], 5, 1, acc); });
}

TEST_CASE("cuda: convolution forward and backward-data") {
  for (ConvDims d : {ConvDims{4, 3, 8, 8, 5, 3, 1, 1, 8, 8}, ConvDims{3, 6, 8, 8, 4, 1, 1, 0, 8, 8},
                     ConvDims{2, 4, 9, 9, 6, 3, 2, 1, 5, 5}, ConvDims{5, 16, 8, 8, 16, 3, 1, 1, 8, 8},
                     ConvDims{2, 32, 16, 16, 64, 1, 2, 0, 8, 8}}) {
    CAPTURE(d.Cin);
    CAPTURE(d.k);
    CAPTURE(d.stride);
    const size_t xs = size_t(d.Cin) * d.H * d.W, ys = size_t(d.Cout) * d.Ho * d.Wo;
    const HostTensor w = raw(random_vec(size_t(d.Cout) * d.Cin * d.k * d.k, 21));
    const int Pi = d.H * d.W, Po = d.Ho * d.Wo;
    same("conv2d_forward", {rnd(d.B, xs, 22, Pi), w}, {rnd(d.B, ys, 23, Po)},
         [&](Backend& be, auto& p) { be.conv2d_forward(d, p[0], p[1], p[2]); });
    for (bool acc : {false, true})
      same("conv2d_backward_data", {rnd(d.B, ys, 24, Po), w}, {rnd(d.B, xs, 25, Pi)},
           [&](Backend& be, auto& p) { be.conv2d_backward_data(d, p[0], p[1], p[2], acc); });
  }
}

namespace {

// Forward and backward-data (writing and accumulating) of shape d on `be` against cuDNN's legacy calls
// on the same inputs, within a relative 1e-5; returns the forward's output.
std::vector<float> conv_against_legacy(Backend& be, const ConvDims& d, uint32_t seed) {
  CAPTURE(d.Cin);
  CAPTURE(d.Cout);
  CAPTURE(d.k);
  CAPTURE(d.stride);
  CAPTURE(d.H);
  Backend& legacy = *backends().gpu;
  const size_t xs = size_t(d.Cin) * d.H * d.W, ys = size_t(d.Cout) * d.Ho * d.Wo;
  const HostTensor w = raw(random_vec(size_t(d.Cout) * d.Cin * d.k * d.k, seed));
  const int Pi = d.H * d.W, Po = d.Ho * d.Wo;
  const auto fwd = [&](Backend& on) {
    return run(on, {rnd(d.B, xs, seed + 1, Pi), w}, {rnd(d.B, ys, seed + 2, Po)},
               [&](auto& p) { on.conv2d_forward(d, p[0], p[1], p[2]); })[0];
  };
  const std::vector<float> out = fwd(be);
  CHECK(rel_diff(out, fwd(legacy)) <= 1e-5);
  for (bool acc : {false, true}) {
    CAPTURE(acc);
    const auto bwd = [&](Backend& on) {
      return run(on, {rnd(d.B, ys, seed + 3, Po), w}, {rnd(d.B, xs, seed + 4, Pi)},
                 [&](auto& p) { on.conv2d_backward_data(d, p[0], p[1], p[2], acc); })[0];
    };
    CHECK(rel_diff(bwd(be), bwd(legacy)) <= 1e-5);
  }
  return out;
}

}  // namespace

TEST_CASE("cuda: cuDNN graph-API convolutions = the legacy calls; tightly packed (unaligned) tensors too") {
  BackendOptions o;
  o.conv = ConvKernels::CudnnGraph;
  auto graph = make_backend("cuda", o);
  CHECK(graph->device().find("graph-API") != std::string::npos);
  // The spaces' shapes at batch 8 (stem, cells, stride-2 reductions, 1x1 projections) and odd sizes,
  // whose tensors the harness packs without padding: their pointers are only 4-byte aligned.
  for (ConvDims d : {ConvDims{8, 16, 32, 32, 16, 3, 1, 1, 32, 32}, ConvDims{8, 3, 32, 32, 16, 3, 1, 1, 32, 32},
                     ConvDims{8, 16, 32, 32, 32, 3, 2, 1, 16, 16}, ConvDims{8, 32, 16, 16, 32, 1, 1, 0, 16, 16},
                     ConvDims{2, 32, 16, 16, 64, 1, 2, 0, 8, 8}, ConvDims{3, 5, 7, 9, 70, 3, 1, 1, 7, 9},
                     ConvDims{2, 7, 5, 6, 3, 3, 1, 0, 3, 4}}) {
    const std::vector<float> first = conv_against_legacy(*graph, d, 51);
    // Deterministic engines only: the same call again gives the same bits.
    CHECK(conv_against_legacy(*graph, d, 51) == first);
  }
}

TEST_CASE("cuda: naswot's batched convolutions against cuDNN; a launch of several calls = the calls alone") {
  BackendOptions o;
  o.conv = ConvKernels::Naswot;
  auto own = make_backend("cuda", o);
  // The spaces' shapes (NB201 cells at batch 8, the stem, the reduction blocks' stride-2 convolutions,
  // NB101 projections) and odd ones.
  for (ConvDims d : {ConvDims{8, 16, 32, 32, 16, 3, 1, 1, 32, 32}, ConvDims{8, 32, 16, 16, 32, 1, 1, 0, 16, 16},
                     ConvDims{8, 64, 8, 8, 64, 3, 1, 1, 8, 8}, ConvDims{8, 3, 32, 32, 16, 3, 1, 1, 32, 32},
                     ConvDims{8, 16, 32, 32, 32, 3, 2, 1, 16, 16}, ConvDims{8, 32, 16, 16, 64, 3, 2, 1, 8, 8},
                     ConvDims{3, 5, 7, 9, 70, 3, 1, 1, 7, 9}, ConvDims{2, 7, 5, 6, 3, 3, 1, 0, 3, 4},
                     ConvDims{4, 128, 4, 4, 40, 1, 1, 0, 4, 4}}) {
    REQUIRE(cuda::conv2d_supported(d));  // naswot's kernels, not the cuDNN fallback
    conv_against_legacy(*own, d, 31);
    const size_t xs = size_t(d.Cin) * d.H * d.W, ys = size_t(d.Cout) * d.Ho * d.Wo;
    const HostTensor w = raw(random_vec(size_t(d.Cout) * d.Cin * d.k * d.k, 31));
    const int Pi = d.H * d.W, Po = d.Ho * d.Wo;
    const auto fwd = [&](Backend& be, auto& p) { be.conv2d_forward(d, p[0], p[1], p[2]); };
    // Three calls in one launch (different tensors, one weight) = each call alone, bit for bit.
    const auto many = run(*own, {rnd(d.B, xs, 41, Pi), rnd(d.B, xs, 42, Pi), rnd(d.B, xs, 43, Pi), w},
                          {rnd(d.B, ys, 0, Po), rnd(d.B, ys, 0, Po), rnd(d.B, ys, 0, Po)}, [&](auto& p) {
                            const op_args::conv2d_forward calls[3] = {
                                {d, p[0], p[3], p[4]}, {d, p[1], p[3], p[5]}, {d, p[2], p[3], p[6]}};
                            own->conv2d_forward_many(calls, 3);
                          });
    for (int i = 0; i < 3; ++i) {
      const auto alone =
          run(*own, {rnd(d.B, xs, uint32_t(41 + i), Pi), w}, {rnd(d.B, ys, 0, Po)}, [&](auto& p) { fwd(*own, p); });
      CHECK(many[size_t(i)] == alone[0]);
    }
  }
}

TEST_CASE("cuda: a ReLU fused into a convolution gives the ReLU's, then the convolution's bits, on every kernel") {
  // naswot's kernels apply the ReLU on load and the mask on store; cuDNN's path runs them beside.
  const auto bes = conv_kernel_backends();
  for (const ConvDims& d : fusion_shapes()) {
    CAPTURE(d.k);
    CAPTURE(d.stride);
    CAPTURE(d.Cout);
    auto x = random_vec(size_t(d.B) * d.Cin * d.H * d.W, 51);
    for (size_t i = 0; i < x.size(); i += 7) x[i] = (i / 7) % 2 ? 0.f : -0.f;  // the ReLU's edge
    const auto w = random_vec(size_t(d.Cout) * d.Cin * d.k * d.k, 52);
    const auto dy = random_vec(size_t(d.B) * d.Cout * d.Ho * d.Wo, 53);
    const auto dx = random_vec(x.size(), 54);
    for (auto& be : bes) check_relu_conv_fusion(*be, d, x, w, dy, dx);
    // And against the CPU's ops.
    same(
        "conv2d_relu_forward", {act(x, d.B, d.H * d.W), raw(w)}, {act(std::vector<float>(dy.size()), d.B, d.Ho * d.Wo)},
        [&](Backend& be, auto& p) { be.conv2d_relu_forward(d, p[0], p[1], p[2]); }, 1e-4);
    same(
        "conv2d_relu_backward_data", {act(dy, d.B, d.Ho * d.Wo), raw(w), act(x, d.B, d.H * d.W)},
        {act(dx, d.B, d.H * d.W)},
        [&](Backend& be, auto& p) { be.conv2d_relu_backward_data(d, p[0], p[1], p[2], p[3], true); }, 1e-4);
  }
}

TEST_CASE(
    "cuda: a batch norm read through by a convolution's backward gives the batch norm's, then the "
    "convolution's bits, on every kernel; several calls at once = each alone") {
  // naswot's kernels compute the batch norm's gradient as they stage dy (direct) or gather it; cuDNN's
  // path runs batchnorm_backward into a scratch tensor first.
  const auto bes = conv_kernel_backends();
  // (Stride 2: dy is staged with zeros between its pixels, which stay zeros.)
  for (const ConvDims& d : fusion_shapes()) {
    CAPTURE(d.k);
    CAPTURE(d.stride);
    CAPTURE(d.Cout);
    auto x = random_vec(size_t(d.B) * d.Cin * d.H * d.W, 61);
    for (size_t i = 0; i < x.size(); i += 7) x[i] = (i / 7) % 2 ? 0.f : -0.f;  // the mask's edge
    const auto w = random_vec(size_t(d.Cout) * d.Cin * d.k * d.k, 62);
    const auto y = random_vec(size_t(d.B) * d.Cout * d.Ho * d.Wo, 63, -1.f, 2.f);
    const auto dy = random_vec(y.size(), 64);
    const auto dx = random_vec(x.size(), 65);
    for (auto& be : bes) check_bn_conv_fusion(*be, d, x, w, y, dy, dx);
  }
  // 18 calls (two launch groups, the batch norm's scratch reused by the second) = each alone.
  const ConvDims d{2, 16, 8, 8, 16, 3, 1, 1, 8, 8};
  const size_t xs = size_t(d.B) * d.Cin * d.H * d.W, ys = size_t(d.B) * d.Cout * d.Ho * d.Wo;
  const int C = d.Cout, Po = d.Ho * d.Wo, P = d.H * d.W, n = 18;
  std::vector<HostTensor> ins = {raw(random_vec(size_t(C) * d.Cin * 9, 66)), raw(random_vec(size_t(C), 67, 0.5f, 1.5f)),
                                 raw(random_vec(size_t(C), 68))};
  std::vector<HostTensor> outs;
  for (int i = 0; i < n; ++i) {
    ins.push_back(act(random_vec(ys, uint32_t(100 + i)), d.B, Po));  // y
    ins.push_back(act(random_vec(ys, uint32_t(200 + i)), d.B, Po));  // dy
    ins.push_back(act(random_vec(xs, uint32_t(300 + i)), d.B, P));   // x
    for (const size_t z : {xs, ys})                                  // dx, bn output
      outs.push_back(act(std::vector<float>(z), d.B, z == xs ? P : Po));
    outs.push_back(raw(std::vector<float>(size_t(2 * C))));  // mean, rstd
  }
  Backend& own = *bes[0];
  const auto issue = [&](const std::vector<float*>& p, int first, int count) {
    std::vector<op_args::conv2d_bn_backward_data> calls;
    const size_t o = 3 + 3 * size_t(n);
    for (int i = first; i < first + count; ++i) {
      float *yv = p[3 + 3 * size_t(i)], *dyv = p[4 + 3 * size_t(i)], *xv = p[5 + 3 * size_t(i)];
      float *dxv = p[o + 3 * size_t(i)], *bo = p[o + 3 * size_t(i) + 1], *st = p[o + 3 * size_t(i) + 2];
      own.batchnorm_forward(C, Po, d.B, yv, p[1], p[2], 1e-5f, bo, st, st + C, BnStore::ReLU);
      calls.emplace_back(d, BnGrad{dyv, yv, p[1], st, st + C, bo}, p[0], i % 2 ? xv : nullptr, dxv, i % 3 == 0);
    }
    own.conv2d_bn_backward_data_many(calls.data(), int(calls.size()));
  };
  const auto together = run(own, ins, outs, [&](const std::vector<float*>& p) { issue(p, 0, n); });
  const auto alone = run(own, ins, outs, [&](const std::vector<float*>& p) {
    for (int i = 0; i < n; ++i) issue(p, i, 1);
  });
  for (int i = 0; i < n; ++i) {
    CAPTURE(i);
    CHECK(together[3 * size_t(i)] == alone[3 * size_t(i)]);
  }
}

TEST_CASE(
    "cuda: a batch norm's statistics summed by the convolution = the convolution's, then the batch norm's "
    "bits, on every kernel, and the CPU's within rounding; several calls at once = each alone") {
  // naswot's direct kernel sums them as it stores (in the tile order the batch norm's own statistics
  // pass follows for 64-, 256- and 1024-pixel planes); the gather kernel and cuDNN's path run that pass.
  const auto bes = conv_kernel_backends();
  auto cpu = make_cpu_backend(0);
  // Direct-kernel shapes (32, 16 and 8 wide; stride 2; 80 channels: two channel tiles; 3 samples: a
  // partial last block of rows), a gather-only one and one only cuDNN takes (statistics over sample groups).
  for (ConvDims d : {ConvDims{4, 16, 32, 32, 16, 3, 1, 1, 32, 32}, ConvDims{4, 32, 16, 16, 32, 1, 1, 0, 16, 16},
                     ConvDims{4, 16, 32, 32, 32, 3, 2, 1, 16, 16}, ConvDims{3, 16, 8, 8, 80, 3, 1, 1, 8, 8},
                     ConvDims{3, 5, 7, 9, 70, 3, 1, 1, 7, 9}, ConvDims{2, 4, 9, 9, 6, 5, 2, 2, 5, 5}}) {
    CAPTURE(d.Wo);
    CAPTURE(d.stride);
    CAPTURE(d.Cout);
    const int C = d.Cout, P = d.H * d.W, Po = d.Ho * d.Wo;
    const std::vector<HostTensor> ins = {act(random_vec(size_t(d.B) * d.Cin * P, 71, -1.f, 2.f), d.B, P),
                                         raw(random_vec(size_t(C) * d.Cin * d.k * d.k, 72)),
                                         raw(random_vec(size_t(C), 73, 0.5f, 1.5f)), raw(random_vec(size_t(C), 74))};
    const HostTensor y0 = act(std::vector<float>(size_t(d.B) * C * Po), d.B, Po),
                     s0 = raw(std::vector<float>(size_t(C)));
    // p = {x, w, gamma, beta, y, mean, rstd, output}
    for (const bool relu : {false, true}) {
      CAPTURE(relu);
      const auto fused_on = [&](Backend& be) {
        return run(be, ins, {y0, s0, s0, y0}, [&](const std::vector<float*>& p) {
          if (relu)
            be.conv2d_relu_forward_bn_stats(d, p[0], p[1], p[4], 1e-5f, p[5], p[6]);
          else
            be.conv2d_forward_bn_stats(d, p[0], p[1], p[4], 1e-5f, p[5], p[6]);
          be.batchnorm_apply(C, Po, d.B, p[4], p[2], p[3], p[5], p[6], p[7], BnStore::ReLU);
        });
      };
      const auto on_cpu = fused_on(*cpu);
      for (auto& be : bes) {
        const auto fused = fused_on(*be);
        const auto plain = run(*be, ins, {y0, s0, s0, y0}, [&](const std::vector<float*>& p) {
          if (relu)
            be->conv2d_relu_forward(d, p[0], p[1], p[4]);
          else
            be->conv2d_forward(d, p[0], p[1], p[4]);
          be->batchnorm_forward(C, Po, d.B, p[4], p[2], p[3], 1e-5f, p[7], p[5], p[6], BnStore::ReLU);
        });
        for (size_t i = 0; i < 4; ++i) {
          CAPTURE(i);
          CHECK(fused[i] == plain[i]);
          CHECK(rel_diff(fused[i], on_cpu[i]) <= 1e-4);
        }
      }
    }
  }
  // 18 calls (two launch groups, the statistics' scratch reused by the second) = each alone.
  const ConvDims d{2, 8, 16, 16, 16, 3, 1, 1, 16, 16};
  const int C = d.Cout, P = d.H * d.W, n = 18;
  std::vector<HostTensor> ins = {raw(random_vec(size_t(C) * d.Cin * 9, 75))};
  std::vector<HostTensor> outs;
  for (int i = 0; i < n; ++i) {
    ins.push_back(act(random_vec(size_t(d.B) * d.Cin * P, uint32_t(400 + i)), d.B, P));
    outs.push_back(act(std::vector<float>(size_t(d.B) * C * P), d.B, P));
    outs.push_back(raw(std::vector<float>(size_t(2 * C))));
  }
  Backend& own = *bes[0];
  const auto issue = [&](const std::vector<float*>& p, int first, int count) {
    std::vector<op_args::conv2d_forward_bn_stats> calls;
    for (int i = first; i < first + count; ++i) {
      float* st = p[1 + size_t(n) + 2 * size_t(i) + 1];
      calls.emplace_back(d, p[1 + size_t(i)], p[0], p[1 + size_t(n) + 2 * size_t(i)], 1e-5f, st, st + C);
    }
    own.conv2d_forward_bn_stats_many(calls.data(), int(calls.size()));
  };
  const auto together = run(own, ins, outs, [&](const std::vector<float*>& p) { issue(p, 0, n); });
  const auto alone = run(own, ins, outs, [&](const std::vector<float*>& p) {
    for (int i = 0; i < n; ++i) issue(p, i, 1);
  });
  CHECK(together == alone);
}

TEST_CASE("cuda: batch norm forward (with statistics) and backward") {
  // Statistics over sample groups (16 and 1 pixels) and in tile order (64 pixels; 256 with 20 channels:
  // a channel tile 12 channels short; 1024 with 3 samples).
  for (auto [C, HW, B] : {std::tuple{3, 16, 4}, std::tuple{16, 64, 32}, std::tuple{64, 1, 7}, std::tuple{20, 256, 5},
                          std::tuple{8, 1024, 3}}) {
    CAPTURE(C);
    const size_t ps = size_t(C) * HW;
    auto x = random_vec(size_t(B) * ps, 31, -2.f, 3.f);
    const HostTensor gamma = raw(random_vec(size_t(C), 32, 0.5f, 1.5f)), beta = raw(random_vec(size_t(C), 33));
    for (BnStore store : {BnStore::Write, BnStore::Accumulate, BnStore::ReLU})  // plain, fused add, fused ReLU
      same("batchnorm_forward", {act(x, B, HW), gamma, beta},
           {rnd(B, ps, 34, HW), raw(std::vector<float>(2 * size_t(C)))}, [&](Backend& be, auto& p) {
             be.batchnorm_forward(C, HW, B, p[0], p[1], p[2], 1e-5f, p[3], p[4], p[4] + C, store);
           });
    // Backward with the statistics the CPU computes.
    const auto xb = test::blocked(x, B, C, HW);
    std::vector<float> y(xb.size()), mean(static_cast<size_t>(C)), rstd(static_cast<size_t>(C));
    cpu::batchnorm_forward(C, HW, B, xb.data(), gamma.v.data(), beta.v.data(), 1e-5f, y.data(), mean.data(),
                           rstd.data(), BnStore::Write);
    for (bool acc : {false, true}) {
      same(
          "batchnorm_backward", {rnd(B, ps, 35, HW), act(x, B, HW), gamma, raw(mean), raw(rstd)}, {rnd(B, ps, 36, HW)},
          [&](Backend& be, auto& p) {
            be.batchnorm_backward(C, HW, B, p[0], p[1], p[2], p[3], p[4], nullptr, p[5], acc);
          },
          1e-4);
      // With a fused ReLU's mask: p[5] holds the ReLU's output (random, about half of it > 0).
      same(
          "batchnorm_backward_relu",
          {rnd(B, ps, 35, HW), act(x, B, HW), gamma, raw(mean), raw(rstd), rnd(B, ps, 37, HW)}, {rnd(B, ps, 36, HW)},
          [&](Backend& be, auto& p) { be.batchnorm_backward(C, HW, B, p[0], p[1], p[2], p[3], p[4], p[5], p[6], acc); },
          1e-4);
    }
  }
}

TEST_CASE("cuda: pools") {
  const int C = 3, H = 8, W = 8, B = 4;
  const size_t ps = size_t(C) * H * W, ps2 = size_t(C) * (H / 2) * (W / 2);
  for (bool acc : {false, true})
    same("avgpool3x3_forward", {rnd(B, ps, 41, H * W)}, {rnd(B, ps, 42, H * W)},
         [&](Backend& be, auto& p) { be.avgpool3x3_forward(C, H, W, B, p[0], p[1], acc); });
  same("avgpool2x2_forward", {rnd(B, ps, 43, H * W)}, {rnd(B, ps2, 44, (H / 2) * (W / 2))},
       [&](Backend& be, auto& p) { be.avgpool2x2_forward(C, H, W, B, p[0], p[1]); });
  same("global_avgpool_forward", {rnd(B, ps, 45, H * W)}, {rnd(B, C, 46)},
       [&](Backend& be, auto& p) { be.global_avgpool_forward(C, H * W, B, p[0], p[1]); });
  for (bool acc : {false, true}) {
    CAPTURE(acc);
    same("avgpool3x3_backward", {rnd(B, ps, 47, H * W)}, {rnd(B, ps, 48, H * W)},
         [&](Backend& be, auto& p) { be.avgpool3x3_backward(C, H, W, B, p[0], p[1], acc); });
    same("avgpool2x2_backward", {rnd(B, ps2, 49, (H / 2) * (W / 2))}, {rnd(B, ps, 50, H * W)},
         [&](Backend& be, auto& p) { be.avgpool2x2_backward(C, H, W, B, p[0], p[1], acc); });
    same("global_avgpool_backward", {rnd(B, C, 51)}, {rnd(B, ps, 52, H * W)},
         [&](Backend& be, auto& p) { be.global_avgpool_backward(C, H * W, B, p[0], p[1], acc); });
  }
  // Max pools, also on inputs with many exact ties (values on a coarse grid): the same winner.
  for (auto [k, s, pad] : {std::tuple{3, 1, 1}, std::tuple{2, 2, 0}, std::tuple{3, 2, 1}}) {
    CAPTURE(k);
    CAPTURE(s);
    const int Ho = (H + 2 * pad - k) / s + 1, Wo = (W + 2 * pad - k) / s + 1;
    const size_t pso = size_t(C) * Ho * Wo;
    for (bool ties : {false, true}) {
      auto x = random_vec(size_t(B) * ps, 53);
      if (ties)
        for (auto& v : x) v = std::round(v * 2.f) / 2.f;
      same(
          "maxpool_forward", {act(x, B, H * W)}, {rnd(B, pso, 54, Ho * Wo)},
          [&](Backend& be, auto& p) { be.maxpool_forward(C, H, W, B, k, s, pad, p[0], p[1]); }, 0);
      for (bool acc : {false, true})
        same("maxpool_backward", {act(x, B, H * W), rnd(B, pso, 55, Ho * Wo)}, {rnd(B, ps, 56, H * W)},
             [&](Backend& be, auto& p) { be.maxpool_backward(C, H, W, B, k, s, pad, p[0], p[1], p[2], acc); });
    }
  }
}

// --precision tf32 / 3xtf32 --conv-kernels naswot: the tensor cores' convolutions within their bounds
// of the CPU's float32 ones, per output, in units of S = sum |x| |w| (the CPU's convolution of |x| and
// |w|) over K = input channels x taps.
// - TF32: each operand rounded to TF32 moves by at most 2^-11 of itself, so each product by about 2^-10
//   of |x w|; float32 sums add far less: 2^-9 S.
// - 3xTF32: x = hi + lo within 2^-22 |x| (both TF32), and the product's three terms hi hi + hi lo + lo hi
//   leave out lo lo: each product within about 3 x 2^-22 (< 2^-20) of x w. The products of TF32 values
//   are exact in float; each of the 3 ceil(K / 8) mma steps of an output adds its eight products to the
//   accumulator within 2^-22 of the magnitudes summed (generous: hardware may truncate); the CPU's own
//   float32 sum is within K 2^-24 S: (2^-20 + 3 ceil(K / 8) 2^-22 + K 2^-24) S, near float32's K 2^-24 S
//   and far below TF32's (which fails it: errors of 2.4-14 % of 2^-9 S).
// Adding to dx0 rounds once more (2^-22 |dx0|). Odd shapes (channels that fill no tile, a non-square
// image, a 5x5 kernel) and several calls per launch included; the fused ReLU's variants give the unfused
// bits.
TEST_CASE("cuda: tensor-core convolutions (TF32, 3xTF32) within their bounds of the CPU's") {
  // Shapes whose tap offsets would overflow the kernels' int tables are left to the other kernels.
  CHECK(cuda::conv2d_tf32_supported(ConvDims{1, 1024, 1024, 1024, 8, 3, 1, 1, 1024, 1024}));  // 2^30 values
  CHECK(!cuda::conv2d_tf32_supported(ConvDims{1, 4096, 1024, 1024, 8, 3, 1, 1, 1024, 1024}));
  CHECK(!cuda::conv2d_tf32_supported(ConvDims{1, 8, 8, 8, 4096, 3, 2, 1, 4, 4}));  // stride 2
  Backend& cpu = *backends().cpu;
  for (const Precision precision : {Precision::Tf32, Precision::Tf32x3}) {
    const bool split = precision == Precision::Tf32x3;
    CAPTURE(split);
    BackendOptions o;
    o.conv = ConvKernels::Naswot;
    o.precision = precision;
    const auto tc = make_backend("cuda", o);
    for (const ConvDims& d :
         {ConvDims{4, 16, 32, 32, 16, 3, 1, 1, 32, 32}, ConvDims{4, 32, 16, 16, 32, 1, 1, 0, 16, 16},
          ConvDims{3, 5, 7, 9, 70, 3, 1, 1, 7, 9}, ConvDims{2, 24, 8, 8, 40, 5, 1, 2, 8, 8}}) {
      CAPTURE(d.Cin);
      CAPTURE(d.Cout);
      CAPTURE(d.k);
      REQUIRE(cuda::conv2d_tf32_supported(d));
      const int P = d.H * d.W;
      const auto x = random_vec(size_t(d.B) * d.Cin * P, 5), w = random_vec(size_t(d.Cout) * d.Cin * d.k * d.k, 6),
                 dy = random_vec(size_t(d.B) * d.Cout * P, 7), dx0 = random_vec(x.size(), 8);
      const auto abs_of = [](std::vector<float> v) {
        for (float& f : v) f = std::fabs(f);
        return v;
      };
      for (const bool backward : {false, true})
        for (const bool acc : {false, true}) {
          if (!backward && acc) continue;
          CAPTURE(backward);
          CAPTURE(acc);
          const auto op = [&](Backend& be, const std::vector<float>& in, const std::vector<float>& wt,
                              const std::vector<float>& out0, bool add, int calls) {
            std::vector<HostTensor> outs(size_t(calls), act(out0, d.B, P));
            return run(be, {act(in, d.B, P), raw(wt)}, outs, [&](const std::vector<float*>& p) {
              if (backward) {
                std::vector<op_args::conv2d_backward_data> c;
                for (int k = 0; k < calls; ++k) c.emplace_back(d, p[0], p[1], p[size_t(2 + k)], add);
                be.conv2d_backward_data_many(c.data(), calls);
              } else {
                std::vector<op_args::conv2d_forward> c;
                for (int k = 0; k < calls; ++k) c.emplace_back(d, p[0], p[1], p[size_t(2 + k)]);
                be.conv2d_forward_many(c.data(), calls);
              }
            });
          };
          const auto& in = backward ? dy : x;
          const std::vector<float> out0 = backward ? dx0 : std::vector<float>(size_t(d.B) * d.Cout * P);
          const auto want = op(cpu, in, w, out0, acc, 1)[0];
          const auto S = op(cpu, abs_of(in), abs_of(w), std::vector<float>(out0.size()), false, 1)[0];
          const double K = double(backward ? d.Cout : d.Cin) * d.k * d.k;
          const double unit = split ? 0x1p-20 + 3 * std::ceil(K / 8) * 0x1p-22 + K * 0x1p-24 : 0x1p-9;
          const auto got = op(*tc, in, w, out0, acc, 3);
          double worst = 0;  // the largest error as a fraction of its bound
          for (const auto& g : got) {
            CHECK(g == got[0]);  // a call alone or beside others: the same bits
            for (size_t i = 0; i < g.size(); ++i)
              worst = std::max(worst, std::fabs(double(g[i]) - want[i]) /
                                          (unit * S[i] + 0x1p-22 * std::fabs(double(out0[i])) + 1e-30));
          }
          MESSAGE("worst error / bound " << worst);
          CHECK(worst <= 1.0);
          if (!split) CHECK(worst > 0.0);  // rounded to TF32: not the float32 result
        }
      // A ReLU fused into the input (applied as staged, its mask as dx is stored): the bits of the ReLU
      // (or its mask) on its own beside the tensor-core convolution; zeros and -0 at the ReLU's edge.
      auto xz = x;
      for (size_t i = 0; i < xz.size(); i += 7) xz[i] = (i / 7) % 2 ? 0.f : -0.f;
      check_relu_conv_fusion(*tc, d, xz, w, dy, dx0);
    }
  }
}

// The reduction blocks' stride-2 convolutions, which the tensor-core kernels do not take: with either
// tensor-core precision they run on naswot's FMA kernels (batched) with fp32's bits, not on cuDNN's
// one-call-each (TF32) path.
TEST_CASE("cuda: with --precision tf32 or 3xtf32, stride-2 convolutions give naswot's fp32 bits") {
  const ConvDims d{4, 16, 16, 16, 32, 3, 2, 1, 8, 8};
  REQUIRE(!cuda::conv2d_tf32_supported(d));
  REQUIRE(cuda::conv2d_supported(d));
  const int P = d.H * d.W, Po = d.Ho * d.Wo;
  const auto x = random_vec(size_t(d.B) * d.Cin * P, 71), w = random_vec(size_t(d.Cout) * d.Cin * 9, 72),
             dy = random_vec(size_t(d.B) * d.Cout * Po, 73);
  const auto conv = [&](Backend& be) {
    return run(be, {act(x, d.B, P), raw(w), act(dy, d.B, Po)},
               {act(std::vector<float>(dy.size()), d.B, Po), act(std::vector<float>(x.size()), d.B, P)},
               [&](const std::vector<float*>& p) {
                 be.conv2d_forward(d, p[0], p[1], p[3]);
                 be.conv2d_backward_data(d, p[2], p[1], p[4], false);
               });
  };
  BackendOptions o;
  o.conv = ConvKernels::Naswot;
  const auto want = conv(*make_backend("cuda", o));
  for (const Precision precision : {Precision::Tf32, Precision::Tf32x3}) {
    o.precision = precision;
    CHECK(conv(*make_backend("cuda", o)) == want);
  }
}

TEST_CASE("cuda: linear forward and backward-data") {
  const int B = 6, In = 64, Out = 10;
  const HostTensor w = raw(random_vec(size_t(Out) * In, 61)), bias = raw(random_vec(size_t(Out), 62));
  same("linear_forward", {rnd(B, In, 63), w, bias}, {rnd(B, Out, 64)},
       [&](Backend& be, auto& p) { be.linear_forward(B, In, Out, p[0], p[1], p[2], p[3]); });
  for (bool acc : {false, true})
    same("linear_backward_data", {rnd(B, Out, 65), w}, {rnd(B, In, 66)},
         [&](Backend& be, auto& p) { be.linear_backward_data(B, In, Out, p[0], p[1], p[2], acc); });
}

// Shapes beyond the op cases': several 32 x 32 tiles of K (B = 37, 70), a K split over chunks of words
// (D = 20000: 313 rows), several calls per launch with mixed writing and adding, and weights.
TEST_CASE("cuda: Hamming codes and pairs equal the CPU's, alone and several per launch") {
  for (const int B : {37, 70})
    for (const size_t D : {size_t(1), size_t(100), size_t(4133), size_t(20000)}) {
      CAPTURE(B);
      CAPTURE(D);
      const size_t words = (D + 63) / 64, kk = size_t(B) * size_t(B);
      std::vector<HostTensor> ins;
      for (uint32_t k = 0; k < 3; ++k) {
        auto y = random_vec(D * size_t(B), uint32_t(D) + 7 * k);
        for (size_t i = k; i < y.size(); i += 7) y[i] = 0.f;  // exact zeros are off
        ins.push_back(act(y, B));
      }
      // Outs: three codes, three K (starting from normal floats' bits: what adding adds to).
      std::vector<HostTensor> outs(3, raw(std::vector<float>(2 * words * size_t(B))));
      for (uint32_t k = 0; k < 3; ++k) outs.push_back(raw(random_vec(2 * kk, 90 + k, 1.f, 2.f)));
      std::vector<std::vector<std::vector<float>>> got;
      for (Backend* be : {backends().cpu.get(), backends().gpu.get()})
        got.push_back(run(*be, ins, outs, [&](const std::vector<float*>& p) {
          std::vector<op_args::relu_codes> codes;
          std::vector<op_args::hamming_pairs> pairs;
          for (int k = 0; k < 3; ++k) {
            auto* c = reinterpret_cast<uint64_t*>(p[size_t(3 + k)]);
            codes.emplace_back(D, B, p[size_t(k)], c);
            pairs.emplace_back(B, words, c, int64_t(D), int64_t(3), reinterpret_cast<int64_t*>(p[size_t(6 + k)]),
                               k == 1);
          }
          be->relu_codes(D, B, p[0], reinterpret_cast<uint64_t*>(p[3]));  // alone, then with the others
          be->relu_codes_many(codes.data(), 3);
          be->hamming_pairs_many(pairs.data(), 3);
          be->hamming_pairs(B, words, std::get<2>(pairs[0]), int64_t(D), int64_t(2), std::get<5>(pairs[0]), true);
        }));
      for (size_t i = 0; i < got[0].size(); ++i) {
        CAPTURE(i);
        CHECK(same_bits(got[1][i], got[0][i]));
      }
    }
}

TEST_CASE("cuda: Sigma_J score, both solvers, against the CPU") {
  const int B = 24;
  const size_t row = 300;
  auto J = random_vec(size_t(B) * row, 71);
  for (size_t c = 0; c < row; ++c)
    J[5 * row + c] = 0.3f * J[4 * row + c] + 0.01f * J[6 * row + c];  // near-dependent rows
  BackendOptions eig, chol;
  eig.solver = SigmaSolver::Eigen;
  chol.solver = SigmaSolver::Cholesky;
  auto ge = make_backend("cuda", eig), gc = make_backend("cuda", chol);
  auto score_on = [&](Backend& be, const std::vector<float>& j) {
    JacobScore s;
    run(be, {act(j, B)}, {}, [&](const std::vector<float*>& p) { s = be.jacob_cov_score(p[0], B, row, kJacobK); });
    return s;
  };
  const JacobScore ref = score_on(*backends().cpu, J), e = score_on(*ge, J), c = score_on(*gc, J);
  REQUIRE(ref.status == ScoreStatus::Ok);
  CHECK(e.status == ScoreStatus::Ok);
  CHECK(c.status == ScoreStatus::Ok);
  CHECK(std::fabs(e.score - ref.score) <= 1e-8 * std::fabs(ref.score));
  CHECK(std::fabs(c.score - ref.score) <= 1e-8 * std::fabs(ref.score));
  REQUIRE(e.eigenvalues.size() == ref.eigenvalues.size());
  for (size_t i = 0; i < ref.eigenvalues.size(); ++i) CHECK(std::fabs(e.eigenvalues[i] - ref.eigenvalues[i]) < 1e-10);

  // --sigma-precision fp32 (SSYRK), both solvers: near the fp64 score and the CPU's fp32 score (a
  // different summation order in float32), within the rounding bound (tests/test_util.h): on this
  // ill-conditioned Sigma a relative 1e-4 failed on the H200 (fp32 differs from fp64 by about 1 %).
  auto cpu32 = make_cpu_backend(0, SigmaPrecision::Fp32);
  BackendOptions eig32 = eig, chol32 = chol;
  eig32.sigma_precision = chol32.sigma_precision = SigmaPrecision::Fp32;
  auto ge32 = make_backend("cuda", eig32), gc32 = make_backend("cuda", chol32);
  const JacobScore ref32 = score_on(*cpu32, J);
  REQUIRE(ref32.status == ScoreStatus::Ok);
  CHECK(ref32.score != ref.score);
  for (Backend* be : {ge32.get(), gc32.get()}) {
    const JacobScore g = score_on(*be, J);
    CHECK(g.status == ScoreStatus::Ok);
    const double bound = naswot::test::sigma_fp32_score_bound(ref.eigenvalues, row, kJacobK);
    CHECK(bound < 0.5 * std::fabs(ref.score));
    CHECK(std::fabs(g.score - ref.score) <= bound);
    CHECK(std::fabs(g.score - ref32.score) <= 2 * bound);  // both within the bound of fp64's
  }

  // Degenerate rows: the CPU's status and reason, whichever solver and precision.
  auto flat = J;
  for (size_t c2 = 0; c2 < row; ++c2) flat[7 * row + c2] = 0.25f;
  auto nan = J;
  nan[3 * row + 17] = std::numeric_limits<float>::quiet_NaN();
  for (const auto& bad : {flat, nan}) {
    const JacobScore r = score_on(*backends().cpu, bad);
    REQUIRE(r.status == ScoreStatus::Degenerate);
    for (Backend* be : {ge.get(), gc.get(), ge32.get(), gc32.get()}) {
      const JacobScore g = score_on(*be, bad);
      CHECK(g.status == ScoreStatus::Degenerate);
      CHECK(g.reason == r.reason);
      CHECK(std::isinf(g.score));
    }
  }
}

TEST_CASE("cuda: Sigma_J scores of many Jacobians at once equal each alone, bit for bit, and the CPU's") {
  // Batch sizes through every path: one factorisation block per architecture with 2, 4 or 8 entries
  // per thread and side (B <= 32, 64, 128; partial tiles of the product), cuSOLVER beyond 128; 18
  // Jacobians: two launch groups of the product's kernels.
  const int n = 18;
  for (const int B : {5, 24, 64, 100, 130}) {
    CAPTURE(B);
    const size_t row = B > 100 ? 150 : 300;
    std::vector<std::vector<float>> Js;
    for (int a = 0; a < n; ++a) {
      auto J = random_vec(size_t(B) * row, 500 + uint32_t(a) + 100 * uint32_t(B));
      if (a == 3)
        for (size_t c = 0; c < row; ++c) J[size_t(B - 1) * row + c] = 0.5f;  // zero variance
      if (a == 7) J[row + 11] = std::numeric_limits<float>::infinity();
      if (a == 9 && B > 2)
        for (size_t c = 0; c < row; ++c) J[2 * row + c] = 0.7f * J[c] + 0.001f * J[row + c];  // near-dependent rows
      if (a % 5 == 1)
        for (float& v : J) v *= 1e-3f;  // scale does not matter to Sigma_J
      Js.push_back(std::move(J));
    }
    auto scores_on = [&](Backend& be, bool together) {
      std::vector<HostTensor> ins;
      for (const auto& J : Js) ins.push_back(act(J, B));
      std::vector<JacobScore> out;
      run(be, ins, {}, [&](const std::vector<float*>& p) {
        const std::vector<const float*> ptrs(p.begin(), p.end());
        if (together)
          out = be.jacob_cov_scores(ptrs.data(), n, B, row, kJacobK);
        else
          for (const float* j : ptrs) out.push_back(be.jacob_cov_score(j, B, row, kJacobK));
      });
      return out;
    };
    auto cpu32 = make_cpu_backend(0, SigmaPrecision::Fp32);
    const std::vector<JacobScore> ref = scores_on(*backends().cpu, false), ref32 = scores_on(*cpu32, false);
    REQUIRE(ref.size() == size_t(n));
    CHECK(ref[3].status == ScoreStatus::Degenerate);
    CHECK(ref[7].status == ScoreStatus::Degenerate);
    for (const auto [solver, precision] :
         {std::pair{SigmaSolver::Auto, SigmaPrecision::Fp64}, std::pair{SigmaSolver::Eigen, SigmaPrecision::Fp64},
          std::pair{SigmaSolver::Auto, SigmaPrecision::Fp32}}) {
      BackendOptions o;
      o.solver = solver;
      o.sigma_precision = precision;
      CAPTURE(int(solver));
      CAPTURE(int(precision));
      auto g = make_backend("cuda", o);
      const std::vector<JacobScore> together = scores_on(*g, true), alone = scores_on(*g, false);
      REQUIRE(together.size() == size_t(n));
      for (int a = 0; a < n; ++a) {
        CAPTURE(a);
        const JacobScore &t = together[size_t(a)], &s = alone[size_t(a)], &r = ref[size_t(a)];
        CHECK(std::memcmp(&t.score, &s.score, sizeof(double)) == 0);  // bit for bit
        CHECK(t.status == s.status);
        CHECK(t.reason == s.reason);
        CHECK(t.status == r.status);
        CHECK(t.reason == r.reason);
        if (r.status != ScoreStatus::Ok) {
          CHECK(std::isinf(t.score));
          continue;
        }
        if (precision == SigmaPrecision::Fp64) {
          CHECK(std::fabs(t.score - r.score) <= 1e-9 * std::fabs(r.score));
        } else {
          const double bound = naswot::test::sigma_fp32_score_bound(r.eigenvalues, row, kJacobK);
          CHECK(std::fabs(t.score - r.score) <= bound);
          CHECK(std::fabs(t.score - ref32[size_t(a)].score) <= 2 * bound);
        }
        if (solver == SigmaSolver::Eigen) {
          REQUIRE(t.eigenvalues.size() == r.eigenvalues.size());
          for (size_t i = 0; i < r.eigenvalues.size(); ++i)
            CHECK(std::fabs(t.eigenvalues[i] - r.eigenvalues[i]) < 1e-12);
        }
      }
    }
  }
}

TEST_CASE("cuda: a captured graph runs nothing until launched, then replays its ops bit for bit") {
  Backend& gpu = *backends().gpu;
  const int B = 8, C = 16;
  const ConvDims d{B, C, 8, 8, C, 3, 1, 1, 8, 8};
  const size_t ps = size_t(C) * 64;
  const std::vector<HostTensor> ins = {rnd(B, ps, 41, 64), raw(random_vec(size_t(C) * C * 9, 42)),
                                       raw(random_vec(C, 43)), raw(random_vec(C, 44))};
  const std::vector<HostTensor> outs = {rnd(B, ps, 45, 64), rnd(B, ps, 46, 64), raw(std::vector<float>(2 * C, 0.f))};
  // conv -> batch norm with a fused ReLU: cuDNN and our kernels, including the statistics pass's
  // last-block counter.
  const auto ops = [&](const std::vector<float*>& p) {
    gpu.conv2d_forward(d, p[0], p[1], p[4]);
    gpu.batchnorm_forward(C, 64, B, p[4], p[2], p[3], 1e-5f, p[5], p[6], p[6] + C, BnStore::ReLU);
  };
  const auto direct = run(gpu, ins, outs, ops);
  std::function<void()> launch;
  const auto captured =
      run(gpu, ins, outs, [&](const std::vector<float*>& p) { launch = gpu.capture([&] { ops(p); }).launch; });
  for (size_t i = 0; i < outs.size(); ++i) CHECK(captured[i] == outs[i].v);  // recorded, not run
  const auto replayed = run(gpu, ins, outs, [&](const std::vector<float*>& p) {
    const Device::Captured c = gpu.capture([&] { ops(p); });
    CHECK(c.kernels >= 2);  // at least one kernel per op
    launch = c.launch;
    launch();
    launch();  // twice: the counter is back to zero after each launch
  });
  for (size_t i = 0; i < outs.size(); ++i) CHECK(replayed[i] == direct[i]);
  CHECK_THROWS_WITH(backends().cpu->capture([] {}), doctest::Contains("nothing to capture"));
}

TEST_CASE("cuda: memory beyond the device's is a clear error, and the backend stays usable") {
  auto gpu = make_backend("cuda", BackendOptions{});
  CHECK_THROWS_WITH(gpu->arena(size_t(1) << 42), doctest::Contains("out of device memory"));  // 16 TiB
  float* a = gpu->arena(1024);
  gpu->fill(1024, 1.5f, a);
  std::vector<float> h(1024);
  gpu->download(a, h.data(), h.size());
  CHECK(h[1023] == 1.5f);
}

TEST_CASE("cuda: every case of the op table against the CPU backend, writing and accumulating") {
  auto& b = backends();
  check_cases_against(*b.cpu, *b.gpu);
}

#ifdef NASWOT_EMULATED_CUDA
// On the emulator only: a kernel whose result depends on how CUDA schedules it (a missing barrier or
// wait, shared memory read before this block wrote it, a block that counts on running after another)
// gives other bits when its blocks and threads run backwards and its asynchronous copies land as early as
// CUDA allows instead of as late. Every op-table case, and several convolutions per launch on the
// kernels' larger tiles, on every convolution path and precision: the same bits both ways.
TEST_CASE("cuda (emulator): every kernel gives the same bits when the emulator's schedule is reversed") {
  std::vector<std::unique_ptr<Backend>> bes = conv_kernel_backends();
  for (const Precision precision : {Precision::Tf32, Precision::Tf32x3}) {
    BackendOptions o;
    o.conv = ConvKernels::Naswot;
    o.precision = precision;
    bes.push_back(make_backend("cuda", o));
  }
  const auto both_orders = [](const std::function<std::vector<std::vector<float>>()>& f) {
    const auto forward = f();
    simt::Scheduled reversed(simt::kReversed);
    const auto backward = f();
    REQUIRE(backward.size() == forward.size());
    for (size_t i = 0; i < forward.size(); ++i) {
      CAPTURE(i);
      CHECK(same_bits(backward[i], forward[i]));
    }
  };
  for (const auto& be : bes) {
    CAPTURE(be->device());
    for (const OpCase& c : op_cases())
      for (const bool acc : {false, true}) {
        if (acc && !c.accumulates) continue;
        CAPTURE(c.op);
        CAPTURE(c.what);
        CAPTURE(acc);
        both_orders(
            [&] { return run(*be, c.ins, c.outs, [&](const std::vector<float*>& p) { c.call(*be, p, acc); }); });
      }
    for (const ConvDims& d : fusion_shapes()) {
      CAPTURE(d.Cin);
      CAPTURE(d.Cout);
      CAPTURE(d.stride);
      const int P = d.H * d.W, Po = d.Ho * d.Wo;
      const auto x = random_vec(size_t(d.B) * d.Cin * P, 91), w = random_vec(size_t(d.Cout) * d.Cin * d.k * d.k, 92),
                 dy = random_vec(size_t(d.B) * d.Cout * Po, 93);
      std::vector<HostTensor> outs(3, act(std::vector<float>(dy.size()), d.B, Po));
      outs.resize(6, act(random_vec(x.size(), 94), d.B, P));
      both_orders([&] {
        return run(*be, {act(x, d.B, P), raw(w), act(dy, d.B, Po)}, outs, [&](const std::vector<float*>& p) {
          std::vector<op_args::conv2d_forward> f;
          std::vector<op_args::conv2d_backward_data> b;
          for (size_t k = 0; k < 3; ++k)
            f.emplace_back(d, p[0], p[1], p[3 + k]), b.emplace_back(d, p[2], p[1], p[6 + k], k > 0);
          be->conv2d_forward_many(f.data(), 3);
          be->conv2d_backward_data_many(b.data(), 3);
        });
      });
    }
  }
  // The Sigma_J scores' kernels (product, centring, the Cholesky blocks' flags and factorisation) on
  // Jacobians with a non-finite entry, a constant row and near-dependent rows, every solver and
  // precision: the same statuses, reasons and bits.
  const size_t row = 200;
  for (const int B : {24, 64}) {
    std::vector<HostTensor> ins;
    for (int a = 0; a < 6; ++a) {
      auto J = random_vec(size_t(B) * row, 700 + uint32_t(a) + 10 * uint32_t(B));
      if (a == 1) J[5 * row + 3] = std::numeric_limits<float>::quiet_NaN();
      if (a == 2)
        for (size_t c = 0; c < row; ++c) J[7 * row + c] = 0.25f;
      if (a == 3)
        for (size_t c = 0; c < row; ++c) J[2 * row + c] = 0.7f * J[c] + 0.001f * J[row + c];
      ins.push_back(act(std::move(J), B));
    }
    for (const SigmaSolver solver : {SigmaSolver::Auto, SigmaSolver::Eigen})
      for (const SigmaPrecision precision : {SigmaPrecision::Fp64, SigmaPrecision::Fp32}) {
        BackendOptions o;
        o.solver = solver;
        o.sigma_precision = precision;
        const auto be = make_backend("cuda", o);
        CAPTURE(B);
        CAPTURE(int(solver));
        CAPTURE(int(precision));
        const auto scores = [&] {
          std::vector<JacobScore> out;
          run(*be, ins, {}, [&](const std::vector<float*>& p) {
            const std::vector<const float*> ptrs(p.begin(), p.end());
            out = be->jacob_cov_scores(ptrs.data(), int(ptrs.size()), B, row, kJacobK);
          });
          return out;
        };
        const std::vector<JacobScore> forward = scores();
        simt::Scheduled reversed(simt::kReversed);
        const std::vector<JacobScore> backward = scores();
        REQUIRE(backward.size() == forward.size());
        CHECK(forward[1].status == ScoreStatus::Degenerate);
        for (size_t i = 0; i < forward.size(); ++i) {
          CAPTURE(i);
          CHECK(backward[i].status == forward[i].status);
          CHECK(backward[i].reason == forward[i].reason);
          CHECK(std::memcmp(&backward[i].score, &forward[i].score, sizeof(double)) == 0);
          const auto& e = backward[i].eigenvalues;
          CHECK((e.size() == forward[i].eigenvalues.size() &&
                 std::memcmp(e.data(), forward[i].eigenvalues.data(), e.size() * sizeof(double)) == 0));
        }
      }
  }
}
#endif
