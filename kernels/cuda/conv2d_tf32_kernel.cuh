// naswot's TF32 convolutions on the tensor cores (--precision tf32 --conv-kernels naswot): "same"
// stride-1 convolutions of odd kernel size, forward and backward-data, as an implicit matrix product
// out[m][n] (+)= sum over k of A[m][k] B[k][n], m a pixel (b, y, x), n an output channel, k an input
// channel and tap. A block computes 64 pixels x 32 channels with four warps (16 pixels x 4 tiles of 8
// channels each), staging 8 k at a time in shared memory, rounded to TF32. Several calls per launch
// (blockIdx.z; kernels/cuda/many.cuh). A ReLU before the convolution may be fused as the FP32 kernels
// fuse it (kernels/ops.def: conv2d_relu_*): applied as the input is staged, its mask as dx is stored.
// Device code without launch syntax (conv2d.cu launches it).
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
constexpr int kTf32M = 64, kTf32N = 32, kTf32Threads = 128;

// Forward: A[m][k] = x[b][c][y + ky - p][x + kx - p] over Cin channels, B[k][n] = w[n][c][ky][kx].
// Backward-data (dx = the transposed convolution of dy): A likewise from dy over Cout channels,
// B[k][n] = w[c][n][KS - 1 - ky][KS - 1 - kx] (p = (KS - 1) / 2, so the flipped taps line up).
// kRelu: forward, x > 0 ? x : 0 as staged (relu_forward's values); backward, dx's terms where relu_x > 0.
template <bool kBackward, bool kRelu>
__global__ void __launch_bounds__(kTf32Threads) conv_tf32_k(ConvDims d, Many<Tf32ConvCall> calls) {
  __shared__ uint32_t As[kTf32M][12];  // 8 k, padded: the fragments' reads hit distinct banks
  __shared__ uint32_t Bs[8][kTf32N + 8];
  const Tf32ConvCall c = calls.call[blockIdx.z];
  const int Ci = kBackward ? d.Cout : d.Cin, Co = kBackward ? d.Cin : d.Cout;
  const int KS = d.k, KK = d.k * d.k, pad = d.pad, H = d.H, W = d.W, P = H * W, K = Ci * KK;
  const long M = long(d.B) * P, m0 = long(blockIdx.x) * kTf32M;
  const int n0 = int(blockIdx.y) * kTf32N;
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32, g = lane >> 2, q = lane & 3;
  float acc[4][4] = {};
  for (int k0 = 0; k0 < K; k0 += 8) {
    for (int e = tid; e < kTf32M * 8; e += kTf32Threads) {  // consecutive threads: consecutive pixels
      const int mm = e % kTf32M, kk = e / kTf32M, k = k0 + kk;
      const long m = m0 + mm;
      float v = 0.f;
      if (m < M && k < K) {
        const int b = int(m / P), p = int(m % P), ci = k / KK, r = k % KK;
        const int iy = p / W + r / KS - pad, ix = p % W + r % KS - pad;
        if (iy >= 0 && iy < H && ix >= 0 && ix < W) v = c.in[((size_t(b) * Ci + ci) * H + iy) * W + ix];
        if (kRelu && !kBackward) v = v > 0.f ? v : 0.f;
      }
      As[mm][kk] = to_tf32(v);
    }
    for (int e = tid; e < 8 * kTf32N; e += kTf32Threads) {
      const int nn = e % kTf32N, kk = e / kTf32N, n = n0 + nn, k = k0 + kk;
      float v = 0.f;
      if (n < Co && k < K) {
        const int ci = k / KK, r = k % KK;
        v = kBackward ? c.w[(size_t(ci) * Co + n) * KK + (KK - 1 - r)] : c.w[(size_t(n) * Ci + ci) * KK + r];
      }
      Bs[kk][nn] = to_tf32(v);
    }
    __syncthreads();
    const int r0 = 16 * warp + g;
    const uint32_t a[4] = {As[r0][q], As[r0 + 8][q], As[r0][q + 4], As[r0 + 8][q + 4]};
    for (int j = 0; j < 4; ++j) {
      const uint32_t b[2] = {Bs[q][8 * j + g], Bs[q + 4][8 * j + g]};
      mma_tf32(acc[j], a, b);
    }
    __syncthreads();
  }
  for (int j = 0; j < 4; ++j)
    for (int i = 0; i < 4; ++i) {
      const long m = m0 + 16 * warp + g + 8 * (i >> 1);
      const int n = n0 + 8 * j + 2 * q + (i & 1);
      if (m >= M || n >= Co) continue;
      const size_t at = (size_t(m / P) * Co + n) * P + size_t(m % P);
      const float v = kRelu && kBackward && !(c.relu_x[at] > 0.f) ? 0.f : acc[j][i];
      c.out[at] = c.acc ? c.out[at] + v : v;
    }
}

