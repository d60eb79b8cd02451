// Shared helpers for the doctest suite: random tensors and the test data directory.
#pragma once
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/cpu_kernels.h"

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

// ../shared/data as configured by CTest (NASWOT_TEST_DATA), or NASWOT_DATA; empty when neither is set.
inline std::string data_dir() {
  if (const char* d = std::getenv("NASWOT_TEST_DATA"); d && *d) return d;
  if (const char* d = std::getenv("NASWOT_DATA"); d && *d) return d;
  return "";
}

// The message of the naswot::Error that fn throws, or "no error".
std::string error_of(const std::function<void()>& fn);

}  // namespace naswot::test
