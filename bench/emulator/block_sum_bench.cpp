// The SIMT emulator's cost per barrier: 2,000 blocks of 256 threads, each one block_sum (10 warp
// shuffles and 3 __syncthreads). Build against two copies of tests/simt_emulator.h to compare them:
// g++ -std=c++20 -O2 -I<dir holding tests/simt_emulator.h> -I<repo> bench/emulator/block_sum_bench.cpp
#include <chrono>
#include <cstdio>

// The emulator first: it defines CUDA's keywords for the kernel header.
// clang-format off
#include "tests/simt_emulator.h"
#include "kernels/cuda/reduce.cuh"
// clang-format on
__global__ void k(double* out) {
  __shared__ double scratch[32];
  double v = threadIdx.x;
  v = naswot::cuda::block_sum(v, scratch);
  if (threadIdx.x == 0) out[blockIdx.x] = v;
}
int main() {
  static double out[2000];
  auto t0 = std::chrono::steady_clock::now();
  double* o = out;
  simt::on_grid()(k, dim3(2000), 256u, o);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // block_sum: 10 shuffles (20 warp waits) + 3 syncthreads = 23 waits per thread
  std::printf("%.3f s, %.1f ns per thread-wait, out %g\n", s, s / (2000.0 * 256 * 23) * 1e9, out[5]);
}
