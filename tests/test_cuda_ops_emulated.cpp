// Every case of the op table on the CUDA backend's own kernels, run on the CPU by the SIMT emulator
// (tests/emulated_cuda_backend.h), against the CPU backend, writing and accumulating, within the
// cases' GPU tolerances: what tests/gpu checks on a device, for every op that does not go to cuDNN,
// cuBLAS or cuSOLVER; and whole NB201 networks, alone and several per launch (lockstep: bit for bit).
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "engine/executor.h"
#include "engine/init.h"
#include "engine/lockstep.h"
#include "engine/score_hamming.h"
#include "engine/scorer.h"
#include "searchspaces/space.h"
#include "tests/op_cases.h"
#include "tests/op_harness.h"
#include "tests/test_util.h"
// After the standard headers: the emulator defines CUDA's keywords for the kernel headers.
#include "tests/simt_emulator.h"
// clang-format off
#include "tests/emulated_cuda_backend.h"
// clang-format on

using namespace naswot;
using namespace naswot::op_test;

TEST_CASE("the op table on the CUDA kernels, emulated, against the CPU backend") {
  auto cpu = make_cpu_backend(0);
  test::EmulatedCudaBackend emu;
  const Coverage cov = check_cases_against(
      *cpu, emu, [](const std::exception& e) { return dynamic_cast<const test::NotEmulated*>(&e) != nullptr; },
      [&] { CHECK(emu.counters_clear()); });
  // Everything naswot's CUDA backend computes with its own kernels is covered; the rest are library calls.
  for (const char* op : {"fill",
                         "draw_weights",
                         "conv2d_forward",
                         "conv2d_backward_data",
                         "batchnorm_forward",
                         "batchnorm_backward",
                         "batchnorm_backward_affine",
                         "relu_forward",
                         "relu_backward",
                         "add_forward",
                         "copy_or_accumulate",
                         "copy_channels",
                         "avgpool3x3_forward",
                         "avgpool3x3_backward",
                         "avgpool2x2_forward",
                         "avgpool2x2_backward",
                         "global_avgpool_forward",
                         "global_avgpool_backward",
                         "maxpool_forward",
                         "maxpool_backward",
                         "batchnorm_tangent_forward",
                         "batchnorm_tangent_backward",
                         "maxpool_tangent_forward",
                         "fisher_terms"}) {
    CAPTURE(op);
    CHECK(cov.checked.count(op) == 1);
  }
  for (const std::string& op : cov.skipped)
    CHECK((op == "conv2d_backward_weight" || op.rfind("linear_", 0) == 0 || op.rfind("conv2d_", 0) == 0));
  MESSAGE("emulated CUDA ops: " << cov.checked.size() << " covered, " << cov.skipped.size() << " left to libraries");
}

TEST_CASE(
    "NB201 networks on the emulated CUDA kernels: Jacobian scores and Hamming kernels as the CPU's; lockstep = alone") {
  // 16x16 inputs and 2 samples keep the emulation quick; the library calls (stride-2 convolutions, the
  // classifier, Sigma_J's score) run on the stand-in CPU backend, everything else on naswot's kernels.
  const Space& sp = space_named("nb201");
  NetShape shape;
  shape.image = 16;
  constexpr int B = 2;
  const std::vector<float> batch = test::random_vec(size_t(B) * 3 * 16 * 16, 9, -2.f, 2.f);
  test::EmulatedCudaBackend emu(/*library_stand_ins=*/true);
  auto cpu = make_cpu_backend(0);
  Executor ee(emu), ec(*cpu);
  std::vector<Graph> graphs;
  std::vector<std::vector<float>> params;
  std::vector<JacobScore> alone;
  for (long index : {123L, 4000L, 15624L}) {
    CAPTURE(index);
    graphs.push_back(sp.build(index, shape));
    params.push_back(init_params(graphs.back(), 0, sp.weight_key(index)));
    const JacobScore e = score_network(ee, graphs.back(), params.back(), batch, B, false).score;
    const JacobScore c = score_network(ec, graphs.back(), params.back(), batch, B, false).score;
    CHECK(e.status == c.status);
    if (c.status == ScoreStatus::Ok) CHECK(std::fabs(e.score - c.score) <= 1e-3 * std::fabs(c.score));
    alone.push_back(e);
  }
  Lockstep ls(emu);
  std::vector<Lockstep::Net> nets;
  for (size_t i = 0; i < graphs.size(); ++i) nets.push_back({&graphs[i], &params[i]});
  const std::vector<JacobScore> together = ls.jacob_cov(nets, batch.data(), B);
  REQUIRE(together.size() == alone.size());
  for (size_t i = 0; i < alone.size(); ++i) {
    CAPTURE(i);
    CHECK(together[i].status == alone[i].status);
    CHECK(std::memcmp(&together[i].score, &alone[i].score, sizeof(double)) == 0);
  }
  CHECK(ls.stats().steps < ls.stats().calls);  // several networks per launch
  CHECK(emu.counters_clear());

  // Hamming kernels: lockstep = alone exactly; against the CPU within a few ReLU units, those whose
  // pre-activation is so near zero that the two backends' float rounding puts it on either side.
  const auto weight = [](const Node& n) { return relu_site_weight(n, ReluSites::Each); };
  const auto K = ls.hamming_kernels(nets, batch.data(), B, weight);
  REQUIRE(K.size() == graphs.size());
  for (size_t i = 0; i < graphs.size(); ++i) {
    CAPTURE(i);
    const auto alone_K = ee.hamming_kernel(graphs[i], params[i], batch.data(), B, weight).K;
    const auto cpu_K = ec.hamming_kernel(graphs[i], params[i], batch.data(), B, weight).K;
    CHECK(K[i] == alone_K);
    REQUIRE(alone_K.size() == cpu_K.size());
    for (size_t j = 0; j < alone_K.size(); ++j) CHECK(std::llabs(alone_K[j] - cpu_K[j]) <= 1e-4 * double(cpu_K[0]));
  }
}

