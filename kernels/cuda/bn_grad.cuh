// Batch norm's input gradient at one element: the arithmetic of its backward pass's apply kernel and
// of the convolutions that read that gradient through (conv2d_bn_backward_data), written once.
#pragma once

namespace naswot::cuda {

// g * ((d - a) - (x - m) * b), d the output gradient after a fused ReLU's mask, with the per-channel
// g = gamma * rstd, a = mean(d), b = mean(d * (x - m)) * rstd^2 and m = mean. Explicit roundings (no
// contraction into FMAs), so every kernel that calls it gives the same bits.
__device__ inline float bn_grad_value(float d, float x, float g, float a, float b, float m) {
  return __fmul_rn(g, __fsub_rn(__fsub_rn(d, a), __fmul_rn(__fsub_rn(x, m), b)));
}

// The same at element i of a tensor whose channel is c, with the coefficients (g, a, b) at coef[3c..]:
// dy[i] where relu_y (if any) is > 0, else +0, as relu_backward passes it.
__device__ inline float bn_grad_at(float dy, const float* x, const float* relu_y, const float* coef, const float* mean,
                                   size_t i, int c) {
  const float d = relu_y && !(relu_y[i] > 0.f) ? 0.f : dy;
  return bn_grad_value(d, x[i], coef[3 * c], coef[3 * c + 1], coef[3 * c + 2], mean[c]);
}

}  // namespace naswot::cuda
