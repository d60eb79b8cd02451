// naswot's TF32 convolutions on the tensor cores (--precision tf32 or 3xtf32, --conv-kernels naswot):
// "same" stride-1 convolutions of odd kernel size, forward and backward-data, as an implicit matrix
// product out[m][n] (+)= sum over k of A[m][k] B[k][n], m a pixel (b, y, x), n an output channel, k an
// input channel and tap. A block computes 64 pixels x kN channels (32, or 16 where the output has no
// more) with four warps (16 pixels each), over chunks of 16 k staged in shared memory, rounded to TF32.
// 3xTF32 (kSplit) stages each operand as hi + lo, both TF32, and sums lo_a hi_b + hi_a lo_b + hi_a hi_b
// (the small terms first): each product within about 3 x 2^-22 of itself, float32's class, on the
// tensor cores. Several calls per launch (blockIdx.z; kernels/cuda/many.cuh). A ReLU before the
// convolution may be fused as the FP32 kernels fuse it (kernels/ops.def: conv2d_relu_*): applied as the
// input is staged, its mask as dx is stored. Device code without launch syntax (conv2d.cu launches it).
//
// The staging keeps the tensor cores' operands flowing: each thread's pixel is decomposed once, each
// chunk's k once (a table of 16 offsets in shared memory), and the next chunk's values are loaded into
// registers while the warps multiply the current one. Shared memory is k-major (A[k][pixel],
// B[k][channel], rows padded by 8 words): stores and the fragments' reads hit 32 distinct banks.
#pragma once
#include <cstdint>

#include "kernels/cuda/many.cuh"
#include "kernels/cuda/mma_tf32.cuh"
#include "kernels/op_table.h"

