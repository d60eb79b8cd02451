// The parameters' draw kernel (kernels/ops.def, draw_weights) and its launches: device code only, no
// launch syntax, so that tests/simt_emulator.h runs it on the CPU (tests/test_draws_kernel_emulated.cpp)
// as nvcc does on the GPU (draws.cu).
#pragma once
#include <algorithm>
#include <cstddef>

#include "kernels/counter_rng.h"
#include "kernels/normal_draw.h"
#include "kernels/op_types.h"

namespace naswot::cuda {
namespace {  // one copy per translation unit: the GPU build's and the emulation's never meet

// A launch's share of the table, passed by value in the kernel's parameters (4 KB at most): drawing
// needs no copy of the table to the device, hence no synchronisation with the host.
constexpr int kDrawsPerLaunch = 80;
struct DrawTable {
  WeightDraw t[kDrawsPerLaunch];
};
static_assert(sizeof(DrawTable) + sizeof(float*) <= 4096, "the kernel's parameters hold 4 KB");

// Tensor blockIdx.y; its elements (normal tensors: its pairs) spread over blockIdx.x and the threads.
__global__ void draw_weights_k(const DrawTable table, float* params) {
  const WeightDraw d = table.t[blockIdx.y];
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

// The table in launches of kDrawsPerLaunch tensors, through launch(kernel, grid, threads, args...) (on a
// stream: kernels/cuda/on_stream.cuh).
template <class Launch>
void dispatch_draws(const WeightDraw* table, int count, float* params, Launch&& launch) {
  constexpr int kThreads = 256;
  for (int first = 0; first < count; first += kDrawsPerLaunch) {
    const int n = std::min(count - first, kDrawsPerLaunch);
    DrawTable t{};
    size_t largest = 0;
    for (int i = 0; i < n; ++i) {
      t.t[i] = table[first + i];
      largest = std::max<size_t>(largest, t.t[i].size);
    }
    // Enough blocks per tensor for the launch's largest, capped: the grid-stride loops take the rest.
    const unsigned blocks = unsigned(std::clamp<size_t>((largest + kThreads - 1) / kThreads, 1, 256));
    launch(draw_weights_k, dim3(blocks, unsigned(n)), unsigned(kThreads), t, params);
  }
}

}  // namespace
}  // namespace naswot::cuda
