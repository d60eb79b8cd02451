#!/usr/bin/env bash
# tools/plot_report.py on small runs (a Jacobian run, and a Hamming run with --figure1): both figures as
# PNG and PDF with content; naswot's errors reach the user; runs of other spaces are refused.
set -euo pipefail
naswot=$1
data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
plot=("$(dirname "$0")/../tools/plot_report.py")  # its own interpreter: Debian's python3 (the shebang)
"$naswot" score-space --space nb201 --sample 60 --seed 4 --batch 16 --data "$data" --out "$tmp/r.db" 2>/dev/null
"$naswot" score-space --space nb201 --sample 60 --seed 4 --batch 16 --score hamming --data "$data" \
  --out "$tmp/h.db" 2>/dev/null
"${plot[@]}" "$tmp/r.db" --data "$data" --out "$tmp/p1" --naswot "$naswot" --per-group 2 | tee "$tmp/p1.txt"
"${plot[@]}" "$tmp/h.db" --data "$data" --out "$tmp/p2" --naswot "$naswot" --per-group 2 --figure1 | tee "$tmp/p2.txt"
for d in p1 p2; do
  for f in score_vs_accuracy sigma_histograms; do
    [ "$(head -c 8 "$tmp/$d/$f.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || { echo "FAIL: $d/$f.png is not a PNG"; exit 1; }
    [ "$(head -c 5 "$tmp/$d/$f.pdf")" = "%PDF-" ] || { echo "FAIL: $d/$f.pdf is not a PDF"; exit 1; }
    [ "$(stat -c %s "$tmp/$d/$f.png")" -gt 10000 ] || { echo "FAIL: $d/$f.png is nearly empty"; exit 1; }
  done
done
# The figures' text (printed too): the run's own score kind; tau and n as naswot report gives them.
grep -q "y naswot score (hamming, ReLU sites each)" "$tmp/p2.txt" || { echo "FAIL: the Hamming run's axis"; exit 1; }
grep -q "y naswot score (jacob_cov)" "$tmp/p1.txt" || { echo "FAIL: the Jacobian run's axis"; exit 1; }
tau=$("$naswot" report "$tmp/h.db" --data "$data" --format json |
  /usr/bin/python3 -c "import json,sys; print(f\"{[r for r in json.load(sys.stdin)['tables']['correlation'] if r['column'] == 'c100_test_200'][0]['Kendall tau (all)']:.3f}\")")
grep -q "CIFAR-100: Kendall τ = $tau, n = 60" "$tmp/p2.txt" || { echo "FAIL: CIFAR-100 panel's tau is not $tau"; exit 1; }
if msg=$("${plot[@]}" "$tmp/r.db" --data "$data" --out "$tmp/p3" --naswot /nonexistent/naswot 2>&1); then
  echo "FAIL: a missing naswot binary must be an error"; exit 1
fi
grep -q "cannot run /nonexistent/naswot" <<<"$msg" || { echo "FAIL: error not reported: $msg"; exit 1; }
if msg=$("${plot[@]}" "$tmp/r.db" --data "$tmp/nodata" --out "$tmp/p4" --naswot "$naswot" 2>&1); then
  echo "FAIL: a data directory without tables must be an error"; exit 1
fi
grep -q "cannot read" <<<"$msg" || { echo "FAIL: error not reported: $msg"; exit 1; }
echo "plots ok"
