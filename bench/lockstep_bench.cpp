// Lockstep scoring (engine/lockstep.h) against one architecture at a time, in one run: launches per
// architecture and the host's time per architecture by stage, for K = 1 (the baseline) and larger K.
// MODE host: the ops are counted, not run (a tracing backend that forwards nothing), so the figures
// are the host's alone; MODE run: the ops run and each architecture is scored (on a GPU, issue is
// the enqueueing and score includes waiting for the device). Markdown on stdout.
// SAMPLE: distinct indices drawn at random, in drawn order; SAMPLE >= the space's size: every index,
// in index order. ORDER sorted: the same indices in the space's lockstep order (score-space's groups).
// Usage: naswot_lockstep_bench [BATCH=128] [BACKEND=cpu] [SPACE=nb201] [SAMPLE=128] [MODE=host] [KS=1,4,8,16,32]
//        [CONV=cudnn|naswot|cudnn-graph|naswot-gather (cuda: --conv-kernels)] [WEIGHTS=host|drawn (drawn: the backend
//        draws them)] [ORDER=as-drawn|sorted] [SCORE=jacob|hamming (the Hamming score's forward pass and codes)]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "bench/plan_env.h"
#include "engine/backend.h"
#include "engine/backend_trace.h"
#include "engine/error.h"
#include "engine/init.h"
#include "engine/lockstep.h"
#include "engine/rng.h"
#include "engine/score_hamming.h"
#include "searchspaces/space.h"
#include "tests/scs_reference.h"

using namespace naswot;

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::vector<int> parse_ks(const std::string& s) {
  std::vector<int> ks;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) {
    const int k = std::atoi(item.c_str());
    if (k < 1 || k > 64) fail("KS: each K in [1, 64], comma-separated");
    ks.push_back(k);
  }
  if (ks.empty()) fail("KS: at least one K");
  return ks;
}

}  // namespace

