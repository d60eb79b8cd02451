"""Oracle test of the zero-cost proxies grad_norm, snip, fisher, synflow, grasp, ntk and zen: engine weight gradients and scores against
independent PyTorch models of NAS-Bench-201 and NAS-Bench-101 (tests/oracle/nb201_torch.py,
nb101_torch.py) built from the engine's exported weights, batch and labels.

Per network, the engine runs `naswot score --score grad_norm`, `snip` and `fisher` with --export; the
oracle rebuilds the network, takes the mean cross-entropy of its outputs against the batch's labels
(torch.nn.functional.cross_entropy, as zero-cost-nas does), backpropagates in float64 (the reference)
and in float32 (the yardstick), and computes both scores from the gradients of every nn.Conv2d and
nn.Linear weight: grad_norm = sum of their gradients' norms, snip = sum of |w * grad|; fisher from
every nn.Conv2d / nn.Linear output a and its gradient g: the sum over layers and channels of
0.5 * mean over samples of (sum over pixels of a * g)^2. As in
tests/oracle/check_nb201.py, the ReLUs (and NB101's max pools) take the engine's exported branches,
and those must equal the float64 forward's except at near-ties: where a ReLU input lies within float32
rounding of zero, any float32 implementation may take the other branch, and in deep chains that moves
the gradients by percents. Requirements:
  * masks: only near-tie mismatches with the float64 forward
  * gradients: per tensor, ||g_engine - g_ref|| <= max(1e-3, 3 * err32) * ||g_ref||, err32 being float32
    PyTorch's own relative error on that tensor (tensors the loss does not reach: ~0 on both sides)
  * outputs: max |y_engine - y_ref| <= 1e-4 * max(1, max |y_ref|)
  * scores: each within max(1e-4, 3 * float32's own relative error) of the reference's
  * the engine's two exports agree on weights, batch, labels and gradients (one pass, two scores)
  * ntk (its own export, batch 8): per sample i the gradient of the sum of i's outputs over every
    parameter named "weight" (convolutions, linear, batch-norm scales; train mode, the whole batch's
    forward), Theta = G G^T, score = -lambda_max / lambda_min: within max(1e-3, 3 * float32's own error)
    of float64's; a degenerate engine score only where float64's smallest eigenvalue is ~0
  * zen (its own export: N(0, 1) weights and two N(0, 1) inputs x, x + 0.01 e, batch 8): Zen-NAS's
    log(mean over samples of sum |f(x) - f(x + 0.01 e)|) + sum over nn.BatchNorm2d of
    log sqrt(mean running_var) after the two train-mode passes, f the features before the global
    average pool; within max(1e-3, 3 * float32's own error) of float64's (a log)
  * grasp (its own export, the same weights and batch): zero-cost-nas's -sum over nn.Conv2d / nn.Linear
    weights of w * (H g), g the loss's gradient over those weights (detached), H g by a second backward
    through the first (create_graph); |engine - float64| <= max(1e-4, 3 * float32's own error) times
    the sum of |w * H g| (a signed sum: its terms' scale, not its value, measures rounding)
  * synflow (its own pass): the network without batch norms, |every parameter|, one all-ones image,
    R = sum of the outputs, synflow = sum over nn.Conv2d / nn.Linear weights of |w * dR/dw|, all in
    float64 (float32 overflows: R reaches 1e40 and more); the engine's within 1e-4
Exit status 0 only if every check passes.
"""
import argparse
import os
import shutil
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nb101_torch as n1  # noqa: E402
import nb201_torch as m  # noqa: E402
from check_nb101 import cell_args, pick_cells  # noqa: E402


def read(d):
    meta, params, flat, batch, _, _ = m.read_export(d)
    grads = np.fromfile(os.path.join(d, "grads.f32"), dtype="<f4")
    out = np.fromfile(os.path.join(d, "output.f32"), dtype="<f4").reshape(batch.shape[0], -1)
    labels = np.array([int(v) for v in meta["labels"].split()], dtype=np.int64)
    return meta, params, flat, batch, grads, out, labels


