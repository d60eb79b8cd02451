// Scoring architectures of the supported spaces: options, data, batch, backends, and one call per
// architecture. The CLI (tools/) parses its flags into ScoringOptions; programs that embed naswot use
// this header directly (README, "C++ API"; tools/embed_example.cpp).
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "engine/executor.h"
#include "engine/io/images.h"
#include "engine/io/store.h"
#include "engine/lockstep.h"
#include "engine/proxies.h"
#include "engine/reference_rng.h"
#include "engine/score_hamming.h"
#include "engine/scorer.h"
#include "searchspaces/nats_sss.h"
#include "searchspaces/nb101.h"
#include "searchspaces/nb101_index.h"
#include "searchspaces/nb201.h"
#include "searchspaces/space.h"

namespace naswot {

// Every field mirrors the CLI option of the same name (naswot --help); an empty string means "not
// given": the default, and no complaint that the option does not apply.
struct ScoringOptions {
  std::string space = "nb201";   // nb201 | nb101 | nats-sss
  int batch = 128;               // images per minibatch (>= 2)
  uint64_t seed = 0;             // batch and weights
  std::string augment = "none";  // none | flip-crop | augment-one
  std::string dataset;           // cifar10 (default) | cifar100 | imagenet16: whose training images
  std::string sampler;           // seed (default) | reference-v2: the v2.0 reference's batch
  std::string init;              // naswot (default) | reference-v2: the v2.0 reference's NB201 weights
  std::string data;              // data directory; "" = $NASWOT_DATA, else ../shared/data
  int num_classes = 1;
  std::string score = "jacob_cov";  // jacob_cov | hamming | proxies, one or several joined by commas
  std::string relu_sites;           // hamming: each (default) | reference
  std::string backend = "auto";     // cpu | cuda | auto
  int threads = 0;                  // CPU threads in all (0 = every core)
  std::string precision;            // cuda: fp32 (default) | tf32 | 3xtf32
  std::string conv_kernels;         // cuda: cudnn (default) | cudnn-graph | naswot | naswot-gather
  std::string sigma_solver;         // cuda: auto (default) | cholesky | eigen
  std::string sigma_precision;      // jacob_cov: fp64 (default) | fp32
  std::string nb101_inplace;        // nb101: fixed (default) | reference
  std::string nb101_network;        // nb101: naswot (default: stem 16) | zero-cost (the suites' stem 128)
  std::string fusion;               // on (default) | off
  int workers = 0;                  // architectures in flight (0 = the default: 1, or 4 on a GPU for ScoringUse::Many)
  int streams = 0;                  // the CUDA spelling of workers (give one of the two)
  int lockstep = 1;                 // architectures each worker advances together (engine/lockstep.h)
  std::string devices;              // cuda: "0,2" or "all": workers spread over these GPUs ("" = GPU 0)
  int local_rank = -1;              // under MPI: this rank's place on its node, which picks its GPU
};

// The scoring state of one configuration: the batch, and per worker a backend and an executor.
struct ScoringSetup {
  NetShape net;
  int batch = 128;
  uint64_t seed = 0;
  Augment augment = Augment::None;
  Dataset dataset = Dataset::Cifar10;
  std::string data_dir;
  ImageSet data;
  std::vector<float> x;            // the batch every architecture is scored on
  std::vector<int> images;         // its training-set image indices, in batch order
  std::vector<int> labels;         // their classes (the proxies' cross-entropy)
  ZenInputs zen_batches;           // --score zen: its two input batches, the same for every architecture
  bool reference_sampler = false;  // --sampler reference-v2
  // --init reference-v2: the generator states the reference builds its first and later networks from.
  std::optional<TorchGenerator> torch_first, torch_later;
  int threads = 0;  // CPU: OpenMP threads shared out over the workers (0 on CUDA)
  // One backend + executor per worker: each has its own arena (on a GPU also its own stream and
  // handles), so --workers architectures are in flight at once: score(..., worker) is safe for
  // different workers at once, each driven by one thread that called bind(worker) first.
  struct Worker {
    std::unique_ptr<Backend> backend;
    std::unique_ptr<Executor> executor;
    std::unique_ptr<Lockstep> lockstep;  // lockstep > 1
  };
  std::vector<Worker> workers;
  Backend& backend() const { return *workers[0].backend; }
  // Call on a thread before it scores with `worker` (OpenMP thread count or CUDA device of that thread).
  void bind(int worker) { workers.at(size_t(worker)).backend->bind_thread(); }

  // --lockstep: score_many gives each worker this many indices at a time, scored together (jacob_cov, hamming).
  int lockstep = 1;
  ConvKernels conv_kernels = ConvKernels::Cudnn;            // --conv-kernels (cuda)
  ScoreKind score_kind = ScoreKind::JacobCov;               // the first of score_kinds
  std::vector<ScoreKind> score_kinds{ScoreKind::JacobCov};  // --score a,b,...: every row holds each, in order
  SigmaPrecision sigma_precision = SigmaPrecision::Fp64;    // --sigma-precision (jacob_cov)
  SigmaSolver sigma_solver = SigmaSolver::Auto;             // --sigma-solver (cuda)
  ReluSites relu_sites = ReluSites::Each;

