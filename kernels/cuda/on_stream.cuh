// The kernel headers' launches on a CUDA stream: their dispatchers call launch(kernel, grid, threads,
// args...), which here is kernel<<<grid, threads, 0, stream>>>(args...) (tests/simt_emulator.h runs
// the same dispatchers on the CPU).
#pragma once
#include "kernels/cuda/check.cuh"

#ifdef NASWOT_EMULATED_CUDA
// The emulated CUDA runtime (tests/emulated_cuda) runs the same launches through the SIMT emulator.
#include "tests/emulated_cuda/on_stream.h"
#else
namespace naswot::cuda {

inline auto on_stream(cudaStream_t s) {
  return [s](auto kernel, dim3 grid, unsigned threads, const auto&... args) {
    // clang-format takes the launch's chevrons apart inside a preprocessor branch.
    // clang-format off
    kernel<<<grid, threads, 0, s>>>(args...);
    // clang-format on
    NASWOT_CUDA_LAUNCH_CHECK();
  };
}

}  // namespace naswot::cuda
#endif