def torch_pass(model, batch, labels, dtype, meta):
    """Outputs, {parameter name: gradient}, the two scores and the ReLU inputs of one float32 or float64
    pass on the engine's branches: every ReLU takes the engine's mask and every max pool its winners."""
    m.ACT.pin = {k: torch.from_numpy(v) for k, v in meta["relu_masks"].items()}
    n1.POOL.pin = {site: torch.from_numpy(idx) for site, (idx, _) in meta.get("maxpool_argmax", {}).items()}
    m.ACT.record, m.ACT.recording = {}, True
    model = model.to(dtype)
    model.train()
    model.zero_grad()
    # fisher: every Conv2d / Linear output and its gradient (zero-cost-nas hooks an identity behind
    # each layer; a tensor hook on the output sees the same gradient).
    pairs, hooks = [], []

    def keep(module, inputs, out):
        out.register_hook(lambda g, o=out: pairs.append((o.detach(), g.detach())))

    for mod in model.modules():
        if isinstance(mod, (torch.nn.Conv2d, torch.nn.Linear)):
            hooks.append(mod.register_forward_hook(keep))
    y = model(torch.from_numpy(batch.copy()).to(dtype))
    F.cross_entropy(y, torch.from_numpy(labels)).backward()
    for h in hooks:
        h.remove()
    record = m.ACT.record
    m.ACT.pin, m.ACT.record, m.ACT.recording, n1.POOL.pin = {}, {}, False, {}
    fi = 0.0
    for act, g in pairs:
        g_nk = (act * g).sum(dim=tuple(range(2, act.dim()))) if act.dim() > 2 else act * g
        fi += float(g_nk.double().pow(2).mean(0).mul(0.5).sum())
    grads = {n: p.grad.detach().double().numpy().copy() for n, p in model.named_parameters()}
    gn = sn = 0.0
    for mod in model.modules():
        if isinstance(mod, (torch.nn.Conv2d, torch.nn.Linear)):
            g = mod.weight.grad.detach().double()
            gn += float(g.norm())
            sn += float((mod.weight.detach().double() * g).abs().sum())
    return y.detach().double().numpy(), grads, gn, sn, fi, record


def grasp_pass(model, batch, labels, dtype, meta):
    """zero-cost-nas's grasp on the engine's branches: (score, sum of |w * Hg|) over nn.Conv2d /
    nn.Linear weights, Hg by double backward (create_graph) of the loss's gradient against its detached self."""
    m.ACT.pin = {k: torch.from_numpy(v) for k, v in meta["relu_masks"].items()}
    n1.POOL.pin = {site: torch.from_numpy(idx) for site, (idx, _) in meta.get("maxpool_argmax", {}).items()}
    model = model.to(dtype)
    model.train()
    weights = [mod.weight for mod in model.modules() if isinstance(mod, (torch.nn.Conv2d, torch.nn.Linear))]
    x, t = torch.from_numpy(batch.copy()).to(dtype), torch.from_numpy(labels)
    g = torch.autograd.grad(F.cross_entropy(model(x), t), weights, allow_unused=True)
    gf = torch.autograd.grad(F.cross_entropy(model(x), t), weights, create_graph=True, allow_unused=True)
    z = sum((a.detach() * b).sum() for a, b in zip(g, gf) if a is not None and b is not None and b.requires_grad)
    m.ACT.pin, n1.POOL.pin = {}, {}
    if not torch.is_tensor(z):  # nothing reaches the loss through a weight twice
        return 0.0, 0.0
    hg = torch.autograd.grad(z, weights, allow_unused=True)
    terms = [(-w.detach() * h).double() for w, h in zip(weights, hg) if h is not None]
    return float(sum(v.sum() for v in terms)), float(sum(v.abs().sum() for v in terms))


def synflow64(model, shape):
    """zero-cost-nas's synflow in float64 on a copy of the model whose batch norms are identities."""
    for mod in list(model.modules()):
        for name, child in list(mod.named_children()):
            if isinstance(child, torch.nn.BatchNorm2d):
                setattr(mod, name, torch.nn.Identity())
    model = model.double()
    with torch.no_grad():
        for p in model.parameters():
            p.abs_()
    model.zero_grad()
    model(torch.ones((1,) + tuple(shape[1:]), dtype=torch.float64)).sum().backward()
    return sum(float((mod.weight.detach() * mod.weight.grad).abs().sum()) for mod in model.modules()
               if isinstance(mod, (torch.nn.Conv2d, torch.nn.Linear)))


