// A network's parameters drawn on the GPU (kernels/ops.def, draw_weights): the bits of the CPU kernel
// (kernels/cpu/draws.cpp), by the same integer streams and kernels/normal_draw.h's rounded arithmetic.
// The kernel is kernels/cuda/draws_kernel.cuh; here its launches.
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/draws_kernel.cuh"

namespace naswot::cuda {

void draw_weights(cudaStream_t s, const WeightDraw* table, int count, float* params) {
  dispatch_draws(table, count, [&](const DrawTable& t, unsigned gx, unsigned gy, int threads) {
    draw_weights_k<<<dim3(gx, gy), threads, 0, s>>>(t, params);
    NASWOT_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace naswot::cuda
