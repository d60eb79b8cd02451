#!/usr/bin/env bash
# Turns a whole-space score-space database into the recorded results: rank correlations (report) and
# the search tables (replay, 500 runs) plus live best-of-N search times on this machine.
# Usage: NASWOT_DATA=... bench/search_results.sh SPACE RUN.db OUT_PREFIX   (SPACE nb201 or nats-sss;
#        writes OUT_PREFIX_report.md, _search.md)
set -euo pipefail
cd "$(dirname "$0")/.."
space=$1
db=$2
out=$3
naswot=${NASWOT:-build/naswot}
case $space in
  nb201) name="NAS-Bench-201"; budget="12,000 s" ;;
  nats-sss) name="NATS-Bench SSS"; budget="20,000 s" ;;
  *) echo "search_results.sh: SPACE is nb201 or nats-sss" >&2; exit 2 ;;
esac
machine="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
{
  echo "Command: \`naswot report $db\` on $machine, $(date -u +%Y-%m-%d)."
  echo
  "$naswot" report "$db"
} >"${out}_report.md"
{
  echo "# $name searches ($machine, $(date -u +%Y-%m-%d))"
  echo
  echo "Replay from \`$db\` (every architecture scored once), 500 runs each, \`--search-seed 0\`."
  for n in 10 100 1000; do
    echo
    echo "\`naswot search --space $space --algo best-of-n -N $n --runs 500 --scores $db\`"
    echo
    "$naswot" search --space "$space" --algo best-of-n -N "$n" --runs 500 --scores "$db" | tail -n +3
  done
  for algo in random rea; do
    echo
    echo "\`naswot search --space $space --algo $algo --runs 500\` ($budget simulated budget)"
    echo
    "$naswot" search --space "$space" --algo "$algo" --runs 500 | tail -n +2
  done
  echo
  echo "\`naswot search --space $space --algo area --m 1000 --runs 500 --scores $db\` (same budget, plus the scoring time)"
  echo
  "$naswot" search --space "$space" --algo area --m 1000 --runs 500 --scores "$db" | tail -n +2
  echo
  echo "Live search (scores computed now, batch 128, 2 threads): search time per search on this machine."
  for n in 10 100; do
    echo
    echo "\`naswot search --space $space --algo best-of-n -N $n --runs 3 --batch 128 --threads 2\`"
    echo
    "$naswot" search --space "$space" --algo best-of-n -N "$n" --runs 3 --batch 128 --threads 2 | tail -n +3
  done
} >"${out}_search.md"
cat "${out}_report.md" "${out}_search.md"
