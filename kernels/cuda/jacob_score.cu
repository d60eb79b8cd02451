// Sigma_J's own kernels on the GPU: the launchers of kernels/cuda/jacob_score_kernels.cuh on a stream.
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/jacob_score_kernels.cuh"
#include "kernels/cuda/on_stream.cuh"

namespace naswot::cuda {

void normalise_rows(cudaStream_t s, int B, size_t row, const float* J, double* A, int* flags) {
  normalise_rows(B, row, J, A, flags, on_stream(s));
}
void normalise_rows(cudaStream_t s, int B, size_t row, const float* J, float* A, int* flags) {
  normalise_rows(B, row, J, A, flags, on_stream(s));
}
void widen(cudaStream_t s, size_t n, const float* src, double* dst) { widen(n, src, dst, on_stream(s)); }
void clamp_sigma(cudaStream_t s, int B, double* S, double shift, double* M) {
  clamp_sigma(B, S, shift, M, on_stream(s));
}
void set_identity(cudaStream_t s, int B, double* X) { set_identity(B, X, on_stream(s)); }
void cholesky_terms(cudaStream_t s, int B, const double* L, const double* X, double* out) {
  cholesky_terms(B, L, X, out, on_stream(s));
}

}  // namespace naswot::cuda
