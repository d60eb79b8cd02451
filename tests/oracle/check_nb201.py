"""Oracle test: engine Jacobians and scores against an independent PyTorch model of NAS-Bench-201
(or, with --space nats-sss, of NATS-Bench's size space: the same model with per-layer widths).

Runs `naswot score --export` for a fixed set of architectures plus random ones at batch 32 (at 128:
the fixed ones and the first few random ones), rebuilds each network in PyTorch from the exported
weights and batch, and compares. A third run at batch 32 uses
--augment augment-one, whose near-duplicate inputs give Sigma_J eigenvalues near k (the 'B' column
carries the augmentation's initial: f = flip-crop, a = augment-one).

Why the reference is float64 with pinned ReLU masks: the v1 Jacobian is discontinuous where a
pre-activation crosses zero, and with ~10^7 activations per network some lie within float32
rounding of zero. There any two float32 implementations (PyTorch's included) may take different
branches, and max-norm Jacobian errors of 1e-2..1e-1 appear against float64 for both (column
'J32 info' shows plain float32 PyTorch against the reference, at batch 32 only: it is information, and
at batch 128 it would cost a fifth of this test's time). So the oracle
  1. checks that every engine ReLU mask equals the float64 forward's (x > 0) except at near-ties
     |x| <= max(1e-4 * rms(x), 10 * rms of float32 PyTorch's own error there) ('ties' column),
  2. recomputes forward and Jacobian with those masks pinned, in float64 (the reference) and in
     float32 (the yardstick: what float32 arithmetic can achieve on this network), and requires:
  * Jacobian: max |J_engine - J_ref| <= max(1e-4, 2 * err32) * max |J_ref|, err32 = the float32
    PyTorch error. Plain-chain cells (e.g. all nor_conv_1x1, no skip) amplify rounding through ~50
    layers, so for a few networks float32 itself cannot reach 1e-4; there the engine must be at
    least as exact as PyTorch's float32 up to a factor 2 (their count is printed).
  * network outputs y: max abs difference <= 1e-4 * max(1, max |y|)
  * the engine's score equals numpy's score of the engine's own Jacobian to 1e-7 relative
    (checks the C++ correlation + dsyevd path; only float64 rounding differs)
  * degenerate status identical on both sides
  * well-conditioned Sigma_J (smallest eigenvalue > 1e-3): scores within 1e-4 relative
  * otherwise the score is ill-conditioned by construction (d/dl of 1/(l+k) is ~1e10 near l = 0),
    so the spectra are compared instead: by Weyl's inequality |dl_i| <= ||dSigma||_2, and a
    1e-4-relative Jacobian agreement moves correlations by O(1e-4); we require max |dl_i| <= 1e-4.
Exit status 0 only if every check passes.
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

def check_export(path, load_model, label, info=True):
    """Compares one engine export with the PyTorch reference; returns (failures, conditioned, line)."""
    meta, params, flat, batch, J_e, y_e = m.read_export(path)
    masks = meta["relu_masks"]
    model = load_model(meta, params, flat)
    J_32 = m.jacobian(model, batch)[0] if info else None  # plain float32 PyTorch, for information only
    # Yardstick: float32 PyTorch on the engine's branches. Reference: the same in float64.
    m.ACT.pin = {k: torch.from_numpy(v) for k, v in masks.items()}
    m.ACT.record, m.ACT.recording = {}, True
    J_32p, _ = m.jacobian(model, batch)
    record32 = m.ACT.record
    m.ACT.record = {}
    J_t, y_t = m.jacobian(model.double(), batch.astype(np.float64))
    record, m.ACT.pin, m.ACT.recording = m.ACT.record, {}, False
    bad = []
    # The engine's masks must equal sign(pre-activation) of the float64 forward except at
    # near-ties: |x| <= max(1e-4 * rms(x), 10 * rms(float32 PyTorch's error at that site)),
    # where float32 rounding legitimately decides.
    ties = m.check_masks(masks, record, record32, bad)
    jscale = float(np.max(np.abs(J_t)))
    jerr = float(np.max(np.abs(J_e - J_t))) / jscale if jscale > 0 else float(np.max(np.abs(J_e)))
    yerr = float(np.max(np.abs(y_e - y_t))) / max(1.0, float(np.max(np.abs(y_t))))
    # float32 cannot beat the problem's conditioning: where PyTorch float32 (same branches)
    # is itself further than 1e-4 from float64, the engine must be no worse than 2x it.
    err32p = float(np.max(np.abs(J_32p - J_t))) / jscale if jscale > 0 else 0.0
    if not jerr <= max(1e-4, 2 * err32p):
        bad.append("jacobian")
    if not yerr <= 1e-4:
        bad.append("output")
    s_t, v_t = m.score_from_jacobian(J_t)
    s_n, v_e = m.score_from_jacobian(J_e)
    s_e = float(meta["score"])
    deg_e = meta["status"] == "degenerate"
    srel = mineig = dmax = float("nan")
    if deg_e != (s_t is None):
        bad.append("status")
    elif not deg_e:
        if abs(s_e - s_n) > 1e-7 * abs(s_n):
            bad.append("engine-score-vs-numpy")
        srel = abs(s_e - s_t) / abs(s_t)
        mineig = float(v_t[0])
        dmax = float(np.max(np.abs(v_e - v_t)))
        if mineig > 1e-3:
            if srel > 1e-4:
                bad.append("score")
        elif dmax > 1e-4:
            bad.append("spectrum")
    j32 = float("nan") if J_32 is None else float(np.max(np.abs(J_32 - J_t))) / jscale if jscale > 0 else 0.0
    conditioned = jscale > 0 and not bad and not (float(np.max(np.abs(J_e - J_t))) <= 1e-4 * jscale)
    verdict = "ok" if not bad else "FAIL " + ",".join(bad[:4])
    line = (f"{label:>18} {ties:>5} {j32:9.2e} {err32p:9.2e} {jerr:9.2e} {yerr:9.2e} {s_e:14.6f} "
          f"{(s_t if s_t is not None else float('-inf')):14.6f} {srel:9.2e} {mineig:9.2e} {dmax:9.2e}  {verdict}")
    return bad, conditioned, line


ALL_CONV3 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
FIXED = ["0", "1", "9", "10", "123", "15624", ALL_CONV3]
# NATS-Bench SSS: the narrowest and widest networks, and widths that grow and shrink between layers
# (the cells' input-widening edges: conv out of the input, the 1x1-conv skip).
FIXED_SSS = ["0", "1", "32767", "8:64:8:64:8", "64:8:64:8:64", "16:24:40:56:64", "64:48:32:16:8"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--naswot", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--batches", default="32,128")
    ap.add_argument("--random", type=int, default=14, help="extra random indices")
    ap.add_argument("--random-large", type=int, default=4,
                    help="of those, how many batches above 32 take (their float64 Jacobians dominate the time)")
    ap.add_argument("--space", default="nb201", help="nb201, or nats-sss (NATS-Bench's size space)")
    args = ap.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    rng = np.random.default_rng(2026)
    fixed, size = (FIXED, 15625) if args.space == "nb201" else (FIXED_SSS, 32768)
    archs = fixed + [str(i) for i in rng.choice(size, size=args.random, replace=False)]
    failures = []
    n_conditioned = 0
    print(f"{'B arch':>18} {'ties':>5} {'J32 info':>9} {'J32 pin':>9} {'J relerr':>9} {'y err':>9} {'S engine':>14} {'S torch':>14} {'S relerr':>9} "
          f"{'min eig':>9} {'max deig':>9}  verdict")
    # (batch, augmentation, architectures). augment-one (B copies of one image) makes the Jacobian rows
    # strongly correlated, so Sigma_J gets eigenvalues near k and the spectrum comparison is exercised.
    runs = [(int(b), "flip-crop", archs if int(b) <= 32 else archs[:len(fixed) + args.random_large])
            for b in args.batches.split(",")]
    runs.append((32, "augment-one", fixed[:4] + fixed[5:]))
    for B, aug, run_archs in runs:
        out = os.path.join(args.work, f"b{B}-{aug}")
        cmd = [args.naswot, "score", "--space", args.space, "--batch", str(B), "--seed", "7", "--augment",
               aug, "--data", args.data, "--export", out, "--backend", "cpu"]
        for a in run_archs:
            cmd += ["--arch", a]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        for d in sorted(os.listdir(out), key=int):
            bad, conditioned, line = check_export(os.path.join(out, d), m.load_model, f"{B}{aug[0]} {d}", B <= 32)
            n_conditioned += conditioned
            print(line, flush=True)
            if bad:
                failures.append((B, d, bad))
            shutil.rmtree(os.path.join(out, d))  # exports with masks are large at batch 128
    n = sum(len(r[2]) for r in runs)
    print(f"{n - len(failures)}/{n} architecture checks passed "
          f"({n_conditioned} of them with Jacobian error above 1e-4 but within 2x float32 PyTorch's)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
