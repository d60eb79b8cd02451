// ReLU-code Hamming kernel on the GPU: (y > 0) packed into 64-bit words with two warp ballots, then
// exact pairwise __popcll counts, one thread per (a, b) pair of the upper triangle, into int64 K.
// Device code and its launches without launch syntax: the launchers call launch(kernel, grid,
// threads, args...), on a stream in hamming.cu (kernels/cuda/on_stream.cuh) and on the CPU under
// tests/simt_emulator.h.
#pragma once
#include <cstdint>

#include "kernels/cuda/launch.cuh"
#include "kernels/op_table.h"

namespace naswot::cuda {
namespace {  // one copy per translation unit: the GPU build's and the emulation's never meet

// One warp per 64 units of one sample: lane l tests units 64w + l and 64w + 32 + l; bits beyond D stay 0.
__global__ void pack_k(size_t D, size_t words, int B, const float* __restrict__ y, uint64_t* codes) {
  const size_t warp = (blockIdx.x * size_t(blockDim.x) + threadIdx.x) / 32;
  const int lane = threadIdx.x & 31;
  if (warp >= size_t(B) * words) return;  // whole warps leave together: the grid is in whole warps
  const size_t b = warp / words, e = (warp % words) * 64 + lane;
  const uint32_t lo = __ballot_sync(0xffffffffu, e < D && y[b * D + e] > 0.f);
  const uint32_t hi = __ballot_sync(0xffffffffu, e + 32 < D && y[b * D + e + 32] > 0.f);
  if (lane == 0) codes[warp] = uint64_t(lo) | (uint64_t(hi) << 32);
}

__global__ void pairs_k(size_t D, size_t words, int B, const uint64_t* __restrict__ codes, int64_t weight, int64_t* K) {
  const int a = blockIdx.y, b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b >= B || b < a) return;
  const uint64_t* ca = codes + size_t(a) * words;
  const uint64_t* cb = codes + size_t(b) * words;
  long long diff = 0;
  for (size_t w = 0; w < words; ++w) diff += __popcll(ca[w] ^ cb[w]);
  const int64_t v = weight * (int64_t(D) - diff);
  K[size_t(a) * B + b] += v;
  if (a != b) K[size_t(b) * B + a] += v;
}

// 64-bit words of codes scratch for B samples of per_sample units.
inline size_t codes_words(size_t per_sample, int B) { return size_t(B) * ((per_sample + 63) / 64); }

template <class Launch>
void hamming_accumulate(size_t D, int B, const float* y, int64_t weight, int64_t* K, uint64_t* codes, Launch&& launch) {
  if (!D || B <= 0) return;
  const size_t words = (D + 63) / 64, warps = size_t(B) * words;
  launch(pack_k, dim3(unsigned((warps * 32 + kThreads - 1) / kThreads)), unsigned(kThreads), D, words, B, y, codes);
  launch(pairs_k, dim3((B + 127) / 128, B), unsigned(128), D, words, B, codes, weight, K);
}

}  // namespace
}  // namespace naswot::cuda
