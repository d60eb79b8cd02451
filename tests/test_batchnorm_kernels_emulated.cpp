// The CUDA batch-norm kernels (kernels/cuda/batchnorm_kernels.cuh) run on the CPU by the SIMT emulator,
// against the CPU backend's batch norm: forward (write, accumulate, fused ReLU), backward (with and
// without a fused ReLU, writing and accumulating), the affine gradients and the tangents; 17 calls in
// launches of 16 = each call alone, bit for bit, with every finished-block counter back at zero.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "engine/backend.h"
#include "tests/op_harness.h"
#include "tests/test_util.h"
// After the standard headers: the emulator defines CUDA's keywords for the kernel header below.
#include "tests/simt_emulator.h"
// clang-format off
#include "kernels/cuda/batchnorm_kernels.cuh"
// clang-format on

using namespace naswot;
using namespace naswot::op_test;
using naswot::test::random_vec;

namespace {

constexpr int C = 8, HW = 12, B = 5;  // 5 samples: nsplit = 5 sample groups per channel
constexpr size_t kAct = size_t(B) * C * HW;
constexpr float kEps = 1e-5f;

struct Scratch {
  std::vector<double> ws = std::vector<double>(cuda::kManyCalls * cuda::bn_workspace_bytes(C, HW, B) / sizeof(double));
  std::vector<unsigned> counters = std::vector<unsigned>(cuda::kManyCalls, 0);
};

struct Forward {
  std::vector<float> y, mean = std::vector<float>(C), rstd = std::vector<float>(C);
};

// n forward calls in launches of kManyCalls on x[i] (same gamma, beta), each output starting at y0.
std::vector<Forward> emulated_forward(const std::vector<std::vector<float>>& x, const std::vector<float>& g,
                                      const std::vector<float>& b, const std::vector<float>& y0, BnStore store,
                                      Scratch& s) {
  std::vector<Forward> out(x.size());
  std::vector<op_args::batchnorm_forward> calls;
  for (size_t i = 0; i < x.size(); ++i) {
    out[i].y = y0;
    calls.emplace_back(C, HW, B, x[i].data(), g.data(), b.data(), kEps, out[i].y.data(), out[i].mean.data(),
                       out[i].rstd.data(), store);
  }
  cuda::batchnorm_forward_dispatch(calls.data(), int(calls.size()), s.ws.data(), s.counters.data(), simt::on_grid());
  return out;
}

}  // namespace

TEST_CASE("CUDA batch norm kernels, emulated: forward and backward against the CPU; 17 calls = alone") {
  auto cpu = make_cpu_backend(0);
  Scratch s;
  const auto x = random_vec(kAct, 71, -1.5f, 2.5f), g = random_vec(C, 72, 0.5f, 1.5f), b = random_vec(C, 73);
  const auto y0 = random_vec(kAct, 74), dy = random_vec(kAct, 75), dx0 = random_vec(kAct, 76);
  const std::vector<float> zeros(C, 0.f);
  for (BnStore store : {BnStore::Write, BnStore::Accumulate, BnStore::ReLU}) {
    CAPTURE(int(store));
    const Forward e = emulated_forward({x}, g, b, y0, store, s)[0];
    const auto c = run(*cpu, {act(x, B, HW), raw(g), raw(b)}, {act(y0, B, HW), raw(zeros), raw(zeros)},
                       [&](const std::vector<float*>& p) {
                         cpu->batchnorm_forward(C, HW, B, p[0], p[1], p[2], kEps, p[3], p[4], p[5], store);
                       });
    CHECK(rel_diff(e.y, c[0]) <= 1e-5);
    CHECK(rel_diff(e.mean, c[1]) <= 1e-6);
    CHECK(rel_diff(e.rstd, c[2]) <= 1e-6);
    for (unsigned k : s.counters) CHECK(k == 0u);

    // Backward through these statistics; a fused ReLU's output where the forward applied one.
    const float* relu_y = store == BnStore::ReLU ? e.y.data() : nullptr;
    for (bool acc : {false, true}) {
      CAPTURE(acc);
      std::vector<float> dx = dx0;
      const op_args::batchnorm_backward call(C, HW, B, dy.data(), x.data(), g.data(), e.mean.data(), e.rstd.data(),
                                             relu_y, dx.data(), acc);
      cuda::batchnorm_backward_dispatch(&call, 1, s.ws.data(), s.counters.data(), simt::on_grid());
      const auto dc =
          run(*cpu, {act(dy, B, HW), act(x, B, HW), raw(g), raw(e.mean), raw(e.rstd), act(e.y, B, HW)},
              {act(dx0, B, HW)}, [&](const std::vector<float*>& p) {
                cpu->batchnorm_backward(C, HW, B, p[0], p[1], p[2], p[3], p[4], relu_y ? p[5] : nullptr, p[6], acc);
              })[0];
      CHECK(rel_diff(dx, dc) <= 1e-5);

      std::vector<float> dg = random_vec(C, 77), db = random_vec(C, 78);
      const std::vector<float> dg0 = dg, db0 = db;
      cuda::batchnorm_backward_affine_dispatch(C, HW, B, dy.data(), x.data(), e.mean.data(), e.rstd.data(), relu_y,
                                               dg.data(), db.data(), acc, simt::on_grid());
      const auto ac = run(*cpu, {act(dy, B, HW), act(x, B, HW), raw(e.mean), raw(e.rstd), act(e.y, B, HW)},
                          {raw(dg0), raw(db0)}, [&](const std::vector<float*>& p) {
                            cpu->batchnorm_backward_affine(C, HW, B, p[0], p[1], p[2], p[3], relu_y ? p[4] : nullptr,
                                                           p[5], p[6], acc);
                          });
      CHECK(rel_diff(dg, ac[0]) <= 1e-5);
      CHECK(rel_diff(db, ac[1]) <= 1e-5);
    }
  }

  // 17 calls: two launches (16 + 1) sharing the scratch; each = the call alone, bit for bit.
  std::vector<std::vector<float>> xs;
  for (int i = 0; i < 17; ++i) xs.push_back(random_vec(kAct, uint32_t(100 + i), -2.f, 2.f));
  const std::vector<Forward> many = emulated_forward(xs, g, b, y0, BnStore::Write, s);
  for (int i = 0; i < 17; i += 4) {
    CAPTURE(i);
    const Forward alone = emulated_forward({xs[size_t(i)]}, g, b, y0, BnStore::Write, s)[0];
    CHECK(many[size_t(i)].y == alone.y);
    CHECK(many[size_t(i)].mean == alone.mean);
    CHECK(many[size_t(i)].rstd == alone.rstd);
  }
  for (unsigned k : s.counters) CHECK(k == 0u);
}

