#!/usr/bin/env bash
# CPU benchmark of the zero-cost proxies grad_norm, snip and fisher: seconds per NB201 architecture, naswot
# (one `naswot score` over the sample, wall time / n) vs PyTorch the zero-cost-nas way (one network at
# a time: build, forward, cross-entropy, backward), same architectures, batch, threads, one run.
# Usage: bench/bench_proxies_cpu.sh [N archs=30] [threads=2] [batch=64]  (NASWOT_DATA must be set)
batch=${3:-64}
source "$(dirname "$0")/common.sh"
torch=$(OMP_NUM_THREADS=$threads /usr/bin/python3 bench/torch_proxies_reference.py --data "$data" --archs "$tmp/archs" \
  --batch "$batch" --threads "$threads")
echo "NB201, $n architectures (seeded sample), batch $batch, $threads threads"
echo "| proxy | naswot s/arch | PyTorch s/arch | speed-up |"
echo "|---|---|---|---|"
for p in grad_norm snip fisher; do
  ours=$(seconds_per_arch "$build/naswot" wall --score "$p" --batch "$batch")
  theirs=$(awk -v p="$p" '$1 == p {print $2}' <<<"$torch")
  printf '| %s | %.3f | %.3f | %.2fx |\n' "$p" "$ours" "$theirs" "$(echo "$theirs / $ours" | bc -l)"
done
