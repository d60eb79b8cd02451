// tests/gpu/normal_draws_device.cu built for the emulated CUDA runtime (its kernel through the SIMT emulator).
#include <cuda_runtime.h>

#include "tests/simt_emulator.h"
// clang-format off
#include "tests/gpu/normal_draws_device.cu"
// clang-format on
