// The emulated cuDNN handle, shared by its legacy and graph (backend) APIs.
#pragma once
#include <cuda_runtime.h>

struct cudnnContext {
  cudaStream_t stream = nullptr;
};
