#!/usr/bin/env bash
# CPU benchmark: seconds per NB201 architecture, naswot vs a PyTorch v1-style scorer, same archs,
# same thread count, one run. Usage: bench/bench_cpu.sh [N archs=50] [threads=2]  (NASWOT_DATA must be set)
source "$(dirname "$0")/common.sh"
out=${OUT_FILE:-"bench/results/cpu_$(date +%Y-%m-%d).md"}
{
  echo "# CPU benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; threads used: $threads."
  echo "Command: \`bench/bench_cpu.sh $n $threads\`; $n random NB201 architectures (seeded), real CIFAR-10 batch."
  echo "naswot: \`naswot score --threads $threads\` wall time / N (includes build, init, forward, backward, Sigma_J, eigenvalues)."
  echo "PyTorch: bench/torch_v1_reference.py, official v1 procedure (autograd, np.corrcoef, np.linalg.eig), $(/usr/bin/python3 -c 'import torch; print("torch", torch.__version__)')."
  echo
  echo "naswot unfused: the same with \`--fusion off\` (no fused adds, no fused BN + ReLU; same bits)."
  echo
  echo "| batch | naswot s/arch | PyTorch s/arch | speed-up | naswot unfused s/arch | fusion gain |"
  echo "|---|---|---|---|---|---|"
} >"$out"
for b in 128 256; do
  ours=$(seconds_per_arch "$build/naswot" wall --batch "$b")
  plain=$(seconds_per_arch "$build/naswot" wall --batch "$b" --fusion off)
  theirs=$(OMP_NUM_THREADS=$threads /usr/bin/python3 bench/torch_v1_reference.py --data "$data" --archs "$tmp/archs" --batch "$b" --threads "$threads")
  printf '| %d | %.3f | %.3f | %.2fx | %.3f | %.2fx |\n' "$b" "$ours" "$theirs" "$(echo "$theirs / $ours" | bc -l)" \
    "$plain" "$(echo "$plain / $ours" | bc -l)" >>"$out"
done
cat "$out"
