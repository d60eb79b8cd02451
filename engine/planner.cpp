// Liveness analysis over the forward+backward timeline and greedy best-fit reuse of arena slots.
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

}  // namespace

Plan make_plan(const Graph& g, int batch, PlanMode mode, size_t slots, PlanOptions opt) {
  if (batch < 2) fail("batch size must be at least 2 (the score correlates samples)");
  const int n = int(g.nodes.size());
  if (g.output < 0 || g.output >= n) fail("graph has no output");
  Plan p;
  p.batch = batch;
  p.live.assign(n, 0);
  p.needs_grad.assign(n, 0);
  p.value_off.assign(n, 0);
  p.grad_off.assign(n, 0);
  p.stats_off.assign(n, 0);
  p.sum_into.assign(n, -1);
  p.sum_acc.assign(n, 0);
  p.add_has_terms.assign(n, 0);
  p.grad_shared.assign(n, 0);
  p.bn_relu.assign(n, -1);
  p.relu_from_bn.assign(n, -1);

  p.live[g.output] = 1;
  if (mode == PlanMode::ForwardAllReLUs)
    for (int i = 0; i < n; ++i)
      if (g.nodes[i].op == OpKind::ReLU) p.live[i] = 1;
  const bool gradient = mode == PlanMode::InputGradient;
  for (int i = n - 1; i >= 0; --i)
    if (p.live[i])
      for (int in : g.nodes[i].inputs) p.live[in] = 1;
  std::vector<int> uses(n, 0);       // input slots of live nodes that read each node
  std::vector<int> consumer(n, -1);  // the last live node reading it (the only one when uses == 1)
  for (int i = 0; i < n; ++i) {
    const Node& node = g.nodes[i];
    if (node.op == OpKind::Input) {
      if (p.input >= 0) fail("graph has more than one input");
      p.input = i;
      p.needs_grad[i] = gradient;
    }
    for (int in : node.inputs)
      if (p.needs_grad[in]) p.needs_grad[i] = 1;
    if (p.live[i]) {
      p.order.push_back(i);
      for (int in : node.inputs) ++uses[in], consumer[in] = i;
    }
  }
  if (p.input < 0) fail("graph has no input");
  const int L = int(p.order.size());
  std::vector<int> pos(n, -1);
  for (int t = 0; t < L; ++t) pos[p.order[t]] = t;
  auto bwd_step = [&](int node) { return 2 * L - 1 - pos[node]; };

  // Fused adds. A term's value is read by nobody but the Add (whose backward needs no values), so it
  // needs no buffer of its own; its gradient is exactly the Add's.
  // The sum keeps the plain schedule's bits: the Add sums left to right, ((x0 + x1) + x2) + ..., so
  // the fused terms are a prefix x0..xm in topological order, or x1 alone (x1 + x0 == x0 + x1).
  std::vector<int> first_term(n, -1);  // Add: the step of its first fused term
  auto sole_use = [&](int in) { return uses[in] == 1 && in != g.output; };  // read by one node only
  auto fusable = [&](int in) {
    const OpKind k = g.nodes[in].op;
    return sole_use(in) && (k == OpKind::BatchNorm || k == OpKind::AvgPool3x3);
  };
  if (opt.fuse)
    for (int v : p.order) {
      const Node& add = g.nodes[v];
      if (add.op != OpKind::Add) continue;
      for (int in : add.inputs)
        if (sole_use(in) && p.needs_grad[v] && p.needs_grad[in]) p.grad_shared[in] = 1;
      std::vector<int> terms;
      const auto& xs = add.inputs;
      if (fusable(xs[0])) {
        terms.push_back(xs[0]);
        int last = pos[xs[0]];
        for (size_t i = 1; i < xs.size() && fusable(xs[i]); ++i) {
          if (i >= 2 && pos[xs[i]] < last) break;  // it would be added before an earlier input
          terms.push_back(xs[i]);
          last = std::max(last, pos[xs[i]]);
        }
      } else if (fusable(xs[1])) {
        terms.push_back(xs[1]);
      }
      for (int in : terms) {
        p.sum_into[in] = v;
        p.add_has_terms[v] = 1;
        if (first_term[v] < 0 || pos[in] < first_term[v]) first_term[v] = pos[in];
      }
    }
  for (int t = 0; t < L; ++t) {
    const int v = p.order[t];
    if (p.sum_into[v] >= 0) p.sum_acc[v] = pos[v] != first_term[p.sum_into[v]];
    // BN + ReLU: the ReLU's output is all anyone reads of the batch norm.
    if (opt.fuse && g.nodes[v].op == OpKind::BatchNorm && sole_use(v) && g.nodes[consumer[v]].op == OpKind::ReLU) {
      p.bn_relu[v] = consumer[v];
      p.relu_from_bn[consumer[v]] = v;
    }
  }

  std::vector<Interval> iv;
  std::vector<int> gstart(n, -1), gend(n, -1);  // gradient lifetimes
  std::vector<size_t> sizes(n, 0);              // floats of each value (and of its gradient)
  size_t stats = 0;
  for (int t = 0; t < L; ++t) {
    const int v = p.order[t];
    const Node& node = g.nodes[v];
    if (node.op == OpKind::BatchNorm) {
      p.stats_off[v] = stats;
      stats += 2 * size_t(node.out.c);
    }
    const size_t size = sizes[v] = node.out.per_sample() * std::max(size_t(batch), slots);
    int end = (v == g.output) ? L : t;
    const int bn = p.relu_from_bn[v];  // a fused BN's backward reads the mask, after the ReLU's step
    if (node.op == OpKind::ReLU && p.needs_grad[v]) end = std::max(end, bwd_step(bn >= 0 ? bn : v));  // y > 0
    int first_grad = -1;
    for (int u = v + 1; u < n; ++u) {
      if (!p.live[u]) continue;
      const Node& cons = g.nodes[u];
      if (std::find(cons.inputs.begin(), cons.inputs.end(), v) == cons.inputs.end()) continue;
      end = std::max(end, pos[u]);
      // BN needs its input for xhat, max-pool for the argmax.
      if ((cons.op == OpKind::BatchNorm || cons.op == OpKind::MaxPool) && p.needs_grad[u])
        end = std::max(end, bwd_step(u));
      if (p.needs_grad[u]) first_grad = std::max(first_grad, pos[u]);
    }
    p.naive_floats += size;
    const int start = first_term[v] >= 0 ? first_term[v] : bn >= 0 ? pos[bn] : t;  // written early when fused
    if (p.sum_into[v] < 0 && p.bn_relu[v] < 0) iv.push_back({start, end, size, &p.value_off[v]});
    if (p.needs_grad[v] && (v == g.output || first_grad >= 0)) {
      gstart[v] = (v == g.output) ? bwd_step(v) : 2 * L - 1 - first_grad;
      gend[v] = (v == p.input) ? 2 * L : bwd_step(v);
      p.naive_floats += size;
    }
  }
  // A shared gradient (an Add's sole-consumer inputs, a fused ReLU's batch norm) lives until the last
  // of its sharers' backward steps. Sharing goes from a node to earlier ones, so one pass in reverse
  // order resolves chains to the buffer's owner.
  std::vector<int> owner(n);
  for (int v = 0; v < n; ++v) owner[v] = v;
  for (int t = L - 1; t >= 0; --t) {
    const int v = p.order[t];
    if ((!p.grad_shared[v] && p.bn_relu[v] < 0) || gstart[v] < 0) continue;
    owner[v] = owner[consumer[v]];
    gend[owner[v]] = std::max(gend[owner[v]], gend[v]);
  }
  for (int v : p.order)
    if (gstart[v] >= 0 && owner[v] == v) iv.push_back({gstart[v], gend[v], sizes[v], &p.grad_off[v]});
  p.params_off = 0;
  const size_t base = (g.num_params() + stats + 15) / 16 * 16;
  for (int v : p.order)
    if (g.nodes[v].op == OpKind::BatchNorm) p.stats_off[v] += g.num_params();
  p.arena_floats = assign_slots(iv, base);
  for (int v : p.order) {
    if (p.sum_into[v] >= 0) p.value_off[v] = p.value_off[p.sum_into[v]];
    if (p.bn_relu[v] >= 0) p.value_off[v] = p.value_off[p.bn_relu[v]];
    if (owner[v] != v) p.grad_off[v] = p.grad_off[owner[v]];
  }
  p.naive_floats += base;
  return p;
}

}  // namespace naswot
