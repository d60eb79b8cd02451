// cuBLAS and cuSOLVER as naswot calls them, on the CPU: column-major GEMM, GEMV and SYRK through
// OpenBLAS, Cholesky (potrf/potrs) and the symmetric eigensolver (syevd) through its LAPACK, in
// stream order. Every operand's extent (from its dimensions and leading dimension) must lie in device
// memory, and the solvers' workspaces must be as large as their _bufferSize calls said.
#include <cblas.h>
#include <cublas_v2.h>
#include <cusolverDn.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/emulated_cuda/runtime.h"

extern "C" {
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info);
void dpotrs_(const char* uplo, const int* n, const int* nrhs, const double* a, const int* lda, double* b,
             const int* ldb, int* info);
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w, double* work,
             const int* lwork, int* iwork, const int* liwork, int* info);
}

struct cublasContext {
  cudaStream_t stream = nullptr;
  cublasMath_t math = CUBLAS_DEFAULT_MATH;
};
struct cusolverDnContext {
  cudaStream_t stream = nullptr;
};

namespace emucuda {
namespace {

// The emulated device runs its work on the calling thread under one lock (runtime.cpp): OpenBLAS's
// thread pool would only spin beside it (a third of the emulated GPU tests' CPU time went to its
// threads' sched_yield), taking the core that the other test shard runs on.
const int kOneBlasThread = (openblas_set_num_threads(1), 1);

// A column-major rows x cols matrix with leading dimension ld, in device memory.
template <class T>
void require_matrix(const T* p, int rows, int cols, int ld, const std::string& what) {
  if (rows < 0 || cols < 0 || ld < std::max(1, rows))
    throw Misuse(what + ": " + std::to_string(rows) + "x" + std::to_string(cols) + " with leading dimension " +
                 std::to_string(ld));
  if (rows && cols) require_device(p, (size_t(ld) * (cols - 1) + rows) * sizeof(T), what);
}
CBLAS_TRANSPOSE trans(cublasOperation_t op) { return op == CUBLAS_OP_N ? CblasNoTrans : CblasTrans; }
CBLAS_UPLO uplo(cublasFillMode_t f) { return f == CUBLAS_FILL_MODE_LOWER ? CblasLower : CblasUpper; }
char uplo_char(cublasFillMode_t f) { return f == CUBLAS_FILL_MODE_LOWER ? 'L' : 'U'; }

int potrf_lwork(int n) { return std::max(1, n * 8); }
int syevd_lwork(int n) { return 2 * n + 1 + n * 8; }

}  // namespace
}  // namespace emucuda

using emucuda::require_matrix;

