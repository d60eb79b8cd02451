#!/usr/bin/env bash
# The C++ embedding API (tools/embed_example.cpp over tools/app/scoring.h) gives the CLI's scores bit
# for bit with the same defaults, for NB201 indices and arch strings and NB101 indices and hashes, and
# reports bad architectures as errors.
set -u
example=$1
naswot=$2
data=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export NASWOT_DATA=$data
fails=0
check() {  # check "<what>" <command...>: the command must succeed
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
# Full-precision scores of the API's output (column 3) against a score-space run's database.
same_scores() {  # same_scores API_OUTPUT RUN.db
  /usr/bin/python3 - "$1" "$2" <<'PY'
import sqlite3, sys
api = {int(l.split("\t")[0]): (float(l.split("\t")[2]), l.split("\t")[3]) for l in open(sys.argv[1]) if l.strip()}
db = {i: (s, st) for i, s, st in sqlite3.connect(sys.argv[2]).execute("select idx, score, status from scores")}
ok = api == db and len(api) > 0
print(f"  API {sorted(api.items())}\n  CLI {sorted(db.items())}")
sys.exit(0 if ok else 1)
PY
}

arch1=$("$naswot" score --arch 1 --batch 2 --backend cpu 2>/dev/null | awk 'NR == 2 {print $2}')
"$example" nb201 16 1 10 "$arch1" 4321 >"$tmp/nb201.txt" 2>"$tmp/nb201.err"
check "NB201: the API scores 4 architectures" test "$(wc -l <"$tmp/nb201.txt")" -eq 4
check "NB201: an arch string and its index give the same row" \
  test "$(sed -n 1p "$tmp/nb201.txt" | cut -f1-4)" = "$(sed -n 3p "$tmp/nb201.txt" | cut -f1-4)"
"$naswot" score-space --indices 1,10,4321 --batch 16 --out "$tmp/nb201.db" 2>/dev/null
check "NB201: API scores = score-space scores, bit for bit (degenerate index 10 included)" \
  same_scores "$tmp/nb201.txt" "$tmp/nb201.db"

hash=$("$naswot" score --space nb101 --arch 7 --batch 2 --backend cpu 2>/dev/null | awk 'NR == 2 {print $2}')
"$example" nb101 16 "$hash" 123456 >"$tmp/nb101.txt" 2>/dev/null
"$naswot" score-space --space nb101 --indices 7,123456 --batch 16 --out "$tmp/nb101.db" 2>/dev/null
check "NB101: API scores by hash and index = score-space scores" same_scores "$tmp/nb101.txt" "$tmp/nb101.db"

msg=$("$example" nb201 16 '|nor_conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|' 2>&1)
check "a malformed architecture is an error with its reason (exit 1)" \
  bash -c '[ "$1" = 1 ] && grep -q "unknown op" <<<"$2"' _ "$?" "$msg"
msg=$("$example" nb999 16 1 2>&1)
check "an unknown space is an error" grep -q "unknown --space 'nb999'" <<<"$msg"

[ "$fails" -eq 0 ] && echo "all embedding API checks passed"
exit "$fails"
