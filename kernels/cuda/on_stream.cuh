// The kernel headers' launches on a CUDA stream: their dispatchers call launch(kernel, grid, threads,
// args...), which here is kernel<<<grid, threads, 0, stream>>>(args...) (tests/simt_emulator.h runs
// the same dispatchers on the CPU).
#pragma once
#include "kernels/cuda/check.cuh"

namespace naswot::cuda {

inline auto on_stream(cudaStream_t s) {
  return [s](auto kernel, dim3 grid, unsigned threads, const auto&... args) {
    kernel<<<grid, threads, 0, s>>>(args...);
    NASWOT_CUDA_LAUNCH_CHECK();
  };
}

}  // namespace naswot::cuda
