#!/usr/bin/env bash
# CPU benchmark of the Hamming score: seconds per NB201 architecture, naswot (--score hamming
# --relu-sites reference) vs the PyTorch hook implementation of the v2 code, same archs, same threads,
# one run. Usage: bench/bench_hamming_cpu.sh [N archs=50] [threads=2]  (NASWOT_DATA must be set)
source "$(dirname "$0")/common.sh"
echo "| batch | naswot s/arch | PyTorch hooks s/arch | speed-up |"
echo "|---|---|---|---|"
for b in 128; do
  t0=$(date +%s.%N)
  "$build/naswot" score --score hamming --relu-sites reference --arch "$idx" --batch "$b" --data "$data" \
    --threads "$threads" >/dev/null 2>&1
  t1=$(date +%s.%N)
  ours=$(echo "($t1 - $t0) / $n" | bc -l)
  theirs=$(OMP_NUM_THREADS=$threads /usr/bin/python3 bench/torch_hook_reference.py --data "$data" \
    --archs "$tmp/archs" --batch "$b" --threads "$threads")
  printf '| %d | %.3f | %.3f | %.2fx |\n' "$b" "$ours" "$theirs" "$(echo "$theirs / $ours" | bc -l)"
done
