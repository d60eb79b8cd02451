// The CLI's option table and the per-command help made from it (tools/cli_options.h).
#include "tools/cli_options.h"

#include <sstream>

#include "tools/app/scoring.h"

namespace naswot::cli {
namespace {

constexpr long kSeedMax = 1L << 62;

Option text(std::string name, std::string value, std::string dflt, unsigned cmds, std::string help,
            std::vector<std::string> aliases = {}) {
  return {std::move(name), std::move(aliases), std::move(value), std::move(dflt), false, 0, 0, cmds, std::move(help)};
}
Option integer(std::string name, std::string value, std::string dflt, long lo, long hi, unsigned cmds,
               std::string help) {
  return {std::move(name), {}, std::move(value), std::move(dflt), true, lo, hi, cmds, std::move(help)};
}
Option flag(std::string name, unsigned cmds, std::string help) {
  return {std::move(name), {}, "", "", false, 0, 0, cmds, std::move(help)};
}

}  // namespace

const std::vector<Option>& options() {
  const ScoringOptions d;  // the C++ API's defaults are the CLI's
  static const std::vector<Option> o = {
      // What is scored, and on what.
      text("space", "NAME", d.space, kScoring | kCells,
           "search space: nb201 (NAS-Bench-201), nb101 (NAS-Bench-101, NASWOT's scoring network: stem 16) "
           "or nats-sss (NATS-Bench's size space); cells: nb101 only"),
      text("arch", "SPEC", "", kScore,
           "architectures (repeatable): an index, a range A-B, 'all', an NB201 arch string, an NB101 graph "
           "hash, SSS channels such as 8:16:24:32:64, or a comma-separated list of these"),
      text("matrix", "ROWS", "", kScore, "nb101: a cell's adjacency matrix, rows of 0/1 joined by '/' (with --ops)"),
      text("ops", "OPS", "", kScore, "nb101: the cell's comma-separated ops, with or without input/output"),
      text("dataset", "D", "cifar10", kScoring,
           "whose training images the networks see: cifar10, cifar100 or imagenet16 (16x16 images); search: "
           "also the accuracies searched for; nb101 is CIFAR-10 only"),
      text("data", "DIR", "$NASWOT_DATA", kScoring | kReport, "data directory (cifar10/data_batch_*.bin, tables)"),
      integer("batch", "B", std::to_string(d.batch), 2, 1 << 16, kScoring, "minibatch size: Sigma_J and K_H are B x B"),
      integer("seed", "S", std::to_string(d.seed), 0, kSeedMax, kScoring,
              "seeds the weights and the batch; the same seed gives an architecture the same weights whatever "
              "else is scored"),
      text("augment", "MODE", d.augment, kScoring,
           "none: plain normalised images; flip-crop: random flip + padded random crop per image (v1 code); "
           "augment-one: B flip-cropped copies of one image"),
      text("sampler", "M", "seed", kScoring,
           "seed: --batch images drawn by --seed; reference-v2: the official v2.0 code's batch (needs the "
           "full training set and --augment none)"),
      text("init", "M", "naswot", kScoring,
           "naswot: weights from counter-based streams keyed by (seed, arch, layer); reference-v2 (nb201): "
           "PyTorch's CPU generator replayed, the v2.0 code's weights bit for bit"),
      integer("num-classes", "N", std::to_string(d.num_classes), 1, 1 << 20, kScoring,
              "outputs of the classifier (1, as the reference scores; the proxies: the dataset's classes when 1)"),
      text("score", "KIND", d.score, kScoring,
           "jacob_cov (v1, Sigma_J), hamming (v2, log|K_H|), or a zero-cost proxy: grad_norm, snip, fisher, grasp "
           "(gradients of the cross-entropy), synflow, ntk, zen, jacob_cov_zc (zero-cost-nas's jacob_cov), params, "
           "flops "
           "(docs/proxies.md); several joined by commas are computed in one pass and stored per row"),
      text("relu-sites", "M", "each", kScoring,
           "hamming only: each (every ReLU module once) or reference (ReLUs in ReLU-Conv-BN blocks twice, "
           "as the official v2 code's hooks)"),
      text("nb101-inplace", "M", "fixed", kScoring,
           "nb101: fixed (score every cell) or reference (the cells the reference port cannot score get "
           "score NaN, status reference_nan)"),
      text("nb101-network", "M", "naswot", kScoring,
           "nb101: naswot (NASWOT's scoring network: stem 16, the port's He-normal weights) or zero-cost (the "
           "benchmark's network as zero-cost-nas builds it: stem 128, PyTorch's default initialisation)"),
      // How it is computed.
      text("backend", "NAME", d.backend, kScoring, "cpu, cuda or auto (the GPU when usable)"),
      integer("threads", "N", std::to_string(d.threads), 0, 4096, kScoring, "CPU threads in all (0: all cores)"),
      integer("workers", "N", "", 1, 64, kScoring,
              "score-space and live search: architectures in flight at once, each with its own memory (cpu: threads "
              "shared out, default 1; "
              "cuda: one stream each, default 4); scores do not depend on N"),
      integer("streams", "N", "", 1, 64, kScoring, "cuda: the same as --workers"),
      integer("lockstep", "N", std::to_string(d.lockstep), 1, 64, kScoring,
              "score-space (also under mpirun) and live search, jacob_cov and hamming: each worker advances N "
              "architectures together, neighbours in the space's lockstep order, one launch per op for all of them "
              "(more memory per worker; the same scores)"),
      text("devices", "LIST", "0", kScoring,
           "cuda: the GPUs to use, 'all' or numbers such as 0,1 (workers round-robin over them; default 4 "
           "workers each); under mpirun each rank takes one: its node-local rank modulo the list (default all)"),
      text("precision", "P", "fp32", kScoring,
           "cuda: fp32 (FMA convolutions), tf32 (tensor cores) or 3xtf32 (with --conv-kernels naswot: the "
           "stride-1 convolutions on the tensor cores as three TF32 products, float32's accuracy; sm_80 and "
           "later, else fp32)"),
      text("conv-kernels", "K", "cudnn", kScoring,
           "cuda: cudnn (legacy calls), cudnn-graph (cuDNN's graph API, execution plans cached per shape) "
           "or, in fp32, naswot (batched kernels for the spaces' convolutions: one launch per --lockstep step; "
           "naswot-gather: its general kernel on every stride-1 shape, a benchmark baseline with the same bits); the "
           "last "
           "three are run keys"),
      text("sigma-solver", "S", "auto", kScoring,
           "cuda: auto (Cholesky of Sigma_J + kI, the spectrum when that fails), cholesky or eigen; the CPU "
           "always uses the spectrum"),
      text("sigma-precision", "P", "fp64", kScoring,
           "jacob_cov: fp64 (Sigma_J = A A^T in float64) or fp32 (A and the product in float32, float64 "
           "solver); changes scores (a run key)"),
      text("fusion", "X", "on", kScoring,
           "on: fused sums and BN + ReLU (and, on naswot's GPU convolutions, ReLUs applied as they load, "
           "batch norms' statistics summed as they store and their gradients computed as they load); off: "
           "every op on its own (the same bits; for benchmarks)"),
      // Where results go.
      text("export", "DIR", "", kScore,
           "also write weights, input batch, Jacobian and score of every architecture to DIR/<index>/"),
      text("dump-sigma", "DIR", "", kScore,
           "write Sigma_J of every non-degenerate architecture to DIR/<index>.sigma.f64"),
      text("out", "FILE", "", kScoreSpace | kMerge | kExport | kCells,
           "score-space: the run database (rerun the same command to resume); merge: the merged database; "
           "export, cells: the output file (default stdout)",
           {"o"}),
      // score-space selection.
      text("indices", "SPEC", "", kScoreSpace, "score only these indices (as --arch)"),
      integer("sample", "K", "", 1, kSeedMax, kScoreSpace, "score a uniform sample of K architectures drawn by --seed"),
      integer("sample-seed", "S", "", 0, kSeedMax, kScoreSpace, "draw --sample with S instead of --seed"),
      text("shard", "i/n", "", kScoreSpace, "score every n-th architecture of the selection, starting at the i-th"),
      // export, report.
      flag("csv", kExport, "CSV output (the only format; accepted for compatibility)"),
      text("benchmark", "NAME", "", kReport, "the benchmark to join: the run's space (nb201, nb101, nats-sss)"),
      text("by", "SCORE", "", kReport | kSearch,
           "a run of several scores (--score a,b,...): the one to rank by (default the first; report: also "
           "mean_rank with --ensemble)"),
      text("published", "FILE.csv", "", kReport,
           "report of a run of several scores: published Spearman rho beside each score (CSV: "
           "score,space,dataset,spearman,source; docs/published_correlations.csv)"),
      text("ensemble", "A,B,...", "", kReport,
           "report: add the mean-rank ensemble of these stored scores (each architecture's mean rank under them)"),
      // search.
      text("algo", "A", "best-of-n", kSearch,
           "best-of-n (the paper's NASWOT), random, rea (regularised evolution) or area (REA from the --m "
           "best-scored)"),
      integer("N", "N", "100", 1, kSeedMax, kSearch, "best-of-n: architectures scored per run"),
      integer("runs", "R", "10", 1, 1000000, kSearch, "independent searches"),
      integer("search-seed", "S", "0", 0, kSeedMax, kSearch, "varies the runs"),
      text("scores", "RUN.db", "", kSearch, "replay the scores of a score-space run instead of scoring live"),
      text("record", "RUN.db", "", kSearch, "keep the live scores in a run database"),
      integer("evals", "E", "0", 0, 1L << 40, kSearch, "budget: E evaluations (0: the --budget-seconds budget)"),
      integer("budget-seconds", "S", "space's", 1, 1L << 40, kSearch,
              "budget: seconds of simulated training (NB201 12000, NATS-Bench SSS 20000, NB101 1000000)"),
      integer("population", "P", "space's", 1, 100000, kSearch, "REA's population (NB201, SSS 10; NB101 50)"),
      integer("tournament", "T", "space's", 1, 100000, kSearch, "REA's tournament size (NB201, SSS 3; NB101 10)"),
      integer("m", "M", "1000", 1, kSeedMax, kSearch, "area: architectures scored before REA starts"),
      text("max-latency", "DEV=MS", "", kSearch,
           "nb201: only architectures whose measured latency on every DEVICE is within MS (e.g. pixel3=20)"),
      text("max-params", "M", "", kSearch, "only architectures with at most M million parameters"),
      flag("print-choices", kSearch, "print each run's chosen architecture to stderr"),
      text("format", "F", "md", kReport | kSearch,
           "md (Markdown tables), json (one object: title, facts, notes, tables as lists of rows) or csv "
           "(the tables; mean ± std columns as two)"),
  };
  return o;
}

const std::vector<CommandInfo>& commands() {
  static const std::vector<CommandInfo> c = {
      {"score", kScore, "score --space nb201 --arch SPEC [--arch SPEC ...] [options]",
       "Scores architectures and prints one tab-separated line each: index arch score status params seconds.", false},
      {"score-space", kScoreSpace,
       "score-space --space nb201 --out RUN.db [--shard i/n] [--indices SPEC | --sample K] [options]",
       "Scores the whole space (or a selection) into an SQLite database, one committed row per architecture; "
       "rerun the same command to resume, a different configuration is refused.",
       false},
      {"merge", kMerge, "merge A.db B.db ... --out ALL.db", "Joins shard databases of one configuration.", true},
      {"export", kExport, "export RUN.db [--out FILE.csv]",
       "Writes a run as CSV: index, arch, score, status, seconds, reason (a run of several scores: then each further "
       "score, its status and reason).",
       true},
      {"report", kReport, "report RUN.db [RUN2.db ...] [--benchmark NAME] [--data DIR]",
       "Kendall tau / Spearman rho against the benchmark's accuracies, top-k tables; a run of several scores: "
       "each score's tau and rho, their agreement, a mean-rank ensemble; several runs: each run's tau and rho, "
       "their spread, and the agreement between runs.",
       true},
      {"search", kSearch, "search --space nb201 --algo best-of-n|random|rea|area [-N 100] [--runs 10] [options]",
       "Runs independent searches on live or replayed scores and prints the chosen architectures' benchmark "
       "accuracies (mean ± std) and the space's optimum.",
       false},
      {"cells", kCells, "cells --space nb101 [--out FILE.tsv]",
       "Enumerates all 423,624 NAS-Bench-101 cells, canonical, by hash.", false},
  };
  return c;
}

const CommandInfo* find_command(const std::string& name) {
  for (const CommandInfo& c : commands())
    if (c.name == name) return &c;
  return nullptr;
}

const Option* find_option(const std::string& spelling, Command cmd) {
  for (const Option& o : options()) {
    if (!(o.commands & cmd)) continue;
    if (o.name == spelling) return &o;
    for (const std::string& a : o.aliases)
      if (a == spelling) return &o;
  }
  return nullptr;
}

std::string command_help(const CommandInfo& c) {
  std::ostringstream s;
  s << "Usage: naswot " << c.usage << "\n\n" << c.summary << "\n\nOptions:\n";
  for (const Option& o : options()) {
    if (!(o.commands & c.bit)) continue;
    std::string head = "  " + std::string(o.name.size() == 1 ? "-" : "--") + o.name;
    for (const std::string& a : o.aliases) head += ", " + std::string(a.size() == 1 ? "-" : "--") + a;
    if (!o.value.empty()) head += " " + o.value;
    std::string tail = o.help;
    if (!o.dflt.empty()) tail += " (default " + o.dflt + ")";
    if (o.integer && o.lo > 0 && o.hi < (1L << 40))
      tail += " [" + std::to_string(o.lo) + ", " + std::to_string(o.hi) + "]";
    // Wrapped at 100 columns, continuation lines under the help's first column.
    const size_t col = 24;
    s << head;
    size_t at = head.size();
    if (at + 1 >= col) s << "\n", at = 0;
    s << std::string(col - at, ' ');
    at = col;
    std::istringstream words(tail);
    std::string w;
    bool first = true;
    while (words >> w) {
      if (!first && at + 1 + w.size() > 100) s << "\n" << std::string(col, ' '), at = col, first = true;
      if (!first) s << ' ', ++at;
      s << w;
      at += w.size();
      first = false;
    }
    s << "\n";
  }
  s << "  -h, --help            this help\n";
  return s.str();
}

}  // namespace naswot::cli
