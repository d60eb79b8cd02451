#!/usr/bin/env bash
# The prepared device check, within a time budget: GPU tests, an op model with convolution ceilings
# (bench/gpu_ops_bench.cpp: back-to-back, host and device time per op), an Nsight Compute kernel
# summary of one architecture (bench/ncu_summary.py), lockstep against one architecture at a time
# (bench/lockstep_bench.cpp, the three convolution paths; naswot's with and without its fused loads
# and stores; the Hamming score), the Hamming codes' kernels against 0.2.0's (bench/hamming_bench.cpp),
# the host's cost per NB101 architecture
# (bench/init_bench.cpp), warm single-architecture latency through the C++ API
# (bench/latency_bench.cpp; cuDNN's legacy calls, its graph API and naswot's convolutions), the
# throughput benchmark, and whole-NB201 runs (one at a time, then --lockstep 16 --conv-kernels naswot
# while time is left). Logs and results go to $OUT (default ./out). Binaries come from
# .devbundle/bundle.tar.xz (tools/make-device-bundle.sh, for GPU machines without the build
# dependencies) or are built here.
# Usage: tools/gpu-check.sh [BUDGET_SECONDS=540] [BENCH_ARCHS=1000] [TORCH_SECONDS=30]
set -uo pipefail
cd "$(dirname "$0")/.."
budget=${1:-540} bench_n=${2:-1000} torch_s=${3:-30}
OUT=${OUT:-out}
mkdir -p "$OUT"
t0=$(date +%s)
left() { echo $((budget - ($(date +%s) - t0))); }
# Seconds for a diagnostic section: at most $1, never eating into the 180 s kept for the benchmark and
# the whole-space runs (the issue's goals), and at least 5 (timeout 0 would mean no limit).
cap() {
  local c=$(($(left) - 180))
  [ "$c" -gt "$1" ] && c=$1
  [ "$c" -lt 5 ] && c=5
  echo "$c"
}
exec > >(tee -a "$OUT/gpu-check.log") 2>&1

echo "== machine"
nvidia-smi -L || true
nvcc --version 2>/dev/null | tail -1 || true
grep -m1 'model name' /proc/cpuinfo; nproc
py=$(command -v python3)
"$py" -c 'import torch; print("torch", torch.__version__, torch.cuda.is_available())' || true

echo "== binaries"
if [ -f .devbundle/bundle.tar.xz ]; then
  root=/tmp/naswot-bundle
  rm -rf "$root" && mkdir -p "$root" && tar -xJf .devbundle/bundle.tar.xz -C "$root"
  bin=$root/bin data=$root/data libs=$root/lib
else
  cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DNASWOT_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 >/dev/null &&
    cmake --build build-gpu -j"$(nproc)" --target naswot naswot_gpu_tests naswot_gpu_ops_bench naswot_lockstep_bench \
      naswot_latency_bench naswot_init_bench naswot_hamming_bench >/dev/null ||
    { echo "build failed"; exit 1; }
  bin=build-gpu data=${NASWOT_DATA:-../shared/data} libs=
  cp build-gpu/tests/naswot_gpu_tests build-gpu/ 2>/dev/null
fi
# cuDNN, cuBLAS and cuSOLVER: the toolkit's or the Python wheels' (nvidia-* packages).
wheel_libs=$("$py" - <<'PY' 2>/dev/null
import glob, os
try:
    import nvidia
    roots = list(nvidia.__path__)
except Exception:
    roots = []
print(":".join(sorted({os.path.dirname(p) for r in roots for p in glob.glob(os.path.join(r, "*", "lib", "lib*.so*"))})))
PY
)
export LD_LIBRARY_PATH="${libs:+$libs:}${wheel_libs:+$wheel_libs:}/usr/local/cuda/lib64:/usr/local/cuda/lib:${LD_LIBRARY_PATH:-}"
for lib in $(ldd "$bin/naswot" "$bin/naswot_gpu_tests" | awk '/not found/ {print $1}' | sort -u); do
  hit=$(find / -xdev -name "$lib" -not -path '/proc/*' 2>/dev/null | head -1)
  [ -n "$hit" ] && export LD_LIBRARY_PATH="$(dirname "$hit"):$LD_LIBRARY_PATH"