const char* cublasGetStatusString(cublasStatus_t s) {
  return s == CUBLAS_STATUS_SUCCESS ? "CUBLAS_STATUS_SUCCESS" : "emulated cuBLAS error";
}
cublasStatus_t cublasCreate_v2(cublasHandle_t* h) {
  *h = new cublasContext;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasDestroy_v2(cublasHandle_t h) {
  delete h;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetStream_v2(cublasHandle_t h, cudaStream_t s) {
  h->stream = s;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetMathMode(cublasHandle_t h, cublasMath_t m) {
  h->math = m;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSgemm_v2(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                              const float* alpha, const float* A, int lda, const float* B, int ldb, const float* beta,
                              float* C, int ldc) {
  require_matrix(A, ta == CUBLAS_OP_N ? m : k, ta == CUBLAS_OP_N ? k : m, lda, "cublasSgemm A");
  require_matrix(B, tb == CUBLAS_OP_N ? k : n, tb == CUBLAS_OP_N ? n : k, ldb, "cublasSgemm B");
  require_matrix(C, m, n, ldc, "cublasSgemm C");
  const float a = *alpha, b = *beta;
  emucuda::enqueue(h->stream, emucuda::NodeKind::Kernel, [=] {
    cblas_sgemm(CblasColMajor, emucuda::trans(ta), emucuda::trans(tb), m, n, k, a, A, lda, B, ldb, b, C, ldc);
  });
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSgemv_v2(cublasHandle_t h, cublasOperation_t t, int m, int n, const float* alpha, const float* A,
                              int lda, const float* x, int incx, const float* beta, float* y, int incy) {
  require_matrix(A, m, n, lda, "cublasSgemv A");
  const int nx = t == CUBLAS_OP_N ? n : m, ny = t == CUBLAS_OP_N ? m : n;
  if (incx != 1 || incy != 1) throw emucuda::Misuse("cublasSgemv: strided vectors are not emulated");
  emucuda::require_device(x, size_t(nx) * 4, "cublasSgemv x");
  emucuda::require_device(y, size_t(ny) * 4, "cublasSgemv y");
  const float a = *alpha, b = *beta;
  emucuda::enqueue(h->stream, emucuda::NodeKind::Kernel,
                   [=] { cblas_sgemv(CblasColMajor, emucuda::trans(t), m, n, a, A, lda, x, incx, b, y, incy); });
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSsyrk_v2(cublasHandle_t h, cublasFillMode_t f, cublasOperation_t t, int n, int k,
                              const float* alpha, const float* A, int lda, const float* beta, float* C, int ldc) {
  require_matrix(A, t == CUBLAS_OP_N ? n : k, t == CUBLAS_OP_N ? k : n, lda, "cublasSsyrk A");
  require_matrix(C, n, n, ldc, "cublasSsyrk C");
  const float a = *alpha, b = *beta;
  emucuda::enqueue(h->stream, emucuda::NodeKind::Kernel, [=] {
    cblas_ssyrk(CblasColMajor, emucuda::uplo(f), emucuda::trans(t), n, k, a, A, lda, b, C, ldc);
  });
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasDsyrk_v2(cublasHandle_t h, cublasFillMode_t f, cublasOperation_t t, int n, int k,
                              const double* alpha, const double* A, int lda, const double* beta, double* C, int ldc) {
  require_matrix(A, t == CUBLAS_OP_N ? n : k, t == CUBLAS_OP_N ? k : n, lda, "cublasDsyrk A");
  require_matrix(C, n, n, ldc, "cublasDsyrk C");
  const double a = *alpha, b = *beta;
  emucuda::enqueue(h->stream, emucuda::NodeKind::Kernel, [=] {
    cblas_dsyrk(CblasColMajor, emucuda::uplo(f), emucuda::trans(t), n, k, a, A, lda, b, C, ldc);
  });
  return CUBLAS_STATUS_SUCCESS;
}

cusolverStatus_t cusolverDnCreate(cusolverDnHandle_t* h) {
  *h = new cusolverDnContext;
  return CUSOLVER_STATUS_SUCCESS;
}
cusolverStatus_t cusolverDnDestroy(cusolverDnHandle_t h) {
  delete h;
  return CUSOLVER_STATUS_SUCCESS;
}
cusolverStatus_t cusolverDnSetStream(cusolverDnHandle_t h, cudaStream_t s) {
  h->stream = s;
  return CUSOLVER_STATUS_SUCCESS;
}
cusolverStatus_t cusolverDnDpotrf_bufferSize(cusolverDnHandle_t, cublasFillMode_t, int n, double*, int lda, int* lw) {
  if (lda < std::max(1, n)) return CUSOLVER_STATUS_INVALID_VALUE;
  *lw = emucuda::potrf_lwork(n);
  return CUSOLVER_STATUS_SUCCESS;
}
cusolverStatus_t cusolverDnDpotrf(cusolverDnHandle_t h, cublasFillMode_t f, int n, double* A, int lda, double* work,
                                  int lwork, int* info) {
  require_matrix(A, n, n, lda, "cusolverDnDpotrf A");
  if (lwork < emucuda::potrf_lwork(n)) throw emucuda::Misuse("cusolverDnDpotrf: workspace smaller than _bufferSize's");
  emucuda::require_device(work, size_t(lwork) * sizeof(double), "cusolverDnDpotrf workspace");
  emucuda::require_device(info, sizeof(int), "cusolverDnDpotrf info");
  const char u = emucuda::uplo_char(f);
  emucuda::enqueue(h->stream, emucuda::NodeKind::Kernel, [=] { dpotrf_(&u, &n, A, &lda, info); });
  return CUSOLVER_STATUS_SUCCESS;
}
cusolverStatus_t cusolverDnDpotrs(cusolverDnHandle_t h, cublasFillMode_t f, int n, int nrhs, const double* A, int lda,
                                  double* B, int ldb, int* info) {
  require_matrix(A, n, n, lda, "cusolverDnDpotrs A");
  require_matrix(B, n, nrhs, ldb, "cusolverDnDpotrs B");
  emucuda::require_device(info, sizeof(int), "cusolverDnDpotrs info");
  const char u = emucuda::uplo_char(f);
  emucuda::enqueue(h->stream, emucuda::NodeKind::Kernel, [=] { dpotrs_(&u, &n, &nrhs, A, &lda, B, &ldb, info); });
  return CUSOLVER_STATUS_SUCCESS;
}
cusolverStatus_t cusolverDnDsyevd_bufferSize(cusolverDnHandle_t, cusolverEigMode_t, cublasFillMode_t, int n,
                                             const double*, int lda, const double*, int* lw) {
  if (lda < std::max(1, n)) return CUSOLVER_STATUS_INVALID_VALUE;
  *lw = emucuda::syevd_lwork(n);
  return CUSOLVER_STATUS_SUCCESS;
}
cusolverStatus_t cusolverDnDsyevd(cusolverDnHandle_t h, cusolverEigMode_t mode, cublasFillMode_t f, int n, double* A,
                                  int lda, double* W, double* work, int lwork, int* info) {
  require_matrix(A, n, n, lda, "cusolverDnDsyevd A");
  emucuda::require_device(W, size_t(n) * sizeof(double), "cusolverDnDsyevd W");
  if (lwork < emucuda::syevd_lwork(n)) throw emucuda::Misuse("cusolverDnDsyevd: workspace smaller than _bufferSize's");
  emucuda::require_device(work, size_t(lwork) * sizeof(double), "cusolverDnDsyevd workspace");
  emucuda::require_device(info, sizeof(int), "cusolverDnDsyevd info");
  const char jobz = mode == CUSOLVER_EIG_MODE_VECTOR ? 'V' : 'N', u = emucuda::uplo_char(f);
  emucuda::enqueue(h->stream, emucuda::NodeKind::Kernel, [=] {
    int lw = -1, liw = -1, iq = 0;
    double wq = 0;
    dsyevd_(&jobz, &u, &n, A, &lda, W, &wq, &lw, &iq, &liw, info);
    lw = int(wq), liw = iq;
    std::vector<double> wk(size_t(std::max(lw, 1)));
    std::vector<int> iwk(size_t(std::max(liw, 1)));
    dsyevd_(&jobz, &u, &n, A, &lda, W, wk.data(), &lw, iwk.data(), &liw, info);
  });
  return CUSOLVER_STATUS_SUCCESS;
}
