// The CLI side of scoring: the scoring options of the option table -> ScoringOptions -> ScoringSetup.
#pragma once
#include "tools/app/scoring.h"
#include "tools/cli_args.h"

namespace naswot {

// parallel: the command can keep several architectures in flight (--workers, score-space);
// local_rank: under MPI, this rank's place on its node (it picks the rank's GPU), else -1.
ScoringSetup make_scoring_setup(const cli::Args& a, bool parallel = false, int local_rank = -1);

}  // namespace naswot
