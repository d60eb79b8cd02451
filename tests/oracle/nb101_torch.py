"""Independent PyTorch model of the NAS-Bench-101 network as NASWOT's port builds it, written from
the description in docs/nb101.md. Parameter, ReLU-site and max-pool-site names match the engine's
export."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import nb201_torch as m201
from nb201_torch import ACT


class _PinnedMaxPool(torch.autograd.Function):
    """Max pool whose winners are given (the engine's): y = x at idx, dx = dy scattered back to idx."""

    @staticmethod
    def forward(ctx, x, idx):
        B, C, H, W = x.shape
        ctx.save_for_backward(idx)
        ctx.in_shape = (B, C, H, W)
        return x.reshape(B, C, H * W).gather(2, idx.reshape(B, C, -1)).reshape(idx.shape)

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        B, C, H, W = ctx.in_shape
        dx = torch.zeros(B, C, H * W, dtype=g.dtype)
        dx.scatter_add_(2, idx.reshape(B, C, -1), g.reshape(B, C, -1))
        return dx.reshape(B, C, H, W), None


class Pool:
    """Every max pool goes through here, named by its site. pin: site -> int64 winners (B,C,Ho,Wo);
    record (while ACT.recording): site -> {dtype: input}."""

    def __init__(self):
        self.pin, self.record = {}, {}

    def __call__(self, x, site, k, s, p):
        if ACT.recording:
            self.record.setdefault(site, {})[x.dtype] = x.detach()
        if site in self.pin:
            return _PinnedMaxPool.apply(x, self.pin[site])
        return F.max_pool2d(x, k, s, p)


POOL = Pool()


def pool_mismatches(idx, x64, x32, k, s, p):
    """(number of engine winners differing from float64's first maximum, whether all are near-ties:
    the float64 values differ by at most max(1e-4 * rms(x), 10 * rms of float32's error))."""
    x = torch.from_numpy(x64)
    vals, arg = F.max_pool2d(x, k, s, p, return_indices=True)
    B, C = idx.shape[:2]
    chosen = x.reshape(B, C, -1).gather(2, torch.from_numpy(idx).reshape(B, C, -1)).reshape(idx.shape)
    mism = arg.numpy() != idx
    e32 = x32.astype(np.float64) - x64
    tol = max(1e-4 * np.sqrt(np.mean(x64 * x64)), 10 * np.sqrt(np.mean(e32 * e32)))
    gap = (vals - chosen).numpy()
    return int(mism.sum()), not np.any(mism & (gap > tol))


class MaxPoolSite(nn.Module):
    def __init__(self, site):
        super().__init__()
        self.site = site

    def forward(self, x):
        return POOL(x, self.site, 3, 1, 1)

OPS = {"conv3x3-bn-relu": 3, "conv1x1-bn-relu": 1, "maxpool3x3": 0}


def parse_arch(arch):
    """'hash 0111/0001/... input,conv3x3-bn-relu,...,output' -> (matrix, ops)."""
    _, mat, ops = arch.split(" ")
    m = np.array([[int(c) for c in row] for row in mat.split("/")], dtype=int)
    return m, ops.split(",")


def vertex_channels(cin, cout, m):
    V = len(m)
    vc = [0] * V
    vc[0], vc[V - 1] = cin, cout
    if V == 2:
        return vc
    d = int(m[1:V - 1, V - 1].sum())
    base, rem = divmod(cout, d)
    for v in range(1, V - 1):
        if m[v, V - 1]:
            vc[v] = base + (1 if rem > 0 else 0)
            rem -= 1 if rem > 0 else 0
    for v in range(V - 3, 0, -1):
        if not m[v, V - 1]:
            vc[v] = max(vc[w] for w in range(v + 1, V - 1) if m[v, w])
    return vc


class ConvBnRelu(nn.Module):
    def __init__(self, cin, cout, k, site):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, 1, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.site = site

    def forward(self, x):
        return ACT(self.bn(self.conv(x)), self.site, in_block=False)


class Cell(nn.Module):
    def __init__(self, m, ops, cin, cout, name):
        super().__init__()
        self.m, self.V = m, len(m)
        self.vc = vertex_channels(cin, cout, m)
        for t in range(1, self.V - 1):
            k = OPS[ops[t]]
            op = ConvBnRelu(self.vc[t], self.vc[t], k, f"{name}.v{t}.relu") if k else MaxPoolSite(f"{name}.v{t}.maxpool")
            self.add_module(f"v{t}", op)
        for t in range(1, self.V):
            if m[0, t]:
                self.add_module(f"proj{t}", ConvBnRelu(cin, self.vc[t], 1, f"{name}.proj{t}.relu"))

    def forward(self, x):
        V, m, vc = self.V, self.m, self.vc
        t_out = [x] + [None] * (V - 1)
        for t in range(1, V - 1):
            fan = [t_out[s][:, :vc[t]] for s in range(1, t) if m[s, t]]
            if m[0, t]:
                fan.append(getattr(self, f"proj{t}")(x))
            vin = fan[0] if len(fan) == 1 else sum(fan)
            t_out[t] = getattr(self, f"v{t}")(vin)
        feeders = [t_out[v] for v in range(1, V - 1) if m[v, V - 1]]
        if not feeders:
            return getattr(self, f"proj{V - 1}")(x)
        out = feeders[0] if len(feeders) == 1 else torch.cat(feeders, dim=1)
        if m[0, V - 1]:
            out = out + getattr(self, f"proj{V - 1}")(x)  # out of place: every cell is scorable
        return out


class Network(nn.Module):
    def __init__(self, arch, stem=16, num_classes=1):
        super().__init__()
        m, ops = parse_arch(arch)
        self.stem = ConvBnRelu(3, stem, 3, "stem.relu")
        cells, c, cin = [], stem, stem
        self.pool_before = set()
        for s in range(3):
            if s > 0:
                self.pool_before.add(len(cells))
                c *= 2
            for _ in range(3):
                cells.append(Cell(m, ops, cin, c, f"cells.{len(cells)}"))
                cin = c
        self.cells = nn.ModuleList(cells)
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x):
        h = self.stem(x)
        for i, cell in enumerate(self.cells):
            if i in self.pool_before:
                h = POOL(h, f"stack{i // 3}.pool", 2, 2, 0)
            h = cell(h)
        return self.classifier(h.mean(dim=(2, 3)))


def load_model(meta, params, flat):
    model = Network(meta["arch"], num_classes=int(meta["num_classes"]))
    own = dict(model.named_parameters())
    exported = {n for n, _, _ in params}
    assert set(own) == exported, f"parameter sets differ: {sorted(set(own) ^ exported)[:6]}"
    with torch.no_grad():
        for name, off, dims in params:
            n = int(np.prod(dims))
            assert tuple(own[name].shape) == tuple(dims), name
            own[name].copy_(torch.from_numpy(flat[off:off + n].copy()).reshape(dims))
    return model
