// naswot command-line interface: score NAS-Bench-201 architectures without training.
#include <cstdio>
#include <string>

#include "engine/backend.h"
#include "engine/error.h"
#include "tools/cli_options.h"
#include "tools/commands.h"

using namespace naswot;

namespace {

const char* kHelp = R"(naswot - neural architecture search without training

Scores untrained networks by how their input Jacobians correlate over a minibatch
(Mellor et al., "Neural Architecture Search without Training", v1 score):
  J      = d(sum_b y_b)/dx for a batch x of B images (batch-norm in training mode)
  Sigma  = correlation matrix of the B rows of J
  score  = -sum_i [ ln(l_i + k) + 1/(l_i + k) ],  l_i = eigenvalues of Sigma, k = 1e-5
Higher is better. An architecture whose output does not depend on its input
(e.g. NAS-Bench-201 index 10) is reported with status 'degenerate' and score -inf.

With --score hamming, the later version of the method (forward pass only):
  K_H[a][b] = sum over ReLU units of [unit on for input a] == [unit on for input b]
  score     = ln det K_H (float64 Cholesky; singular K_H -> 'degenerate', -inf)

Usage:
  naswot score --space nb201 --arch SPEC [--arch SPEC ...] [options]
  naswot score-space --space nb201 --out RUN.db [--shard i/n] [--indices SPEC | --sample K [--sample-seed S]]
                     [options]
  naswot merge A.db B.db ... --out ALL.db
  naswot export RUN.db [--out FILE.csv]
  naswot report RUN.db [RUN2.db ...] [--benchmark nb201|nb101|nats-sss] [--data DIR]
  naswot search --space nb201|nb101|nats-sss --algo best-of-n|random|rea|area [-N 100] [--runs 500]
                [--scores RUN.db | scoring options] [--evals E | --budget-seconds S]
  naswot cells --space nb101 [--out FILE.tsv]   all 423,624 NAS-Bench-101 cells, canonical, by hash
  naswot devices
  naswot --help | --version

SPEC is a benchmark index (0..15624), an index range (20-29), 'all', an arch
string such as '|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|',
or a comma-separated list of these. With --space nb101: an index (0..423623, ascending
graph hash), a range, 'all' or a 32-digit graph hash; or give cells as
--matrix 0111010/0000001/... --ops conv3x3,maxpool3x3,... pairs.

Every command's options, their defaults and ranges: naswot COMMAND --help.

score prints one tab-separated line per architecture:
  index  arch  score  status  params  seconds

score-space scores the whole space (or --indices SPEC, or a uniform --sample K drawn
by --seed, or by --sample-seed S to keep one sample across seeds; then every n-th of
those with --shard i/n) into an SQLite database, one
committed row per architecture. Kill it at any time and rerun the same command: it
continues where it stopped; a finished run does nothing; a different configuration
(batch, seed, augment, data files, ...) for the same file is refused. Progress goes
to stderr. merge joins shard databases of one configuration; export writes CSV;
report prints Kendall tau / Spearman rho against every accuracy column of the run's
benchmark and top-k accuracies (from --data: nb201/nb201_accuracy.csv by index, or
nb101/nb101_accuracy.csv by hash). Given several runs of one space (other seeds, batches,
augmentations or datasets), report prints each run's tau and rho against the test accuracy of
the dataset it scored on, their mean and standard deviation over the runs, and the Kendall tau
between every two runs' scores over the architectures both scored.

search runs --runs independent searches and prints a table (--format md|json|csv) of the chosen
architectures' benchmark accuracies (mean ± std) and the space's optimum:
  best-of-n  score N random architectures, keep the best by score (the paper's NASWOT)
  random     random search, best by the 12-epoch validation accuracy (--dataset)
  rea        regularised evolution (--population 10, --tournament 3; NB101: 50, 10)
  area       score --m 1000 random architectures, start REA from the top --population
Scores are computed live (scoring options above; --record DB keeps them) on the images of
--dataset (cifar10, cifar100 or imagenet16: also the accuracies searched for), or replayed
from a score-space database (--scores RUN.db): same choices, in seconds; a database scored
on another dataset's images is used as it is and the output says so. Budgets:
--evals E, or --budget-seconds S (default 12000) of simulated training, where an
architecture costs its 12-epoch training + validation time when the table has them
(*_time_12, tables made by tools/convert_nb201.py), else 120 s x its FLOPs / the
average FLOPs (an assumption). NB101: fitness val_acc_108_single_run where every
cell has it, else test_acc_108_single_run, default budget 1e6 s, time = training_time_108 when every
cell has one (tools/convert_nb101.py), else a line in FLOPs fitted to it.
NATS-Bench SSS: fitness val_acc_12ep_* and time time_12ep_* (converted tables),
else the 90-epoch test accuracy and the FLOPs model; default budget 20000 s.
--search-seed varies the runs. --max-latency DEVICE=MS[,...] (NB201): search only the
architectures whose measured latency (nb201/nb201_latency_ms.csv, e.g. pixel3,
gold_6240, titan_rtx_256) is within every bound. --max-params M: only architectures
with at most M million parameters (every space; NB101 needs trainable_params for all).
)";

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd.empty() || cmd == "--help" || cmd == "-h" || cmd == "help") {
      std::fputs(kHelp, cmd.empty() ? stderr : stdout);
      return cmd.empty() ? 2 : 0;
    }
    if (cmd == "--version") {
      std::printf("naswot %s\n", NASWOT_VERSION);
      return 0;
    }
    if (const cli::CommandInfo* c = cli::find_command(cmd))
      for (int i = 2; i < argc; ++i)
        if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
          std::fputs(cli::command_help(*c).c_str(), stdout);
          return 0;
        }
    if (cmd == "score") return cmd_score(argc, argv);
    if (cmd == "score-space") return cmd_score_space(argc, argv);
    if (cmd == "merge") return cmd_merge(argc, argv);
    if (cmd == "export") return cmd_export(argc, argv);
    if (cmd == "report") return cmd_report(argc, argv);
    if (cmd == "search") return cmd_search(argc, argv);
    if (cmd == "cells") return cmd_cells(argc, argv);
    if (cmd == "devices") {
      std::printf("cpu: %s\ncuda: %s\n", make_cpu_backend(0)->device().c_str(), describe_cuda_devices().c_str());
      return 0;
    }
    fail("unknown command '" + cmd +
         "' (commands: score, score-space, merge, export, report, search, cells, devices; see naswot --help)");
  } catch (const Error& e) {
    std::fprintf(stderr, "naswot: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "naswot: internal error: %s\n", e.what());
    return 3;
  }
}
