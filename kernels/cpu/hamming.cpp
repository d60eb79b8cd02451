// ReLU codes of the Hamming score: (y > 0) packed word-major into 64-bit words, then exact pairwise
// popcounts over all of a network's words at once (AVX-512 VPOPCNTDQ when the build targets it, the
// scalar popcount instruction otherwise).
#include <omp.h>

#include <algorithm>
#include <vector>

#if defined(__AVX512VPOPCNTDQ__) && defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/simd.h"

namespace naswot::cpu {

void xor_popcount_add(uint64_t c, const uint64_t* row, uint64_t* acc, size_t n) {
  size_t j = 0;
#if defined(__AVX512VPOPCNTDQ__) && defined(__AVX512F__)
  const __m512i cv = _mm512_set1_epi64(int64_t(c));
  for (; j + 8 <= n; j += 8) {
    const __m512i x = _mm512_xor_si512(_mm512_loadu_si512(row + j), cv);
    _mm512_storeu_si512(acc + j, _mm512_add_epi64(_mm512_loadu_si512(acc + j), _mm512_popcnt_epi64(x)));
  }
#endif
  for (; j < n; ++j) acc[j] += uint64_t(__builtin_popcountll(c ^ row[j]));
}

void relu_codes(size_t D, int B, const float* y, uint64_t* codes) {
  const int nblk = batch_blocks(B);
  const size_t W = (D + 63) / 64;
  constexpr int L = simd::kLanes;
  // One row (a word of every sample) at a time: a unit's values are contiguous over a block's lanes.
#pragma omp parallel for schedule(static)
  for (size_t w = 0; w < W; ++w) {
    uint64_t* row = codes + w * size_t(B);
    std::fill(row, row + B, uint64_t(0));
    const size_t e_end = std::min(D, (w + 1) * 64);
    for (int blk = 0; blk < nblk; ++blk) {
      const int nl = std::min(L, B - blk * L);
      uint64_t* wb = row + size_t(blk) * L;
      for (size_t e = w * 64; e < e_end; ++e) {
        const float* r = y + (size_t(blk) * D + e) * L;
        const unsigned bit = unsigned(e & 63);
        for (int l = 0; l < nl; ++l) wb[l] |= uint64_t(r[l] > 0.f) << bit;
      }
    }
  }
}

void hamming_pairs(int B, size_t words, const uint64_t* codes, int64_t D, int64_t weight, int64_t* K, bool accumulate) {
  // diff[a][b] (b >= a): the differing bits, summed over chunks of rows that stay in cache while every
  // thread passes its rows a over them (the same static schedule in each chunk: the same rows).
  std::vector<uint64_t> diff(size_t(B) * size_t(B), 0);
  constexpr size_t kChunk = 64;  // rows of B words: 64 KB at B = 128
#pragma omp parallel
  for (size_t w0 = 0; w0 < words; w0 += kChunk) {
    const size_t w1 = std::min(words, w0 + kChunk);
#pragma omp for schedule(static, 1) nowait
    for (int a = 0; a < B; ++a) {
      uint64_t* d = diff.data() + size_t(a) * B + a;
      for (size_t w = w0; w < w1; ++w) {
        const uint64_t* row = codes + w * size_t(B);
        xor_popcount_add(row[a], row + a, d, size_t(B - a));
      }
    }
  }
  for (int a = 0; a < B; ++a)
    for (int b = a; b < B; ++b) {
      const int64_t v = weight * (D - int64_t(diff[size_t(a) * B + b]));
      int64_t& ab = K[size_t(a) * B + b];
      int64_t& ba = K[size_t(b) * B + a];
      ab = accumulate ? ab + v : v;
      if (b != a) ba = accumulate ? ba + v : v;
    }
}

}  // namespace naswot::cpu
