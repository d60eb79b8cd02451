// Shared helpers for the doctest suite: random tensors and the test data directory.
#pragma once
#include <cmath>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "engine/graph.h"
#include "kernels/cpu/cpu_kernels.h"
#include "searchspaces/nb101.h"

namespace naswot::test {

// How far --sigma-precision fp32 may move the Sigma_J score from fp64's, given fp64's eigenvalues of
// Sigma (from rows of `cols` values; k the score's shift). Each entry of Sigma is a dot product of two
// unit rows in float32; its rounding error behaves like a sum of `cols` errors of random sign, about
// sqrt(cols) * u (u = 2^-24; Higham & Mary 2019), while the worst case cols * u does not happen. To first
// order eigenvalue i moves by v_i^T dSigma v_i for its unit eigenvector v_i: a sum of entry errors
// weighted by v_ia v_ib, whose squares sum to 1, so again about sqrt(cols) * u; twice that is delta.
// The score's term f(x) = ln(x + k) + 1/(x + k) has |f'(x)| <= 1/y + 1/y^2 for x + k >= y > 0, so
// eigenvalue lambda changes the score by at most delta (1/y + 1/y^2), y = lambda - delta + k.
// Infinite when y <= 0: float32 then cannot determine the score.
inline double sigma_fp32_score_bound(const std::vector<double>& eigenvalues, size_t cols, double k) {
  const double delta = 2.0 * std::sqrt(double(cols + 2)) * std::ldexp(1.0, -24);
  double bound = 0;
  for (double lambda : eigenvalues) {
    const double y = lambda - delta + k;
    if (!(y > 0)) return INFINITY;
    bound += delta * (1 / y + 1 / (y * y));
  }
  return bound;
}

inline std::vector<float> random_vec(size_t n, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(gen);
  return v;
}

// Tests speak NCHW (B x C x P pixels); the CPU kernels take the blocked layout of cpu_kernels.h.
inline std::vector<float> blocked(const float* nchw, int B, int C, int P) {
  std::vector<float> v(cpu::padded_batch(B) * size_t(C) * P);
  cpu::to_blocked(B, C, P, nchw, v.data());
  return v;
}
inline std::vector<float> blocked(const std::vector<float>& nchw, int B, int C, int P) {
  return blocked(nchw.data(), B, C, P);
}
inline std::vector<float> unblocked(const std::vector<float>& blk, int B, int C, int P) {
  std::vector<float> v(size_t(B) * C * P);
  cpu::from_blocked(B, C, P, blk.data(), v.data());
  return v;
}

// A small NB101 network (2 stacks of 1 module) of a cell with every NB101 feature: a max pool, 1x1 and
// 3x3 convolutions, an input projection and the output concatenation.
inline Graph small_nb101(int stem = 8, int num_classes = 1) {
  nb101::NetConfig small;
  small.stem = stem;
  small.stacks = 2;
  small.modules_per_stack = 1;
  small.num_classes = num_classes;
  return nb101::build(nb101::parse_cell("0100110/0010000/0001001/0000010/0000010/0000001/0000000",
                                        "conv3x3,maxpool3x3,conv3x3,conv3x3,conv1x1"),
                      small);
}

// ../shared/data as configured by CTest (NASWOT_TEST_DATA), or NASWOT_DATA; empty when neither is set.
inline std::string data_dir() {
  if (const char* d = std::getenv("NASWOT_TEST_DATA"); d && *d) return d;
  if (const char* d = std::getenv("NASWOT_DATA"); d && *d) return d;
  return "";
}

// The message of the naswot::Error that fn throws, or "no error".
std::string error_of(const std::function<void()>& fn);

}  // namespace naswot::test
