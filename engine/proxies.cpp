// The proxies' loss and their scores from weights and gradients, in float64 and fixed order.
#include "engine/proxies.h"

#include <cmath>

#include "engine/error.h"

namespace naswot {
namespace {

// The weight tensors the proxies sum over: those of convolutions and linear layers.
template <class F>
void for_each_weight(const Graph& g, F f) {
  for (const Node& n : g.nodes)
    if (has_trait(n.op, kProxyLayer) && n.weight >= 0) f(g.params[size_t(n.weight)]);
}

}  // namespace

double cross_entropy(const std::vector<float>& y, const std::vector<int>& labels, int classes, std::vector<float>* dy) {
  const size_t B = labels.size();
  if (classes < 2) fail("cross-entropy needs at least 2 classes (--num-classes)");
  if (y.size() != B * size_t(classes)) fail("cross-entropy: outputs and labels disagree in size");
  if (dy) dy->assign(y.size(), 0.f);
  double loss = 0;
  for (size_t b = 0; b < B; ++b) {
    const int label = labels[b];
    if (label < 0 || label >= classes)
      fail("cross-entropy: label " + std::to_string(label) + " of sample " + std::to_string(b) + " is not below " +
           std::to_string(classes) + " classes (--num-classes)");
    const float* z = y.data() + b * size_t(classes);
    double mx = z[0];
    for (int c = 1; c < classes; ++c) mx = std::max(mx, double(z[c]));
    double sum = 0;
    for (int c = 0; c < classes; ++c) sum += std::exp(double(z[c]) - mx);
    loss += std::log(sum) + mx - double(z[label]);
    if (dy)
      for (int c = 0; c < classes; ++c)
        (*dy)[b * size_t(classes) + size_t(c)] =
            float((std::exp(double(z[c]) - mx) / sum - (c == label ? 1.0 : 0.0)) / double(B));
  }
  return loss / double(B);
}

double grad_norm_score(const Graph& g, const std::vector<float>& grads) {
  double total = 0;
  for_each_weight(g, [&](const Param& p) {
    double ss = 0;
    for (size_t i = 0; i < p.size; ++i) ss += double(grads[p.offset + i]) * grads[p.offset + i];
    total += std::sqrt(ss);
  });
  return total;
}

double snip_score(const Graph& g, const std::vector<float>& params, const std::vector<float>& grads) {
  double total = 0;
  for_each_weight(g, [&](const Param& p) {
    for (size_t i = 0; i < p.size; ++i) total += std::fabs(double(params[p.offset + i]) * grads[p.offset + i]);
  });
  return total;
}

double fisher_score(const std::vector<float>& terms) {
  double total = 0;
  for (float t : terms) total += t;
  return total;
}

}  // namespace naswot
