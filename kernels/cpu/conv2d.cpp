// Convolution forward and data-gradient on the blocked activation layout [block][pixel][channel][lane]
// (cpu_kernels.h): one direct "gather" kernel for every kernel size and stride.
//
// With batch lanes innermost, every spatial tap is a shift by whole lane vectors: no edge masks inside
// vectors, and every spatial size vectorises the same way. With channels next, the Ci inputs a tap
// reads are one contiguous run, and a register block's outputs are one contiguous run too. Both passes are
//   out[o][p][b] = sum over (tap t, input pixel q) valid for output pixel p of sum_i wt[t][i][o] * in[i][q][b]
// forward: i = Cin, o = Cout, q = p*stride - pad + tap; data-gradient: i = Cout, o = Cin, q solves
// the same relation for the output pixel. Each output element is summed by one thread in a fixed
// order, so results do not depend on the thread count.
#include <omp.h>

#include <algorithm>
#include <vector>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/simd.h"

namespace naswot::cpu {
namespace {

using namespace simd;

// For each output pixel p, the (tap, input pixel) pairs that contribute, CSR-style.
struct Taps {
  std::vector<int> start, tap, pix;
};

Taps forward_taps(const ConvDims& d) {
  Taps t;
  t.start.push_back(0);
  for (int oy = 0; oy < d.Ho; ++oy)
    for (int ox = 0; ox < d.Wo; ++ox) {
      for (int ky = 0; ky < d.k; ++ky)
        for (int kx = 0; kx < d.k; ++kx) {
          const int iy = oy * d.stride - d.pad + ky, ix = ox * d.stride - d.pad + kx;
          if (iy < 0 || iy >= d.H || ix < 0 || ix >= d.W) continue;
          t.tap.push_back(ky * d.k + kx);
          t.pix.push_back(iy * d.W + ix);
        }
      t.start.push_back(int(t.tap.size()));
    }
  return t;
}

Taps backward_taps(const ConvDims& d) {  // output pixels are the input image's, inputs are dy's pixels
  Taps t;
  t.start.push_back(0);
  for (int iy = 0; iy < d.H; ++iy)
    for (int ix = 0; ix < d.W; ++ix) {
      for (int ky = 0; ky < d.k; ++ky)
        for (int kx = 0; kx < d.k; ++kx) {
          const int ny = iy + d.pad - ky, nx = ix + d.pad - kx;
          if (ny < 0 || nx < 0 || ny % d.stride || nx % d.stride) continue;
          const int oy = ny / d.stride, ox = nx / d.stride;
          if (oy >= d.Ho || ox >= d.Wo) continue;
          t.tap.push_back(ky * d.k + kx);
          t.pix.push_back(oy * d.Wo + ox);
        }
      t.start.push_back(int(t.tap.size()));
    }
  return t;
}

// Accumulators are named variables, not arrays: GCC keeps arrays of vectors on the stack.
#define NASWOT_CONV_J(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

// A fused ReLU (conv2d_relu_forward, conv2d_relu_backward_data): none, on the input as it is loaded,
// or its mask on the output (the sum from zero, masked, then added with accumulate: relu_backward's
// arithmetic).
enum class Relu { None, Input, MaskOutput };

// relu(x) = x > 0 ? x : 0 exactly: max returns its second operand (+0) for NaN and for equal zeros.
inline vec relu_vec(vec x) { return vmax(x, vzero()); }

// Output channels o0 .. o0+OB-1 of output pixel p, all kLanes lanes of one block.
// x: the block's input (P_in x Ci x kLanes); o: the block's output at (p, o0); wt: taps x Ci x Co;
// m (Relu::MaskOutput): the mask's values at o.
template <int OB, Relu R>
void gather_block(int Ci, int Co, const float* x, const float* wt, const Taps& taps, int p, int o0, float* o,
                  const float* m, bool accumulate) {
  static_assert(OB >= 1 && OB <= 8);
  const bool add_first = accumulate && R != Relu::MaskOutput;  // else the sum starts from zero
#define DECL(j)                         \
  vec lo##j = vzero(), hi##j = vzero(); \
  if (j < OB && add_first) lo##j = vload(o + j * kLanes), hi##j = vload(o + j * kLanes + kW);
  NASWOT_CONV_J(DECL)
#undef DECL
  for (int e = taps.start[p]; e < taps.start[p + 1]; ++e) {
    const float* xi = x + size_t(taps.pix[e]) * Ci * kLanes;
    const float* w = wt + size_t(taps.tap[e]) * Ci * Co + o0;
    for (int i = 0; i < Ci; ++i, xi += kLanes, w += Co) {
      vec x0 = vload(xi), x1 = vload(xi + kW);
      if constexpr (R == Relu::Input) x0 = relu_vec(x0), x1 = relu_vec(x1);
#define FMA(j)                    \
  if constexpr (j < OB) {         \
    const vec wv = vbcast(w + j); \
    lo##j = vfma(wv, x0, lo##j);  \
    hi##j = vfma(wv, x1, hi##j);  \
  }
      NASWOT_CONV_J(FMA)
#undef FMA
    }
  }
  if constexpr (R == Relu::MaskOutput) {
    const vec z = vzero();
#define MASK(j)                                                                                                    \
  if constexpr (j < OB) {                                                                                          \
    lo##j = vsel_gt(vload(m + j * kLanes), z, lo##j, z), hi##j = vsel_gt(vload(m + j * kLanes + kW), z, hi##j, z); \
    if (accumulate) lo##j = vadd(vload(o + j * kLanes), lo##j), hi##j = vadd(vload(o + j * kLanes + kW), hi##j);   \
  }
    NASWOT_CONV_J(MASK)
#undef MASK
  }
#define STORE(j) \
  if constexpr (j < OB) vstore(o + j * kLanes, lo##j), vstore(o + j * kLanes + kW, hi##j);
  NASWOT_CONV_J(STORE)
#undef STORE
}
#undef NASWOT_CONV_J

// out: blocks x P_out x Co x kLanes, in: blocks x P_in x Ci x kLanes, wt: taps x Ci x Co. A thread owns
// whole (block, output pixel) units, consecutive pixels of one block (their taps overlap in L1), and
// runs every output-channel block over a unit while its inputs are hot.
// mask: Relu::MaskOutput's, laid out as out.
template <Relu R>
void gather_conv(int Ci, int Co, int P_in, int P_out, int B, const float* in, const float* wt, const Taps& taps,
                 float* out, const float* mask, bool accumulate) {
  const int nblk = batch_blocks(B);
#pragma omp parallel for collapse(2) schedule(static)
  for (int blk = 0; blk < nblk; ++blk)
    for (int p = 0; p < P_out; ++p) {
      const float* x = in + size_t(blk) * P_in * Ci * kLanes;
      const size_t at = (size_t(blk) * P_out + p) * Co * kLanes;
      float* o = out + at;
      const float* m = mask ? mask + at : nullptr;
      for (int o0 = 0; o0 < Co; o0 += kOB, o += kOB * kLanes, m = m ? m + kOB * kLanes : nullptr) {
        switch (std::min(kOB, Co - o0)) {
          // clang-format off
#define CASE(n) \
  case n: gather_block<std::min(n, kOB), R>(Ci, Co, x, wt, taps, p, o0, o, m, accumulate); break;
          CASE(8) CASE(7) CASE(6) CASE(5) CASE(4) CASE(3) CASE(2)
#undef CASE
          default: gather_block<1, R>(Ci, Co, x, wt, taps, p, o0, o, m, accumulate);
          // clang-format on
        }
      }
    }
}

// The weights as the forward pass reads them, wt[t][ci][co] = w[co][ci][t], and as the data gradient
// does, wt[t][co][ci].
std::vector<float> forward_weights(const ConvDims& d, const float* w) {
  const int KK = d.k * d.k;
  std::vector<float> wt(size_t(KK) * d.Cin * d.Cout);
  for (int co = 0; co < d.Cout; ++co)
    for (int ci = 0; ci < d.Cin; ++ci)
      for (int t = 0; t < KK; ++t) wt[(size_t(t) * d.Cin + ci) * d.Cout + co] = w[(size_t(co) * d.Cin + ci) * KK + t];
  return wt;
}
std::vector<float> backward_weights(const ConvDims& d, const float* w) {
  const int KK = d.k * d.k;
  std::vector<float> wt(size_t(KK) * d.Cin * d.Cout);
  for (int co = 0; co < d.Cout; ++co)
    for (int ci = 0; ci < d.Cin; ++ci)
      for (int t = 0; t < KK; ++t) wt[(size_t(t) * d.Cout + co) * d.Cin + ci] = w[(size_t(co) * d.Cin + ci) * KK + t];
  return wt;
}

}  // namespace

void conv2d_forward(const ConvDims& d, const float* x, const float* w, float* y) {
  gather_conv<Relu::None>(d.Cin, d.Cout, d.H * d.W, d.Ho * d.Wo, d.B, x, forward_weights(d, w).data(), forward_taps(d),
                          y, nullptr, false);
}

void conv2d_backward_data(const ConvDims& d, const float* dy, const float* w, float* dx, bool accumulate) {
  gather_conv<Relu::None>(d.Cout, d.Cin, d.Ho * d.Wo, d.H * d.W, d.B, dy, backward_weights(d, w).data(),
                          backward_taps(d), dx, nullptr, accumulate);
}

// The fused ReLU + convolution ops: the same sums as relu_forward then conv2d_forward, and as
// conv2d_backward_data into a buffer then relu_backward (its mask relu(x) > 0 is x > 0).
void conv2d_relu_forward(const ConvDims& d, const float* x, const float* w, float* y) {
  gather_conv<Relu::Input>(d.Cin, d.Cout, d.H * d.W, d.Ho * d.Wo, d.B, x, forward_weights(d, w).data(), forward_taps(d),
                           y, nullptr, false);
}

void conv2d_relu_backward_data(const ConvDims& d, const float* dy, const float* w, const float* x, float* dx,
                               bool accumulate) {
  gather_conv<Relu::MaskOutput>(d.Cout, d.Cin, d.Ho * d.Wo, d.H * d.W, d.B, dy, backward_weights(d, w).data(),
                                backward_taps(d), dx, x, accumulate);
}

// A batch norm's statistics with the convolution before it, by their definition (the CPU's kernels sum
// them apart: Device::convs_read_through).
void conv2d_forward_bn_stats(const ConvDims& d, const float* x, const float* w, float* y, float eps, float* mean,
                             float* rstd) {
  conv2d_forward(d, x, w, y);
  batchnorm_statistics(d.Cout, d.Ho * d.Wo, d.B, y, eps, mean, rstd);
}
void conv2d_relu_forward_bn_stats(const ConvDims& d, const float* x, const float* w, float* y, float eps, float* mean,
                                  float* rstd) {
  conv2d_relu_forward(d, x, w, y);
  batchnorm_statistics(d.Cout, d.Ho * d.Wo, d.B, y, eps, mean, rstd);
}

// A batch norm's backward read through by the convolution before it, by its definition: the batch
// norm's input gradient into a buffer, then the data gradient (the CPU's kernels gain nothing from
// fusing it: Device::convs_read_through).
void conv2d_bn_backward_data(const ConvDims& d, const BnGrad& bn, const float* w, const float* relu_x, float* dx,
                             bool accumulate) {
  static thread_local std::vector<float> g;  // each scoring thread's own, reused across calls
  g.resize(padded_batch(d.B) * size_t(d.Cout) * d.Ho * d.Wo);
  batchnorm_backward(d.Cout, d.Ho * d.Wo, d.B, bn.dy, bn.x, bn.gamma, bn.mean, bn.rstd, bn.relu_y, g.data(), false);
  if (relu_x)
    conv2d_relu_backward_data(d, g.data(), w, relu_x, dx, accumulate);
  else
    conv2d_backward_data(d, g.data(), w, dx, accumulate);
}

namespace {

// The weight gradient's register block: PB consecutive (tap, input channel) pairs x 4 output channels,
// each accumulator over every pixel of [p0, p1) in order (so the blocking does not change a bit).
// acc[k]: pair k's accumulators [co][lane]; q[k]: its input pixel per output pixel (-1: padding);
// xc[k]: its input channel's first lane in the block's pixel 0. The dy vectors of a pixel are loaded
// once for all PB pairs, the inputs once for the 4 channels.
template <int PB, int OB>
void weight_block(int Cin, int Cout, const float* xb, const float* gb, const int* const* q, const int* xc, int p0,
                  int p1, int co0, float* const* acc, bool partial, vec m0, vec m1) {
  static_assert(PB >= 1 && PB <= 2 && OB >= 1 && OB <= 4);
#define NASWOT_WB(X) X(0, 0) X(0, 1) X(0, 2) X(0, 3) X(1, 0) X(1, 1) X(1, 2) X(1, 3)
#define NASWOT_W4(X) X(0) X(1) X(2) X(3)
#define DECL(P, J)                                     \
  vec l##P##J = vzero(), h##P##J = vzero();            \
  if constexpr (P < PB && J < OB) {                    \
    l##P##J = vload(acc[P] + (co0 + J) * kLanes);      \
    h##P##J = vload(acc[P] + (co0 + J) * kLanes + kW); \
  }
  NASWOT_WB(DECL)
#undef DECL
  for (int p = p0; p < p1; ++p) {
    const float* g = gb + (size_t(p) * Cout + co0) * kLanes;
    vec gl0 = vzero(), gh0 = vzero(), gl1 = vzero(), gh1 = vzero(), gl2 = vzero(), gh2 = vzero(), gl3 = vzero(),
        gh3 = vzero();
#define LOADG(J) \
  if constexpr (J < OB) gl##J = vload(g + J * kLanes), gh##J = vload(g + J * kLanes + kW);
    NASWOT_W4(LOADG)
#undef LOADG
#define PAIR(P)                                                      \
  if constexpr (P < PB) {                                            \
    if (q[P][p] >= 0) {                                              \
      const float* xi = xb + size_t(q[P][p]) * Cin * kLanes + xc[P]; \
      vec x0 = vload(xi), x1 = vload(xi + kW);                       \
      if (partial) x0 = vmul(x0, m0), x1 = vmul(x1, m1);             \
      FMAS(P)                                                        \
    }                                                                \
  }
#define FMA(P, J) \
  if constexpr (J < OB) l##P##J = vfma(x0, gl##J, l##P##J), h##P##J = vfma(x1, gh##J, h##P##J);
#define FMAS(P) FMA(P, 0) FMA(P, 1) FMA(P, 2) FMA(P, 3)
    PAIR(0) PAIR(1)
#undef FMAS
#undef FMA
#undef PAIR
  }
#define STORE(P, J)                                    \
  if constexpr (P < PB && J < OB) {                    \
    vstore(acc[P] + (co0 + J) * kLanes, l##P##J);      \
    vstore(acc[P] + (co0 + J) * kLanes + kW, h##P##J); \
  }
  NASWOT_WB(STORE)
#undef STORE
#undef NASWOT_WB
#undef NASWOT_W4
}

}  // namespace

// dw[co][ci][t] = sum over (block, output pixel p, real lane) of x[ci] at tap t's input pixel times
// dy[co] at p. Threads share out the (tap, input channel) pairs; each runs over the blocks and over
// chunks of output pixels, and within a chunk (hot in cache) over its pairs kPairs at a time and the
// output channels 4 at a time (weight_block), with per-lane float accumulators kept in its own memory
// between chunks. Every sum runs in (block, pixel) order, so the result depends neither on the thread
// count, nor on the chunks, nor on the blocking. The lanes are then added in float64 in lane order.
// Padding lanes are multiplied by zero (they hold finite values).
void conv2d_backward_weight(const ConvDims& d, const float* x, const float* dy, float* dw, bool accumulate) {
  const int KK = d.k * d.k, Pin = d.H * d.W, Pout = d.Ho * d.Wo, nblk = batch_blocks(d.B);
  // Two pairs at a time where 16 accumulators, 8 dy and 4 input vectors fit the registers (AVX-512).
  constexpr int kPairs = kW == 16 ? 2 : 1, OB = 4, kChunk = 32;
  std::vector<int> q_of(size_t(KK) * Pout, -1);  // [tap][output pixel]: the input pixel, or -1 (padding)
  for (int oy = 0; oy < d.Ho; ++oy)
    for (int ox = 0; ox < d.Wo; ++ox)
      for (int ky = 0; ky < d.k; ++ky)
        for (int kx = 0; kx < d.k; ++kx) {
          const int iy = oy * d.stride - d.pad + ky, ix = ox * d.stride - d.pad + kx;
          if (iy >= 0 && iy < d.H && ix >= 0 && ix < d.W)
            q_of[size_t(ky * d.k + kx) * Pout + oy * d.Wo + ox] = iy * d.W + ix;
        }
  alignas(64) float mask[kLanes];  // the last block's real lanes
  const int real_last = d.B - (nblk - 1) * kLanes;
  for (int l = 0; l < kLanes; ++l) mask[l] = l < real_last ? 1.f : 0.f;
  const vec m0 = vload(mask), m1 = vload(mask + kW);
  const int pairs = KK * d.Cin;
#pragma omp parallel
  {
    const int nt = omp_get_num_threads(), tid = omp_get_thread_num();
    const int i0 = int(long(pairs) * tid / nt), i1 = int(long(pairs) * (tid + 1) / nt);
    std::vector<float> acc(size_t(std::max(0, i1 - i0)) * d.Cout * kLanes, 0.f);  // [pair][co][lane]
    for (int blk = 0; blk < nblk; ++blk) {
      const bool partial = blk == nblk - 1 && real_last < kLanes;
      const float* xb = x + size_t(blk) * Pin * d.Cin * kLanes;
      const float* gb = dy + size_t(blk) * Pout * d.Cout * kLanes;
      for (int p0 = 0; p0 < Pout; p0 += kChunk) {
        const int p1 = std::min(Pout, p0 + kChunk);
        for (int i = i0; i < i1; i += kPairs) {
          const int np = std::min(kPairs, i1 - i);
          const int* q[2] = {nullptr, nullptr};
          int xc[2] = {0, 0};
          float* a[2] = {nullptr, nullptr};
          for (int k = 0; k < np; ++k) {
            q[k] = q_of.data() + size_t((i + k) / d.Cin) * Pout;
            xc[k] = (i + k) % d.Cin * kLanes;
            a[k] = acc.data() + size_t(i + k - i0) * d.Cout * kLanes;
          }
          for (int co0 = 0; co0 < d.Cout; co0 += OB) {
            const int nb = std::min(OB, d.Cout - co0);
            // clang-format off
#define CASE(P, O)                                                                         \
  if (np == P && nb == O) {                                                                \
    weight_block<P, O>(d.Cin, d.Cout, xb, gb, q, xc, p0, p1, co0, a, partial, m0, m1);     \
    continue;                                                                              \
  }
            CASE(2, 4) CASE(2, 3) CASE(2, 2) CASE(2, 1) CASE(1, 4) CASE(1, 3) CASE(1, 2) CASE(1, 1)
#undef CASE
            // clang-format on
          }
        }
      }
    }
    for (int i = i0; i < i1; ++i) {
      const int t = i / d.Cin, ci = i % d.Cin;
      for (int co = 0; co < d.Cout; ++co) {
        const float* lanes = acc.data() + (size_t(i - i0) * d.Cout + co) * kLanes;
        double sum = 0;
        for (int l = 0; l < kLanes; ++l) sum += lanes[l];
        float& o = dw[(size_t(co) * d.Cin + ci) * KK + t];
        o = accumulate ? o + float(sum) : float(sum);
      }
    }
  }
}

}  // namespace naswot::cpu
