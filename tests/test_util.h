// Shared helpers for the doctest suite: random tensors and the test data directory.
#pragma once
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace naswot::test {

inline std::vector<float> random_vec(size_t n, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(gen);
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
