// Convolution forward and data-gradient: im2col (skipped for 1x1) + single-threaded sgemm per sample chunk.
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/cpu/cpu_kernels.h"

namespace naswot::cpu {
namespace {

bool is_pointwise(const ConvDims& d) { return d.k == 1 && d.stride == 1 && d.pad == 0; }

// Samples per chunk: aim for a GEMM N of about 2048 columns, so the column buffer stays in L2-ish
// sizes while each GEMM is still large enough to run at full speed.
int chunk_samples(const ConvDims& d) {
  const int cols = d.Ho * d.Wo;
  return std::max(1, std::min(d.B, 2048 / std::max(1, cols)));
}

std::vector<float>& thread_buffer(size_t n) {
  thread_local std::vector<float> buf;
  if (buf.size() < n) buf.resize(n);
  return buf;
}

void im2col(const ConvDims& d, const float* x, int b0, int nb, float* col) {
  const size_t plane = size_t(d.H) * d.W, batch_stride = size_t(d.B) * plane;
  const size_t ncols = size_t(nb) * d.Ho * d.Wo;
  for (int ci = 0; ci < d.Cin; ++ci)
    for (int ky = 0; ky < d.k; ++ky)
      for (int kx = 0; kx < d.k; ++kx) {
        float* row = col + (size_t(ci) * d.k * d.k + ky * d.k + kx) * ncols;
        for (int bl = 0; bl < nb; ++bl) {
          const float* img = x + ci * batch_stride + size_t(b0 + bl) * plane;
          for (int oy = 0; oy < d.Ho; ++oy) {
            const int iy = oy * d.stride - d.pad + ky;
            float* out = row + (size_t(bl) * d.Ho + oy) * d.Wo;
            if (iy < 0 || iy >= d.H) {
              std::fill(out, out + d.Wo, 0.f);
              continue;
            }
            const float* in = img + size_t(iy) * d.W;
            for (int ox = 0; ox < d.Wo; ++ox) {
              const int ix = ox * d.stride - d.pad + kx;
              out[ox] = (ix >= 0 && ix < d.W) ? in[ix] : 0.f;
            }
          }
        }
      }
}

void col2im_add(const ConvDims& d, const float* col, int b0, int nb, float* dx) {
  const size_t plane = size_t(d.H) * d.W, batch_stride = size_t(d.B) * plane;
  const size_t ncols = size_t(nb) * d.Ho * d.Wo;
  for (int ci = 0; ci < d.Cin; ++ci)
    for (int ky = 0; ky < d.k; ++ky)
      for (int kx = 0; kx < d.k; ++kx) {
        const float* row = col + (size_t(ci) * d.k * d.k + ky * d.k + kx) * ncols;
        for (int bl = 0; bl < nb; ++bl) {
          float* img = dx + ci * batch_stride + size_t(b0 + bl) * plane;
          for (int oy = 0; oy < d.Ho; ++oy) {
            const int iy = oy * d.stride - d.pad + ky;
            if (iy < 0 || iy >= d.H) continue;
            const float* in = row + (size_t(bl) * d.Ho + oy) * d.Wo;
            float* out = img + size_t(iy) * d.W;
            for (int ox = 0; ox < d.Wo; ++ox) {
              const int ix = ox * d.stride - d.pad + kx;
              if (ix >= 0 && ix < d.W) out[ix] += in[ox];
            }
          }
        }
      }
}

}  // namespace

void conv2d_forward(const ConvDims& d, const float* x, const float* w, float* y) {
  const int nb = chunk_samples(d);
  const int nchunks = (d.B + nb - 1) / nb;
  const int K = d.Cin * d.k * d.k;
  const size_t out_cols = size_t(d.Ho) * d.Wo, in_cols = size_t(d.H) * d.W;
  // Each chunk is computed by exactly one sgemm of a fixed shape, so results do not depend on
  // the number of threads.
#pragma omp parallel for schedule(static)
  for (int c = 0; c < nchunks; ++c) {
    const int b0 = c * nb, n = std::min(nb, d.B - b0);
    const int N = int(n * out_cols);
    float* yc = y + size_t(b0) * out_cols;
    if (is_pointwise(d)) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d.Cout, N, K, 1.f, w, K,
                  x + size_t(b0) * in_cols, int(d.B * in_cols), 0.f, yc, int(d.B * out_cols));
    } else {
      float* col = thread_buffer(size_t(K) * N).data();
      im2col(d, x, b0, n, col);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d.Cout, N, K, 1.f, w, K, col, N, 0.f, yc,
                  int(d.B * out_cols));
    }
  }
}

void conv2d_backward_data(const ConvDims& d, const float* dy, const float* w, float* dx, bool accumulate) {
  const int nb = chunk_samples(d);
  const int nchunks = (d.B + nb - 1) / nb;
  const int K = d.Cin * d.k * d.k;
  const size_t out_cols = size_t(d.Ho) * d.Wo, in_cols = size_t(d.H) * d.W;
#pragma omp parallel for schedule(static)
  for (int c = 0; c < nchunks; ++c) {
    const int b0 = c * nb, n = std::min(nb, d.B - b0);
    const int N = int(n * out_cols);
    const float* dyc = dy + size_t(b0) * out_cols;
    if (is_pointwise(d)) {
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d.Cin, N, d.Cout, 1.f, w, K, dyc,
                  int(d.B * out_cols), accumulate ? 1.f : 0.f, dx + size_t(b0) * in_cols, int(d.B * in_cols));
    } else {
      float* col = thread_buffer(size_t(K) * N).data();
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, N, d.Cout, 1.f, w, K, dyc, int(d.B * out_cols),
                  0.f, col, N);
      if (!accumulate)
        for (int ci = 0; ci < d.Cin; ++ci)
          std::memset(dx + (size_t(ci) * d.B + b0) * in_cols, 0, sizeof(float) * n * in_cols);
      col2im_add(d, col, b0, n, dx);
    }
  }
}

}  // namespace naswot::cpu
