// The CLI side of scoring: the scoring options of the option table -> ScoringOptions -> ScoringSetup.
#pragma once
#include <map>
#include <string>

#include "tools/app/scoring.h"
#include "tools/cli_args.h"

namespace naswot {

// use: what the command scores (tools/app/scoring.h); local_rank: under MPI, this rank's place on its
// node (it picks the rank's GPU), else -1.
ScoringSetup make_scoring_setup(const cli::Args& a, ScoringUse use = ScoringUse::One, int local_rank = -1);

// Scoring options given as name -> value (names without dashes, as the option table spells them;
// flags take any value) -> the CLI's parse of `naswot score --name value ...`: the same names, range
// checks and messages as the CLI's, for the C++ and Python APIs. Options that are not scoring
// options are an error naming them.
cli::Args scoring_args(const std::map<std::string, std::string>& options);

}  // namespace naswot
