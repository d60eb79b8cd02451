// Lists CUDA devices; a missing driver or GPU is reported, not thrown, so CPU-only hosts run fine.
#include <cuda_runtime.h>

#include <string>

#include "kernels/cuda/check.cuh"
#include "kernels/cuda/device_info.h"

namespace naswot::cuda {

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    (void)cudaGetLastError();  // clear the sticky-free error so later calls start clean
    return 0;
  }
  return n;
}

std::string describe_devices() {
  int n = 0;
  const cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess) return std::string("no usable CUDA device: ") + cudaGetErrorString(err);
  if (n == 0) return "no CUDA device";
  std::string out;
  for (int i = 0; i < n; ++i) {
    cudaDeviceProp p{};
    NASWOT_CUDA_CHECK(cudaGetDeviceProperties(&p, i));
    out += "cuda:" + std::to_string(i) + " " + p.name + " (sm_" + std::to_string(p.major) + std::to_string(p.minor) +
           ", " + std::to_string(p.totalGlobalMem >> 20) + " MiB)";
    if (i + 1 < n) out += "; ";
  }
  return out;
}

}  // namespace naswot::cuda
