// Grid sizing shared by the element-wise CUDA kernels (grid-stride loops).
#pragma once
#include <algorithm>
#include <cstddef>
#include <stdexcept>

namespace naswot::cuda {

constexpr int kThreads = 256;
inline unsigned grid_for(size_t n) {
  // Enough blocks to fill any current GPU; grid-stride loops cover the rest.
  return unsigned(std::max<size_t>(1, std::min<size_t>((n + kThreads - 1) / kThreads, 65536)));
}

// Per-plane launches over [B][C][HW]: one block per (b, c) plane, threads striding over its HW values.
inline unsigned plane_grid(int B, int C) {
  const size_t planes = size_t(B) * size_t(C);
  if (planes >= (size_t(1) << 31)) throw std::length_error("cuda: more than 2^31 planes in one launch");
  return unsigned(std::max<size_t>(planes, 1));
}
inline unsigned plane_threads(int HW) { return unsigned(std::min(kThreads, std::max(32, (HW + 31) / 32 * 32))); }

}  // namespace naswot::cuda
