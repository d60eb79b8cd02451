"""Baseline for bench_proxies_cpu.sh: grad_norm, snip and fisher computed the zero-cost-nas way in PyTorch, one
network at a time: build the network (the model of tests/oracle/nb201_torch.py, 10 classes), one
forward on the batch, cross-entropy against its labels, backward, then sum over Conv2d and Linear
weights (grad_norm: ||grad||; snip: |w * grad|) or over their outputs (fisher). Prints seconds per
architecture for each proxy.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "oracle"))
import nb201_torch as m  # noqa: E402
from torch_v1_reference import cifar_batch  # noqa: E402


def proxy(net, x, labels, which):
    net.train()
    net.zero_grad()
    pairs, hooks = [], []
    def keep(module, inputs, out):  # returns None: the output stays the layer's
        out.register_hook(lambda g, o=out: pairs.append((o.detach(), g)))

    if which == "fisher":  # zero-cost-nas hooks an identity behind each layer; a tensor hook sees the same
        for mod in net.modules():
            if isinstance(mod, (torch.nn.Conv2d, torch.nn.Linear)):
                hooks.append(mod.register_forward_hook(keep))
    F.cross_entropy(net(x), labels).backward()
    for h in hooks:
        h.remove()
    if which == "fisher":
        return sum(float(((a * g).sum(dim=tuple(range(2, a.dim()))) if a.dim() > 2 else a * g).pow(2).mean(0)
                         .mul(0.5).sum()) for a, g in pairs)
    s = 0.0
    for mod in net.modules():
        if isinstance(mod, (torch.nn.Conv2d, torch.nn.Linear)):
            g = mod.weight.grad
            s += float(g.norm()) if which == "grad_norm" else float((mod.weight * g).abs().sum())
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--archs", required=True, help="file with one arch string per line")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    archs = [line.strip() for line in open(args.archs) if line.strip()]
    x = cifar_batch(args.data, args.batch)
    raw = np.fromfile(os.path.join(args.data, "cifar10", "data_batch_1.bin"), dtype=np.uint8).reshape(-1, 3073)
    labels = torch.from_numpy(raw[:args.batch, 0].astype(np.int64))
    for which in ("grad_norm", "snip", "fisher"):
        t0 = time.perf_counter()
        for a in archs:
            proxy(m.TinyNetwork(a, num_classes=10), x, labels, which)
        print(f"{which} {(time.perf_counter() - t0) / len(archs):.4f}")


if __name__ == "__main__":
    main()
