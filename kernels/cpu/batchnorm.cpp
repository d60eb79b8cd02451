// Training-mode batch norm forward/backward on the blocked layout; per-channel sums in float64 over
// the real lanes, in fixed chunks reduced in a fixed order (results independent of threads).
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/bn_tangent.h"
#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/simd.h"

namespace naswot::cpu {
namespace {

constexpr int L = simd::kLanes;
constexpr int kRowsPerChunk = 64;  // a row is one (block, pixel): C x L values

// Per-channel sums s[k][c], k < K, over the real lanes of every row: f(row, c, nl, acc) adds lane l's
// terms to acc[k * L + l] for l < nl. A chunk of rows streams through memory once, with
// per-(channel, sum, lane) accumulators so the inner loops are vertical; lanes and chunks are then
// summed in a fixed order, so the result does not depend on the thread count.
template <int K, class F>
void channel_sums(int C, int P, int B, F f, std::array<std::vector<double>, K>& s) {
  const size_t rows = size_t(batch_blocks(B)) * P;
  const size_t chunks = (rows + kRowsPerChunk - 1) / kRowsPerChunk;
  static thread_local std::vector<double> part;  // [chunk][C][K], the caller's; threads get a pointer
  part.assign(chunks * C * K, 0.0);
  double* pp = part.data();
#pragma omp parallel
  {
    std::vector<double> acc(size_t(C) * K * L);  // [c][k][lane]
#pragma omp for schedule(static)
    for (size_t k = 0; k < chunks; ++k) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (size_t r = k * kRowsPerChunk; r < std::min(rows, (k + 1) * kRowsPerChunk); ++r) {
        const int nl = std::min(L, B - int(r / P) * L);
        for (int c = 0; c < C; ++c) f(r, c, nl, acc.data() + size_t(c) * K * L);
      }
      for (int c = 0; c < C; ++c)
        for (int j = 0; j < K; ++j) {
          double a = 0;
          for (int l = 0; l < L; ++l) a += acc[(size_t(c) * K + j) * L + l];
          pp[(k * C + c) * K + j] = a;
        }
    }
  }
  for (auto& v : s) v.assign(C, 0.0);
  for (size_t k = 0; k < chunks; ++k)
    for (int c = 0; c < C; ++c)
      for (int j = 0; j < K; ++j) s[j][c] += pp[(k * C + c) * K + j];
}

// Two sums: f(row, c, nl, a, q) adds to a[l] and q[l].
template <class F>
void channel_sums(int C, int P, int B, F f, std::vector<double>& s0, std::vector<double>& s1) {
  std::array<std::vector<double>, 2> s;
  channel_sums<2>(
      C, P, B, [&](size_t r, int c, int nl, double* acc) { f(r, c, nl, acc, acc + L); }, s);
  s0 = std::move(s[0]);
  s1 = std::move(s[1]);
}

}  // namespace

void batchnorm_statistics(int C, int P, int B, const float* x, float eps, float* mean, float* rstd) {
  // Shifted single pass: sums of (x - x0) in float64 keep the variance exact enough without a
  // second read of the channel; x0 is the channel's value for sample 0 at pixel 0.
  std::vector<double> x0(C), s, ss;
  for (int c = 0; c < C; ++c) x0[c] = x[size_t(c) * L];
  channel_sums(
      C, P, B,
      [&](size_t r, int c, int nl, double* a, double* q) {
        const float* xr = x + (r * C + c) * L;
        const double z = x0[c];
        if (nl == L) {
#pragma omp simd
          for (int l = 0; l < L; ++l) {
            const double t = double(xr[l]) - z;
            a[l] += t;
            q[l] += t * t;
          }
        } else {
          for (int l = 0; l < nl; ++l) {  // padding lanes never enter
            const double t = double(xr[l]) - z;
            a[l] += t;
            q[l] += t * t;
          }
        }
      },
      s, ss);
  const double M = double(P) * B;
  for (int c = 0; c < C; ++c) {
    const double dmu = s[c] / M;
    const double var = std::max(0.0, ss[c] / M - dmu * dmu);  // biased, as PyTorch normalises in training
    rstd[c] = float(1.0 / std::sqrt(var + double(eps)));
    mean[c] = float(x0[c] + dmu);
  }
}

