// Counter-based random numbers: value j of stream (key) is a pure function of (key, j).
#pragma once
#include <cstdint>

namespace naswot {

inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Key for a stream named by up to three integers, e.g. (seed, architecture, layer).
inline uint64_t stream_key(uint64_t a, uint64_t b = 0, uint64_t c = 0) {
  return mix64(mix64(mix64(a + 0x6A09E667F3BCC909ull) ^ (b + 0xBB67AE8584CAA73Bull)) ^ (c + 0x3C6EF372FE94F82Bull));
}

// The j-th 64-bit draw of a stream (SplitMix64 evaluated at counter j).
inline uint64_t draw(uint64_t key, uint64_t j) { return mix64(key + (j + 1) * 0x9E3779B97F4A7C15ull); }

// Uniform in [0, 1) with 24 random bits, exactly representable as float.
inline float uniform01(uint64_t key, uint64_t j) { return float(draw(key, j) >> 40) * (1.0f / 16777216.0f); }

// Uniform integer in [0, n) (n > 0); the modulo bias is below 2^-32 for the sizes used here.
inline uint64_t below(uint64_t key, uint64_t j, uint64_t n) { return draw(key, j) % n; }

}  // namespace naswot
