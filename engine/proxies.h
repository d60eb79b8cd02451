// Zero-cost proxies (docs/proxies.md): the loss of the gradient proxies, their scores from weights and
// gradients, and the networks and passes of synflow, ntk and zen.
#pragma once
#include <string>
#include <vector>

#include "engine/executor.h"
#include "engine/graph.h"
#include "engine/score_jacob.h"

namespace naswot {

// Mean cross-entropy over the batch of outputs y (batch x classes, batch-major) against labels, and
// its gradient dL/dy = (softmax(y) - onehot(label)) / batch into *dy; computed in float64. A label
// outside [0, classes) is an error.
double cross_entropy(const std::vector<float>& y, const std::vector<int>& labels, int classes, std::vector<float>* dy);

// The cross-entropy's Hessian (in the outputs y) times ty: per sample, (diag(p) - p p^T) ty / batch,
// p = softmax(y); float64, rounded once. The tangent of cross_entropy's dy along ty.
std::vector<float> cross_entropy_hessian(const std::vector<float>& y, int classes, const std::vector<float>& ty);

// grad_norm: the sum over the convolution and linear layers of the Euclidean norm of their weight
// gradient (zero-cost-nas; biases and batch norms excluded).
double grad_norm_score(const Graph& g, const std::vector<float>& grads);
// snip: the sum over the same weights of |w * dL/dw| (the saliency of a connection).
double snip_score(const Graph& g, const std::vector<float>& params, const std::vector<float>& grads);
// fisher: the sum over the same layers of their fisher terms (Executor::weight_gradients), each
// sum over channels c of 0.5 * mean over samples of (sum over pixels of output * its gradient)^2.
double fisher_score(const std::vector<float>& terms);

// grasp (Wang et al. 2020, as zero-cost-nas's `grasp`): with g the loss's gradient over the
// convolution and linear weights (grasp_direction: g there, 0 on every other parameter) and H the
// loss's Hessian, grasp = -sum over those weights of w * (H g), in float64 from Executor::hessian_vector.
std::vector<float> grasp_direction(const Graph& g, const std::vector<float>& grads);
double grasp_score(const Graph& g, const std::vector<float>& params, const std::vector<float>& hessian_vector);
// The whole of it on ex's backend from the cross-entropy's gradients (Executor::weight_gradients on
// the same batch and labels): one more forward and backward pass with tangents. Degenerate when not finite.
JacobScore grasp(Executor& ex, const Graph& g, const std::vector<float>& params, const float* x, int batch,
                 const std::vector<int>& labels, int classes, const std::vector<float>& grads);

// synflow (Tanaka et al. 2020; zero-cost-nas's `synflow`, its network without batch norm): with every
// parameter replaced by its absolute value and one all-ones input image, R = the sum of the outputs;
// synflow = the sum over the convolution and linear weights of |w * dR/dw|. R overflows float32 in
// these networks (up to 1e50 in NB201), so the engine computes it on a rescaled network (docs/proxies.md):
// behind nodes that every path from the input to the output passes, whose values would leave
// [2^-16, 2^16], a 1x1 convolution by 2^-e times the identity (exact in float32). Every path then
// carries the same factor 2^log2_scale, which the score divides out in float64.
struct SynflowNetwork {
  Graph graph;                // the network without batch norms, with the scaling convolutions
  std::vector<float> params;  // |w|, then the scaling convolutions' weights
  long log2_scale = 0;        // the product of the scales is 2^log2_scale
  int scaled_nodes = 0;       // scaling convolutions inserted
};
// window: scale where a bound leaves [2^-window, 2^window] (the tests vary it: the score must not change).
SynflowNetwork synflow_network(const Graph& g, const std::vector<float>& params, int window = 16);
// From the weight gradients of R (seed: ones at the outputs) of n.graph on the all-ones image.
double synflow_score(const SynflowNetwork& n, const Graph& original, const std::vector<float>& grads);
// The whole of it on ex's backend: degenerate when not finite in float64.
JacobScore synflow(Executor& ex, const Graph& g, const std::vector<float>& params);

// ntk (TE-NAS's condition number of the empirical neural tangent kernel, as NAS-Bench-Suite-Zero's
// `ntk`): rows[i] = d(sum of sample i's outputs)/dtheta over the parameters TE-NAS selects (named
// "weight": convolution and linear weights and batch-norm scales; ntk_row picks them from a full
// gradient); Theta = rows rows^T in float64; score = -lambda_max / lambda_min (higher is better).
// A Theta singular to float64 precision (smallest eigenvalue <= n * eps * largest) or with a
// non-finite entry is degenerate.
std::vector<float> ntk_row(const Graph& g, const std::vector<float>& grads);
JacobScore ntk_score(const std::vector<std::vector<float>>& rows);
// The whole of it on ex's backend: one forward pass on the batch x, then a backward pass per sample;
// with `last`, also that forward's outputs and ReLU masks (for an export).
JacobScore ntk(Executor& ex, const Graph& g, const std::vector<float>& params, const float* x, int batch,
               WeightGradients* last = nullptr);

// zen (Zen-NAS, as NAS-Bench-Suite-Zero's `zen`): the network up to its global average pool f, with
// N(0, 1) convolution weights and batch norms in training mode (gamma 1, beta 0); x and e two batches
// of N(0, 1) inputs (the images' shape; drawn from `seed`, the same for every architecture);
// zen = log(mean over samples of sum |f(x) - f(x + 0.01 e)|) + sum over batch norms of
// log sqrt(mean over channels of PyTorch's running variance after those two passes), i.e.
// 0.81 + 0.09 v1 + 0.1 v2 with v1, v2 the passes' unbiased batch variances. Weights draw from
// (seed, arch_key); batch norms off the output's path count too (PyTorch runs every module).
struct ZenNetwork {
  Graph f;                    // the network up to the global average pool (all of g's parameters)
  std::vector<float> params;  // N(0, 1) convolution and linear weights, gamma 1, beta 0
};
ZenNetwork zen_network(const Graph& g, uint64_t seed, uint64_t arch_key);
// The two input batches, drawn once per run: batch x `per_sample` values each.
struct ZenInputs {
  std::vector<float> x, mixed;  // x, and x + 0.01 e
};
ZenInputs zen_inputs(uint64_t seed, int batch, size_t per_sample);
JacobScore zen_score(Executor& ex, const ZenNetwork& z, const ZenInputs& in, int batch);

}  // namespace naswot