void batchnorm_apply(int C, int P, int B, const float* x, const float* gamma, const float* beta, const float* mean,
                     const float* rstd, float* y, BnStore store) {
  std::vector<float> scale(C), shift(C);
  for (int c = 0; c < C; ++c) {
    scale[c] = rstd[c] * gamma[c];
    shift[c] = beta[c] - mean[c] * scale[c];
  }
  const size_t rows = size_t(batch_blocks(B)) * P;
#pragma omp parallel for schedule(static)
  for (size_t r = 0; r < rows; ++r)
    for (int c = 0; c < C; ++c) {
      const float* xr = x + (r * C + c) * L;
      float* yr = y + (r * C + c) * L;
      const float a = scale[c], b = shift[c];
      if (store == BnStore::Accumulate) {
#pragma omp simd
        for (int l = 0; l < L; ++l) yr[l] += xr[l] * a + b;
      } else if (store == BnStore::ReLU) {
#pragma omp simd
        for (int l = 0; l < L; ++l) {
          const float v = xr[l] * a + b;
          yr[l] = v > 0.f ? v : 0.f;
        }
      } else {
#pragma omp simd
        for (int l = 0; l < L; ++l) yr[l] = xr[l] * a + b;
      }
    }
}

void batchnorm_forward(int C, int P, int B, const float* x, const float* gamma, const float* beta, float eps, float* y,
                       float* mean, float* rstd, BnStore store) {
  batchnorm_statistics(C, P, B, x, eps, mean, rstd);
  batchnorm_apply(C, P, B, x, gamma, beta, mean, rstd, y, store);
}

namespace {

// dy where the fused ReLU passed (y > 0), else +0: relu_backward's value, as a bitwise AND because
// GCC does not vectorise the select in these loops (it sees control flow).
inline float relu_pass(float dy, float y) {
  return std::bit_cast<float>(std::bit_cast<uint32_t>(dy) & -uint32_t(y > 0.f));
}

// Per channel: sdy = sum dy, sdyx = sum dy * (x - mean) over the real lanes; kMasked: dy passes the
// fused ReLU's mask (relu_y > 0) first.
template <bool kMasked>
void backward_sums(int C, int P, int B, const float* dy, const float* x, const float* mean, const float* relu_y,
                   std::vector<double>& sdy, std::vector<double>& sdyx) {
  channel_sums(
      C, P, B,
      [&](size_t r, int c, int nl, double* a, double* q) {
        const size_t o = (r * C + c) * L;
        const float m = mean[c];
        if (nl == L) {
#pragma omp simd
          for (int l = 0; l < L; ++l) {
            float d = dy[o + l];
            if constexpr (kMasked) d = relu_pass(d, relu_y[o + l]);
            a[l] += d;
            q[l] += double(d) * double(x[o + l] - m);
          }
        } else {
          for (int l = 0; l < nl; ++l) {
            float d = dy[o + l];
            if constexpr (kMasked) d = relu_pass(d, relu_y[o + l]);
            a[l] += d;
            q[l] += double(d) * double(x[o + l] - m);
          }
        }
      },
      sdy, sdyx);
}

template <bool kMasked>
void batchnorm_backward_impl(int C, int P, int B, const float* dy, const float* x, const float* gamma,
                             const float* mean, const float* rstd, const float* relu_y, float* dx, bool accumulate) {
  std::vector<double> sdy, sdyx;
  backward_sums<kMasked>(C, P, B, dy, x, mean, relu_y, sdy, sdyx);
  // dx = gamma*rstd * (dy - mean(dy) - xhat * mean(dy*xhat)),  xhat = (x - m) * r
  const double M = double(P) * B;
  std::vector<float> gs(C), as(C), bs(C);
  for (int c = 0; c < C; ++c) {
    gs[c] = gamma[c] * rstd[c];
    as[c] = float(sdy[c] / M);
    bs[c] = float(sdyx[c] / M) * rstd[c] * rstd[c];
  }
  const size_t rows = size_t(batch_blocks(B)) * P;
#pragma omp parallel for schedule(static)
  for (size_t r = 0; r < rows; ++r)
    for (int c = 0; c < C; ++c) {
      const size_t o = (r * C + c) * L;
      const float g = gs[c], a = as[c], b = bs[c], m = mean[c];
      const float* __restrict__ dyr = dy + o;
      const float* __restrict__ xr = x + o;
      float* __restrict__ dxr = dx + o;
      if constexpr (kMasked) {
        const float* __restrict__ yr = relu_y + o;
        if (accumulate) {
#pragma omp simd
          for (int l = 0; l < L; ++l) dxr[l] += g * (relu_pass(dyr[l], yr[l]) - a - (xr[l] - m) * b);
        } else {
#pragma omp simd
          for (int l = 0; l < L; ++l) dxr[l] = g * (relu_pass(dyr[l], yr[l]) - a - (xr[l] - m) * b);
        }
      } else if (accumulate) {
#pragma omp simd
        for (int l = 0; l < L; ++l) dxr[l] += g * (dyr[l] - a - (xr[l] - m) * b);
      } else {
#pragma omp simd
        for (int l = 0; l < L; ++l) dxr[l] = g * (dyr[l] - a - (xr[l] - m) * b);
      }
    }
}

}  // namespace

