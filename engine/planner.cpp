// The planner as passes over one record per node: liveness, fusion (sums, BN + ReLU, ReLU + convolution, batch
// norm + convolution backward, batch norm statistics + convolution), lifetimes on the forward+backward timeline,
// gradient sharing, and arena offsets by greedy best-fit slot reuse.
#include "engine/planner.h"

#include <algorithm>

#include "engine/error.h"

namespace naswot {
namespace {

struct Interval {
  int start, end;  // inclusive timeline steps
  size_t size;
  size_t* offset_out;
};

// Assigns slots to intervals; a slot is reused once the interval holding it has ended.
size_t assign_slots(std::vector<Interval>& iv, size_t base) {
  std::sort(iv.begin(), iv.end(), [](const Interval& a, const Interval& b) { return a.start < b.start; });
  struct Slot {
    size_t cap = 0;
    int busy_until = -1;
  };
  std::vector<Slot> slots;
  std::vector<int> slot_of(iv.size());
  for (size_t i = 0; i < iv.size(); ++i) {
    int best = -1;
    for (int s = 0; s < int(slots.size()); ++s) {
      if (slots[s].busy_until >= iv[i].start) continue;
      if (best < 0) {
        best = s;
        continue;
      }
      const bool fits = slots[s].cap >= iv[i].size, best_fits = slots[best].cap >= iv[i].size;
      // Prefer the smallest slot that fits; otherwise grow the largest free one.
      if (fits && (!best_fits || slots[s].cap < slots[best].cap)) best = s;
      if (!fits && !best_fits && slots[s].cap > slots[best].cap) best = s;
    }
    if (best < 0) {
      best = int(slots.size());
      slots.push_back({});
    }
    slots[best].cap = std::max(slots[best].cap, iv[i].size);
    slots[best].busy_until = iv[i].end;
    slot_of[i] = best;
  }
  std::vector<size_t> off(slots.size());
  size_t total = base;
  for (size_t s = 0; s < slots.size(); ++s) {
    off[s] = total;
    total += (slots[s].cap + 15) / 16 * 16;  // 64-byte alignment
  }
  for (size_t i = 0; i < iv.size(); ++i) *iv[i].offset_out = off[slot_of[i]];
  return total;
}

// What the passes after liveness read: the live schedule and who reads what.
struct Schedule {
  int L = 0;                    // live nodes
  std::vector<int> pos;         // node -> step in the forward order (-1: not live)
  std::vector<int> uses;        // input slots of live nodes that read each node
  std::vector<int> consumer;    // the last live node reading it (the only one when uses == 1)
  std::vector<int> first_term;  // kSum nodes with fused terms: the step of the first one
  int output = -1;
  // Backward runs the forward order in reverse after it: node at step t has its backward at 2L-1-t.
  int bwd_step(int node) const { return 2 * L - 1 - pos[size_t(node)]; }
  bool sole_use(int v) const { return uses[size_t(v)] == 1 && v != output; }  // read by one node only
};

// Liveness: what feeds the output (and, ForwardAllReLUs, every ReLU site), what needs a gradient.
Schedule liveness(const Graph& g, PlanMode mode, Plan& p) {
  const int n = int(g.nodes.size());
  p.nodes[size_t(g.output)].live = true;
  if (mode == PlanMode::ForwardAllReLUs || mode == PlanMode::ForwardAll)
    for (int i = 0; i < n; ++i)
      if (mode == PlanMode::ForwardAll || has_trait(g.nodes[i].op, kReLUSite)) p.nodes[i].live = true;
  for (int i = n - 1; i >= 0; --i)
    if (p.nodes[i].live)
      for (int in : g.nodes[i].inputs) p.nodes[in].live = true;
  Schedule s;
  s.output = g.output;
  s.uses.assign(n, 0);
  s.consumer.assign(n, -1);
  for (int i = 0; i < n; ++i) {
    const Node& node = g.nodes[i];
    NodePlan& np = p.nodes[i];
    if (has_trait(node.op, kGradientTarget)) {
      if (p.input >= 0) fail("graph has more than one input");
      p.input = i;
      np.needs_grad = mode == PlanMode::InputGradient;
    }
    for (int in : node.inputs)
      if (p.nodes[in].needs_grad) np.needs_grad = true;
    if (mode == PlanMode::WeightGradient && node.weight >= 0) np.needs_grad = true;  // its weights' gradient
    if (np.live) {
      p.order.push_back(i);
      for (int in : node.inputs) ++s.uses[in], s.consumer[in] = i;
    }
  }
  if (p.input < 0) fail("graph has no input");
  s.L = int(p.order.size());
  s.pos.assign(n, -1);
  for (int t = 0; t < s.L; ++t) s.pos[p.order[t]] = t;
  s.first_term.assign(n, -1);
  return s;
}

// Fused sums. A term's value is read by nobody but the sum (whose backward needs no values), so it
// needs no buffer of its own; its gradient is exactly the sum's.
// The sum keeps the plain schedule's bits: it adds left to right, ((x0 + x1) + x2) + ..., so the
// fused terms are a prefix x0..xm in topological order, or x1 alone (x1 + x0 == x0 + x1).
void fuse_sums(const Graph& g, Schedule& s, Plan& p) {
  auto fusable = [&](int in) { return s.sole_use(in) && has_trait(g.nodes[in].op, kAccumulates); };
  for (int v : p.order) {
    const Node& sum = g.nodes[v];
    if (!has_trait(sum.op, kSum)) continue;
    for (int in : sum.inputs)
      if (s.sole_use(in) && p[v].needs_grad && p[in].needs_grad) p.nodes[in].grad_shared = true;
    std::vector<int> terms;
    const auto& xs = sum.inputs;
    if (fusable(xs[0])) {
      terms.push_back(xs[0]);
      int last = s.pos[xs[0]];
      for (size_t i = 1; i < xs.size() && fusable(xs[i]); ++i) {
        if (i >= 2 && s.pos[xs[i]] < last) break;  // it would be added before an earlier input
        terms.push_back(xs[i]);
        last = std::max(last, s.pos[xs[i]]);
      }
    } else if (fusable(xs[1])) {
      terms.push_back(xs[1]);
    }
    for (int in : terms) {
      p.nodes[in].sum_into = v;
      p.nodes[v].has_terms = true;
      if (s.first_term[v] < 0 || s.pos[in] < s.first_term[v]) s.first_term[v] = s.pos[in];
    }
  }
  for (int v : p.order)
    if (p[v].sum_into >= 0) p.nodes[v].sum_acc = s.pos[v] != s.first_term[p[v].sum_into];
}

// BN + ReLU: the ReLU's output is all anyone reads of the batch norm.
void fuse_relus(const Graph& g, const Schedule& s, Plan& p) {
  for (int v : p.order) {
    const int c = s.consumer[v];
    if (has_trait(g.nodes[v].op, kAppliesReLU) && s.sole_use(v) && has_trait(g.nodes[c].op, kReLUSite)) {
      p.nodes[v].relu = c;
      p.nodes[c].relu_computed_by = v;
    }
  }
}

// ReLU + convolution, in an InputGradient or ForwardAllReLUs plan: a ReLU whose readers are all
// kReLUOnLoad nodes is read through (no value buffer; the mask x > 0 equals relu(x) > 0, so the
// Hamming score's codes and captured masks come from its input). In a ForwardAllReLUs plan that
// includes a ReLU no live node reads (off the output's path, computed for its codes alone): it runs no
// pass at all. In an InputGradient plan a sole reader at the step right after it also applies the
// mask in its backward: adjacent steps keep the backward order of the ReLU's input's gradient terms
// (the masked term arrives where the ReLU's would have, one step later), so the sums round as the
// plain schedule's. Weight gradients would read the ReLU's output: nothing fuses there.
void fuse_relu_loads(const Graph& g, const Schedule& s, PlanMode mode, Plan& p) {
  if (mode != PlanMode::InputGradient && mode != PlanMode::ForwardAllReLUs) return;
  std::vector<char> loads(g.nodes.size(), 1);  // every live reader of the node reads on load
  for (int u : p.order)
    for (int in : g.nodes[u].inputs)
      if (!has_trait(g.nodes[u].op, kReLUOnLoad)) loads[size_t(in)] = 0;
  for (int v : p.order) {
    if (!has_trait(g.nodes[v].op, kReLUSite) || p[v].relu_computed_by >= 0 || v == s.output || !loads[size_t(v)] ||
        (s.uses[v] < 1 && mode != PlanMode::ForwardAllReLUs))
      continue;
    p.nodes[v].relu_read_through = true;
    const int c = s.consumer[v];
    if (mode == PlanMode::InputGradient && s.sole_use(v) && s.pos[c] == s.pos[v] + 1) p.nodes[v].relu_applied_by = c;
  }
  for (int u : p.order)  // the readers (topological order: after their ReLUs are decided)
    for (int in : g.nodes[u].inputs)
      if (p[in].relu_read_through) p.nodes[u].relu_on_load = true;
}

// Batch norm + convolution, in an InputGradient plan: a batch norm whose input is a kBnGradOnLoad node
// read by it alone has its backward run by that node's backward step, which computes the batch norm's
// input gradient as it loads it (so that gradient is never stored). The node writes its own input's
// gradient in its own step, as in the plain schedule: every sum rounds as there.
void fuse_bn_loads(const Graph& g, const Schedule& s, PlanMode mode, Plan& p) {
  if (mode != PlanMode::InputGradient) return;
  for (int v : p.order) {
    const Node& n = g.nodes[v];
    if (!has_trait(n.op, kBatchStats) || !p[v].needs_grad || n.inputs.size() != 1) continue;
    const int u = n.inputs[0];
    if (!has_trait(g.nodes[u].op, kBnGradOnLoad) || !s.sole_use(u) || !p[u].needs_grad) continue;
    p.nodes[v].bn_backward_by = u;
    p.nodes[u].bn_grad_on_load = v;
  }
}

// Batch norm statistics + convolution, in any plan: a batch norm whose input is a kBnStatsOnStore node
// read by it alone has its statistics computed as that node stores its output. Nothing else moves.
void fuse_bn_stats(const Graph& g, const Schedule& s, Plan& p) {
  for (int v : p.order) {
    const Node& n = g.nodes[v];
    if (!has_trait(n.op, kBatchStats) || n.inputs.size() != 1) continue;
    const int u = n.inputs[0];
    if (!has_trait(g.nodes[u].op, kBnStatsOnStore) || !s.sole_use(u)) continue;
    p.nodes[v].bn_stats_by_input = true;
    p.nodes[u].bn_stats_of = v;
  }
}

// Lifetimes on the timeline (forward steps 0..L-1, backward L..2L-1) of values and gradients.
struct Lifetimes {
  std::vector<Interval> values;   // buffers of values (fused ones have none)
  std::vector<int> gstart, gend;  // gradient lifetimes (-1: no gradient buffer)
  std::vector<size_t> sizes;      // floats of each value (and of its gradient)
};
Lifetimes lifetimes(const Graph& g, const Schedule& s, size_t samples, PlanMode mode, const PlanOptions& opt, Plan& p) {
  const int n = int(g.nodes.size());
  Lifetimes lt;
  // The step of a node's backward: its own, or that of the node that runs it (a batch norm read through).
  const auto backward_step = [&](int w) { return s.bwd_step(p[w].bn_backward_by >= 0 ? p[w].bn_backward_by : w); };
  lt.gstart.assign(n, -1);
  lt.gend.assign(n, -1);
  lt.sizes.assign(n, 0);
  for (int t = 0; t < s.L; ++t) {
    const int v = p.order[t];
    const Node& node = g.nodes[v];
    NodePlan& np = p.nodes[v];
    const size_t size = lt.sizes[v] = node.out.per_sample() * samples;
    int end = (v == g.output) ? s.L : t;
    const int by = np.relu_computed_by;  // a fused producer's backward reads the mask, after this node's step
    if (has_trait(node.op, kBackwardReadsOutput) && np.needs_grad) end = std::max(end, backward_step(by >= 0 ? by : v));
    // The proxies read a layer's output with its gradient in the layer's backward step (fisher).
    if (mode == PlanMode::WeightGradient && opt.fisher && has_trait(node.op, kProxyLayer) && np.needs_grad)
      end = std::max(end, s.bwd_step(v));
    int first_grad = -1;
    for (int u = v + 1; u < n; ++u) {
      if (!p[u].live) continue;
      const Node& cons = g.nodes[u];
      if (std::find(cons.inputs.begin(), cons.inputs.end(), v) == cons.inputs.end()) continue;
      end = std::max(end, s.pos[u]);
      if (p[u].relu_read_through) {  // read through the ReLU by its readers (if any); its backward's mask
        if (s.consumer[u] >= 0) end = std::max(end, s.pos[s.consumer[u]]);
        const int a = p[u].relu_applied_by;
        if (a >= 0 && p[a].needs_grad)
          end = std::max(end, s.bwd_step(a)), first_grad = std::max(first_grad, s.pos[a]);
        else if (p[u].needs_grad)
          end = std::max(end, s.bwd_step(u));
      }
      // A weight's gradient reads the layer's input (conv, linear) in the layer's backward step.
      const bool reads =
          has_trait(cons.op, kBackwardReadsInput) || (mode == PlanMode::WeightGradient && cons.weight >= 0);
      if (reads && p[u].needs_grad) end = std::max(end, backward_step(u));
      if (p[u].needs_grad) first_grad = std::max(first_grad, s.pos[u]);
    }
    if (opt.keep_values) end = 2 * s.L;
    p.naive_floats += size;
    // Fused values are written early: at the sum's first term, or at the producing node's step.
    const int start = s.first_term[v] >= 0 ? s.first_term[v] : by >= 0 ? s.pos[by] : t;
    if (np.sum_into < 0 && np.relu < 0 && !np.relu_read_through) {
      lt.values.push_back({start, end, size, &np.value_off});
      if (opt.tangent) lt.values.push_back({start, end, size, &np.tvalue_off});
    }
    if (np.needs_grad && np.relu_applied_by < 0 && np.bn_grad_on_load < 0 && (v == g.output || first_grad >= 0)) {
      lt.gstart[v] = (v == g.output) ? s.bwd_step(v) : 2 * s.L - 1 - first_grad;
      lt.gend[v] = (v == p.input) ? 2 * s.L : backward_step(v);
      p.naive_floats += size;
    }
  }
  return lt;
}

// A shared gradient (a sum's sole-consumer inputs, a fused ReLU's producer) lives until the last of
// its sharers' backward steps. Sharing goes from a node to earlier ones, so one pass in reverse order
// resolves chains to the buffer's owner. Returns each node's owner.
std::vector<int> share_gradients(const Schedule& s, Lifetimes& lt, const Plan& p) {
  std::vector<int> owner(p.nodes.size());
  for (size_t v = 0; v < owner.size(); ++v) owner[v] = int(v);
  for (int t = s.L - 1; t >= 0; --t) {
    const int v = p.order[t];
    if ((!p[v].grad_shared && p[v].relu < 0) || lt.gstart[v] < 0) continue;
    owner[v] = owner[s.consumer[v]];
    lt.gend[owner[v]] = std::max(lt.gend[owner[v]], lt.gend[v]);
  }
  return owner;
}

// Parameters and batch statistics first, then the value and gradient slots.
void assign_offsets(const Graph& g, Lifetimes& lt, const std::vector<int>& owner, PlanMode mode, const PlanOptions& opt,
                    Plan& p) {
  std::vector<Interval> iv = std::move(lt.values);
  for (int v : p.order)
    if (lt.gstart[v] >= 0 && owner[v] == v) {
      iv.push_back({lt.gstart[v], lt.gend[v], lt.sizes[v], &p.nodes[v].grad_off});
      if (opt.tangent) iv.push_back({lt.gstart[v], lt.gend[v], lt.sizes[v], &p.nodes[v].tgrad_off});
    }
  p.params_off = 0;
  size_t stats = g.num_params();
  const auto region = [&](size_t floats) {  // the next `floats` after `stats`, on a 64-byte boundary
    const size_t at = (stats + 15) / 16 * 16;
    stats = at + floats;
    return at;
  };
  if (mode == PlanMode::WeightGradient) {
    p.param_grads_off = region(g.num_params());
    p.fisher_off = stats;
    if (opt.fisher)
      for (int v : p.order)
        if (has_trait(g.nodes[v].op, kProxyLayer) && p[v].needs_grad) p.nodes[v].fisher_slot = p.fisher_slots++;
    stats += size_t(p.fisher_slots);
    if (opt.tangent) {
      p.tangent = true;
      for (int v : p.order)
        if (has_trait(g.nodes[v].op, kProxyLayer)) {
          p.scratch_floats = std::max(p.scratch_floats, lt.sizes[v]);
          p.zeros_floats = std::max(p.zeros_floats, size_t(g.nodes[v].out.c));
        }
      p.param_tangents_off = region(g.num_params());
      p.param_tgrads_off = region(g.num_params());
      p.scratch_off = region(p.scratch_floats);
      p.zeros_off = region(p.zeros_floats);
    }
  }
  if (mode == PlanMode::ForwardAllReLUs) {  // 64-bit words in float pairs
    for (int v : p.order)
      if (has_trait(g.nodes[v].op, kReLUSite)) p.hamming_words += (g.nodes[v].out.per_sample() + 63) / 64;
    p.hamming_codes_off = region(2 * p.hamming_words * size_t(p.batch));
    p.hamming_K_off = region(2 * size_t(p.batch) * size_t(p.batch));
  }
  for (int v : p.order)
    if (has_trait(g.nodes[v].op, kBatchStats)) {
      p.nodes[v].stats_off = stats;
      stats += 2 * size_t(g.nodes[v].out.c);
    }
  const size_t base = (stats + 15) / 16 * 16;
  p.arena_floats = assign_slots(iv, base);
  for (int v : p.order) {
    NodePlan& np = p.nodes[v];
    if (np.sum_into >= 0) np.value_off = p[np.sum_into].value_off, np.tvalue_off = p[np.sum_into].tvalue_off;
    if (np.relu >= 0) np.value_off = p[np.relu].value_off, np.tvalue_off = p[np.relu].tvalue_off;
    if (owner[v] != v) np.grad_off = p[owner[v]].grad_off, np.tgrad_off = p[owner[v]].tgrad_off;
  }
  p.naive_floats += base;
}

}  // namespace

Plan make_plan(const Graph& g, int batch, PlanMode mode, size_t slots, PlanOptions opt) {
  if (batch < 2) fail("batch size must be at least 2 (the score correlates samples)");
  if (g.output < 0 || g.output >= int(g.nodes.size())) fail("graph has no output");
  if (opt.tangent && (mode != PlanMode::WeightGradient || opt.fisher))
    fail("planner: tangents are planned for weight gradients without fisher terms only");
  Plan p;
  p.batch = batch;
  p.nodes.assign(g.nodes.size(), {});
  Schedule s = liveness(g, mode, p);
  if (opt.fuse) {
    fuse_sums(g, s, p);
    fuse_relus(g, s, p);
    if (opt.conv_loads != PlanOptions::ConvLoads::Off) {
      fuse_relu_loads(g, s, mode, p);
      fuse_bn_loads(g, s, mode, p);
      fuse_bn_stats(g, s, p);
    }
  }
  Lifetimes lt = lifetimes(g, s, std::max(size_t(batch), slots), mode, opt, p);
  const std::vector<int> owner = share_gradients(s, lt, p);
  assign_offsets(g, lt, owner, mode, opt, p);
  return p;
}

}  // namespace naswot
