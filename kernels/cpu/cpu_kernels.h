// CPU reference kernels (the executable specification) on float32 activations in the blocked layout
//   [block][pixel][channel][lane],  block = b / L, lane = b % L, pixel = h * W + w,
// with L lanes: two vectors of the ISA this build targets (32 AVX-512, 16 AVX2, 8 portable).
// A pixel's channels are contiguous (a convolution tap reads one run) and batch lanes are innermost
// (every op vectorises over the batch). The batch is padded to whole blocks: lanes b >= B hold
// unspecified finite values that no real lane depends on (batch-norm statistics and Hamming codes
// skip them). An activation of C channels and P pixels takes padded_batch(B) * C * P floats.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/op_table.h"

namespace naswot::cpu {

int batch_blocks(int B);
size_t padded_batch(int B);
// The arithmetic this build's kernels do: the vector ISA (lanes and register blocking follow from it)
// and whether multiply-adds are fused; builds that differ here round differently.
const char* kernel_variant();
// Between NCHW (B x C x P, host order) and the blocked layout; padding lanes are written as zeros.
void to_blocked(int B, int C, int P, const float* nchw, float* blocked);
void from_blocked(int B, int C, int P, const float* blocked, float* nchw);

using naswot::BnGrad;
using naswot::BnStore;
using naswot::ConvDims;
using naswot::WeightDraw;

// The op table's kernels (kernels/ops.def: what each computes), on the blocked layout.
#define NASWOT_OP(name, cuda, params, args) void name params;
#include "kernels/ops.def"
#undef NASWOT_OP

// batchnorm_forward's statistics alone (what batchnorm_apply then applies).
void batchnorm_statistics(int C, int P, int B, const float* x, float eps, float* mean, float* rstd);

// acc[j] += popcount(c ^ row[j]) for j < n: hamming_pairs' inner loop (exposed for tests).
void xor_popcount_add(uint64_t c, const uint64_t* row, uint64_t* acc, size_t n);

}  // namespace naswot::cpu