def ntk64(model, batch, meta, dtype):
    """TE-NAS's ntk on the engine's branches: (score, smallest / largest eigenvalue)."""
    m.ACT.pin = {k: torch.from_numpy(v) for k, v in meta["relu_masks"].items()}
    n1.POOL.pin = {site: torch.from_numpy(idx) for site, (idx, _) in meta.get("maxpool_argmax", {}).items()}
    model = model.to(dtype)
    model.train()
    y = model(torch.from_numpy(batch.copy()).to(dtype))
    rows = []
    for i in range(y.shape[0]):
        model.zero_grad()
        y[i].sum().backward(retain_graph=True)
        rows.append(torch.cat([p.grad.reshape(-1).double() for n, p in model.named_parameters()
                               if "weight" in n and p.grad is not None]))
    m.ACT.pin, n1.POOL.pin = {}, {}
    g = torch.stack(rows)
    w = np.linalg.eigvalsh((g @ g.T).numpy())
    with np.errstate(all="ignore"):  # Theta = 0 (nothing reaches the outputs): 0/0
        return -w[-1] / w[0], w[0] / w[-1]


def zen(model, x, mixed, dtype):
    """Zen-NAS's score: forward_pre_GAP is the output of lastact (NB201) or of the last cell (NB101)."""
    model = model.to(dtype)
    model.train()
    pre_gap = model.lastact if hasattr(model, "lastact") else model.cells[-1]
    outs = []
    hook = pre_gap.register_forward_hook(lambda mod, i, o: outs.append(o.detach().double()))
    with torch.no_grad():
        model(torch.from_numpy(x.copy()).to(dtype))
        model(torch.from_numpy(mixed.copy()).to(dtype))
    hook.remove()
    s = float(torch.log((outs[0] - outs[1]).abs().sum(dim=(1, 2, 3)).mean()))
    for mod in model.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            s += float(torch.log(torch.sqrt(mod.running_var.double().mean())))
    return s


def check_zen(d, load_model, label):
    meta, params, flat, x, _, _ = m.read_export(d)
    mixed = np.fromfile(os.path.join(d, "zen_mixed.f32"), dtype="<f4").reshape(x.shape)
    z64 = zen(load_model(meta, params, flat), x, mixed, torch.float64)
    z32 = zen(load_model(meta, params, flat), x, mixed, torch.float32)
    if meta["status"] != "ok":
        ok = not np.isfinite(z64)
        return not ok, f"{label:<34} zen degenerate (float64 {z64})  {'ok' if ok else 'FAIL'}"
    e, e32 = abs(float(meta["score"]) - z64), abs(z32 - z64)
    ok = e <= max(1e-3, 3 * e32)
    return not ok, f"{label:<34} zen {float(meta['score']):.6f} vs {z64:.6f}: {e:8.1e} (f32 {e32:8.1e})  {'ok' if ok else 'FAIL'}"


