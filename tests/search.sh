#!/usr/bin/env bash
# search: a replay from a run database chooses exactly what the live search chose.
set -euo pipefail
trap 'echo "FAIL: a command failed at line $LINENO"' ERR
naswot=$1
data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
scores() {  # index, full-precision score and status of every row of a run database
  /usr/bin/python3 -c 'import sqlite3, sys
for r in sqlite3.connect(sys.argv[1]).execute("select idx, score, status from scores order by idx"): print(r[0], repr(r[1]), r[2])' "$1"
}
for case in "nb201 best-of-n" "nb201 area" "nb101 best-of-n" "nb101 area"; do
  read -r space algo <<<"$case"
  args=(--space "$space" --algo "$algo" -N 12 --m 12 --population 4 --evals 20 --runs 4 --search-seed 3 --data "$data"
    --print-choices)
  "$naswot" search "${args[@]}" --batch 16 --seed 2 --record "$tmp/live-$space-$algo.db" >"$tmp/live.md" 2>"$tmp/live.txt"
  "$naswot" search "${args[@]}" --scores "$tmp/live-$space-$algo.db" >"$tmp/replay.md" 2>"$tmp/replay.txt"
  cmp -s <(grep '^run' "$tmp/live.txt") <(grep '^run' "$tmp/replay.txt") || {
    echo "FAIL: $algo replay chose differently"; diff "$tmp/live.txt" "$tmp/replay.txt"; exit 1; }
  cmp -s <(grep -E '^\| (NASWOT|AREA)' "$tmp/live.md") <(grep -E '^\| (NASWOT|AREA)' "$tmp/replay.md") || {
    echo "FAIL: $algo tables differ"; exit 1; }
  echo "ok: $space $algo replay = live ($(grep -c '^run' "$tmp/live.txt") runs)"
  # Candidates scored by 3 workers at once: the same choices and the same recorded scores.
  "$naswot" search "${args[@]}" --batch 16 --seed 2 --workers 3 --record "$tmp/w3.db" >/dev/null 2>"$tmp/w3.txt"
  cmp -s <(grep '^run' "$tmp/live.txt") <(grep '^run' "$tmp/w3.txt") || {
    echo "FAIL: $algo with 3 workers chose differently"; diff "$tmp/live.txt" "$tmp/w3.txt"; exit 1; }
  cmp -s <(scores "$tmp/live-$space-$algo.db") <(scores "$tmp/w3.db") || { echo "FAIL: $algo scores differ with 3 workers"; exit 1; }
  rm -f "$tmp/w3.db"*
  echo "ok: $space $algo with 3 workers = 1 worker"
done
msg=$("$naswot" search --algo best-of-n -N 5 --runs 1 --scores "$tmp/live-nb201-area.db" --search-seed 99 --data "$data" 2>&1 || true)
grep -q "is not in" <<<"$msg" || { echo "FAIL: replay of a missing architecture must be an error: $msg"; exit 1; }
echo "ok: replaying an architecture the database lacks is an error"
out=$("$naswot" search --space nb101 --algo rea --evals 30 --runs 3 --data "$data")
grep -qE '^\| REA \| [0-9.]+ ± [0-9.]+ \| [0-9.]+ ± [0-9.]+ \|$' <<<"$out" || { echo "FAIL: NB101 REA table: $out"; exit 1; }
grep -q "fitness test_acc_108_single_run" <<<"$out" || { echo "FAIL: NB101 fitness not stated"; exit 1; }
echo "ok: NB101 REA table"
