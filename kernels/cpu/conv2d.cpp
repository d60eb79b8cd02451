// Convolution forward and data-gradient on [C][H][W][B] tensors: one direct "gather" kernel for k x k,
// a plain sgemm for 1x1/stride 1.
//
// With the batch innermost, every spatial tap is a shift by whole B-vectors: no edge masks inside
// vectors, and all three NB201 stages (32x32, 16x16, 8x8) vectorise the same way. Both passes are
//   out[o][p][b] = sum over (tap t, input pixel q) valid for output pixel p of sum_i wt[t][i][o] * in[i][q][b]
// forward: i = Cin, o = Cout, q = p*stride - pad + tap; data-gradient: i = Cout, o = Cin, q solves
// the same relation for the output pixel. Each output element is summed by one thread in a fixed
// order, so results do not depend on the thread count.
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "kernels/cpu/cpu_kernels.h"

namespace naswot::cpu {
namespace {

bool is_pointwise(const ConvDims& d) { return d.k == 1 && d.stride == 1 && d.pad == 0; }

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

constexpr int kOB = 8;   // output channels per register block
constexpr int kBB = 32;  // batch entries per register block (two 16-float vectors)

// One register block: OB output channels x up to 32 batch entries of output pixel p.
template <int OB>
void gather_block(int Ci, int Co, size_t in_cstride, size_t out_cstride, int B, const float* in, const float* wt,
                  const Taps& taps, int p, int o0, int b0, float* out, bool accumulate) {
  const int nb = std::min(kBB, B - b0);
#if defined(__AVX512F__)
  const __mmask16 m0 = nb >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << nb) - 1);
  const __mmask16 m1 = nb >= 32 ? __mmask16(0xFFFF) : nb > 16 ? __mmask16((1u << (nb - 16)) - 1) : __mmask16(0);
  __m512 acc0[OB], acc1[OB];
  for (int j = 0; j < OB; ++j) {
    float* o = out + (o0 + j) * out_cstride + size_t(p) * B + b0;
    acc0[j] = accumulate ? _mm512_maskz_loadu_ps(m0, o) : _mm512_setzero_ps();
    acc1[j] = accumulate ? _mm512_maskz_loadu_ps(m1, o + 16) : _mm512_setzero_ps();
  }
  for (int e = taps.start[p]; e < taps.start[p + 1]; ++e) {
    const float* ip = in + size_t(taps.pix[e]) * B + b0;
    const float* wp = wt + size_t(taps.tap[e]) * Ci * Co + o0;
    for (int i = 0; i < Ci; ++i) {
      const __m512 x0 = _mm512_maskz_loadu_ps(m0, ip + i * in_cstride);
      const __m512 x1 = _mm512_maskz_loadu_ps(m1, ip + i * in_cstride + 16);
      const float* w = wp + size_t(i) * Co;
      for (int j = 0; j < OB; ++j) {
        const __m512 wv = _mm512_set1_ps(w[j]);
        acc0[j] = _mm512_fmadd_ps(wv, x0, acc0[j]);
        acc1[j] = _mm512_fmadd_ps(wv, x1, acc1[j]);
      }
    }
  }
  for (int j = 0; j < OB; ++j) {
    float* o = out + (o0 + j) * out_cstride + size_t(p) * B + b0;
    _mm512_mask_storeu_ps(o, m0, acc0[j]);
    _mm512_mask_storeu_ps(o + 16, m1, acc1[j]);
  }
#else
  float acc[OB][kBB];
  for (int j = 0; j < OB; ++j) {
    const float* o = out + (o0 + j) * out_cstride + size_t(p) * B + b0;
    for (int b = 0; b < kBB; ++b) acc[j][b] = (accumulate && b < nb) ? o[b] : 0.f;
  }
  for (int e = taps.start[p]; e < taps.start[p + 1]; ++e) {
    const float* ip = in + size_t(taps.pix[e]) * B + b0;
    const float* wp = wt + size_t(taps.tap[e]) * Ci * Co + o0;
    for (int i = 0; i < Ci; ++i) {
      const float* x = ip + i * in_cstride;
      const float* w = wp + size_t(i) * Co;
      for (int j = 0; j < OB; ++j)
        for (int b = 0; b < nb; ++b) acc[j][b] += w[j] * x[b];
    }
  }
  for (int j = 0; j < OB; ++j) {
    float* o = out + (o0 + j) * out_cstride + size_t(p) * B + b0;
    for (int b = 0; b < nb; ++b) o[b] = acc[j][b];
  }
#endif
}

