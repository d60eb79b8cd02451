// naswot's direct convolution kernel for the spaces' own shapes ("same" 1x1 and 3x3 convolutions of
// square 8x8, 16x16 and 32x32 images, and the reduction blocks' 3x3 stride-2 ones): a block stages a
// tile of input rows with their halo and the weights in shared memory, and each thread computes 8
// output channels x 8 adjacent pixels of a row. A stride-2 convolution's backward-data pass is the
// stride-1 one over dy with zeros between its pixels (the tile is staged so; the zeros cost FMAs only).
// Device code without launch syntax (kernels/cuda/conv2d_kernel.cuh chooses between the kernels).
#pragma once
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <type_traits>

#include "kernels/cuda/conv2d_gather_kernel.cuh"
#ifndef NASWOT_SIMT_EMULATOR  // tests/simt_emulator.h has its own
#include <cuda_pipeline_primitives.h>
#endif

namespace naswot::cuda {
namespace {  // one copy per translation unit: the GPU build's and the emulation's never meet

// Why direct: a 3x3 tap reuses each staged input value 3 times per row and the 8x8 register tile 8 times
// per channel, so a thread issues one shared-memory load per ~20 FMAs (vector loads), where the gather
// kernel re-reads every input value 9 times through an index decode. The sum over (input channel, kh,
// kw) runs in the gather kernel's order with the same FMAs, zero taps included, so both kernels give
// the same bits (tests/test_conv_kernel_emulated.cpp).
constexpr int kDirectThreads = kTileThreads;  // its threads hold the output tiles bn_tile_stats.cuh sums

// The block's geometry for kernel size KS, output width W (= height), G groups of 8 output channels
// and stride S (the input S times the output's size).
template <int KS, int W, int G, int S = 1>
struct DirectTile {
  static constexpr int kPad = (KS - 1) / 2;
  static constexpr int kSegs = OutputTile<W, G>::kSegs;  // 8-pixel row segments per block
  static constexpr int kSegsPerRow = OutputTile<W, G>::kSegsPerRow;
  static constexpr int kRows = OutputTile<W, G>::kRows;  // output rows per block, counted over samples
  static constexpr int kSampleRows = kRows < W ? kRows : W;
  static constexpr int kSamples = kRows < W ? 1 : kRows / W;
  static constexpr int kHaloRows = S * (kSampleRows - 1) + KS;  // input rows of a sample's rows
  static constexpr int kTileRows = kSamples * kHaloRows;
  static constexpr int kStride = (S * (W - 1) + KS + 3) / 4 * 4;  // 16-byte rows: vector loads
  static constexpr int kTile = kTileRows * kStride;               // one input channel's tile
  static constexpr int kWeights = KS * KS * 8 * G;                // [kh][kw][8G] per channel
  // Input channels per stage: as many as keep a stage within 2048 floats (two stages in flight: 16 KB of
  // shared memory; at most 16 asynchronous copies per thread and stage).
  static constexpr int kChannels = 8 * (kTile + kWeights) <= 2048   ? 8
                                   : 4 * (kTile + kWeights) <= 2048 ? 4
                                   : 2 * (kTile + kWeights) <= 2048 ? 2
                                                                    : 1;
  static constexpr int kStage = kChannels * (kTile + kWeights);  // tiles [kChannels][kTileRows][kStride], weights
  static constexpr int kCopies = (kStage + kDirectThreads - 1) / kDirectThreads;
  static_assert(W % 8 == 0 && kSegs % kSegsPerRow == 0 && (W % kRows == 0 || kRows % W == 0) && (S == 1 || S == 2),
                "tile");
};

// N consecutive floats from 16-byte-aligned (N = 4) or 8-byte-aligned (N = 2) memory: one instruction
// on the GPU; the emulation checks the alignment the GPU would fault on.
template <int N>
__device__ inline void load_vec(const float* p, float* out) {
  static_assert(N == 2 || N == 4, "vector width");
#ifdef NASWOT_SIMT_EMULATOR
  if (reinterpret_cast<uintptr_t>(p) % (4 * N)) throw std::logic_error("conv direct: misaligned vector load");
  for (int k = 0; k < N; ++k) out[k] = p[k];
#else
  if constexpr (N == 4) {
    const float4 v = *reinterpret_cast<const float4*>(p);
    out[0] = v.x, out[1] = v.y, out[2] = v.z, out[3] = v.w;
  } else {
    const float2 v = *reinterpret_cast<const float2*>(p);
    out[0] = v.x, out[1] = v.y;
  }
#endif
}
__device__ inline void store_vec4(float* p, const float* v) {
#ifdef NASWOT_SIMT_EMULATOR
  if (reinterpret_cast<uintptr_t>(p) % 16) throw std::logic_error("conv direct: misaligned vector store");
  for (int k = 0; k < 4; ++k) p[k] = v[k];
#else
  *reinterpret_cast<float4*>(p) = make_float4(v[0], v[1], v[2], v[3]);
#endif
}

// Grid: x = blocks of kRows output rows (over samples), y = tiles of 8G output channels, z = the call.
// Step 2: forward, stride 2 (input 2W wide); backward, the input is a stride-2 forward's dy (W / 2 wide),
// read as W wide with zeros between its pixels. kBn: backward with a batch norm read through
// (ConvShape::bn_in), forward with a batch norm's statistics summed (ConvShape::bn_stats): instances of
// their own, as they cost registers or shared memory.
template <int KS, int W, int G, bool kBackward, int kStep = 1, bool kBn = false>
__global__ void __launch_bounds__(kDirectThreads) conv_direct_k(ConvShape s, Many<ConvCall> a) {
  constexpr int S = kBackward ? 1 : kStep, kUp = kBackward ? kStep : 1;
  constexpr int kInW = kBackward ? W / kUp : W * S;  // the input's width (= height)
  using T = DirectTile<KS, W, G, S>;
  constexpr int kPad = T::kPad, kStride = T::kStride, kTile = T::kTile, kWeights = T::kWeights;
  constexpr int kChannels = T::kChannels, kStage = T::kStage, kCopies = T::kCopies;
  constexpr int kSampleRows = T::kSampleRows, kHaloRows = T::kHaloRows, kCo = 8 * G;
  alignas(16) __shared__ float sm[2][kStage];
  // Where each stage element comes from, for the first stage (later ones: + ci0 channels):
  // (offset * 8 + channel in the stage) * 2 + (1: a weight, 0: an input value), or -1: zero.
  __shared__ int from[kStage];
  const ConvCall c = a.call[blockIdx.z];
  const int t = int(threadIdx.x);
  const int fr0 = int(blockIdx.x) * T::kRows, sample0 = fr0 / W, row0 = fr0 % W;  // row0 = 0 if kSamples > 1
  const int m0 = int(blockIdx.y) * kCo;

  // The table, decoded once per block (the per-element decode would cost more than the copies).
  for (int e = t; e < kStage; e += kDirectThreads) {
    int v = -1;
    if (e < kChannels * kTile) {  // tiles [channel][tile row][column], zero outside the image and batch
      const int cb = e / kTile, rem = e - cb * kTile, tr = rem / kStride, tc = rem - tr * kStride;
      const int ls = tr / kHaloRows, sample = sample0 + ls;
      int ir = S * row0 + (tr - ls * kHaloRows) - kPad, ic = tc - kPad;  // in the (upsampled) input
      bool in_image = ir >= 0 && ir < kInW * kUp && ic >= 0 && ic < kInW * kUp;
      if (kUp > 1) in_image = in_image && ir % kUp == 0 && ic % kUp == 0, ir /= kUp, ic /= kUp;
      if (sample < s.B && in_image) v = ((((sample * s.Cin + cb) * kInW + ir) * kInW + ic) * 8 + cb) * 2;
    } else {  // weights [channel][kh][kw][output channel]
      const int ew = e - kChannels * kTile, cb = ew / kWeights, rem = ew - cb * kWeights;
      const int tap = rem / kCo, m = m0 + rem - tap * kCo;
      if (m < s.Cout) {
        const float* w = &gemm_weight_ref<KS, kBackward>(c.w, s.w_in, m, cb, tap / KS, tap % KS);
        v = (int(w - c.w) * 8 + cb) * 2 + 1;
      }
    }
    from[e] = v;
  }
  __syncthreads();

  // Stage `chunk` (input channels ci0 = chunk * kChannels on) into sm[buf], asynchronously (zero-filling
  // copies where the table says zero or the channel is past Cin); one commit per stage.
  const size_t w_stride = kBackward ? (size_t)s.w_in * KS * KS : KS * KS;  // a weight channel apart
  const auto stage = [&](int chunk, int buf) {
    const int ci0 = chunk * kChannels;
    const float* in = c.in + (size_t)ci0 * kInW * kInW;
    const float* w = c.w + ci0 * w_stride;
#pragma unroll
    for (int q = 0; q < kCopies; ++q) {
      const int e = t + kDirectThreads * q;
      if (kStage % kDirectThreads && e >= kStage) break;
      const int v = from[e];
      const bool ok = v >= 0 && ci0 + ((v >> 1) & 7) < s.Cin;
      const float* src = ((v & 1) ? w : in) + (v >> 4);
      __pipeline_memcpy_async(&sm[buf][e], ok ? src : c.in, 4, ok ? 0 : 4);
    }
    __pipeline_commit();
  };

  // The thread's 8 output channels (group g) and 8 pixels (segment p: local row lr, columns c0..c0+7).
  const int g = t / T::kSegs, p = t - g * T::kSegs, lr = p / T::kSegsPerRow, c0 = (p - lr * T::kSegsPerRow) * 8;
  const int tile_at = ((lr / kSampleRows) * kHaloRows + S * (lr % kSampleRows)) * kStride + S * c0;  // kh = 0
  const int weight_at = kChannels * kTile + 8 * g;

  float acc[8][8];
#pragma unroll
  for (int i = 0; i < 8; ++i)
#pragma unroll
    for (int j = 0; j < 8; ++j) acc[i][j] = 0.f;

  const int chunks = (s.Cin + kChannels - 1) / kChannels;
  stage(0, 0);
  for (int chunk = 0; chunk < chunks; ++chunk) {
    // The next stage goes to the other buffer (every thread left it at the previous barrier).
    if (chunk + 1 < chunks)
      stage(chunk + 1, (chunk + 1) & 1);
    else
      __pipeline_commit();  // an empty group: "all but the newest" below still means this stage
    __pipeline_wait_prior(1);
    __syncthreads();
    if (s.relu_in) {  // a fused ReLU, once per staged input value (zeros of the padding stay zeros)
      float* tile = sm[chunk & 1];
      for (int e = t; e < kChannels * kTile; e += kDirectThreads) tile[e] = relu_of(tile[e]);
      __syncthreads();
    }
    if constexpr (kBn && kBackward) {  // a batch norm's gradient read through, once per staged dy value
      float* tile = sm[chunk & 1];
      const int ci0 = chunk * kChannels;
      const size_t base = (size_t)ci0 * kInW * kInW;
      for (int e = t; e < kChannels * kTile; e += kDirectThreads) {
        const int v = from[e], ci = ci0 + ((v >> 1) & 7);
        if (v >= 0 && ci < s.Cin) tile[e] = bn_read(c, tile[e], base + (v >> 4), ci);  // zeros stay zeros
      }
      __syncthreads();
    }
    const float* sb = sm[chunk & 1];
#pragma unroll 1
    for (int cb = 0; cb < kChannels; ++cb) {
#pragma unroll
      for (int kh = 0; kh < KS; ++kh) {
        float b[S * 7 + KS];  // the input row's values under the segment and its halo
        const float* row = sb + tile_at + cb * kTile + kh * kStride;
#pragma unroll
        for (int h = 0; h + 4 <= S * 7 + KS; h += 4) load_vec<4>(row + h, b + h);
        if ((S * 7 + KS) % 4 >= 2) load_vec<2>(row + (S * 7 + KS) / 4 * 4, b + (S * 7 + KS) / 4 * 4);
        if ((S * 7 + KS) % 2) b[S * 7 + KS - 1] = row[S * 7 + KS - 1];
#pragma unroll
        for (int kw = 0; kw < KS; ++kw) {
          float w[8];
          const float* wp = sb + weight_at + cb * kWeights + (kh * KS + kw) * kCo;
          load_vec<4>(wp, w);
          load_vec<4>(wp + 4, w + 4);
#pragma unroll
          for (int i = 0; i < 8; ++i)
#pragma unroll
            for (int j = 0; j < 8; ++j) acc[i][j] = __fmaf_rn(w[i], b[S * j + kw], acc[i][j]);
        }
      }
    }
    __syncthreads();
  }

  const int fr = fr0 + lr, sample = fr / W, orow = fr % W;
  if constexpr (kBn && !kBackward) {  // the statistics of what is stored (a whole block takes part)
    float v[8][8];
#pragma unroll
    for (int i = 0; i < 8; ++i)
#pragma unroll
      for (int j = 0; j < 8; ++j) v[i][j] = sample < s.B && m0 + 8 * g + i < s.Cout ? acc[i][j] : 0.f;
    tile_stats<W, G>(v, s.Cout, s.B, c.stats);
  }
  if (sample >= s.B) return;
  // Vector stores where the call's output is 16-byte aligned (the arena's tensors usually are).
  const bool aligned = reinterpret_cast<uintptr_t>(c.out) % 16 == 0;
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const int m = m0 + 8 * g + i;
    if (m >= s.Cout) break;
    const size_t at = (((size_t)sample * s.Cout + m) * W + orow) * W + c0;
    float* o = c.out + at;
    if (c.mask) {
#pragma unroll
      for (int j = 0; j < 8; ++j) acc[i][j] = masked(c.mask, at + j, acc[i][j]);
    }
    if (aligned) {
#pragma unroll
      for (int h = 0; h < 8; h += 4) {
        float v[4];
        if (c.acc) load_vec<4>(o + h, v);
#pragma unroll
        for (int j = 0; j < 4; ++j) v[j] = c.acc ? __fadd_rn(v[j], acc[i][h + j]) : acc[i][h + j];
        store_vec4(o + h, v);
      }
    } else {
#pragma unroll
      for (int j = 0; j < 8; ++j) o[j] = c.acc ? __fadd_rn(o[j], acc[i][j]) : acc[i][j];
    }
  }
}

// Which GEMM shapes the direct kernel takes: "same" convolutions (padding (k - 1) / 2) of square images
// 8, 16 or 32 wide, 1x1 or 3x3, and 3x3 ones of stride 2 to 8 or 16 wide (their backward-data to 16
// or 32 wide); the gather kernel takes the other stride-1 shapes.
inline bool conv_direct_supported(const ConvShape& s) {
  // The kernel's table holds offsets times 16 in an int: its offsets (channels up to 8 past the
  // tensors') under 2^27 floats.
  const long long in = ((long long)s.B * s.Cin + 8) * s.H * s.W, w = (s.Cout + 8ll) * (s.w_in + 8ll) * s.k * s.k;
  const bool common = (s.k == 1 || s.k == 3) && s.pad == (s.k - 1) / 2 && s.H == s.W && s.Ho == s.Wo && s.B > 0 &&
                      s.Cin > 0 && s.Cout > 0 && in < (1ll << 27) && w < (1ll << 27);
  if (!common) return false;
  if (s.stride == 1 && s.up == 1) return s.Ho == s.H && (s.Wo == 8 || s.Wo == 16 || s.Wo == 32);
  if (s.stride == 2 && s.up == 1) return s.k == 3 && s.H == 2 * s.Ho && (s.Wo == 8 || s.Wo == 16);
  if (s.stride == 1 && s.up == 2) return s.k == 3 && s.Ho == 2 * s.H && (s.Wo == 16 || s.Wo == 32);
  return false;
}

// One launch of m.n calls of a shape conv_direct_supported takes: the instance for its kernel size,
// step, width and channel groups (2, 4 or 8 groups of 8: the fewest that cover the output channels up
// to 64, more in tiles of 64), and its grid.
template <bool kBackward, class Launch>
void dispatch_conv_direct(const ConvShape& s, const Many<ConvCall>& m, Launch&& launch) {
  const int G = tile_groups(s.Cout);
  const auto go = [&](auto kernel, int rows) {
    const long long gx = ((long long)s.B * s.Ho + rows - 1) / rows;
    if (gx >= (1ll << 31)) throw std::length_error("cuda conv: too many output rows for one launch");
    const dim3 grid(unsigned(gx), unsigned((s.Cout + 8 * G - 1) / (8 * G)), unsigned(m.n));
    launch(kernel, grid, unsigned(kDirectThreads), s, m);
  };
  using std::integral_constant;
  const auto width = [&](auto ks, auto g, auto step, auto bn) {
    constexpr int KS = decltype(ks)::value, GG = decltype(g)::value, St = decltype(step)::value;
    constexpr int S = kBackward ? 1 : St;
    constexpr bool kBn = decltype(bn)::value;
    // Stride 2 has no 32-wide output forward and no 8-wide one backward: those instances are not built.
    if constexpr (!(kBackward && St == 2))
      if (s.Wo == 8) return go(conv_direct_k<KS, 8, GG, kBackward, St, kBn>, DirectTile<KS, 8, GG, S>::kRows);
    if (s.Wo == 16) return go(conv_direct_k<KS, 16, GG, kBackward, St, kBn>, DirectTile<KS, 16, GG, S>::kRows);
    if constexpr (!(!kBackward && St == 2))
      if (s.Wo == 32) return go(conv_direct_k<KS, 32, GG, kBackward, St, kBn>, DirectTile<KS, 32, GG, S>::kRows);
    throw std::invalid_argument("cuda conv: no direct kernel for this width");
  };
  const auto with_bn = [&](auto ks, auto g, auto step) {
    if (kBackward ? s.bn_in : s.bn_stats) return width(ks, g, step, std::true_type{});
    return width(ks, g, step, std::false_type{});
  };
  const auto groups = [&](auto ks, auto step) {
    if (G == 2) return with_bn(ks, integral_constant<int, 2>{}, step);
    if (G == 4) return with_bn(ks, integral_constant<int, 4>{}, step);
    return with_bn(ks, integral_constant<int, 8>{}, step);
  };
  if (s.stride == 2 || s.up == 2) return groups(integral_constant<int, 3>{}, integral_constant<int, 2>{});
  if (s.k == 1) return groups(integral_constant<int, 1>{}, integral_constant<int, 1>{});
  return groups(integral_constant<int, 3>{}, integral_constant<int, 1>{});
}

}  // namespace
}  // namespace naswot::cuda
