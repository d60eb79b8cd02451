// The CLI side of scoring: which options every scoring command accepts, and flags -> ScoringOptions.
#pragma once
#include <set>
#include <string>

#include "tools/app/scoring.h"
#include "tools/cli_args.h"

namespace naswot {

// Options accepted by every command that scores networks.
const std::set<std::string>& scoring_options();

// parallel: the command can keep several architectures in flight (--workers, score-space).
ScoringSetup make_scoring_setup(const cli::Args& a, bool parallel = false);

}  // namespace naswot
