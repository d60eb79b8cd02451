// One place for CUDA runtime error checks: failures throw naswot::Error with file, line and message.
#pragma once
#include <cuda_runtime.h>

#include <string>

#include "engine/error.h"

#define NASWOT_CUDA_CHECK(expr)                                                                      \
  do {                                                                                               \
    const cudaError_t naswot_err_ = (expr);                                                          \
    if (naswot_err_ != cudaSuccess)                                                                  \
      ::naswot::fail(std::string(__FILE__) + ":" + std::to_string(__LINE__) + ": " #expr " failed: " + \
                     cudaGetErrorString(naswot_err_));                                               \
  } while (0)
