// Embedding naswot in a C++ program: one ScoringSetup (data, batch, backend and buffers, made once),
// then one call per architecture, as a NAS method's inner loop would make it.
// Usage: naswot_embed_example SPACE BATCH ARCH...   (SPACE nb201|nb101; data from $NASWOT_DATA)
// ARCH: an NB201 index or arch string, an NB101 index or hash. Prints index, arch, score (all digits),
// status and seconds per line; exit status 1 with the reason on bad input.
#include <cstdio>
#include <exception>
#include <string>

#include "tools/app/scoring.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s nb201|nb101 BATCH ARCH...\n", argv[0]);
    return 2;
  }
  try {
    naswot::ScoringOptions opt;  // the CLI's defaults: seed 0, no augmentation, backend auto, ...
    opt.space = argv[1];
    opt.batch = std::stoi(argv[2]);
    naswot::ScoringSetup scorer = naswot::make_scoring_setup(opt);
    for (int i = 3; i < argc; ++i) {
      const naswot::ScoreRow r = scorer.score_arch(argv[i]);
      std::printf("%ld\t%s\t%.17g\t%s\t%.4f\n", r.index, r.arch.c_str(), r.score, naswot::status_name(r.status),
                  r.seconds);
      if (!r.reason.empty()) std::fprintf(stderr, "# %ld: %s\n", r.index, r.reason.c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "naswot_embed_example: %s\n", e.what());
    return 1;
  }
  return 0;
}
