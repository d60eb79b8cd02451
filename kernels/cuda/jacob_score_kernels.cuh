// Sigma_J's own kernels, for several architectures per launch: row statistics of J (with the CPU's
// degenerate-row checks), the product of the centred unit-norm rows (lower triangle), and one
// block per architecture that factorises Sigma_J + kI (Cholesky) and inverts the factor in registers
// for the score's log-determinant and trace; clamping and Cholesky terms for cuSOLVER's paths.
// Device code and its launches without launch syntax: the launchers call launch(kernel, grid,
// threads, args...), on a stream in jacob_score.cu (kernels/cuda/on_stream.cuh) and on the CPU under
// tests/simt_emulator.h.
#pragma once
#include <cmath>
#include <cstddef>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/many.cuh"
#include "kernels/cuda/reduce.cuh"

namespace naswot::cuda {
namespace {  // one copy per translation unit: the GPU build's and the emulation's never meet

// One block per (row, architecture): the row's mean and 1 / sqrt(sum of squared deviations), in
// float64 (0, 0 for a flagged row); flags = 0 ok, 1 non-finite entry, 2 zero variance. Calls c of the
// launch write stats[(c * B + row) * 2 ...] and flags[c * B + row].
__global__ void sigma_rows_k(Many<const float*> m, int B, size_t row, double* stats, int* flags) {
  __shared__ double scratch[32];
  const int b = blockIdx.x, c = blockIdx.y;
  const float* src = m.call[c] + size_t(b) * row;
  const size_t at = size_t(c) * B + b;
  double s = 0, bad = 0;
  for (size_t i = threadIdx.x; i < row; i += blockDim.x) {
    const float v = src[i];
    if (isfinite(v))
      s += v;
    else
      bad = 1;
  }
  bad = block_sum(bad, scratch);
  int flag = bad > 0 ? 1 : 0;
  double mean = 0, inv = 0;
  if (!flag) {
    s = block_sum(s, scratch);
    mean = s / double(row);
    double ss = 0;
    for (size_t i = threadIdx.x; i < row; i += blockDim.x) {
      const double d = double(src[i]) - mean;
      ss += d * d;
    }
    ss = block_sum(ss, scratch);
    if (ss > 0)
      inv = 1.0 / sqrt(ss);
    else
      flag = 2, mean = 0;
  }
  if (threadIdx.x == 0) stats[2 * at] = mean, stats[2 * at + 1] = inv, flags[at] = flag;
}

__device__ inline double fma_t(double a, double b, double c) { return fma(a, b, c); }
__device__ inline float fma_t(float a, float b, float c) { return __fmaf_rn(a, b, c); }

constexpr int kGramTile = 64, kGramChunk = 16, kGramThreads = 256;

// S[c] (B x B, column-major, lower triangle) = A A^T, A the rows of J centred and scaled by
// sigma_rows_k's statistics, each entry rounded to T (float64, or float32 for --sigma-precision
// fp32) and every product accumulated in T by one thread in column order: the bits do not depend
// on the launch. Grid: (lower 64 x 64 tiles, calls); 256 threads, 4 x 4 entries each.
template <class T>
__global__ void sigma_gram_k(Many<const float*> m, int B, size_t row, const double* stats, double* S) {
  __shared__ T as[kGramChunk][kGramTile + 1], bs[kGramChunk][kGramTile + 1];
  const int c = blockIdx.y;
  int ti = 0, t = int(blockIdx.x);
  while (t > ti) t -= ++ti;  // tiles (ti, tj), tj <= ti, numbered row by row
  const int i0 = ti * kGramTile, j0 = t * kGramTile;
  const float* J = m.call[c];
  const double* st = stats + size_t(c) * B * 2;
  // The rows this thread stages: tile row r = threadIdx.x / 16 + 16 q, chunk column threadIdx.x % 16.
  const int lr = int(threadIdx.x) / kGramChunk, lc = int(threadIdx.x) % kGramChunk;
  double am[4], ai[4], bm[4], bi[4];
  const float *ap[4], *bp[4];
#pragma unroll
  for (int q = 0; q < 4; ++q) {
    const int ra = i0 + lr + 16 * q, rb = j0 + lr + 16 * q;
    am[q] = ra < B ? st[2 * ra] : 0, ai[q] = ra < B ? st[2 * ra + 1] : 0;
    bm[q] = rb < B ? st[2 * rb] : 0, bi[q] = rb < B ? st[2 * rb + 1] : 0;
    ap[q] = ra < B ? J + size_t(ra) * row : nullptr;
    bp[q] = rb < B ? J + size_t(rb) * row : nullptr;
  }
  const int ty = int(threadIdx.x) / 16, tx = int(threadIdx.x) % 16;
  T acc[4][4] = {};
  for (size_t c0 = 0; c0 < row; c0 += kGramChunk) {
    const size_t col = c0 + size_t(lc);
#pragma unroll
    for (int q = 0; q < 4; ++q) {
      as[lc][lr + 16 * q] = ap[q] && col < row ? T((double(ap[q][col]) - am[q]) * ai[q]) : T(0);
      bs[lc][lr + 16 * q] = bp[q] && col < row ? T((double(bp[q][col]) - bm[q]) * bi[q]) : T(0);
    }
    __syncthreads();
#pragma unroll
    for (int k = 0; k < kGramChunk; ++k) {
      T a[4], b[4];
#pragma unroll
      for (int q = 0; q < 4; ++q) a[q] = as[k][ty + 16 * q], b[q] = bs[k][tx + 16 * q];
#pragma unroll
      for (int p = 0; p < 4; ++p)
#pragma unroll
        for (int q = 0; q < 4; ++q) acc[p][q] = fma_t(a[p], b[q], acc[p][q]);
    }
    __syncthreads();
  }
  double* s = S + size_t(c) * B * B;
#pragma unroll
  for (int p = 0; p < 4; ++p)
#pragma unroll
    for (int q = 0; q < 4; ++q) {
      const int i = i0 + ty + 16 * p, j = j0 + tx + 16 * q;
      if (i < B && j <= i) s[size_t(j) * B + i] = double(acc[p][q]);
    }
}

constexpr int kCholSide = 16;  // the factorisation's threads: a 16 x 16 grid

// One block per architecture, for B <= 16 N: M = clamp(S, -1, 1) + shift I is factorised M = L L^T
// (right-looking, one column per step) while L^-1 is built in the same registers: thread (r, c) holds
// entries (r + 16 x, c + 16 y); entry (i, l) is M's (being factorised) while l is past the step's
// column and L^-1's once the column is done. terms = {2 sum ln L_ii = ln det M, sum (L^-1)_il^2 =
// tr M^-1}; info = 0, or j + 1 when the pivot of column j is not positive and finite (not positive
// definite), or -1 when a row of J was flagged (nothing computed). One barrier per column: the
// column and row a step broadcasts alternate between two buffers.
template <int N>
__global__ void sigma_cholesky_k(int B, const double* S, double shift, const int* flags, double* terms, int* info) {
  constexpr int n = kCholSide * N;
  __shared__ double colv[2][n], rowv[2][n];
  __shared__ double scratch[32];
  __shared__ int flagged;
  const int a = blockIdx.x;
  if (threadIdx.x == 0) flagged = 0;
  __syncthreads();
  for (int b = threadIdx.x; b < B; b += blockDim.x)
    if (flags[size_t(a) * B + b]) flagged = 1;  // every writer writes 1
  __syncthreads();
  if (flagged) {
    if (threadIdx.x == 0) info[a] = -1;
    return;
  }
  const int tr = int(threadIdx.x) / kCholSide, tc = int(threadIdx.x) % kCholSide;
  const double* s = S + size_t(a) * B * B;
  double e[N][N];
#pragma unroll
  for (int x = 0; x < N; ++x)
#pragma unroll
    for (int y = 0; y < N; ++y) {
      const int i = tr + kCholSide * x, l = tc + kCholSide * y;
      e[x][y] = 0;
      if (i < B && l <= i) e[x][y] = fmin(1.0, fmax(-1.0, s[size_t(l) * B + i])) + (i == l ? shift : 0.0);
    }
  double logdet = 0;
#pragma unroll
  for (int jb = 0; jb < N; ++jb)
    for (int jt = 0; jt < kCholSide; ++jt) {
      const int j = jb * kCholSide + jt, p = j & 1;
      if (j >= B) break;  // the same for every thread
      if (tc == jt)       // column j: entries i >= j of M
#pragma unroll
        for (int x = 0; x < N; ++x) {
          const int i = tr + kCholSide * x;
          if (i >= j && i < B) colv[p][i] = e[x][jb];
        }
      if (tr == jt)  // row j: entries l < j of L^-1 (not yet divided by L_jj)
#pragma unroll
        for (int y = 0; y < N; ++y) {
          const int l = tc + kCholSide * y;
          if (l < j) rowv[p][l] = e[jb][y];
        }
      __syncthreads();
      const double pivot = colv[p][j];
      if (!(pivot > 0) || !isfinite(pivot)) {  // the same for every thread
        if (threadIdx.x == 0) info[a] = j + 1;
        return;
      }
      const double d = sqrt(pivot), inv = 1.0 / d;
      logdet += 2.0 * log(d);
#pragma unroll
      for (int x = 0; x < N; ++x) {
        const int i = tr + kCholSide * x;
        if (i < j || i >= B) continue;
        const double lij = colv[p][i] * inv;  // L_ij (i > j)
#pragma unroll
        for (int y = 0; y < N; ++y) {
          const int l = tc + kCholSide * y;
          if (l > i) continue;
          if (l > j)
            e[x][y] = fma(-lij, colv[p][l] * inv, e[x][y]);  // M_il -= L_ij L_lj
          else if (l == j)
            e[x][y] = i == j ? inv : -lij * inv;  // (L^-1)_jj = 1 / L_jj; (L^-1)_ij = -L_ij (L^-1)_jj
          else if (i == j)
            e[x][y] = rowv[p][l] * inv;  // row j of L^-1 is final
          else
            e[x][y] = fma(-lij, rowv[p][l] * inv, e[x][y]);  // (L^-1)_il -= L_ij (L^-1)_jl
        }
      }
    }
  double tr2 = 0;
#pragma unroll
  for (int x = 0; x < N; ++x)
#pragma unroll
    for (int y = 0; y < N; ++y) {
      const int i = tr + kCholSide * x, l = tc + kCholSide * y;
      if (i < B && l <= i) tr2 = fma(e[x][y], e[x][y], tr2);
    }
  tr2 = block_sum(tr2, scratch);
  if (threadIdx.x == 0) terms[2 * a] = logdet, terms[2 * a + 1] = tr2, info[a] = 0;
}

__global__ void clamp_sigma_k(int B, double* S, double shift, double* M) {
  const size_t n = size_t(B) * B;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    const int r = int(i % B), c = int(i / B);  // column-major: (r, c) at c * B + r
    if (r < c) continue;                       // the upper triangle is not referenced
    const double v = fmin(1.0, fmax(-1.0, S[i]));
    S[i] = v;
    if (M) M[i] = r == c ? v + shift : v;
  }
}

__global__ void set_identity_k(int B, double* X) {
  const size_t n = size_t(B) * B;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x)
    X[i] = (i % B) == (i / B) ? 1.0 : 0.0;
}

