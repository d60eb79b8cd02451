#!/usr/bin/env bash
# tools/gpu-check.sh's commands at toy sizes, on the emulated CUDA build (tests/emulated_cuda): the CLI,
# the op model, lockstep, latency and the proxies take their CUDA paths end to end on the CPU, so a
# device's minutes are not spent on a crash, a refused option or a misused library call. Scores of
# the CUDA runs are checked against the CPU backend's, and one lockstep run against itself with every
# kernel's blocks and threads in reverse order and its copies landing early (bit for bit); nothing here
# is a measurement.
# Usage: tests/gpu_check_emulated.sh BIN_DIR DATA_DIR
set -euo pipefail
bin=$1 data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3
step() { echo "== $*"; }

step devices
"$bin/naswot_emulated" devices | tee "$tmp/devices.txt"
grep -q 'SIMT emulator' "$tmp/devices.txt"

# Two lanes at once (the emulator is single-threaded; CI has two cores): the benchmarks, and the
# scoring runs below.
benchmarks() {
  step "op model (cuda, one NATS-Bench SSS architecture)"
  "$bin/naswot_gpu_ops_bench_emulated" 2 1 cuda nats-sss 1 2 >"$tmp/op_model.md"
  grep -q '|' "$tmp/op_model.md"
  for conv in cudnn naswot cudnn-graph; do
    step "lockstep run, --conv-kernels $conv"
    "$bin/naswot_lockstep_bench_emulated" 2 cuda nb201 3 run 1,2 "$conv" drawn | tail -2
  done
  step "lockstep run, --conv-kernels naswot, NASWOT_CONV_LOADS=off"
  NASWOT_CONV_LOADS=off "$bin/naswot_lockstep_bench_emulated" 2 cuda nb201 3 run 1,2 naswot drawn >"$tmp/loads_off.md"
  grep -q 'fused loads and stores off' "$tmp/loads_off.md"
  step "lockstep run, the Hamming score, --conv-kernels naswot"
  "$bin/naswot_lockstep_bench_emulated" 2 cuda nb201 3 run 1,2 naswot drawn as-drawn hamming >"$tmp/hamming.md"
  grep -q 'the Hamming score' "$tmp/hamming.md"
  step "Hamming codes: the op table's kernels against 0.2.0's (K equal, or the exit status says not)"
  "$bin/naswot_hamming_bench_emulated" 5 3 1 nb201 | tail -2
  step "lockstep host cost, NB101"
  "$bin/naswot_lockstep_bench_emulated" 2 cuda nb101 3 host 1,2 cudnn host | tail -2
  for conv in cudnn naswot cudnn-graph; do
    step "latency, conv-kernels=$conv"
    NASWOT_DATA=$data "$bin/naswot_latency_bench_emulated" cuda 2 2 nb201 conv-kernels=$conv | tail -2
  done
}
benchmarks >"$tmp/benchmarks.log" 2>&1 &
bench_pid=$!

# Score-space on the emulated GPU (streams, lockstep, naswot's convolutions, Hamming, the proxies) against the
# CPU backend on the same sample.
run() {  # out backend args...
  local out=$1 be=$2
  shift 2
  "$bin/naswot_emulated" score-space --backend "$be" --batch 4 --sample 4 --seed 3 --data "$data" --out "$out" "$@" \
    2>"$out.log" >/dev/null || { tail -5 "$out.log"; exit 1; }
}
step "score-space: cuda (2 streams), cuda --lockstep 3 --conv-kernels naswot (fp32, tf32, 3xtf32), cpu"
run "$tmp/cuda.db" cuda --streams 2
run "$tmp/lockstep.db" cuda --streams 2 --lockstep 3 --conv-kernels naswot
run "$tmp/tf32.db" cuda --streams 2 --lockstep 3 --conv-kernels naswot --precision tf32
run "$tmp/tf32x3.db" cuda --streams 2 --lockstep 3 --conv-kernels naswot --precision 3xtf32
run "$tmp/cpu.db" cpu
step "score-space: cuda --lockstep 3 --conv-kernels naswot, the emulator's schedule reversed"
NASWOT_SIMT_ORDER=reverse NASWOT_SIMT_COPIES=early run "$tmp/lockstep_reverse.db" cuda --streams 2 --lockstep 3 --conv-kernels naswot
step "score-space: Hamming on cuda --lockstep 3 --conv-kernels naswot (ReLUs read through) and cpu"
run "$tmp/hamming_lockstep.db" cuda --streams 2 --lockstep 3 --conv-kernels naswot --score hamming
run "$tmp/hamming_cpu.db" cpu --score hamming
step "score-space: proxies on cuda and cpu"
proxies=grad_norm,snip,fisher,grasp,synflow,zen,jacob_cov_zc,params
run "$tmp/proxies_cuda.db" cuda --streams 2 --score "$proxies"
run "$tmp/proxies_cpu.db" cpu --score "$proxies"