int main(int argc, char** argv) try {
  const int B = argc > 1 ? std::atoi(argv[1]) : 128;
  const std::string backend = argc > 2 ? argv[2] : "cpu";
  const Space& sp = space_named(argc > 3 ? argv[3] : "nb201");
  const long sample = argc > 4 ? std::atol(argv[4]) : 128;
  const std::string mode = argc > 5 ? argv[5] : "host";
  const std::vector<int> ks = parse_ks(argc > 6 ? argv[6] : "1,4,8,16,32");
  const std::string conv = argc > 7 ? argv[7] : "cudnn";
  const bool drawn = argc > 8 && std::string(argv[8]) == "drawn";
  if (argc > 8 && !drawn && std::string(argv[8]) != "host") fail("WEIGHTS: host or drawn");
  const std::string order = argc > 9 ? argv[9] : "as-drawn";
  if (order != "as-drawn" && order != "sorted") fail("ORDER: as-drawn or sorted");
  const std::string score = argc > 10 ? argv[10] : "jacob";
  if (score != "jacob" && score != "hamming") fail("SCORE: jacob or hamming");
  const auto site_weight = [](const Node& n) { return relu_site_weight(n, ReluSites::Each); };
  BackendOptions bo;
  if (B < 2 || sample < 1 || (mode != "host" && mode != "run") || !conv_kernels_named(conv, bo.conv))
    fail(
        "usage: naswot_lockstep_bench [BATCH>=2] [cpu|cuda] [nb201|nb101|nats-sss] [SAMPLE>=1] [host|run] [KS] "
        "[cudnn|naswot|cudnn-graph|naswot-gather] [host|drawn]");
  auto be = make_backend(backend, bo);
  std::string loads;  // NASWOT_CONV_LOADS: plans with or without the convolutions' fused loads and stores
  const PlanOptions plan = plan_options_from_env(loads);
  TracingBackend counted(*be, nullptr, Trace::ReportOnly);
  Backend& target = mode == "host" ? static_cast<Backend&>(counted) : *be;

  // The sample: distinct indices drawn from a fixed stream, in drawn order (or the whole space).
  std::vector<long> indices;
  if (sample >= sp.size())
    for (long i = 0; i < sp.size(); ++i) indices.push_back(i);
  for (uint64_t j = 0; long(indices.size()) < std::min(sample, sp.size()); ++j) {
    const long i = long(below(stream_key(2026, 12, 5), j, uint64_t(sp.size())));
    if (std::find(indices.begin(), indices.end(), i) == indices.end()) indices.push_back(i);
  }
  if (order == "sorted") {
    std::vector<long> sorted;
    for (size_t k : lockstep_order(sp, indices)) sorted.push_back(indices[k]);
    indices = std::move(sorted);
  }
  std::vector<float> x(size_t(B) * 3 * 32 * 32);
  for (size_t i = 0; i < x.size(); ++i) x[i] = uniform01(stream_key(7), i) - 0.5f;

  std::printf("# Lockstep: %s, %zu architectures (%s), batch %d, %s backend (%s), mode %s, weights %s%s%s\n\n",
              sp.title(), indices.size(),
              order == "sorted"                   ? "in the space's lockstep order"
              : long(indices.size()) == sp.size() ? "in index order"
                                                  : "drawn, in drawn order",
              B, be->name().c_str(), be->device().c_str(), mode.c_str(), drawn ? "drawn" : "host",
              loads.empty() ? "" : (", fused loads and stores " + loads).c_str(),
              score == "hamming" ? ", the Hamming score" : "");
  std::printf(
      "Per architecture: launches (batched op calls) and host milliseconds by stage; arena MB: the largest\n"
      "arena of one lockstep call (K networks and the batch). build: the graph; init: %s;\n"
      "plan, record (executor issue into the recorder, weight upload), merge (the\n"
      "steps), issue (the steps: %s), score (%s).\n\n",
      drawn ? "the table of draws (the backend draws the weights in a step)" : "the weights on the host",
      mode == "host" ? "counted, not run" : "run",
      mode == "host"       ? "not run"
      : score == "hamming" ? "K's download"
                           : "Sigma_J and its score");
  std::printf(
      "| K | launches | calls per launch | arena MB | build | init | plan | record | merge | issue | score | "
      "total ms | arch/s | vs K=1 |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  double base_rate = 0;
  std::vector<std::pair<int, std::vector<std::vector<uint32_t>>>> recorded;  // each call's key programs, by K
  for (int K : ks) {
    Lockstep ls(target, plan);
    ls.observe_programs([&](const std::vector<std::vector<uint32_t>>& p) { recorded.emplace_back(K, p); });
    double build_s = 0, init_s = 0;
    const auto t_all = Clock::now();
    for (size_t i0 = 0; i0 < indices.size(); i0 += size_t(K)) {
      std::vector<Graph> graphs;
      std::vector<std::vector<float>> params;
      std::vector<std::vector<WeightDraw>> draws;
      auto t = Clock::now();
      for (size_t i = i0; i < std::min(indices.size(), i0 + size_t(K)); ++i)
        graphs.push_back(sp.build(indices[i], NetShape{}));
      build_s += seconds_since(t);
      t = Clock::now();
      for (size_t k = 0; k < graphs.size(); ++k)
        if (drawn)
          draws.push_back(weight_draws(graphs[k], 0, sp.weight_key(indices[i0 + k])));
        else
          params.push_back(init_params(graphs[k], 0, sp.weight_key(indices[i0 + k])));
      init_s += seconds_since(t);
      std::vector<Lockstep::Net> nets;
      for (size_t k = 0; k < graphs.size(); ++k)
        nets.push_back(drawn ? Lockstep::Net{&graphs[k], nullptr, &draws[k]} : Lockstep::Net{&graphs[k], &params[k]});
      if (score == "hamming") {
        const auto K = ls.hamming_kernels(nets, x.data(), B, site_weight);
        if (mode == "run")
          for (const auto& k : K) hamming_logdet(k, B);
      } else if (mode == "host") {
        ls.issue(nets, x.data(), B);
      } else {
        ls.jacob_cov(nets, x.data(), B);
      }
    }
    const double all_s = seconds_since(t_all);
    const LockstepStats& s = ls.stats();
    const double n = double(s.networks), ms = 1e3 / n;
    const double rate = n / all_s;
    if (K == ks.front()) base_rate = rate;
    std::printf("| %d | %.1f | %.2f | %.0f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.0f | %.2fx |\n",
                K, double(s.steps) / n, double(s.calls) / double(s.steps), s.arena_floats_max * 4e-6, build_s * ms,
                init_s * ms, s.plan_s * ms, s.record_s * ms, s.merge_s * ms, s.issue_s * ms, s.score_s * ms, all_s * ms,
                rate, rate / base_rate);
  }
  std::printf("\n(vs K=%d: arch/s against the table's first row, same run.)\n", ks.front());

  // The merge alone on the recorded programs: the engine's bit-parallel pairwise merge against the
  // textbook dynamic programme (the baseline, tests/scs_reference.h), alternated, best of 3 each.
  std::printf(
      "\nMerge alone, ms per architecture (best of 3): the textbook dynamic programme against the\n"
      "engine's bit-parallel merge, on the programs recorded above; steps: equal in both.\n\n"
      "| K | dynamic programme | bit-parallel | ratio | steps equal |\n|---|---|---|---|---|\n");
  for (int K : ks) {
    double dp = 1e30, bp = 1e30, n = 0;
    bool equal = true;
    for (int round = 0; round < 3; ++round) {
      double t_dp = 0, t_bp = 0;
      for (const auto& [k, programs] : recorded) {
        if (k != K) continue;
        if (round == 0) n += double(programs.size());
        auto t = Clock::now();
        const auto a = merge_in_lockstep(programs, test::reference_supersequence);
        t_dp += seconds_since(t);
        t = Clock::now();
        const auto b = merge_in_lockstep(programs);
        t_bp += seconds_since(t);
        equal = equal && a == b;
      }
      dp = std::min(dp, t_dp), bp = std::min(bp, t_bp);
    }
    std::printf("| %d | %.4f | %.4f | %.1fx | %s |\n", K, 1e3 * dp / n, 1e3 * bp / n, dp / bp, equal ? "yes" : "NO");
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "naswot_lockstep_bench: %s\n", e.what());
  return 1;
}
