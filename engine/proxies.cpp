// The proxies' loss and their scores from weights and gradients, in float64 and fixed order.
#include "engine/proxies.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/error.h"
#include "engine/init.h"
#include "engine/rng.h"

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

std::vector<float> cross_entropy_hessian(const std::vector<float>& y, int classes, const std::vector<float>& ty) {
  if (classes < 1 || y.size() % size_t(classes) != 0 || ty.size() != y.size())
    fail("cross-entropy Hessian: outputs and their tangent disagree in size");
  const size_t B = y.size() / size_t(classes);
  std::vector<float> out(y.size());
  std::vector<double> prob(static_cast<size_t>(classes));
  for (size_t b = 0; b < B; ++b) {
    const float* z = y.data() + b * size_t(classes);
    const float* t = ty.data() + b * size_t(classes);
    double mx = z[0], sum = 0, pt = 0;
    for (int c = 1; c < classes; ++c) mx = std::max(mx, double(z[c]));
    for (int c = 0; c < classes; ++c) sum += prob[size_t(c)] = std::exp(double(z[c]) - mx);
    for (int c = 0; c < classes; ++c) pt += (prob[size_t(c)] /= sum) * double(t[c]);
    for (int c = 0; c < classes; ++c)
      out[b * size_t(classes) + size_t(c)] = float(prob[size_t(c)] * (double(t[c]) - pt) / double(B));
  }
  return out;
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

std::vector<float> grasp_direction(const Graph& g, const std::vector<float>& grads) {
  std::vector<float> v(grads.size(), 0.f);
  for_each_weight(g, [&](const Param& p) {
    std::copy(grads.begin() + long(p.offset), grads.begin() + long(p.offset + p.size), v.begin() + long(p.offset));
  });
  return v;
}

double grasp_score(const Graph& g, const std::vector<float>& params, const std::vector<float>& hessian_vector) {
  double total = 0;
  for_each_weight(g, [&](const Param& p) {
    for (size_t i = 0; i < p.size; ++i) total -= double(params[p.offset + i]) * hessian_vector[p.offset + i];
  });
  return total;
}

JacobScore grasp(Executor& ex, const Graph& g, const std::vector<float>& params, const float* x, int batch,
                 const std::vector<int>& labels, int classes, const std::vector<float>& grads) {
  const WeightGradients r = ex.hessian_vector(
      g, params, x, batch, grasp_direction(g, grads),
      [&](const std::vector<float>& y) {
        std::vector<float> dy;
        cross_entropy(y, labels, classes, &dy);
        return dy;
      },
      [&](const std::vector<float>& y, const std::vector<float>& ty) { return cross_entropy_hessian(y, classes, ty); });
  JacobScore out;
  out.score = grasp_score(g, params, r.hessian_vector);
  if (!std::isfinite(out.score)) return degenerate_score("the Hessian-vector product is not finite");
  return out;
}

double fisher_score(const std::vector<float>& terms) {
  double total = 0;
  for (float t : terms) total += t;
  return total;
}

namespace {

// The nodes every path from the input to the output passes (the output's dominators; Zero nodes,
// which no path from the input reaches, are not on any path), as flags by node; none when no path
// reaches the output (an NB201 network of 'none' cells).
std::vector<char> on_every_path(const Graph& g) {
  const size_t n = g.nodes.size();
  std::vector<int> idom(n, -1), depth(n, 0);  // -1: not reached from the input
  for (size_t v = 0; v < n; ++v) {
    const Node& node = g.nodes[v];
    if (node.op == OpKind::Input) {
      idom[v] = int(v);
      continue;
    }
    int d = -1;
    for (int u : node.inputs) {
      if (idom[size_t(u)] < 0) continue;
      if (d < 0) {
        d = u;
        continue;
      }
      int a = d, b = u;  // their lowest common dominator
      while (a != b) {
        if (depth[size_t(a)] < depth[size_t(b)]) std::swap(a, b);
        a = idom[size_t(a)];
      }
      d = a;
    }
    if (d < 0) continue;
    idom[v] = d;
    depth[v] = depth[size_t(d)] + 1;
  }
  std::vector<char> out(n, 0);
  if (g.output < 0 || idom[size_t(g.output)] < 0) return out;
  for (int v = g.output;; v = idom[size_t(v)]) {
    out[size_t(v)] = 1;
    if (g.nodes[size_t(v)].op == OpKind::Input) break;
  }
  return out;
}

}  // namespace

SynflowNetwork synflow_network(const Graph& g, const std::vector<float>& params, int window) {
  SynflowNetwork out;
  out.graph.params = g.params;
  out.params.resize(params.size());
  for (size_t i = 0; i < params.size(); ++i) out.params[i] = std::fabs(params[i]);
  const std::vector<char> cut = on_every_path(g);
  // bound[v]: an upper bound of the node's values on the all-ones image (every value is >= 0), in
  // float64; it decides the scales. The scaled network's bound stays in [2^-window, 2^window] at its cut nodes.
  std::vector<double> bound;
  std::vector<int> id(g.nodes.size(), -1);  // original node -> its value's node in the new graph
  const auto row_sum_max = [&](const Param& w, size_t rows) {
    double best = 0;
    const size_t per_row = w.size / rows;
    for (size_t r = 0; r < rows; ++r) {
      double sum = 0;
      for (size_t i = 0; i < per_row; ++i) sum += out.params[w.offset + r * per_row + i];
      best = std::max(best, sum);
    }
    return best;
  };
  for (size_t v = 0; v < g.nodes.size(); ++v) {
    Node n = g.nodes[v];
    for (int& in : n.inputs) in = id[size_t(in)];
    if (n.op == OpKind::BatchNorm) {  // removed: its consumers read its input
      id[v] = n.inputs[0];
      continue;
    }
    double b = 0;
    switch (n.op) {
      case OpKind::Input: b = 1; break;
      case OpKind::Zero: b = 0; break;
      case OpKind::Conv2d:
        b = bound[size_t(n.inputs[0])] * row_sum_max(g.params[size_t(n.weight)], size_t(n.out.c));
        break;
      case OpKind::Linear: {
        double bias = 0;
        const Param& pb = g.params[size_t(n.bias)];
        for (size_t i = 0; i < pb.size; ++i) bias = std::max(bias, double(out.params[pb.offset + i]));
        b = bound[size_t(n.inputs[0])] * row_sum_max(g.params[size_t(n.weight)], size_t(n.out.c)) + bias;
        break;
      }
      default:
        // Sums add their bounds; pools, ReLUs, slices and concatenations keep the largest input's.
        for (int in : n.inputs) b = has_trait(n.op, kSum) ? b + bound[size_t(in)] : std::max(b, bound[size_t(in)]);
    }
    out.graph.nodes.push_back(n);
    bound.push_back(b);
    id[v] = int(out.graph.nodes.size()) - 1;
    if (!cut[v] || int(v) == g.output || n.op == OpKind::Input || b == 0) continue;
    const int e = std::ilogb(b);  // b in [2^e, 2^(e+1))
    if (e >= -window && e < window) continue;
    Node s;  // 2^-e * identity as a 1x1 convolution: s * x exactly, its backward s * dy exactly
    s.op = OpKind::Conv2d;
    s.inputs = {id[v]};
    s.out = n.out;
    s.name = "synflow_scale" + std::to_string(out.scaled_nodes++);
    Param w;
    w.name = s.name + ".weight";
    w.dims = {n.out.c, n.out.c, 1, 1};
    w.size = size_t(n.out.c) * size_t(n.out.c);
    w.offset = out.params.size();
    w.fan_in = n.out.c;
    s.weight = int(out.graph.params.size());
    out.graph.params.push_back(w);
    out.params.resize(w.offset + w.size, 0.f);
    for (int c = 0; c < n.out.c; ++c) out.params[w.offset + size_t(c) * size_t(n.out.c + 1)] = std::ldexp(1.f, -e);
    out.log2_scale -= e;
    out.graph.nodes.push_back(s);
    bound.push_back(std::ldexp(b, -e));
    id[v] = int(out.graph.nodes.size()) - 1;
  }
  out.graph.output = id[size_t(g.output)];
  return out;
}

double synflow_score(const SynflowNetwork& n, const Graph& original, const std::vector<float>& grads) {
  // The original layers' parameters keep their offsets; the scaling convolutions' come after them.
  double total = 0;
  for_each_weight(original, [&](const Param& p) {
    for (size_t i = 0; i < p.size; ++i)
      total += double(n.params[p.offset + i]) * std::fabs(double(grads[p.offset + i]));
  });
  return std::ldexp(total, int(-n.log2_scale));
}

std::vector<float> ntk_row(const Graph& g, const std::vector<float>& grads) {
  std::vector<float> row;
  for (const Node& n : g.nodes)
    if ((has_trait(n.op, kProxyLayer) || n.op == OpKind::BatchNorm) && n.weight >= 0) {
      const Param& p = g.params[size_t(n.weight)];
      row.insert(row.end(), grads.begin() + long(p.offset), grads.begin() + long(p.offset + p.size));
    }
  return row;
}

JacobScore ntk_score(const std::vector<std::vector<float>>& rows) {
  const int n = int(rows.size());
  std::vector<double> theta(size_t(n) * size_t(n));
  for (int i = 0; i < n; ++i)
    for (int j = 0; j <= i; ++j) {
      double dot = 0;
      for (size_t k = 0; k < rows[size_t(i)].size(); ++k) dot += double(rows[size_t(i)][k]) * rows[size_t(j)][k];
      theta[size_t(i) * size_t(n) + size_t(j)] = theta[size_t(j) * size_t(n) + size_t(i)] = dot;
    }
  for (double v : theta)
    if (!std::isfinite(v)) return degenerate_score("the NTK has a non-finite entry");
  std::vector<double> w;
  std::string why;
  if (!symmetric_eigenvalues(std::move(theta), n, w, &why)) return degenerate_score(why);
  // Below n * eps of the largest, the smallest eigenvalue is rounding: the condition number means nothing.
  if (!(w.front() > w.back() * double(n) * std::numeric_limits<double>::epsilon()))
    return degenerate_score("the NTK is singular to float64 precision (eigenvalues " + std::to_string(w.front()) +
                            " .. " + std::to_string(w.back()) + ")");
  JacobScore out;
  out.score = -w.back() / w.front();
  out.eigenvalues = std::move(w);
  return out;
}

ZenNetwork zen_network(const Graph& g, uint64_t seed, uint64_t arch_key) {
  // The network up to its global average pool's input, with zen's initialisation.
  int gap = -1;
  for (size_t v = 0; v < g.nodes.size(); ++v)
    if (g.nodes[v].op == OpKind::GlobalAvgPool) gap = int(v);
  if (gap < 0) fail("zen: the network has no global average pool");
  ZenNetwork z{g, {}};
  Graph& f = z.f;
  f.output = g.nodes[size_t(gap)].inputs[0];
  f.nodes.resize(size_t(f.output) + 1);
  for (Param& p : f.params)
    if (p.init == InitKind::KaimingUniformA5 || p.init == InitKind::HeNormalFanOut || p.init == InitKind::Normal001)
      p.init = InitKind::StandardNormal;  // conv and linear weights
    else if (p.init == InitKind::LinearBias)
      p.init = InitKind::Zeros;
  z.params = init_params(f, seed, stream_key(arch_key, 0x2E4E5A));
  return z;
}

ZenInputs zen_inputs(uint64_t seed, int batch, size_t per_sample) {
  const size_t n = size_t(batch) * per_sample;
  const uint64_t kx = stream_key(seed, 0x2E4E5A, 1), ke = stream_key(seed, 0x2E4E5A, 2);
  ZenInputs in;
  in.x.resize(n);
  in.mixed.resize(n);
  fill_normal(in.x.data(), n, kx, 1.0);
  fill_normal(in.mixed.data(), n, ke, 0.01);  // the perturbation, rounded before the sum (nothing to fuse)
  for (size_t i = 0; i < n; ++i) in.mixed[i] += in.x[i];
  return in;
}

JacobScore zen_score(Executor& ex, const ZenNetwork& z, const ZenInputs& in, int batch) {
  const Graph& f = z.f;
  const size_t n_in = size_t(batch) * f.shape(0).per_sample();
  if (in.x.size() != n_in || in.mixed.size() != n_in) fail("zen: the inputs do not match the batch and network");
  const Executor::ForwardResult a = ex.forward_all(f, z.params, in.x.data(), batch);
  const Executor::ForwardResult b = ex.forward_all(f, z.params, in.mixed.data(), batch);
  double diff = 0;
  for (size_t i = 0; i < a.output.size(); ++i) diff += std::fabs(double(a.output[i]) - double(b.output[i]));
  diff /= double(batch);
  double log_bn = 0;
  size_t k = 0;
  for (const Node& n : f.nodes) {
    if (n.op != OpKind::BatchNorm) continue;
    const double count = double(batch) * n.out.h * n.out.w, unbias = count / (count - 1);
    double mean = 0;
    for (size_t c = 0; c < a.bn_variance[k].size(); ++c)
      mean += 0.81 + 0.09 * a.bn_variance[k][c] * unbias + 0.1 * b.bn_variance[k][c] * unbias;
    log_bn += 0.5 * std::log(mean / double(a.bn_variance[k].size()));
    ++k;
  }
  if (!(diff > 0) || !std::isfinite(diff)) return degenerate_score("zen: the outputs do not move with the input");
  JacobScore out;
  out.score = std::log(diff) + log_bn;
  if (!std::isfinite(out.score)) return degenerate_score("zen: the score is not finite");
  return out;
}

JacobScore synflow(Executor& ex, const Graph& g, const std::vector<float>& params) {
  // Two identical all-ones images (the executor takes at least two): without batch norm the samples
  // do not interact, so every gradient is exactly twice the one image's, halved in the score.
  const SynflowNetwork sn = synflow_network(g, params);
  const std::vector<float> ones(2 * g.shape(0).per_sample(), 1.f);
  const WeightGradients wg = ex.weight_gradients(sn.graph, sn.params, ones.data(), 2, [](const std::vector<float>& y) {
    return std::vector<float>(y.size(), 1.f);
  });
  JacobScore out;
  out.score = synflow_score(sn, g, wg.grads) / 2;
  return std::isfinite(out.score) ? out : degenerate_score("synflow is not finite in float64");
}

JacobScore ntk(Executor& ex, const Graph& g, const std::vector<float>& params, const float* x, int batch,
               WeightGradients* last) {
  // Sample i's pass is seeded with ones at its outputs and runs through the batch's forward (batch
  // norm couples the samples), as TE-NAS's backward of one logit row with retain_graph.
  std::vector<std::vector<float>> rows;
  WeightGradients r = ex.weight_gradients_each(
      g, params, x, batch, batch,
      [&](const std::vector<float>& y, int i) {
        std::vector<float> dy(y.size(), 0.f);
        const size_t classes = y.size() / size_t(batch);
        std::fill(dy.begin() + long(size_t(i) * classes), dy.begin() + long(size_t(i + 1) * classes), 1.f);
        return dy;
      },
      [&](int, const std::vector<float>& grads) { rows.push_back(ntk_row(g, grads)); });
  if (last) *last = std::move(r);
  return ntk_score(rows);
}

}  // namespace naswot
