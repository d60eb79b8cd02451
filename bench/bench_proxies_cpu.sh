#!/usr/bin/env bash
# CPU benchmark of the zero-cost proxies: seconds per NB201 architecture, naswot (one `naswot score` over
# the sample, wall time / n) vs PyTorch the way each proxy's reference code computes it (one network at a
# time; bench/torch_proxies_reference.py), same architectures, batch, threads, one run. With several
# proxies, also naswot computing all of them in one call (--score a,b,...) against the sum of PyTorch's.
# Usage: bench/bench_proxies_cpu.sh [N archs=30] [threads=2] [batch=64] [proxies=grad_norm,snip,fisher]
# (NASWOT_DATA must be set)
batch=${3:-64}
proxies=${4:-grad_norm,snip,fisher}
source "$(dirname "$0")/common.sh"
torch=$(OMP_NUM_THREADS=$threads /usr/bin/python3 bench/torch_proxies_reference.py --data "$data" --archs "$tmp/archs" \
  --batch "$batch" --threads "$threads" --proxies "$proxies")
echo "NB201, $n architectures (seeded sample), batch $batch, $threads threads"
echo "| proxy | naswot s/arch | PyTorch s/arch | speed-up |"
echo "|---|---|---|---|"
for p in ${proxies//,/ }; do
  ours=$(seconds_per_arch "$build/naswot" wall --score "$p" --batch "$batch")
  theirs=$(awk -v p="$p" '$1 == p {print $2}' <<<"$torch")
  printf '| %s | %.3f | %.3f | %.2fx |\n' "$p" "$ours" "$theirs" "$(echo "$theirs / $ours" | bc -l)"
done
if [[ $proxies == *,* ]]; then
  ours=$(seconds_per_arch "$build/naswot" wall --score "$proxies" --batch "$batch")
  theirs=$(awk '{s += $2} END {print s}' <<<"$torch")
  printf '| all in one pass (%s) | %.3f | %.3f (sum) | %.2fx |\n' "$proxies" "$ours" "$theirs" \
    "$(echo "$theirs / $ours" | bc -l)"
fi
