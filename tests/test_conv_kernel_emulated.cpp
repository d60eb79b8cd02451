// naswot's CUDA convolution kernels (kernels/cuda/conv2d_kernel.cuh: direct and gather) run on the CPU by
// the SIMT emulator: every tile, width, channel grouping and kernel size against the CPU backend's
// convolutions, forward and backward-data, writing and accumulating; the two kernels give the same bits
// where both apply; several calls in one launch = each call alone, bit for bit. The emulator rounds as
// the GPU does, so these are the device's results (tests/gpu compares the device itself).
#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "engine/backend.h"
#include "tests/op_harness.h"
#include "tests/test_util.h"
// After the standard headers: the emulator defines CUDA's keywords for the kernel header below.
#include "tests/simt_emulator.h"
// clang-format off
#include "kernels/cuda/conv2d_kernel.cuh"
// clang-format on

using namespace naswot;
using namespace naswot::op_test;
using naswot::test::random_vec;

namespace {

using cuda::ConvKernel;

// Runs the kernels on host memory as conv2d.cu launches them on the GPU: m.n calls in one launch.
template <bool kBackward>
void emulate(const cuda::ConvShape& s, const cuda::Many<cuda::ConvCall>& m, ConvKernel k = ConvKernel::Automatic) {
  cuda::dispatch_conv<kBackward>(s, m, simt::on_grid(), k);
}

// One call on NCHW host tensors: forward y = conv(x, w), or backward-data dx (+)= ...; `shift` floats
// into its buffer, so that the output is not 16-byte aligned.
std::vector<float> kernel_call(const ConvDims& d, bool backward, const std::vector<float>& in,
                               const std::vector<float>& w, std::vector<float> out, bool acc,
                               ConvKernel k = ConvKernel::Automatic, size_t shift = 0) {
  std::vector<float> buf(shift);
  buf.insert(buf.end(), out.begin(), out.end());
  cuda::Many<cuda::ConvCall> m;
  m.n = 1;
  m.call[0] = {in.data(), w.data(), buf.data() + shift, acc};
  if (backward)
    emulate<true>(cuda::backward_data_shape(d), m, k);
  else
    emulate<false>(cuda::forward_shape(d), m, k);
  return {buf.begin() + ptrdiff_t(shift), buf.end()};
}

std::vector<float> cpu_forward(Backend& cpu, const ConvDims& d, const std::vector<float>& x,
                               const std::vector<float>& w, const std::vector<float>& y0) {
  return run(cpu, {act(x, d.B, d.H * d.W), raw(w)}, {act(y0, d.B, d.Ho * d.Wo)},
             [&](const std::vector<float*>& p) { cpu.conv2d_forward(d, p[0], p[1], p[2]); })[0];
}
std::vector<float> cpu_backward(Backend& cpu, const ConvDims& d, const std::vector<float>& dy,
                                const std::vector<float>& w, const std::vector<float>& dx0, bool acc) {
  return run(cpu, {act(dy, d.B, d.Ho * d.Wo), raw(w)}, {act(dx0, d.B, d.H * d.W)},
             [&](const std::vector<float*>& p) { cpu.conv2d_backward_data(d, p[0], p[1], p[2], acc); })[0];
}

}  // namespace

