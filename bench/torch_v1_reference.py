"""Baseline for bench_cpu.sh: score NB201 architectures the way the official v1 code does, in PyTorch.

Per architecture: build the network (PyTorch default init), forward a batch with requires_grad,
backward of the summed output, J = x.grad, np.corrcoef, np.linalg.eig, score. Uses the model
of tests/oracle/nb201_torch.py (our own PyTorch TinyNetwork). Prints seconds per architecture.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "oracle"))
import nb201_torch as m  # noqa: E402


def cifar_batch(data, batch):
    raw = np.fromfile(os.path.join(data, "cifar10", "data_batch_1.bin"), dtype=np.uint8).reshape(-1, 3073)
    imgs = raw[:batch, 1:].reshape(batch, 3, 32, 32).astype(np.float32) / 255
    mean = np.array([125.3, 123.0, 113.9], np.float32)[:, None, None] / 255
    std = np.array([63.0, 62.1, 66.7], np.float32)[:, None, None] / 255
    return torch.from_numpy((imgs - mean) / std)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--archs", required=True, help="file with one arch string per line")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    archs = [line.strip() for line in open(args.archs) if line.strip()]
    x0 = cifar_batch(args.data, args.batch)
    t0 = time.perf_counter()
    for a in archs:
        net = m.TinyNetwork(a)
        x = x0.clone().requires_grad_(True)
        y = net(x)
        y.backward(torch.ones_like(y))
        J = x.grad.reshape(args.batch, -1).numpy()
        with np.errstate(all="ignore"):
            C = np.corrcoef(J)
        try:
            v, _ = np.linalg.eig(C)
            _ = -np.sum(np.log(v + 1e-5) + 1.0 / (v + 1e-5))
        except np.linalg.LinAlgError:
            pass  # the reference records NaN
    dt = time.perf_counter() - t0
    print(f"{dt / len(archs):.4f}")


if __name__ == "__main__":
    main()
