// Planner: which nodes run, which values the backward pass keeps, and arena offsets that reuse memory.
#pragma once
#include <cstddef>
#include <vector>

#include "engine/graph.h"

namespace naswot {

struct Plan {
  int batch = 0;
  std::vector<int> order;           // live nodes in topological order
  std::vector<char> live;           // node feeds the output (or, ForwardAllReLUs, a ReLU)
  std::vector<char> needs_grad;     // node is on a path input -> output
  std::vector<size_t> value_off;    // arena offset of each live node's value (floats)
  std::vector<size_t> grad_off;     // arena offset of each gradient (needs_grad nodes)
  std::vector<size_t> stats_off;    // BatchNorm nodes: mean[C] then rstd[C]
  size_t params_off = 0;            // parameters are uploaded here
  size_t arena_floats = 0;          // total
  size_t naive_floats = 0;          // what one buffer per value and gradient would need (for reporting)
  int input = -1;
  // Fusion (PlanOptions::fuse). Fused adds: a term of an Add that has no other consumer and whose op can
  // accumulate (BatchNorm, AvgPool3x3) is written straight into the Add's buffer: the first such term
  // in topological order writes, later ones add (value_off of the term = value_off of the Add). The
  // Add then sums only its other inputs into the buffer. Terms are chosen so that the sum is rounded
  // exactly as the plain left-to-right Add rounds it. An Add input with no other consumer shares the
  // Add's gradient buffer instead of receiving a copy (grad_off equal).
  std::vector<int> sum_into;        // the Add a term is summed into, or -1
  std::vector<char> sum_acc;        // that term adds to the buffer (an earlier term wrote it)
  std::vector<char> add_has_terms;  // Add nodes: some inputs were summed in already
  std::vector<char> grad_shared;    // the node's gradient is its only consumer's (an Add's) gradient
  // Fused BN + ReLU: a batch norm whose only consumer is a ReLU writes the ReLU's output (value_off
  // equal) and, backward, takes the ReLU's gradient and mask (grad_off equal); the ReLU runs no op.
  std::vector<int> bn_relu;         // BatchNorm node: the ReLU it computes, or -1
  std::vector<int> relu_from_bn;    // ReLU node: the batch norm that computes it, or -1
};

struct PlanOptions {
  bool fuse = true;  // off: every op runs on its own (the plain schedule; the same bits)
};

enum class PlanMode {
  InputGradient,    // forward, then the gradient of sum_b y_b w.r.t. the input (Jacobian score)
  ForwardAllReLUs,  // forward only, every ReLU computed even off the output's path (Hamming score)
};

// Plans one network at one batch size (cheap: linear in the number of nodes).
// Buffers hold max(batch, slots) samples: a backend may pad the batch (the CPU's lane blocks).
Plan make_plan(const Graph& g, int batch, PlanMode mode = PlanMode::InputGradient, size_t slots = 0,
               PlanOptions opt = {});

}  // namespace naswot
