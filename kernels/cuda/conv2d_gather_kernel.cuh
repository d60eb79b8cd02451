// naswot's general stride-1 convolution kernel (an implicit GEMM gathering its input column by column,
// several calls per launch), the shapes both of naswot's convolution kernels share, and the choice of
// this one's tile and grid. Device code without launch syntax (kernels/cuda/conv2d_kernel.cuh).
#pragma once
#include <stdexcept>

#include "kernels/cuda/bn_grad.cuh"
#include "kernels/cuda/bn_tile_stats.cuh"
#include "kernels/cuda/many.cuh"
#include "kernels/op_table.h"

namespace naswot::cuda {
namespace {  // one copy per translation unit: the GPU build's and the emulation's never meet

// GEMM view: M = output channels, N = B * Ho * Wo output pixels, K = input channels * k * k. A block
// computes a BM x BN tile (BM * BN = 8192: BM 16, 32 or 64 rows as the layer has channels, the rest in
// pixels) with 256 threads, each TM = 4 rows by TN = 8 columns strided across the tile (shared-memory
// reads conflict-free), BK = 8 of K per stage.
constexpr int kBK = 8, kTM = 4, kTN = 8, kConvThreads = 256, kTile = 8192;

struct ConvCall {
  const float* in;  // forward: x; backward: dy
  const float* w;   // [Cout][Cin][k][k] as the forward op takes it
  float* out;       // forward: y; backward: dx
  bool acc;
  // Backward of a ReLU fused into the convolution's input (conv2d_relu_backward_data): the ReLU's
  // input x, laid out as out; an output value v is stored as x > 0 ? v : 0 (then added with acc).
  const float* mask = nullptr;
  // Backward of a batch norm read through (conv2d_bn_backward_data, ConvShape::bn_in): in is the batch
  // norm's output gradient, read as its input gradient (kernels/cuda/bn_grad.cuh) from its input x
  // and fused ReLU output relu_y (laid out as in), its coefficients coef[3c..] and mean.
  const float *bn_x = nullptr, *bn_relu_y = nullptr, *bn_coef = nullptr, *bn_mean = nullptr;
  // Forward with a batch norm's statistics (conv2d_forward_bn_stats, ConvShape::bn_stats; the direct
  // kernel only): the output's, summed as kernels/cuda/bn_tile_stats.cuh orders them.
  TileStats stats = {};
};

struct ConvShape {
  int B, Cin, H, W;       // the GEMM's input: forward x; backward dy (Cin = the forward's Cout)
  int Cout, Ho, Wo;       // the GEMM's output: forward y; backward dx
  int k, pad;             // kernel and padding as the GEMM applies them (backward: k - 1 - the forward's pad)
  int w_in;               // the weight tensor's Cin extent as stored (the forward's)
  int stride = 1;         // forward: its stride (the gather kernel: 1 only)
  int up = 1;             // backward: the forward's stride (dy read with up - 1 zeros between pixels; gather: 1)
  bool relu_in = false;   // forward of a fused ReLU (conv2d_relu_forward): the input read as relu(x)
  bool bn_in = false;     // backward of a batch norm read through (ConvCall::bn_x): the input read as its gradient
  bool bn_stats = false;  // forward with a batch norm's statistics of the output (ConvCall::stats)
};

// relu_forward's and relu_backward's arithmetic, for the fused ReLU + convolution ops.
__device__ inline float relu_of(float x) { return x > 0.f ? x : 0.f; }
__device__ inline float masked(const float* mask, size_t i, float v) { return !mask || mask[i] > 0.f ? v : 0.f; }
// A staged value dy of input channel ci at element i of a call's input, read through its batch norm.
__device__ inline float bn_read(const ConvCall& c, float dy, size_t i, int ci) {
  return bn_grad_at(dy, c.bn_x, c.bn_relu_y, c.bn_coef, c.bn_mean, i, ci);
}

// Where one output pixel's input window starts: its sample's input and its (row, column) - pad.
struct Pixel {
  const float* in;
  int ih0, iw0;
  bool ok;
};
__device__ inline Pixel pixel_at(const ConvShape& s, const float* in, long long n) {
  const long long N = (long long)s.B * s.Ho * s.Wo;
  if (n >= N) return {in, 0, 0, false};
  const int HWo = s.Ho * s.Wo;
  const int b = int(n / HWo), r = int(n - (long long)b * HWo), oh = r / s.Wo, ow = r - oh * s.Wo;
  return {in + (size_t)b * s.Cin * s.H * s.W, oh - s.pad, ow - s.pad, true};
}

// The weight of GEMM row m and GEMM input channel ci at tap (kh, kw). Forward: w[m][ci][kh][kw].
// kBackward (m an input channel of the forward, ci an output channel): w[ci][m][k-1-kh][k-1-kw], the
// forward's weights transposed and flipped.
template <int KS, bool kBackward>
__device__ inline const float& gemm_weight_ref(const float* w, int w_in, int m, int ci, int kh, int kw) {
  if (kBackward) return w[(((size_t)ci * w_in + m) * KS + (KS - 1 - kh)) * KS + (KS - 1 - kw)];
  return w[(((size_t)m * w_in + ci) * KS + kh) * KS + kw];
}

template <int BM, int KS, bool kBackward>
__global__ void __launch_bounds__(kConvThreads) conv_gather_k(ConvShape s, Many<ConvCall> a) {
  constexpr int BN = kTile / BM, RS = BM / kTM, CS = BN / kTN, KK = KS * KS;
  constexpr int kLoads = kBK * BN / kConvThreads;  // Bs elements each thread loads per stage
  static_assert(RS * CS == kConvThreads && kLoads >= 1, "tile");
  __shared__ float As[kBK][BM];
  __shared__ float Bs[kBK][BN];
  const ConvCall c = a.call[blockIdx.z];
  const int tx = threadIdx.x % CS, ty = threadIdx.x / CS;
  const int m0 = blockIdx.y * BM;
  const long long n0 = (long long)blockIdx.x * BN;
  const int HWi = s.H * s.W, K = s.Cin * KK;
  // The thread's load of Bs element q: column (t + 256 q) % BN, row (t + 256 q) / BN; at most two
  // distinct columns (BN <= 512), decoded once.
  const Pixel px[2] = {pixel_at(s, c.in, n0 + int(threadIdx.x % BN)),
                       pixel_at(s, c.in, n0 + int((threadIdx.x + kConvThreads) % BN))};

  float acc[kTM][kTN];
#pragma unroll
  for (int i = 0; i < kTM; ++i)
#pragma unroll
    for (int j = 0; j < kTN; ++j) acc[i][j] = 0.f;

  for (int k0 = 0; k0 < K; k0 += kBK) {
    for (int e = threadIdx.x; e < BM * kBK; e += kConvThreads) {  // A: BM x BK weights
      const int mm = e % BM, kk = e / BM;
      const int m = m0 + mm, k = k0 + kk;
      float v = 0.f;
      if (m < s.Cout && k < K) {
        const int ci = k / KK, r = k - ci * KK, kh = r / KS, kw = r - kh * KS;
        v = gemm_weight_ref<KS, kBackward>(c.w, s.w_in, m, ci, kh, kw);
      }
      As[kk][mm] = v;
    }
#pragma unroll
    for (int q = 0; q < kLoads; ++q) {  // B: BK x BN input values, zero outside the image
      const int e = threadIdx.x + kConvThreads * q, col = e % BN, kk = e / BN, k = k0 + kk;
      const Pixel& p = px[(kConvThreads * q) % BN ? 1 : 0];  // column t or t + 256
      float v = 0.f;
      if (p.ok && k < K) {
        const int ci = k / KK, r = k - ci * KK, kh = r / KS, kw = r - kh * KS;
        const int ih = p.ih0 + kh, iw = p.iw0 + kw;
        if (ih >= 0 && ih < s.H && iw >= 0 && iw < s.W) {
          const size_t i = (size_t)ci * HWi + ih * s.W + iw;
          v = p.in[i];
          if (kBackward && s.bn_in) v = bn_read(c, v, size_t(p.in - c.in) + i, ci);
        }
        if (s.relu_in) v = relu_of(v);
      }
      Bs[kk][col] = v;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kBK; ++kk) {
      float av[kTM], bv[kTN];
#pragma unroll
      for (int i = 0; i < kTM; ++i) av[i] = As[kk][ty + RS * i];
#pragma unroll
      for (int j = 0; j < kTN; ++j) bv[j] = Bs[kk][tx + CS * j];
#pragma unroll
      for (int i = 0; i < kTM; ++i)
#pragma unroll
        for (int j = 0; j < kTN; ++j) acc[i][j] = __fmaf_rn(av[i], bv[j], acc[i][j]);
    }
    __syncthreads();
  }

  const int HWo = s.Ho * s.Wo;
  const long long N = (long long)s.B * HWo;
#pragma unroll
  for (int j = 0; j < kTN; ++j) {
    const long long n = n0 + tx + CS * j;
    if (n >= N) continue;
    const int b = int(n / HWo), p = int(n - (long long)b * HWo);
#pragma unroll
    for (int i = 0; i < kTM; ++i) {
      const int m = m0 + ty + RS * i;
      if (m >= s.Cout) continue;
      const size_t at = ((size_t)b * s.Cout + m) * HWo + p;
      const float v = masked(c.mask, at, acc[i][j]);
      c.out[at] = c.acc ? __fadd_rn(c.out[at], v) : v;
    }
  }
}

// Which shapes the gather kernel takes: stride 1, 1x1 or 3x3, padding at most k - 1.
inline bool conv2d_shape_supported(const ConvDims& d) {
  return d.stride == 1 && (d.k == 1 || d.k == 3) && d.pad >= 0 && d.pad <= d.k - 1 && d.B > 0 && d.Cin > 0 &&
         d.Cout > 0 && d.Ho == d.H + 2 * d.pad - d.k + 1 && d.Wo == d.W + 2 * d.pad - d.k + 1 && d.Ho > 0 && d.Wo > 0;
}

// The GEMM of a forward call: x (Cin x H x W) to y (Cout x Ho x Wo).
inline ConvShape forward_shape(const ConvDims& d) {
  return ConvShape{d.B, d.Cin, d.H, d.W, d.Cout, d.Ho, d.Wo, d.k, d.pad, d.Cin, d.stride, 1};
}
// The GEMM of a backward-data call: dx (Cin x H x W) from dy (Cout x Ho x Wo), a stride-1 convolution
// with padding k - 1 - pad and the weights flipped and transposed, over dy with stride - 1 zeros
// between its pixels.
inline ConvShape backward_data_shape(const ConvDims& d) {
  return ConvShape{d.B, d.Cout, d.Ho, d.Wo, d.Cin, d.H, d.W, d.k, d.k - 1 - d.pad, d.Cin, 1, d.stride};
}

// One launch of m.n calls of shape s: the kernel instance for its tile and kernel size, and its grid,
// through launch(kernel, grid, threads, args...) (on a stream: kernels/cuda/on_stream.cuh).
template <bool kBackward, class Launch>
void dispatch_conv_gather(const ConvShape& s, const Many<ConvCall>& m, Launch&& launch) {
  if (s.stride != 1 || s.up != 1) throw std::invalid_argument("cuda conv: the gather kernel takes stride 1 only");
  // The smallest row tile that covers the output channels (the spaces have 16 to 64; more: tiles of 64).
  const int BM = s.Cout <= 16 ? 16 : s.Cout <= 32 ? 32 : 64, BN = kTile / BM;
  const long long N = (long long)s.B * s.Ho * s.Wo;
  const long long gx = (N + BN - 1) / BN;
  if (gx >= (1ll << 31)) throw std::length_error("cuda conv: too many output pixels for one launch");
  const dim3 grid(unsigned(gx), unsigned((s.Cout + BM - 1) / BM), unsigned(m.n));
  const auto go = [&](auto kernel) { launch(kernel, grid, unsigned(kConvThreads), s, m); };
  if (s.k == 1) {
    if (BM == 16) return go(conv_gather_k<16, 1, kBackward>);
    if (BM == 32) return go(conv_gather_k<32, 1, kBackward>);
    return go(conv_gather_k<64, 1, kBackward>);
  }
  if (BM == 16) return go(conv_gather_k<16, 3, kBackward>);
  if (BM == 32) return go(conv_gather_k<32, 3, kBackward>);
  return go(conv_gather_k<64, 3, kBackward>);
}

}  // namespace
}  // namespace naswot::cuda
