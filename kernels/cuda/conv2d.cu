// The spaces' convolutions, several calls (architectures) per launch: forward y = conv(x, w) and
// backward-data dx = conv(dy, w flipped and transposed), both [B][C][H][W] float32 with FMA
// accumulation in a fixed order (deterministic, independent of the grouping and of the kernel: direct
// or gather, kernels/cuda/conv2d_kernel.cuh), or with --precision tf32 / 3xtf32 on the tensor cores
// (kernels/cuda/conv2d_tf32_kernel.cuh); here their launchers. cuDNN stays the
// general path and the on-device reference these are tested against (tests/gpu/test_cuda_ops.cpp).
#include "kernels/cuda/conv2d_kernel.cuh"
#include "kernels/cuda/conv2d_tf32_kernel.cuh"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/on_stream.cuh"

namespace naswot::cuda {

bool conv2d_supported(const ConvDims& d) { return conv2d_kernels_support(d); }

bool conv2d_tf32_supported(const ConvDims& d) { return conv_tf32_supports(d); }

void conv2d_tf32_forward_many(cudaStream_t st, const op_args::conv2d_forward* calls, int n, bool split) {
  conv2d_tf32_forward_many(calls, n, on_stream(st), split, false);
}

void conv2d_tf32_backward_data_many(cudaStream_t st, const op_args::conv2d_backward_data* calls, int n, bool split) {
  conv2d_tf32_backward_data_many(calls, n, on_stream(st), split);
}

void conv2d_tf32_relu_forward_many(cudaStream_t st, const op_args::conv2d_relu_forward* calls, int n, bool split) {
  conv2d_tf32_forward_many(calls, n, on_stream(st), split, true);
}

void conv2d_tf32_relu_backward_data_many(cudaStream_t st, const op_args::conv2d_relu_backward_data* calls, int n,
                                         bool split) {
  conv2d_tf32_relu_backward_data_many(calls, n, on_stream(st), split);
}

void conv2d_forward_many(cudaStream_t st, const op_args::conv2d_forward* calls, int n, bool gather) {
  conv2d_forward_many(calls, n, on_stream(st), gather ? ConvKernel::Gather : ConvKernel::Automatic);
}

void conv2d_backward_data_many(cudaStream_t st, const op_args::conv2d_backward_data* calls, int n, bool gather) {
  conv2d_backward_data_many(calls, n, on_stream(st), gather ? ConvKernel::Gather : ConvKernel::Automatic);
}

void conv2d_relu_forward_many(cudaStream_t st, const op_args::conv2d_relu_forward* calls, int n, bool gather) {
  conv2d_forward_many(calls, n, on_stream(st), gather ? ConvKernel::Gather : ConvKernel::Automatic, true);
}

void conv2d_relu_backward_data_many(cudaStream_t st, const op_args::conv2d_relu_backward_data* calls, int n,
                                    bool gather) {
  conv2d_relu_backward_data_many(calls, n, on_stream(st), gather ? ConvKernel::Gather : ConvKernel::Automatic);
}

void conv2d_forward_bn_stats_many(cudaStream_t st, const op_args::conv2d_forward_bn_stats* calls, int n, void* ws,
                                  unsigned* counters, bool gather, bool relu_in) {
  conv2d_forward_bn_stats_many(calls, n, ws, counters, on_stream(st),
                               gather ? ConvKernel::Gather : ConvKernel::Automatic, relu_in);
}

void conv2d_bn_backward_data_many(cudaStream_t st, const op_args::conv2d_bn_backward_data* calls, int n, void* ws,
                                  unsigned* counters, bool gather) {
  conv2d_bn_backward_data_many(calls, n, ws, counters, on_stream(st),
                               gather ? ConvKernel::Gather : ConvKernel::Automatic);
}

}  // namespace naswot::cuda