def check_ntk(d, load_model, label):
    meta, params, flat, batch, _, _ = m.read_export(d)
    s64, ratio = ntk64(load_model(meta, params, flat), batch, meta, torch.float64)
    s32, _ = ntk64(load_model(meta, params, flat), batch, meta, torch.float32)
    if meta["status"] != "ok":
        ok = not ratio > 1e-7  # degenerate only where float64's Theta is singular too
        return not ok, f"{label:<34} ntk degenerate (float64 lambda_min / lambda_max {ratio:.1e})  {'ok' if ok else 'FAIL'}"
    e, e32 = rel(float(meta["score"]), s64), rel(s32, s64)
    ok = e <= max(1e-3, 3 * e32)
    return not ok, f"{label:<34} ntk {float(meta['score']):.6g} vs {s64:.6g}: {e:8.1e} (f32 {e32:8.1e})  {'ok' if ok else 'FAIL'}"


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def check(dir_gn, dir_snip, dir_fisher, dir_synflow, dir_grasp, load_model, label):
    meta, params, flat, batch, g_e, y_e, labels = read(dir_gn)
    meta_s, _, flat_s, batch_s, g_s, _, labels_s = read(dir_snip)
    meta_f = m.read_export(dir_fisher)[0]
    bad = []
    if not (np.array_equal(flat, flat_s) and np.array_equal(batch, batch_s) and np.array_equal(labels, labels_s)
            and np.array_equal(g_e, g_s)):
        bad.append("exports-differ")
    y64, g64, gn64, sn64, fi64, rec64 = torch_pass(load_model(meta, params, flat), batch, labels, torch.float64, meta)
    y32, g32, gn32, sn32, fi32, rec32 = torch_pass(load_model(meta, params, flat), batch, labels, torch.float32, meta)
    # The engine's masks equal sign(pre-activation) of the float64 forward except at near-ties
    # (tests/oracle/check_nb201.py): only there are its branches pinned where float64 would differ.
    ties = m.check_masks(meta["relu_masks"], rec64, rec32, bad)
    if not meta["relu_masks"]:
        bad.append("no-masks")
    if np.max(np.abs(y_e - y64)) > 1e-4 * max(1.0, np.max(np.abs(y64))):
        bad.append("outputs")
    gmax = max(float(np.max(np.abs(v))) for v in g64.values())
    worst, worst32 = 0.0, 0.0
    for name, off, dims in params:
        n = int(np.prod(dims))
        ref = g64[name].reshape(-1)
        nref = float(np.linalg.norm(ref))
        if nref <= 1e-9 * gmax:  # a tensor the loss does not reach (all-'none' cells): the engine's must be ~0
            if float(np.linalg.norm(g_e[off:off + n])) > 1e-6 * max(gmax, 1e-30):
                bad.append("zero:" + name)
            continue
        e = float(np.linalg.norm(g_e[off:off + n] - ref)) / nref
        e32 = float(np.linalg.norm(g32[name].reshape(-1) - ref)) / nref
        worst, worst32 = max(worst, e), max(worst32, e32)
        if e > max(1e-3, 3 * e32):
            bad.append("grad:" + name)
    s_gn, s_sn = float(meta["score"]), float(meta_s["score"])
    tol_gn, tol_sn = max(1e-4, 3 * rel(gn32, gn64)), max(1e-4, 3 * rel(sn32, sn64))
    if rel(s_gn, gn64) > tol_gn:
        bad.append(f"grad_norm {s_gn:.9g} vs {gn64:.9g}")
    if rel(s_sn, sn64) > tol_sn:
        bad.append(f"snip {s_sn:.9g} vs {sn64:.9g}")
    s_fi = float(meta_f["score"])
    if rel(s_fi, fi64) > max(1e-4, 3 * rel(fi32, fi64)) and abs(s_fi - fi64) > 1e-12:
        bad.append(f"fisher {s_fi:.9g} vs {fi64:.9g}")
    meta_y, _, flat_y, _, _, _ = m.read_export(dir_synflow)
    sy64 = synflow64(load_model(meta_y, params, flat_y), batch.shape)
    s_sy = float(meta_y["score"])
    if not np.array_equal(flat, flat_y) or rel(s_sy, sy64) > 1e-4:
        bad.append(f"synflow {s_sy:.9g} vs {sy64:.9g}")
    # grasp: a signed sum; its error relative to the sum of its terms' magnitudes.
    meta_g, _, flat_g, batch_g, _, _ = m.read_export(dir_grasp)
    gr64, scale = grasp_pass(load_model(meta_g, params, flat_g), batch, labels, torch.float64, meta_g)
    gr32, _ = grasp_pass(load_model(meta_g, params, flat_g), batch, labels, torch.float32, meta_g)
    s_gr = float(meta_g["score"])
    e_gr, e_gr32 = abs(s_gr - gr64) / max(scale, 1e-300), abs(gr32 - gr64) / max(scale, 1e-300)
    if not (np.array_equal(flat, flat_g) and np.array_equal(batch, batch_g)) or (
            scale > 0 and e_gr > max(1e-4, 3 * e_gr32)) or (scale == 0 and s_gr != 0):
        bad.append(f"grasp {s_gr:.9g} vs {gr64:.9g}")
    line = (f"{label:<34} ties {ties:>4}  grads {worst:8.2e} (f32 {worst32:8.2e})  grad_norm {rel(s_gn, gn64):8.1e}  "
            f"snip {rel(s_sn, sn64):8.1e}  fisher {rel(s_fi, fi64):8.1e}  synflow {rel(s_sy, sy64):8.1e} ({sy64:.2e})  "
            f"grasp {e_gr:8.1e} (f32 {e_gr32:8.1e})  "
            f"{'ok' if not bad else 'FAIL ' + ','.join(bad[:4])}")
    return bad, line