void batchnorm_backward_affine(int C, int P, int B, const float* dy, const float* x, const float* mean,
                               const float* rstd, const float* relu_y, float* dgamma, float* dbeta, bool accumulate) {
  std::vector<double> sdy, sdyx;  // the data gradient's own sums: dbeta = sdy, dgamma = sdyx * rstd
  if (relu_y)
    backward_sums<true>(C, P, B, dy, x, mean, relu_y, sdy, sdyx);
  else
    backward_sums<false>(C, P, B, dy, x, mean, nullptr, sdy, sdyx);
  for (int c = 0; c < C; ++c) {
    const float g = float(sdyx[c] * double(rstd[c])), b = float(sdy[c]);
    dgamma[c] = accumulate ? dgamma[c] + g : g;
    dbeta[c] = accumulate ? dbeta[c] + b : b;
  }
}

void batchnorm_backward(int C, int P, int B, const float* dy, const float* x, const float* gamma, const float* mean,
                        const float* rstd, const float* relu_y, float* dx, bool accumulate) {
  if (relu_y)
    batchnorm_backward_impl<true>(C, P, B, dy, x, gamma, mean, rstd, relu_y, dx, accumulate);
  else
    batchnorm_backward_impl<false>(C, P, B, dy, x, gamma, mean, rstd, nullptr, dx, accumulate);
}

// The tangents: per-channel sums in float64 as above, coefficients from them in float64 rounded once
// (kernels/bn_tangent.h), then one element-wise pass; vertical loops over a row's lanes as above.
void batchnorm_tangent_forward(int C, int P, int B, const float* x, const float* tx, const float* gamma,
                               const float* tgamma, const float* tbeta, const float* mean, const float* rstd,
                               const float* relu_y, float* ty, BnStore store) {
  using namespace bn_tangent;
  std::array<std::vector<double>, 2> s;  // kT, kXT
  channel_sums<2>(
      C, P, B,
      [&](size_t r, int c, int nl, double* acc) {
        const size_t o = (r * C + c) * L;
        const float m = mean[c];
        const float* __restrict__ tr = tx + o;
        const float* __restrict__ xr = x + o;
#pragma omp simd
        for (int l = 0; l < nl; ++l) {
          acc[kT * L + l] += tr[l];
          acc[kXT * L + l] += double(tr[l]) * double(xr[l] - m);
        }
      },
      s);
  const double M = double(P) * B;
  std::vector<float> f(size_t(C) * 3);
  for (int c = 0; c < C; ++c) {
    const double sums[2] = {s[0][c], s[1][c]};
    forward_coefficients(M, rstd[c], gamma[c], tgamma[c], tbeta[c], sums, f.data() + 3 * c);
  }
  const size_t rows = size_t(batch_blocks(B)) * P;
#pragma omp parallel for schedule(static)
  for (size_t r = 0; r < rows; ++r)
    for (int c = 0; c < C; ++c) {
      const size_t o = (r * C + c) * L;
      const float f0 = f[3 * c], f1 = f[3 * c + 1], f2 = f[3 * c + 2], m = mean[c];
      const float* __restrict__ tr = tx + o;
      const float* __restrict__ xr = x + o;
      float* __restrict__ yr = ty + o;
      if (store == BnStore::Accumulate) {
#pragma omp simd
        for (int l = 0; l < L; ++l) yr[l] += f0 * tr[l] + f1 * (xr[l] - m) + f2;
      } else if (store == BnStore::ReLU) {
        const float* __restrict__ ry = relu_y + o;
#pragma omp simd
        for (int l = 0; l < L; ++l) yr[l] = relu_pass(f0 * tr[l] + f1 * (xr[l] - m) + f2, ry[l]);
      } else {
#pragma omp simd
        for (int l = 0; l < L; ++l) yr[l] = f0 * tr[l] + f1 * (xr[l] - m) + f2;
      }
    }
}

