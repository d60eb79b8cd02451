// naswot's CUDA kernels and their launchers (kernels/cuda/*.cu) built for the emulated runtime: the
// same sources, with launches through the SIMT emulator (NASWOT_EMULATED_CUDA, on_stream.cuh).
#include <cuda_runtime.h>

#include "tests/simt_emulator.h"
// clang-format off
#include "kernels/cuda/batchnorm.cu"
#include "kernels/cuda/conv2d.cu"
#include "kernels/cuda/device_info.cu"
#include "kernels/cuda/draws.cu"
#include "kernels/cuda/elementwise.cu"
#include "kernels/cuda/fisher.cu"
#include "kernels/cuda/hamming.cu"
#include "kernels/cuda/jacob_score.cu"
#include "kernels/cuda/pooling.cu"
// clang-format on
