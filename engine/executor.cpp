// Runs a planned graph: forward in topological order, backward in reverse with gradient accumulation.
#include "engine/executor.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "engine/error.h"
#include "engine/score_hamming.h"

namespace naswot {
namespace {

constexpr float kBnEps = 1e-5f;

// NASWOT_PROFILE=1: accumulated wall time per op kind and direction, printed at exit. Each op is
// bracketed by a backend synchronize, so on a GPU this is the op's device time plus launch latency
// (one architecture in flight; use it with one stream).
struct OpProfile {
  bool on = std::getenv("NASWOT_PROFILE") != nullptr;
  double t[2][kNumOpKinds] = {}, flops[2][kNumOpKinds] = {};
  ~OpProfile() {
    if (!on) return;
    for (int d = 0; d < 2; ++d)
      for (int k = 0; k < kNumOpKinds; ++k)
        if (t[d][k] > 0)
          std::fprintf(stderr, "profile %-8s %-15s %8.3f s %8.1f GFLOP/s\n", d ? "backward" : "forward",
                       op_name(OpKind(k)), t[d][k], flops[d][k] / t[d][k] * 1e-9);
  }
};
OpProfile g_profile;

class OpTimer {
 public:
  OpTimer(Backend& be, int dir, int kind, double flops) : be_(be), dir_(dir), kind_(kind), flops_(flops) {
    if (!g_profile.on) return;  // the scoring loop pays nothing when profiling is off
    be_.synchronize();
    t0_ = std::chrono::steady_clock::now();
  }
  ~OpTimer() {
    if (!g_profile.on) return;
    be_.synchronize();
    g_profile.t[dir_][kind_] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    g_profile.flops[dir_][kind_] += flops_;
  }

