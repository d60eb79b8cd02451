// The blocked activation layout of the CPU kernels: lane count and conversions from/to NCHW.
#include <omp.h>

#include <algorithm>

#include "kernels/cpu/cpu_kernels.h"
#include "kernels/cpu/simd.h"

namespace naswot::cpu {

int batch_blocks(int B) { return (B + simd::kLanes - 1) / simd::kLanes; }
size_t padded_batch(int B) { return size_t(batch_blocks(B)) * simd::kLanes; }

const char* kernel_variant() {
#if defined(__AVX512F__)
  return "avx512";
#elif defined(__AVX2__) && defined(__FMA__)
  return "avx2-fma";
#elif defined(__FMA__)
  return "portable-fma";
#else
  return "portable";
#endif
}

void to_blocked(int B, int C, int P, const float* nchw, float* blocked) {
  const int nblk = batch_blocks(B);
  constexpr int L = simd::kLanes;
#pragma omp parallel for collapse(2) schedule(static)
  for (int blk = 0; blk < nblk; ++blk)
    for (int p = 0; p < P; ++p)
      for (int c = 0; c < C; ++c) {
        float* dst = blocked + ((size_t(blk) * P + p) * C + c) * L;
        for (int l = 0; l < L; ++l) {
          const int b = blk * L + l;
          dst[l] = b < B ? nchw[(size_t(b) * C + c) * P + p] : 0.f;
        }
      }
}

void from_blocked(int B, int C, int P, const float* blocked, float* nchw) {
  constexpr int L = simd::kLanes;
#pragma omp parallel for collapse(2) schedule(static)
  for (int b = 0; b < B; ++b)
    for (int c = 0; c < C; ++c) {
      const float* src = blocked + (size_t(b / L) * P * C + c) * L + b % L;
      float* dst = nchw + (size_t(b) * C + c) * P;
      for (int p = 0; p < P; ++p) dst[p] = src[size_t(p) * C * L];
    }
}

}  // namespace naswot::cpu