TEST_CASE("the CUDA Hamming kernels, emulated, on the CPU backend's own activations: the same integers") {
  // Signs decided from the same values (zeros, negative zeros, tiny values included): the emulated
  // pack (warp ballots) and pair counts (popcount) must give the CPU's K exactly.
  constexpr int B = 5;
  constexpr size_t D = 200;  // not a multiple of 64: a partial last word
  std::vector<float> y = test::random_vec(size_t(B) * D, 31);
  for (size_t i = 0; i < y.size(); i += 7) y[i] = 0.f;
  for (size_t i = 3; i < y.size(); i += 11) y[i] = -0.f;
  for (size_t i = 5; i < y.size(); i += 13) y[i] = 1e-30f;
  test::EmulatedCudaBackend emu;
  auto cpu = make_cpu_backend(0);
  const auto on = [&](Backend& be) {
    float* A = be.arena(be.padded_batch(B) * D * 2);
    be.upload_batch(y.data(), B, int(D), 1, A);
    be.hamming_begin(B);
    be.hamming_accumulate(D, A, 3);
    be.hamming_accumulate(D, A, 2);  // accumulates
    return be.hamming_end();
  };
  const auto K = on(emu);
  CHECK(K == on(*cpu));
  CHECK(K[0] == 5 * int64_t(D));  // a sample agrees with itself everywhere
}

TEST_CASE("NB101 networks on the emulated CUDA kernels: max pools, concatenation, projections; drawn weights") {
  // NASWOT's NB101 network (stem 16) at 2 samples: fused BN + ReLU, max pools, channel concatenation
  // and 1x1 projections on naswot's kernels; scores as the CPU backend's; weights drawn by the
  // emulated kernel = weights drawn on the host, bit for bit.
  const Space& sp = space_named("nb101");
  constexpr int B = 2;
  const std::vector<float> batch = test::random_vec(size_t(B) * 3 * 32 * 32, 19, -2.f, 2.f);
  test::EmulatedCudaBackend emu(/*library_stand_ins=*/true);
  auto cpu = make_cpu_backend(0);
  Executor ee(emu), ec(*cpu);
  for (long index : {0L, 2L}) {  // conv3x3, conv1x1 and max pools, branches joined by concatenation
    CAPTURE(index);
    const Graph g = sp.build(index, NetShape{});
    const std::vector<float> w = init_params(g, 0, sp.weight_key(index));
    const JacobScore e = score_network(ee, g, w, batch, B, false).score;
    const JacobScore c = score_network(ec, g, w, batch, B, false).score;
    CHECK(e.status == c.status);
    if (c.status == ScoreStatus::Ok) CHECK(std::fabs(e.score - c.score) <= 1e-3 * std::fabs(c.score));
    const std::vector<WeightDraw> table = weight_draws(g, 0, sp.weight_key(index));
    const JacobScore drawn = score_network(ee, g, Weights(table), batch, B, false).score;
    CHECK(std::memcmp(&drawn.score, &e.score, sizeof(double)) == 0);
  }
}
