// Network initialisation: PyTorch's default distributions, drawn from counter-based streams.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/graph.h"

namespace naswot {

// Parameter p of the network draws from stream (seed, arch_key, p), so an architecture's weights
// never depend on what was built before it or in which order architectures are scored.
//   conv / linear weight: U(-1/sqrt(fan_in), 1/sqrt(fan_in))  (kaiming_uniform_ with a = sqrt(5))
//   linear bias:          U(-1/sqrt(fan_in), 1/sqrt(fan_in))
//   batch-norm:           gamma = 1, beta = 0
//   (NB101 port: conv N(0, sqrt(2/(k*k*C_out))), linear weight N(0, 0.01), bias 0 - see InitKind)
std::vector<float> init_params(const Graph& g, uint64_t seed, uint64_t arch_key);

}  // namespace naswot
