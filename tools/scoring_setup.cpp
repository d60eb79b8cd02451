// Builds the shared scoring state from command-line options.
#include "tools/scoring_setup.h"

#include <omp.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "engine/error.h"
#include "engine/export.h"
#include "engine/init.h"
#include "engine/sha256.h"

namespace naswot {

const std::set<std::string>& scoring_options() {
  static const std::set<std::string> o = {"space",       "batch",   "seed",    "augment", "data",
                                          "num-classes", "backend", "threads", "score",   "relu-sites"};
  return o;
}

ScoringSetup make_scoring_setup(const cli::Args& a) {
  ScoringSetup s;
  const std::string space = a.get("space", "nb201");
  if (space != "nb201") fail("unknown --space '" + space + "' (supported: nb201)");
  s.batch = int(a.get_int("batch", 128, 2, 1 << 16));
  s.seed = uint64_t(a.get_int("seed", 0, 0, (1L << 62)));
  s.augment = parse_augment(a.get("augment", "none"));
  s.net.num_classes = int(a.get_int("num-classes", 1, 1, 1 << 20));
  s.score_kind = a.get("score", "jacob_cov");
  if (s.score_kind != "jacob_cov" && s.score_kind != "hamming")
    fail("unknown --score '" + s.score_kind + "' (expected jacob_cov or hamming)");
  if (a.has("relu-sites") && s.score_kind != "hamming") fail("--relu-sites applies to --score hamming only");
  s.relu_sites = parse_relu_sites(a.get("relu-sites", "each"));
  const int threads = int(a.get_int("threads", 0, 0, 4096));
  s.data_dir = resolve_data_dir(a.get("data"));
  s.data = load_cifar10_train(s.data_dir);
  s.x = make_batch(s.data, s.batch, s.seed, s.augment);
  s.backend = make_backend(a.get("backend", "auto"), threads);
  s.executor = std::make_unique<Executor>(*s.backend);
  return s;
}

ScoreRow ScoringSetup::score(const nb201::Arch& arch, const std::string& export_dir, std::vector<double>* sigma) {
  const int index = nb201::index_of(arch);
  const Graph g = nb201::build(arch, net);
  const std::vector<float> p = init_params(g, seed, uint64_t(index));
  executor->capture_relu_masks(!export_dir.empty());
  ScoreRow r{index, nb201::to_string(arch), 0, "", "", 0};
  ExportInfo info{"nb201", r.arch, index, net.num_classes, seed, score_kind, "", 0, ""};
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
    if (!export_dir.empty())
      write_export(export_dir + "/" + std::to_string(index), info, g, p, x, batch, nullptr, &h, weights);
    return r;
  }
  const NetworkScore s = score_network(*executor, g, p, x, batch);
  r.score = s.score.score;
  r.status = status_name(s.score.status);
  r.reason = s.score.reason;
  r.seconds = s.seconds;
  info.score = r.score;
  info.status = r.status;
  if (!export_dir.empty())
    write_export(export_dir + "/" + std::to_string(index), info, g, p, x, batch, &s.jac, nullptr, weights);
  if (sigma && s.score.status == ScoreStatus::Ok)
    jacobian_correlation(s.jac.jacobian.data(), batch, s.jac.row, *sigma, nullptr);
  return r;
}

RunConfig ScoringSetup::run_config() const {
  RunConfig c;
  c.identity["space"] = "nb201";
  c.identity["score"] = score_kind;
  if (score_kind == "hamming") c.identity["relu_sites"] = relu_sites_name(relu_sites);
  c.identity["batch"] = std::to_string(batch);
  c.identity["seed"] = std::to_string(seed);
  c.identity["augment"] = augment_name(augment);
  c.identity["num_classes"] = std::to_string(net.num_classes);
  c.identity["engine"] = NASWOT_VERSION;
  c.identity["backend"] = backend->name();
  std::string sums;  // which image files, by content: a run must not mix batches from different data
  for (const std::string& f : data.files)
    sums += (sums.empty() ? "" : " ") + std::filesystem::path(f).filename().string() + ":" + sha256_file(f);
  c.identity["data"] = sums;
  c.info["device"] = backend->device();
  c.info["threads"] = std::to_string(omp_get_max_threads());
  return c;
}

std::string ScoringSetup::banner() const {
  char buf[600];
  const std::string kind = score_kind == "hamming" ? "hamming (relu sites: " + std::string(relu_sites_name(relu_sites)) + ")" : score_kind;
  std::snprintf(buf, sizeof buf,
                "# naswot %s | score %s | backend %s (%s) | batch %d | seed %llu | augment %s | %d images",
                NASWOT_VERSION, kind.c_str(), backend->name().c_str(), backend->device().c_str(), batch,
                static_cast<unsigned long long>(seed), augment_name(augment), data.n);
  return buf;
}

}  // namespace naswot