 private:
  Backend& be_;
  int dir_, kind_;
  double flops_;
  std::chrono::steady_clock::time_point t0_;
};

ConvDims conv_dims(const Graph& g, const Node& n, int B) {
  const Shape& in = g.shape(n.inputs[0]);
  return {B, in.c, in.h, in.w, n.out.c, n.kernel, n.stride, n.pad, n.out.h, n.out.w};
}

double conv_flops(const ConvDims& d) { return 2.0 * d.Cout * d.Cin * d.k * d.k * d.Ho * d.Wo * double(d.B); }

// How a batch norm stores its output: into a fused ReLU, added to a fused sum, or written.
BnStore bn_store(const NodePlan& np) {
  return np.relu >= 0 ? BnStore::ReLU : np.sum_acc ? BnStore::Accumulate : BnStore::Write;
}

// The forward op of node v if it is linear in its inputs (sums, average pools, concatenation, slices)
// on the buffers at(node) gives: the values, or (hessian_vector) their tangents.
template <class At>
void forward_linear_op(Backend& be, const Graph& g, const Plan& p, int v, int B, At at) {
  const Node& n = g.nodes[size_t(v)];
  const Shape& s = n.out;
  const int in = n.inputs.empty() ? -1 : n.inputs[0];
  switch (n.op) {
    case OpKind::Add: {
      // Fused terms are in the buffer already; the others follow in input order.
      std::vector<const float*> xs;
      if (p[v].has_terms) xs.push_back(at(v));
      for (int u : n.inputs)
        if (p[u].sum_into != v) xs.push_back(at(u));
      const size_t count = s.per_sample() * be.padded_batch(B);
      if (xs.size() >= 2) be.add_forward(count, xs.data(), int(xs.size()), at(v));  // else all fused
      break;
    }
    case OpKind::AvgPool3x3: be.avgpool3x3_forward(s.c, s.h, s.w, B, at(in), at(v), p[v].sum_acc); break;
    case OpKind::AvgPool2x2: {
      const Shape& is = g.shape(in);
      be.avgpool2x2_forward(is.c, is.h, is.w, B, at(in), at(v));
      break;
    }
    case OpKind::GlobalAvgPool: {
      const Shape& is = g.shape(in);
      be.global_avgpool_forward(is.c, is.h * is.w, B, at(in), at(v));
      break;
    }
    case OpKind::Concat: {
      int off = 0;
      for (int u : n.inputs) {
        const int c = g.shape(u).c;
        be.copy_channels(B, s.h * s.w, c, at(u), c, 0, at(v), s.c, off, false);
        off += c;
      }
      break;
    }
    case OpKind::ChannelSlice:  // the first channels of the input
      be.copy_channels(B, s.h * s.w, s.c, at(in), g.shape(in).c, 0, at(v), s.c, 0, false);
      break;
    default: fail(std::string("executor: no forward for op ") + op_name(n.op));
  }
}

}  // namespace

void Executor::forward(const Graph& g, const Weights& params, const float* batch_nchw, int B, PlanMode mode,
                       const std::function<void(int node, const float* value)>& after_relu, const Plan* plan,
                       const std::vector<float>* direction) {
  bool fits =
      params.values ? params.values->size() == g.num_params() : params.draws && params.draws->size() == g.params.size();
  if (fits && params.draws)  // each tensor where the graph has it: a draw never writes outside the parameters
    for (size_t t = 0; t < g.params.size(); ++t)
      fits = fits && (*params.draws)[t].offset == g.params[t].offset && (*params.draws)[t].size == g.params[t].size;
  if (!fits) fail("executor: the parameters do not fit the network");
  const size_t slots = be_.padded_batch(B);
  if (plan) {
    if (plan->batch != B || plan->nodes.size() != g.nodes.size()) fail("executor: the plan is not this network's");
    plan_ = *plan;
  } else {
    plan_ = make_plan(g, B, mode, slots, plan_options_.for_backend(be_.convs_read_through()));
  }
  const Plan& p = plan_;
  const Shape& is = g.shape(p.input);
  const size_t row = is.per_sample();
  // The input batch is converted and uploaded once, then reused while it stays the same.
  const size_t n_in = row * size_t(B), n_slots = row * slots;
  if (batch_.size() != n_in || batch_b_ != B || std::memcmp(batch_.data(), batch_nchw, n_in * sizeof(float)) != 0) {
    batch_.assign(batch_nchw, batch_nchw + n_in);
    batch_b_ = B;
    be_.upload_batch(batch_nchw, B, is.c, is.h * is.w, be_.persistent(n_slots));
  }
  be_.range_push("forward");
  pools_.clear();
  float* A = arena_ = be_.arena(p.arena_floats);
  if (params.values)
    be_.upload(params.values->data(), A + p.params_off, params.values->size());
  else
    be_.draw_weights(params.draws->data(), int(params.draws->size()), A + p.params_off);
  if (p.tangent) {
    if (!direction || direction->size() != g.num_params())
      fail("executor: a plan with tangents needs the parameters' direction (hessian_vector)");
    be_.upload(direction->data(), A + p.param_tangents_off, g.num_params());
    if (p.zeros_floats) be_.fill(p.zeros_floats, 0.f, A + p.zeros_off);
  }
  auto val = [&](int v) { return A + p[v].value_off; };
  auto prm = [&](int id) { return A + p.params_off + g.params[id].offset; };
  auto count = [&](int v) { return g.nodes[v].out.per_sample() * slots; };

  for (int v : p.order) {
    const Node& n = g.nodes[v];
    const Shape& s = n.out;
    const OpTimer timer(be_, 0, int(n.op), n.op == OpKind::Conv2d ? conv_flops(conv_dims(g, n, B)) : 0.0);
    switch (n.op) {
      case OpKind::Input: be_.copy_or_accumulate(n_slots, be_.persistent(n_slots), val(v), false); break;
      case OpKind::Zero: be_.fill(count(v), 0.f, val(v)); break;
      case OpKind::Conv2d: {
        // Through the ReLU before it (its input), and with the statistics of the batch norm after it.
        const float* x = p[v].relu_on_load ? val(g.nodes[n.inputs[0]].inputs[0]) : val(n.inputs[0]);
        const ConvDims d = conv_dims(g, n, B);
        if (const int bn = p[v].bn_stats_of; bn >= 0) {
          float* st = A + p[bn].stats_off;
          if (p[v].relu_on_load)
            be_.conv2d_relu_forward_bn_stats(d, x, prm(n.weight), val(v), kBnEps, st, st + s.c);
          else
            be_.conv2d_forward_bn_stats(d, x, prm(n.weight), val(v), kBnEps, st, st + s.c);
        } else if (p[v].relu_on_load) {
          be_.conv2d_relu_forward(d, x, prm(n.weight), val(v));
        } else {
          be_.conv2d_forward(d, x, prm(n.weight), val(v));
        }
        break;
      }
      case OpKind::BatchNorm: {
        float* st = A + p[v].stats_off;
        if (p[v].bn_stats_by_input)  // its input's forward computed the statistics
          be_.batchnorm_apply(s.c, s.h * s.w, B, val(n.inputs[0]), prm(n.weight), prm(n.bias), st, st + s.c, val(v),
                              bn_store(p[v]));
        else
          be_.batchnorm_forward(s.c, s.h * s.w, B, val(n.inputs[0]), prm(n.weight), prm(n.bias), kBnEps, val(v), st,
                                st + s.c, bn_store(p[v]));
        break;
      }
      case OpKind::ReLU:
        if (p[v].relu_read_through) {  // its readers apply it on load: the input's mask is its own
          if (after_relu) after_relu(v, val(n.inputs[0]));
          break;
        }
        if (p[v].relu_computed_by < 0) be_.relu_forward(count(v), val(n.inputs[0]), val(v));  // else the BN wrote it
        if (after_relu) after_relu(v, val(v));  // now: the slot may be reused later
        break;
      case OpKind::Linear:
        be_.linear_forward(B, g.shape(n.inputs[0]).c, s.c, val(n.inputs[0]), prm(n.weight), prm(n.bias), val(v));
        break;
      case OpKind::MaxPool: {
        const Shape& is = g.shape(n.inputs[0]);
        be_.maxpool_forward(is.c, is.h, is.w, B, n.kernel, n.stride, n.pad, val(n.inputs[0]), val(v));
        if (capture_masks_) pools_.push_back(argmax_of(g, v, val(n.inputs[0]), B));
        break;
      }
      default:  // sums, average pools, concatenation, slices
        forward_linear_op(be_, g, p, v, B, val);
    }
    if (p.tangent) tangent_forward(g, v, B);
  }
  be_.range_pop();
}

JacobianResult Executor::jacobian(const Graph& g, const Weights& params, const float* batch_nchw, int B,
                                  bool download_jacobian) {
  JacobianResult r;
  input_grad_ = nullptr;
  auto capture_mask = [&](int v, const float* y) { r.relu_masks.push_back(mask_of(g, v, y, B)); };
  forward(g, params, batch_nchw, B, PlanMode::InputGradient,
          capture_masks_ ? std::function<void(int, const float*)>(capture_mask) : nullptr);
  const Shape in_shape = g.shape(plan_.input);
  r.batch = B;
  r.row = in_shape.per_sample();
  const Shape out_shape = g.shape(g.output);
  r.pool_argmax = std::move(pools_);
  r.output.resize(out_shape.per_sample() * size_t(B));
  to_nchw(arena_ + plan_[g.output].value_off, r.output.data(), out_shape, B);
  if (download_jacobian) r.jacobian.assign(r.row * B, 0.f);
  backward(g, B, false);
  if (input_grad_ && download_jacobian) to_nchw(input_grad_, r.jacobian.data(), in_shape, B);
  return r;
}

const float* Executor::issue_jacobian(const Graph& g, const Weights& params, const float* batch_nchw, int B,
                                      const Plan* plan) {
  if (capture_masks_) fail("executor: issue_jacobian downloads nothing: turn capture_relu_masks off");
  input_grad_ = nullptr;
  forward(g, params, batch_nchw, B, PlanMode::InputGradient, nullptr, plan);
  backward(g, B, false);
  return input_grad_;
}

WeightGradients Executor::weight_forward(const Graph& g, const std::vector<float>& params, const float* batch_nchw,
                                         int B, const PlanOptions& options, const std::vector<float>* direction) {
  input_grad_ = nullptr;
  WeightGradients r;
  auto capture_mask = [&](int v, const float* y) { r.relu_masks.push_back(mask_of(g, v, y, B)); };
  const Plan plan = make_plan(g, B, PlanMode::WeightGradient, be_.padded_batch(B), options);
  forward(g, params, batch_nchw, B, PlanMode::WeightGradient,
          capture_masks_ ? std::function<void(int, const float*)>(capture_mask) : nullptr, &plan, direction);
  r.pool_argmax = std::move(pools_);
  const Shape out_shape = g.shape(g.output);
  r.output.resize(out_shape.per_sample() * size_t(B));
  to_nchw(arena_ + plan_[g.output].value_off, r.output.data(), out_shape, B);
  return r;
}

WeightGradients Executor::weight_gradients(const Graph& g, const std::vector<float>& params, const float* batch_nchw,
                                           int B,
                                           const std::function<std::vector<float>(const std::vector<float>&)>& seed,
                                           bool fisher) {
  PlanOptions options = plan_options_;
  options.fisher = fisher;
  WeightGradients r = weight_forward(g, params, batch_nchw, B, options);
  weight_backward(g, B, seed(r.output), r);
  return r;
}

void Executor::weight_backward(const Graph& g, int B, const std::vector<float>& dy, WeightGradients& r,
                               const std::vector<float>* tdy) {
  const Shape out_shape = g.shape(g.output);
  if (dy.size() != r.output.size() || (tdy && tdy->size() != r.output.size()))
    fail("executor: the loss gradient has the wrong size");
  if (plan_.tangent != (tdy != nullptr)) fail("executor: internal error, tangents planned and given disagree");
  float* grads = arena_ + plan_.param_grads_off;
  be_.fill(g.num_params(), 0.f, grads);  // parameters the loss does not reach have gradient 0
  if (tdy) be_.fill(g.num_params(), 0.f, arena_ + plan_.param_tgrads_off);
  if (plan_.fisher_slots) be_.fill(size_t(plan_.fisher_slots), 0.f, arena_ + plan_.fisher_off);
  if (plan_[g.output].needs_grad) {
    const int P = out_shape.h * out_shape.w;
    be_.upload_batch(dy.data(), B, out_shape.c, P, arena_ + plan_[g.output].grad_off);
    if (tdy) be_.upload_batch(tdy->data(), B, out_shape.c, P, arena_ + plan_[g.output].tgrad_off);
    backward(g, B, true);
  }
  r.grads.resize(g.num_params());
  be_.download(grads, r.grads.data(), r.grads.size());
  if (tdy) {
    r.hessian_vector.resize(g.num_params());
    be_.download(arena_ + plan_.param_tgrads_off, r.hessian_vector.data(), r.hessian_vector.size());
  }
  r.fisher.resize(size_t(plan_.fisher_slots));
  if (!r.fisher.empty()) be_.download(arena_ + plan_.fisher_off, r.fisher.data(), r.fisher.size());
}

WeightGradients Executor::weight_gradients_each(
    const Graph& g, const std::vector<float>& params, const float* batch_nchw, int B, int count,
    const std::function<std::vector<float>(const std::vector<float>&, int)>& seed,
    const std::function<void(int, const std::vector<float>&)>& done) {
  PlanOptions options = plan_options_;
  options.keep_values = true;
  WeightGradients r = weight_forward(g, params, batch_nchw, B, options);
  for (int i = 0; i < count; ++i) {
    weight_backward(g, B, seed(r.output, i), r);
    done(i, r.grads);
  }
  return r;
}

WeightGradients Executor::hessian_vector(
    const Graph& g, const std::vector<float>& params, const float* batch_nchw, int B, const std::vector<float>& v,
    const std::function<std::vector<float>(const std::vector<float>&)>& seed,
    const std::function<std::vector<float>(const std::vector<float>&, const std::vector<float>&)>& seed_tangent) {
  if (v.size() != g.num_params()) fail("executor: the Hessian's direction has the wrong size");
  PlanOptions options = plan_options_;
  options.tangent = true;
  WeightGradients r = weight_forward(g, params, batch_nchw, B, options, &v);
  const Shape out_shape = g.shape(g.output);
  r.output_tangent.resize(r.output.size());
  to_nchw(arena_ + plan_[g.output].tvalue_off, r.output_tangent.data(), out_shape, B);
  const std::vector<float> tdy = seed_tangent(r.output, r.output_tangent);
  weight_backward(g, B, seed(r.output), r, &tdy);
  return r;
}

Executor::ForwardResult Executor::forward_all(const Graph& g, const std::vector<float>& params, const float* batch_nchw,
                                              int B) {
  input_grad_ = nullptr;
  forward(g, params, batch_nchw, B, PlanMode::ForwardAll, nullptr);
  ForwardResult r;
  const Shape out_shape = g.shape(g.output);
  r.output.resize(out_shape.per_sample() * size_t(B));
  to_nchw(arena_ + plan_[g.output].value_off, r.output.data(), out_shape, B);
  // The batch norms' statistics (mean[C] then rstd[C] each) lie in one region: one download.
  size_t lo = SIZE_MAX, hi = 0;
  for (size_t v = 0; v < g.nodes.size(); ++v)
    if (g.nodes[v].op == OpKind::BatchNorm) {
      lo = std::min(lo, plan_[int(v)].stats_off);
      hi = std::max(hi, plan_[int(v)].stats_off + 2 * size_t(g.nodes[v].out.c));
    }
  std::vector<float> stats(hi > lo ? hi - lo : 0);
  if (!stats.empty()) be_.download(arena_ + lo, stats.data(), stats.size());
  for (size_t v = 0; v < g.nodes.size(); ++v) {
    if (g.nodes[v].op != OpKind::BatchNorm) continue;
    const size_t C = size_t(g.nodes[v].out.c);
    const float* rstd = stats.data() + (plan_[int(v)].stats_off - lo) + C;
    std::vector<double> var(C);
    for (size_t c = 0; c < C; ++c) var[c] = 1.0 / (double(rstd[c]) * rstd[c]) - double(kBnEps);
    r.bn_variance.push_back(std::move(var));
  }
  return r;
}

void Executor::backward(const Graph& g, int B, bool weights) {
  const Plan& p = plan_;
  if (!weights && !p[p.input].live) return;  // output independent of the input: J = 0
  if (!p[g.output].needs_grad) return;
  const size_t slots = be_.padded_batch(B);
  auto count = [&](int v) { return g.nodes[v].out.per_sample() * slots; };
  float* A = arena_;
  auto val = [&](int v) { return A + p[v].value_off; };
  auto grad = [&](int v) { return A + p[v].grad_off; };
  auto prm = [&](int id) { return A + p.params_off + g.params[id].offset; };
  auto grad_prm = [&](int id) { return A + p.param_grads_off + g.params[id].offset; };
  // With tangents (hessian_vector): every gradient's tangent beside it, from the values' tangents.
  const bool tan = weights && p.tangent;
  auto tval = [&](int v) { return A + p[v].tvalue_off; };
  auto tgrad = [&](int v) { return A + p[v].tgrad_off; };
  auto tprm = [&](int id) { return A + p.param_tangents_off + g.params[id].offset; };
  auto tgrad_prm = [&](int id) { return A + p.param_tgrads_off + g.params[id].offset; };
  be_.range_push("backward");
  // Backward of sum_b y_b: the seed gradient is all ones (weight gradients: the caller's, uploaded).
  std::vector<char> has_grad(g.nodes.size(), 0);
  if (!weights) be_.fill(count(g.output), 1.f, grad(g.output));
  has_grad[g.output] = 1;
  auto send = [&](int to) -> std::pair<float*, bool> {
    const bool acc = has_grad[to];
    has_grad[to] = 1;
    return {grad(to), acc};
  };
  for (auto it = p.order.rbegin(); it != p.order.rend(); ++it) {
    const int v = *it;
    const Node& n = g.nodes[v];
    if (!p[v].needs_grad || has_trait(n.op, kGradientTarget)) continue;
    if (p[v].relu_applied_by >= 0) continue;  // its consumer's backward did its step
    if (!has_grad[v]) fail("executor: internal error, missing gradient for node " + std::to_string(v));
    if (p[v].bn_backward_by >= 0) {  // a batch norm read through: its input's backward runs its step
      has_grad[size_t(p[v].bn_backward_by)] = 1;
      continue;
    }
    const Shape& s = n.out;
    const float* gy = grad(v);
    const float* tgy = tan ? tgrad(v) : nullptr;
    const OpTimer timer(be_, 1, int(n.op), n.op == OpKind::Conv2d ? conv_flops(conv_dims(g, n, B)) : 0.0);
    if (n.op == OpKind::Add) {
      for (int in : n.inputs)
        if (p[in].needs_grad) {
          auto [dx, acc] = send(in);
          if (p[in].grad_shared) continue;  // dx == gy
          be_.copy_or_accumulate(count(in), gy, dx, acc);
          if (tan) be_.copy_or_accumulate(count(in), tgy, tgrad(in), acc);
        }
      continue;
    }
    if (n.op == OpKind::Concat) {
      int off = 0;
      for (int in : n.inputs) {
        const int c = g.shape(in).c;
        if (p[in].needs_grad) {
          auto [dx, acc] = send(in);
          be_.copy_channels(B, s.h * s.w, c, gy, s.c, off, dx, c, 0, acc);
          if (tan) be_.copy_channels(B, s.h * s.w, c, tgy, s.c, off, tgrad(in), c, 0, acc);
        }
        off += c;
      }
      continue;
    }
    const int in = n.inputs.empty() ? -1 : n.inputs[0];
    const bool input_grad = in >= 0 && p[in].needs_grad;
    const float* relu_y = p[v].relu >= 0 ? val(p[v].relu) : nullptr;  // a fused ReLU's output: its mask
    const float* st = A + p[v].stats_off;
    if (weights && p[v].fisher_slot >= 0)  // the layer's output and its gradient: the fisher proxy's terms
      be_.fisher_terms(s.c, s.h * s.w, B, val(v), gy, A + p.fisher_off + p[v].fisher_slot, false);
    if (weights && n.weight >= 0) {  // this layer's parameters, from its output gradient and its input
      const Shape& is = g.shape(in);
      switch (n.op) {
        case OpKind::Conv2d:
          be_.conv2d_backward_weight(conv_dims(g, n, B), val(in), gy, grad_prm(n.weight), false);
          if (tan) {  // d(x * dy) = x * tdy + tx * dy
            be_.conv2d_backward_weight(conv_dims(g, n, B), val(in), tgy, tgrad_prm(n.weight), false);
            be_.conv2d_backward_weight(conv_dims(g, n, B), tval(in), gy, tgrad_prm(n.weight), true);
          }
          break;
        case OpKind::BatchNorm:
          be_.batchnorm_backward_affine(s.c, s.h * s.w, B, gy, val(in), st, st + s.c, relu_y, grad_prm(n.weight),
                                        grad_prm(n.bias), false);
          if (tan && !input_grad)  // else with the input gradient's tangent below
            be_.batchnorm_tangent_backward(s.c, s.h * s.w, B, gy, tgy, val(in), tval(in), prm(n.weight), tprm(n.weight),
                                           st, st + s.c, relu_y, nullptr, tgrad_prm(n.weight), tgrad_prm(n.bias),
                                           false);
          break;
        case OpKind::Linear:
          be_.linear_backward_weight(B, is.c, s.c, val(in), gy, grad_prm(n.weight), grad_prm(n.bias), false);
          if (tan) {  // the second call's bias term (the sum of dy) is not part of the tangent: scratch
            be_.linear_backward_weight(B, is.c, s.c, val(in), tgy, tgrad_prm(n.weight), tgrad_prm(n.bias), false);
            be_.linear_backward_weight(B, is.c, s.c, tval(in), gy, tgrad_prm(n.weight), A + p.scratch_off, true);
          }
          break;
        default: fail(std::string("executor: no weight gradient for op ") + op_name(n.op));
      }
    }
    if (!input_grad) continue;
    // A batch norm read through (a convolution's step): its gradient, computed as the convolution loads it.
    const int bn = p[v].bn_grad_on_load;
    BnGrad bn_grad{};
    if (bn >= 0) {
      const NodePlan& bp = p[bn];
      const float* bst = A + bp.stats_off;
      const Node& bnode = g.nodes[size_t(bn)];
      bn_grad = {grad(bn), val(v), prm(bnode.weight), bst, bst + bnode.out.c, bp.relu >= 0 ? val(bp.relu) : nullptr};
    }
    if (p[in].relu_applied_by == v) {  // the ReLU's step too: its mask into its input's gradient
      const int x = g.nodes[in].inputs[0];
      if (!p[x].needs_grad) continue;
      auto [dx, acc] = send(x);
      if (bn >= 0)
        be_.conv2d_bn_backward_data(conv_dims(g, n, B), bn_grad, prm(n.weight), val(x), dx, acc);
      else
        be_.conv2d_relu_backward_data(conv_dims(g, n, B), gy, prm(n.weight), val(x), dx, acc);
      continue;
    }
    auto [dx, acc] = send(in);
    float* tdx = tan ? tgrad(in) : nullptr;
    // Ops linear in the gradient with fixed coefficients: the gradient's tangent takes the same op.
    const auto linear = [&](const auto& op) {
      op(gy, dx);
      if (tan) op(tgy, tdx);
    };
    const Shape& is = g.shape(in);
    switch (n.op) {
      case OpKind::Conv2d:
        if (bn >= 0)
          be_.conv2d_bn_backward_data(conv_dims(g, n, B), bn_grad, prm(n.weight), nullptr, dx, acc);
        else
          be_.conv2d_backward_data(conv_dims(g, n, B), gy, prm(n.weight), dx, acc);
        if (tan) {  // d(w^T dy) = w^T tdy + tw^T dy
          be_.conv2d_backward_data(conv_dims(g, n, B), tgy, prm(n.weight), tdx, acc);
          be_.conv2d_backward_data(conv_dims(g, n, B), gy, tprm(n.weight), tdx, true);
        }
        break;
      case OpKind::BatchNorm:  // a fused ReLU: gy is its gradient (the same buffer), relu_y its mask
        be_.batchnorm_backward(s.c, s.h * s.w, B, gy, val(in), prm(n.weight), st, st + s.c, relu_y, dx, acc);
        if (tan)
          be_.batchnorm_tangent_backward(s.c, s.h * s.w, B, gy, tgy, val(in), tval(in), prm(n.weight), tprm(n.weight),
                                         st, st + s.c, relu_y, tdx, tgrad_prm(n.weight), tgrad_prm(n.bias), acc);
        break;
      case OpKind::ReLU:                  // fused: the batch norm applies the mask (dx is gy's buffer)
        if (p[v].relu_computed_by < 0) {  // read through: no output stored, its input gives the same mask
          const float* mask = p[v].relu_read_through ? val(in) : val(v);
          linear([&](const float* d, float* o) { be_.relu_backward(count(v), d, mask, o, acc); });
        }
        break;
      case OpKind::AvgPool3x3:
        linear([&](const float* d, float* o) { be_.avgpool3x3_backward(s.c, s.h, s.w, B, d, o, acc); });
        break;
      case OpKind::AvgPool2x2:
        linear([&](const float* d, float* o) { be_.avgpool2x2_backward(is.c, is.h, is.w, B, d, o, acc); });
        break;
      case OpKind::GlobalAvgPool:
        linear([&](const float* d, float* o) { be_.global_avgpool_backward(is.c, is.h * is.w, B, d, o, acc); });
        break;
      case OpKind::Linear:
        be_.linear_backward_data(B, is.c, s.c, gy, prm(n.weight), dx, acc);
        if (tan) {
          be_.linear_backward_data(B, is.c, s.c, tgy, prm(n.weight), tdx, acc);
          be_.linear_backward_data(B, is.c, s.c, gy, tprm(n.weight), tdx, true);
        }
        break;
      case OpKind::MaxPool:
        linear([&](const float* d, float* o) {
          be_.maxpool_backward(is.c, is.h, is.w, B, n.kernel, n.stride, n.pad, val(in), d, o, acc);
        });
        break;
      case OpKind::ChannelSlice:  // gradient flows to the kept channels only
        linear([&](const float* d, float* o) {
          if (!acc) be_.fill(count(in), 0.f, o);
          be_.copy_channels(B, s.h * s.w, s.c, d, s.c, 0, o, is.c, 0, true);
        });
        break;
      default: fail(std::string("executor: no backward for op ") + op_name(n.op));
    }
  }
  be_.range_pop();
  if (!weights) input_grad_ = grad(p.input);
}

void Executor::tangent_forward(const Graph& g, int v, int B) {
  const Plan& p = plan_;
  const Node& n = g.nodes[v];
  const Shape& s = n.out;
  const size_t slots = be_.padded_batch(B);
  float* A = arena_;
  auto val = [&](int u) { return A + p[u].value_off; };
  auto tval = [&](int u) { return A + p[u].tvalue_off; };
  auto prm = [&](int id) { return A + p.params_off + g.params[id].offset; };
  auto tprm = [&](int id) { return A + p.param_tangents_off + g.params[id].offset; };
  const size_t count = s.per_sample() * slots;
  const int in = n.inputs.empty() ? -1 : n.inputs[0];
  float* scratch = A + p.scratch_off;
  // Bilinear layers: t(w x) = w tx + tw x, the second term through scratch.
  const auto add_scratch = [&] {
    const float* xs[2] = {tval(v), scratch};
    be_.add_forward(count, xs, 2, tval(v));
  };
  switch (n.op) {
    case OpKind::Input:  // the batch is fixed
    case OpKind::Zero: be_.fill(count, 0.f, tval(v)); break;
    case OpKind::Conv2d:
      be_.conv2d_forward(conv_dims(g, n, B), tval(in), prm(n.weight), tval(v));
      be_.conv2d_forward(conv_dims(g, n, B), val(in), tprm(n.weight), scratch);
      add_scratch();
      break;
    case OpKind::Linear: {
      const int In = g.shape(in).c;
      be_.linear_forward(B, In, s.c, tval(in), prm(n.weight), tprm(n.bias), tval(v));
      be_.linear_forward(B, In, s.c, val(in), tprm(n.weight), A + p.zeros_off, scratch);
      add_scratch();
      break;
    }
    case OpKind::BatchNorm: {
      const float* st = A + p[v].stats_off;
      be_.batchnorm_tangent_forward(s.c, s.h * s.w, B, val(in), tval(in), prm(n.weight), tprm(n.weight), tprm(n.bias),
                                    st, st + s.c, p[v].relu >= 0 ? val(v) : nullptr, tval(v), bn_store(p[v]));
      break;
    }
    case OpKind::ReLU:  // t relu(x) = tx where y > 0: relu_backward's mask (fused: the batch norm applied it)
      if (p[v].relu_computed_by < 0) be_.relu_backward(count, tval(in), val(v), tval(v), false);
      break;
    case OpKind::MaxPool: {
      const Shape& is = g.shape(in);
      be_.maxpool_tangent_forward(is.c, is.h, is.w, B, n.kernel, n.stride, n.pad, val(in), tval(in), tval(v));
      break;
    }
    default: forward_linear_op(be_, g, p, v, B, tval);  // linear ops: the tangent takes the same op
  }
}

void Executor::to_nchw(const float* src, float* host, const Shape& s, int B) {
  be_.download_batch(src, B, s.c, s.h * s.w, host);
}

}  // namespace naswot

