"""Baseline for bench_proxies_cpu.sh: the proxies computed the way their reference code does, in PyTorch,
one network at a time: build the network (the model of tests/oracle/nb201_torch.py, 10 classes), then
  grad_norm, snip, fisher (zero-cost-nas): one forward on the batch, cross-entropy against its labels,
    backward, sums over Conv2d and Linear weights (||grad||, |w * grad|) or their outputs (fisher);
  grasp (zero-cost-nas): the gradient over Conv2d / Linear weights, a second forward and backward with
    create_graph, the backward of <g, grad> (H g), -sum of w * Hg;
  synflow (zero-cost-nas): batch norms removed, |parameters|, float64, one all-ones image, backward of
    the outputs' sum, sum of |w * grad|;
  ntk (TE-NAS): one forward on the batch, one backward per sample (retain_graph), Theta = G G^T over
    the "weight" parameters, its condition number (torch.linalg.eigvalsh);
  zen (Zen-NAS): N(0, 1) weights, two N(0, 1) input batches (x, x + 0.01 e), two forwards to the
    features before the pool, the batch norms' running variances.
Prints seconds per architecture for each proxy asked (--proxies).
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
from check_proxies import grasp_pass, ntk64, synflow64  # noqa: E402  (the oracle's definitions)
from check_proxies import zen as zen_score  # noqa: E402
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


def synflow(net, x):
    return synflow64(net, x.shape)


def grasp(net, x, labels):  # zero-cost-nas: a gradient, then a double backward (create_graph), float32
    return grasp_pass(net, x.numpy(), labels.numpy(), torch.float32, {"relu_masks": {}})[0]


def ntk(net, x):
    return ntk64(net, x.numpy(), {"relu_masks": {}}, torch.float32)[0]


def zen(net, x):
    with torch.no_grad():
        for mod in net.modules():
            if isinstance(mod, (torch.nn.Conv2d, torch.nn.Linear)):
                torch.nn.init.normal_(mod.weight)
                if mod.bias is not None:
                    torch.nn.init.zeros_(mod.bias)
            elif isinstance(mod, torch.nn.BatchNorm2d):
                torch.nn.init.ones_(mod.weight)
                torch.nn.init.zeros_(mod.bias)
    a = torch.randn(x.shape)
    return zen_score(net, a.numpy(), (a + 0.01 * torch.randn(x.shape)).numpy(), torch.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--archs", required=True, help="file with one arch string per line")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--proxies", default="grad_norm,snip,fisher")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    archs = [line.strip() for line in open(args.archs) if line.strip()]
    x = cifar_batch(args.data, args.batch)
    raw = np.fromfile(os.path.join(args.data, "cifar10", "data_batch_1.bin"), dtype=np.uint8).reshape(-1, 3073)
    labels = torch.from_numpy(raw[:args.batch, 0].astype(np.int64))
    own = {"synflow": synflow, "ntk": ntk, "zen": zen, "grasp": lambda net, x: grasp(net, x, labels)}
    for which in args.proxies.split(","):
        t0 = time.perf_counter()
        for a in archs:
            net = m.TinyNetwork(a, num_classes=10)
            own[which](net, x) if which in own else proxy(net, x, labels, which)
        print(f"{which} {(time.perf_counter() - t0) / len(archs):.4f}")


if __name__ == "__main__":
    main()
