// Counter-based random numbers: value j of a stream is a pure function of (key, j), the same on the
// CPU and a GPU (integer arithmetic only; engine/rng.h names the streams).
#pragma once
#include <cstdint>

#include "kernels/host_device.h"

namespace naswot {

NASWOT_HOST_DEVICE inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The j-th 64-bit draw of a stream (SplitMix64 evaluated at counter j).
NASWOT_HOST_DEVICE inline uint64_t draw(uint64_t key, uint64_t j) {
  return mix64(key + (j + 1) * 0x9E3779B97F4A7C15ull);
}

// Uniform in [0, 1) with 24 random bits, exactly representable as float.
NASWOT_HOST_DEVICE inline float uniform01(uint64_t key, uint64_t j) {
  return float(draw(key, j) >> 40) * (1.0f / 16777216.0f);
}

}  // namespace naswot
