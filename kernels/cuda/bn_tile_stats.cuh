// Batch norm's statistics summed in the order of naswot's direct convolution's output tiles, so that the
// convolution can sum them as it stores its output (conv2d_forward_bn_stats) and a batch norm on its
// own sums them in the same order: the same bits either way. Planes of P = 64, 256 or 1024 pixels are
// read as W x W (W = 8, 16, 32); blocks of 128 threads, each thread 8 channels x 8 adjacent pixels of
// one row: G groups of 8 channels (G from C, as the direct kernel chooses), 128 / G row segments per
// block, kRows rows (counted over samples) per block. Device code without launch syntax.
#pragma once
#include <algorithm>
#include <stdexcept>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/many.cuh"
#include "kernels/cuda/reduce.cuh"

namespace naswot::cuda {
namespace {  // one copy per translation unit: the GPU build's and the emulation's never meet

constexpr int kTileThreads = 128;

// The output tile of a block: W / 8 segments of 8 pixels per row, kSegs segments per channel group.
template <int W, int G>
struct OutputTile {
  static constexpr int kSegs = kTileThreads / G;
  static constexpr int kSegsPerRow = W / 8;
  static constexpr int kRows = kSegs / kSegsPerRow;  // output rows per block, counted over samples
};

inline int tile_groups(int C) { return C <= 16 ? 2 : C <= 32 ? 4 : 8; }
inline bool tile_stats_supported(int P) { return P == 64 || P == 256 || P == 1024; }
inline int tile_width(int P) { return P == 64 ? 8 : P == 256 ? 16 : 32; }
inline int tile_rows(int P, int C) { return kTileThreads / tile_groups(C) / (tile_width(P) / 8); }
// The blocks of rows over the batch (a statistic's partial sums per channel) and of channel groups.
inline unsigned tile_row_blocks(int P, int C, int B) {
  const long long rows = (long long)B * tile_width(P), n = (rows + tile_rows(P, C) - 1) / tile_rows(P, C);
  if (n >= (1ll << 31)) throw std::length_error("cuda batch norm: too many rows for one launch");
  return unsigned(n);
}
inline unsigned tile_channel_blocks(int C) { return unsigned((C + 8 * tile_groups(C) - 1) / (8 * tile_groups(C))); }
inline size_t tile_stats_bytes(int P, int C, int B) {
  return (size_t(C) * tile_row_blocks(P, C, B) * 2 * sizeof(double) + 255) / 256 * 256;
}

// One call's statistics: its partial sums [C][row blocks][2] (scratch), its finished-block counter
// (zero before and after the launch), and where mean and rstd of the C channels go.
struct TileStats {
  double* partial = nullptr;
  unsigned* counter = nullptr;
  float *mean = nullptr, *rstd = nullptr;
  float eps = 0.f;
};

// Every thread of the block calls it with its values v[i][j] (channel blockIdx.y * 8G + 8g + i, pixel j
// of its segment; zero past the batch and past C). Each thread sums its channels' 8 values in order
// (float64); a fixed shuffle tree sums each channel over the L = min(kSegs, 32) segments of a warp,
// thread k < 8G channel k's kSegs / L warp sums in order, into the block's partial; the call's last
// block to finish sums every channel's partials in order (a warp per channel, then a shuffle tree)
// and stores mean and rstd = 1 / sqrt(biased variance + eps), from unshifted sums (the tile's values
// are not known before they are computed).
template <int W, int G>
__device__ void tile_stats(const float (&v)[8][8], int C, int B, const TileStats& f) {
  using T = OutputTile<W, G>;
  constexpr int L = T::kSegs < 32 ? T::kSegs : 32, kWarps = T::kSegs / L;
  __shared__ double red[2][8 * G][kWarps];
  const int t = int(threadIdx.x), g = t / T::kSegs, p = t - g * T::kSegs;
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    double s = 0, q = 0;
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const double x = v[i][j];
      s = __dadd_rn(s, x);
      q = __fma_rn(x, x, q);
    }
    // Lane l's segment sums reach lane l - o: lanes at multiples of L end with their L segments' sums.
    for (int o = L / 2; o > 0; o >>= 1) {
      s = __dadd_rn(s, __shfl_down_sync(0xffffffffu, s, unsigned(o)));
      q = __dadd_rn(q, __shfl_down_sync(0xffffffffu, q, unsigned(o)));
    }
    if (p % L == 0) red[0][8 * g + i][p / L] = s, red[1][8 * g + i][p / L] = q;
  }
  __syncthreads();
  const unsigned nsplit = gridDim.x;
  if (t < 8 * G) {
    double s = red[0][t][0], q = red[1][t][0];
    for (int k = 1; k < kWarps; ++k) s = __dadd_rn(s, red[0][t][k]), q = __dadd_rn(q, red[1][t][k]);
    const int m = int(blockIdx.y) * 8 * G + t;
    if (m < C) {
      f.partial[(size_t(m) * nsplit + blockIdx.x) * 2] = s;
      f.partial[(size_t(m) * nsplit + blockIdx.x) * 2 + 1] = q;
    }
    __threadfence();  // the partials are visible device-wide before this block is counted
  }
  if (!last_block_to_finish(f.counter)) return;
  const double M = double(B) * W * W;
  for (int c = t >> 5; c < C; c += kTileThreads >> 5) {  // whole warps
    double s, q;
    warp_sum_partials(f.partial, c, nsplit, s, q);
    if ((t & 31) == 0) {
      const double mu = s / M, var = fmax(0.0, __dsub_rn(q / M, __dmul_rn(mu, mu)));
      f.mean[c] = float(mu);
      f.rstd[c] = float(1.0 / sqrt(var + double(f.eps)));
    }
  }
  if (t == 0) *f.counter = 0;  // ready for the next launch on this stream
}

