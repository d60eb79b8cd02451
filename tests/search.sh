#!/usr/bin/env bash
# search: a replay from a run database chooses exactly what the live search chose.
set -euo pipefail
naswot=$1
data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for algo in best-of-n area; do
  args=(--space nb201 --algo "$algo" -N 12 --m 12 --population 4 --evals 20 --runs 4 --search-seed 3 --data "$data"
    --print-choices)
  "$naswot" search "${args[@]}" --batch 16 --seed 2 --record "$tmp/live-$algo.db" >"$tmp/live.md" 2>"$tmp/live.txt"
  "$naswot" search "${args[@]}" --scores "$tmp/live-$algo.db" >"$tmp/replay.md" 2>"$tmp/replay.txt"
  cmp -s <(grep '^run' "$tmp/live.txt") <(grep '^run' "$tmp/replay.txt") || {
    echo "FAIL: $algo replay chose differently"; diff "$tmp/live.txt" "$tmp/replay.txt"; exit 1; }
  cmp -s <(grep -E '^\| (NASWOT|AREA)' "$tmp/live.md") <(grep -E '^\| (NASWOT|AREA)' "$tmp/replay.md") || {
    echo "FAIL: $algo tables differ"; exit 1; }
  echo "ok: $algo replay = live ($(grep -c '^run' "$tmp/live.txt") runs)"
done
msg=$("$naswot" search --algo best-of-n -N 5 --runs 1 --scores "$tmp/live-area.db" --search-seed 99 --data "$data" 2>&1 || true)
grep -q "is not in" <<<"$msg" || { echo "FAIL: replay of a missing architecture must be an error: $msg"; exit 1; }
echo "ok: replaying an architecture the database lacks is an error"
