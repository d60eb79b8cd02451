"""Independent PyTorch model of NAS-Bench-201's TinyNetwork, used as the numerical oracle.

Written from docs/nb201.md and docs/scores.md, not from the reference code. Parameter names match the
engine's export (meta.txt 'param' lines), so weights load by name with shape checks.
"""
import os

import numpy as np
import torch
import torch.nn as nn

class _PinnedReLU(torch.autograd.Function):
    """ReLU whose on/off pattern is given (the engine's), so both sides differentiate the same branch."""

    @staticmethod
    def forward(ctx, x, mask):
        ctx.save_for_backward(mask)
        return x * mask

    @staticmethod
    def backward(ctx, g):
        (mask,) = ctx.saved_tensors
        return g * mask, None


class Act:
    """Every ReLU of the model goes through here, named by its site (the engine's ReLU node names).
    pin: site -> 0/1 mask tensor to use instead of (x > 0); record: site -> pre-activation;
    calls: site -> list of 'in a ReLU-Conv-BN block' flags, one per nn.ReLU module applied there."""

    def __init__(self):
        self.pin, self.record, self.calls, self.recording = {}, {}, {}, False
        self.hook = None  # optional callable(x, in_block), like a forward hook on an nn.ReLU

    def __call__(self, x, site, in_block=True):
        if self.hook is not None:
            self.hook(x, in_block)
        if self.recording:
            self.record[site] = x.detach()
            self.calls.setdefault(site, []).append(in_block)
        if site in self.pin:
            return _PinnedReLU.apply(x, self.pin[site].to(x.dtype))
        return torch.relu(x)


ACT = Act()

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]


def parse_arch(s):
    """'|a~0|+|b~0|c~1|+|d~0|e~1|f~2|' -> [a, b, c, d, e, f] in string (edge) order."""
    ops = []
    for node, group in enumerate(s.split("+"), start=1):
        toks = [t for t in group.split("|") if t]
        assert len(toks) == node, s
        for src, tok in enumerate(toks):
            name, frm = tok.split("~")
            assert int(frm) == src and name in OPS, s
            ops.append(name)
    assert len(ops) == 6, s
    return ops


class ReLUConvBN(nn.Module):
    def __init__(self, cin, cout, k, stride, site):
        super().__init__()
        self.site = site
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn(self.conv(ACT(x, self.site)))


class Zero(nn.Module):
    def forward(self, x):
        return x * 0.0


