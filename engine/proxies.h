// Zero-cost proxies from one forward and backward pass with respect to the weights: the loss they
// share and the scores computed from the weights and their gradients (docs/proxies.md).
#pragma once
#include <string>
#include <vector>

#include "engine/graph.h"

namespace naswot {

// Mean cross-entropy over the batch of outputs y (batch x classes, batch-major) against labels, and
// its gradient dL/dy = (softmax(y) - onehot(label)) / batch into *dy; computed in float64. A label
// outside [0, classes) is an error.
double cross_entropy(const std::vector<float>& y, const std::vector<int>& labels, int classes, std::vector<float>* dy);

// grad_norm: the sum over the convolution and linear layers of the Euclidean norm of their weight
// gradient (zero-cost-nas; biases and batch norms excluded).
double grad_norm_score(const Graph& g, const std::vector<float>& grads);
// snip: the sum over the same weights of |w * dL/dw| (the saliency of a connection).
double snip_score(const Graph& g, const std::vector<float>& params, const std::vector<float>& grads);

// fisher: the sum over the same layers of their fisher terms (Executor::weight_gradients), each
// sum over channels c of 0.5 * mean over samples of (sum over pixels of output * its gradient)^2.
double fisher_score(const std::vector<float>& terms);

}  // namespace naswot
