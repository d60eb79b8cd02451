// Lockstep scoring: record each architecture's op calls, merge them into steps, run each step as one
// batched call.
#include "engine/lockstep.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <new>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <variant>

#include "engine/error.h"
#include "engine/executor.h"
#include "engine/scorer.h"

namespace naswot {
namespace {

// One recorded call: its arguments, tagged by the op (variant index = op index + 1).
using CallArgs = std::variant<std::monostate
#define NASWOT_OP(name, cuda, params, args) , op_args::name
#include "kernels/ops.def"
#undef NASWOT_OP
                              >;

struct Call {
  uint32_t key;  // the op and its scalar arguments, interned
  CallArgs args;
};

// What calls of one step share: the op and its shape (integer arguments, a ConvDims). Everything
// else may differ per call: pointers, flags (accumulate), modes (BnStore) and float values.
template <class T>
void key_part(std::vector<long>& key, const T& v) {
  if constexpr (std::is_same_v<T, ConvDims>)
    key.insert(key.end(), {v.B, v.Cin, v.H, v.W, v.Cout, v.k, v.stride, v.pad, v.Ho, v.Wo});
  else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
    key.push_back(long(v));
}

// A Backend that runs no op: each op call is appended to the current program, with pointers into
// the current network's part of the inner backend's arena. Uploads go to the inner backend at once
// (they precede every op in stream order and touch only this network's part); nothing is downloaded.
class Recorder final : public Backend {
 public:
  explicit Recorder(Backend& inner) : inner_(inner) {}
  // The next calls belong to `program`, whose network's arena part is [arena, arena + floats);
  // `input` holds the input batch (`input_floats`).
  void begin(std::vector<Call>* program, float* arena, size_t floats, float* input, size_t input_floats) {
    program_ = program;
    arena_ = arena;
    arena_floats_ = floats;
    input_ = input;
    input_floats_ = input_floats;
  }
  // The op of each interned key id.
  const std::vector<size_t>& key_ops() const { return key_ops_; }

