// naswot command-line interface: score NAS-Bench-201 architectures without training.
#include <cstdio>
#include <string>

#include "engine/backend.h"
#include "engine/error.h"
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
  naswot merge A.db B.db ... -o ALL.db
  naswot export RUN.db --csv [-o FILE.csv]
  naswot report RUN.db [RUN2.db ...] [--benchmark nb201|nb101|nats-sss] [--data DIR]
  naswot search --space nb201|nb101|nats-sss --algo best-of-n|random|rea|area [-N 100] [--runs 500]
                [--scores RUN.db | scoring options] [--evals E | --budget-seconds S]
  naswot cells --space nb101 [-o FILE.tsv]   all 423,624 NAS-Bench-101 cells, canonical, by hash
  naswot devices
  naswot --help | --version

SPEC is a benchmark index (0..15624), an index range (20-29), 'all', an arch
string such as '|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|',
or a comma-separated list of these. With --space nb101: an index (0..423623, ascending
graph hash), a range, 'all' or a 32-digit graph hash; or give cells as
--matrix 0111010/0000001/... --ops conv3x3,maxpool3x3,... pairs.

Options of 'score' and 'score-space':
  --space NAME      search space: nb201 (NAS-Bench-201), nb101 (NAS-Bench-101, NASWOT's
                    scoring network: stem 16, 1 output) or nats-sss (NATS-Bench's size space,
                    SPEC: an index 0..32767 or channels such as 8:16:24:32:64)
  --dataset D       whose training images the networks see: cifar10 (default), cifar100
                    (DIR/cifar100/train.bin) or imagenet16 (ImageNet16-120, 16x16 images:
                    DIR/imagenet16/train_120.bin from tools/convert_imagenet16.py); nb201 and
                    nats-sss (NB101 is CIFAR-10 only)
  --nb101-inplace M fixed (default: score every cell) or reference (the 20,052 cells the
                    reference port cannot score get score NaN, status reference_nan)
  --batch B         minibatch size, i.e. Sigma is B x B (default 128)
  --seed S          seeds the weights and the batch (default 0); the same seed gives
                    the same weights for an architecture whatever else is scored
  --augment MODE    none (default): plain normalised images
                    flip-crop: random flip + 4-pixel padded random crop per image (v1 code;
                    ImageNet16-120: 2-pixel padding)
                    augment-one: B flip-cropped copies of one image
  --sampler M       seed (default): --batch images drawn by --seed from the training batches
                    present; reference-v2: the official v2.0 code's batch (score_networks.py
                    --trainval): NB201's 25k CIFAR-10 train split in the order of
                    torch.manual_seed(--seed) and randperm (the published runs: --seed 1); needs
                    the full training set and --augment none. CIFAR-100 uses the same split
                    (the v2.0 code's substring test), ImageNet16-120 all 151,700 images
  --init M          naswot (default): weights from counter-based streams keyed by (seed, arch,
                    layer); reference-v2 (nb201): PyTorch's CPU generator replayed, so the
                    weights are bit for bit those the v2.0 code builds with torch.manual_seed(--seed)
                    (index 0 from the fresh seed, every other index after a batch draw)
  --data DIR        data directory holding cifar10/data_batch_*.bin (default $NASWOT_DATA)
  --num-classes N   outputs of the classifier (default 1, as the reference scores)
  --score KIND      jacob_cov (default, v1) or hamming (v2, log|K_H|)
  --relu-sites M    hamming only: each (default: every ReLU module once) or reference
                    (as the official v2 code's hooks: ReLUs in ReLU-Conv-BN blocks twice)
  --backend NAME    cpu, cuda or auto (default auto: the GPU when usable)
  --threads N       CPU threads in all (default: all cores)
  --precision P     cuda: fp32 (default; FMA convolutions) or tf32 (tensor cores)
  --workers N       score-space and live search: architectures in flight at once, each
                    with its own memory (cpu: the threads are shared out, default 1; cuda:
                    each on its own stream, default 4); scores do not depend on N
  --streams N       cuda: the same as --workers
  --sigma-solver S  cuda: auto (default: Cholesky of Sigma_J + kI, spectrum when that
                    fails), cholesky or eigen (cuSOLVER syevd); the CPU always uses the spectrum
  --sigma-precision P  fp64 (default): Sigma_J = A A^T in float64 over the centred, unit-norm
                    rows A of J; fp32: A rounded to float32 and the product in float32 (SSYRK),
                    then float64 for the solver. Either backend; changes scores (a run key)
  --fusion X        on (default): an Add's batch-norm and pool terms write straight into its
                    buffer and share its gradient, a batch norm computes the ReLU behind it;
                    off: every op on its own (the same bits; for benchmarks)
  --export DIR      also write weights, input batch, Jacobian and score of every
                    architecture to DIR/<index>/ (format in README, used by the PyTorch oracle)
  --dump-sigma DIR  (score) write Sigma_J of every non-degenerate architecture to
                    DIR/<index>.sigma.f64 (B x B float64, row-major)

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

search runs --runs independent searches and prints a Markdown table of the chosen
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
