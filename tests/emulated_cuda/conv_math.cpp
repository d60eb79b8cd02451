// The emulated cuDNN's convolutions: im2col per sample and OpenBLAS sgemm.
#include "tests/emulated_cuda/conv_math.h"

#include <cblas.h>

#include <vector>

namespace emucuda {
namespace {

// col[(c R + r) S + s][p Q + q] = x[c][p stride - pad + r][q stride - pad + s] (0 outside).
void im2col(const ConvShape& s, const float* x, float* col) {
  for (int c = 0; c < s.C; ++c)
    for (int r = 0; r < s.R; ++r)
      for (int t = 0; t < s.S; ++t) {
        float* row = col + ((size_t(c) * s.R + r) * s.S + t) * s.P * s.Q;
        for (int p = 0; p < s.P; ++p) {
          const int h = p * s.stride_h - s.pad_h + r;
          for (int q = 0; q < s.Q; ++q) {
            const int w = q * s.stride_w - s.pad_w + t;
            row[p * s.Q + q] = h >= 0 && h < s.H && w >= 0 && w < s.W ? x[(size_t(c) * s.H + h) * s.W + w] : 0.f;
          }
        }
      }
}

// x += col's entries at the positions im2col took them from.
void col2im_add(const ConvShape& s, const float* col, float* x) {
  for (int c = 0; c < s.C; ++c)
    for (int r = 0; r < s.R; ++r)
      for (int t = 0; t < s.S; ++t) {
        const float* row = col + ((size_t(c) * s.R + r) * s.S + t) * s.P * s.Q;
        for (int p = 0; p < s.P; ++p) {
          const int h = p * s.stride_h - s.pad_h + r;
          if (h < 0 || h >= s.H) continue;
          for (int q = 0; q < s.Q; ++q) {
            const int w = q * s.stride_w - s.pad_w + t;
            if (w >= 0 && w < s.W) x[(size_t(c) * s.H + h) * s.W + w] += row[p * s.Q + q];
          }
        }
      }
}

}  // namespace

void conv_forward(const ConvShape& s, float alpha, const float* x, const float* w, float beta, float* y) {
  const int crs = s.C * s.R * s.S, pq = s.P * s.Q;
  std::vector<float> col(size_t(crs) * pq);
  for (int n = 0; n < s.N; ++n) {
    float* yn = y + size_t(n) * s.K * pq;
    if (beta == 0.f)
      for (int i = 0; i < s.K * pq; ++i) yn[i] = 0.f;
    im2col(s, x + size_t(n) * s.C * s.H * s.W, col.data());
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.K, pq, crs, alpha, w, crs, col.data(), pq, beta, yn, pq);
  }
}

void conv_backward_data(const ConvShape& s, float alpha, const float* w, const float* dy, float beta, float* dx) {
  const int crs = s.C * s.R * s.S, pq = s.P * s.Q;
  const size_t chw = size_t(s.C) * s.H * s.W;
  std::vector<float> col(size_t(crs) * pq);
  for (int n = 0; n < s.N; ++n) {
    float* dxn = dx + size_t(n) * chw;
    for (size_t i = 0; i < chw; ++i) dxn[i] = beta == 0.f ? 0.f : beta * dxn[i];
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, crs, pq, s.K, alpha, w, crs, dy + size_t(n) * s.K * pq, pq,
                0.f, col.data(), pq);
    col2im_add(s, col.data(), dxn);
  }
}

void conv_backward_filter(const ConvShape& s, float alpha, const float* x, const float* dy, float beta, float* dw) {
  const int crs = s.C * s.R * s.S, pq = s.P * s.Q;
  std::vector<float> col(size_t(crs) * pq);
  if (beta == 0.f)
    for (long long i = 0; i < s.w_elems(); ++i) dw[i] = 0.f;
  for (int n = 0; n < s.N; ++n) {
    im2col(s, x + size_t(n) * s.C * s.H * s.W, col.data());
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s.K, crs, pq, alpha, dy + size_t(n) * s.K * pq, pq, col.data(),
                pq, n == 0 ? beta : 1.f, dw, crs);
  }
}

}  // namespace emucuda