TEST_CASE("naswot's CUDA convolution kernel, emulated, against the CPU backend; several calls = alone") {
  auto cpu = make_cpu_backend(0);
  // Row tiles 16, 32 and 64 (and a 70-channel layer over two of them), 1x1 and 3x3, padding 0 and 1,
  // sizes that leave partial pixel tiles, and the stem's 3 input channels.
  for (const ConvDims d : {ConvDims{2, 16, 8, 8, 16, 3, 1, 1, 8, 8}, ConvDims{2, 3, 9, 7, 16, 3, 1, 1, 9, 7},
                           ConvDims{3, 8, 6, 6, 32, 1, 1, 0, 6, 6}, ConvDims{1, 32, 5, 5, 64, 3, 1, 1, 5, 5},
                           ConvDims{2, 5, 7, 9, 70, 3, 1, 1, 7, 9}, ConvDims{2, 7, 5, 6, 3, 3, 1, 0, 3, 4},
                           ConvDims{4, 40, 4, 4, 24, 1, 1, 0, 4, 4}}) {
    CAPTURE(d.Cin);
    CAPTURE(d.Cout);
    CAPTURE(d.k);
    CAPTURE(d.H);
    REQUIRE(cuda::conv2d_shape_supported(d));
    const size_t xs = size_t(d.B) * d.Cin * d.H * d.W, ys = size_t(d.B) * d.Cout * d.Ho * d.Wo;
    const auto w = random_vec(size_t(d.Cout) * d.Cin * d.k * d.k, 61);
    const auto x = random_vec(xs, 62), dy = random_vec(ys, 63), y0 = random_vec(ys, 64), dx0 = random_vec(xs, 65);

    const auto y = kernel_call(d, false, x, w, y0, false, ConvKernel::Gather);
    CHECK(rel_diff(y, cpu_forward(*cpu, d, x, w, y0)) <= 1e-5);
    CHECK(kernel_call(d, false, x, w, y0, false) == y);  // the direct kernel where it applies: the same bits
    for (bool acc : {false, true}) {
      CAPTURE(acc);
      const auto dx = kernel_call(d, true, dy, w, dx0, acc, ConvKernel::Gather);
      CHECK(rel_diff(dx, cpu_backward(*cpu, d, dy, w, dx0, acc)) <= 1e-5);
      CHECK(kernel_call(d, true, dy, w, dx0, acc) == dx);
    }

    // Three calls in one launch (blockIdx.z picks the call) = each alone, bit for bit.
    const std::vector<std::vector<float>> xs3 = {x, random_vec(xs, 66), random_vec(xs, 67)};
    std::vector<std::vector<float>> ys3(3, std::vector<float>(ys, 0.f));
    cuda::Many<cuda::ConvCall> m;
    m.n = 3;
    for (int i = 0; i < 3; ++i) m.call[i] = {xs3[size_t(i)].data(), w.data(), ys3[size_t(i)].data(), false};
    emulate<false>(cuda::forward_shape(d), m, ConvKernel::Gather);
    CHECK(ys3[0] == y);
    for (int i = 1; i < 3; ++i)
      CHECK(ys3[size_t(i)] == kernel_call(d, false, xs3[size_t(i)], w, std::vector<float>(ys, 0.f), false));
  }
}