namespace naswot {

PoolArgmax Executor::argmax_of(const Graph& g, int v, const float* x, int B) {
  const Node& n = g.nodes[v];
  PoolArgmax p{n.name, g.shape(n.inputs[0]), n.out, n.kernel, n.stride, n.pad, {}};
  const size_t in_ps = p.in.per_sample();
  std::vector<float> h(in_ps * size_t(B));
  to_nchw(x, h.data(), p.in, B);
  const int H = p.in.h, W = p.in.w;
  p.index.reserve(size_t(B) * p.out.per_sample());
  for (size_t plane = 0; plane < size_t(B) * size_t(p.in.c); ++plane) {
    const float* xp = h.data() + plane * size_t(H) * W;
    for (int i = 0; i < p.out.h; ++i)
      for (int j = 0; j < p.out.w; ++j) {
        int arg = -1;
        float best = 0;
        for (int di = 0; di < p.k; ++di)
          for (int dj = 0; dj < p.k; ++dj) {
            const int ii = i * p.stride - p.pad + di, jj = j * p.stride - p.pad + dj;
            if (ii < 0 || ii >= H || jj < 0 || jj >= W) continue;
            if (arg < 0 || xp[ii * W + jj] > best) best = xp[ii * W + jj], arg = ii * W + jj;
          }
        p.index.push_back(arg);
      }
  }
  return p;
}

ReluMask Executor::mask_of(const Graph& g, int v, const float* y, int B) {
  const Node& n = g.nodes[v];
  const size_t total = n.out.per_sample() * size_t(B);
  std::vector<float> bc(total);
  to_nchw(y, bc.data(), n.out, B);
  ReluMask mk{n.name, n.out, std::vector<uint8_t>((total + 7) / 8, 0)};
  for (size_t i = 0; i < total; ++i)
    if (bc[i] > 0.f) mk.bits[i / 8] |= uint8_t(0x80u >> (i % 8));
  return mk;
}

std::vector<std::vector<int64_t>> download_kernels(Backend& be, const std::vector<const int64_t*>& K, int B) {
  const size_t n = size_t(B) * size_t(B);
  static_assert(sizeof(int64_t) == 2 * sizeof(float), "a K entry is two float slots");
  std::vector<float> bits(K.size() * 2 * n);
  std::vector<const float*> src;
  std::vector<float*> host;
  for (size_t i = 0; i < K.size(); ++i) {
    src.push_back(reinterpret_cast<const float*>(K[i]));
    host.push_back(bits.data() + i * 2 * n);
  }
  be.download_many(src.data(), host.data(), int(K.size()), 2 * n);
  std::vector<std::vector<int64_t>> out(K.size(), std::vector<int64_t>(n));
  for (size_t i = 0; i < K.size(); ++i) std::memcpy(out[i].data(), host[i], n * sizeof(int64_t));
  return out;
}

HammingResult Executor::hamming_kernel(const Graph& g, const Weights& params, const float* batch_nchw, int B,
                                       const std::function<int64_t(const Node&)>& weight) {
  HammingResult r;
  const int64_t* K =
      forward_hamming(g, params, batch_nchw, B, weight, nullptr, capture_masks_ ? &r.relu_masks : nullptr);
  r.K = std::move(download_kernels(be_, {K}, B)[0]);
  return r;
}

const int64_t* Executor::issue_hamming(const Graph& g, const Weights& params, const float* batch_nchw, int B,
                                       const std::function<int64_t(const Node&)>& weight, const Plan* plan) {
  if (capture_masks_) fail("executor: issue_hamming downloads nothing: turn capture_relu_masks off");
  return forward_hamming(g, params, batch_nchw, B, weight, plan, nullptr);
}

const int64_t* Executor::forward_hamming(const Graph& g, const Weights& params, const float* batch_nchw, int B,
                                         const std::function<int64_t(const Node&)>& weight, const Plan* plan,
                                         std::vector<ReluMask>* masks) {
  if (!plan) {  // planned here, where forward() would plan it: the codes' layout needs the plan first
    plan_ = make_plan(g, B, PlanMode::ForwardAllReLUs, be_.padded_batch(B),
                      plan_options_.for_backend(be_.convs_read_through()));
    plan = &plan_;
  }
  const HammingLayout layout = hamming_layout(g, plan->order, weight);
  if (layout.rows > plan->hamming_words) fail("executor: internal error, the plan has no room for the Hamming codes");
  const size_t codes_off = plan->hamming_codes_off, k_off = plan->hamming_K_off;
  const auto codes = [&] { return reinterpret_cast<uint64_t*>(arena_ + codes_off); };
  forward(
      g, params, batch_nchw, B, PlanMode::ForwardAllReLUs,
      [&](int v, const float* y) {
        if (const size_t row = layout.row[size_t(v)]; row != HammingLayout::kNoSite)
          be_.relu_codes(g.nodes[v].out.per_sample(), B, y, codes() + row * size_t(B));
        if (masks) masks->push_back(mask_of(g, v, y, B));
      },
      plan);
  int64_t* K = reinterpret_cast<int64_t*>(arena_ + k_off);
  if (layout.runs.empty()) be_.hamming_pairs(B, 0, codes(), 0, 1, K, false);  // no site: K = 0
  for (size_t i = 0; i < layout.runs.size(); ++i) {
    const HammingLayout::Run& r = layout.runs[i];
    be_.hamming_pairs(B, r.words, codes() + r.start * size_t(B), r.units, r.weight, K, i > 0);
  }
  return K;
}

}  // namespace naswot
