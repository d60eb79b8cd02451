// The normal draws' arithmetic (kernels/normal_draw.h) run on the GPU, for the test that compares its
// float64 bits with the CPU's (tests/gpu/test_cuda_draws.cpp).
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "kernels/cuda/on_stream.cuh"
#include "kernels/normal_draw.h"
#include "tests/gpu/normal_draws_device.h"

namespace naswot::test {
namespace {

__global__ void pairs_k(const uint64_t* r1, const uint64_t* r2, size_t n, double* z) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n; i += size_t(gridDim.x) * blockDim.x) {
    const normal_draw::Pair p = normal_draw::pair(r1[i], r2[i]);
    z[2 * i] = p.z0;
    z[2 * i + 1] = p.z1;
  }
}

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

}  // namespace

std::vector<double> normal_pairs_on_device(const std::vector<uint64_t>& r1, const std::vector<uint64_t>& r2) {
  const size_t n = r1.size();
  std::vector<double> z(2 * n);
  if (n == 0) return z;
  uint64_t *d1 = nullptr, *d2 = nullptr;
  double* dz = nullptr;
  check(cudaMalloc(&d1, n * sizeof(uint64_t)), "cudaMalloc");
  check(cudaMalloc(&d2, n * sizeof(uint64_t)), "cudaMalloc");
  check(cudaMalloc(&dz, 2 * n * sizeof(double)), "cudaMalloc");
  check(cudaMemcpy(d1, r1.data(), n * sizeof(uint64_t), cudaMemcpyHostToDevice), "cudaMemcpy");
  check(cudaMemcpy(d2, r2.data(), n * sizeof(uint64_t), cudaMemcpyHostToDevice), "cudaMemcpy");
  cuda::on_stream(nullptr)(pairs_k, dim3(256), 256u, d1, d2, n, dz);  // launch errors throw
  check(cudaMemcpy(z.data(), dz, 2 * n * sizeof(double), cudaMemcpyDeviceToHost), "cudaMemcpy");
  cudaFree(d1);
  cudaFree(d2);
  cudaFree(dz);
  return z;
}

}  // namespace naswot::test