TEST_CASE("CUDA batch norm tangent kernels, emulated, against the CPU") {
  auto cpu = make_cpu_backend(0);
  Scratch s;
  const auto x = random_vec(kAct, 81, -1.f, 2.f), g = random_vec(C, 82, 0.5f, 1.5f), b = random_vec(C, 83);
  const auto tx = random_vec(kAct, 84), tg = random_vec(C, 85), tb = random_vec(C, 86);
  const auto dy = random_vec(kAct, 87), tdy = random_vec(kAct, 88), t0 = random_vec(kAct, 89);
  std::vector<float> coef(cuda::kCoef * C);
  for (BnStore store : {BnStore::Write, BnStore::ReLU}) {
    CAPTURE(int(store));
    const Forward e = emulated_forward({x}, g, b, std::vector<float>(kAct, 0.f), store, s)[0];
    const float* relu_y = store == BnStore::ReLU ? e.y.data() : nullptr;
    std::vector<float> ty = t0;
    cuda::batchnorm_tangent_forward_dispatch(C, HW, B, x.data(), tx.data(), g.data(), tg.data(), tb.data(),
                                             e.mean.data(), e.rstd.data(), relu_y, ty.data(), store, coef.data(),
                                             simt::on_grid());
    const auto tc =
        run(*cpu, {act(x, B, HW), act(tx, B, HW), raw(g), raw(tg), raw(tb), raw(e.mean), raw(e.rstd), act(e.y, B, HW)},
            {act(t0, B, HW)}, [&](const std::vector<float*>& p) {
              cpu->batchnorm_tangent_forward(C, HW, B, p[0], p[1], p[2], p[3], p[4], p[5], p[6],
                                             relu_y ? p[7] : nullptr, p[8], store);
            })[0];
    CHECK(rel_diff(ty, tc) <= 1e-5);

    for (bool acc : {false, true}) {
      CAPTURE(acc);
      std::vector<float> tdx = t0, tdg(C, 0.f), tdb(C, 0.f);
      cuda::batchnorm_tangent_backward_dispatch(C, HW, B, dy.data(), tdy.data(), x.data(), tx.data(), g.data(),
                                                tg.data(), e.mean.data(), e.rstd.data(), relu_y, tdx.data(), tdg.data(),
                                                tdb.data(), acc, coef.data(), simt::on_grid());
      const auto bc = run(*cpu,
                          {act(dy, B, HW), act(tdy, B, HW), act(x, B, HW), act(tx, B, HW), raw(g), raw(tg), raw(e.mean),
                           raw(e.rstd), act(e.y, B, HW)},
                          {act(t0, B, HW), raw(std::vector<float>(C, 0.f)), raw(std::vector<float>(C, 0.f))},
                          [&](const std::vector<float*>& p) {
                            cpu->batchnorm_tangent_backward(C, HW, B, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7],
                                                            relu_y ? p[8] : nullptr, p[9], p[10], p[11], acc);
                          });
      CHECK(rel_diff(tdx, bc[0]) <= 1e-5);
      CHECK(rel_diff(tdg, bc[1]) <= 1e-5);
      CHECK(rel_diff(tdb, bc[2]) <= 1e-5);
    }
  }
}

TEST_CASE("simt emulator: warp shuffles and ballots; a block-wide float64 sum") {
  std::vector<double> sums(64, 0);
  std::vector<unsigned> ballots(64, 0);
  simt::launch(dim3(1), dim3(64), [&] {
    __shared__ double scratch[32];
    const unsigned t = threadIdx.x;
    double v = double(t + 1);
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    ballots[t] = __ballot_sync(0xffffffffu, t % 3 == 0);
    sums[t] = naswot::cuda::block_sum(double(t + 1), scratch);
    if ((t & 31) == 0) sums[t] += 1000 * v;  // lane 0: its warp's total
  });
  // Warp 0 holds 1..32 (sum 528), warp 1 33..64 (sum 1552); the block 2080.
  CHECK(sums[0] == 2080 + 1000 * 528.0);
  CHECK(sums[32] == 2080 + 1000 * 1552.0);
  CHECK(sums[5] == 2080);
  unsigned want0 = 0, want1 = 0;
  for (unsigned l = 0; l < 32; ++l) want0 |= (l % 3 == 0 ? 1u : 0u) << l, want1 |= ((32 + l) % 3 == 0 ? 1u : 0u) << l;
  CHECK(ballots[7] == want0);
  CHECK(ballots[40] == want1);
}
