// naswot's CUDA convolution kernel (kernels/cuda/conv2d_kernel.cuh) run on the CPU by the SIMT emulator:
// every tile size and kernel size against the CPU backend's convolutions, forward and backward-data,
// writing and accumulating; several calls in one launch = each call alone, bit for bit. The emulator
// rounds as the GPU does, so these are the device's results (tests/gpu compares the device itself).
#include <doctest/doctest.h>

#include <cstdint>
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

// Runs the kernel on host memory as conv2d.cu launches it on the GPU: m.n calls in one launch.
template <bool kBackward>
void emulate(const cuda::ConvShape& s, const cuda::Many<cuda::ConvCall>& m) {
  cuda::dispatch_conv<kBackward>(s, m, simt::on_grid());
}

// One call of the kernel on NCHW host tensors: forward y = conv(x, w), or backward-data dx (+)= ...
std::vector<float> kernel_call(const ConvDims& d, bool backward, const std::vector<float>& in,
                               const std::vector<float>& w, std::vector<float> out, bool acc) {
  cuda::Many<cuda::ConvCall> m;
  m.n = 1;
  m.call[0] = {in.data(), w.data(), out.data(), acc};
  if (backward)
    emulate<true>(cuda::backward_data_shape(d), m);
  else
    emulate<false>(cuda::forward_shape(d), m);
  return out;
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
    const int Pi = d.H * d.W, Po = d.Ho * d.Wo;
    const auto w = random_vec(size_t(d.Cout) * d.Cin * d.k * d.k, 61);
    const auto x = random_vec(xs, 62), dy = random_vec(ys, 63), y0 = random_vec(ys, 64), dx0 = random_vec(xs, 65);

    const auto y = kernel_call(d, false, x, w, y0, false);
    const auto y_cpu = run(*cpu, {act(x, d.B, Pi), raw(w)}, {act(y0, d.B, Po)},
                           [&](const std::vector<float*>& p) { cpu->conv2d_forward(d, p[0], p[1], p[2]); })[0];
    CHECK(rel_diff(y, y_cpu) <= 1e-5);
    for (bool acc : {false, true}) {
      CAPTURE(acc);
      const auto dx = kernel_call(d, true, dy, w, dx0, acc);
      const auto dx_cpu = run(*cpu, {act(dy, d.B, Po), raw(w)}, {act(dx0, d.B, Pi)}, [&](const std::vector<float*>& p) {
        cpu->conv2d_backward_data(d, p[0], p[1], p[2], acc);
      })[0];
      CHECK(rel_diff(dx, dx_cpu) <= 1e-5);
    }

    // Three calls in one launch (blockIdx.z picks the call) = each alone, bit for bit.
    const std::vector<std::vector<float>> xs3 = {x, random_vec(xs, 66), random_vec(xs, 67)};
    std::vector<std::vector<float>> ys3(3, std::vector<float>(ys, 0.f));
    cuda::Many<cuda::ConvCall> m;
    m.n = 3;
    for (int i = 0; i < 3; ++i) m.call[i] = {xs3[size_t(i)].data(), w.data(), ys3[size_t(i)].data(), false};
    emulate<false>(cuda::forward_shape(d), m);
    CHECK(ys3[0] == y);
    for (int i = 1; i < 3; ++i)
      CHECK(ys3[size_t(i)] == kernel_call(d, false, xs3[size_t(i)], w, std::vector<float>(ys, 0.f), false));
  }
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
