// A network's parameters drawn on the GPU (kernels/ops.def, draw_weights): the bits of the CPU kernel
// (kernels/cpu/draws.cpp), by the same integer streams and kernels/normal_draw.h's rounded arithmetic.
// The kernel is kernels/cuda/draws_kernel.cuh; here its launches.
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/draws_kernel.cuh"
#include "kernels/cuda/on_stream.cuh"

namespace naswot::cuda {

void draw_weights(cudaStream_t s, const WeightDraw* table, int count, float* params) {
  dispatch_draws(table, count, params, on_stream(s));
}

}  // namespace naswot::cuda