done
ldd "$bin/naswot" | grep -E "not found|cudnn|cublas|cusolver" || true
"$bin/naswot" devices 2>&1 || true

echo "== GPU tests ($(left)s left)"
NASWOT_TEST_DATA=$data timeout $(( $(left) / 4 )) "$bin/naswot_gpu_tests" 2>&1 | tail -120 | tee "$OUT/gpu-tests.log"
echo "gpu tests exit: ${PIPESTATUS[0]}"

echo "== op model: every NB201 op instance timed alone, summed per architecture; conv ceilings ($(left)s left)"
timeout "$(cap 90)" "$bin/naswot_gpu_ops_bench" 128 20 2>&1 | tee "$OUT/op_model.md"
ncu=$(command -v ncu || ls /usr/local/cuda/bin/ncu 2>/dev/null || true)
if [ -n "$ncu" ]; then
  # One NB201 architecture with every op kind: each kernel's own device time (Nsight Compute runs them
  # one at a time), how many kernels each library call launches, and which.
  arch='|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|'
  for conv in cudnn naswot; do
    echo "== ncu: the kernels of one architecture, --conv-kernels $conv ($(left)s left)"
    csv="$OUT/ncu_$conv.csv"
    # The forward and backward passes only (the executor's NVTX ranges); unfiltered if that finds none.
    for filter in "--nvtx --nvtx-include forward/ --nvtx-include backward/ -c 1000" "-c 400"; do
      # shellcheck disable=SC2086
      timeout "$(cap 60)" "$ncu" --csv --page raw $filter \
        --metrics gpu__time_duration.sum,launch__registers_per_thread,launch__grid_size,launch__block_size \
        "$bin/naswot" score --backend cuda --batch 128 --space nb201 --arch "$arch" --conv-kernels "$conv" \
        --data "$data" >"$csv" 2>"$OUT/ncu_$conv.err"
      echo "ncu ($filter) exit: $?"
      "$py" bench/ncu_summary.py "$csv" "one NB201 architecture, batch 128, --conv-kernels $conv, ncu $filter" \
        >"$OUT/ncu_$conv.md" 2>&1 && break
    done
    head -40 "$OUT/ncu_$conv.md" | tee -a "$OUT/ncu_summary.md"
  done
else
  echo "(no ncu on this machine)"
fi
echo "== lockstep: K architectures per launch against one at a time, 256 NB201 architectures ($(left)s left)"
for conv in cudnn naswot cudnn-graph; do
  timeout "$(cap 40)" "$bin/naswot_lockstep_bench" 128 cuda nb201 256 run 1,4,16 "$conv" drawn 2>&1 | tee -a "$OUT/lockstep.md"
done
# What naswot's fused loads and stores pay (ReLUs, batch-norm statistics and gradients; on above): off.
NASWOT_CONV_LOADS=off timeout "$(cap 30)" "$bin/naswot_lockstep_bench" 128 cuda nb201 256 run 1,16 naswot drawn 2>&1 |
  tee -a "$OUT/lockstep.md"
# The Hamming score's forward pass and codes (relu_codes, hamming_pairs), one at a time and 16 per launch.
timeout "$(cap 30)" "$bin/naswot_lockstep_bench" 128 cuda nb201 256 run 1,16 naswot drawn as-drawn hamming 2>&1 |
  tee -a "$OUT/lockstep.md"
echo "== Hamming codes: the op table's kernels against engine 0.2.0's, 500 NB201 architectures ($(left)s left)"
timeout "$(cap 20)" "$bin/naswot_hamming_bench" 128 500 5 nb201 2>&1 | tee "$OUT/hamming_codes.md"
echo "== host cost per NB101 architecture on this machine's CPU: weights, and lockstep's stages ($(left)s left)"
timeout "$(cap 20)" "$bin/naswot_init_bench" nb101 200 5 2>&1 | tee "$OUT/host_cost.md"
for w in host drawn; do
  timeout "$(cap 20)" "$bin/naswot_lockstep_bench" 128 cuda nb101 128 host 1,16 cudnn "$w" 2>&1 | tee -a "$OUT/host_cost.md"
