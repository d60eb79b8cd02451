// The CLI side of scoring: the options every scoring command accepts, parsed into ScoringOptions.
#include "tools/scoring_setup.h"

namespace naswot {

const std::set<std::string>& scoring_options() {
  static const std::set<std::string> o = {"space",         "batch",   "seed",    "augment",      "data",
                                          "num-classes",   "backend", "threads", "score",        "relu-sites",
                                          "precision",     "streams", "workers", "sigma-solver", "sigma-precision",
                                          "nb101-inplace", "fusion",  "sampler", "init",         "dataset"};
  return o;
}

ScoringSetup make_scoring_setup(const cli::Args& a, bool parallel) {
  ScoringOptions o;  // ranges and integer syntax are checked here, with the flag's name
  o.space = a.get("space", o.space);
  o.batch = int(a.get_int("batch", o.batch, 2, 1 << 16));
  o.seed = uint64_t(a.get_int("seed", 0, 0, (1L << 62)));
  o.augment = a.get("augment", o.augment);
  o.dataset = a.get("dataset");
  o.sampler = a.get("sampler");
  o.init = a.get("init");
  o.data = a.get("data");
  o.num_classes = int(a.get_int("num-classes", o.num_classes, 1, 1 << 20));
  o.score = a.get("score", o.score);
  o.relu_sites = a.get("relu-sites");
  o.backend = a.get("backend", o.backend);
  o.threads = int(a.get_int("threads", 0, 0, 4096));
  o.precision = a.get("precision");
  o.sigma_solver = a.get("sigma-solver");
  o.sigma_precision = a.get("sigma-precision");
  o.nb101_inplace = a.get("nb101-inplace");
  o.fusion = a.get("fusion");
  o.workers = int(a.get_int("workers", 0, 1, 64));
  o.streams = int(a.get_int("streams", 0, 1, 64));
  return make_scoring_setup(o, parallel);
}

}  // namespace naswot
