// Argument types shared by the op table's rows (kernels/ops.def) on every backend.
#pragma once

namespace naswot {

// A 2-D convolution without bias or dilation: x [B][Cin][H][W] -> y [B][Cout][Ho][Wo], weight
// [Cout][Cin][k][k], square kernel, stride and padding.
struct ConvDims {
  int B, Cin, H, W, Cout, k, stride, pad, Ho, Wo;
};

// How batch norm's forward pass stores its result v: y = v, y += v (a fused add's term) or
// y = max(v, 0) (a fused ReLU: y > 0 ? y : 0 exactly as relu_forward).
enum class BnStore { Write, Accumulate, ReLU };

}  // namespace naswot
