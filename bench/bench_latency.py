#!/usr/bin/env python3
"""Per-architecture latency of scoring from a NAS loop: one `naswot score` process per architecture
(start-up, data load and batch each time) against one in-process naswot.Scorer (set up once), on the
same architectures, interleaved round by round.
Usage: bench_latency.py BUILD_DIR [N=10] [batch=128] [rounds=3] [backend=cpu]   (NASWOT_DATA must be set)"""
import os
import random
import statistics
import subprocess
import sys
import time

build = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 10
batch = int(sys.argv[3]) if len(sys.argv) > 3 else 128
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 3
backend = sys.argv[5] if len(sys.argv) > 5 else "cpu"
sys.path.insert(0, os.path.join(build, "python"))
import naswot  # noqa: E402

archs = random.Random(2026).sample(range(15625), n)
cli = os.path.join(build, "naswot")
print(f"NB201, batch {batch}, {n} architectures (seeded sample), backend {backend}, {rounds} rounds")
print("| round | CLI process per architecture (s) | in-process: set-up (s) | in-process per architecture (s) |"
      " CLI / in-process per architecture |")
print("|---|---|---|---|---|")
ratios = []
for r in range(rounds):
    t0 = time.perf_counter()
    cli_scores = []
    for a in archs:
        out = subprocess.run([cli, "score", "--arch", str(a), "--batch", str(batch), "--backend", backend],
                             check=True, capture_output=True, text=True).stdout
        cli_scores.append(out.splitlines()[1].split("\t")[2])
    t_cli = (time.perf_counter() - t0) / n
    t0 = time.perf_counter()
    s = naswot.Scorer(batch=batch, backend=backend)
    t_setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    rows = [s.score(a) for a in archs]
    t_api = (time.perf_counter() - t0) / n
    assert [f"{x['score']:.6f}" for x in rows] == cli_scores, "scores differ between the CLI and the module"
    ratios.append(t_cli / t_api)
    print(f"| {r + 1} | {t_cli:.3f} | {t_setup:.3f} | {t_api:.3f} | {t_cli / t_api:.2f} |")
print(f"median ratio over {rounds} rounds: {statistics.median(ratios):.2f} (same scores from both)")
