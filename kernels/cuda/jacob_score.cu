// Sigma_J's own kernels on the GPU: the launchers of kernels/cuda/jacob_score_kernels.cuh on a stream.
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/jacob_score_kernels.cuh"
#include "kernels/cuda/on_stream.cuh"

namespace naswot::cuda {

void sigma_rows(cudaStream_t s, const float* const* J, int n, int B, size_t row, double* stats, int* flags) {
  sigma_rows(J, n, B, row, stats, flags, on_stream(s));
}
void sigma_gram(cudaStream_t s, const float* const* J, int n, int B, size_t row, const double* stats, double* S,
                bool fp32) {
  sigma_gram(J, n, B, row, stats, S, fp32, on_stream(s));
}
bool sigma_cholesky_supported(int B) { return B >= 1 && B <= kCholMaxB; }
void sigma_cholesky(cudaStream_t s, int n, int B, const double* S, double shift, const int* flags, double* terms,
                    int* info) {
  sigma_cholesky(n, B, S, shift, flags, terms, info, on_stream(s));
}
void clamp_sigma(cudaStream_t s, int B, double* S, double shift, double* M) {
  clamp_sigma(B, S, shift, M, on_stream(s));
}
void set_identity(cudaStream_t s, int B, double* X) { set_identity(B, X, on_stream(s)); }
void cholesky_terms(cudaStream_t s, int B, const double* L, const double* X, double* out) {
  cholesky_terms(B, L, X, out, on_stream(s));
}

}  // namespace naswot::cuda
