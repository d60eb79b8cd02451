// CPU reference kernels (the executable specification) on float32 tensors laid out [C][H][W][B].
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace naswot::cpu {

struct ConvDims {
  int B, Cin, H, W, Cout, k, stride, pad, Ho, Wo;
};

// Every backward kernel writes dx when accumulate is false and adds to it when true,
// so the executor can sum gradients of values with several consumers without extra buffers.
void conv2d_forward(const ConvDims& d, const float* x, const float* w, float* y);
void conv2d_backward_data(const ConvDims& d, const float* dy, const float* w, float* dx, bool accumulate);

// Training-mode batch norm over the M = H*W*B contiguous elements of each channel; biased variance.
// Saves per-channel mean and rstd = 1/sqrt(var + eps) for the backward pass.
void batchnorm_forward(int C, size_t M, const float* x, const float* gamma, const float* beta, float eps,
                       float* y, float* mean, float* rstd);
// Full gradient through the batch statistics (couples all samples of the batch).
void batchnorm_backward(int C, size_t M, const float* dy, const float* x, const float* gamma,
                        const float* mean, const float* rstd, float* dx, bool accumulate);

void relu_forward(size_t n, const float* x, float* y);
void relu_backward(size_t n, const float* dy, const float* y, float* dx, bool accumulate);
void add_forward(size_t n, const float* const* xs, int count, float* y);
void copy_or_accumulate(size_t n, const float* src, float* dst, bool accumulate);
void fill(size_t n, float v, float* y);
// rows x cols -> cols x rows (row-major), tiled: [B][C*H*W] <-> [C*H*W][B].
void transpose(const float* src, float* dst, size_t rows, size_t cols);

// Pools: x is C x H x W x B; the 2x2 pool's output is C x H/2 x W/2 x B, the global pool's C x B.
void avgpool3x3_forward(int C, int H, int W, int B, const float* x, float* y);
void avgpool3x3_backward(int C, int H, int W, int B, const float* dy, float* dx, bool accumulate);
void avgpool2x2_forward(int C, int H, int W, int B, const float* x, float* y);
void avgpool2x2_backward(int C, int H, int W, int B, const float* dy, float* dx, bool accumulate);
void global_avgpool_forward(int C, int HW, int B, const float* x, float* y);
void global_avgpool_backward(int C, int HW, int B, const float* dy, float* dx, bool accumulate);

// Max pool k x k with stride and padding (padding never wins). The backward pass recomputes each
// window's argmax from x (first maximum in row-major window order, as PyTorch) and routes dy there.
void maxpool_forward(int C, int H, int W, int B, int k, int stride, int pad, const float* x, float* y);
void maxpool_backward(int C, int H, int W, int B, int k, int stride, int pad, const float* x, const float* dy,
                      float* dx, bool accumulate);

// x: [In][B], w: [Out][In], y: [Out][B].
void linear_forward(int B, int In, int Out, const float* x, const float* w, const float* bias, float* y);
void linear_backward_data(int B, int In, int Out, const float* dy, const float* w, float* dx, bool accumulate);

// Hamming kernel of one ReLU site: codes c_b = (y[:, b] > 0) over D = per_sample units (y is D x B),
// K[a][b] += weight * (D - popcount(c_a xor c_b)), exactly, for all a, b. scratch holds packed codes.
void hamming_accumulate(size_t per_sample, int B, const float* y, int64_t weight, int64_t* K,
                        std::vector<uint64_t>& scratch);
// Bits per word of the packed codes and the popcount of a xor b over n words (exposed for tests).
uint64_t popcount_xor(const uint64_t* a, const uint64_t* b, size_t n);

}  // namespace naswot::cpu
