#!/usr/bin/env bash
# tools/plot_report.py on a small run: both figures are written as PNG files with content.
set -euo pipefail
naswot=$1
data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$naswot" score-space --space nb201 --sample 60 --seed 4 --batch 16 --data "$data" --out "$tmp/r.db" 2>/dev/null
/usr/bin/python3 "$(dirname "$0")/../tools/plot_report.py" "$tmp/r.db" --data "$data" --out "$tmp/plots" \
  --naswot "$naswot" --per-group 2
for f in score_vs_c10_test_200.png sigma_histograms.png; do
  [ "$(head -c 8 "$tmp/plots/$f" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || { echo "FAIL: $f is not a PNG"; exit 1; }
  [ "$(stat -c %s "$tmp/plots/$f")" -gt 10000 ] || { echo "FAIL: $f is nearly empty"; exit 1; }
done
echo "plots ok"