SCORES = ("grad_norm", "snip", "fisher", "synflow", "grasp")


def export(naswot, out, args, score):
    subprocess.run([naswot, "score", "--score", score, "--export", os.path.join(out, score), "--backend", "cpu"] + args,
                   check=True, stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--naswot", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    results = []  # (failed, line) per check

    def run(checks):
        for bad, line in checks:
            print(line, flush=True)
            results.append(bool(bad))

    def own_export(out, space_args, score, check_one, load, label):
        """One score exported at batch 8 (ntk, zen: passes of their own), each network checked."""
        export(args.naswot, out, space_args + ["--batch", "8", "--seed", "3", "--data", args.data], score)
        names = sorted(os.listdir(os.path.join(out, score)))
        run(check_one(os.path.join(out, score, d), load, label + d[:16]) for d in names)

    # NB201: all-'none' (nothing reaches the loss before the classifier), all convolutions, pools and
    # skips, and spread-out indices.
    archs = ["|none~0|+|none~0|none~1|+|none~0|none~1|none~2|",
             "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|",
             "|avg_pool_3x3~0|+|skip_connect~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|skip_connect~2|"]
    archs += [str(i) for i in (1, 2, 777, 4321, 8000, 11111, 15624)]
    out = os.path.join(args.work, "proxies_nb201")
    shutil.rmtree(out, ignore_errors=True)
    common = ["--batch", str(args.batch), "--seed", "3", "--data", args.data, "--arch", ",".join(archs)]
    for score in SCORES:
        export(args.naswot, out, common, score)
    dirs = sorted(os.listdir(os.path.join(out, "grad_norm")))
    run(check(*(os.path.join(out, sc, d) for sc in SCORES), m.load_model, "nb201 " + d) for d in dirs)
    # ntk: a batch-sized loop of backward passes; five of the networks.
    ntk_archs = archs[:3] + ["1", "777"]
    own_export(out, ["--arch", ",".join(ntk_archs)], "ntk", check_ntk, m.load_model, "nb201 ")
    own_export(out, ["--arch", ",".join(archs)], "zen", check_zen, m.load_model, "nb201 ")

    # NB101: five cells of different shapes (projections and concatenation, a max-pool output, ...).
    cells = pick_cells(args.data, 0)[:5]
    hashes = [h for h, _, _ in cells]
    out = os.path.join(args.work, "proxies_nb101")
    shutil.rmtree(out, ignore_errors=True)
    common = ["--space", "nb101", "--batch", str(args.batch), "--seed", "3", "--data", args.data] + cell_args(cells)
    for score in SCORES:
        export(args.naswot, out, common, score)
    run(check(*(os.path.join(out, sc, h) for sc in SCORES), n1.load_model, "nb101 " + h[:16]) for h in hashes)
    own_export(out, ["--space", "nb101"] + cell_args(cells[:2]), "ntk", check_ntk, n1.load_model, "nb101 ")
    own_export(out, ["--space", "nb101"] + cell_args(cells), "zen", check_zen, n1.load_model, "nb101 ")
    failures = sum(results)
    print(f"{len(results) - failures}/{len(results)} checks passed")
    return 1 if failures or len(results) < 37 else 0


if __name__ == "__main__":
    sys.exit(main())
