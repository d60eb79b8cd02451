#!/usr/bin/env bash
# score-space guarantees: SIGKILL at random points + rerun = uninterrupted run; shards merged = single run;
# a finished run is a no-op; mismatched configurations and foreign files are refused untouched.
set -u
naswot=$1
data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() {  # check "<what>" <command...>: the command must succeed
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
opts=(--space nb201 --sample 40 --seed 5 --batch 16 --data "$data" --threads 2)
scores() { "$naswot" export "$1" --csv | cut -d, -f1-4; }  # seconds differ between runs; scores must not

"$naswot" score-space "${opts[@]}" --out "$tmp/ref.db" 2>/dev/null || { echo "FAIL: reference run"; exit 1; }
scores "$tmp/ref.db" >"$tmp/ref.csv"
check "reference run stored 40 architectures" test "$(($(wc -l <"$tmp/ref.csv") - 1))" -eq 40

# Kill -9 at random moments (RANDOM is seeded for reproducibility), then finish.
RANDOM=42
prev=0
for k in 1 2 3 4; do
  "$naswot" score-space "${opts[@]}" --out "$tmp/kill.db" 2>/dev/null &
  pid=$!
  sleep "0.$((RANDOM % 9 + 1))"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  n=$(("$(scores "$tmp/kill.db" 2>/dev/null | wc -l)" - 1))
  echo "  after kill $k: $n rows stored"
  [ "$n" -ge "$prev" ] || { echo "FAIL: rows went from $prev to $n"; fails=$((fails + 1)); }
  prev=$n
done
"$naswot" score-space "${opts[@]}" --out "$tmp/kill.db" 2>/dev/null
scores "$tmp/kill.db" >"$tmp/kill.csv"
check "killed-and-resumed run equals the uninterrupted run" cmp -s "$tmp/ref.csv" "$tmp/kill.csv"

# Ctrl-C (SIGINT) once some rows are stored: the run stops between architectures, says how far it got
# and that a rerun continues, and exits 130; the rerun completes it with the uninterrupted run's scores.
rows() { /usr/bin/python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from scores').fetchone()[0])" "$1" 2>/dev/null || echo 0; }
"$naswot" score-space "${opts[@]}" --workers 2 --out "$tmp/int.db" 2>"$tmp/int.log" &
pid=$!
for _ in $(seq 600); do [ "$(rows "$tmp/int.db")" -ge 2 ] && break; sleep 0.05; done
kill -INT "$pid"
wait "$pid"
rc=$?
stored=$(rows "$tmp/int.db")
check "SIGINT exits 130" test "$rc" -eq 130
check "SIGINT says how far it got and how to continue" \
  grep -qE "^# interrupted: [0-9]+ of 40 scored now, $stored architectures stored in .*int.db; rerun the same command to continue" "$tmp/int.log"
check "SIGINT stops before the end" test "$stored" -lt 40
"$naswot" score-space "${opts[@]}" --out "$tmp/int.db" 2>/dev/null
check "the interrupted run, rerun, equals the uninterrupted run" cmp -s "$tmp/ref.csv" <(scores "$tmp/int.db")

msg=$("$naswot" score-space "${opts[@]}" --out "$tmp/ref.db" 2>&1)
check "rerunning a finished run scores nothing" grep -q "0 to score" <<<"$msg"

msg=$("$naswot" score-space "${opts[@]}" --workers 3 --out "$tmp/w3.db" 2>&1)
check "3 workers say so" grep -q "| 3 workers" <<<"$msg"
check "3 workers (CPU threads shared out) equal the single-worker run" cmp -s "$tmp/ref.csv" <(scores "$tmp/w3.db")

# --lockstep: architectures scored together, the same bits as one at a time (40 = 5 groups of 7 and one of 5).
"$naswot" score-space "${opts[@]}" --lockstep 7 --out "$tmp/ls7.db" 2>/dev/null
check "--lockstep 7 equals one architecture at a time" cmp -s "$tmp/ref.csv" <(scores "$tmp/ls7.db")
"$naswot" score-space "${opts[@]}" --lockstep 4 --workers 2 --out "$tmp/ls4w2.db" 2>/dev/null
check "--lockstep 4 over 2 workers equals one architecture at a time" cmp -s "$tmp/ref.csv" <(scores "$tmp/ls4w2.db")
"$naswot" score-space "${opts[@]}" --score hamming --out "$tmp/h1.db" 2>/dev/null
"$naswot" score-space "${opts[@]}" --score hamming --lockstep 6 --out "$tmp/h6.db" 2>/dev/null
check "--lockstep 6 with the Hamming score equals one at a time" cmp -s <(scores "$tmp/h1.db") <(scores "$tmp/h6.db")
# A --lockstep group whose arena does not fit in memory is scored in halves, with the same scores (a 3 GB
# address-space limit: groups of 32 networks at batch 32 need more, a network alone far less; batch 32
# is whole lane blocks in every build, so the arenas are the same sizes everywhere).
mem=(--space nb201 --sample 40 --seed 5 --batch 32 --data "$data" --threads 2)
"$naswot" score-space "${mem[@]}" --out "$tmp/mem1.db" 2>/dev/null
(ulimit -v 3000000 && timeout 300 "$naswot" score-space "${mem[@]}" --lockstep 32 --out "$tmp/mem32.db" 2>"$tmp/mem32.log")
check "a --lockstep group too large for memory is scored in halves: the same scores" \
  cmp -s <(scores "$tmp/mem1.db") <(scores "$tmp/mem32.db")
check "the run says how many groups were halved" grep -q -- "--lockstep groups* did not fit in memory" "$tmp/mem32.log"
# zero-cost-nas's jacob_cov is ours on a network with the dataset's classes.
zc=$("$naswot" score --arch 1,2,10 --batch 16 --data "$data" --threads 2 --score jacob_cov_zc 2>/dev/null | cut -f1,3,4)
ours10=$("$naswot" score --arch 1,2,10 --batch 16 --data "$data" --threads 2 --num-classes 10 2>/dev/null | cut -f1,3,4)
check "jacob_cov_zc = jacob_cov with 10 outputs on CIFAR-10" test -n "$zc" -a "$zc" = "$ours10"
msg=$("$naswot" score-space "${opts[@]}" --lockstep 4 --score snip --out "$tmp/lss.db" 2>&1)
check "--lockstep with a weight-gradient proxy is refused" grep -q -- "--lockstep applies to one score: jacob_cov, jacob_cov_zc or hamming" <<<"$msg"
msg=$("$naswot" score --arch 5 --lockstep 4 --batch 16 --data "$data" 2>&1)
check "--lockstep with one architecture is refused" grep -q -- "--lockstep applies to score-space and live search" <<<"$msg"

for i in 0 1 2; do "$naswot" score-space "${opts[@]}" --shard "$i/3" --out "$tmp/s$i.db" 2>/dev/null; done
"$naswot" merge "$tmp/s0.db" "$tmp/s1.db" "$tmp/s2.db" -o "$tmp/merged.db" 2>/dev/null
scores "$tmp/merged.db" >"$tmp/merged.csv"
check "3 shards merged equal the single-process run" cmp -s "$tmp/ref.csv" "$tmp/merged.csv"

"$naswot" score-space --space nb201 --indices 0-3 --seed 5 --batch 32 --data "$data" --out "$tmp/b32.db" 2>/dev/null
msg=$("$naswot" merge "$tmp/s0.db" "$tmp/b32.db" -o "$tmp/bad.db" 2>&1)
check "merging different configurations is refused" grep -q "configurations differ (batch: stored 16, requested 32)" <<<"$msg"
check "and writes no output" test ! -e "$tmp/bad.db"
msg=$("$naswot" merge "$tmp/s0.db" -o "$tmp/merged.db" 2>&1)
check "merge refuses to overwrite its output" grep -q "refusing to overwrite" <<<"$msg"

msg=$("$naswot" score-space "${opts[@]}" --batch 32 --out "$tmp/ref.db" 2>&1)
check "a different configuration into an existing run is refused" grep -q "different configuration" <<<"$msg"

msg=$("$naswot" score-space "${opts[@]}" --sigma-precision fp32 --out "$tmp/ref.db" 2>&1)
check "Sigma_J's product precision is part of a run's identity" grep -q "sigma_precision: stored (none), requested fp32" <<<"$msg"
msg=$("$naswot" score-space "${opts[@]}" --score hamming --out "$tmp/ref.db" 2>&1)
check "another score kind into an existing run is refused" grep -q "score: stored jacob_cov, requested hamming" <<<"$msg"
"$naswot" score-space "${opts[@]}" --score hamming --relu-sites reference --out "$tmp/ham.db" 2>/dev/null
msg=$("$naswot" score-space "${opts[@]}" --score hamming --out "$tmp/ham.db" 2>&1)
check "the Hamming site mode is part of a run's identity" grep -q "relu_sites: stored reference, requested each" <<<"$msg"
check "report shows the score kind" grep -q -- "- score: hamming" <<<"$("$naswot" report "$tmp/ham.db" --data "$data")"

echo "plain text" >"$tmp/notes.db"
sum=$(sha256sum "$tmp/notes.db")
msg=$("$naswot" score-space "${opts[@]}" --out "$tmp/notes.db" 2>&1)
check "a non-database file is refused" grep -q "not a naswot run database" <<<"$msg"
check "and left untouched" test "$(sha256sum "$tmp/notes.db")" = "$sum"
/usr/bin/python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('create table t(x)'); c.commit()" "$tmp/other.db"
sum=$(sha256sum "$tmp/other.db")
msg=$("$naswot" score-space "${opts[@]}" --out "$tmp/other.db" 2>&1)
check "a foreign SQLite database is refused" grep -q "not a naswot run database" <<<"$msg"
check "and left untouched" test "$(sha256sum "$tmp/other.db")" = "$sum"
msg=$("$naswot" score-space "${opts[@]}" --shard 3/3 --out "$tmp/x.db" 2>&1)
check "a bad --shard is refused" grep -q "0 <= i < n" <<<"$msg"

# NAS-Bench-101: the same run/shard/merge/report machinery over the index of 423,624 cells.
o101=(--space nb101 --sample 6 --seed 3 --batch 16 --data "$data" --threads 2)
"$naswot" score-space "${o101[@]}" --out "$tmp/n101.db" 2>/dev/null
scores "$tmp/n101.db" >"$tmp/n101.csv"
check "NB101 run stored 6 cells, rows named by hash" test "$(grep -cE '^[0-9]+,"[0-9a-f]{32} ' "$tmp/n101.csv")" -eq 6
for i in 0 1; do "$naswot" score-space "${o101[@]}" --shard "$i/2" --out "$tmp/n101s$i.db" 2>/dev/null; done
"$naswot" merge "$tmp/n101s0.db" "$tmp/n101s1.db" -o "$tmp/n101m.db" 2>/dev/null
check "NB101: 2 shards merged equal the single run" cmp -s "$tmp/n101.csv" <(scores "$tmp/n101m.db")
"$naswot" score-space "${o101[@]}" --workers 2 --out "$tmp/n101w.db" 2>/dev/null
check "NB101: 2 workers equal the single worker" cmp -s "$tmp/n101.csv" <(scores "$tmp/n101w.db")
"$naswot" score-space "${o101[@]}" --lockstep 4 --out "$tmp/n101ls.db" 2>/dev/null
check "NB101: --lockstep 4 equals one cell at a time" cmp -s "$tmp/n101.csv" <(scores "$tmp/n101ls.db")
msg=$("$naswot" report "$tmp/n101.db" --data "$data" 2>&1)
check "NB101 report joins test_acc_108_single_run" grep -q "| test_acc_108_single_run | .* | 6 |" <<<"$msg"
msg=$("$naswot" report "$tmp/n101.db" --benchmark nb201 --data "$data" 2>&1)
check "an NB101 run is not reported against NB201" grep -q "is a nb101 run, not nb201" <<<"$msg"

# --nb101-inplace reference: a cell the reference cannot score is stored with score NaN (SQLite keeps it
# as NULL) and must read back as NaN, not 0: exported as nan, left out of the report, counted apart.
nan_cell=d32d0b26d534203b48d866facd98cc3e  # 011/001/000 input,conv3x3,output: input->output and one conv (docs/nb101.md)
msg=$("$naswot" score-space --space nb101 --indices "$nan_cell,5,6" --nb101-inplace reference --batch 8 \
  --data "$data" --threads 2 --out "$tmp/nan.db" 2>&1)
check "score-space counts reference_nan apart from degenerate" grep -q "(0 degenerate, 1 reference_nan)" <<<"$msg"
"$naswot" export "$tmp/nan.db" --csv >"$tmp/nan.csv"
check "the reference_nan row reads back as nan" grep -q ",\"$nan_cell 011/001/000 input,conv3x3-bn-relu,output\",nan,reference_nan," "$tmp/nan.csv"
check "NB101 export: a CSV reader splits every row into 6 fields (the arch quoted)" /usr/bin/python3 -c \
  "import csv,sys; rows=list(csv.reader(open(sys.argv[1]))); sys.exit(not (len(rows) == 4 and all(len(r) == 6 for r in rows) and rows[3][3] == 'reference_nan'))" "$tmp/nan.csv"
msg=$("$naswot" report "$tmp/nan.db" --data "$data" 2>&1)
check "report leaves the NaN row out" grep -q "3 of 423624 architectures scored, 0 degenerate (score -inf), 1 left out with score NaN" <<<"$msg"
check "report ranks the two scored cells" grep -q "| test_acc_108_single_run | .* | 2 |" <<<"$msg"

# Run databases edited by hand or written by other tools are refused with the row and the reason.
edit() {  # edit SRC DST SQL: a copy of SRC with SQL applied
  cp "$1" "$2" && /usr/bin/python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()" "$2" "$3"
}
edit "$tmp/merged.db" "$tmp/e1.db" "UPDATE scores SET status='maybe' WHERE idx=(SELECT min(idx) FROM scores)"
msg=$("$naswot" export "$tmp/e1.db" --csv 2>&1 || true)
check "an unknown status is refused" grep -q "e1.db: row [0-9]*: unknown status 'maybe'" <<<"$msg"
edit "$tmp/merged.db" "$tmp/e2.db" "UPDATE scores SET arch='|none~0|+|none~0|none~1|+|none~0|none~1|none~2|' WHERE idx=(SELECT max(idx) FROM scores)"
msg=$("$naswot" report "$tmp/e2.db" --data "$data" 2>&1 || true)
check "an arch that is not its index's is refused" grep -q "is not NAS-Bench-201 index" <<<"$msg"
edit "$tmp/merged.db" "$tmp/e3.db" "UPDATE scores SET idx=15625 WHERE idx=(SELECT max(idx) FROM scores)"
msg=$("$naswot" search --space nb201 --algo best-of-n --scores "$tmp/e3.db" --data "$data" 2>&1 || true)
check "an index outside the space is refused" grep -q "row 15625: index outside the space (0..15624)" <<<"$msg"
edit "$tmp/merged.db" "$tmp/e4.db" "UPDATE scores SET score=NULL WHERE idx=(SELECT min(idx) FROM scores)"
msg=$("$naswot" merge "$tmp/e4.db" "$tmp/merged.db" -o "$tmp/e4m.db" 2>&1 || true)
check "a missing score on an ok row is refused" grep -q "status ok with score nan" <<<"$msg"
edit "$tmp/merged.db" "$tmp/e5.db" "DELETE FROM naswot_meta WHERE key='score'"
msg=$("$naswot" search --space nb201 --algo best-of-n --scores "$tmp/e5.db" --data "$data" 2>&1 || true)
check "a run without its score kind is refused" grep -q "e5.db: no score kind recorded" <<<"$msg"

# A shard scored by a build with other CPU kernels (e.g. -DNASWOT_NATIVE=OFF: other lanes, no fused
# multiply-add) rounds differently: the variant is in the run's identity, so merge and resume refuse it.
variant=$(/usr/bin/python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"select value from naswot_meta where key='cpu_kernels'\").fetchone()[0])" "$tmp/s1.db")
check "the run records its CPU kernels' variant" grep -qE '^(avx512|avx2-fma|portable-fma|portable)$' <<<"$variant"
edit "$tmp/s1.db" "$tmp/e6.db" "UPDATE naswot_meta SET value='other-kernels' WHERE key='cpu_kernels'"
msg=$("$naswot" merge "$tmp/s0.db" "$tmp/e6.db" --out "$tmp/e6m.db" 2>&1 || true)
check "merging shards of other kernel variants is refused" \
  grep -q "configurations differ (cpu_kernels: stored $variant, requested other-kernels)" <<<"$msg"
msg=$("$naswot" score-space "${opts[@]}" --shard 1/3 --out "$tmp/e6.db" 2>&1 || true)
check "resuming a run of other kernels is refused" grep -q "cpu_kernels: stored other-kernels, requested $variant" <<<"$msg"

# --sample-seed: one sample under other --seed values (weights and batch); by default the sample is --seed's.
idx_of() { "$naswot" export "$1" --csv | tail -n +2 | cut -d, -f1 | paste -sd,; }
"$naswot" score-space --space nb201 --sample 8 --seed 6 --sample-seed 5 --batch 4 --data "$data" --out "$tmp/ss6.db" 2>/dev/null
"$naswot" score-space --space nb201 --sample 8 --seed 7 --sample-seed 5 --batch 4 --data "$data" --out "$tmp/ss7.db" 2>/dev/null
"$naswot" score-space --space nb201 --sample 8 --seed 5 --batch 4 --data "$data" --out "$tmp/ss5.db" 2>/dev/null
check "--sample-seed keeps the sample across seeds" test "$(idx_of "$tmp/ss6.db")" = "$(idx_of "$tmp/ss7.db")"
check "--sample-seed S draws --seed S's sample" test "$(idx_of "$tmp/ss6.db")" = "$(idx_of "$tmp/ss5.db")"
check "the seeds still differ" test "$(scores "$tmp/ss6.db")" != "$(scores "$tmp/ss7.db")"
msg=$("$naswot" score-space --space nb201 --seed 3 --sample-seed 4 --data "$data" --out "$tmp/ss.db" 2>&1)
check "--sample-seed without --sample is refused" grep -q "applies to --sample" <<<"$msg"

[ "$fails" -eq 0 ] && echo "all score-space checks passed"
exit "$fails"
