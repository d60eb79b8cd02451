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

Plan make_plan(const Graph& g, int batch, PlanMode mode, size_t slots) {
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

  p.live[g.output] = 1;
  if (mode == PlanMode::ForwardAllReLUs)
    for (int i = 0; i < n; ++i)
      if (g.nodes[i].op == OpKind::ReLU) p.live[i] = 1;
  const bool gradient = mode == PlanMode::InputGradient;
  for (int i = n - 1; i >= 0; --i)
    if (p.live[i])
      for (int in : g.nodes[i].inputs) p.live[in] = 1;
  for (int i = 0; i < n; ++i) {
    const Node& node = g.nodes[i];
    if (node.op == OpKind::Input) {
      if (p.input >= 0) fail("graph has more than one input");
      p.input = i;
      p.needs_grad[i] = gradient;
    }
    for (int in : node.inputs)
      if (p.needs_grad[in]) p.needs_grad[i] = 1;
    if (p.live[i]) p.order.push_back(i);
  }
  if (p.input < 0) fail("graph has no input");
  const int L = int(p.order.size());
  std::vector<int> pos(n, -1);
  for (int t = 0; t < L; ++t) pos[p.order[t]] = t;
  auto bwd_step = [&](int node) { return 2 * L - 1 - pos[node]; };

  std::vector<Interval> iv;
  size_t stats = 0;
  for (int t = 0; t < L; ++t) {
    const int v = p.order[t];
    const Node& node = g.nodes[v];
    if (node.op == OpKind::BatchNorm) {
      p.stats_off[v] = stats;
      stats += 2 * size_t(node.out.c);
    }
    const size_t size = node.out.per_sample() * std::max(size_t(batch), slots);
    int end = (v == g.output) ? L : t;
    if (node.op == OpKind::ReLU && p.needs_grad[v]) end = std::max(end, bwd_step(v));  // mask = (y > 0)
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
    iv.push_back({t, end, size, &p.value_off[v]});
    p.naive_floats += size;
    if (p.needs_grad[v]) {
      const int gstart = (v == g.output) ? bwd_step(v) : 2 * L - 1 - first_grad;
      const int gend = (v == p.input) ? 2 * L : bwd_step(v);
      if (v == g.output || first_grad >= 0) {
        iv.push_back({gstart, gend, size, &p.grad_off[v]});
        p.naive_floats += size;
      }
    }
  }
  p.params_off = 0;
  const size_t base = (g.num_params() + stats + 15) / 16 * 16;
  for (int v : p.order)
    if (g.nodes[v].op == OpKind::BatchNorm) p.stats_off[v] += g.num_params();
  p.arena_floats = assign_slots(iv, base);
  p.naive_floats += base;
  return p;
}

}  // namespace naswot
