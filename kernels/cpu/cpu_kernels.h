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

namespace naswot::cpu {

int batch_blocks(int B);
size_t padded_batch(int B);
// Between NCHW (B x C x P, host order) and the blocked layout; padding lanes are written as zeros.
void to_blocked(int B, int C, int P, const float* nchw, float* blocked);
void from_blocked(int B, int C, int P, const float* blocked, float* nchw);

struct ConvDims {
  int B, Cin, H, W, Cout, k, stride, pad, Ho, Wo;
};

// Every backward kernel writes dx when accumulate is false and adds to it when true,
// so the executor can sum gradients of values with several consumers without extra buffers.
void conv2d_forward(const ConvDims& d, const float* x, const float* w, float* y);
void conv2d_backward_data(const ConvDims& d, const float* dy, const float* w, float* dx, bool accumulate);

// How batch norm's forward pass stores its result v: y = v, y += v (a fused add's term) or
// y = max(v, 0) (a fused ReLU: y > 0 ? y : 0 exactly as relu_forward).
enum class BnStore { Write, Accumulate, ReLU };

// Training-mode batch norm over the P*B values of each channel (real lanes only); biased variance.
// Saves per-channel mean and rstd = 1/sqrt(var + eps) for the backward pass.
void batchnorm_forward(int C, int P, int B, const float* x, const float* gamma, const float* beta, float eps,
                       float* y, float* mean, float* rstd, BnStore store);
// Full gradient through the batch statistics (couples all samples of the batch). relu_y: nullptr,
// or the output of a ReLU fused behind the batch norm, whose mask (relu_y > 0) dy passes first
// (dy is then the ReLU's output gradient), exactly as relu_backward then batchnorm_backward.
void batchnorm_backward(int C, int P, int B, const float* dy, const float* x, const float* gamma,
                        const float* mean, const float* rstd, const float* relu_y, float* dx, bool accumulate);

// Element-wise ops over n floats (n counts padding lanes: padded_batch(B) * C * P).
void relu_forward(size_t n, const float* x, float* y);
void relu_backward(size_t n, const float* dy, const float* y, float* dx, bool accumulate);
void add_forward(size_t n, const float* const* xs, int count, float* y);
void copy_or_accumulate(size_t n, const float* src, float* dst, bool accumulate);
void fill(size_t n, float v, float* y);
// Channels [src_c0, src_c0 + count) of src (src_C channels) to [dst_c0, dst_c0 + count) of dst
// (dst_C channels), every pixel and sample: channel concatenation and slicing.
void copy_channels(int B, int P, int count, const float* src, int src_C, int src_c0, float* dst, int dst_C,
                   int dst_c0, bool accumulate);

// Pools on C channels of H x W pixels; the 2x2 pool's output has H/2 x W/2 pixels, the global pool's one.
void avgpool3x3_forward(int C, int H, int W, int B, const float* x, float* y, bool accumulate);
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

// Linear layer on one-pixel activations: x has In channels, y Out; w: [Out][In].
void linear_forward(int B, int In, int Out, const float* x, const float* w, const float* bias, float* y);
void linear_backward_data(int B, int In, int Out, const float* dy, const float* w, float* dx, bool accumulate);

// Hamming kernel of one ReLU site: codes c_b = (y[., b] > 0) over the D = per_sample units of each
// real sample (y in the blocked layout; the order of units within a code does not change K),
// K[a][b] += weight * (D - popcount(c_a xor c_b)), exactly, for all a, b < B. scratch holds packed codes.
void hamming_accumulate(size_t per_sample, int B, const float* y, int64_t weight, int64_t* K,
                        std::vector<uint64_t>& scratch);
// The popcount of a xor b over n 64-bit words (exposed for tests).
uint64_t popcount_xor(const uint64_t* a, const uint64_t* b, size_t n);

}  // namespace naswot::cpu
