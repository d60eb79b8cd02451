// Hamming-kernel score: popcount kernel against naive counts, logdet against closed forms, site weights.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "engine/score_hamming.h"
#include "kernels/cpu/cpu_kernels.h"
#include "searchspaces/nb201.h"
#include "tests/test_util.h"

using namespace naswot;

TEST_CASE("xor popcounts over awkward row lengths") {
  std::mt19937_64 gen(3);
  for (size_t n : {1, 7, 8, 9, 15, 16, 17, 63, 257}) {
    std::vector<uint64_t> row(n), acc(n);
    std::vector<uint64_t> naive(n);
    const uint64_t c = gen();
    for (size_t i = 0; i < n; ++i) {
      row[i] = gen();
      acc[i] = naive[i] = gen() >> 8;  // what the counts add to
      for (int k = 0; k < 64; ++k) naive[i] += ((c >> k) & 1) != ((row[i] >> k) & 1);
    }
    CAPTURE(n);
    cpu::xor_popcount_add(c, row.data(), acc.data(), n);
    CHECK(acc == naive);
  }
}

TEST_CASE("Hamming kernel equals the naive count of agreeing ReLU states") {
  // Two sites of different sizes, their codes rows concatenated, summed by one hamming_pairs call:
  // K = 5 (what was there) + 3 * (units whose states agree, over both sites).
  for (auto [D, B] : {std::pair<size_t, int>{1, 3}, {100, 5}, {257, 37}, {4096, 16}, {5000, 130}}) {
    CAPTURE(D);
    CAPTURE(B);
    const size_t D2 = D + 70, words = (D + 63) / 64 + (D2 + 63) / 64;
    auto y = test::random_vec(D * size_t(B), uint32_t(D + B)), y2 = test::random_vec(D2 * size_t(B), 9);
    for (size_t i = 0; i < y.size(); i += 7) y[i] = 0.f;  // exact zeros count as inactive (x > 0 is strict)
    std::vector<uint64_t> codes(words * size_t(B), ~uint64_t(0));
    // y is NCHW-like (B x D); the kernel reads the blocked layout (D channels of one pixel).
    cpu::relu_codes(D, B, test::blocked(y, B, int(D), 1).data(), codes.data());
    cpu::relu_codes(D2, B, test::blocked(y2, B, int(D2), 1).data(), codes.data() + (D + 63) / 64 * size_t(B));
    std::vector<int64_t> K(size_t(B) * B, 5);  // accumulates onto what is there
    cpu::hamming_pairs(B, words, codes.data(), int64_t(D + D2), 3, K.data(), true);
    bool all = true;
    for (int a = 0; a < B; ++a)
      for (int b = 0; b < B; ++b) {
        int64_t agree = 0;
        for (size_t e = 0; e < D; ++e) agree += (y[a * D + e] > 0) == (y[b * D + e] > 0);
        for (size_t e = 0; e < D2; ++e) agree += (y2[a * D2 + e] > 0) == (y2[b * D2 + e] > 0);
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
