// Scoring architectures of the supported spaces (tools/app/scoring.h): options to data, batch,
// backends and executors; one architecture to its score row.
#include "tools/app/scoring.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <mutex>
#include <numeric>
#include <thread>

#include "engine/error.h"
#include "engine/init.h"
#include "engine/io/export.h"
#include "engine/io/sha256.h"

namespace naswot {

std::vector<int> parse_devices(const std::string& spec, int count) {
  std::vector<int> out;
  if (spec == "all") {
    for (int d = 0; d < count; ++d) out.push_back(d);
  } else {
    size_t start = 0;
    for (;;) {
      const size_t comma = spec.find(',', start);
      const std::string item = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (item.empty() || item.size() > 4 || item.find_first_not_of("0123456789") != std::string::npos)
        fail("--devices expects 'all' or device numbers such as 0,1 (got '" + spec + "')");
      const int d = std::stoi(item);
      if (d >= count) fail("--devices: there is no CUDA device " + item + " (" + std::to_string(count) + " present)");
      if (std::find(out.begin(), out.end(), d) != out.end()) fail("--devices: device " + item + " is given twice");
      out.push_back(d);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  if (out.empty()) fail("--devices all: no CUDA device present");
  return out;
}

int device_for_local_rank(int local_rank, const std::vector<int>& devices) {
  if (devices.empty() || local_rank < 0) fail("device_for_local_rank: no devices or no local rank");
  return devices[size_t(local_rank) % devices.size()];
}

ScoringSetup make_scoring_setup(const ScoringOptions& o, ScoringUse use) {
  ScoringSetup s;
  s.space = &space_named(o.space);
  if (o.batch < 2) fail("--batch " + std::to_string(o.batch) + " is out of range (at least 2)");
  if (o.num_classes < 1) fail("--num-classes " + std::to_string(o.num_classes) + " is out of range (at least 1)");
  if (o.threads < 0 || o.workers < 0 || o.streams < 0) fail("--threads, --workers and --streams cannot be negative");
  s.batch = o.batch;
  s.seed = o.seed;
  s.augment = parse_augment(o.augment);
  s.dataset = parse_dataset(o.dataset.empty() ? "cifar10" : o.dataset);
  if (!s.space->all_datasets() && s.dataset != Dataset::Cifar10)
    fail("--dataset " + o.dataset + ": " + s.space->title() +
         " is a CIFAR-10 benchmark (its networks take CIFAR-10 images only)");
  s.net.num_classes = o.num_classes;
  s.net.image = dataset_side(s.dataset);
  try {
    s.score_kinds = parse_score_kinds(o.score);
  } catch (const Error& e) {
    fail(std::string("--score: ") + e.what());
  }
  s.score_kind = s.score_kinds[0];
  const auto scores = [&](ScoreKind k) {
    return std::find(s.score_kinds.begin(), s.score_kinds.end(), k) != s.score_kinds.end();
  };
  // Several scores share one network: NASWOT's (jacob_cov, hamming: --num-classes outputs) or the
  // proxies' (the dataset's classes).
  for (ScoreKind k : s.score_kinds)
    if (is_proxy(k) != is_proxy(s.score_kind))
      fail("--score " + o.score + ": " + score_kind_name(is_proxy(k) ? s.score_kind : k) +
           " scores NASWOT's network, the proxies that of the dataset's classes; score them in separate runs "
           "(zero-cost-nas's jacob_cov is the proxy jacob_cov_zc)");
  // The proxies' networks classify the dataset's classes (their loss is a cross-entropy: one output
  // would have no gradient), as the proxy suites build them.
  if (is_proxy(s.score_kind) && s.net.num_classes == 1) s.net.num_classes = dataset_classes(s.dataset);
  if (!o.relu_sites.empty() && !scores(ScoreKind::Hamming)) fail("--relu-sites applies to --score hamming only");
  s.relu_sites = parse_relu_sites(o.relu_sites.empty() ? "each" : o.relu_sites);
  const std::string inplace = o.nb101_inplace.empty() ? "fixed" : o.nb101_inplace;
  if (inplace != "fixed" && inplace != "reference")
    fail("unknown --nb101-inplace '" + inplace + "' (expected fixed or reference)");
  if (!o.nb101_inplace.empty() && s.space->id() != SpaceId::Nb101) fail("--nb101-inplace applies to --space nb101");
  s.nb101_reference_inplace = inplace == "reference";
  const std::string nb101_net = o.nb101_network.empty() ? "naswot" : o.nb101_network;
  if (nb101_net != "naswot" && nb101_net != "zero-cost")
    fail("unknown --nb101-network '" + nb101_net + "' (expected naswot or zero-cost)");
  if (!o.nb101_network.empty() && s.space->id() != SpaceId::Nb101) fail("--nb101-network applies to --space nb101");
  s.net.nb101_suite = nb101_net == "zero-cost";
  const std::string sampler = o.sampler.empty() ? "seed" : o.sampler;
  if (sampler != "seed" && sampler != "reference-v2")
    fail("unknown --sampler '" + sampler + "' (expected seed or reference-v2)");
  s.reference_sampler = sampler == "reference-v2";
  if (s.reference_sampler && s.augment != Augment::None)
    fail("--sampler reference-v2 draws the v2.0 reference's batch, which is not augmented: use --augment none");
  const std::string init = o.init.empty() ? "naswot" : o.init;
  if (init != "naswot" && init != "reference-v2")
    fail("unknown --init '" + init + "' (expected naswot or reference-v2)");
  if (init == "reference-v2") {
    if (s.space->id() != SpaceId::Nb201)
      fail(
          "--init reference-v2 replays PyTorch's uniform_ initialisation of NAS-Bench-201 networks; the NB101 "
          "port redraws its weights with normal_, which is not replayed (docs/nb101.md, Weights)");
    s.torch_first = reference_v2_weight_generator(s.seed, true, s.dataset);
    s.torch_later = reference_v2_weight_generator(s.seed, false, s.dataset);
  }
  s.data_dir = resolve_data_dir(o.data);
  s.data = load_train_images(s.data_dir, s.dataset);
  if (s.reference_sampler) {
    s.images = reference_v2_batch_images(s.seed, s.batch, s.dataset);
    s.x = batch_of_images(s.data, s.images);
  } else {
    s.x = make_batch(s.data, s.batch, s.seed, s.augment, &s.images);
  }
  for (int i : s.images) s.labels.push_back(s.data.labels.at(size_t(i)));
  if (std::find(s.score_kinds.begin(), s.score_kinds.end(), ScoreKind::Zen) != s.score_kinds.end())
    s.zen_batches = zen_inputs(s.seed, s.batch, size_t(3) * size_t(s.net.image) * size_t(s.net.image));
  BackendOptions bo;
  bo.threads = o.threads;
  const std::string precision = o.precision.empty() ? "fp32" : o.precision;
  if (!precision_named(precision, bo.precision))
    fail("unknown --precision '" + precision + "' (expected fp32, tf32 or 3xtf32)");
  const std::string conv = o.conv_kernels.empty() ? "cudnn" : o.conv_kernels;
  if (!conv_kernels_named(conv, bo.conv))
    fail("unknown --conv-kernels '" + conv + "' (expected cudnn, cudnn-graph, naswot or naswot-gather)");
  if (bo.conv == ConvKernels::NaswotGather && bo.precision == Precision::Tf32)  // TF32: --conv-kernels naswot
    fail("--conv-kernels naswot-gather computes in fp32: not with --precision tf32 (use --conv-kernels naswot)");
  if (bo.precision == Precision::Tf32x3 && bo.conv != ConvKernels::Naswot)  // cuDNN has no 3xTF32
    fail("--precision 3xtf32 runs on naswot's tensor-core convolutions: give --conv-kernels naswot");
  s.conv_kernels = bo.conv;
  const std::string solver = o.sigma_solver.empty() ? "auto" : o.sigma_solver;
  if (solver == "auto")
    bo.solver = SigmaSolver::Auto;
  else if (solver == "eigen")
    bo.solver = SigmaSolver::Eigen;
  else if (solver == "cholesky")
    bo.solver = SigmaSolver::Cholesky;
  else
    fail("unknown --sigma-solver '" + solver + "' (expected auto, eigen or cholesky)");
  s.sigma_solver = bo.solver;
  if (!o.sigma_precision.empty() && !scores(ScoreKind::JacobCov) && !scores(ScoreKind::JacobCovZc))
    fail("--sigma-precision applies to --score jacob_cov (and jacob_cov_zc) only");
  const std::string sp = o.sigma_precision.empty() ? "fp64" : o.sigma_precision;
  if (sp != "fp64" && sp != "fp32") fail("unknown --sigma-precision '" + sp + "' (expected fp64 or fp32)");
  s.sigma_precision = bo.sigma_precision = sp == "fp32" ? SigmaPrecision::Fp32 : SigmaPrecision::Fp64;
  // GPUs: the workers spread over --devices; an MPI rank takes one, by its place on its node.
  const bool want_gpu = o.backend == "cuda" || (o.backend == "auto" && cuda_available());
  if (!o.devices.empty() && !want_gpu) fail("--devices applies to the CUDA backend");
  std::vector<int> devices = {0};
  if (want_gpu && (!o.devices.empty() || o.local_rank >= 0))
    devices = parse_devices(o.devices.empty() ? "all" : o.devices, cuda_device_count());
  if (want_gpu && o.local_rank >= 0) devices = {device_for_local_rank(o.local_rank, devices)};
  bo.device = devices[0];
  s.workers.push_back({make_backend(o.backend, bo), nullptr, nullptr});
  const bool gpu = s.workers[0].backend->name() == "cuda";
  if (!gpu && bo.precision != Precision::Fp32) fail("--precision " + precision + " needs the CUDA backend");
  if (!gpu && !o.conv_kernels.empty()) fail("--conv-kernels applies to the CUDA backend");
  // Workers: architectures in flight at once, each on its own backend instance (CUDA: its own stream).
  if (o.streams && o.workers) fail("--streams is the CUDA name of --workers: give one of them");
  if (o.streams && !gpu)
    fail("--streams applies to the CUDA backend; on the CPU use --workers (architectures in flight) and --threads");
  const std::string wkey = o.streams ? "streams" : "workers";
  const int total_threads = gpu ? 0 : o.threads > 0 ? o.threads : omp_get_max_threads();
  // CPU default 1: on 2 cores, 2 workers of 1 thread ran no faster than 1 of 2 (bench/bench_workers.sh).
  const int asked = o.streams ? o.streams : o.workers;
  const int n_workers = asked ? asked : gpu && use == ScoringUse::Many ? 4 * int(devices.size()) : 1;
  if (n_workers > 64) fail("--" + wkey + " " + std::to_string(n_workers) + " is out of range [1, 64]");
  if (use != ScoringUse::Many && n_workers > 1) fail("--" + wkey + " applies to score-space");
  if (n_workers < int(devices.size()))
    fail("--devices: " + std::to_string(devices.size()) + " devices need at least as many workers (--" + wkey + ")");
  s.threads = total_threads;
  if (gpu) {
    for (int i = 1; i < n_workers; ++i) {
      bo.device = devices[size_t(i) % devices.size()];
      s.workers.push_back({make_backend("cuda", bo), nullptr, nullptr});
      // GPUs of other models may choose other algorithms and round differently: one model per run.
      if (s.workers[i].backend->model() != s.workers[0].backend->model())
        fail("--devices: " + s.workers[0].backend->model() + " and " + s.workers[i].backend->model() +
             " would give a run of mixed bits; give devices of one model");
    }
  } else if (n_workers > 1) {
    // The threads are shared out (never fewer than one each); results do not depend on the split.
    s.workers.clear();
    for (int i = 0; i < n_workers; ++i) {
      bo.threads = std::max(1, total_threads / n_workers + (i < total_threads % n_workers ? 1 : 0));
      s.workers.push_back({make_backend("cpu", bo), nullptr, nullptr});
    }
    s.workers[0].backend->bind_thread();
  }
  const std::string fused = o.fusion.empty() ? "on" : o.fusion;
  if (fused != "on" && fused != "off") fail("unknown --fusion '" + fused + "' (expected on or off)");
  if (o.lockstep < 1 || o.lockstep > 64) fail("--lockstep " + std::to_string(o.lockstep) + " is out of range [1, 64]");
  if (o.lockstep > 1 && use == ScoringUse::One) fail("--lockstep applies to score-space and live search");
  if (o.lockstep > 1 &&
      ((!is_jacobian_score(s.score_kind) && s.score_kind != ScoreKind::Hamming) || s.score_kinds.size() > 1))
    fail("--lockstep applies to one score: jacob_cov, jacob_cov_zc or hamming");
  s.lockstep = o.lockstep;
  for (auto& w : s.workers) {
    w.executor = std::make_unique<Executor>(*w.backend);
    w.executor->set_plan_options({fused == "on"});
    if (s.lockstep > 1) w.lockstep = std::make_unique<Lockstep>(*w.backend, PlanOptions{fused == "on"});
  }
  return s;
}

ScoreRow ScoringSetup::with_more_nan(ScoreRow r) const {
  r.more.assign(score_kinds.size() - 1, ScoreEntry{r.score, r.status, r.reason});
  return r;
}

std::optional<ScoreRow> ScoringSetup::reference_nan_row(long index) const {
  space->check_index(index);
  if (nb101_reference_inplace)
    if (std::string why = space->reference_failure(index); !why.empty())
      return with_more_nan(
          ScoreRow{index, space->arch(index), std::nan(""), ScoreStatus::ReferenceNan, why, 0, 0, 0, {}});
  return std::nullopt;
}

ScoreRow ScoringSetup::new_row(long index, const std::string& arch, const Graph& g) const {
  return ScoreRow{index, arch, 0, ScoreStatus::Ok, "", 0, g.num_params(), 2.0 * forward_flops(g) * batch, {}};
}

ScoreRow ScoringSetup::score_index(long index, int worker, const std::string& export_dir, std::vector<double>* sigma) {
  if (std::optional<ScoreRow> nan_row = reference_nan_row(index)) return *nan_row;
  Backend& be = *workers.at(size_t(worker)).backend;
  be.range_push("build");
  const Graph g = space->build(index, net);
  be.range_pop();
  return score_graph(index, space->arch(index), g, space->weight_key(index), space->export_name(index), export_dir,
                     sigma, worker);
}

std::vector<ScoreRow> ScoringSetup::score_together(const std::vector<long>& indices, int worker) {
  try {
    return score_group(indices, worker);
  } catch (const OutOfMemory&) {  // each group starts afresh: halves give the same rows
    if (indices.size() < 2) throw;
    ++*split_groups_;
    const auto mid = indices.begin() + long(indices.size() / 2);
    std::vector<ScoreRow> rows = score_together(std::vector<long>(indices.begin(), mid), worker);
    const std::vector<ScoreRow> rest = score_together(std::vector<long>(mid, indices.end()), worker);
    rows.insert(rows.end(), rest.begin(), rest.end());
    return rows;
  }
}

std::vector<ScoreRow> ScoringSetup::score_group(const std::vector<long>& indices, int worker) {
  Worker& wk = workers.at(size_t(worker));
  if (!wk.lockstep) fail("score_together needs a setup made with --lockstep above 1");
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<ScoreRow> rows(indices.size());
  std::vector<Graph> graphs;
  std::vector<std::vector<float>> params;
  std::vector<std::vector<WeightDraw>> draws;
  std::vector<size_t> scored;  // rows that the lockstep scores
  const bool drawn = backend_draws_weights("");
  graphs.reserve(indices.size());
  params.reserve(indices.size());
  draws.reserve(indices.size());
  for (size_t k = 0; k < indices.size(); ++k) {
    const long index = indices[k];
    if (std::optional<ScoreRow> nan_row = reference_nan_row(index)) {
      rows[k] = *nan_row;
      continue;
    }
    graphs.push_back(space->build(index, net));
    if (drawn)
      draws.push_back(weight_draws(graphs.back(), seed, space->weight_key(index)));
    else
      params.push_back(weights(graphs.back(), index, space->weight_key(index)));
    rows[k] = new_row(index, space->arch(index), graphs.back());
    scored.push_back(k);
  }
  std::vector<Lockstep::Net> nets;
  for (size_t i = 0; i < graphs.size(); ++i)
    nets.push_back(drawn ? Lockstep::Net{&graphs[i], nullptr, &draws[i]} : Lockstep::Net{&graphs[i], &params[i]});
  std::vector<JacobScore> scores;
  if (score_kind == ScoreKind::Hamming) {
    const auto K = wk.lockstep->hamming_kernels(nets, x.data(), batch,
                                                [&](const Node& n) { return relu_site_weight(n, relu_sites); });
    for (const auto& k : K) {
      const HammingScore h = hamming_logdet(k, batch);
      scores.push_back({h.score, h.status, h.reason, {}});
    }
  } else {
    scores = wk.lockstep->jacob_cov(nets, x.data(), batch);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (size_t i = 0; i < scored.size(); ++i) {
    ScoreRow& r = rows[scored[i]];
    r.score = scores[i].score;
    r.status = scores[i].status;
    r.reason = scores[i].reason;
    r.seconds = seconds / double(scored.size());
  }
  return rows;
}

void ScoringSetup::score_many(const std::vector<long>& indices,
                              const std::function<void(size_t k, const ScoreRow&)>& done,
                              const std::atomic<bool>* stop) {
  std::mutex mu;
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  const size_t group = size_t(std::max(1, lockstep));
  // Lockstep groups: neighbours in the space's lockstep order, whose calls merge into fewer launches
  // (scores do not depend on the grouping); rows still reach `done` by their position in `indices`.
  std::vector<size_t> order(indices.size());
  if (group > 1)
    order = lockstep_order(*space, indices);
  else
    std::iota(order.begin(), order.end(), size_t(0));
  const auto work = [&](int w) {
    try {
      bind(w);
      for (size_t k0; !(stop && *stop) && (k0 = next.fetch_add(group)) < indices.size();) {
        const size_t k1 = std::min(indices.size(), k0 + group);
        std::vector<ScoreRow> rows;
        if (group == 1) {
          rows.push_back(score_index(indices[order[k0]], w));
        } else {
          std::vector<long> together;
          for (size_t j = k0; j < k1; ++j) together.push_back(indices[order[j]]);
          rows = score_together(together, w);
        }
        const std::lock_guard<std::mutex> lock(mu);
        if (error) return;
        for (size_t j = k0; j < k1; ++j) done(order[j], rows[j - k0]);
      }
    } catch (...) {
      const std::lock_guard<std::mutex> lock(mu);
      if (!error) error = std::current_exception();
      next = indices.size();
    }
  };
  std::vector<std::thread> threads;
  for (size_t w = 1; w < workers.size() && w < indices.size(); ++w) threads.emplace_back(work, int(w));
  work(0);
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

ScoreRow ScoringSetup::score_cell(const std::string& matrix, const std::string& ops, int worker) {
  if (space->id() != SpaceId::Nb101) fail("a cell by matrix and ops needs --space nb101");
  return score(nb101::parse_cell(matrix, ops), "", worker);
}

ScoreRow ScoringSetup::score_arch(const std::string& spec, int worker) { return score_index(index_of(spec), worker); }

ScoreRow ScoringSetup::score(const nb101::Cell& cell, const std::string& export_dir, int worker) {
  if (space->id() != SpaceId::Nb101) fail("a cell by matrix and ops needs --space nb101");
  const std::string hash = nb101::graph_hash(cell);
  const std::string arch = hash + " " + cell.matrix_string() + " " + cell.ops_string();
  if (nb101_reference_inplace && nb101::hits_reference_inplace_bug(cell))
    return with_more_nan(
        ScoreRow{-1, arch, std::nan(""), ScoreStatus::ReferenceNan, nb101::kReferenceInplaceFailure, 0, 0, 0, {}});
  Backend& be = *workers.at(size_t(worker)).backend;
  be.range_push("build");
  const Graph g = nb101::build(cell, nb101::config_of(net));
  be.range_pop();
  // Weights keyed by the hash (as the space's cell of that hash), however the cell was written down.
  return score_graph(-1, arch, g, std::stoull(hash.substr(0, 16), nullptr, 16), hash, export_dir, nullptr, worker);
}

std::vector<float> ScoringSetup::weights(const Graph& g, long index, uint64_t arch_key) const {
  // The reference's loop builds index 0 first (from the fresh seed), every other index after a batch draw.
  return torch_first ? init_params_torch(g, index == 0 ? *torch_first : *torch_later) : init_params(g, seed, arch_key);
}

bool ScoringSetup::backend_draws_weights(const std::string& export_dir) const {
  if (torch_first || !export_dir.empty()) return false;
  for (ScoreKind k : score_kinds)
    if (k != ScoreKind::JacobCov && k != ScoreKind::JacobCovZc && k != ScoreKind::Hamming) return false;
  return true;
}

ScoreRow ScoringSetup::score_graph(long index, const std::string& arch, const Graph& g, uint64_t arch_key,
                                   const std::string& export_name, const std::string& export_dir,
                                   std::vector<double>* sigma, int worker) {
  Executor* executor = workers.at(size_t(worker)).executor.get();
  Backend& be = *workers.at(size_t(worker)).backend;
  be.range_push("init");
  const bool drawn = backend_draws_weights(export_dir);
  const std::vector<float> p = drawn ? std::vector<float>() : weights(g, index, arch_key);
  const std::vector<WeightDraw> table = drawn ? weight_draws(g, seed, arch_key) : std::vector<WeightDraw>();
  const Weights w = drawn ? Weights(table) : Weights(p);
  be.range_pop();
  executor->capture_relu_masks(!export_dir.empty());
  ScoreRow r = new_row(index, arch, g);
  // Each pass runs once for all the scores that need it (--score a,b,...), in the order they are asked.
  std::optional<WeightGradients> wg;
  double loss = 0;
  std::optional<HammingResult> ham;
  std::optional<NetworkScore> jac;
  std::optional<WeightGradients> ntk_last;  // ntk: the last sample's pass (the export's masks)
  std::optional<ZenNetwork> zen;            // zen: its network and weights (the export's)
  const auto t0 = std::chrono::steady_clock::now();
  const auto has = [&](ScoreKind k) {
    return std::find(score_kinds.begin(), score_kinds.end(), k) != score_kinds.end();
  };
  std::vector<ScoreEntry> values;
  for (ScoreKind kind : score_kinds) {
    ScoreEntry v;
    if (is_size_baseline(kind)) {  // the network's description alone
      v.score = kind == ScoreKind::Params ? double(g.num_params()) : forward_flops(g);
    } else if (needs_weight_gradients(kind)) {
      if (!wg)
        wg = executor->weight_gradients(
            g, p, x.data(), batch,
            [&](const std::vector<float>& y) {
              std::vector<float> dy;
              loss = cross_entropy(y, labels, net.num_classes, &dy);
              return dy;
            },
            has(ScoreKind::Fisher));
      if (kind == ScoreKind::Grasp) {  // a second pass, with tangents
        const JacobScore s = grasp(*executor, g, p, x.data(), batch, labels, net.num_classes, wg->grads);
        v = {s.score, s.status, s.reason};
      } else {
        v.score = kind == ScoreKind::GradNorm ? grad_norm_score(g, wg->grads)
                  : kind == ScoreKind::Snip   ? snip_score(g, p, wg->grads)
                                              : fisher_score(wg->fisher);
      }
      if (!std::isfinite(loss) || (v.status == ScoreStatus::Ok && !std::isfinite(v.score))) {
        v.status = ScoreStatus::Degenerate;
        v.reason = std::isfinite(loss) ? "the weight gradients are not finite" : "the loss is not finite";
        v.score = -std::numeric_limits<double>::infinity();
      }
    } else if (kind == ScoreKind::Synflow) {
      const JacobScore s = synflow(*executor, g, p);
      v = {s.score, s.status, s.reason};
    } else if (kind == ScoreKind::Ntk) {
      if (!export_dir.empty()) ntk_last.emplace();  // the last sample's pass: its ReLU masks for the export
      const JacobScore s = ntk(*executor, g, p, x.data(), batch, ntk_last ? &*ntk_last : nullptr);
      v = {s.score, s.status, s.reason};
    } else if (kind == ScoreKind::Zen) {
      zen = zen_network(g, seed, arch_key);
      const JacobScore s = zen_score(*executor, *zen, zen_batches, batch);
      v = {s.score, s.status, s.reason};
    } else if (kind == ScoreKind::Hamming) {
      if (!ham)
        ham = executor->hamming_kernel(g, w, x.data(), batch,
                                       [&](const Node& n) { return relu_site_weight(n, relu_sites); });
      const HammingScore h = hamming_logdet(ham->K, batch);
      v = {h.score, h.status, h.reason};
    } else {
      if (!jac) jac = score_network(*executor, g, w, x, batch, !export_dir.empty() || sigma != nullptr);
      v = {jac->score.score, jac->score.status, jac->score.reason};
    }
    values.push_back(std::move(v));
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.score = values[0].score;
  r.status = values[0].status;
  r.reason = values[0].reason;
  r.more.assign(values.begin() + 1, values.end());
  if (!export_dir.empty()) {  // the oracle export: only now its manifest and the ReLU sites' weights
    const std::string dir = export_dir + "/" + export_name;
    ExportInfo info{space->name(),
                    r.arch,
                    index,
                    net.num_classes,
                    seed,
                    score_kind_name(score_kind),
                    "",
                    0,
                    "",
                    images,
                    reference_sampler ? "reference-v2" : "seed",
                    torch_first ? "reference-v2" : "naswot",
                    dataset_name(dataset),
                    {}};
    std::vector<int64_t> weights(g.nodes.size());
    for (size_t v = 0; v < g.nodes.size(); ++v) weights[v] = relu_site_weight(g.nodes[v], relu_sites);
    if (ham) info.relu_sites = relu_sites_name(relu_sites);
    if (wg) info.labels = labels;
    info.score = r.score;
    info.status = status_name(r.status);
    if (score_kind == ScoreKind::Zen) {  // zen's own network, weights and two inputs
      write_export(dir, info, zen->f, zen->params, zen_batches.x, batch, nullptr, nullptr, nullptr, weights);
      write_f32(dir + "/zen_mixed.f32", zen_batches.mixed);
    } else {
      const WeightGradients* grads = wg ? &*wg : ntk_last ? &*ntk_last : nullptr;
      write_export(dir, info, g, p, x, batch, jac ? &jac->jac : nullptr, ham ? &*ham : nullptr, grads, weights);
    }
  }
  if (sigma && jac && jac->score.status == ScoreStatus::Ok)
    jacobian_correlation(jac->jac.jacobian.data(), batch, jac->jac.row, *sigma, nullptr, sigma_precision);
  return r;
}

RunConfig ScoringSetup::run_config() const {
  RunConfig c;
  c.identity["space"] = space->name();
  c.identity["score"] = score_kinds_name(score_kinds);
  const auto has = [&](ScoreKind k) {
    return std::find(score_kinds.begin(), score_kinds.end(), k) != score_kinds.end();
  };
  if (has(ScoreKind::Hamming)) c.identity["relu_sites"] = relu_sites_name(relu_sites);
  c.identity["batch"] = std::to_string(batch);
  c.identity["seed"] = std::to_string(seed);
  c.identity["augment"] = augment_name(augment);
  if (dataset != Dataset::Cifar10) c.identity["dataset"] = dataset_name(dataset);
  c.identity["num_classes"] = std::to_string(net.num_classes);
  if (nb101_reference_inplace) c.identity["nb101_inplace"] = "reference";
  if (net.nb101_suite) c.identity["nb101_network"] = "zero-cost";
  if (reference_sampler) c.identity["sampler"] = "reference-v2";
  if (torch_first) c.identity["init"] = "reference-v2";
  // Revision of the normal draws (the NB101 port's weights, zen's weights and inputs): 2 =
  // kernels/normal_draw.h's arithmetic; earlier runs drew them through libm and are not mixed with these.
  if ((space->id() == SpaceId::Nb101 && !net.nb101_suite) || has(ScoreKind::Zen)) c.identity["normal_draws"] = "2";
  c.identity["engine"] = NASWOT_VERSION;
  c.identity["backend"] = backend().name();
  // Bits depend on the CPU kernels' variant or the GPU model: runs and MPI ranks that differ there are
  // not mixed (resume, merge and ranks refuse them).
  c.identity[backend().name() == "cuda" ? "gpu" : "cpu_kernels"] = backend().model();
  // The precision the backend runs (its description names it: 3xtf32 falls back to fp32 before sm_80).
  for (const char* p : {"3xtf32", "tf32"})
    if (backend().device().find(std::string(", ") + p) != std::string::npos) {
      c.identity["precision"] = p;
      break;
    }
  if (backend().name() == "cuda") {
    // Revision of the CUDA kernels' arithmetic: 2 = the average pools' own kernels (runs of earlier
    // builds, on cuDNN's pools, are not mixed with these); 3 = Sigma_J's product and factorisation on
    // naswot's kernels (cuBLAS's and cuSOLVER's before); 4 = batch norm: the input gradient rounded
    // without contraction (kernels/cuda/bn_grad.cuh), the forward statistics of 64-, 256- and
    // 1024-pixel planes from unshifted sums in the direct convolution's tile order
    // (kernels/cuda/bn_tile_stats.cuh), the output with one FMA per value.
    c.identity["gpu_kernels"] = "4";
    // naswot's kernels (both give the same bits); "2": stride-2 convolutions on them too, not cuDNN's.
    // "3": with --precision tf32, the stride-2 ones on naswot's FMA kernels too, not cuDNN's TF32 calls.
    if (conv_kernels == ConvKernels::Naswot || conv_kernels == ConvKernels::NaswotGather)
      c.identity["conv"] = c.identity.count("precision") && c.identity["precision"] == "tf32" ? "naswot 3" : "naswot 2";
    if (conv_kernels == ConvKernels::CudnnGraph)
      c.identity["conv"] = "cudnn-graph";  // other engines may round otherwise
    // The spectrum rounds otherwise than the factorisation (auto and cholesky: the same path).
    if (sigma_solver == SigmaSolver::Eigen && (has(ScoreKind::JacobCov) || has(ScoreKind::JacobCovZc)))
      c.identity["sigma_solver"] = "eigen";
  }
  // Keys that change scores enter the identity only when not the default, so older runs still match.
  if ((has(ScoreKind::JacobCov) || has(ScoreKind::JacobCovZc)) && sigma_precision != SigmaPrecision::Fp64)
    c.identity["sigma_precision"] = sigma_precision_name(sigma_precision);
  std::string sums;  // which image files, by content: a run must not mix batches from different data
  for (const std::string& f : data.files) {
    if (!sums.empty()) sums += ' ';
    sums += std::filesystem::path(f).filename().string() + ":" + sha256_file(f);
  }
  c.identity["data"] = sums;
  c.info["device"] = backend().device();
  if (threads > 0) c.info["threads"] = std::to_string(threads);
  c.info["workers"] = std::to_string(workers.size());
  return c;
}

std::string ScoringSetup::banner() const {
  char buf[700];
  const std::string kind = score_kind == ScoreKind::Hamming
                               ? "hamming (relu sites: " + std::string(relu_sites_name(relu_sites)) + ")"
                               : score_kinds_name(score_kinds);
  std::snprintf(buf, sizeof buf,
                "# naswot %s | score %s | backend %s (%s) | batch %d | seed %llu | augment %s | %d %s images%s%s%s",
                NASWOT_VERSION, kind.c_str(), backend().name().c_str(), backend().device().c_str(), batch,
                static_cast<unsigned long long>(seed), augment_name(augment), data.n, dataset_name(dataset),
                reference_sampler ? " | sampler reference-v2" : "", torch_first ? " | init reference-v2" : "",
                workers.size() > 1 ? (" | " + std::to_string(workers.size()) + " workers").c_str() : "");
  return buf;
}

}  // namespace naswot
