// Builds the shared scoring state from command-line options.
#include "tools/scoring_setup.h"

#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "engine/error.h"
#include "engine/export.h"
#include "engine/init.h"
#include "engine/sha256.h"

namespace naswot {

const std::set<std::string>& scoring_options() {
  static const std::set<std::string> o = {"space",       "batch",   "seed",    "augment", "data",
                                          "num-classes", "backend", "threads", "score",   "relu-sites",
                                          "precision",   "streams", "workers", "sigma-solver",
                                          "sigma-precision", "nb101-inplace", "fusion"};
  return o;
}


ScoringSetup make_scoring_setup(const cli::Args& a, bool parallel) {
  ScoringSetup s;
  s.space = a.get("space", "nb201");
  if (s.space != "nb201" && s.space != "nb101") fail("unknown --space '" + s.space + "' (supported: nb201, nb101)");
  s.batch = int(a.get_int("batch", 128, 2, 1 << 16));
  s.seed = uint64_t(a.get_int("seed", 0, 0, (1L << 62)));
  s.augment = parse_augment(a.get("augment", "none"));
  s.net.num_classes = int(a.get_int("num-classes", 1, 1, 1 << 20));
  s.score_kind = a.get("score", "jacob_cov");
  if (s.score_kind != "jacob_cov" && s.score_kind != "hamming")
    fail("unknown --score '" + s.score_kind + "' (expected jacob_cov or hamming)");
  if (a.has("relu-sites") && s.score_kind != "hamming") fail("--relu-sites applies to --score hamming only");
  s.relu_sites = parse_relu_sites(a.get("relu-sites", "each"));
  const std::string inplace = a.get("nb101-inplace", "fixed");
  if (inplace != "fixed" && inplace != "reference")
    fail("unknown --nb101-inplace '" + inplace + "' (expected fixed or reference)");
  if (a.has("nb101-inplace") && s.space != "nb101") fail("--nb101-inplace applies to --space nb101");
  s.nb101_reference_inplace = inplace == "reference";
  const int threads = int(a.get_int("threads", 0, 0, 4096));
  s.data_dir = resolve_data_dir(a.get("data"));
  s.data = load_cifar10_train(s.data_dir);
  s.x = make_batch(s.data, s.batch, s.seed, s.augment);
  BackendOptions bo;
  bo.threads = threads;
  const std::string precision = a.get("precision", "fp32");
  if (precision != "fp32" && precision != "tf32") fail("unknown --precision '" + precision + "' (expected fp32 or tf32)");
  bo.tf32 = precision == "tf32";
  const std::string solver = a.get("sigma-solver", "auto");
  if (solver == "auto") bo.solver = SigmaSolver::Auto;
  else if (solver == "eigen") bo.solver = SigmaSolver::Eigen;
  else if (solver == "cholesky") bo.solver = SigmaSolver::Cholesky;
  else fail("unknown --sigma-solver '" + solver + "' (expected auto, eigen or cholesky)");
  if (a.has("sigma-precision") && s.score_kind != "jacob_cov")
    fail("--sigma-precision applies to --score jacob_cov only");
  const std::string sp = a.get("sigma-precision", "fp64");
  if (sp != "fp64" && sp != "fp32") fail("unknown --sigma-precision '" + sp + "' (expected fp64 or fp32)");
  s.sigma_precision = bo.sigma_precision = sp == "fp32" ? SigmaPrecision::Fp32 : SigmaPrecision::Fp64;
  const std::string be_name = a.get("backend", "auto");
  s.workers.push_back({make_backend(be_name, bo), nullptr});
  const bool gpu = s.workers[0].backend->name() == "cuda";
  if (!gpu && bo.tf32) fail("--precision tf32 needs the CUDA backend");
  // Workers: architectures in flight at once, each on its own backend instance (CUDA: its own stream).
  if (a.has("streams") && a.has("workers")) fail("--streams is the CUDA name of --workers: give one of them");
  if (a.has("streams") && !gpu)
    fail("--streams applies to the CUDA backend; on the CPU use --workers (architectures in flight) and --threads");
  const std::string wkey = a.has("streams") ? "streams" : "workers";
  const int total_threads = gpu ? 0 : threads > 0 ? threads : omp_get_max_threads();
  // CPU default 1: on 2 cores, 2 workers of 1 thread ran no faster than 1 of 2 (bench/bench_workers.sh).
  const int n_workers = int(a.get_int(wkey, gpu && parallel ? 4 : 1, 1, 64));
  if (!parallel && n_workers > 1) fail("--" + wkey + " applies to score-space");
  s.threads = total_threads;
  if (gpu) {
    for (int i = 1; i < n_workers; ++i) s.workers.push_back({make_backend("cuda", bo), nullptr});
  } else if (n_workers > 1) {
    // The threads are shared out (never fewer than one each); results do not depend on the split.
    s.workers.clear();
    for (int i = 0; i < n_workers; ++i) {
      bo.threads = std::max(1, total_threads / n_workers + (i < total_threads % n_workers ? 1 : 0));
      s.workers.push_back({make_backend("cpu", bo), nullptr});
    }
    s.workers[0].backend->bind_thread();
  }
  const std::string fused = a.get("fusion", "on");
  if (fused != "on" && fused != "off") fail("unknown --fusion '" + fused + "' (expected on or off)");
  for (auto& w : s.workers) {
    w.executor = std::make_unique<Executor>(*w.backend);
    w.executor->set_plan_options({fused == "on"});
  }
  return s;
}

ScoreRow ScoringSetup::score(const nb201::Arch& arch, const std::string& export_dir, std::vector<double>* sigma,
                             int worker) {
  const int index = nb201::index_of(arch);
  Backend& be = *workers.at(size_t(worker)).backend;
  be.range_push("build");
  const Graph g = nb201::build(arch, net);
  be.range_pop();
  return score_graph("nb201", index, nb201::to_string(arch), g, uint64_t(index), export_dir,
                     sigma, worker);
}

ScoreRow ScoringSetup::score(const nb101::Cell& cell, const std::string& export_dir, long index, int worker) {
  const std::string hash = nb101::graph_hash(cell);
  const std::string arch = hash + " " + cell.matrix_string() + " " + cell.ops_string();
  if (nb101_reference_inplace && nb101::hits_reference_inplace_bug(cell))
    return ScoreRow{index, arch, std::nan(""), "reference_nan",
                    "the reference port's in-place += on a ReLU output fails its backward pass (spec nb101 6.4)", 0, 0,
                    0};
  nb101::NetConfig cfg;
  cfg.num_classes = net.num_classes;
  // Weights keyed by the hash, so a cell gets the same weights however it was written down.
  Backend& be = *workers.at(size_t(worker)).backend;
  be.range_push("build");
  const Graph g = nb101::build(cell, cfg);
  be.range_pop();
  return score_graph("nb101", index, arch, g, std::stoull(hash.substr(0, 16), nullptr, 16),
                     export_dir, nullptr, worker);
}

ScoreRow ScoringSetup::score_nb101(long index, const std::string& export_dir, int worker) {
  return score(nb101::indexed_cells().at(size_t(index)).cell, export_dir, index, worker);
}

ScoreRow ScoringSetup::score_graph(const std::string& space_name, long index, const std::string& arch, const Graph& g,
                                   uint64_t arch_key, const std::string& export_dir, std::vector<double>* sigma,
                                   int worker) {
  Executor* executor = workers.at(size_t(worker)).executor.get();
  Backend& be = *workers.at(size_t(worker)).backend;
  be.range_push("init");
  const std::vector<float> p = init_params(g, seed, arch_key);
  be.range_pop();
  executor->capture_relu_masks(!export_dir.empty());
  ScoreRow r{index, arch, 0, "", "", 0, g.num_params(), 2.0 * forward_flops(g) * batch};
  // NB201 exports are named by index, NB101 ones by hash.
  const std::string dir = export_dir + "/" + (space_name == "nb201" ? std::to_string(index) : arch.substr(0, 32));
  ExportInfo info{space_name, r.arch, index, net.num_classes, seed, score_kind, "", 0, ""};
  std::vector<int64_t> weights(g.nodes.size());
  for (size_t v = 0; v < g.nodes.size(); ++v) weights[v] = relu_site_weight(g.nodes[v], relu_sites);
  if (score_kind == "hamming") {
    const auto t0 = std::chrono::steady_clock::now();
    const HammingResult h =
        executor->hamming_kernel(g, p, x.data(), batch, [&](const Node& n) { return relu_site_weight(n, relu_sites); });
    const HammingScore s = hamming_logdet(h.K, batch);
    r.score = s.score;
    r.status = status_name(s.status);
    r.reason = s.reason;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    info.relu_sites = relu_sites_name(relu_sites);
    info.score = r.score;
    info.status = r.status;
    if (!export_dir.empty()) write_export(dir, info, g, p, x, batch, nullptr, &h, weights);
    return r;
  }
  const bool keep_jacobian = !export_dir.empty() || sigma != nullptr;
  const NetworkScore s = score_network(*executor, g, p, x, batch, keep_jacobian);
  r.score = s.score.score;
  r.status = status_name(s.score.status);
  r.reason = s.score.reason;
  r.seconds = s.seconds;
  info.score = r.score;
  info.status = r.status;
  if (!export_dir.empty()) write_export(dir, info, g, p, x, batch, &s.jac, nullptr, weights);
  if (sigma && s.score.status == ScoreStatus::Ok)
    jacobian_correlation(s.jac.jacobian.data(), batch, s.jac.row, *sigma, nullptr, sigma_precision);
  return r;
}

RunConfig ScoringSetup::run_config() const {
  RunConfig c;
  c.identity["space"] = space;
  c.identity["score"] = score_kind;
  if (score_kind == "hamming") c.identity["relu_sites"] = relu_sites_name(relu_sites);
  c.identity["batch"] = std::to_string(batch);
  c.identity["seed"] = std::to_string(seed);
  c.identity["augment"] = augment_name(augment);
  c.identity["num_classes"] = std::to_string(net.num_classes);
  if (nb101_reference_inplace) c.identity["nb101_inplace"] = "reference";
  c.identity["engine"] = NASWOT_VERSION;
  c.identity["backend"] = backend().name();
  if (backend().device().find("tf32") != std::string::npos) c.identity["precision"] = "tf32";
  // Keys that change scores enter the identity only when not the default, so older runs still match.
  if (score_kind == "jacob_cov" && sigma_precision != SigmaPrecision::Fp64)
    c.identity["sigma_precision"] = sigma_precision_name(sigma_precision);
  std::string sums;  // which image files, by content: a run must not mix batches from different data
  for (const std::string& f : data.files)
    sums += (sums.empty() ? "" : " ") + std::filesystem::path(f).filename().string() + ":" + sha256_file(f);
  c.identity["data"] = sums;
  c.info["device"] = backend().device();
  if (threads > 0) c.info["threads"] = std::to_string(threads);
  c.info["workers"] = std::to_string(workers.size());
  return c;
}

std::string ScoringSetup::banner() const {
  char buf[700];
  const std::string kind = score_kind == "hamming" ? "hamming (relu sites: " + std::string(relu_sites_name(relu_sites)) + ")" : score_kind;
  std::snprintf(buf, sizeof buf,
                "# naswot %s | score %s | backend %s (%s) | batch %d | seed %llu | augment %s | %d images%s",
                NASWOT_VERSION, kind.c_str(), backend().name().c_str(), backend().device().c_str(), batch,
                static_cast<unsigned long long>(seed), augment_name(augment), data.n,
                workers.size() > 1 ? (" | " + std::to_string(workers.size()) + " workers").c_str() : "");
  return buf;
}

}  // namespace naswot