namespace naswot::cuda {
namespace {  // one copy per translation unit: the GPU build's and the emulation's never meet

struct Tf32ConvCall {
  const float* in;  // x (forward) or dy (backward-data)
  const float* w;
  float* out;           // y or dx
  const float* relu_x;  // backward-data with kRelu: the ReLU's input, whose mask dx takes
  bool acc;
};
constexpr int kTf32M = 64, kTf32K = 16, kTf32Threads = 128;
constexpr int kTf32NoTap = -(1 << 24);  // a table row's tap offset for k beyond K: outside every image

// Forward: A[m][k] = x[b][c][y + ky - p][x + kx - p] over Cin channels, B[k][n] = w[n][c][ky][kx].
// Backward-data (dx = the transposed convolution of dy): A likewise from dy over Cout channels,
// B[k][n] = w[c][n][KS - 1 - ky][KS - 1 - kx] (p = (KS - 1) / 2, so the flipped taps line up).
// kRelu: forward, x > 0 ? x : 0 as staged (relu_forward's values); backward, dx's terms where relu_x > 0.
template <bool kBackward, bool kRelu, bool kSplit, int kN>
__global__ void __launch_bounds__(kTf32Threads) conv_tf32_k(ConvDims d, Many<Tf32ConvCall> calls) {
  constexpr int kParts = kSplit ? 2 : 1;                 // hi, and with kSplit lo
  constexpr int kAPer = kTf32M * kTf32K / kTf32Threads;  // A values a thread stages per chunk: 8
  constexpr int kBPer = kN * kTf32K / kTf32Threads;      // B values: 4 or 2
  __shared__ uint32_t As[kParts][kTf32K][kTf32M + 8];
  __shared__ uint32_t Bs[kParts][kTf32K][kN + 8];
  // Per chunk k: the tap's offset in a sample's input (c H W + dy W + dx), dy, dx, and the weight's
  // offset (forward: k; backward: the flipped tap of channel c, w[c][0][KK - 1 - r]). Two chunks' worth:
  // the next one's is written while the current one's loads are in flight.
  __shared__ int Toff[2][kTf32K], Tdy[2][kTf32K], Tdx[2][kTf32K], Tw[2][kTf32K];
  const Tf32ConvCall c = calls.call[blockIdx.z];
  const int Ci = kBackward ? d.Cout : d.Cin, Co = kBackward ? d.Cin : d.Cout;
  const int KS = d.k, KK = d.k * d.k, pad = d.pad, H = d.H, W = d.W, P = H * W, K = Ci * KK;
  const long M = long(d.B) * P, m0 = long(blockIdx.x) * kTf32M;
  const int n0 = int(blockIdx.y) * kN;
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32, g = lane >> 2, q = lane & 3;
  // This thread's pixel (the same in every chunk) and its first k row; it stages rows kk0, kk0 + 2, ...
  const int mm = tid % kTf32M, kk0 = tid / kTf32M;
  const long m = m0 + mm;
  const bool m_in = m < M;
  const int pb = m_in ? int(m / P) : 0, pp = m_in ? int(m % P) : 0, py = pp / W, px = pp % W;
  const float* in_px = c.in + (size_t(pb) * Ci * P + size_t(pp));
  const auto table = [&](int buf, int k0) {  // threads 0..15: the chunk starting at k0
    if (tid < kTf32K) {
      const int k = k0 + tid, ci = k / KK, r = k % KK, dy = r / KS - pad, dx = r % KS - pad;
      Toff[buf][tid] = k < K ? ci * P + dy * W + dx : 0;
      Tdy[buf][tid] = k < K ? dy : kTf32NoTap;
      Tdx[buf][tid] = dx;
      Tw[buf][tid] = kBackward ? (ci * Co) * KK + (KK - 1 - r) : k;
    }
  };
  float av[kAPer], bv[kBPer];
  const auto load = [&](int buf) {  // the chunk whose table is in buf, into registers
    for (int i = 0; i < kAPer; ++i) {
      const int kk = kk0 + 2 * i, iy = py + Tdy[buf][kk], ix = px + Tdx[buf][kk];
      float v = 0.f;
      if (m_in && iy >= 0 && iy < H && ix >= 0 && ix < W) v = in_px[Toff[buf][kk]];
      if (kRelu && !kBackward) v = v > 0.f ? v : 0.f;
      av[i] = v;
    }
    for (int i = 0; i < kBPer; ++i) {  // consecutive threads: consecutive channels
      const int e = tid + kTf32Threads * i, nn = e % kN, kk = e / kN, n = n0 + nn;
      const bool ok = n < Co && Tdy[buf][kk] != kTf32NoTap;
      bv[i] = ok ? c.w[kBackward ? size_t(Tw[buf][kk]) + size_t(n) * KK : size_t(n) * K + size_t(Tw[buf][kk])] : 0.f;
    }
  };
  const auto stage = [&](float v, uint32_t* hi, uint32_t* lo) {
    *hi = to_tf32(v);
    if (kSplit) *lo = tf32_rest(v, *hi);
  };
  float acc[kN / 8][4] = {};
  table(0, 0);
  __syncthreads();
  load(0);
  for (int k0 = 0, buf = 0; k0 < K; k0 += kTf32K, buf ^= 1) {
    for (int i = 0; i < kAPer; ++i) stage(av[i], &As[0][kk0 + 2 * i][mm], &As[kParts - 1][kk0 + 2 * i][mm]);
    for (int i = 0; i < kBPer; ++i) {
      const int e = tid + kTf32Threads * i;
      stage(bv[i], &Bs[0][e / kN][e % kN], &Bs[kParts - 1][e / kN][e % kN]);
    }
    table(buf ^ 1, k0 + kTf32K);
    __syncthreads();
    if (k0 + kTf32K < K) load(buf ^ 1);  // in flight while the warps multiply
    for (int ks = 0; ks < kTf32K; ks += 8) {
      const int r0 = 16 * warp + g;
      uint32_t a[kParts][4];
      for (int h = 0; h < kParts; ++h)
        a[h][0] = As[h][ks + q][r0], a[h][1] = As[h][ks + q][r0 + 8], a[h][2] = As[h][ks + q + 4][r0],
        a[h][3] = As[h][ks + q + 4][r0 + 8];
      for (int j = 0; j < kN / 8; ++j) {
        uint32_t b[kParts][2];
        for (int h = 0; h < kParts; ++h) b[h][0] = Bs[h][ks + q][8 * j + g], b[h][1] = Bs[h][ks + q + 4][8 * j + g];
        if (kSplit)
          mma_tf32x3(acc[j], a[0], a[kParts - 1], b[0], b[kParts - 1]);
        else
          mma_tf32(acc[j], a[0], b[0]);
      }
    }
    __syncthreads();
  }
  for (int j = 0; j < kN / 8; ++j)
    for (int i = 0; i < 4; ++i) {
      const long mo = m0 + 16 * warp + g + 8 * (i >> 1);
      const int n = n0 + 8 * j + 2 * q + (i & 1);
      if (mo >= M || n >= Co) continue;
      const size_t at = (size_t(mo / P) * Co + n) * P + size_t(mo % P);
      const float v = kRelu && kBackward && !(c.relu_x[at] > 0.f) ? 0.f : acc[j][i];
      c.out[at] = c.acc ? c.out[at] + v : v;
    }
}

// The shapes these kernels take: stride 1, odd kernel, "same" padding; pixels, a sample's input (the
// table's tap offsets) and the weights (its weight offsets) indexable by int.
inline bool conv_tf32_supports(const ConvDims& d) {
  const long C = d.Cin > d.Cout ? d.Cin : d.Cout;
  return d.stride == 1 && d.k % 2 == 1 && d.pad == (d.k - 1) / 2 && d.Ho == d.H && d.Wo == d.W && d.B > 0 &&
         d.Cin > 0 && d.Cout > 0 && long(d.B) * d.H * d.W <= 0x7fffffffL && C * d.H * d.W <= 0x7fffffffL &&
         long(d.Cin) * d.Cout * d.k * d.k <= 0x7fffffffL;
}

template <bool kBackward, bool kRelu, class Launch>
void conv_tf32_launch(const ConvDims& d, const Many<Tf32ConvCall>& m, Launch&& launch, bool split) {
  const long M = long(d.B) * d.H * d.W;
  const int Co = kBackward ? d.Cin : d.Cout;
  const auto go = [&](auto kernel, int n) {
    launch(kernel, dim3(unsigned((M + kTf32M - 1) / kTf32M), unsigned((Co + n - 1) / n), m.n), unsigned(kTf32Threads),
           d, m);
  };
  if (Co <= 16)  // a 32-channel tile would multiply zeros half the time
    go(split ? conv_tf32_k<kBackward, kRelu, true, 16> : conv_tf32_k<kBackward, kRelu, false, 16>, 16);
  else
    go(split ? conv_tf32_k<kBackward, kRelu, true, 32> : conv_tf32_k<kBackward, kRelu, false, 32>, 32);
}

// The op table's calls (kernels/ops.def) as Tf32ConvCall launches.
// split: 3xTF32.
template <bool kBackward, bool kRelu, class Args, class Pack, class Launch>
void conv_tf32_many(const Args* calls, int n, Pack pack, Launch&& launch, bool split) {
  if (!n) return;
  const ConvDims d = std::get<0>(calls[0]);
  for_launches<Tf32ConvCall>(
      calls, n, pack, [&](const Many<Tf32ConvCall>& m) { conv_tf32_launch<kBackward, kRelu>(d, m, launch, split); });
}
// conv2d_forward and conv2d_relu_forward take the same arguments (d, x, w, y); relu: the latter.
template <class Launch>
void conv2d_tf32_forward_many(const op_args::conv2d_forward* calls, int n, Launch&& launch, bool split, bool relu) {
  const auto pack = [](const auto& a) {
    return Tf32ConvCall{std::get<1>(a), std::get<2>(a), std::get<3>(a), nullptr, false};
  };
  if (relu)
    conv_tf32_many<false, true>(calls, n, pack, launch, split);
  else
    conv_tf32_many<false, false>(calls, n, pack, launch, split);
}
template <class Launch>
void conv2d_tf32_backward_data_many(const op_args::conv2d_backward_data* calls, int n, Launch&& launch, bool split) {
  conv_tf32_many<true, false>(
      calls, n,
      [](const auto& a) {
        return Tf32ConvCall{std::get<1>(a), std::get<2>(a), std::get<3>(a), nullptr, std::get<4>(a)};
      },
      launch, split);
}
template <class Launch>
void conv2d_tf32_relu_backward_data_many(const op_args::conv2d_relu_backward_data* calls, int n, Launch&& launch,
                                         bool split) {
  // (d, dy, w, x, dx, accumulate)
  conv_tf32_many<true, true>(
      calls, n,
      [](const auto& a) {
        return Tf32ConvCall{std::get<1>(a), std::get<2>(a), std::get<4>(a), std::get<3>(a), std::get<5>(a)};
      },
      launch, split);
}

}  // namespace
}  // namespace naswot::cuda
