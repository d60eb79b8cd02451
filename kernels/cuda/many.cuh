// Several calls of one op in one launch: the calls' own arguments travel by value in the kernel's
// parameters and blockIdx.y picks the call. Each op's single launcher is its many launcher with one
// call, so a call computes the same bits alone or in a lockstep step.
#pragma once
#include <algorithm>
#include <cstddef>

#include "kernels/cuda/launch.cuh"

namespace naswot::cuda {

// Calls per launch: 16 calls of the largest per-call record (batch norm's, 64 bytes) stay well
// under the 4 KB of kernel parameters every CUDA version accepts.
constexpr int kManyCalls = 16;

template <class T>
struct Many {
  T call[kManyCalls];
  int n = 0;
};

// Packs calls[0, n) into launches of up to kManyCalls: pack(call) -> T per call, then
// launch(const Many<T>&) per launch.
template <class T, class Args, class Pack, class Launch>
void for_launches(const Args* calls, int n, Pack pack, Launch launch) {
  for (int i0 = 0; i0 < n; i0 += kManyCalls) {
    Many<T> m;
    m.n = std::min(kManyCalls, n - i0);
    for (int k = 0; k < m.n; ++k) m.call[k] = pack(calls[i0 + k]);
    launch(m);
  }
}

// Grid-stride blocks per call for n elements: as many as one call alone would take, within a total
// that fills any current GPU.
inline unsigned blocks_per_call(size_t n, int calls) {
  const size_t want = (n + kThreads - 1) / kThreads, cap = std::max<size_t>(1, size_t(65536) / size_t(calls));
  return unsigned(std::max<size_t>(1, std::min(want, cap)));
}

}  // namespace naswot::cuda