TEST_CASE("naswot's direct convolution kernel, emulated: every width, channel grouping and kernel size") {
  auto cpu = make_cpu_backend(0);
  // Widths 8, 16, 32 (blocks of several samples, one sample, part of a sample); output channels in 2,
  // 4 or 8 groups of 8, partly filled (3, 24) and over two tiles (72); input channels that leave a partial
  // stage (3, 17); batches that leave a partial block.
  struct Case {
    int B, Cin, HW, Cout, k;
  };
  // Its asynchronous copies landing as late and as early as CUDA allows (a wait or a barrier too few
  // shows in one or the other).
  const auto copies = [](bool early) {
    return simt::Scheduled({simt::Order::Forward, early ? simt::Copies::Early : simt::Copies::Late});
  };
  for (const auto& [c, early] : {std::pair{Case{3, 17, 8, 16, 3}, false},
                                 {Case{1, 16, 32, 16, 3}, true},
                                 {Case{2, 3, 16, 24, 3}, false},
                                 {Case{3, 16, 8, 72, 3}, true},
                                 {Case{1, 32, 32, 64, 3}, false},
                                 {Case{2, 40, 16, 16, 1}, true},
                                 {Case{3, 17, 8, 24, 1}, false},
                                 {Case{1, 16, 32, 72, 1}, true},
                                 {Case{5, 16, 16, 64, 3}, true},
                                 {Case{1, 24, 32, 3, 3}, false},
                                 {Case{3, 17, 8, 16, 3}, true},
                                 {Case{1, 32, 32, 64, 3}, true}}) {
    const auto landing = copies(early);
    CAPTURE(early);
    const ConvDims d{c.B, c.Cin, c.HW, c.HW, c.Cout, c.k, 1, (c.k - 1) / 2, c.HW, c.HW};
    CAPTURE(c.B);
    CAPTURE(c.Cin);
    CAPTURE(c.HW);
    CAPTURE(c.Cout);
    CAPTURE(c.k);
    REQUIRE(cuda::conv_direct_supported(cuda::forward_shape(d)));
    REQUIRE(cuda::conv_direct_supported(cuda::backward_data_shape(d)));
    const size_t xs = size_t(d.B) * d.Cin * d.H * d.W, ys = size_t(d.B) * d.Cout * d.Ho * d.Wo;
    const auto w = random_vec(size_t(d.Cout) * d.Cin * d.k * d.k, 71);
    const auto x = random_vec(xs, 72), dy = random_vec(ys, 73), y0 = random_vec(ys, 74), dx0 = random_vec(xs, 75);

    const auto y = kernel_call(d, false, x, w, y0, false);
    CHECK(rel_diff(y, cpu_forward(*cpu, d, x, w, y0)) <= 1e-5);
    CHECK(y == kernel_call(d, false, x, w, y0, false, ConvKernel::Gather));
    CHECK(y == kernel_call(d, false, x, w, y0, false, ConvKernel::Automatic, 1));  // scalar stores
    for (bool acc : {false, true}) {
      CAPTURE(acc);
      const auto dx = kernel_call(d, true, dy, w, dx0, acc);
      CHECK(rel_diff(dx, cpu_backward(*cpu, d, dy, w, dx0, acc)) <= 1e-5);
      CHECK(dx == kernel_call(d, true, dy, w, dx0, acc, ConvKernel::Gather));
      CHECK(dx == kernel_call(d, true, dy, w, dx0, acc, ConvKernel::Automatic, 3));
    }
  }

  // Stride 2 (3x3, padding 1: the reduction blocks'), forward to 8 and 16 wide and backward-data from
  // them (dy read with zeros between its pixels); the gather kernel does not take these (Gather runs the
  // direct one there).
  for (const auto& [c, early] : {std::pair{Case{3, 17, 32, 24, 3}, false},
                                 {Case{2, 16, 16, 72, 3}, true},
                                 {Case{5, 3, 16, 16, 3}, true},
                                 {Case{1, 32, 32, 64, 3}, false}}) {
    const auto landing = copies(early);
    const ConvDims d{c.B, c.Cin, c.HW, c.HW, c.Cout, 3, 2, 1, c.HW / 2, c.HW / 2};
    CAPTURE(early);
    CAPTURE(c.B);
    CAPTURE(c.Cin);
    CAPTURE(c.HW);
    CAPTURE(c.Cout);
    REQUIRE(cuda::conv2d_kernels_support(d));
    CHECK_FALSE(cuda::conv2d_shape_supported(d));  // not the gather kernel's
    const size_t xs = size_t(d.B) * d.Cin * d.H * d.W, ys = size_t(d.B) * d.Cout * d.Ho * d.Wo;
    const auto w = random_vec(size_t(d.Cout) * d.Cin * 9, 91);
    const auto x = random_vec(xs, 92), dy = random_vec(ys, 93), y0 = random_vec(ys, 94), dx0 = random_vec(xs, 95);
    const auto y = kernel_call(d, false, x, w, y0, false);
    CHECK(rel_diff(y, cpu_forward(*cpu, d, x, w, y0)) <= 1e-5);
    CHECK(kernel_call(d, false, x, w, y0, false, ConvKernel::Gather) == y);  // the direct kernel all the same
    for (bool acc : {false, true}) {
      CAPTURE(acc);
      CHECK(rel_diff(kernel_call(d, true, dy, w, dx0, acc, ConvKernel::Automatic, size_t(acc)),
                     cpu_backward(*cpu, d, dy, w, dx0, acc)) <= 1e-5);
    }
  }

  // Two calls in one launch (blockIdx.z) = each alone, and shapes the direct kernel leaves to the
  // gather one: "valid" padding, widths it has no tile for, non-square images.
  const ConvDims d{2, 16, 16, 16, 32, 3, 1, 1, 16, 16};
  const size_t xs = size_t(d.B) * d.Cin * d.H * d.W, ys = size_t(d.B) * d.Cout * d.Ho * d.Wo;
  const auto w = random_vec(size_t(d.Cout) * d.Cin * 9, 81);
  const std::vector<std::vector<float>> x2 = {random_vec(xs, 82), random_vec(xs, 83)};
  std::vector<std::vector<float>> y2(2, std::vector<float>(ys, 0.f));
  cuda::Many<cuda::ConvCall> m;
  m.n = 2;
  for (int i = 0; i < 2; ++i) m.call[i] = {x2[size_t(i)].data(), w.data(), y2[size_t(i)].data(), false};
  emulate<false>(cuda::forward_shape(d), m);
  for (int i = 0; i < 2; ++i)
    CHECK(y2[size_t(i)] == kernel_call(d, false, x2[size_t(i)], w, std::vector<float>(ys, 0.f), false));
  // The same for a stride-2 backward-data launch.
  const ConvDims d2{2, 16, 16, 16, 32, 3, 2, 1, 8, 8};
  const std::vector<std::vector<float>> dy2 = {random_vec(size_t(2) * 32 * 64, 84),
                                               random_vec(size_t(2) * 32 * 64, 85)};
  std::vector<std::vector<float>> dx2(2, std::vector<float>(xs, 0.f));
  for (int i = 0; i < 2; ++i) m.call[i] = {dy2[size_t(i)].data(), w.data(), dx2[size_t(i)].data(), false};
  emulate<true>(cuda::backward_data_shape(d2), m);
  for (int i = 0; i < 2; ++i)
    CHECK(dx2[size_t(i)] == kernel_call(d2, true, dy2[size_t(i)], w, std::vector<float>(xs, 0.f), false));
  for (const ConvDims o : {ConvDims{1, 4, 8, 8, 16, 3, 1, 0, 6, 6}, ConvDims{1, 4, 12, 12, 16, 3, 1, 1, 12, 12},
                           ConvDims{1, 4, 8, 16, 16, 3, 1, 1, 8, 16}, ConvDims{1, 4, 64, 64, 16, 1, 1, 0, 64, 64},
                           ConvDims{1, 4, 16, 16, 16, 1, 2, 0, 8, 8}, ConvDims{1, 4, 64, 64, 16, 3, 2, 1, 32, 32}})
    CHECK_FALSE(cuda::conv_direct_supported(cuda::forward_shape(o)));
}

