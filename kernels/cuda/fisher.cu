// The fisher proxy's per-layer terms on the GPU: the launchers of kernels/cuda/fisher_kernels.cuh on a stream.
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/fisher_kernels.cuh"
#include "kernels/cuda/on_stream.cuh"

namespace naswot::cuda {

void fisher_terms(cudaStream_t s, int C, int HW, int B, const float* act, const float* grad, float* out, bool acc,
                  double* scratch) {
  fisher_terms(C, HW, B, act, grad, out, acc, scratch, on_stream(s));
}

}  // namespace naswot::cuda
