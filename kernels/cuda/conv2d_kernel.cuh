// naswot's batched convolutions, several calls per launch: which of its two kernels runs a shape (the
// direct kernel for the spaces' "same" and 3x3 stride-2 convolutions, the gather kernel for the rest) and
// the many-call launchers. Device code only, no launch syntax, so that tests/simt_emulator.h can run
// them on the CPU (tests/test_conv_kernel_emulated.cpp) as well as nvcc on the GPU (conv2d.cu).
#pragma once
#include <stdexcept>

#include "kernels/cuda/conv2d_direct_kernel.cuh"
#include "kernels/cuda/conv2d_gather_kernel.cuh"

namespace naswot::cuda {
namespace {  // one copy per translation unit: the GPU build's and the emulation's never meet

// Which kernel: Automatic takes the direct kernel wherever it applies; Gather the general one wherever
// that applies (stride 1; benchmarks and tests compare the two, which give the same bits), the direct
// one elsewhere (stride 2).
enum class ConvKernel { Automatic, Gather };

template <bool kBackward, class Launch>
void dispatch_conv(const ConvShape& s, const Many<ConvCall>& m, Launch&& launch, ConvKernel k = ConvKernel::Automatic) {
  const bool gather = k == ConvKernel::Gather && s.stride == 1 && s.up == 1;
  if (!gather && conv_direct_supported(s)) return dispatch_conv_direct<kBackward>(s, m, launch);
  dispatch_conv_gather<kBackward>(s, m, launch);
}

// The shapes naswot's kernels take, forward and backward-data: the gather kernel's (stride 1) and the
// direct kernel's (stride 2 too).
inline bool conv2d_kernels_support(const ConvDims& d) {
  return conv2d_shape_supported(d) ||
         (conv_direct_supported(forward_shape(d)) && conv_direct_supported(backward_data_shape(d)));
}

// n calls of one shape in launches of kManyCalls (kernels/ops.def: conv2d_forward, conv2d_backward_data,
// and with relu_in / x as the mask conv2d_relu_forward, conv2d_relu_backward_data: the same tuples).
template <class Launch>
void conv2d_forward_many(const op_args::conv2d_forward* calls, int n, Launch&& launch,
                         ConvKernel k = ConvKernel::Automatic, bool relu_in = false) {
  if (!n) return;
  const ConvDims d = std::get<0>(calls[0]);
  if (!conv2d_kernels_support(d)) throw std::invalid_argument("cuda conv: shape not supported by naswot's kernels");
  ConvShape s = forward_shape(d);
  s.relu_in = relu_in;
  for_launches<ConvCall>(
      calls, n,
      [](const op_args::conv2d_forward& c) {
        return ConvCall{std::get<1>(c), std::get<2>(c), std::get<3>(c), false};
      },
      [&](const Many<ConvCall>& m) { dispatch_conv<false>(s, m, launch, k); });
}

// n backward-data calls of one shape, each packed into a ConvCall by pack.
template <class Args, class Pack, class Launch>
void conv2d_backward_data_calls(const Args* calls, int n, Pack pack, Launch&& launch, ConvKernel k) {
  if (!n) return;
  const ConvDims d = std::get<0>(calls[0]);
  if (!conv2d_kernels_support(d)) throw std::invalid_argument("cuda conv: shape not supported by naswot's kernels");
  const ConvShape s = backward_data_shape(d);
  for_launches<ConvCall>(calls, n, pack, [&](const Many<ConvCall>& m) { dispatch_conv<true>(s, m, launch, k); });
}

template <class Launch>
void conv2d_backward_data_many(const op_args::conv2d_backward_data* calls, int n, Launch&& launch,
                               ConvKernel k = ConvKernel::Automatic) {
  conv2d_backward_data_calls(
      calls, n,
      [](const op_args::conv2d_backward_data& c) {
        return ConvCall{std::get<1>(c), std::get<2>(c), std::get<3>(c), std::get<4>(c)};
      },
      launch, k);
}

template <class Launch>
void conv2d_relu_backward_data_many(const op_args::conv2d_relu_backward_data* calls, int n, Launch&& launch,
                                    ConvKernel k = ConvKernel::Automatic) {
  conv2d_backward_data_calls(
      calls, n,
      [](const op_args::conv2d_relu_backward_data& c) {  // the ReLU's input x is the mask
        return ConvCall{std::get<1>(c), std::get<2>(c), std::get<4>(c), std::get<5>(c), std::get<3>(c)};
      },
      launch, k);
}

}  // namespace
}  // namespace naswot::cuda
