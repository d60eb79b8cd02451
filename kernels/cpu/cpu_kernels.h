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
#include <vector>

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

// Hamming kernel of one ReLU site: codes c_b = (y[., b] > 0) over the D = per_sample units of each
// real sample (y in the blocked layout; the order of units within a code does not change K),
// K[a][b] += weight * (D - popcount(c_a xor c_b)), exactly, for all a, b < B. scratch holds packed codes.
void hamming_accumulate(size_t per_sample, int B, const float* y, int64_t weight, int64_t* K,
                        std::vector<uint64_t>& scratch);
// The popcount of a xor b over n 64-bit words (exposed for tests).
uint64_t popcount_xor(const uint64_t* a, const uint64_t* b, size_t n);

}  // namespace naswot::cpu
