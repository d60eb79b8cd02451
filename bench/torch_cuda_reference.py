"""Baseline for bench_gpu.sh: NB201 architectures scored one at a time in eager PyTorch on the GPU.

Per architecture, as a PyTorch user would write it: build the network (our own TinyNetwork of
tests/oracle/nb201_torch.py, PyTorch default init) on the GPU, forward the batch with
requires_grad, backward of the summed output, J = x.grad, Sigma_J = corrcoef in float64 on the
GPU, eigvalsh, score, .item(). TF32 is off unless --tf32 (naswot's default is fp32 too).
Prints: archs_scored seconds archs_per_second.
"""
import argparse
import os
import sqlite3
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "oracle"))
import nb201_torch as m  # noqa: E402
from torch_v1_reference import cifar_batch  # noqa: E402  (same first-B-images batch)


def score(net, x0):
    x = x0.clone().requires_grad_(True)
    y = net(x)
    y.backward(torch.ones_like(y))
    J = x.grad.reshape(x0.shape[0], -1).double()
    C = torch.corrcoef(J).clamp(-1, 1)
    if not bool(torch.isfinite(C).all()):  # a zero-variance row (degenerate architecture): as the v1
        return float("nan")                # code, which records NaN
    try:
        v = torch.linalg.eigvalsh(C)
    except torch.linalg.LinAlgError:
        return float("nan")
    return float(-(torch.log(v + 1e-5) + 1.0 / (v + 1e-5)).sum().item())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--db", required=True, help="naswot run database: the architectures to score, in index order")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--max-seconds", type=float, default=60.0, help="stop after this long (rate over those done)")
    ap.add_argument("--tf32", action="store_true")
    args = ap.parse_args()
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    archs = [r[0] for r in sqlite3.connect(args.db).execute("SELECT arch FROM scores ORDER BY idx")]
    dev = torch.device("cuda")
    x0 = cifar_batch(args.data, args.batch).to(dev)
    for a in archs[:3]:  # warm-up: CUDA context, cuDNN handles, kernel loading
        score(m.TinyNetwork(a).to(dev), x0)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    done = 0
    for a in archs:
        score(m.TinyNetwork(a).to(dev), x0)
        done += 1
        if time.perf_counter() - t0 > args.max_seconds:
            break
    dt = time.perf_counter() - t0
    print(f"{done} {dt:.3f} {done / dt:.3f}")


if __name__ == "__main__":
    main()