namespace {

template <bool kMasked>
void batchnorm_tangent_backward_impl(int C, int P, int B, const float* dy, const float* tdy, const float* x,
                                     const float* tx, const float* gamma, const float* tgamma, const float* mean,
                                     const float* rstd, const float* relu_y, float* tdx, float* tdgamma, float* tdbeta,
                                     bool accumulate) {
  using namespace bn_tangent;
  // dz, tdz: dy and tdy through the fused ReLU's mask.
  const auto dz = [](float d, const float* ry, int l) {
    if constexpr (kMasked) return relu_pass(d, ry[l]);
    return d;
  };
  std::array<std::vector<double>, kSums> s;
  channel_sums<kSums>(
      C, P, B,
      [&](size_t r, int c, int nl, double* acc) {
        const size_t o = (r * C + c) * L;
        const float m = mean[c];
        const float* __restrict__ dr = dy + o, * __restrict__ tdr = tdy + o, * __restrict__ xr = x + o;
        const float* __restrict__ tr = tx + o, * __restrict__ ry = kMasked ? relu_y + o : nullptr;
#pragma omp simd
        for (int l = 0; l < nl; ++l) {
          const double t = tr[l], xm = xr[l] - m, d = dz(dr[l], ry, l), td = dz(tdr[l], ry, l);
          acc[kT * L + l] += t;
          acc[kXT * L + l] += xm * t;
          acc[kDz * L + l] += d;
          acc[kDzX * L + l] += d * xm;
          acc[kTdz * L + l] += td;
          acc[kTdzX * L + l] += td * xm;
          acc[kDzT * L + l] += d * t;
        }
      },
      s);
  const double M = double(P) * B;
  std::vector<float> k(size_t(C) * 5);
  for (int c = 0; c < C; ++c) {
    double sums[kSums];
    for (int j = 0; j < kSums; ++j) sums[j] = s[size_t(j)][size_t(c)];
    backward_coefficients(M, rstd[c], gamma[c], tgamma[c], sums, k.data() + 5 * c, tdgamma + c, tdbeta + c);
  }
  if (!tdx) return;
  const size_t rows = size_t(batch_blocks(B)) * P;
#pragma omp parallel for schedule(static)
  for (size_t r = 0; r < rows; ++r)
    for (int c = 0; c < C; ++c) {
      const size_t o = (r * C + c) * L;
      const float k0 = k[5 * c], k1 = k[5 * c + 1], k2 = k[5 * c + 2], k3 = k[5 * c + 3], k4 = k[5 * c + 4];
      const float m = mean[c];
      const float* __restrict__ dr = dy + o, * __restrict__ tdr = tdy + o, * __restrict__ xr = x + o;
      const float* __restrict__ tr = tx + o, * __restrict__ ry = kMasked ? relu_y + o : nullptr;
      float* __restrict__ out = tdx + o;
      if (accumulate) {
#pragma omp simd
        for (int l = 0; l < L; ++l)
          out[l] += k0 * dz(dr[l], ry, l) + k1 * dz(tdr[l], ry, l) + k2 * tr[l] + k3 * (xr[l] - m) + k4;
      } else {
#pragma omp simd
        for (int l = 0; l < L; ++l)
          out[l] = k0 * dz(dr[l], ry, l) + k1 * dz(tdr[l], ry, l) + k2 * tr[l] + k3 * (xr[l] - m) + k4;
      }
    }
}

}  // namespace

void batchnorm_tangent_backward(int C, int P, int B, const float* dy, const float* tdy, const float* x, const float* tx,
                                const float* gamma, const float* tgamma, const float* mean, const float* rstd,
                                const float* relu_y, float* tdx, float* tdgamma, float* tdbeta, bool accumulate) {
  if (relu_y)
    batchnorm_tangent_backward_impl<true>(C, P, B, dy, tdy, x, tx, gamma, tgamma, mean, rstd, relu_y, tdx, tdgamma,
                                          tdbeta, accumulate);
  else
    batchnorm_tangent_backward_impl<false>(C, P, B, dy, tdy, x, tx, gamma, tgamma, mean, rstd, nullptr, tdx, tdgamma,
                                           tdbeta, accumulate);
}

}  // namespace naswot::cpu
