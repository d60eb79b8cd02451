// Average pools (3x3/s1/p1 without padded cells, 2x2/s2), max pools and global average pool on the
// blocked layout. A (block, pixel) row holds C x lanes contiguous values, so every spatial step moves
// by whole rows and the inner loops run over a row and vectorise.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/simd.h"

namespace naswot::cpu {
namespace {

constexpr int L = simd::kLanes;

// Number of in-image pixels in the 3x3 window centred on (i, j) (count_include_pad = false).
inline int window_count(int i, int j, int H, int W) {
  return (3 - (i == 0) - (i == H - 1)) * (3 - (j == 0) - (j == W - 1));
}

// Row (block, pixel) of an activation whose rows hold R values.
inline const float* row(const float* t, int blk, int P, int pix, size_t R) { return t + (size_t(blk) * P + pix) * R; }
inline float* row(float* t, int blk, int P, int pix, size_t R) { return t + (size_t(blk) * P + pix) * R; }

}  // namespace

// The 3x3 pools keep a row block of sums in registers across the window's (up to) 9 rows, in the
// window's row-major order, instead of adding each row into memory. This file is compiled with
// -ffp-contract=off: a fused term's mean must round before it meets y, as a separate add would.
void avgpool3x3_forward(int C, int H, int W, int B, const float* x, float* y, bool accumulate) {
  using namespace simd;
  const int nblk = batch_blocks(B);
  const size_t R = size_t(C) * L;  // a multiple of 2 vectors
  const int P = H * W;
#pragma omp parallel for collapse(2) schedule(static)
  for (int blk = 0; blk < nblk; ++blk)
    for (int i = 0; i < H; ++i)
      for (int j = 0; j < W; ++j) {
        const float* in[9];
        int n = 0;
        for (int ii = std::max(0, i - 1); ii <= std::min(H - 1, i + 1); ++ii)
          for (int jj = std::max(0, j - 1); jj <= std::min(W - 1, j + 1); ++jj)
            in[n++] = row(x, blk, P, ii * W + jj, R);
        float* out = row(y, blk, P, i * W + j, R);
        const float inv = 1.f / float(window_count(i, j, H, W));
        const vec vi = vbcast(&inv);
        for (size_t e = 0; e < R; e += 2 * kW) {
          vec a0 = vzero(), a1 = vzero();  // 0 + x, as the sum always began (keeps -0 as +0)
          for (int k = 0; k < n; ++k) a0 = vadd(a0, vload(in[k] + e)), a1 = vadd(a1, vload(in[k] + e + kW));
          a0 = vmul(a0, vi), a1 = vmul(a1, vi);
          if (accumulate) a0 = vadd(vload(out + e), a0), a1 = vadd(vload(out + e + kW), a1);
          vstore(out + e, a0);
          vstore(out + e + kW, a1);
        }
      }
}

void avgpool3x3_backward(int C, int H, int W, int B, const float* dy, float* dx, bool accumulate) {
  using namespace simd;
  const int nblk = batch_blocks(B);
  // The window is symmetric: input pixel (i, j) receives dy/count from the outputs within distance 1.
  const size_t R = size_t(C) * L;
  const int P = H * W;
#pragma omp parallel for collapse(2) schedule(static)
  for (int blk = 0; blk < nblk; ++blk)
    for (int i = 0; i < H; ++i)
      for (int j = 0; j < W; ++j) {
        const float* g[9];
        vec inv[9];
        int n = 0;
        for (int ii = std::max(0, i - 1); ii <= std::min(H - 1, i + 1); ++ii)
          for (int jj = std::max(0, j - 1); jj <= std::min(W - 1, j + 1); ++jj) {
            const float v = 1.f / float(window_count(ii, jj, H, W));
            g[n] = row(dy, blk, P, ii * W + jj, R);
            inv[n++] = vbcast(&v);
          }
        float* out = row(dx, blk, P, i * W + j, R);
        for (size_t e = 0; e < R; e += 2 * kW) {
          vec a0 = accumulate ? vload(out + e) : vzero(), a1 = accumulate ? vload(out + e + kW) : vzero();
          for (int k = 0; k < n; ++k)
            a0 = vfma(vload(g[k] + e), inv[k], a0), a1 = vfma(vload(g[k] + e + kW), inv[k], a1);
          vstore(out + e, a0);
          vstore(out + e + kW, a1);
        }
      }
}

void avgpool2x2_forward(int C, int H, int W, int B, const float* x, float* y) {
  const int nblk = batch_blocks(B);
  const int Ho = H / 2, Wo = W / 2;
  const size_t R = size_t(C) * L;
#pragma omp parallel for collapse(2) schedule(static)
  for (int blk = 0; blk < nblk; ++blk)
    for (int i = 0; i < Ho; ++i)
      for (int j = 0; j < Wo; ++j) {
        const float* a = row(x, blk, H * W, 2 * i * W + 2 * j, R);
        const float* b = a + R;
        const float* c = a + W * R;
        const float* d = c + R;
        float* out = row(y, blk, Ho * Wo, i * Wo + j, R);
#pragma omp simd
        for (size_t e = 0; e < R; ++e) out[e] = (a[e] + b[e] + c[e] + d[e]) * 0.25f;
      }
}

void avgpool2x2_backward(int C, int H, int W, int B, const float* dy, float* dx, bool accumulate) {
  const int nblk = batch_blocks(B);
  const int Ho = H / 2, Wo = W / 2;
  const size_t R = size_t(C) * L;
#pragma omp parallel for collapse(2) schedule(static)
  for (int blk = 0; blk < nblk; ++blk)
    for (int i = 0; i < H; ++i)
      for (int j = 0; j < W; ++j) {
        float* out = row(dx, blk, H * W, i * W + j, R);
        // Odd trailing rows/columns are dropped by the forward pass and get no gradient.
        if (i / 2 >= Ho || j / 2 >= Wo) {
          if (!accumulate) std::fill(out, out + R, 0.f);
          continue;
        }
        const float* g = row(dy, blk, Ho * Wo, (i / 2) * Wo + j / 2, R);
        if (accumulate) {
#pragma omp simd
          for (size_t e = 0; e < R; ++e) out[e] += g[e] * 0.25f;
        } else {
#pragma omp simd
          for (size_t e = 0; e < R; ++e) out[e] = g[e] * 0.25f;
        }
      }
}

void global_avgpool_forward(int C, int HW, int B, const float* x, float* y) {
  const int nblk = batch_blocks(B);
  const size_t R = size_t(C) * L;
#pragma omp parallel for schedule(static)
  for (int blk = 0; blk < nblk; ++blk) {
    float* out = y + blk * R;
    std::fill(out, out + R, 0.f);
    for (int p = 0; p < HW; ++p) {
      const float* in = row(x, blk, HW, p, R);
#pragma omp simd
      for (size_t e = 0; e < R; ++e) out[e] += in[e];
    }
    for (size_t e = 0; e < R; ++e) out[e] /= float(HW);
  }
}

void global_avgpool_backward(int C, int HW, int B, const float* dy, float* dx, bool accumulate) {
  const int nblk = batch_blocks(B);
  const size_t R = size_t(C) * L;
#pragma omp parallel for collapse(2) schedule(static)
  for (int blk = 0; blk < nblk; ++blk)
    for (int p = 0; p < HW; ++p) {
      float* out = row(dx, blk, HW, p, R);
      const float* g = dy + blk * R;
      if (accumulate) {
#pragma omp simd
        for (size_t e = 0; e < R; ++e) out[e] += g[e] / float(HW);
      } else {
#pragma omp simd
        for (size_t e = 0; e < R; ++e) out[e] = g[e] / float(HW);
      }
    }
}

void maxpool_forward(int C, int H, int W, int B, int k, int stride, int pad, const float* x, float* y) {
  using namespace simd;
  const int nblk = batch_blocks(B);
  const int Ho = (H + 2 * pad - k) / stride + 1, Wo = (W + 2 * pad - k) / stride + 1;
  const size_t R = size_t(C) * L;
  std::vector<const float*> win;  // the window's in-image rows, row-major (per thread below)
#pragma omp parallel for collapse(2) schedule(static) firstprivate(win)
  for (int blk = 0; blk < nblk; ++blk)
    for (int i = 0; i < Ho; ++i)
      for (int j = 0; j < Wo; ++j) {
        win.clear();
        for (int di = 0; di < k; ++di) {
          const int ii = i * stride - pad + di;
          if (ii < 0 || ii >= H) continue;
          for (int dj = 0; dj < k; ++dj) {
            const int jj = j * stride - pad + dj;
            if (jj >= 0 && jj < W) win.push_back(row(x, blk, H * W, ii * W + jj, R));
          }
        }
        float* out = row(y, blk, Ho * Wo, i * Wo + j, R);
        // The running maximum stays in registers: m = in > m ? in : m over the window in order.
        for (size_t e = 0; e < R; e += 2 * kW) {
          vec m0 = vload(win[0] + e), m1 = vload(win[0] + e + kW);
          for (size_t w = 1; w < win.size(); ++w) {
            const vec a0 = vload(win[w] + e), a1 = vload(win[w] + e + kW);
            m0 = vmax(a0, m0), m1 = vmax(a1, m1);
          }
          vstore(out + e, m0);
          vstore(out + e + kW, m1);
        }
      }
}

void maxpool_tangent_forward(int C, int H, int W, int B, int k, int stride, int pad, const float* x, const float* tx,
                             float* ty) {
  // Scalar: the window's first maximum per value (`>` keeps the first of equals), its tangent copied.
  const int nblk = batch_blocks(B);
  const int Ho = (H + 2 * pad - k) / stride + 1, Wo = (W + 2 * pad - k) / stride + 1;
  const size_t R = size_t(C) * L;
#pragma omp parallel for collapse(2) schedule(static)
  for (int blk = 0; blk < nblk; ++blk)
    for (int i = 0; i < Ho; ++i)
      for (int j = 0; j < Wo; ++j) {
        float* out = row(ty, blk, Ho * Wo, i * Wo + j, R);
        const int i0 = std::max(0, i * stride - pad), i1 = std::min(H, i * stride - pad + k);
        const int j0 = std::max(0, j * stride - pad), j1 = std::min(W, j * stride - pad + k);
        for (size_t e = 0; e < R; ++e) {
          int arg = -1;
          float best = 0.f;
          for (int ii = i0; ii < i1; ++ii)
            for (int jj = j0; jj < j1; ++jj) {
              const float v = row(x, blk, H * W, ii * W + jj, R)[e];
              if (arg < 0 || v > best) best = v, arg = ii * W + jj;
            }
          out[e] = arg < 0 ? 0.f : row(tx, blk, H * W, arg, R)[e];
        }
      }
}

void maxpool_backward(int C, int H, int W, int B, int k, int stride, int pad, const float* x, const float* dy,
                      float* dx, bool accumulate) {
  using namespace simd;
  const int nblk = batch_blocks(B);
  const int Ho = (H + 2 * pad - k) / stride + 1, Wo = (W + 2 * pad - k) / stride + 1;
  const size_t R = size_t(C) * L;
  // Pass 1: every window's first maximum (row-major window order; `>` keeps the first of equals) per
  // channel and lane, as a pixel index held in a float (exact below 2^24), with a lane group's best
  // value and index in registers across the window. The window's rows and pixel indices are listed
  // once per window, outside the loop over the row's values.
  static thread_local std::vector<float> arg_buf;  // the caller's; threads get a pointer
  const size_t need = size_t(nblk) * Ho * Wo * R;
  if (arg_buf.size() < need) arg_buf.resize(need);  // grow only: resize() would zero a regrown tail
  float* args = arg_buf.data();
  std::vector<const float*> src;  // per thread (firstprivate): a window's rows, or a pixel's windows
  std::vector<const float*> grad;
  std::vector<float> pix;  // the window's pixel indices (broadcast from memory in the loop)
#pragma omp parallel for collapse(2) schedule(static) firstprivate(src, pix)
  for (int blk = 0; blk < nblk; ++blk)
    for (int i = 0; i < Ho; ++i)
      for (int j = 0; j < Wo; ++j) {
        float* a = args + (size_t(blk) * Ho * Wo + size_t(i) * Wo + j) * R;
        const int i0 = std::max(0, i * stride - pad), i1 = std::min(H, i * stride - pad + k);
        const int j0 = std::max(0, j * stride - pad), j1 = std::min(W, j * stride - pad + k);
        if (i0 >= i1 || j0 >= j1) {  // a window with no pixel in the image (pad >= k)
          std::fill(a, a + R, -1.f);
          continue;
        }
        src.clear();
        pix.clear();
        for (int ii = i0; ii < i1; ++ii)
          for (int jj = j0; jj < j1; ++jj) {
            const float p = float(ii * W + jj);
            src.push_back(row(x, blk, H * W, ii * W + jj, R));
            pix.push_back(p);
          }
        for (size_t e = 0; e < R; e += L) {
          vec b0 = vload(src[0] + e), b1 = vload(src[0] + e + kW);
          vec a0 = vbcast(&pix[0]), a1 = a0;
          for (size_t w = 1; w < src.size(); ++w) {  // the first pixel cannot beat itself
            const vec v0 = vload(src[w] + e), v1 = vload(src[w] + e + kW);
            const vec pw = vbcast(&pix[w]);
            a0 = vsel_gt(v0, b0, pw, a0);
            a1 = vsel_gt(v1, b1, pw, a1);
            b0 = vmax(v0, b0);
            b1 = vmax(v1, b1);
          }
          vstore(a + e, a0);
          vstore(a + e + kW, a1);
        }
      }
      // Pass 2: each input pixel gathers dy of the windows whose maximum it is, windows in row-major
      // order (the order a scatter in output order would add them), so no two threads write one value.
#pragma omp parallel for collapse(2) schedule(static) firstprivate(src, grad)
  for (int blk = 0; blk < nblk; ++blk)
    for (int ii = 0; ii < H; ++ii)
      for (int jj = 0; jj < W; ++jj) {
        float* out = row(dx, blk, H * W, ii * W + jj, R);
        const float p = float(ii * W + jj);
        const vec pv = vbcast(&p);
        // Windows i with i*stride - pad <= ii <= i*stride - pad + k - 1.
        const int i_lo = std::max(0, (ii + pad - k + stride) / stride), i_hi = std::min(Ho - 1, (ii + pad) / stride);
        const int j_lo = std::max(0, (jj + pad - k + stride) / stride), j_hi = std::min(Wo - 1, (jj + pad) / stride);
        src.clear();
        grad.clear();
        for (int i = i_lo; i <= i_hi; ++i)
          for (int j = j_lo; j <= j_hi; ++j) {
            src.push_back(args + (size_t(blk) * Ho * Wo + size_t(i) * Wo + j) * R);
            grad.push_back(row(dy, blk, Ho * Wo, i * Wo + j, R));
          }
        for (size_t e = 0; e < R; e += L) {
          vec s0 = accumulate ? vload(out + e) : vzero(), s1 = accumulate ? vload(out + e + kW) : vzero();
          for (size_t w = 0; w < src.size(); ++w) {
            s0 = vadd(s0, vsel_eq0(vload(src[w] + e), pv, vload(grad[w] + e)));
            s1 = vadd(s1, vsel_eq0(vload(src[w] + e + kW), pv, vload(grad[w] + e + kW)));
          }
          vstore(out + e, s0);
          vstore(out + e + kW, s1);
        }
      }
}

}  // namespace naswot::cpu
