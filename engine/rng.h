// Counter-based random numbers: value j of stream (key) is a pure function of (key, j).
#pragma once
#include <cstdint>

#include "kernels/counter_rng.h"

namespace naswot {

// Key for a stream named by up to three integers, e.g. (seed, architecture, layer).
inline uint64_t stream_key(uint64_t a, uint64_t b = 0, uint64_t c = 0) {
  return mix64(mix64(mix64(a + 0x6A09E667F3BCC909ull) ^ (b + 0xBB67AE8584CAA73Bull)) ^ (c + 0x3C6EF372FE94F82Bull));
}

// Uniform integer in [0, n) (n > 0); the modulo bias is below 2^-32 for the sizes used here.
inline uint64_t below(uint64_t key, uint64_t j, uint64_t n) { return draw(key, j) % n; }

}  // namespace naswot
