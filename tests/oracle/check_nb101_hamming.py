"""Oracle test for the Hamming-kernel score on NAS-Bench-101 (docs/nb101.md).

Cells as in check_nb101.py (the published test cells, builder shapes, random ones). For each cell and both
--relu-sites modes, the engine exports K_H and every ReLU's code; nb101_torch.py runs the forward in
float64 with those codes pinned and records every nn.ReLU it applies (stem, projections, conv
vertices: the §7 sites; NB101's containers are not ReLU modules, so nothing counts twice and both
modes must give the same K_H). Checks, as for NB201: codes equal sign(x) except at near-ties; K_H
rebuilt from PyTorch's own site list equals the engine's exactly; score = slogdet to 1e-9 relative.
"""
import argparse
import os
import shutil
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nb101_torch as n1  # noqa: E402
import nb201_torch as m  # noqa: E402
from check_nb101 import cell_args, pick_cells  # noqa: E402
from check_nb201_hamming import check_hamming, forward_record  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--naswot", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--random", type=int, default=4)
    args = ap.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    cells = pick_cells(args.data, args.random, seed=202)
    assert len(cells) >= 10, f"only {len(cells)} cells"
    failures, n, K_by_mode = [], 0, {}
    print(f"{'mode':>9} {'hash':>16} {'ties':>5} {'sites':>5} {'K equal':>7} {'score engine':>14} {'score ref':>14} "
          f"{'rel err':>9}  verdict")
    for mode in ("each", "reference"):
        out = os.path.join(args.work, mode)
        cmd = [args.naswot, "score", "--space", "nb101", "--score", "hamming", "--relu-sites", mode, "--batch",
               str(args.batch), "--seed", "7", "--data", args.data, "--export", out, "--backend", "cpu"]
        cmd += cell_args(cells)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for h, _, _ in cells:
            n += 1
            meta, params, flat, batch, _, _ = m.read_export(os.path.join(out, h))
            masks, K_e = meta["relu_masks"], meta["khamming"]
            model = n1.load_model(meta, params, flat)
            rec32, _ = forward_record(model, batch, masks)
            rec, calls = forward_record(model.double(), batch.astype(np.float64), masks)
            # One count per nn.ReLU applied: NB101 has no ReLU inside other ReLU modules.
            bad, ties, k_equal, s_e, logdet, rel = check_hamming(meta, masks, K_e, calls, rec, rec32, len)
            K_by_mode.setdefault(h, []).append(K_e)
            if mode == "reference" and not np.array_equal(K_by_mode[h][0], K_e):
                bad.append("modes-differ")
            verdict = "ok" if not bad else "FAIL " + ",".join(bad[:4])
            print(f"{mode:>9} {h[:16]:>16} {ties:>5} {len(calls):>5} {str(k_equal):>7} {s_e:14.6f} "
                  f"{logdet:14.6f} {rel:9.2e}  {verdict}", flush=True)
            if bad:
                failures.append((mode, h, bad))
            shutil.rmtree(os.path.join(out, h))
    print(f"{n - len(failures)}/{n} NAS-Bench-101 cell checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
