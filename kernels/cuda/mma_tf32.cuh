// The tensor cores' TF32 matrix product for naswot's kernels: a float rounded to TF32, and one warp's
// 16 x 8 x 8 product-accumulate (mma.sync m16n8k8, fragments as the PTX ISA lays them out; under the SIMT
// emulator, tests/simt_emulator.h's definition of the same instruction).
#pragma once
#include <cstdint>

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

}  // namespace
}  // namespace naswot::cuda
