#!/usr/bin/env bash
# Example Slurm job: score a whole space on every GPU of several nodes, one MPI rank per GPU, into one
# resumable run database (rank 0 writes it; resubmit the same job to continue after a time limit).
#   sbatch tools/slurm_score_space.sh [SPACE=nb201] [OUT=run.db]
# Adjust the #SBATCH lines to the cluster; naswot must be built with -DNASWOT_MPI=ON and CUDA, and
# NASWOT_DATA must point to the data directory on a file system every node sees.
#SBATCH --job-name=naswot-score-space
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=4
#SBATCH --gpus-per-node=4
#SBATCH --cpus-per-task=8
#SBATCH --time=01:00:00
set -euo pipefail
space=${1:-nb201}
out=${2:-run.db}
naswot=${NASWOT_BIN:-build/naswot}
# mpirun (or srun) sets each rank's node-local rank, which picks its GPU: rank k of a node takes
# GPU k % 4. Every rank prints "# rank r of n, node-local rank k: <GPU>" to the job's stderr.
mpirun -n "${SLURM_NTASKS:-8}" "$naswot" score-space --space "$space" --backend cuda --batch 128 --seed 1 \
  --threads "${SLURM_CPUS_PER_TASK:-8}" --data "${NASWOT_DATA:?set NASWOT_DATA}" --out "$out"
"$naswot" report "$out" --data "$NASWOT_DATA"
