// naswot command-line interface: score NAS-Bench-201 architectures without training.
#include <cstdio>
#include <iostream>
#include <string>

#include "engine/backend.h"
#include "engine/cifar.h"
#include "engine/error.h"
#include "engine/export.h"
#include "engine/init.h"
#include "engine/scorer.h"
#include "searchspaces/nb201.h"
#include "tools/cli_args.h"

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

Usage:
  naswot score --space nb201 --arch SPEC [--arch SPEC ...] [options]
  naswot devices
  naswot --help | --version

SPEC is a benchmark index (0..15624), an index range (20-29), 'all', an arch
string such as '|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|',
or a comma-separated list of these.

Options of 'score':
  --space NAME      search space: nb201 (NAS-Bench-201, CIFAR-10 networks)
  --batch B         minibatch size, i.e. Sigma is B x B (default 128)
  --seed S          seeds the weights and the batch (default 0); the same seed gives
                    the same weights for an architecture whatever else is scored
  --augment MODE    none (default): plain normalised images
                    flip-crop: random flip + 4-pixel padded random crop per image (v1 code)
                    augment-one: B flip-cropped copies of one image
  --data DIR        data directory holding cifar10/data_batch_*.bin (default $NASWOT_DATA)
  --num-classes N   outputs of the classifier (default 1, as the reference scores)
  --backend NAME    cpu, cuda or auto (default auto: the GPU when usable)
  --threads N       CPU threads (default: all cores)
  --export DIR      also write weights, input batch, Jacobian and score of every
                    architecture to DIR/<index>/ (format in README, used by the PyTorch oracle)

Output: one tab-separated line per architecture:
  index  arch  score  status  params  seconds
)";

int cmd_score(int argc, char** argv) {
  const cli::Args a = cli::parse(argc, argv, 2,
                                 {"space", "arch", "batch", "seed", "augment", "data", "num-classes", "backend",
                                  "threads", "export"},
                                 {});
  const std::string space = a.get("space", "nb201");
  if (space != "nb201") fail("unknown --space '" + space + "' (supported: nb201)");
  const std::vector<std::string> specs = cli::expand_arch_list(a.all("arch"), nb201::kNumArchs);
  if (specs.empty()) fail("no architecture given: use --arch INDEX|RANGE|ARCH_STRING|all");
  const int batch = int(a.get_int("batch", 128, 2, 1 << 16));
  const uint64_t seed = uint64_t(a.get_int("seed", 0, 0, (1L << 62)));
  const Augment aug = parse_augment(a.get("augment", "none"));
  nb201::NetConfig cfg;
  cfg.num_classes = int(a.get_int("num-classes", 1, 1, 1 << 20));
  const int threads = int(a.get_int("threads", 0, 0, 4096));
  const std::string export_dir = a.get("export");

  // Resolve every architecture before any work, so a typo fails fast.
  std::vector<nb201::Arch> archs;
  for (const std::string& s : specs) archs.push_back(nb201::resolve(s));

  const ImageSet data = load_cifar10_train(resolve_data_dir(a.get("data")));
  const std::vector<float> x = make_batch(data, batch, seed, aug);
  auto backend = make_backend(a.get("backend", "auto"), threads);
  Executor ex(*backend);
  ex.capture_relu_masks(!export_dir.empty());
  std::fprintf(stderr, "# naswot %s | backend %s (%s) | batch %d | seed %llu | augment %s | %d images\n",
               NASWOT_VERSION, backend->name().c_str(), backend->device().c_str(), batch,
               static_cast<unsigned long long>(seed), augment_name(aug), data.n);
  std::printf("index\tarch\tscore\tstatus\tparams\tseconds\n");
  for (const nb201::Arch& arch : archs) {
    const int index = nb201::index_of(arch);
    const Graph g = nb201::build(arch, cfg);
    const std::vector<float> params = init_params(g, seed, uint64_t(index));
    const NetworkScore s = score_network(ex, g, params, x, batch);
    std::printf("%d\t%s\t%.6f\t%s\t%zu\t%.3f\n", index, nb201::to_string(arch).c_str(), s.score.score,
                status_name(s.score.status), g.num_params(), s.seconds);
    std::fflush(stdout);
    if (s.score.status != ScoreStatus::Ok)
      std::fprintf(stderr, "# index %d degenerate: %s\n", index, s.score.reason.c_str());
    if (!export_dir.empty()) {
      ExportInfo info{"nb201", nb201::to_string(arch), index, cfg.num_classes, seed};
      write_export(export_dir + "/" + std::to_string(index), info, g, params, x, batch, s);
    }
  }
  return 0;
}

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
    if (cmd == "devices") {
      std::printf("cpu: %s\ncuda: %s\n", make_cpu_backend(0)->device().c_str(), describe_cuda_devices().c_str());
      return 0;
    }
    fail("unknown command '" + cmd + "' (commands: score, devices; see naswot --help)");
  } catch (const Error& e) {
    std::fprintf(stderr, "naswot: error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "naswot: internal error: %s\n", e.what());
    return 3;
  }
}
