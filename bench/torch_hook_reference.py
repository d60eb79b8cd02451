"""Baseline for bench_hamming_cpu.sh: the v2 NASWOT Hamming score computed the way the official code
does, in PyTorch: a forward + backward pass (the reference's Jacobian pass, which arms its hooks),
then a second forward whose ReLU hooks add c c^T + (1-c)(1-c)^T (float32 matmul, float64 sum) to K,
then slogdet. ReLUs inside ReLU-Conv-BN blocks are counted twice, as the reference's hooks do.
Uses the model of tests/oracle/nb201_torch.py. Prints seconds per architecture.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "oracle"))
import nb201_torch as m  # noqa: E402
from torch_v1_reference import cifar_batch  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--archs", required=True)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    archs = [line.strip() for line in open(args.archs) if line.strip()]
    x0 = cifar_batch(args.data, args.batch)
    t0 = time.perf_counter()
    for a in archs:
        net = m.TinyNetwork(a)
        K = np.zeros((args.batch, args.batch))

        def hook(x, in_block):
            c = (x.detach().reshape(x.shape[0], -1) > 0).float()
            k = (c @ c.t() + (1.0 - c) @ (1.0 - c).t()).numpy()
            K[:] += k * (2 if in_block else 1)

        x = x0.clone().requires_grad_(True)
        y = net(x)
        y.backward(torch.ones_like(y))
        m.ACT.hook = hook
        net(x0.clone())
        m.ACT.hook = None
        np.linalg.slogdet(K)
    print(f"{(time.perf_counter() - t0) / len(archs):.4f}")


if __name__ == "__main__":
    main()
