// score-space under mpirun: ranks split the remaining architectures, rank 0 writes the one database.
#pragma once
#include <string>
#include <vector>

#include "tools/scoring_setup.h"

namespace naswot {

// True when this process was started by mpirun/mpiexec with more than one rank (and MPI support is built).
bool mpi_launched();
// Runs the distributed score-space; every rank returns the same exit status.
int score_space_mpi(ScoringSetup& setup, const std::vector<int>& selection, const std::string& out);

}  // namespace naswot
