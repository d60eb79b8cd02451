// The baseline of bench/hamming_bench.cpp: engine 0.2.0's Hamming accumulation on the GPU, one ReLU site
// at a time: pack the site's codes sample-major (one warp per word, two ballots), then add its pairwise
// counts into K with one thread per (a, b) pair of the upper triangle. Kept only to be timed against
// the op table's relu_codes and hamming_pairs (kernels/cuda/hamming_kernels.cuh) in the same run.
// Device code and its launches without launch syntax (kernels/cuda/launch.cuh's convention).
#pragma once
#include <cstdint>

#include "kernels/cuda/launch.cuh"

namespace naswot::bench_v020 {
namespace {

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

// K (+)= one site's counts; codes: B * ceil(D / 64) words of scratch.
template <class Launch>
void accumulate(size_t D, int B, const float* y, int64_t weight, int64_t* K, uint64_t* codes, Launch&& launch) {
  if (!D || B <= 0) return;
  const size_t words = (D + 63) / 64, warps = size_t(B) * words;
  const int threads = cuda::kThreads;
  launch(pack_k, dim3(unsigned((warps * 32 + threads - 1) / threads)), unsigned(threads), D, words, B, y, codes);
  launch(pairs_k, dim3((B + 127) / 128, B), unsigned(128), D, words, B, codes, weight, K);
}

}  // namespace
}  // namespace naswot::bench_v020
