// A network's parameters drawn on the GPU (kernels/ops.def, draw_weights): the bits of the CPU kernel
// (kernels/cpu/draws.cpp), by the same integer streams and kernels/normal_draw.h's rounded arithmetic.
#include <algorithm>

#include "kernels/counter_rng.h"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/normal_draw.h"

namespace naswot::cuda {
namespace {

// Tensor blockIdx.y; its elements (normal tensors: its pairs) spread over blockIdx.x and the threads.
__global__ void draw_weights_k(const WeightDraw* __restrict__ table, float* params) {
  const WeightDraw d = table[blockIdx.y];
  float* out = params + d.offset;
  const size_t stride = size_t(gridDim.x) * blockDim.x, first = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (d.kind == WeightDraw::Normal) {
    for (size_t j = first; 2 * j < d.size; j += stride) {
      const normal_draw::Pair p = normal_draw::pair(draw(d.key, 2 * j), draw(d.key, 2 * j + 1));
      out[2 * j] = float(normal_draw::mul(d.sd, p.z0));
      if (2 * j + 1 < d.size) out[2 * j + 1] = float(normal_draw::mul(d.sd, p.z1));
    }
  } else if (d.kind == WeightDraw::Uniform) {
    const float b = d.value, two_b = 2.f * b;  // exact
    for (size_t i = first; i < d.size; i += stride) out[i] = __fadd_rn(__fmul_rn(two_b, uniform01(d.key, i)), -b);
  } else {
    for (size_t i = first; i < d.size; i += stride) out[i] = d.value;
  }
}

}  // namespace

void draw_weights(cudaStream_t s, const WeightDraw* device_table, int count, size_t largest, float* params) {
  if (count <= 0) return;
  constexpr int kThreads = 256;
  // Enough blocks per tensor for its largest, capped: the grid-stride loops take the rest.
  const unsigned blocks = unsigned(std::clamp<size_t>((largest + kThreads - 1) / kThreads, 1, 256));
  for (int first = 0; first < count; first += 65535) {  // gridDim.y's limit
    const int n = std::min(count - first, 65535);
    draw_weights_k<<<dim3(blocks, unsigned(n)), kThreads, 0, s>>>(device_table + first, params);
    NASWOT_CUDA_LAUNCH_CHECK();
  }
}

}  // namespace naswot::cuda
