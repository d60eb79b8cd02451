// Stride-1 convolutions of the search spaces' shapes as an implicit GEMM, several calls (architectures)
// per launch: forward y = conv(x, w) and backward-data dx = conv(dy, w flipped and transposed), both
// [B][C][H][W] float32 with FMA accumulation in a fixed order (deterministic, independent of the
// grouping). The kernel is kernels/cuda/conv2d_kernel.cuh; here its launchers. cuDNN stays the
// general path and the on-device reference these are tested against (tests/gpu/test_cuda_ops.cpp).
#include "kernels/cuda/conv2d_kernel.cuh"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/on_stream.cuh"

namespace naswot::cuda {

bool conv2d_supported(const ConvDims& d) { return conv2d_shape_supported(d); }

void conv2d_forward_many(cudaStream_t st, const op_args::conv2d_forward* calls, int n) {
  if (!n) return;
  const ConvDims d = std::get<0>(calls[0]);
  if (!conv2d_supported(d)) throw std::invalid_argument("cuda conv: shape not supported by the batched kernel");
  const ConvShape s = forward_shape(d);
  for_launches<ConvCall>(
      calls, n,
      [](const op_args::conv2d_forward& c) {
        return ConvCall{std::get<1>(c), std::get<2>(c), std::get<3>(c), false};
      },
      [&](const Many<ConvCall>& m) { dispatch_conv<false>(s, m, on_stream(st)); });
}

void conv2d_backward_data_many(cudaStream_t st, const op_args::conv2d_backward_data* calls, int n) {
  if (!n) return;
  const ConvDims d = std::get<0>(calls[0]);
  if (!conv2d_supported(d)) throw std::invalid_argument("cuda conv: shape not supported by the batched kernel");
  const ConvShape s = backward_data_shape(d);
  for_launches<ConvCall>(
      calls, n,
      [](const op_args::conv2d_backward_data& c) {
        return ConvCall{std::get<1>(c), std::get<2>(c), std::get<3>(c), std::get<4>(c)};
      },
      [&](const Many<ConvCall>& m) { dispatch_conv<true>(s, m, on_stream(st)); });
}

}  // namespace naswot::cuda
