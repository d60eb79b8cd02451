// ReLU-code Hamming kernel: pack (y > 0) per sample into 64-bit words, then exact pairwise popcounts
// (AVX-512 VPOPCNTDQ when the build targets it, the scalar popcount instruction otherwise).
#include <omp.h>

#include <algorithm>
#include <cstring>

#if defined(__AVX512VPOPCNTDQ__) && defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/simd.h"

namespace naswot::cpu {

uint64_t popcount_xor(const uint64_t* a, const uint64_t* b, size_t n) {
  size_t i = 0;
  uint64_t total = 0;
#if defined(__AVX512VPOPCNTDQ__) && defined(__AVX512F__)
  __m512i acc = _mm512_setzero_si512();
  for (; i + 8 <= n; i += 8) {
    const __m512i x = _mm512_xor_si512(_mm512_loadu_si512(a + i), _mm512_loadu_si512(b + i));
    acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(x));
  }
  alignas(64) uint64_t lanes[8];  // (_mm512_reduce_add_epi64 trips a GCC 12 false warning)
  _mm512_store_si512(lanes, acc);
  for (uint64_t l : lanes) total += l;
#endif
  for (; i < n; ++i) total += uint64_t(__builtin_popcountll(a[i] ^ b[i]));
  return total;
}

void hamming_accumulate(size_t D, int B, const float* y, int64_t weight, int64_t* K, std::vector<uint64_t>& codes) {
  const int nblk = batch_blocks(B);
  const size_t W = (D + 63) / 64;  // bits beyond D stay 0 in every code, so they never count as different
  codes.assign(size_t(B) * W, 0);
  uint64_t* const cp = codes.data();
  constexpr int L = simd::kLanes;
  // One word of every sample at a time: a unit's values are contiguous over a block's lanes, and
  // the word's bits for all samples build up in a small per-thread buffer.
#pragma omp parallel
  {
    std::vector<uint64_t> word(static_cast<size_t>(B));
#pragma omp for schedule(static)
    for (size_t w = 0; w < W; ++w) {
      std::fill(word.begin(), word.end(), 0);
      const size_t e_end = std::min(D, (w + 1) * 64);
      for (int blk = 0; blk < nblk; ++blk) {
        const int nl = std::min(L, B - blk * L);
        uint64_t* wb = word.data() + size_t(blk) * L;
        for (size_t e = w * 64; e < e_end; ++e) {
          const float* r = y + (size_t(blk) * D + e) * L;
          const unsigned bit = unsigned(e & 63);
          for (int l = 0; l < nl; ++l) wb[l] |= uint64_t(r[l] > 0.f) << bit;
        }
      }
      for (int b = 0; b < B; ++b) cp[size_t(b) * W + w] = word[b];
    }
  }
  const int64_t full = weight * int64_t(D);
#pragma omp parallel for schedule(dynamic, 4)
  for (int a = 0; a < B; ++a) {
    const uint64_t* ca = codes.data() + size_t(a) * W;
    K[size_t(a) * B + a] += full;
    for (int b = a + 1; b < B; ++b) {
      const int64_t v = full - weight * int64_t(popcount_xor(ca, codes.data() + size_t(b) * W, W));
      K[size_t(a) * B + b] += v;
      K[size_t(b) * B + a] += v;
    }
  }
}

}  // namespace naswot::cpu
