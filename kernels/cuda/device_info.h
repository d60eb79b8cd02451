// Host-callable CUDA device discovery (compiled only when the CUDA backend is configured).
#pragma once
#include <string>

namespace naswot::cuda {
std::string describe_devices();
int device_count();  // 0 when there is no driver or no device
}  // namespace naswot::cuda
