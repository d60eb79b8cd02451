// The emulated cuDNN's arithmetic: 2-D cross-correlation on NCHW float32 tensors by im2col and
// OpenBLAS, with cuDNN's alpha/beta blending (beta = 0 never reads the output).
#pragma once

namespace emucuda {

struct ConvShape {
  int N, C, H, W;  // x
  int K, R, S;     // w: K x C x R x S
  int pad_h, pad_w, stride_h, stride_w;
  int P, Q;  // y: N x K x P x Q
  long long x_elems() const { return 1ll * N * C * H * W; }
  long long w_elems() const { return 1ll * K * C * R * S; }
  long long y_elems() const { return 1ll * N * K * P * Q; }
};

// y = alpha conv(x, w) + beta y
void conv_forward(const ConvShape& s, float alpha, const float* x, const float* w, float beta, float* y);
// dx = alpha conv^T(dy, w) + beta dx
void conv_backward_data(const ConvShape& s, float alpha, const float* w, const float* dy, float beta, float* dx);
// dw = alpha sum_n dy_n (x) x_n + beta dw
void conv_backward_filter(const ConvShape& s, float alpha, const float* x, const float* dy, float beta, float* dw);

}  // namespace emucuda