  // Architecture `index` of this setup's space (out of range throws naswot::Error); with export_dir,
  // also writes the oracle export to export_dir/<name>/; with sigma, keeps Sigma_J there (jacob_cov).
  ScoreRow score_index(long index, int worker = 0, const std::string& export_dir = "",
                       std::vector<double>* sigma = nullptr);
  // One architecture of this setup's space as the CLI's --arch takes it (an index, an NB201 arch
  // string, an NB101 hash, SSS channels). Malformed or out-of-range specs throw naswot::Error.
  ScoreRow score_arch(const std::string& spec, int worker = 0);
  // The index in this setup's space of such a spec; throws naswot::Error saying why there is none.
  long index_of(const std::string& spec) const { return space->resolve(spec); }
  // NB101: any valid cell (index -1, as the CLI prints it), e.g. as the CLI's --matrix/--ops take it
  // (rows of 0/1 joined by '/'; comma-joined op names, with or without input/output).
  ScoreRow score(const nb101::Cell& cell, const std::string& export_dir = "", int worker = 0);
  ScoreRow score_cell(const std::string& matrix, const std::string& ops, int worker = 0);
  // Several indices scored together on one worker (engine/lockstep.h; jacob_cov, hamming): the rows score_index
  // gives each, except `seconds`, which is the group's time shared out equally. A group whose arena does
  // not fit in memory is scored in halves (the same rows; split_groups() counts them); one network
  // alone that does not fit is the out-of-memory error.
  std::vector<ScoreRow> score_together(const std::vector<long>& indices, int worker = 0);
  long split_groups() const { return *split_groups_; }
  // Every index of `indices` over all workers, one thread each (the caller's thread drives worker 0),
  // `lockstep` at a time per worker (neighbours in the space's lockstep order: Space::lockstep_key);
  // done(k, row) runs for indices[k] under a lock, in completion order. The first error (of scoring
  // or of done) stops the other workers and is rethrown once they have stopped. When *stop becomes
  // true, workers take no further index and score_many returns once those in flight are done.
  void score_many(const std::vector<long>& indices, const std::function<void(size_t k, const ScoreRow&)>& done,
                  const std::atomic<bool>* stop = nullptr);
  // --nb101-inplace reference: mark the cells the reference port cannot score (docs/nb101.md) with
  // status reference_nan and score NaN instead of scoring them (default: fixed, score every cell).
  bool nb101_reference_inplace = false;
  const Space* space = &space_of(SpaceId::Nb201);
  RunConfig run_config() const;  // checksums the data files
  std::string banner() const;

 private:
  std::vector<float> weights(const Graph& g, long index, uint64_t arch_key) const;
  // Whether the backend draws the weights where they live (Ops::draw_weights; the same bits as
  // weights()): when every score needs only the forward or input-gradient pass, no export wants the
  // values and they come from naswot's streams.
  bool backend_draws_weights(const std::string& export_dir) const;
  // Range check, then the row of an index the reference cannot score (--nb101-inplace reference), or none.
  std::optional<ScoreRow> reference_nan_row(long index) const;
  ScoreRow with_more_nan(ScoreRow r) const;  // a reference_nan row: every further score NaN too
  // A row before scoring: the network's size (parameters, FLOPs of the batch), status ok.
  ScoreRow new_row(long index, const std::string& arch, const Graph& g) const;
  ScoreRow score_graph(long index, const std::string& arch, const Graph& g, uint64_t arch_key,
                       const std::string& export_name, const std::string& export_dir, std::vector<double>* sigma,
                       int worker);
  std::vector<ScoreRow> score_group(const std::vector<long>& indices, int worker);  // score_together, once
  std::unique_ptr<std::atomic<long>> split_groups_ = std::make_unique<std::atomic<long>>(0);
};

// --devices: "all" (every CUDA device) or a comma-separated list of distinct ordinals below count.
std::vector<int> parse_devices(const std::string& spec, int count);
// The GPU of an MPI rank: its node-local rank modulo the devices it may use (ranks share GPUs when a
// node has more ranks than GPUs).
int device_for_local_rank(int local_rank, const std::vector<int>& devices);

// What the caller scores with a setup: one architecture at a time (score, cells, the APIs' single
// calls); many through score_many (score-space, live search, the Python API's score_many: workers and
// --lockstep); or, as an MPI rank, many through score_many on one worker (the ranks are the workers).
enum class ScoringUse { One, Many, Rank };

// Validates the options (naswot::Error names the offending option), loads the data, draws the
// batch and makes the backends.
ScoringSetup make_scoring_setup(const ScoringOptions& o, ScoringUse use = ScoringUse::One);

}  // namespace naswot