  std::string name() const override { return inner_.name(); }
  std::string device() const override { return inner_.device(); }
  std::string model() const override { return inner_.model(); }
  size_t padded_batch(int B) const override { return inner_.padded_batch(B); }
  bool convs_read_through() const override { return inner_.convs_read_through(); }
  void upload_batch(const float* nchw, int B, int C, int P, float* dst) override {
    inner_.upload_batch(nchw, B, C, P, dst);
  }
  void download_batch(const float*, int, int, int, float*) override { refuse("a download"); }
  float* arena(size_t floats) override {
    if (floats > arena_floats_) fail("lockstep: internal error, a network wants more arena than its plan");
    return arena_;
  }
  float* persistent(size_t floats) override {
    if (floats > input_floats_) fail("lockstep: internal error, the input batch outgrew its buffer");
    return input_;
  }
  void upload(const float* host, float* dst, size_t n) override { inner_.upload(host, dst, n); }
  void download(const float*, float*, size_t) override { refuse("a download"); }

#define NASWOT_OP(name, cuda, params, args) \
  void name params override { record<op_index(#name)>(op_args::name(NASWOT_STRIP args)); }
#include "kernels/ops.def"
#undef NASWOT_OP

  JacobScore jacob_cov_score(const float*, int, size_t, double) override { refuse("a score"); }
  std::vector<JacobScore> jacob_cov_scores(const float* const*, int, int, size_t, double) override { refuse("scores"); }

 private:
  [[noreturn]] static void refuse(const char* what) {
    fail(std::string("lockstep: internal error, ") + what + " while recording");
  }
  // add_forward's inputs and draw_weights' table are host arrays of the caller's: keep a copy until the
  // call has run.
  void own(op_args::add_forward& a) {
    const float* const* xs = std::get<1>(a);
    owned_.emplace_back(xs, xs + std::get<2>(a));
    std::get<1>(a) = owned_.back().data();
  }
  void own(op_args::draw_weights& a) {
    const WeightDraw* table = std::get<0>(a);
    owned_tables_.emplace_back(table, table + std::get<1>(a));
    std::get<0>(a) = owned_tables_.back().data();
  }
  template <class T>
  void own(T&) {}

  template <size_t I, class Tuple>
  void record(Tuple a) {
    own(a);
    std::vector<long> key{long(I)};
    std::apply([&](const auto&... v) { (key_part(key, v), ...); }, a);
    const auto [it, added] = keys_.try_emplace(std::move(key), uint32_t(key_ops_.size()));
    if (added) key_ops_.push_back(I);
    program_->push_back({it->second, CallArgs(std::in_place_index<I + 1>, std::move(a))});
  }

  Backend& inner_;
  std::vector<Call>* program_ = nullptr;
  float *arena_ = nullptr, *input_ = nullptr;
  size_t arena_floats_ = 0, input_floats_ = 0;
  std::map<std::vector<long>, uint32_t> keys_;
  std::vector<size_t> key_ops_;
  std::deque<std::vector<const float*>> owned_;
  std::deque<std::vector<WeightDraw>> owned_tables_;
};

// Runs one step: the calls (all of op `op`, equal keys) as one NAME_many call.
void run_step(Backend& be, size_t op, const std::vector<const CallArgs*>& calls) {
  switch (op) {
#define NASWOT_OP(name, cuda, params, args)                                         \
  case op_index(#name): {                                                           \
    std::vector<op_args::name> a;                                                   \
    a.reserve(calls.size());                                                        \
    for (const CallArgs* c : calls) a.push_back(std::get<op_index(#name) + 1>(*c)); \
    be.name##_many(a.data(), int(a.size()));                                        \
    return;                                                                         \
  }
#include "kernels/ops.def"
#undef NASWOT_OP
    default: fail("lockstep: internal error, unknown op");
  }
}

constexpr size_t kAlign = 64;  // floats: each network's part starts on a 256-byte boundary
size_t aligned(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

}  // namespace

size_t shortest_common_supersequence(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b,
                                     std::vector<uint32_t>& out, std::vector<uint32_t>& a_at,
                                     std::vector<uint32_t>& b_at) {
  // The length table is D[i][j] = i + j - L[i][j], L the longest common subsequence of a[0, i) and
  // b[0, j). L's rows come bit-parallel (Allison-Dix; Hyyro's V' = (V + (V & M)) | (V & ~M), M the
  // positions of a[i - 1] in b): bit j of row i is 0 exactly where L[i][j + 1] = L[i][j] + 1, so
  // L[i][j] = j - (the row's 1 bits below j). A row is ceil(m / 64) words instead of m cells.
  const size_t n = a.size(), m = b.size(), W = (m + 63) / 64;
  std::unordered_map<uint32_t, size_t> slot;  // b's distinct keys -> their match masks
  std::vector<uint64_t> masks;
  for (size_t j = 0; j < m; ++j) {
    const auto [it, fresh] = slot.try_emplace(b[j], masks.size());
    if (fresh) masks.resize(masks.size() + W, 0);
    masks[it->second + j / 64] |= uint64_t(1) << (j % 64);
  }
  std::vector<uint64_t> rows((n + 1) * W, ~uint64_t(0));  // row 0: L[0][j] = 0
  for (size_t i = 1; i <= n; ++i) {
    const uint64_t* V = &rows[(i - 1) * W];
    uint64_t* next = &rows[i * W];
    const auto it = slot.find(a[i - 1]);
    if (it == slot.end()) {  // M = 0: the row repeats
      std::copy(V, V + W, next);
      continue;
    }
    const uint64_t* M = &masks[it->second];
    uint64_t carry = 0;  // the addition runs across the words, low to high; bits >= m never reach below
    for (size_t w = 0; w < W; ++w) {
      const uint64_t u = V[w] & M[w], sum = V[w] + u, with_carry = sum + carry;
      carry = uint64_t(sum < V[w]) | uint64_t(with_carry < sum);
      next[w] = with_carry | (V[w] & ~M[w]);
    }
  }
  const auto lcs = [&](size_t i, size_t j) {
    const uint64_t* V = &rows[i * W];
    size_t ones = 0;
    for (size_t w = 0; w < j / 64; ++w) ones += size_t(std::popcount(V[w]));
    if (j % 64) ones += size_t(std::popcount(V[j / 64] & ((uint64_t(1) << (j % 64)) - 1)));
    return j - ones;
  };
  const size_t len = n + m - lcs(n, m);
  out.assign(len, 0);
  a_at.assign(n, 0);
  b_at.assign(m, 0);
  // Back from (n, m): a match takes both; otherwise a's element when D[i - 1][j] <= D[i][j - 1], i.e.
  // L[i - 1][j] >= L[i][j - 1].
  size_t i = n, j = m, k = len;
  while (i > 0 || j > 0) {
    --k;
    if (i > 0 && j > 0 && a[i - 1] == b[j - 1]) {
      out[k] = a[i - 1], a_at[--i] = uint32_t(k), b_at[--j] = uint32_t(k);
    } else if (j == 0 || (i > 0 && lcs(i - 1, j) >= lcs(i, j - 1))) {
      out[k] = a[i - 1], a_at[--i] = uint32_t(k);
    } else {
      out[k] = b[j - 1], b_at[--j] = uint32_t(k);
    }
  }
  return len;
}

std::vector<std::vector<int>> merge_in_lockstep(const std::vector<std::vector<uint32_t>>& programs,
                                                PairwiseMerge pairwise) {
  // Progressive alignment, longest program first: the supersequence so far is merged with the next
  // program by an exact shortest common supersequence of the two; the positions of the programs
  // merged earlier follow. (Greedy rules that pick a key from the programs' next calls took 1.7 to
  // 2.6 times as many steps on random NB201 networks; tests/test_lockstep.cpp.)
  std::vector<int> order(programs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = int(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return programs[size_t(a)].size() > programs[size_t(b)].size(); });
  std::vector<uint32_t> merged, next, old_at, new_at;
  std::vector<std::vector<uint32_t>> at(programs.size());  // each merged program's positions in `merged`
  bool first = true;
  for (int p : order) {
    if (first) {
      merged = programs[size_t(p)];
      at[size_t(p)].resize(merged.size());
      for (size_t k = 0; k < merged.size(); ++k) at[size_t(p)][k] = uint32_t(k);
      first = false;
      continue;
    }
    pairwise(merged, programs[size_t(p)], next, old_at, new_at);
    for (auto& positions : at)
      for (uint32_t& k : positions) k = old_at[k];
    at[size_t(p)] = new_at;
    merged.swap(next);
  }
  std::vector<std::vector<int>> steps(merged.size());
  for (size_t p = 0; p < programs.size(); ++p)
    for (uint32_t k : at[p]) steps[k].push_back(int(p));
  return steps;
}

namespace {
using Clock = std::chrono::steady_clock;
double since(Clock::time_point& t) {
  const Clock::time_point now = Clock::now();
  const double s = std::chrono::duration<double>(now - t).count();
  t = now;
  return s;
}
}  // namespace

std::vector<JacobScore> Lockstep::jacob_cov(const std::vector<Net>& nets, const float* batch_nchw, int B) {
  const std::vector<const float*> J = issue(nets, batch_nchw, B);
  auto t = Clock::now();
  // One input batch: every net's J has the same row length.
  std::vector<JacobScore> scores =
      nets.empty() ? std::vector<JacobScore>{} : score_jacobians(be_, J, B, nets[0].graph->shape(input_).per_sample());
  stats_.score_s += since(t);
  return scores;
}

std::vector<const float*> Lockstep::issue(const std::vector<Net>& nets, const float* batch_nchw, int B) {
  std::vector<const float*> J(nets.size());
  run(nets, B, PlanMode::InputGradient, [&](Executor& ex, size_t i, const Plan& plan) {
    J[i] = ex.issue_jacobian(*nets[i].graph, nets[i].weights(), batch_nchw, B, &plan);
  });
  return J;
}

std::vector<std::vector<int64_t>> Lockstep::hamming_kernels(const std::vector<Net>& nets, const float* batch_nchw,
                                                            int B, const std::function<int64_t(const Node&)>& weight) {
  std::vector<const int64_t*> K(nets.size());
  run(nets, B, PlanMode::ForwardAllReLUs, [&](Executor& ex, size_t i, const Plan& plan) {
    K[i] = ex.issue_hamming(*nets[i].graph, nets[i].weights(), batch_nchw, B, weight, &plan);
  });
  auto t = Clock::now();
  std::vector<std::vector<int64_t>> out = download_kernels(be_, K, B);
  stats_.score_s += since(t);
  return out;
}

void Lockstep::run(const std::vector<Net>& nets, int B, PlanMode mode,
                   const std::function<void(Executor&, size_t, const Plan&)>& issue_one) {
  if (nets.empty()) return;
  auto t = Clock::now();
  const size_t slots = be_.padded_batch(B);
  std::vector<Plan> plans;
  std::vector<size_t> offsets;
  size_t total = 0;
  for (const Net& n : nets) {
    plans.push_back(make_plan(*n.graph, B, mode, slots, options_.for_backend(be_.convs_read_through())));
    offsets.push_back(total);
    total += aligned(plans.back().arena_floats);
  }
  input_ = plans[0].input;
  const Shape in = nets[0].graph->shape(input_);
  for (size_t i = 0; i < nets.size(); ++i)
    if (plans[i].input != input_ || !(nets[i].graph->shape(input_) == in))
      fail("lockstep: the networks of one call take different inputs");
  const size_t input_floats = in.per_sample() * slots;
  float* base = nullptr;
  const auto too_large = [&](const std::string& why) {
    return OutOfMemory("lockstep: out of memory for the arena of " + std::to_string(nets.size()) +
                       " networks at batch " + std::to_string(B) + " (" +
                       std::to_string((total + input_floats) * sizeof(float) >> 20) +
                       " MiB): score fewer at a time (--lockstep) or use a smaller --batch" + why);
  };
  try {  // before anything is issued: a caller may retry with fewer networks
    base = be_.arena(total + input_floats);
  } catch (const std::bad_alloc&) {
    throw too_large("");
  } catch (const OutOfMemory& e) {
    throw too_large(std::string(" (") + e.what() + ")");
  }
  stats_.arena_floats_max = std::max(stats_.arena_floats_max, total + input_floats);
  stats_.plan_s += since(t);

  // Record: one executor for all (the batch is uploaded once), each network into its own part.
  Recorder rec(be_);
  Executor ex(rec);
  ex.set_plan_options(options_);
  std::vector<std::vector<Call>> programs(nets.size());
  be_.range_push("record");
  for (size_t i = 0; i < nets.size(); ++i) {
    rec.begin(&programs[i], base + offsets[i], plans[i].arena_floats, base + total, input_floats);
    issue_one(ex, i, plans[i]);
  }
  be_.range_pop();
  stats_.record_s += since(t);

  std::vector<std::vector<uint32_t>> keys(nets.size());
  for (size_t i = 0; i < nets.size(); ++i) {
    for (const Call& c : programs[i]) keys[i].push_back(c.key);
    stats_.calls += programs[i].size();
  }
  if (observe_) observe_(keys);
  const std::vector<std::vector<int>> steps = merge_in_lockstep(keys);
  stats_.steps += steps.size();
  stats_.networks += nets.size();
  stats_.merge_s += since(t);

  be_.range_push("lockstep");
  std::vector<size_t> pos(nets.size(), 0);
  std::vector<const CallArgs*> calls;
  for (const std::vector<int>& step : steps) {
    calls.clear();
    for (int i : step) calls.push_back(&programs[size_t(i)][pos[size_t(i)]++].args);
    run_step(be_, rec.key_ops()[programs[size_t(step[0])][pos[size_t(step[0])] - 1].key], calls);
  }
  be_.range_pop();
  stats_.issue_s += since(t);
}

}  // namespace naswot