done
echo "== latency: one architecture from call to score through the C++ API, warm ($(left)s left)"
NASWOT_DATA=$data timeout "$(cap 30)" "$bin/naswot_latency_bench" cuda 100 128 nb201 2>&1 | tee "$OUT/latency.md"
for conv in naswot cudnn-graph; do
  NASWOT_DATA=$data timeout "$(cap 30)" "$bin/naswot_latency_bench" cuda 100 128 nb201 conv-kernels=$conv 2>&1 |
    tee -a "$OUT/latency.md"
done
echo "== proxies: 200 NB201 architectures, eight scores in one pass per architecture, on the GPU ($(left)s left)"
rm -f /tmp/naswot-proxies.db
NASWOT_DATA=$data timeout "$(cap 45)" "$bin/naswot" score-space --backend cuda --batch 64 --sample 200 --streams 4 \
  --score grad_norm,snip,fisher,grasp,synflow,zen,jacob_cov_zc,params --out /tmp/naswot-proxies.db 2>&1 |
  grep -v '^score-space:' | tail -2 | tee "$OUT/proxies.md"
echo "== benchmark ($(left)s left)"
NASWOT_DATA=$data PYTHON=$py timeout $(( $(left) * 2 / 3 )) bench/bench_gpu.sh "$bin/naswot" "$OUT/bench.md" "$bench_n" "$torch_s"

echo "== whole NB201 space, batch 128 ($(left)s left)"
full=/tmp/naswot-full.db
rm -f "$full"*
ts=$(date +%s.%N)
timeout $(( $(left) - 15 )) "$bin/naswot" score-space --backend cuda --batch 128 --streams "${STREAMS:-8}" --data "$data" \
  --out "$full" 2>&1 | grep -v '^score-space:' | tail -5
te=$(date +%s.%N)
"$py" - "$full" "$ts" "$te" <<'PY' | tee "$OUT/full_space.txt"
import sqlite3, sys
n = sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM scores").fetchone()[0]
dt = float(sys.argv[3]) - float(sys.argv[2])
print(f"whole-space run: {n} of 15625 architectures in {dt:.1f} s wall (set-up included) = {n / dt:.1f} arch/s")
PY
"$bin/naswot" report "$full" --benchmark nb201 --data "$data" 2>&1 | head -30 | tee -a "$OUT/full_space.txt"

if [ "$(left)" -gt 60 ]; then
  echo "== whole NB201 space, --lockstep 16 --conv-kernels naswot ($(left)s left)"
  fast=/tmp/naswot-lockstep.db
  rm -f "$fast"*
  ts=$(date +%s.%N)
  timeout $(( $(left) - 10 )) "$bin/naswot" score-space --backend cuda --batch 128 --streams 4 --lockstep 16 \
    --conv-kernels naswot --data "$data" --out "$fast" 2>&1 | grep -v '^score-space:' | tail -3
  te=$(date +%s.%N)
  "$py" - "$fast" "$ts" "$te" "$full" <<'PY' | tee -a "$OUT/full_space.txt"
import sqlite3, sys
q = "SELECT idx, score FROM scores"
fast = dict(sqlite3.connect(sys.argv[1]).execute(q).fetchall())
ref = dict(sqlite3.connect(sys.argv[4]).execute(q).fetchall())
dt = float(sys.argv[3]) - float(sys.argv[2])
print(f"lockstep run: {len(fast)} of 15625 architectures in {dt:.1f} s wall = {len(fast) / dt:.1f} arch/s")
both = [i for i in fast if i in ref and fast[i] is not None and ref[i] is not None and abs(ref[i]) < 1e300]
worst = max((abs(fast[i] - ref[i]) / abs(ref[i]) for i in both if ref[i] != 0), default=0)
print(f"against the cuDNN run: {len(both)} common finite scores, worst relative difference {worst:.3g}")
PY
fi
echo "== done in $(( $(date +%s) - t0 ))s"
