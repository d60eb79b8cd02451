#!/usr/bin/env bash
# mpirun -n 2 score-space: gathers into one database equal to the single-process run (also with
# --lockstep), and resumes.
set -euo pipefail
naswot=$1
data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # CI runs as root
mpirun=(mpirun -n 2 --oversubscribe)
opts=(--space nb201 --sample 24 --seed 9 --batch 16 --threads 1 --data "$data")
scores() { "$naswot" export "$1" --csv | cut -d, -f1-4; }
"$naswot" score-space "${opts[@]}" --out "$tmp/single.db" 2>/dev/null
"${mpirun[@]}" "$naswot" score-space "${opts[@]}" --out "$tmp/mpi.db" 2>"$tmp/log"
grep -q "on 2 ranks" "$tmp/log" || { echo "FAIL: not distributed"; cat "$tmp/log"; exit 1; }
# Each rank reports its node-local rank (what picks its GPU under CUDA): 0 and 1 on this one node.
for r in 0 1; do
  grep -q "^# rank $r of 2, node-local rank $r: " "$tmp/log" || { echo "FAIL: rank $r's placement"; cat "$tmp/log"; exit 1; }
done
echo "ok: 2 ranks on one node are node-local ranks 0 and 1"
cmp -s <(scores "$tmp/single.db") <(scores "$tmp/mpi.db") || { echo "FAIL: 2-rank run differs from single"; exit 1; }
echo "ok: 2 ranks gathered into one database equal to the single-process run"
# --lockstep under MPI: each rank scores runs of neighbours in the space's lockstep order together.
"${mpirun[@]}" "$naswot" score-space "${opts[@]}" --lockstep 4 --out "$tmp/mpi_ls.db" 2>/dev/null
cmp -s <(scores "$tmp/single.db") <(scores "$tmp/mpi_ls.db") || { echo "FAIL: 2-rank --lockstep 4 differs"; exit 1; }
echo "ok: 2 ranks with --lockstep 4 equal the single-process run"
# Resume under MPI: a partial run (8 of the sample's indices) completed by a second mpirun.
first8=$(scores "$tmp/single.db" | tail -n +2 | head -8 | cut -d, -f1 | paste -sd,)
"${mpirun[@]}" "$naswot" score-space --space nb201 --indices "$first8" --seed 9 --batch 16 --threads 1 \
  --data "$data" --out "$tmp/resume.db" 2>/dev/null
"${mpirun[@]}" "$naswot" score-space "${opts[@]}" --out "$tmp/resume.db" 2>"$tmp/log2"
grep -q "8 already stored, 16 to score" "$tmp/log2" || { echo "FAIL: did not resume"; cat "$tmp/log2"; exit 1; }
cmp -s <(scores "$tmp/single.db") <(scores "$tmp/resume.db") || { echo "FAIL: resumed MPI run differs"; exit 1; }
echo "ok: an MPI run resumes where the previous one stopped"
# A run of several scores: every score and status travels from the ranks (all but the time column).
multi=(--space nb201 --sample 6 --seed 9 --batch 8 --threads 1 --data "$data" --score snip,synflow,zen,params)
all_scores() { "$naswot" export "$1" | cut -d, -f1-4,6-; }
"$naswot" score-space "${multi[@]}" --out "$tmp/multi1.db" 2>/dev/null
"${mpirun[@]}" "$naswot" score-space "${multi[@]}" --out "$tmp/multi2.db" 2>/dev/null
[ "$(all_scores "$tmp/multi1.db" | head -1 | tr ',' '\n' | grep -c _status)" = 3 ] || { echo "FAIL: export columns"; exit 1; }
cmp -s <(all_scores "$tmp/multi1.db") <(all_scores "$tmp/multi2.db") || { echo "FAIL: MPI run of several scores differs"; exit 1; }
echo "ok: an MPI run of several scores equals the single-process run, every score"
