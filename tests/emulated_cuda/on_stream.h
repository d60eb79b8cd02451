// on_stream (kernels/cuda/on_stream.cuh) for the emulated CUDA runtime: a launch's configuration is
// checked as the driver checks it, and its kernel runs through tests/simt_emulator.h in stream order.
#pragma once
#include "kernels/cuda/check.cuh"
#include "tests/emulated_cuda/runtime.h"
#include "tests/simt_emulator.h"

namespace naswot::cuda {

inline auto on_stream(cudaStream_t s) {
  return [s](auto kernel, dim3 grid, unsigned threads, const auto&... args) {
    emucuda::launch(s, grid, dim3(threads), [=] {
      simt::launch(
          grid, dim3(threads), [&] { kernel(args...); }, reinterpret_cast<const void*>(kernel));
    });
    NASWOT_CUDA_LAUNCH_CHECK();
  };
}

}  // namespace naswot::cuda
