// Network initialisation: PyTorch's default distributions, drawn from counter-based streams.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "engine/graph.h"
#include "engine/reference_rng.h"
#include "kernels/op_types.h"

namespace naswot {

// Parameter p of the network draws from stream (seed, arch_key, p), so an architecture's weights
// never depend on what was built before it or in which order architectures are scored.
//   conv / linear weight: U(-1/sqrt(fan_in), 1/sqrt(fan_in))  (kaiming_uniform_ with a = sqrt(5))
//   linear bias:          U(-1/sqrt(fan_in), 1/sqrt(fan_in))
//   batch-norm:           gamma = 1, beta = 0
//   (NB101 port: conv N(0, sqrt(2/(k*k*C_out))), linear weight N(0, 0.01), bias 0 - see InitKind)
std::vector<float> init_params(const Graph& g, uint64_t seed, uint64_t arch_key);
// The same weights as a table of draws (kernels/op_types.h), for the backend to draw where the
// parameters live (Ops::draw_weights): init_params runs this table on the host.
std::vector<WeightDraw> weight_draws(const Graph& g, uint64_t seed, uint64_t arch_key);

// Value i of the standard normal stream `key`: Box-Muller on draws 2j and 2j + 1, j = i / 2 (its cosine
// for even i, its sine for odd), in the arithmetic of kernels/normal_draw.h: the same in every build and
// on a GPU (this file is compiled without floating-point contraction).
double standard_normal(uint64_t key, uint64_t i);

// The two Box-Muller values (cosine half, sine half) of two raw 64-bit draws, as standard_normal computes
// them: the CPU's reference for a GPU's draws.
std::pair<double, double> normal_pair(uint64_t r1, uint64_t r2);

// out[i] = float(sd * standard_normal(key, i)) for i < n.
void fill_normal(float* out, size_t n, uint64_t key, double sd);

// PyTorch's default initialisation drawn from its CPU generator, as the reference builds a network:
// the conv and linear tensors in construction order (the graph's parameter order), each row-major,
// one uniform_ draw per element; batch norm draws nothing (nb201.md 3.3). Throws for graphs with
// normal-distributed kinds (the NB101 port's normal_ is not replayed: nb101.md 6.2).
std::vector<float> init_params_torch(const Graph& g, TorchGenerator gen);

}  // namespace naswot
