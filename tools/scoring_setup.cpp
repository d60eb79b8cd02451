// The CLI side of scoring: the scoring options of the option table, parsed into ScoringOptions.
#include "tools/scoring_setup.h"

#include <vector>

#include "engine/error.h"

namespace naswot {

ScoringSetup make_scoring_setup(const cli::Args& a, ScoringUse use, int local_rank) {
  // Integers were range-checked by the parser (tools/cli_options.cpp). Options whose absence matters
  // (given() = "": the default, and no complaint that the option does not apply) are passed as given.
  ScoringOptions o;
  o.space = a.get("space");
  o.batch = int(a.get_int("batch"));
  o.seed = uint64_t(a.get_int("seed"));
  o.augment = a.get("augment");
  o.dataset = a.given("dataset");
  o.sampler = a.given("sampler");
  o.init = a.given("init");
  o.data = a.given("data");
  o.num_classes = int(a.get_int("num-classes"));
  o.score = a.get("score");
  o.relu_sites = a.given("relu-sites");
  o.backend = a.get("backend");
  o.threads = int(a.get_int("threads"));
  o.precision = a.given("precision");
  o.conv_kernels = a.given("conv-kernels");
  o.sigma_solver = a.given("sigma-solver");
  o.sigma_precision = a.given("sigma-precision");
  o.nb101_inplace = a.given("nb101-inplace");
  o.nb101_network = a.given("nb101-network");
  o.fusion = a.given("fusion");
  o.workers = int(a.get_int("workers"));
  o.streams = int(a.get_int("streams"));
  o.lockstep = int(a.get_int("lockstep"));
  o.devices = a.given("devices");
  o.local_rank = local_rank;
  return make_scoring_setup(o, use);
}

cli::Args scoring_args(const std::map<std::string, std::string>& options) {
  std::vector<std::string> args = {"naswot", "score"};
  for (const auto& [k, v] : options) {
    const cli::Option* o = cli::find_option(k, cli::kScore);
    if (!o || (o->commands & cli::kScoring) != cli::kScoring)
      fail("unknown option '" + k + "' (the scoring options of naswot score --help, without dashes)");
    args.push_back("--" + o->name);
    if (!o->value.empty()) args.push_back(v);
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return cli::parse(int(argv.size()), argv.data(), cli::kScore);
}

}  // namespace naswot