template <int OB>
void run_block(int Ci, int Co, size_t ics, size_t ocs, int B, const float* in, const float* wt, const Taps& t, int p,
               int o0, float* out, bool acc) {
  for (int b0 = 0; b0 < B; b0 += kBB) gather_block<OB>(Ci, Co, ics, ocs, B, in, wt, t, p, o0, b0, out, acc);
}

// out: Co x P_out x B, in: Ci x P_in x B, wt: taps x Ci x Co.
void gather_conv(int Ci, int Co, int P_in, int P_out, int B, const float* in, const float* wt, const Taps& taps,
                 float* out, bool accumulate) {
  const int nob = (Co + kOB - 1) / kOB;
  const size_t ics = size_t(P_in) * B, ocs = size_t(P_out) * B;
#pragma omp parallel for collapse(2) schedule(static)
  for (int ob = 0; ob < nob; ++ob)
    for (int p = 0; p < P_out; ++p) {
      const int o0 = ob * kOB;
      switch (std::min(kOB, Co - o0)) {
        case 8: run_block<8>(Ci, Co, ics, ocs, B, in, wt, taps, p, o0, out, accumulate); break;
        case 7: run_block<7>(Ci, Co, ics, ocs, B, in, wt, taps, p, o0, out, accumulate); break;
        case 6: run_block<6>(Ci, Co, ics, ocs, B, in, wt, taps, p, o0, out, accumulate); break;
        case 5: run_block<5>(Ci, Co, ics, ocs, B, in, wt, taps, p, o0, out, accumulate); break;
        case 4: run_block<4>(Ci, Co, ics, ocs, B, in, wt, taps, p, o0, out, accumulate); break;
        case 3: run_block<3>(Ci, Co, ics, ocs, B, in, wt, taps, p, o0, out, accumulate); break;
        case 2: run_block<2>(Ci, Co, ics, ocs, B, in, wt, taps, p, o0, out, accumulate); break;
        default: run_block<1>(Ci, Co, ics, ocs, B, in, wt, taps, p, o0, out, accumulate); break;
      }
    }
}

// Column chunks for the pointwise sgemm: one fixed partition, so results do not depend on threads.
constexpr int kPointwiseCols = 4096;

}  // namespace

void conv2d_forward(const ConvDims& d, const float* x, const float* w, float* y) {
  const int KK = d.k * d.k;
  if (is_pointwise(d)) {
    const int N = d.H * d.W * d.B;
    const int chunks = (N + kPointwiseCols - 1) / kPointwiseCols;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < chunks; ++c) {
      const int n0 = c * kPointwiseCols, n = std::min(kPointwiseCols, N - n0);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d.Cout, n, d.Cin, 1.f, w, d.Cin, x + n0, N, 0.f, y + n0,
                  N);
    }
    return;
  }
  // wt[t][ci][co] = w[co][ci][t]
  std::vector<float> wt(size_t(KK) * d.Cin * d.Cout);
  for (int co = 0; co < d.Cout; ++co)
    for (int ci = 0; ci < d.Cin; ++ci)
      for (int t = 0; t < KK; ++t) wt[(size_t(t) * d.Cin + ci) * d.Cout + co] = w[(size_t(co) * d.Cin + ci) * KK + t];
  gather_conv(d.Cin, d.Cout, d.H * d.W, d.Ho * d.Wo, d.B, x, wt.data(), forward_taps(d), y, false);
}

void conv2d_backward_data(const ConvDims& d, const float* dy, const float* w, float* dx, bool accumulate) {
  const int KK = d.k * d.k;
  if (is_pointwise(d)) {
    const int N = d.H * d.W * d.B;
    const int chunks = (N + kPointwiseCols - 1) / kPointwiseCols;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < chunks; ++c) {
      const int n0 = c * kPointwiseCols, n = std::min(kPointwiseCols, N - n0);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d.Cin, n, d.Cout, 1.f, w, d.Cin, dy + n0, N,
                  accumulate ? 1.f : 0.f, dx + n0, N);
    }
    return;
  }
  // wt[t][co][ci] = w[co][ci][t]
  std::vector<float> wt(size_t(KK) * d.Cin * d.Cout);
  for (int co = 0; co < d.Cout; ++co)
    for (int ci = 0; ci < d.Cin; ++ci)
      for (int t = 0; t < KK; ++t) wt[(size_t(t) * d.Cout + co) * d.Cin + ci] = w[(size_t(co) * d.Cin + ci) * KK + t];
  gather_conv(d.Cout, d.Cin, d.Ho * d.Wo, d.H * d.W, d.B, dy, wt.data(), backward_taps(d), dx, accumulate);
}

}  // namespace naswot::cpu
