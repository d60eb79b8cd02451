// score-space under mpirun: ranks split the remaining architectures, rank 0 writes the one database.
#pragma once
#include <string>
#include <vector>

#include "tools/scoring_setup.h"

namespace naswot {

// True when this process was started by mpirun/mpiexec with more than one rank (and MPI support is built).
bool mpi_launched();
// This process's rank among the ranks on its node, as the launcher says before MPI_Init
// (OMPI_COMM_WORLD_LOCAL_RANK, MPI_LOCALRANKID, PMI_LOCAL_RANK or SLURM_LOCALID); -1 when none does.
int node_local_rank_from_env();
// Runs the distributed score-space; every rank returns the same exit status.
int score_space_mpi(ScoringSetup& setup, const std::vector<int>& selection, const std::string& out);

}  // namespace naswot
