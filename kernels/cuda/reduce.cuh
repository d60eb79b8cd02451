// Block-wide float64 sum for the CUDA kernels (warp shuffles, then one warp over the warp sums).
#pragma once

namespace naswot::cuda {

// Every thread of the block must call it; returns the total in all threads. blockDim.x <= 1024,
// a multiple of 32. `scratch` holds 32 doubles of shared memory.
__device__ inline double block_sum(double v, double* scratch) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  __syncthreads();  // scratch may still be read by a previous call
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  v = lane < warps ? scratch[lane] : 0.0;
  if (warp == 0)
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  if (threadIdx.x == 0) scratch[0] = v;
  __syncthreads();
  return scratch[0];
}

}  // namespace naswot::cuda
