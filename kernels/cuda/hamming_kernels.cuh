// The Hamming score's ReLU codes on the GPU (kernels/ops.def: relu_codes, hamming_pairs): (y > 0)
// packed word-major with two warp ballots per word, then exact pairwise popcounts over all of a
// network's words at once, in 32 x 32 tiles of K and chunks of words, summed into K with integer
// atomics (exact, so the order does not matter). Several calls per launch (kernels/cuda/many.cuh).
// Device code and its launches without launch syntax: the launchers call launch(kernel, grid,
// threads, args...), on a stream in hamming.cu (kernels/cuda/on_stream.cuh) and on the CPU under
// tests/simt_emulator.h.
#pragma once
#include <cstdint>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/many.cuh"
#include "kernels/op_table.h"

namespace naswot::cuda {
namespace {  // one copy per translation unit: the GPU build's and the emulation's never meet

struct CodesCall {
  const float* y;
  uint64_t* codes;
};
// One warp per word (w, b), words of one sample consecutive so that a warp's neighbours read on: lane l
// tests units 64w + l and 64w + 32 + l; bits past D stay 0. Whole warps loop together (the block is
// whole warps), so every lane reaches the ballots.
__global__ void relu_codes_k(size_t D, int B, Many<CodesCall> a) {
  const CodesCall c = a.call[blockIdx.y];
  const size_t words = (D + 63) / 64, n = words * size_t(B);
  const int lane = threadIdx.x & 31;
  const size_t step = size_t(gridDim.x) * blockDim.x / 32;
  for (size_t warp = (blockIdx.x * size_t(blockDim.x) + threadIdx.x) / 32; warp < n; warp += step) {
    const size_t b = warp / words, w = warp % words, e = w * 64 + lane;
    const uint32_t lo = __ballot_sync(0xffffffffu, e < D && c.y[b * D + e] > 0.f);
    const uint32_t hi = __ballot_sync(0xffffffffu, e + 32 < D && c.y[b * D + e + 32] > 0.f);
    if (lane == 0) c.codes[w * B + b] = uint64_t(lo) | (uint64_t(hi) << 32);
  }
}

struct PairsCall {
  const uint64_t* codes;
  int64_t* K;
  bool acc;
};
constexpr int kPairTile = 32;      // samples per side of a tile of K
constexpr int kPairStage = 32;     // words staged in shared memory at a time
constexpr int kPairChunk = 256;    // words per block (a tile's sum is split over chunks)
constexpr int kPairThreads = 256;  // 32 x 8: each thread sums 4 pairs of its tile

// K of the calls that write it (not accumulate) to zero, before the pairs' atomics add to it.
__global__ void pairs_zero_k(size_t n, Many<PairsCall> a) {
  const PairsCall c = a.call[blockIdx.y];
  if (c.acc) return;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) c.K[i] = 0;
}

// blockIdx.x: (tile, chunk), the tiles (ta <= tb) of K's upper triangle in row order; blockIdx.y: the
// call. A diagonal tile computes both of its halves; another adds each sum at (a, b) and (b, a).
// Each thread's sums stay below 2^31: kPairChunk * 64 bits.
__global__ void __launch_bounds__(kPairThreads)
    hamming_pairs_k(int B, size_t words, int64_t D, int64_t weight, int chunks, Many<PairsCall> a) {
  __shared__ uint64_t sa[kPairStage][kPairTile], sb[kPairStage][kPairTile];
  const PairsCall c = a.call[blockIdx.y];
  const int tiles = (B + kPairTile - 1) / kPairTile;
  int t = int(blockIdx.x) / chunks, ta = 0;
  const int chunk = int(blockIdx.x) % chunks;
  while (t >= tiles - ta) t -= tiles - ta, ++ta;
  const int tb = ta + t, a0 = ta * kPairTile, b0 = tb * kPairTile;
  const int tx = threadIdx.x % kPairTile, ty = threadIdx.x / kPairTile;
  const size_t w_begin = size_t(chunk) * kPairChunk;
  const size_t w_end = words < w_begin + kPairChunk ? words : w_begin + kPairChunk;
  int diff[4] = {0, 0, 0, 0};
  for (size_t w0 = w_begin; w0 < w_end; w0 += kPairStage) {
    for (int i = threadIdx.x; i < kPairStage * kPairTile; i += kPairThreads) {
      const int k = i / kPairTile, s = i % kPairTile;
      const size_t w = w0 + size_t(k);
      sa[k][s] = w < w_end && a0 + s < B ? c.codes[w * B + size_t(a0 + s)] : 0;
      sb[k][s] = w < w_end && b0 + s < B ? c.codes[w * B + size_t(b0 + s)] : 0;
    }
    __syncthreads();
    for (int k = 0; k < kPairStage; ++k) {
      const uint64_t vb = sb[k][tx];
      for (int r = 0; r < 4; ++r) diff[r] += __popcll(sa[k][ty + 8 * r] ^ vb);
    }
    __syncthreads();
  }
  const int b = b0 + tx;
  for (int r = 0; r < 4; ++r) {
    const int row = a0 + ty + 8 * r;
    if (row >= B || b >= B) continue;
    const int64_t v = weight * ((chunk == 0 ? D : 0) - int64_t(diff[r]));
    atomicAdd(reinterpret_cast<unsigned long long*>(c.K + size_t(row) * B + b), static_cast<unsigned long long>(v));
    if (ta != tb)
      atomicAdd(reinterpret_cast<unsigned long long*>(c.K + size_t(b) * B + row), static_cast<unsigned long long>(v));
  }
}

template <class Launch>
void relu_codes_many(const op_args::relu_codes* calls, int n, Launch&& launch) {
  const size_t D = n ? std::get<0>(calls[0]) : 0;
  const int B = n ? std::get<1>(calls[0]) : 0;
  if (!D || B <= 0) return;
  const size_t threads = (D + 63) / 64 * size_t(B) * 32;
  for_launches<CodesCall>(
      calls, n,
      [](const op_args::relu_codes& c) {
        return CodesCall{std::get<2>(c), std::get<3>(c)};
      },
      [&](const Many<CodesCall>& m) {
        launch(relu_codes_k, dim3(blocks_per_call(threads, m.n), m.n), unsigned(kThreads), D, B, m);
      });
}

template <class Launch>
void hamming_pairs_many(const op_args::hamming_pairs* calls, int n, Launch&& launch) {
  if (!n) return;
  const int B = std::get<0>(calls[0]);
  const size_t words = std::get<1>(calls[0]);
  const int64_t D = std::get<3>(calls[0]), weight = std::get<4>(calls[0]);
  if (B <= 0) return;
  const int tiles = (B + kPairTile - 1) / kPairTile;
  const size_t chunks = std::max<size_t>(1, (words + kPairChunk - 1) / kPairChunk);
  const size_t blocks = size_t(tiles) * size_t(tiles + 1) / 2 * chunks;
  if (blocks >= (size_t(1) << 31)) throw std::length_error("cuda: hamming_pairs: too many words for one launch");
  for_launches<PairsCall>(
      calls, n,
      [](const op_args::hamming_pairs& c) {
        return PairsCall{std::get<2>(c), std::get<5>(c), std::get<6>(c)};
      },
      [&](const Many<PairsCall>& m) {
        const size_t kk = size_t(B) * size_t(B);
        bool zero = false;
        for (int i = 0; i < m.n; ++i) zero = zero || !m.call[i].acc;
        if (zero) launch(pairs_zero_k, dim3(blocks_per_call(kk, m.n), m.n), unsigned(kThreads), kk, m);
        launch(hamming_pairs_k, dim3(unsigned(blocks), m.n), unsigned(kPairThreads), B, words, D, weight, int(chunks),
               m);
      });
}

}  // namespace
}  // namespace naswot::cuda
