// Planner: which nodes run, which values the backward pass keeps, and arena offsets that reuse memory.
#pragma once
#include <cstddef>
#include <vector>

#include "engine/graph.h"

namespace naswot {

// What the plan decided for one node of the graph.
struct NodePlan {
  bool live = false;        // feeds the output (or, ForwardAllReLUs, a ReLU; ForwardAll: every node)
  bool needs_grad = false;  // on a path input -> output (WeightGradient: from any node with parameters)
  size_t value_off = 0;     // arena offset of the value (floats)
  size_t grad_off = 0;      // arena offset of the gradient (needs_grad nodes)
  size_t stats_off = 0;     // kBatchStats nodes: mean[C] then rstd[C]
  // Fused adds: a term of a kSum node that has no other consumer and whose op can accumulate
  // (kAccumulates) is written straight into the sum's buffer: the first such term in topological
  // order writes, later ones add (value_off of the term = value_off of the sum). The sum then adds
  // only its other inputs into the buffer. Terms are chosen so that the sum is rounded exactly as
  // the plain left-to-right sum rounds it.
  int sum_into = -1;         // the sum this term is written into, or -1
  bool sum_acc = false;      // this term adds to the buffer (an earlier term wrote it)
  bool has_terms = false;    // kSum nodes: some inputs were summed in already
  bool grad_shared = false;  // the gradient is its only consumer's (a sum's) gradient (grad_off equal)
  // Fused BN + ReLU: a kAppliesReLU node whose only consumer is a ReLU writes the ReLU's output
  // (value_off equal) and, backward, takes the ReLU's gradient and mask (grad_off equal); the ReLU
  // runs no op.
  int relu = -1;              // kAppliesReLU node: the ReLU it computes, or -1
  int relu_computed_by = -1;  // ReLU node: the node that computes it, or -1
  // ReLU + convolution (InputGradient and ForwardAllReLUs plans): a ReLU read only by kReLUOnLoad nodes
  // has no value buffer: they read its input through it, and its backward (or the Hamming score's
  // codes) takes the mask from its input; in ForwardAllReLUs plans that includes a ReLU nobody reads.
  // If its only reader is the next step (InputGradient), that node's backward also applies the mask,
  // into the ReLU's input's gradient, and the ReLU has no gradient buffer either.
  bool relu_read_through = false;  // ReLU node: its readers read its input through it
  int relu_applied_by = -1;        // ReLU node: the one reader whose backward also applies its mask, or -1
  bool relu_on_load = false;       // kReLUOnLoad node: its input is such a ReLU (it reads the ReLU's input)
  // Batch norm + convolution (InputGradient plans): a kBatchStats node whose input is a kBnGradOnLoad
  // node read by it alone has its backward run by that node's backward, which computes the batch
  // norm's input gradient as it loads it: the convolution has no gradient buffer.
  int bn_backward_by = -1;   // kBatchStats node: the node whose backward runs its backward, or -1
  int bn_grad_on_load = -1;  // kBnGradOnLoad node: the batch norm whose gradient it reads through, or -1
  // Batch norm statistics + convolution (every plan): a kBatchStats node whose input is a
  // kBnStatsOnStore node read by it alone has its statistics computed by that node's forward (into
  // the batch norm's stats_off); its own forward only applies them.
  bool bn_stats_by_input = false;  // kBatchStats node: its input's forward computes its statistics
  int bn_stats_of = -1;            // kBnStatsOnStore node: the batch norm whose statistics it computes, or -1
  int fisher_slot = -1;            // WeightGradient, kProxyLayer nodes: its float of the fisher terms, or -1
  // PlanOptions::tangent: the tangents of the value and of the gradient, beside them with their
  // lifetimes (fused nodes share them as they share the value and the gradient).
  size_t tvalue_off = 0, tgrad_off = 0;
};

struct Plan {
  int batch = 0;
  int input = -1;
  std::vector<int> order;       // live nodes in topological order
  std::vector<NodePlan> nodes;  // one per graph node
  size_t params_off = 0;        // parameters are uploaded here
  size_t param_grads_off = 0;   // WeightGradient: the parameters' gradients (num_params floats)
  size_t fisher_off = 0;        // WeightGradient with fisher: one float per kProxyLayer node (NodePlan::fisher_slot)
  int fisher_slots = 0;
  // PlanOptions::tangent: the parameters' direction, the tangent of their gradient (each num_params
  // floats), and scratch: `scratch_floats` for a layer's second tangent term, then `zeros_floats` zeros.
  bool tangent = false;
  size_t param_tangents_off = 0, param_tgrads_off = 0, scratch_off = 0, zeros_off = 0;
  size_t scratch_floats = 0, zeros_floats = 0;
  // ForwardAllReLUs: the Hamming score's ReLU codes, hamming_words rows of `batch` 64-bit words (every
  // live ReLU's ceil(per_sample / 64) rows; kernels/ops.def, relu_codes), and its K (batch x batch int64).
  size_t hamming_codes_off = 0, hamming_words = 0, hamming_K_off = 0;
  size_t arena_floats = 0;  // total
  size_t naive_floats = 0;  // what one buffer per value and gradient would need (for reporting)
  const NodePlan& operator[](int v) const { return nodes[size_t(v)]; }
};

struct PlanOptions {
  bool fuse = true;          // off: every op runs on its own (the plain schedule; the same bits)
  bool fisher = false;       // WeightGradient: keep each kProxyLayer's output until its backward step, a slot each
  bool keep_values = false;  // every value lives to the end: several backward passes on one forward (ntk)
  bool tangent = false;      // WeightGradient: tangents beside values and gradients (Executor::hessian_vector)
  // With fuse, convolutions reading their neighbours through (ReLU + convolution, batch norm +
  // convolution backward) and summing a batch norm's statistics: on, off, or (the executor and
  // lockstep) as the backend asks (Device::convs_read_through); make_plan takes AsBackend as on.
  enum class ConvLoads { AsBackend, On, Off } conv_loads = ConvLoads::AsBackend;
  // conv_loads resolved for a backend whose convolutions do (or do not) read through.
  PlanOptions for_backend(bool convs_read_through) const {
    PlanOptions o = *this;
    if (o.conv_loads == ConvLoads::AsBackend) o.conv_loads = convs_read_through ? ConvLoads::On : ConvLoads::Off;
    return o;
  }
};

enum class PlanMode {
  InputGradient,    // forward, then the gradient of sum_b y_b w.r.t. the input (Jacobian score)
  ForwardAllReLUs,  // forward only, every ReLU computed even off the output's path (Hamming score)
  WeightGradient,   // forward, then a loss's gradient w.r.t. every parameter (the zero-cost proxies)
  ForwardAll,       // forward only, every node computed even off the output's path (zen's batch norms)
};

// Plans one network at one batch size (cheap: linear in the number of nodes).
// Buffers hold max(batch, slots) samples: a backend may pad the batch (the CPU's lane blocks).
Plan make_plan(const Graph& g, int batch, PlanMode mode = PlanMode::InputGradient, size_t slots = 0,
               PlanOptions opt = {});

}  // namespace naswot
