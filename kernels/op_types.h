// Argument types shared by the op table's rows (kernels/ops.def) on every backend.
#pragma once
#include <cstdint>

namespace naswot {

// A 2-D convolution without bias or dilation: x [B][Cin][H][W] -> y [B][Cout][Ho][Wo], weight
// [Cout][Cin][k][k], square kernel, stride and padding.
struct ConvDims {
  int B, Cin, H, W, Cout, k, stride, pad, Ho, Wo;
};

// How batch norm's forward pass stores its result v: y = v, y += v (a fused add's term) or
// y = max(v, 0) (a fused ReLU: y > 0 ? y : 0 exactly as relu_forward).
enum class BnStore { Write, Accumulate, ReLU };

// A batch norm's backward pass as a convolution's backward-data reads it (conv2d_bn_backward_data):
// its output gradient dy, its input x (the convolution's output), gamma, the forward's statistics
// and a fused ReLU's output relu_y (or nullptr), as batchnorm_backward takes them.
struct BnGrad {
  const float *dy, *x, *gamma, *mean, *rstd, *relu_y;
};

// One parameter tensor's values, drawn where the parameters live (engine/init.cpp writes the table;
// docs/nb201.md and docs/nb101.md, Weights): params[offset + i] for i < size is
//   Fill:    value
//   Uniform: fl(fl(2b * u_i) - b), u_i = uniform01(key, i), b = bound
//   Normal:  float(sd * z_i), z_i the i-th normal draw of stream key (kernels/normal_draw.h)
struct WeightDraw {
  enum Kind : int { Fill, Uniform, Normal };
  Kind kind;
  uint64_t key, offset, size;
  float value;  // Fill: the value; Uniform: the bound b
  double sd;    // Normal
};

}  // namespace naswot
