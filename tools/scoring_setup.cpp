// Builds the shared scoring state from command-line options.
#include "tools/scoring_setup.h"

#include <omp.h>

#include <cstdio>
#include <filesystem>

#include "engine/error.h"
#include "engine/init.h"
#include "engine/sha256.h"

namespace naswot {

const std::set<std::string>& scoring_options() {
  static const std::set<std::string> o = {"space", "batch", "seed", "augment", "data", "num-classes", "backend",
                                          "threads"};
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
  const int threads = int(a.get_int("threads", 0, 0, 4096));
  s.data_dir = resolve_data_dir(a.get("data"));
  s.data = load_cifar10_train(s.data_dir);
  s.x = make_batch(s.data, s.batch, s.seed, s.augment);
  s.backend = make_backend(a.get("backend", "auto"), threads);
  s.executor = std::make_unique<Executor>(*s.backend);
  return s;
}

ScoreRow ScoringSetup::score(const nb201::Arch& arch, NetworkScore* full, Graph* graph, std::vector<float>* params) {
  const int index = nb201::index_of(arch);
  Graph g = nb201::build(arch, net);
  std::vector<float> p = init_params(g, seed, uint64_t(index));
  NetworkScore s = score_network(*executor, g, p, x, batch);
  ScoreRow r{index, nb201::to_string(arch), s.score.score, status_name(s.score.status), s.score.reason, s.seconds};
  if (full) *full = std::move(s);
  if (graph) *graph = std::move(g);
  if (params) *params = std::move(p);
  return r;
}

RunConfig ScoringSetup::run_config() const {
  RunConfig c;
  c.identity["space"] = "nb201";
  c.identity["score"] = "jacob_cov";
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
  char buf[512];
  std::snprintf(buf, sizeof buf, "# naswot %s | backend %s (%s) | batch %d | seed %llu | augment %s | %d images",
                NASWOT_VERSION, backend->name().c_str(), backend->device().c_str(), batch,
                static_cast<unsigned long long>(seed), augment_name(augment), data.n);
  return buf;
}

}  // namespace naswot
