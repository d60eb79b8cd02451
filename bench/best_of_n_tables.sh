#!/usr/bin/env bash
# The papers' search table for NAS-Bench-201 from whole-space run databases: best-of-N (N = 10, 100,
# 1000; 500 runs, search seed 0) replayed from each database's scores, CIFAR-10 / CIFAR-100 /
# ImageNet16-120 accuracies of the chosen architectures, one table. Markdown on stdout.
# Usage: NASWOT_DATA=... bench/best_of_n_tables.sh LABEL=RUN.db [LABEL=RUN.db ...]   (NASWOT=build/naswot)
set -euo pipefail
cd "$(dirname "$0")/.."
naswot=${NASWOT:-build/naswot}
[ $# -ge 1 ] || { echo "usage: bench/best_of_n_tables.sh LABEL=RUN.db ..." >&2; exit 2; }
echo "| scores | N | CIFAR-10 val | CIFAR-10 test | CIFAR-100 val | CIFAR-100 test | ImageNet16-120 val | ImageNet16-120 test |"
echo "|---|---|---|---|---|---|---|---|"
optimal=
for arg in "$@"; do
  label=${arg%%=*} db=${arg#*=}
  for n in 10 100 1000; do
    out=$("$naswot" search --space nb201 --algo best-of-n -N "$n" --runs 500 --scores "$db")
    # The method's row: drop its name and search-time columns; keep the six accuracies.
    echo "$out" | awk -F'|' -v l="$label" -v n="$n" '/^\| NASWOT/ {
      printf "| %s | %s |", l, n; for (i = 4; i <= 9; ++i) printf "%s|", $i; printf "\n" }'
    optimal=$(echo "$out" | awk -F'|' '/^\| Optimal/ {s = ""; for (i = 4; i <= 9; ++i) s = s $i "|"; print s}')
  done
done
echo "| optimal (the space's best) | – |$optimal"
