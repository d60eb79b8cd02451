// What every scoring command shares: options, data, batch, backend, run identity, and scoring one arch.
#pragma once
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "engine/cifar.h"
#include "engine/executor.h"
#include "engine/score_hamming.h"
#include "engine/scorer.h"
#include "engine/store.h"
#include "searchspaces/nb101.h"
#include "searchspaces/nb101_index.h"
#include "searchspaces/nb201.h"
#include "tools/cli_args.h"

namespace naswot {

// Options accepted by every command that scores networks.
const std::set<std::string>& scoring_options();

struct ScoringSetup {
  nb201::NetConfig net;
  int batch = 128;
  uint64_t seed = 0;
  Augment augment = Augment::None;
  std::string data_dir;
  ImageSet data;
  std::vector<float> x;  // the batch every architecture is scored on
  // One backend + executor per worker: each has its own arena (on a GPU also its own stream and
  // handles), so --workers architectures are in flight at once (score(..., worker) is safe per
  // worker, on a thread that called its backend's bind_thread()).
  int threads = 0;  // CPU: OpenMP threads shared out over the workers (0 on CUDA)
  struct Worker {
    std::unique_ptr<Backend> backend;
    std::unique_ptr<Executor> executor;
  };
  std::vector<Worker> workers;
  Backend& backend() const { return *workers[0].backend; }

  std::string score_kind = "jacob_cov";  // or "hamming"
  SigmaPrecision sigma_precision = SigmaPrecision::Fp64;  // --sigma-precision (jacob_cov)
  ReluSites relu_sites = ReluSites::Each;

  // Scores one architecture; with export_dir, also writes the oracle export to export_dir/<index>/.
  ScoreRow score(const nb201::Arch& arch, const std::string& export_dir = "", std::vector<double>* sigma = nullptr,
                 int worker = 0);
  // NB101 (scoring configuration: stem 16, --num-classes outputs); arch column = "hash matrix ops".
  ScoreRow score(const nb101::Cell& cell, const std::string& export_dir = "", long index = -1, int worker = 0);
  ScoreRow score_nb101(long index, const std::string& export_dir = "", int worker = 0);
  // Architecture `index` of this setup's space (score-space).
  ScoreRow score_index(long index, int worker = 0) {
    return space == "nb101" ? score_nb101(index, "", worker) : score(nb201::from_index(int(index)), "", nullptr, worker);
  }
  // --nb101-inplace reference: mark the cells the reference port cannot score (spec §6.4) with
  // status reference_nan and score NaN instead of scoring them (default: fixed, score every cell).
  bool nb101_reference_inplace = false;
  ScoreRow score_graph(const std::string& space, long index, const std::string& arch, const Graph& g,
                       uint64_t arch_key, const std::string& export_dir, std::vector<double>* sigma, int worker = 0);
  std::string space = "nb201";
  RunConfig run_config() const;  // checksums the data files
  std::string banner() const;
};

// parallel: the command can keep several architectures in flight (--workers, score-space).
ScoringSetup make_scoring_setup(const cli::Args& a, bool parallel = false);

}  // namespace naswot
