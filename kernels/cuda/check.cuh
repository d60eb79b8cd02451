// One place for CUDA, cuDNN, cuBLAS and cuSOLVER error checks: failures throw naswot::Error with
// file, line, the failing call and the library's message.
#pragma once
#include <cuda_runtime.h>

#include <string>

#include "engine/error.h"

#define NASWOT_CHECK_STATUS_(expr, ok, describe)                              \
  do {                                                                        \
    const auto naswot_st_ = (expr);                                           \
    if (naswot_st_ != (ok))                                                   \
      ::naswot::fail(std::string(__FILE__) + ":" + std::to_string(__LINE__) + \
                     ": " #expr " failed: " + describe(naswot_st_));          \
  } while (0)

#define NASWOT_CUDA_CHECK(expr) NASWOT_CHECK_STATUS_(expr, cudaSuccess, cudaGetErrorString)
// A kernel launch: configuration errors surface at once, execution errors at the next sync.
#define NASWOT_CUDA_LAUNCH_CHECK() NASWOT_CUDA_CHECK(cudaGetLastError())

#ifdef CUDNN_MAJOR
#define NASWOT_CUDNN_CHECK(expr) NASWOT_CHECK_STATUS_(expr, CUDNN_STATUS_SUCCESS, cudnnGetErrorString)
#endif
#ifdef CUBLAS_VER_MAJOR
#define NASWOT_CUBLAS_CHECK(expr) NASWOT_CHECK_STATUS_(expr, CUBLAS_STATUS_SUCCESS, cublasGetStatusString)
#endif
#ifdef CUSOLVER_VER_MAJOR
#define NASWOT_CUSOLVER_CHECK(expr) \
  NASWOT_CHECK_STATUS_(expr, CUSOLVER_STATUS_SUCCESS, [](int s) { return "cusolver status " + std::to_string(s); })
#endif
