// Launchers of the custom CUDA kernels (tensors [B][C][H][W], float32 unless stated). Each enqueues on
// `s` and returns at once; launch errors throw. The CPU kernels in kernels/cpu are their specification.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "kernels/op_table.h"

namespace naswot::cuda {

// The launchers of the op table's KERNEL rows (kernels/ops.def: what each computes): n calls with
// equal scalar arguments in as few launches as kernels/cuda/many.cuh allows; a single call is n = 1.
#define NASWOT_OP_CUDA_KERNEL(name, params) void name##_many(cudaStream_t s, const op_args::name* calls, int n);
#define NASWOT_OP_CUDA_OWN(name, params)
#define NASWOT_OP(name, cuda, params, args) NASWOT_OP_CUDA_##cuda(name, params)
#include "kernels/ops.def"
#undef NASWOT_OP
#undef NASWOT_OP_CUDA_OWN
#undef NASWOT_OP_CUDA_KERNEL

// Helpers of the OWN rows.
// draw_weights: the table in host memory; it travels in the launches' parameters (no copy, no sync).
void draw_weights(cudaStream_t s, const WeightDraw* table, int count, float* params);
void copy_block(cudaStream_t s, int B, size_t len, const float* src, size_t src_per_sample, size_t src_off, float* dst,
                size_t dst_per_sample, size_t dst_off, bool accumulate);
void add_bias(cudaStream_t s, int B, int Out, const float* bias, float* y);  // y[b][o] += bias[o]

// The batched convolution kernels (kernels/cuda/conv2d.cu): stride 1, k 1 or 3, 0 <= pad < k, and the
// spaces' 3x3 stride-2 shapes; conv2d_supported says whether a shape is theirs (forward and backward-
// data). n calls of one shape, in launches of kManyCalls; gather: the general kernel on the stride-1
// shapes also where the direct one applies (the same bits).
bool conv2d_supported(const ConvDims& d);
void conv2d_forward_many(cudaStream_t s, const op_args::conv2d_forward* calls, int n, bool gather = false);
void conv2d_backward_data_many(cudaStream_t s, const op_args::conv2d_backward_data* calls, int n, bool gather = false);
// --precision tf32: the tensor cores' implicit matrix product (kernels/cuda/conv2d_tf32_kernel.cuh) for
// stride-1 "same" convolutions of odd kernel size, n calls of one shape; conv2d_tf32_supported says which.
// split (--precision 3xtf32): each operand as two TF32 parts, three products (float32's accuracy class).
bool conv2d_tf32_supported(const ConvDims& d);
void conv2d_tf32_forward_many(cudaStream_t s, const op_args::conv2d_forward* calls, int n, bool split);
void conv2d_tf32_backward_data_many(cudaStream_t s, const op_args::conv2d_backward_data* calls, int n, bool split);
void conv2d_tf32_relu_forward_many(cudaStream_t s, const op_args::conv2d_relu_forward* calls, int n, bool split);
void conv2d_tf32_relu_backward_data_many(cudaStream_t s, const op_args::conv2d_relu_backward_data* calls, int n,
                                         bool split);
// The same with a ReLU fused into the input (kernels/ops.def): relu(x) on load; x > 0 as dx's mask on store.
void conv2d_relu_forward_many(cudaStream_t s, const op_args::conv2d_relu_forward* calls, int n, bool gather = false);
void conv2d_relu_backward_data_many(cudaStream_t s, const op_args::conv2d_relu_backward_data* calls, int n,
                                    bool gather = false);
// A convolution with the batch-norm statistics of its output (kernels/ops.def: conv2d_forward_bn_stats,
// or with relu_in conv2d_relu_forward_bn_stats), planes of 64, 256 or 1024 pixels: ws and counters as
// batchnorm_forward_many's (C = d.Cout, HW = d.Ho * d.Wo).
void conv2d_forward_bn_stats_many(cudaStream_t s, const op_args::conv2d_forward_bn_stats* calls, int n, void* ws,
                                  unsigned* counters, bool gather = false, bool relu_in = false);
// A batch norm's backward read through (kernels/ops.def): its statistics pass, then the convolution
// computing its input gradient on load; ws and counters as batchnorm_backward_many's (C = d.Cout).
void conv2d_bn_backward_data_many(cudaStream_t s, const op_args::conv2d_bn_backward_data* calls, int n, void* ws,
                                  unsigned* counters, bool gather = false);

// Training-mode batch norm with float64 per-channel sums, the same arithmetic as the CPU kernel; n
// calls with equal C, HW and B, in launches of up to kManyCalls (kernels/cuda/many.cuh). ws:
// min(n, kManyCalls) * batchnorm_workspace_bytes(C, HW, B) bytes of device scratch; counters: kManyCalls
// unsigned, zero before the call and zero after it (the statistics pass counts its finished blocks
// there), owned by the stream's caller. The forward statistics of 64-, 256- and 1024-pixel planes in
// the order of naswot's direct convolution's tiles (kernels/cuda/bn_tile_stats.cuh).
size_t batchnorm_workspace_bytes(int C, int HW, int B);
bool batchnorm_tile_stats(int HW);  // whether the forward statistics of such planes are in tile order
void batchnorm_forward_many(cudaStream_t s, const op_args::batchnorm_forward* calls, int n, void* ws,
                            unsigned* counters);
// batchnorm_forward's statistics alone, of the outputs y of n convolutions (d, x, w, y, eps, mean, rstd)
// that did not sum them, and its output from given statistics (kernels/ops.def).
void batchnorm_statistics_many(cudaStream_t s, const op_args::conv2d_forward_bn_stats* calls, int n, void* ws,
                               unsigned* counters);
void batchnorm_apply_many(cudaStream_t s, const op_args::batchnorm_apply* calls, int n);
void batchnorm_backward_many(cudaStream_t s, const op_args::batchnorm_backward* calls, int n, void* ws,
                             unsigned* counters);

// Batch norm's affine gradients (kernels/ops.def, batchnorm_backward_affine): one block per channel.
void batchnorm_backward_affine(cudaStream_t s, int C, int HW, int B, const float* dy, const float* x, const float* mean,
                               const float* rstd, const float* relu_y, float* dgamma, float* dbeta, bool accumulate);

// Batch norm's tangents (kernels/ops.def, batchnorm_tangent_*): one block per channel for the sums,
// then an element-wise pass; coef: batchnorm_tangent_scratch_floats(C) floats of device scratch.
size_t batchnorm_tangent_scratch_floats(int C);
void batchnorm_tangent_forward(cudaStream_t s, int C, int HW, int B, const float* x, const float* tx,
                               const float* gamma, const float* tgamma, const float* tbeta, const float* mean,
                               const float* rstd, const float* relu_y, float* ty, BnStore store, float* coef);
void batchnorm_tangent_backward(cudaStream_t s, int C, int HW, int B, const float* dy, const float* tdy, const float* x,
                                const float* tx, const float* gamma, const float* tgamma, const float* mean,
                                const float* rstd, const float* relu_y, float* tdx, float* tdgamma, float* tdbeta,
                                bool accumulate, float* coef);

// The fisher proxy's terms of one layer (kernels/ops.def, fisher_terms); scratch: C doubles.
void fisher_terms(cudaStream_t s, int C, int HW, int B, const float* act, const float* grad, float* out,
                  bool accumulate, double* scratch);

// Sigma_J of n architectures at once (J[a]: B rows of `row` values). sigma_rows: per row its mean and
// 1 / sqrt(sum of squared deviations) (stats: n * B * 2 doubles) and flags[a * B + b] = 0 ok, 1
// non-finite entry, 2 zero variance. sigma_gram: S (n * B * B, each B x B column-major, lower
// triangle) = A A^T over the rows centred and scaled by stats, the entries of A and the sums in float64
// or, fp32, float32. The same bits for an architecture whatever n and its place among them.
void sigma_rows(cudaStream_t s, const float* const* J, int n, int B, size_t row, double* stats, int* flags);
void sigma_gram(cudaStream_t s, const float* const* J, int n, int B, size_t row, const double* stats, double* S,
                bool fp32);
// The Cholesky terms of M = clamp(S, -1, 1) + shift I per architecture, one block each (B <= 128:
// sigma_cholesky_supported): terms[2a] = ln det M, terms[2a + 1] = tr M^-1; info[a] = 0, j + 1 where
// column j's pivot is not positive and finite, -1 where flags marks a row of a (nothing computed).
bool sigma_cholesky_supported(int B);
void sigma_cholesky(cudaStream_t s, int n, int B, const double* S, double shift, const int* flags, double* terms,
                    int* info);
// Clamp the lower triangle of S (B x B, column-major) to [-1, 1]; M = S + shift * I when M != nullptr.
void clamp_sigma(cudaStream_t s, int B, double* S, double shift, double* M);
void set_identity(cudaStream_t s, int B, double* X);
// out[0] = sum_i 2 ln L_ii, out[1] = sum_i X_ii (one block).
void cholesky_terms(cudaStream_t s, int B, const double* L, const double* X, double* out);

}  // namespace naswot::cuda
