// Reductions for the CUDA kernels: a block-wide float64 sum (warp shuffles, then one warp over the warp
// sums), the last block of a launch to finish, and one warp's sum of the blocks' partial sums.
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

// Whether this block is the last of its launch's gridDim.x * gridDim.y blocks to get here, counted in
// *counter (per call: blockIdx.z picks it); every thread of the block calls it after the block's writes
// that the last block reads are fenced (__threadfence), and all get the answer.
__device__ inline bool last_block_to_finish(unsigned* counter) {
  __shared__ bool last;
  __syncthreads();
  if (threadIdx.x == 0) last = atomicAdd(counter, 1u) == gridDim.x * gridDim.y - 1;
  __syncthreads();
  if (last) __threadfence();
  return last;
}

// Channel c's (sum, second sum) partials [c][nsplit][2], written by other blocks of the launch, summed
// by one warp: lane l takes partials l, l + 32, ... in order, then a fixed shuffle tree; lane 0 ends
// with the totals (deterministic).
__device__ inline void warp_sum_partials(const double* partial, int c, unsigned nsplit, double& s, double& q) {
  const unsigned lane = threadIdx.x & 31u;
  s = 0, q = 0;
  // __ldcg: other blocks wrote these; read them from L2, not from a stale L1 line.
  for (unsigned k = lane; k < nsplit; k += 32)
    s = __dadd_rn(s, __ldcg(partial + (size_t(c) * nsplit + k) * 2)),
    q = __dadd_rn(q, __ldcg(partial + (size_t(c) * nsplit + k) * 2 + 1));
  for (int o = 16; o > 0; o >>= 1) {
    s = __dadd_rn(s, __shfl_down_sync(0xffffffffu, s, o));
    q = __dadd_rn(q, __shfl_down_sync(0xffffffffu, q, o));
  }
}

}  // namespace naswot::cuda