TEST_CASE("simt emulator: asynchronous copies land when their thread waits for them, or early when issued") {
  // Thread t copies src[t] into shared slot t in two groups; before its wait it still sees the old
  // value, after __pipeline_wait_prior(1) the first group, after (0) both (the second zero-filled).
  std::vector<float> src(8), seen(24, -1.f);
  for (int i = 0; i < 8; ++i) src[size_t(i)] = float(i + 1);
  const auto copy_twice = [&] {
    simt::launch(dim3(1), dim3(4), [&] {
      __shared__ float slot[8];
      const unsigned t = threadIdx.x;
      slot[t] = slot[t + 4] = -2.f;
      __pipeline_memcpy_async(&slot[t], &src[t], 4);
      __pipeline_commit();
      __pipeline_memcpy_async(&slot[t + 4], &src[t + 4], 4, 4);
      __pipeline_commit();
      seen[t] = slot[t];
      __pipeline_wait_prior(1);
      seen[t + 4] = slot[t];
      seen[t + 8] = slot[t + 4];
      __pipeline_wait_prior(0);
      seen[t + 12] = slot[t + 4];
    });
  };
  copy_twice();
  for (int t = 0; t < 4; ++t) {
    CHECK(seen[size_t(t)] == -2.f);
    CHECK(seen[size_t(t + 4)] == float(t + 1));
    CHECK(seen[size_t(t + 8)] == -2.f);
    CHECK(seen[size_t(t + 12)] == 0.f);
  }
  {
    simt::Scheduled early({simt::Order::Forward, simt::Copies::Early});
    copy_twice();
  }
  for (int t = 0; t < 4; ++t) {
    CHECK(seen[size_t(t)] == float(t + 1));
    CHECK(seen[size_t(t + 8)] == 0.f);
  }
  CHECK(simt::schedule().copies == simt::Copies::Late);
  alignas(16) float from[8] = {};
  CHECK_THROWS_AS(simt::launch(dim3(1), dim3(1),
                               [&] {
                                 alignas(16) __shared__ float to[4];
                                 __pipeline_memcpy_async(to, from + 1, 16);  // a source not 16-byte aligned
                               }),
                  std::logic_error);
}

