// The tensor cores' TF32 matrix product for naswot's kernels: a float rounded to TF32 (and the rest it
// leaves, for 3xTF32), and one warp's 16 x 8 x 8 product-accumulate (mma.sync m16n8k8, fragments as the
// PTX ISA lays them out; under the SIMT emulator, tests/simt_emulator.h's definition of the same
// instruction).
#pragma once
#include <cstdint>
#include <cstring>

namespace naswot::cuda {
namespace {  // one copy per translation unit: the GPU build's and the emulation's never meet

// x rounded to TF32 (cvt.rna: to nearest, ties away from zero), as the bits an mma operand takes.
__device__ inline uint32_t to_tf32(float x) {
#ifdef NASWOT_SIMT_EMULATOR
  return simt::tf32_rna(x);
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800  // no TF32 before sm_80: the backend never launches it
  __trap();
  return 0;
#else
  uint32_t r;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
  return r;
#endif
}

// What rounding x to TF32 (hi, to_tf32's bits) left out, itself rounded to TF32: x - hi is exact in
// float and at most 2^-11 |x|, so x = hi + lo within 2^-22 |x|. Where x - hi is not finite (x infinite
// or NaN, or hi rounded up to infinity), lo is 0: hi carries x's value, and inf - inf makes no NaN.
__device__ inline uint32_t tf32_rest(float x, uint32_t hi) {
#ifdef NASWOT_SIMT_EMULATOR
  float h;
  std::memcpy(&h, &hi, sizeof h);
#else
  const float h = __uint_as_float(hi);
#endif
  const float r = x - h;
  return to_tf32(isfinite(r) ? r : 0.f);
}

// d += a b for the warp's fragments: a of a 16 x 8 row-major A (4 per lane), b of an 8 x 8 B (2 per
// lane), d of the 16 x 8 float result (4 per lane). Every lane of the warp calls it.
__device__ inline void mma_tf32(float d[4], const uint32_t a[4], const uint32_t b[2]) {
#ifdef NASWOT_SIMT_EMULATOR
  simt::mma_m16n8k8_tf32(d, a, b);
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
  __trap();
#else
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
}

// 3xTF32's three products, the small ones first: d += a_lo b_hi, d += a_hi b_lo, d += a_hi b_hi (the
// emulator runs them in one rendezvous, with the results of three calls).
__device__ inline void mma_tf32x3(float d[4], const uint32_t a_hi[4], const uint32_t a_lo[4], const uint32_t b_hi[2],
                                  const uint32_t b_lo[2]) {
#ifdef NASWOT_SIMT_EMULATOR
  const uint32_t* const a[3] = {a_lo, a_hi, a_hi};
  const uint32_t* const b[3] = {b_hi, b_lo, b_hi};
  simt::mma_m16n8k8_tf32_chain(d, a, b, 3);
#else
  mma_tf32(d, a_lo, b_hi);
  mma_tf32(d, a_hi, b_lo);
  mma_tf32(d, a_hi, b_hi);
#endif
}

}  // namespace
}  // namespace naswot::cuda
