#!/usr/bin/env bash
# GPU benchmark: architectures per second over a fixed random sample of NB201 architectures
# (score-space --sample N --seed 0) at batch 128 and 256, naswot's CUDA backend against eager PyTorch
# (bench/torch_cuda_reference.py) in the same run on the same GPU; plus solver, precision, Sigma_J precision,
# stream, fusion, cuDNN-find, lockstep (cuDNN and naswot convolutions, naswot's TF32 and 3xTF32 ones) and Hamming variants
# at batch 128, and what they do to scores and rankings.
# Usage: bench/bench_gpu.sh NASWOT_BIN OUT.md [N=1000] [TORCH_SECONDS=60]   (NASWOT_DATA must be set)
set -uo pipefail
cd "$(dirname "$0")/.."
bin=$1 out=$2 n=${3:-1000} torch_s=${4:-60}
data=${NASWOT_DATA:?set NASWOT_DATA}
streams=${STREAMS:-8}
py=${PYTHON:-python3}
tmp=$(mktemp -d)
dev=$(nvidia-smi --query-gpu=name,clocks.max.sm,driver_version --format=csv,noheader 2>/dev/null | head -1)
sms=$($py -c 'import torch; print(torch.cuda.get_device_properties(0).multi_processor_count)' 2>/dev/null)
mhz=$(echo "$dev" | awk -F', ' '{print $2}' | grep -o '[0-9]*')
# FP32 peak (non-tensor): SMs x 128 FP32 lanes x 2 (FMA) x max SM clock; sm_90 has 128 lanes per SM.
peak=$(awk -v s="${sms:-0}" -v m="${mhz:-0}" 'BEGIN{printf "%.1f", s*128*2*m*1e6/1e12}')

# naswot run: prints "rate tflops" from score-space's throughput line.
ours() {  # db batch extra-args...
  local db=$1 b=$2
  shift 2
  "$bin" score-space --backend cuda --sample "$n" --seed 0 --batch "$b" --data "$data" --out "$db" "$@" \
    2>"$db.log" >/dev/null || { echo "FAILED"; tail -5 "$db.log" >&2; return; }
  grep '^# throughput' "$db.log" | sed -E 's/.*= ([0-9.]+) arch\/s, ([0-9.]+) TFLOP\/s.*/\1 \2/'
}
theirs() {  # db batch extra-args...
  local db=$1 b=$2
  shift 2
  $py bench/torch_cuda_reference.py --data "$data" --db "$db" --batch "$b" --max-seconds "$torch_s" "$@" 2>"$db.torch.log" |
    awk '{print $3, $1}'
  [ -s "$db.torch.log" ] && tail -5 "$db.torch.log" >&2
}
{
  echo "# GPU benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Device: $dev; $sms SMs; FP32 peak (non-tensor) $peak TFLOP/s from SMs x 128 x 2 x max clock."
  echo "Command: \`bench/bench_gpu.sh $bin OUT $n $torch_s\` with STREAMS=$streams; sample: \`score-space --sample $n --seed 0\`."
  echo "naswot: score-space loop time (set-up excluded: data load, handles), FLOPs = forward + input-gradient convolutions and linear layers."
  echo "PyTorch: bench/torch_cuda_reference.py, $($py -c 'import torch; print("torch", torch.__version__, "cuDNN", torch.backends.cudnn.version())'), eager, fp32 (TF32 off), one architecture at a time, the same architectures in the same order, stopped after ${torch_s}s (rate over those done)."
  echo
  echo "| batch | naswot arch/s | naswot TFLOP/s | % of FP32 peak | PyTorch arch/s (archs timed) | speed-up |"
  echo "|---|---|---|---|---|---|"
} >"$out"
for b in 128 256; do
  read -r r f <<<"$(ours "$tmp/cuda_$b.db" "$b" --streams "$streams")"
  read -r tr tn <<<"$(theirs "$tmp/cuda_$b.db" "$b")"
  printf '| %d | %s | %s | %s | %s (%s) | %s |\n' "$b" "$r" "$f" \
    "$(awk -v f="$f" -v p="$peak" 'BEGIN{if (p > 0) printf "%.1f", 100*f/p}')" "$tr" "$tn" \
    "$(awk -v a="$r" -v b="$tr" 'BEGIN{if (b > 0) printf "%.1fx", a/b}')" >>"$out"