// The shapes these kernels take: stride 1, odd kernel, "same" padding.
inline bool conv_tf32_supports(const ConvDims& d) {
  return d.stride == 1 && d.k % 2 == 1 && d.pad == (d.k - 1) / 2 && d.Ho == d.H && d.Wo == d.W && d.B > 0 &&
         d.Cin > 0 && d.Cout > 0 && long(d.B) * d.H * d.W <= 0x7fffffffL;
}

template <bool kBackward, bool kRelu, class Launch>
void conv_tf32_launch(const ConvDims& d, const Many<Tf32ConvCall>& m, Launch&& launch) {
  const long M = long(d.B) * d.H * d.W;
  const int Co = kBackward ? d.Cin : d.Cout;
  launch(conv_tf32_k<kBackward, kRelu>,
         dim3(unsigned((M + kTf32M - 1) / kTf32M), unsigned((Co + kTf32N - 1) / kTf32N), m.n), unsigned(kTf32Threads),
         d, m);
}

// The op table's calls (kernels/ops.def) as Tf32ConvCall launches.
template <bool kBackward, bool kRelu, class Args, class Pack, class Launch>
void conv_tf32_many(const Args* calls, int n, Pack pack, Launch&& launch) {
  if (!n) return;
  const ConvDims d = std::get<0>(calls[0]);
  for_launches<Tf32ConvCall>(calls, n, pack,
                             [&](const Many<Tf32ConvCall>& m) { conv_tf32_launch<kBackward, kRelu>(d, m, launch); });
}
// conv2d_forward and conv2d_relu_forward take the same arguments (d, x, w, y); relu: the latter.
template <class Launch>
void conv2d_tf32_forward_many(const op_args::conv2d_forward* calls, int n, Launch&& launch, bool relu = false) {
  const auto pack = [](const auto& a) {
    return Tf32ConvCall{std::get<1>(a), std::get<2>(a), std::get<3>(a), nullptr, false};
  };
  if (relu)
    conv_tf32_many<false, true>(calls, n, pack, launch);
  else
    conv_tf32_many<false, false>(calls, n, pack, launch);
}
template <class Launch>
void conv2d_tf32_backward_data_many(const op_args::conv2d_backward_data* calls, int n, Launch&& launch) {
  conv_tf32_many<true, false>(
      calls, n,
      [](const auto& a) {
        return Tf32ConvCall{std::get<1>(a), std::get<2>(a), std::get<3>(a), nullptr, std::get<4>(a)};
      },
      launch);
}
template <class Launch>
void conv2d_tf32_relu_backward_data_many(const op_args::conv2d_relu_backward_data* calls, int n, Launch&& launch) {
  // (d, dy, w, x, dx, accumulate)
  conv_tf32_many<true, true>(
      calls, n,
      [](const auto& a) {
        return Tf32ConvCall{std::get<1>(a), std::get<2>(a), std::get<4>(a), std::get<3>(a), std::get<5>(a)};
      },
      launch);
}

}  // namespace
}  // namespace naswot::cuda
