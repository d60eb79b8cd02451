// NASWOT_HOST_DEVICE marks a function shared by the CPU and CUDA kernels (plain inline on the CPU).
#pragma once

#ifdef __CUDACC__
#define NASWOT_HOST_DEVICE __host__ __device__
#else
#define NASWOT_HOST_DEVICE
#endif