// The values of a W-wide plane's tile that thread (g, p) of block (blockIdx.x, blockIdx.y) holds, read
// from y [B][C][W*W]: what the direct convolution's thread holds when it stores them.
template <int W, int G>
__device__ void tile_values(const float* __restrict__ y, int C, int B, float (&v)[8][8]) {
  using T = OutputTile<W, G>;
  const int t = int(threadIdx.x), g = t / T::kSegs, p = t - g * T::kSegs;
  const int lr = p / T::kSegsPerRow, c0 = (p - lr * T::kSegsPerRow) * 8;
  const int fr = int(blockIdx.x) * T::kRows + lr, sample = fr / W, row = fr % W;
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const int m = int(blockIdx.y) * 8 * G + 8 * g + i;
    const bool ok = sample < B && m < C;
    const float* at = y + ((size_t(ok ? sample : 0) * C + (ok ? m : 0)) * W + row) * W + c0;
#pragma unroll
    for (int j = 0; j < 8; ++j) v[i][j] = ok ? at[j] : 0.f;
  }
}

// One standalone statistics call: its input and its statistics.
struct TileStatsCall {
  const float* y;
  TileStats f;
};

template <int W, int G>
__global__ void __launch_bounds__(kTileThreads) bn_tile_stats_k(int C, int B, Many<TileStatsCall> a) {
  const TileStatsCall& c = a.call[blockIdx.z];
  float v[8][8];
  tile_values<W, G>(c.y, C, B, v);
  tile_stats<W, G>(v, C, B, c.f);
}

// One launch of m.n calls on planes of P pixels (tile_stats_supported), through launch(kernel, grid,
// threads, args...).
template <class Launch>
void dispatch_tile_stats(int C, int P, int B, const Many<TileStatsCall>& m, Launch&& launch) {
  const dim3 grid(tile_row_blocks(P, C, B), tile_channel_blocks(C), unsigned(m.n));
  const auto go = [&](auto kernel) { launch(kernel, grid, unsigned(kTileThreads), C, B, m); };
  const int G = tile_groups(C), W = tile_width(P);
  if (W == 8)
    return G == 2 ? go(bn_tile_stats_k<8, 2>) : G == 4 ? go(bn_tile_stats_k<8, 4>) : go(bn_tile_stats_k<8, 8>);
  if (W == 16)
    return G == 2 ? go(bn_tile_stats_k<16, 2>) : G == 4 ? go(bn_tile_stats_k<16, 4>) : go(bn_tile_stats_k<16, 8>);
  return G == 2 ? go(bn_tile_stats_k<32, 2>) : G == 4 ? go(bn_tile_stats_k<32, 4>) : go(bn_tile_stats_k<32, 8>);
}

}  // namespace
}  // namespace naswot::cuda