class WidenSkip(nn.Module):
    """skip_connect out of a cell's input with other channels (NATS-Bench SSS): 1x1 conv + BN, no ReLU."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 1, 1, 0, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn(self.conv(x))


class Cell(nn.Module):
    def __init__(self, ops, c, name, cin=None):
        super().__init__()
        self.ops = ops
        cin = c if cin is None else cin
        src_of_edge = [0, 0, 1, 0, 1, 2]
        for e, op in enumerate(ops):
            site = f"{name}.relu{src_of_edge[e]}"  # one ReLU per source node, shared by its conv edges
            ci = cin if src_of_edge[e] == 0 else c  # edges out of the input map its channels to c
            if op == "none":
                m = Zero()
            elif op == "skip_connect":
                m = nn.Identity() if ci == c else WidenSkip(ci, c)
            elif op == "nor_conv_1x1":
                m = ReLUConvBN(ci, c, 1, 1, site)
            elif op == "nor_conv_3x3":
                m = ReLUConvBN(ci, c, 3, 1, site)
            else:
                assert ci == c, "avg_pool_3x3 out of a widened input"
                m = nn.AvgPool2d(3, 1, 1, count_include_pad=False)
            self.add_module(f"e{e}", m)

    def forward(self, x):
        nodes = [x]
        e = 0
        for i in range(1, 4):
            total = 0
            for j in range(i):
                total = total + getattr(self, f"e{e}")(nodes[j])
                e += 1
            nodes.append(total)
        return nodes[3]


class Downsample(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.pool = nn.AvgPool2d(2, 2, 0)
        self.conv = nn.Conv2d(cin, cout, 1, 1, 0, bias=False)

    def forward(self, x):
        return self.conv(self.pool(x))


class ResBlock(nn.Module):
    def __init__(self, cin, cout, name):
        super().__init__()
        self.conv_a = ReLUConvBN(cin, cout, 3, 2, name + ".conv_a.relu")
        self.conv_b = ReLUConvBN(cout, cout, 3, 1, name + ".conv_b.relu")
        self.downsample = Downsample(cin, cout)

    def forward(self, x):
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class Stem(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(3, c, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(c)

    def forward(self, x):
        return self.bn(self.conv(x))


class LastAct(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bn = nn.BatchNorm2d(c)

    def forward(self, x):
        return ACT(self.bn(x), "lastact.relu", in_block=False)


class TinyNetwork(nn.Module):
    """NB201's network; with channels (3N + 2 per-layer widths), NATS-Bench SSS's DynamicShapeTinyNet."""

    def __init__(self, arch, C=16, N=5, num_classes=1, channels=None):
        super().__init__()
        ops = parse_arch(arch)
        if channels is None:
            channels = [C] * N + [2 * C] * (N + 1) + [4 * C] * (N + 1)
        N = len(channels) // 3
        self.stem = Stem(channels[0])
        cells, c = [], channels[0]
        for k, width in enumerate(channels):
            if k in (N, 2 * N + 1):
                cells.append(ResBlock(c, width, f"cells.{k}"))
            else:
                cells.append(Cell(ops, width, f"cells.{k}", cin=c))
            c = width
        self.cells = nn.ModuleList(cells)
        self.lastact = LastAct(c)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x):
        h = self.stem(x)
        for cell in self.cells:
            h = cell(h)
        h = self.lastact(h).mean(dim=(2, 3))
        return self.classifier(h)


def read_export(d):
    meta, params, relus, pools = {}, [], [], []
    with open(f"{d}/meta.txt") as f:
        for line in f:
            key, _, rest = line.rstrip("\n").partition(" ")
            if key == "param":
                name, off, dims = rest.split(" ")
                params.append((name, int(off), [int(x) for x in dims.split("x")]))
            elif key == "relu":
                name, off, dims, weight = rest.split(" ")
                relus.append((name, int(off), [int(x) for x in dims.split("x")], int(weight)))
            elif key == "maxpool":
                name, off, din, dout, k, s, p = rest.split(" ")
                pools.append((name, int(off), [int(x) for x in dout.split("x")], (int(k), int(s), int(p))))
            else:
                meta[key] = rest
    b, c, h, w = (int(x) for x in meta["batch"].split())
    flat = np.fromfile(f"{d}/params.f32", dtype="<f4")
    batch = np.fromfile(f"{d}/batch.f32", dtype="<f4").reshape(b, c, h, w)
    jac = out = None
    if os.path.exists(f"{d}/jacobian.f32"):  # jacob_cov exports
        jac = np.fromfile(f"{d}/jacobian.f32", dtype="<f4").reshape(b, c * h * w)
        out = np.fromfile(f"{d}/output.f32", dtype="<f4").reshape(b, -1)
    if os.path.exists(f"{d}/khamming.i64"):  # hamming exports
        meta["khamming"] = np.fromfile(f"{d}/khamming.i64", dtype="<i8").reshape(b, b)
    bits = np.fromfile(f"{d}/relu_masks.bin", dtype=np.uint8)
    masks = {}
    for name, off, (c, h, w), _ in relus:
        n = b * c * h * w
        masks[name] = np.unpackbits(bits[off:off + (n + 7) // 8])[:n].reshape(b, c, h, w).astype(bool)
    meta["relu_masks"] = masks
    # Max-pool winners: site -> (int64 array B x C x Ho x Wo of plane indices, (k, stride, pad)).
    meta["maxpool_argmax"] = {}
    if pools:
        idx = np.fromfile(f"{d}/maxpool_argmax.i32", dtype="<i4")
        for name, off, (c, h, w), ksp in pools:
            n = b * c * h * w
            meta["maxpool_argmax"][name] = (idx[off:off + n].reshape(b, c, h, w).astype(np.int64), ksp)
    return meta, params, flat, batch, jac, out


# NATS-Bench SSS: every network has this cell; an export's arch is its five layer widths (8:16:...).
SSS_CELL = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"


def load_model(meta, params, flat):
    if meta.get("space") == "nats-sss":
        widths = [int(c) for c in meta["arch"].split(":")]
        model = TinyNetwork(SSS_CELL, num_classes=int(meta["num_classes"]), channels=widths)
    else:
        model = TinyNetwork(meta["arch"], num_classes=int(meta["num_classes"]))
    own = dict(model.named_parameters())
    exported = {n for n, _, _ in params}
    missing = set(own) - exported
    extra = exported - set(own)
    assert not missing and not extra, f"parameter sets differ: missing {sorted(missing)[:5]} extra {sorted(extra)[:5]}"
    with torch.no_grad():
        for name, off, dims in params:
            n = int(np.prod(dims))
            t = torch.from_numpy(flat[off:off + n].copy()).reshape(dims)
            assert tuple(own[name].shape) == tuple(dims), name
            own[name].copy_(t)
    return model


def jacobian(model, batch):
    """v1 NASWOT: gradient of the batch-summed output w.r.t. the input, train-mode BN."""
    model.train()
    x = torch.from_numpy(batch.copy()).requires_grad_(True)
    y = model(x)
    y.backward(torch.ones_like(y))
    return x.grad.reshape(x.shape[0], -1).numpy(), y.detach().numpy()


def score_from_jacobian(J, k=1e-5):
    """(score, eigenvalues ascending) or (None, None) when a row has zero variance or NaN."""
    with np.errstate(all="ignore"):
        C = np.corrcoef(J.astype(np.float64))
    if not np.all(np.isfinite(C)):
        return None, None
    C = np.clip(C, -1, 1)
    v = np.linalg.eigvalsh(C)
    return float(-np.sum(np.log(v + k) + 1.0 / (v + k))), v


def check_masks(masks, rec64, rec32, bad):
    """The engine's ReLU masks against sign(pre-activation) of the float64 forward: only near-ties may
    differ (code_mismatches). Appends 'site:'/'mask:' problems to bad; returns the number of ties."""
    ties = 0
    for site, mk in masks.items():
        if site not in rec64:
            bad.append("site:" + site)
            continue
        count, only_ties = code_mismatches(mk, rec64[site].numpy(), rec32[site].numpy())
        ties += count
        if not only_ties:
            bad.append("mask:" + site)
    return ties


def code_mismatches(mask, x64, x32):
    """(number of engine codes differing from sign(x64), whether all of them are near-ties).
    Near-tie: |x| <= max(1e-4 * rms(x), 10 * rms of float32 PyTorch's own error at this site)."""
    e32 = x32.astype(np.float64) - x64
    mism = mask != (x64 > 0)
    near = np.abs(x64) <= max(1e-4 * np.sqrt(np.mean(x64 * x64)), 10 * np.sqrt(np.mean(e32 * e32)))
    return int(mism.sum()), not np.any(mism & ~near)