"$py" - "$tmp" <<'PY'
import math, sqlite3, sys
tmp = sys.argv[1]
def rows(db):  # (idx, k) -> (arch, score, status); k = 0 the run's first score, k >= 1 the others
    con = sqlite3.connect(f"{tmp}/{db}")
    out = {(i, 0): (a, s, st) for i, a, s, st in con.execute("SELECT idx, arch, score, status FROM scores")}
    for i, k, s, st in con.execute("SELECT idx, k, score, status FROM more_scores"):
        out[(i, k)] = (out[(i, 0)][0], s, st)
    return out
def compare(a, b, rel, what, status_only=()):
    ra, rb = rows(a), rows(b)
    assert ra.keys() == rb.keys() and ra, f"{what}: different rows ({len(ra)} vs {len(rb)})"
    worst = 0.0
    for key in sorted(ra):
        (arch, x, sx), (arch_b, y, sy) = ra[key], rb[key]
        assert arch == arch_b and sx == sy, f"{what}: {key} {arch} status {sx} vs {sy}"
        if sx == "ok" and key[1] not in status_only:
            d = abs(x - y) / max(abs(y), 1e-30)
            worst = max(worst, d)
            assert d <= rel, f"{what}: {key} {arch}: {x} vs {y}"
    print(f"{what}: {len(ra)} scores, worst relative difference {worst:.3g}")
compare("cuda.db", "cpu.db", 1e-3, "cuda vs cpu")
compare("lockstep.db", "cpu.db", 1e-3, "cuda lockstep, naswot convolutions vs cpu")
compare("lockstep_reverse.db", "lockstep.db", 0.0, "the same, the emulator's schedule reversed (same bits)")
# TF32 (its operands lose 13 bits): a smoke bound for these four networks (7.8e-4 here); the GPU tests hold
# TF32 scores to their networks' conditioning (tests/gpu/test_cuda_networks.cpp).
compare("tf32.db", "cpu.db", 4e-3, "cuda lockstep, naswot TF32 tensor-core convolutions vs cpu")
compare("tf32x3.db", "cpu.db", 1e-3, "cuda lockstep, naswot 3xTF32 tensor-core convolutions vs cpu")
# The run identities name what computed them (runs that differ are not mixed): the precision, and with
# TF32 the stride-2 convolutions on naswot's FMA kernels ("naswot 3").
def identity(db):
    con = sqlite3.connect(f"{tmp}/{db}")
    return dict(con.execute("SELECT key, value FROM naswot_meta WHERE kind = 'identity'"))
for db, precision, conv in (("lockstep.db", None, "naswot 2"), ("tf32.db", "tf32", "naswot 3"),
                            ("tf32x3.db", "3xtf32", "naswot 2")):
    got = identity(db)
    assert (got.get("precision"), got.get("conv")) == (precision, conv), f"{db}: identity {got}"
print("identities: precision and convolution kernels as run")
compare("hamming_lockstep.db", "hamming_cpu.db", 1e-3, "Hamming, cuda lockstep, naswot convolutions vs cpu")
# grasp (k = 3) is a signed sum that may lie near 0: its status only (tests/gpu checks its value).
compare("proxies_cuda.db", "proxies_cpu.db", 2e-2, "proxies, cuda vs cpu", status_only=(3,))
PY
bench_rc=0
wait "$bench_pid" || bench_rc=$?
cat "$tmp/benchmarks.log"
[ "$bench_rc" -eq 0 ] || { echo "gpu_check_emulated: the benchmarks failed"; exit 1; }
echo "gpu_check_emulated: ok"
