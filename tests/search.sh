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
for case in "nb201 best-of-n" "nb201 area" "nb101 best-of-n" "nb101 area" "nats-sss area"; do
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
msg=$("$naswot" search --space nats-sss --algo best-of-n -N 5 --runs 1 --scores "$tmp/live-nb201-area.db" --data "$data" 2>&1 || true)
grep -q "holds nb201 scores" <<<"$msg" || { echo "FAIL: replaying another space's scores must be an error: $msg"; exit 1; }
echo "ok: replaying another space's database is an error"
out=$("$naswot" search --space nb101 --algo rea --evals 30 --runs 3 --data "$data")
grep -qE '^\| REA \| [0-9.]+ ± [0-9.]+ \| [0-9.]+ ± [0-9.]+ \|$' <<<"$out" || { echo "FAIL: NB101 REA table: $out"; exit 1; }
grep -q "fitness test_acc_108_single_run" <<<"$out" || { echo "FAIL: NB101 fitness not stated"; exit 1; }
# --format json / csv: the Markdown table's numbers, mean and std apart, for scripts.
for f in json csv; do "$naswot" search --space nb101 --algo rea --evals 30 --runs 3 --data "$data" --format $f >"$tmp/rea.$f"; done
/usr/bin/python3 - "$tmp/rea.json" "$tmp/rea.csv" "$out" <<'PY'
import csv, json, re, sys
rows = json.load(open(sys.argv[1]))["tables"]["search"]
md = re.search(r"^\| REA \| ([0-9.]+) ± ([0-9.]+) \| ([0-9.]+) ± ([0-9.]+) \|$", sys.argv[3], re.M).groups()
rea, opt = rows
assert rea["Method"] == "REA" and opt["Method"] == "Optimal" and opt["Search (s) mean"] is None, rows
got = [rea["Search (s) mean"], rea["Search (s) std"]] + [v for k, v in rea.items() if k.startswith("CIFAR-10")]
assert all(abs(g - float(m)) <= 0.005 for g, m in zip(got, md)), (got, md)
c = list(csv.DictReader(open(sys.argv[2])))
assert [r["Method"] for r in c] == ["REA", "Optimal"] and c[1]["Search (s) mean"] == "", c
assert abs(float(c[0]["Search (s) mean"]) - rea["Search (s) mean"]) < 1e-3 * rea["Search (s) mean"], (c, rea)
print("ok: search --format json and csv carry the Markdown table's numbers")
PY
echo "ok: NB101 REA table"

# --max-latency (and --max-params): every choice (random, REA, live best-of-n, AREA) satisfies every bound,
# looked up in the tables by Python; the optimum row is the feasible set's; bad bounds are errors.
lat="$data/nb201/nb201_latency_ms.csv"
for algo in random rea best-of-n area; do
  params=0  # random and AREA also under --max-params (both bounds at once)
  case $algo in random | area) params=0.6 ;; esac
  extra=()
  [ "$params" = 0 ] || extra=(--max-params "$params")
  "$naswot" search --space nb201 --algo "$algo" -N 6 --m 8 --population 4 --evals 25 --runs 4 --batch 16 \
    --max-latency pixel3=12,gold_6240=7.5 "${extra[@]}" --print-choices --data "$data" >"$tmp/lat.md" 2>"$tmp/lat.txt"
  /usr/bin/python3 - "$lat" "$tmp/lat.txt" "$tmp/lat.md" "$data/nb201/nb201_accuracy.csv" "$params" <<'PY'
import csv, re, sys
lat = {int(r["index"]): r for r in csv.DictReader(open(sys.argv[1]))}
acc_rows = {int(r["index"]): r for r in csv.DictReader(open(sys.argv[4]))}
max_params = float(sys.argv[5])
ok = lambda i: (float(lat[i]["lat_pixel3"]) <= 12 and float(lat[i]["lat_gold_6240"]) <= 7.5 and
                (max_params == 0 or float(acc_rows[i]["params_m_c10"]) <= max_params))
chosen = [int(m) for m in re.findall(r"^run \d+: chose (\d+)", open(sys.argv[2]).read(), re.M)]
assert len(chosen) == 4 and all(ok(i) for i in chosen), ("infeasible choice", chosen)
md = open(sys.argv[3]).read()
n = sum(ok(i) for i in lat)
assert f": {n} of 15625 architectures" in md, md
acc = {i: float(r["c10_test_200"]) for i, r in acc_rows.items()}
best = max(acc[i] for i in lat if ok(i))
row = [c.strip() for c in re.search(r"^\| Optimal \|(.*)$", md, re.M).group(1).split("|")]
costs = 3 if max_params else 2  # latency columns (and params) have no optimum
assert row[2] == f"{best:.2f}" and row[-costs - 1:-1] == ["–"] * costs, (row, best)
assert "Latency lat_pixel3 (ms)" in md and "Latency lat_gold_6240 (ms)" in md
assert ("Params (M)" in md) == bool(max_params)
PY
  echo "ok: $algo under --max-latency${extra[*]:+ ${extra[*]}} chooses feasible architectures only"
done
for bad in "pixel9=5" "pixel3" "pixel3=-1" "pixel3=0.001"; do
  msg=$("$naswot" search --algo random --evals 5 --runs 1 --max-latency "$bad" --data "$data" 2>&1 || true)
  grep -qE "unknown device|expects DEVICE=MS|not a positive number|no NAS-Bench-201 architecture satisfies" <<<"$msg" ||
    { echo "FAIL: --max-latency $bad: $msg"; exit 1; }
done
msg=$("$naswot" search --algo best-of-n -N 500 --runs 1 --max-latency pixel3=0.005 --data "$data" 2>&1 || true)
grep -q "exceeds the" <<<"$msg" || { echo "FAIL: -N beyond the feasible set: $msg"; exit 1; }
msg=$("$naswot" search --space nb101 --algo random --evals 5 --max-latency pixel3=10 --data "$data" 2>&1 || true)
grep -q "NAS-Bench-201 only" <<<"$msg" || { echo "FAIL: NB101 --max-latency: $msg"; exit 1; }
echo "ok: --max-latency errors"

# --max-params on NATS-Bench SSS: REA's choices within the bound (params_c10 counted by Python).
"$naswot" search --space nats-sss --algo rea --evals 30 --runs 4 --max-params 0.15 --print-choices --data "$data" \
  >"$tmp/p.md" 2>"$tmp/p.txt"
/usr/bin/python3 - "$data/nats_sss/nats_sss_accuracy.csv" "$tmp/p.txt" "$tmp/p.md" <<'PY'
import csv, re, sys
rows = {int(r["index"]): r for r in csv.DictReader(open(sys.argv[1]))}
ok = lambda i: int(rows[i]["params_c10"]) <= 150000
chosen = [int(m) for m in re.findall(r"^run \d+: chose (\d+)", open(sys.argv[2]).read(), re.M)]
assert len(chosen) == 4 and all(ok(i) for i in chosen), ("too large", chosen)
md = open(sys.argv[3]).read()
assert f"params_c10 <= 0.15 M: {sum(ok(i) for i in rows)} of 32768 architectures" in md, md
best = max(float(rows[i]["test_acc_90ep_c10"]) for i in rows if ok(i))
assert re.search(r"^\| Optimal \| – \| " + re.escape(f"{best:.2f}") + " ", md, re.M), md
PY
echo "ok: NATS-Bench SSS REA under --max-params chooses networks within the bound"
