#!/usr/bin/env bash
# CLI error paths: each bad input must exit non-zero with a clear 'naswot: error:' message, never crash.
set -u
naswot=$1
data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

expect_error() {  # expect_error "<substring of the message>" args...
  local want=$1
  shift
  local out rc
  out=$(env -u NASWOT_DATA "$naswot" "$@" 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" -ne 2 ] || ! grep -qF -- "$want" <<<"$out"; then
    echo "FAIL: naswot $* -> rc $rc, stderr: $out (wanted exit 2 and '$want')"
    fails=$((fails + 1))
  else
    echo "ok: $want"
  fi
}

# Every subcommand's --help (and -h): exit 0, its usage on stdout, wherever the flag stands.
for c in score score-space merge export report search cells; do
  for h in --help -h; do
    out=$("$naswot" "$c" --data "$data" "$h" 2>&1)
    if [ $? -ne 0 ] || ! grep -q "^Usage: naswot $c " <<<"$out"; then
      echo "FAIL: naswot $c $h -> $out"
      fails=$((fails + 1))
    fi
  done
done
echo "ok: every subcommand's --help"
expect_error "see naswot score --help" score --data "$data" --arch 1 --bogus 3

mkdir -p "$tmp/empty/cifar10" "$tmp/short/cifar10" "$tmp/corrupt/cifar10" "$tmp/tiny/cifar10"
: >"$tmp/empty/cifar10/data_batch_1.bin"
head -c 5000 "$data/cifar10/data_batch_1.bin" >"$tmp/short/cifar10/data_batch_1.bin"
{ printf '\xc8'; head -c 3072 /dev/zero; } >"$tmp/corrupt/cifar10/data_batch_1.bin"
head -c $((3073 * 10)) "$data/cifar10/data_batch_1.bin" >"$tmp/tiny/cifar10/data_batch_1.bin"

expect_error "unknown op 'nor_conv_5x5'" score --data "$data" --arch '|nor_conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|'
expect_error "incoming edges" score --data "$data" --arch '|none~0|+|none~0|+|none~0|none~1|none~2|'
expect_error "node groups" score --data "$data" --arch '|none~0|+|none~0|none~1|'
expect_error "out of range" score --data "$data" --arch 15625
expect_error "is empty" score --data "$tmp/empty" --arch 1
expect_error "truncated" score --data "$tmp/short" --arch 1
expect_error "label 200" score --data "$tmp/corrupt" --arch 1
expect_error "larger than the 10 training images" score --data "$tmp/tiny" --arch 1 --batch 32
expect_error "no CIFAR-10 training batches" score --data "$tmp" --arch 1
expect_error "no data directory" score --arch 1
expect_error "unknown option" score --data "$data" --arch 1 --bogus 3
expect_error "unknown --precision 'fp16'" score --data "$data" --arch 1 --precision fp16
expect_error "unknown --sigma-solver 'qr'" score --data "$data" --arch 1 --sigma-solver qr
expect_error "unknown --fusion 'maybe'" score --data "$data" --arch 1 --fusion maybe
expect_error "unknown --sigma-precision 'fp16'" score --data "$data" --arch 1 --sigma-precision fp16
expect_error "--sigma-precision applies to --score jacob_cov (and jacob_cov_zc) only" score --data "$data" --arch 1 --score hamming --sigma-precision fp32
expect_error "9 is not one of 8, 16, ..., 64" score --data "$data" --space nats-sss --arch 8:9:8:8:8
expect_error "needs exactly five layers" score --data "$data" --space nats-sss --arch 8:8:8:8
expect_error "index range '0-40000' exceeds the space (32768)" score --data "$data" --space nats-sss --arch 0-40000
expect_error "unknown --space 'nats-tss' (supported: nb201, nb101, nats-sss)" search --data "$data" --space nats-tss --algo random --evals 3
expect_error "latency tables exist for NAS-Bench-201 only" search --data "$data" --space nats-sss --algo random --max-latency pixel3=5
expect_error "unknown --dataset 'svhn'" search --data "$data" --space nats-sss --algo rea --dataset svhn
expect_error "'0' is not a positive number of millions" search --data "$data" --algo rea --max-params 0
expect_error "no NATS-Bench SSS architecture satisfies params_c10 <= 0.001 M" search --data "$data" --space nats-sss --algo rea --max-params 0.001
expect_error "lacks trainable_params for some cells" search --data "$data" --space nb101 --algo rea --max-params 1
expect_error "unknown --sampler 'v1'" score --data "$data" --arch 1 --sampler v1
expect_error "unknown --init 'torch'" score --data "$data" --arch 1 --init torch
expect_error "which is not augmented: use --augment none" score --data "$data" --arch 1 --sampler reference-v2 --augment flip-crop
expect_error "needs all five official batches" score --data "$tmp/tiny" --arch 1 --sampler reference-v2 --batch 8
expect_error "normal_, which is not replayed" score --data "$data" --space nb101 --arch 0 --init reference-v2
expect_error "--precision tf32 needs the CUDA backend" score --data "$data" --arch 1 --backend cpu --precision tf32
expect_error "--precision 3xtf32 needs the CUDA backend" score --data "$data" --arch 1 --backend cpu --precision 3xtf32 \
  --conv-kernels naswot
expect_error "--precision 3xtf32 runs on naswot's tensor-core convolutions: give --conv-kernels naswot" score --data "$data" \
  --arch 1 --backend cuda --precision 3xtf32
expect_error "unknown --conv-kernels 'fast' (expected cudnn, cudnn-graph, naswot or naswot-gather)" score --data "$data" --arch 1 --conv-kernels fast
expect_error "--conv-kernels applies to the CUDA backend" score --data "$data" --arch 1 --backend cpu --conv-kernels cudnn-graph
expect_error "--conv-kernels naswot-gather computes in fp32: not with --precision tf32" score --data "$data" --arch 1 \
  --backend cuda --precision tf32 --conv-kernels naswot-gather
expect_error "--streams applies to the CUDA backend" score-space --data "$data" --backend cpu --streams 2 --out "$tmp/s.db"
expect_error "--streams is the CUDA name of --workers" score-space --data "$data" --streams 2 --workers 2 --out "$tmp/s.db"
expect_error "--workers applies to score-space" score --data "$data" --arch 1 --workers 2
expect_error "--workers 0 is out of range [1, 64]" score-space --data "$data" --workers 0 --out "$tmp/s.db"
expect_error "unknown backend 'tpu'" score --data "$data" --arch 1 --backend tpu
expect_error "neither an NB101 index" score --space nb101 --data "$data" --arch zzz
expect_error "out of range (0 .. 423623)" score --space nb101 --data "$data" --arch 423624
expect_error "--nb101-inplace applies to --space nb101" score --data "$data" --arch 1 --nb101-inplace reference
expect_error "unknown --nb101-inplace" score --space nb101 --data "$data" --arch 1 --nb101-inplace maybe
expect_error "give --matrix and --ops in pairs" score --space nb101 --data "$data" --matrix 01/00
# Without a usable GPU, --backend cuda names the reason instead of falling back silently.
if ! "$naswot" devices 2>/dev/null | grep -q 'cuda:0'; then
  expect_error "--backend cuda:" score --data "$data" --arch 1 --backend cuda
fi
expect_error "--batch expects an integer" score --data "$data" --arch 1 --batch many
expect_error "unknown --augment" score --data "$data" --arch 1 --augment rotate
expect_error "no architecture given" score --data "$data"
expect_error "unknown --space" score --data "$data" --space nb999 --arch 1
expect_error "unknown command" frobnicate

# The degenerate architecture is a status, not an error.
line=$("$naswot" score --data "$data" --arch 10 --batch 8 2>/dev/null | tail -1)
if grep -qP '^10\t.*\t-inf\tdegenerate\t801841\t' <<<"$line"; then echo "ok: index 10 degenerate"; else
  echo "FAIL: index 10 line: $line"; fails=$((fails + 1)); fi

[ "$fails" -eq 0 ] && echo "all CLI error checks passed"
exit "$fails"