TEST_CASE("simt emulator: barriers order the threads; a divergent barrier is an error") {
  // Each thread writes its slot, then after the barrier reads its neighbour's: only correct if every
  // write precedes every read.
  std::vector<int> slots(64, -1), seen(64, -1);
  simt::launch(dim3(1), dim3(64), [&] {
    const unsigned t = threadIdx.x;
    slots[t] = int(t) * 3;
    __syncthreads();
    seen[t] = slots[(t + 1) % 64];
  });
  for (int t = 0; t < 64; ++t) CHECK(seen[size_t(t)] == ((t + 1) % 64) * 3);
  CHECK_THROWS_AS(simt::launch(dim3(1), dim3(8),
                               [&] {
                                 if (threadIdx.x < 4) __syncthreads();
                               }),
                  std::logic_error);
}

TEST_CASE(
    "simt emulator: reverse schedule order runs blocks, warps and threads backwards and exposes a missing barrier") {
  // Each thread writes its slot and reads its neighbour's: with a barrier between, the same in both
  // orders; without, what the reader sees depends on which thread ran first.
  const auto neighbours = [](bool barrier) {
    std::vector<int> slots(64, -1), seen(64, -2);
    simt::launch(dim3(1), dim3(64), [&] {
      const unsigned t = threadIdx.x;
      slots[t] = int(t);
      if (barrier) __syncthreads();
      seen[t] = slots[(t + 1) % 64];
    });
    return seen;
  };
  std::vector<unsigned> blocks;
  const auto record_blocks = [&] {
    blocks.clear();
    simt::launch(dim3(2, 2), dim3(1), [&] { blocks.push_back(blockIdx.y * 2 + blockIdx.x); });
    return blocks;
  };
  // Two warps: each thread writes its slot between two shuffles (warp rendezvous, not barriers), then
  // reads the other warp's. One warp runs alone up to its end (a __syncthreads would stop it): forward
  // warp 0, which reads warp 1's slots unwritten; reverse warp 1, which reads warp 0's.
  const auto across_warps = [] {
    std::vector<int> slots(64, -1), seen(64, -2);
    simt::launch(dim3(1), dim3(64), [&] {
      const unsigned t = threadIdx.x;
      int v = __shfl_down_sync(0xffffffffu, int(t), 1);
      slots[t] = v - 1 + int(t == 31 || t == 63);  // t (the last lane keeps its own value)
      v = __shfl_down_sync(0xffffffffu, v, 1);
      seen[t] = slots[(t + 32) % 64];
    });
    return seen;
  };
  const std::vector<int> forward = neighbours(true), racy_forward = neighbours(false), warps_forward = across_warps();
  for (size_t t = 0; t < 64; ++t) CHECK(warps_forward[t] == (t < 32 ? -1 : int(t - 32)));
  CHECK(record_blocks() == std::vector<unsigned>{0, 1, 2, 3});
  {
    simt::Scheduled reverse({simt::Order::Reverse, simt::Copies::Late});
    CHECK(neighbours(true) == forward);
    const std::vector<int> racy_reverse = neighbours(false);
    // Forward, every thread but the last reads before its neighbour writes; reverse, only the last.
    for (size_t t = 0; t < 64; ++t) {
      CAPTURE(t);
      CHECK(racy_forward[t] == (t < 63 ? -1 : 0));
      CHECK(racy_reverse[t] == (t < 63 ? int(t) + 1 : -1));
    }
    CHECK(record_blocks() == std::vector<unsigned>{3, 2, 1, 0});
    const std::vector<int> warps_reverse = across_warps();
    for (size_t t = 0; t < 64; ++t) CHECK(warps_reverse[t] == (t >= 32 ? -1 : int(t + 32)));
  }
  CHECK(simt::schedule().order == simt::Order::Forward);
}
