// Vector width of the CPU kernels for the ISA this build targets, and the batch-lane count it implies.
// Internal to kernels/cpu (compiled with the same flags); everything else asks cpu::padded_batch().
#pragma once
#include <cstring>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

namespace naswot::cpu::simd {

// vec holds kW floats; a register block of the convolution is kOB output channels x two vectors,
// sized so the 2 kOB accumulators, two inputs and a broadcast weight fit the vector registers.
#if defined(__AVX512F__)
using vec = __m512;
constexpr int kW = 16, kOB = 8;
inline vec vload(const float* p) { return _mm512_loadu_ps(p); }
inline void vstore(float* p, vec v) { _mm512_storeu_ps(p, v); }
inline vec vbcast(const float* p) { return _mm512_set1_ps(*p); }
inline vec vfma(vec a, vec b, vec c) { return _mm512_fmadd_ps(a, b, c); }
inline vec vzero() { return _mm512_setzero_ps(); }
inline vec vadd(vec a, vec b) { return _mm512_add_ps(a, b); }
inline vec vmul(vec a, vec b) { return _mm512_mul_ps(a, b); }
// (a > b) ? x : y and (a == b) ? x : y per lane (ordered compares: NaN selects y).
inline vec vsel_gt(vec a, vec b, vec x, vec y) {
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_GT_OQ), y, x);
}
inline vec vsel_eq(vec a, vec b, vec x, vec y) {
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ), y, x);
}
// (a > b) ? a : b, exactly (MAXPS: NaN or equal operands give b); (a == b) ? x : +0.
inline vec vmax(vec a, vec b) { return _mm512_max_ps(a, b); }
inline vec vsel_eq0(vec a, vec b, vec x) { return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ), x); }
#elif defined(__AVX2__) && defined(__FMA__)
using vec = __m256;
constexpr int kW = 8, kOB = 6;
inline vec vload(const float* p) { return _mm256_loadu_ps(p); }
inline void vstore(float* p, vec v) { _mm256_storeu_ps(p, v); }
inline vec vbcast(const float* p) { return _mm256_broadcast_ss(p); }
inline vec vfma(vec a, vec b, vec c) { return _mm256_fmadd_ps(a, b, c); }
inline vec vzero() { return _mm256_setzero_ps(); }
inline vec vadd(vec a, vec b) { return _mm256_add_ps(a, b); }
inline vec vmul(vec a, vec b) { return _mm256_mul_ps(a, b); }
inline vec vsel_gt(vec a, vec b, vec x, vec y) { return _mm256_blendv_ps(y, x, _mm256_cmp_ps(a, b, _CMP_GT_OQ)); }
inline vec vsel_eq(vec a, vec b, vec x, vec y) { return _mm256_blendv_ps(y, x, _mm256_cmp_ps(a, b, _CMP_EQ_OQ)); }
inline vec vmax(vec a, vec b) { return _mm256_max_ps(a, b); }
inline vec vsel_eq0(vec a, vec b, vec x) { return _mm256_and_ps(_mm256_cmp_ps(a, b, _CMP_EQ_OQ), x); }
#else  // portable: the GCC/Clang vector extension (SSE2, NEON, ...)
typedef float vec __attribute__((vector_size(16)));
constexpr int kW = 4, kOB = 6;
inline vec vload(const float* p) {
  vec v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void vstore(float* p, vec v) { std::memcpy(p, &v, sizeof v); }
inline vec vbcast(const float* p) { return vec{} + *p; }
inline vec vfma(vec a, vec b, vec c) { return a * b + c; }
inline vec vzero() { return vec{}; }
inline vec vadd(vec a, vec b) { return a + b; }
inline vec vmul(vec a, vec b) { return a * b; }
typedef int ivec __attribute__((vector_size(16)));
inline vec vblend(ivec m, vec x, vec y) { return vec(((ivec)x & m) | ((ivec)y & ~m)); }
inline vec vsel_gt(vec a, vec b, vec x, vec y) { return vblend((ivec)(a > b), x, y); }
inline vec vsel_eq(vec a, vec b, vec x, vec y) { return vblend((ivec)(a == b), x, y); }
inline vec vmax(vec a, vec b) { return vsel_gt(a, b, a, b); }
inline vec vsel_eq0(vec a, vec b, vec x) { return vec((ivec)(a == b) & (ivec)x); }
#endif

// Batch lanes per block of the activation layout (see cpu_kernels.h): two vectors.
constexpr int kLanes = 2 * kW;

}  // namespace naswot::cpu::simd
