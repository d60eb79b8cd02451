// Lockstep scoring: several architectures advance together, and each step runs one op once for all
// of them whose next call it is (Ops::NAME_many: one launch where the backend batches).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "engine/backend.h"
#include "engine/executor.h"
#include "engine/graph.h"
#include "engine/planner.h"
#include "engine/score_jacob.h"

namespace naswot {

struct LockstepStats {
  size_t networks = 0;  // issued
  size_t calls = 0;     // op calls their executors issued
  size_t steps = 0;     // batched calls that ran them (calls / steps: architectures per launch)
  // Host wall time: planning, recording (the executors' issue, uploads of weights included),
  // merging, issuing the steps (on a GPU: enqueueing them) and scoring (on a GPU: waiting for it).
  double plan_s = 0, record_s = 0, merge_s = 0, issue_s = 0, score_s = 0;
  size_t arena_floats_max = 0;  // the largest arena one call took (its networks and the input batch)
};

// A shortest common supersequence of a and b into out, with the positions a's and b's elements take
// in it (a_at, b_at); returns its length. Ties go as the textbook dynamic programme's traceback from
// the end (a match first, then a's element while that keeps the length), so the result is a function
// of (a, b) alone.
size_t shortest_common_supersequence(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b,
                                     std::vector<uint32_t>& out, std::vector<uint32_t>& a_at,
                                     std::vector<uint32_t>& b_at);
using PairwiseMerge = decltype(&shortest_common_supersequence);

// The calls of several programs merged into steps. Each program is a sequence of keys (equal keys:
// calls that may run as one batched call); the steps are a common supersequence of the programs
// (short, not always shortest), so each program's calls keep their order and a step's calls have one
// key. Returns per step the programs it advances (in program order).
// pairwise: the two-sequence merge the progressive alignment uses (tests and benchmarks pass the
// textbook dynamic programme to compare).
std::vector<std::vector<int>> merge_in_lockstep(const std::vector<std::vector<uint32_t>>& programs,
                                                PairwiseMerge pairwise = shortest_common_supersequence);

class Lockstep {
 public:
  explicit Lockstep(Backend& backend, PlanOptions options = {}) : be_(backend), options_(options) {}
  struct Net {
    const Graph* graph;
    const std::vector<float>* params;                // graph->num_params() values, or nullptr and:
    const std::vector<WeightDraw>* draws = nullptr;  // their draws (engine/init.h), drawn by the backend
    Weights weights() const { return params ? Weights(*params) : Weights(*draws); }
  };
  // The jacob_cov score of each net on one batch (batch x C x H x W floats, every graph's input):
  // each net's executor records its calls into its own part of one arena, the calls are merged
  // (merge_in_lockstep) and run, then each net is scored. The same bits as score_network on each
  // net alone wherever the backend's NAME_many equals its calls one after another (the CPU's).
  std::vector<JacobScore> jacob_cov(const std::vector<Net>& nets, const float* batch_nchw, int batch);
  // The ops of jacob_cov without the scores: each net's input-gradient J in the backend's memory and
  // layout (batch x per-sample values; nullptr where J = 0), valid until the next call.
  std::vector<const float*> issue(const std::vector<Net>& nets, const float* batch_nchw, int batch);
  // The Hamming kernel K_H (batch x batch, exact) of each net, as Executor::hamming_kernel gives it
  // (weight: each ReLU site's weight, engine/score_hamming.h), computed together.
  std::vector<std::vector<int64_t>> hamming_kernels(const std::vector<Net>& nets, const float* batch_nchw, int batch,
                                                    const std::function<int64_t(const Node&)>& weight);
  const LockstepStats& stats() const { return stats_; }  // summed over the calls so far
  // Called with each call's key programs before they are merged (benchmarks time merges with them).
  void observe_programs(std::function<void(const std::vector<std::vector<uint32_t>>&)> f) { observe_ = std::move(f); }

 private:
  // Plans the nets in `mode`, gives each its part of one arena, records issue_one(executor, i, plan)
  // for each, merges and runs the steps.
  void run(const std::vector<Net>& nets, int batch, PlanMode mode,
           const std::function<void(Executor&, size_t, const Plan&)>& issue_one);
  Backend& be_;
  PlanOptions options_;
  LockstepStats stats_;
  int input_ = -1;  // the input node of the last issue's networks
  std::function<void(const std::vector<std::vector<uint32_t>>&)> observe_;
};

}  // namespace naswot