__global__ void cholesky_terms_k(int B, const double* __restrict__ L, const double* __restrict__ X, double* out) {
  __shared__ double scratch[32];
  double ld = 0, tr = 0;
  for (int i = threadIdx.x; i < B; i += blockDim.x) {
    ld += 2.0 * log(L[size_t(i) * B + i]);
    tr += X[size_t(i) * B + i];
  }
  ld = block_sum(ld, scratch);
  tr = block_sum(tr, scratch);
  if (threadIdx.x == 0) out[0] = ld, out[1] = tr;
}

inline int gram_tiles(int B) {
  const int t = (B + kGramTile - 1) / kGramTile;
  return t * (t + 1) / 2;
}

template <class Launch>
void sigma_rows(const float* const* J, int n, int B, size_t row, double* stats, int* flags, Launch&& launch) {
  for_launches<const float*>(
      J, n, [](const float* j) { return j; },
      [&, done = 0](const Many<const float*>& m) mutable {
        launch(sigma_rows_k, dim3(unsigned(B), unsigned(m.n)), unsigned(512), m, B, row, stats + size_t(done) * B * 2,
               flags + size_t(done) * B);
        done += m.n;
      });
}
template <class Launch>
void sigma_gram(const float* const* J, int n, int B, size_t row, const double* stats, double* S, bool fp32,
                Launch&& launch) {
  for_launches<const float*>(
      J, n, [](const float* j) { return j; },
      [&, done = 0](const Many<const float*>& m) mutable {
        const dim3 grid(unsigned(gram_tiles(B)), unsigned(m.n));
        const double* st = stats + size_t(done) * B * 2;
        double* s = S + size_t(done) * B * B;
        if (fp32)
          launch(sigma_gram_k<float>, grid, unsigned(kGramThreads), m, B, row, st, s);
        else
          launch(sigma_gram_k<double>, grid, unsigned(kGramThreads), m, B, row, st, s);
        done += m.n;
      });
}
constexpr int kCholMaxB = kCholSide * 8;  // sigma_cholesky_k<8>'s
template <class Launch>
void sigma_cholesky(int n, int B, const double* S, double shift, const int* flags, double* terms, int* info,
                    Launch&& launch) {
  const dim3 grid{unsigned(n)};
  const unsigned threads = kCholSide * kCholSide;
  if (B <= kCholSide * 2)
    launch(sigma_cholesky_k<2>, grid, threads, B, S, shift, flags, terms, info);
  else if (B <= kCholSide * 4)
    launch(sigma_cholesky_k<4>, grid, threads, B, S, shift, flags, terms, info);
  else
    launch(sigma_cholesky_k<8>, grid, threads, B, S, shift, flags, terms, info);
}
template <class Launch>
void clamp_sigma(int B, double* S, double shift, double* M, Launch&& launch) {
  launch(clamp_sigma_k, dim3(grid_for(size_t(B) * B)), unsigned(kThreads), B, S, shift, M);
}
template <class Launch>
void set_identity(int B, double* X, Launch&& launch) {
  launch(set_identity_k, dim3(grid_for(size_t(B) * B)), unsigned(kThreads), B, X);
}
template <class Launch>
void cholesky_terms(int B, const double* L, const double* X, double* out, Launch&& launch) {
  launch(cholesky_terms_k, dim3(1), unsigned(256), B, L, X, out);
}

}  // namespace
}  // namespace naswot::cuda