done
{
  echo
  echo "Variants at batch 128 (same sample):"
  echo
  echo "| variant | arch/s | TFLOP/s |"
  echo "|---|---|---|"
} >>"$out"
for v in "streams 1|--streams 1" "streams 4|--streams 4" "streams 16|--streams 16" "sigma-solver eigen|--streams $streams --sigma-solver eigen" \
         "precision tf32|--streams $streams --precision tf32" "sigma-precision fp32|--streams $streams --sigma-precision fp32" \
         "fusion off|--streams $streams --fusion off" \
         "cudnn find|--streams $streams" \
         "lockstep 16|--streams 4 --lockstep 16" \
         "lockstep 16 naswot conv|--streams 4 --lockstep 16 --conv-kernels naswot" \
         "lockstep 16 naswot tf32|--streams 4 --lockstep 16 --conv-kernels naswot --precision tf32" \
         "lockstep 16 naswot 3xtf32|--streams 4 --lockstep 16 --conv-kernels naswot --precision 3xtf32" \
         "hamming|--streams $streams --score hamming" \
         "hamming lockstep 16|--streams 4 --lockstep 16 --score hamming" \
         "hamming lockstep 16 naswot conv|--streams 4 --lockstep 16 --score hamming --conv-kernels naswot"; do
  name=${v%%|*} args=${v#*|}
  db="$tmp/var_$(echo "$name" | tr ' ' _).db"
  find_env=
  [ "$name" = "cudnn find" ] && find_env=1  # algorithms timed by cudnnFind instead of the heuristics
  # shellcheck disable=SC2086
  read -r r f <<<"$(NASWOT_CUDNN_FIND=$find_env ours "$db" 128 $args)"
  echo "| $name | $r | $f |" >>"$out"
done
# What the variants do to scores and rankings (and the rankings against the benchmark's accuracy).
acc="$data/nb201/nb201_accuracy.csv"
$py bench/compare_scores.py "$tmp/cuda_128.db" "$tmp/var_precision_tf32.db" fp32 tf32 "$acc" >>"$out"
$py bench/compare_scores.py "$tmp/var_sigma-solver_eigen.db" "$tmp/cuda_128.db" "eigenvalue solver" "Cholesky solver" >>"$out"
$py bench/compare_scores.py "$tmp/cuda_128.db" "$tmp/var_sigma-precision_fp32.db" "sigma fp64" "sigma fp32" >>"$out"
$py bench/compare_scores.py "$tmp/cuda_128.db" "$tmp/var_lockstep_16_naswot_conv.db" "cuDNN convolutions" \
  "naswot convolutions" >>"$out"
$py bench/compare_scores.py "$tmp/cuda_128.db" "$tmp/var_lockstep_16_naswot_tf32.db" "fp32, cuDNN" \
  "tf32, naswot's tensor-core convolutions" "$acc" >>"$out"
$py bench/compare_scores.py "$tmp/var_lockstep_16_naswot_conv.db" "$tmp/var_lockstep_16_naswot_3xtf32.db" \
  "fp32, naswot's FMA convolutions" "3xtf32, naswot's tensor-core convolutions" >>"$out"
$py bench/compare_scores.py "$tmp/var_hamming.db" "$tmp/var_hamming_lockstep_16_naswot_conv.db" "Hamming, cuDNN" \
  "Hamming, naswot convolutions" >>"$out"
rm -rf "$tmp"
cat "$out"
