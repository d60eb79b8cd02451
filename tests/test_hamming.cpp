// Hamming-kernel score: popcount kernel against naive counts, logdet against closed forms, site weights.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "engine/score_hamming.h"
#include "kernels/cpu/cpu_kernels.h"
#include "searchspaces/nb201.h"
#include "tests/test_util.h"

using namespace naswot;

TEST_CASE("popcount of xor over awkward word counts") {
  std::mt19937_64 gen(3);
  for (size_t n : {1, 7, 8, 9, 15, 16, 17, 63, 257}) {
    std::vector<uint64_t> a(n), b(n);
    uint64_t naive = 0;
    for (size_t i = 0; i < n; ++i) {
      a[i] = gen();
      b[i] = gen();
      for (int k = 0; k < 64; ++k) naive += ((a[i] >> k) & 1) != ((b[i] >> k) & 1);
    }
    CAPTURE(n);
    CHECK(cpu::popcount_xor(a.data(), b.data(), n) == naive);
  }
}

TEST_CASE("Hamming kernel equals the naive count of agreeing ReLU states") {
  for (auto [D, B] : {std::pair<size_t, int>{1, 3}, {100, 5}, {257, 37}, {4096, 16}}) {
    CAPTURE(D);
    auto y = test::random_vec(D * size_t(B), uint32_t(D + B));
    for (size_t i = 0; i < y.size(); i += 7) y[i] = 0.f;  // exact zeros count as inactive (x > 0 is strict)
    std::vector<int64_t> K(size_t(B) * B, 5);             // accumulates onto what is there
    std::vector<uint64_t> scratch;
    // y is NCHW-like (B x D); the kernel reads the blocked layout (D channels of one pixel).
    cpu::hamming_accumulate(D, B, test::blocked(y, B, int(D), 1).data(), 3, K.data(), scratch);
    bool all = true;
    for (int a = 0; a < B; ++a)
      for (int b = 0; b < B; ++b) {
        int64_t agree = 0;
        for (size_t e = 0; e < D; ++e) agree += (y[a * D + e] > 0) == (y[b * D + e] > 0);
        all &= K[size_t(a) * B + b] == 5 + 3 * agree;
      }
    CHECK(all);
  }
}

TEST_CASE("logdet of K_H: closed forms and singular kernels") {
  // diag(2, 3, 5) -> ln 30; [[4, 2], [2, 3]] -> ln 8
  HammingScore s = hamming_logdet({2, 0, 0, 0, 3, 0, 0, 0, 5}, 3);
  REQUIRE(s.status == ScoreStatus::Ok);
  CHECK(s.score == doctest::Approx(std::log(30.0)).epsilon(1e-14));
  CHECK(hamming_logdet({4, 2, 2, 3}, 2).score == doctest::Approx(std::log(8.0)).epsilon(1e-14));
  // Two samples with identical codes: identical rows, K singular -> degenerate, -inf, never NaN.
  s = hamming_logdet({10, 10, 4, 10, 10, 4, 4, 4, 10}, 3);
  CHECK(s.status == ScoreStatus::Degenerate);
  CHECK(std::isinf(s.score));
  CHECK(hamming_logdet({0, 0, 0, 0}, 2).status == ScoreStatus::Degenerate);
}

TEST_CASE("ReLU site weights reproduce the reference's hook counts (docs/scores.md)") {
  // Reference: 2 * (15 * n_conv + 4) + 1 hooked modules; each: 15 * n_conv + 4 + 1 ReLU modules.
  for (int index : {0, 1, 10, 9, 15624}) {
    const nb201::Arch a = nb201::from_index(index);
    int n_conv = 0;
    for (int op : a.ops) n_conv += op == nb201::Conv1x1 || op == nb201::Conv3x3;
    const Graph g = nb201::build(a);
    int64_t each = 0, ref = 0;
    for (const Node& n : g.nodes) {
      each += relu_site_weight(n, ReluSites::Each);
      ref += relu_site_weight(n, ReluSites::Reference);
    }
    CAPTURE(index);
    CHECK(each == 15 * n_conv + 5);
    CHECK(ref == 2 * (15 * n_conv + 4) + 1);
  }
  CHECK(2 * (15 * 2 + 4) + 1 == 69);  // index 0's count in the reference
}
