// kernels/normal_draw.h's pairs computed on the GPU (tests/gpu/normal_draws_device.cu).
#pragma once
#include <cstdint>
#include <vector>

namespace naswot::test {

// z[2i], z[2i + 1] = normal_draw::pair(r1[i], r2[i]) evaluated by a CUDA kernel.
std::vector<double> normal_pairs_on_device(const std::vector<uint64_t>& r1, const std::vector<uint64_t>& r2);

}  // namespace naswot::test
