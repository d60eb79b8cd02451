// Shared helpers for the doctest suite: random tensors and the test data directory.
#pragma once
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "engine/graph.h"
#include "kernels/cpu/cpu_kernels.h"
#include "searchspaces/nb101.h"

namespace naswot::test {

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
