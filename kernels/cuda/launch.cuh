// Grid sizing shared by the element-wise CUDA kernels (grid-stride loops).
#pragma once
#include <algorithm>
#include <cstddef>

namespace naswot::cuda {

constexpr int kThreads = 256;
inline unsigned grid_for(size_t n) {
  // Enough blocks to fill any current GPU; grid-stride loops cover the rest.
  return unsigned(std::max<size_t>(1, std::min<size_t>((n + kThreads - 1) / kThreads, 65536)));
}

}  // namespace naswot::cuda
