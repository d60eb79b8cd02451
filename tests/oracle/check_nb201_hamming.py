"""Oracle test for the Hamming-kernel score (v2, log|K_H|) on NAS-Bench-201.

For each architecture and both --relu-sites modes the engine exports weights, batch, K_H and every
ReLU's code. The PyTorch model (nb201_torch.py) runs forward in float64 with the engine's codes
pinned and records each nn.ReLU module it applies: its own enumeration of the sites, independent of
the engine's bookkeeping, dead branches included (PyTorch computes every module). Checks:
  * every site PyTorch applies has an engine code, and each code equals sign(x) of the float64
    forward except at near-ties (|x| <= max(1e-4 rms, 10x float32 PyTorch's own error there));
  * K_H rebuilt from those codes with PyTorch's module counts (each: 1 per nn.ReLU; reference:
    2 for ReLUs inside ReLU-Conv-BN blocks, 1 for the final one, as the v2 hooks count) equals the
    engine's K_H exactly, as integers;
  * the engine's score equals numpy's slogdet of that K_H to 1e-9 relative; degenerate iff singular.
"""
import argparse
import os
import shutil
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nb201_torch as m  # noqa: E402
from check_nb201 import FIXED  # noqa: E402


def forward_record(model, batch, masks):
    m.ACT.pin = {k: torch.from_numpy(v) for k, v in masks.items()}
    m.ACT.record, m.ACT.calls, m.ACT.recording = {}, {}, True
    with torch.no_grad():
        model(torch.from_numpy(batch))
    out = (m.ACT.record, m.ACT.calls)
    m.ACT.pin, m.ACT.recording = {}, False
    return out


def same_codes(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def check_hamming(meta, masks, K_e, calls, rec, rec32, weight_of):
    """Rebuilds K_H from PyTorch's own ReLU sites (calls: site -> in-block flags, weight_of(flags) the
    count per site) on the engine's codes; returns (failures, ties, K equal, engine score, reference logdet, rel)."""
    bad, ties = [], 0
    B = K_e.shape[0]
    # float64 BLAS products: every entry is an integer <= sites x units < 2^53, so they are exact (and int64
    # matmul, which numpy runs without BLAS, took most of this test's time).
    K_ref = np.zeros((B, B), dtype=np.float64)
    for site, flags in calls.items():
        if site not in masks:
            bad.append("missing-site:" + site)
            continue
        count, only_ties = m.code_mismatches(masks[site], rec[site].numpy(), rec32[site].numpy())
        ties += count
        if not only_ties:
            bad.append("code:" + site)
        c = masks[site].reshape(B, -1).astype(np.float64)
        K_ref += weight_of(flags) * (c @ c.T + (1 - c) @ (1 - c).T)
    assert K_ref.max(initial=0) < 2.0**53
    K_ref = np.rint(K_ref).astype(np.int64)
    extra = set(masks) - set(calls)
    if extra:
        bad.append("extra-sites:" + ",".join(sorted(extra)[:3]))
    k_equal = np.array_equal(K_ref, K_e)
    if not k_equal:
        bad.append("K_H")
    sign, logdet = np.linalg.slogdet(K_ref.astype(np.float64))
    s_e = float(meta["score"])
    rel = float("nan")
    if meta["status"] == "ok":
        rel = abs(s_e - logdet) / abs(logdet)
        if not (sign > 0 and rel <= 1e-9):
            bad.append("score")
    elif sign > 0 and np.isfinite(logdet) and np.linalg.cond(K_ref.astype(np.float64)) < 1e12:
        bad.append("status")
    return bad, ties, k_equal, s_e, logdet, rel


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--naswot", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--random", type=int, default=13)
    args = ap.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    rng = np.random.default_rng(77)
    archs = FIXED + [str(i) for i in rng.choice(15625, size=args.random, replace=False)]
    failures, n = [], 0
    print(f"{'mode':>9} {'index':>6} {'ties':>5} {'sites':>5} {'K equal':>7} {'score engine':>14} {'score ref':>14} "
          f"{'rel err':>9}  verdict")
    exports = {}
    for mode in ("each", "reference"):
        exports[mode] = os.path.join(args.work, mode)
        cmd = [args.naswot, "score", "--space", "nb201", "--score", "hamming", "--relu-sites", mode, "--batch",
               str(args.batch), "--seed", "7", "--augment", "flip-crop", "--data", args.data, "--export",
               exports[mode], "--backend", "cpu", "--arch", ",".join(archs)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for d in sorted(os.listdir(exports["each"]), key=int):
        forward = None  # (masks, rec32, rec, calls): both modes export the same codes, so one forward serves both
        for mode in ("each", "reference"):
            n += 1
            meta, params, flat, batch, _, _ = m.read_export(os.path.join(exports[mode], d))
            masks, K_e = meta["relu_masks"], meta["khamming"]
            if forward is None or not same_codes(forward[0], masks):
                model = m.load_model(meta, params, flat)
                rec32, _ = forward_record(model, batch, masks)
                rec, calls = forward_record(model.double(), batch.astype(np.float64), masks)
                forward = (masks, rec32, rec, calls)
            _, rec32, rec, calls = forward
            bad, ties, k_equal, s_e, logdet, rel = check_hamming(
                meta, masks, K_e, calls, rec, rec32,
                lambda flags: sum(2 if (mode == "reference" and in_block) else 1 for in_block in flags))
            verdict = "ok" if not bad else "FAIL " + ",".join(bad[:4])
            print(f"{mode:>9} {meta['index']:>6} {ties:>5} {len(calls):>5} {str(k_equal):>7} {s_e:14.6f} "
                  f"{logdet:14.6f} {rel:9.2e}  {verdict}", flush=True)
            if bad:
                failures.append((mode, meta["index"], bad))
            shutil.rmtree(os.path.join(exports[mode], d))
    print(f"{n - len(failures)}/{n} architecture checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
