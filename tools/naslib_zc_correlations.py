#!/usr/bin/env python3
"""NAS-Bench-Suite-Zero's proxy correlations from its published per-architecture values, as rows for
`naswot report --published` (docs/published_correlations.csv's format).

NAS-Bench-Suite-Zero (Krishnakumar et al., NeurIPS 2022) publishes its correlations as figures, and the
values behind them as JSON files of NASLib (naslib/data/zc_nasbench201.json, zc_nasbench101.json; see
docs/proxies.md for where to get them): {space: {dataset: {arch: {proxy: value, ...,
"val_accuracy": accuracy}}}}. This tool computes each proxy's Spearman rho with val_accuracy over the
architectures of each dataset (signed; architectures whose value is not finite are left out, ties share
their mean rank) and prints CSV rows `score,space,dataset,spearman,source` for the proxies naswot has,
under naswot's names. Proxies naswot does not compute are listed on stderr.

Usage: naslib_zc_correlations.py ZC_JSON [ZC_JSON ...] > suite.csv   (with the CSV header line)
"""
import argparse
import json
import math
import os
import sys

SPACES = {"nasbench201": "nb201", "nasbench101": "nb101"}
DATASETS = {"cifar10": "cifar10", "cifar100": "cifar100", "ImageNet16-120": "imagenet16"}
# NASLib's proxy names -> naswot's (--score); nwot is NASWOT's Hamming-kernel score, jacov zero-cost-nas's jacob_cov.
PROXIES = {"grad_norm": "grad_norm", "snip": "snip", "grasp": "grasp", "fisher": "fisher", "synflow": "synflow",
           "jacov": "jacob_cov_zc", "zen": "zen", "ntk": "ntk", "nwot": "hamming", "params": "params",
           "flops": "flops"}
ACCURACY = "val_accuracy"


def ranks(values):
    """1-based ranks, ties sharing their mean rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def spearman(x, y):
    rx, ry = ranks(x), ranks(y)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else float("nan")


def rows_of(path):
    try:
        with open(path) as f:
            data = json.load(f)
    except OSError as e:
        sys.exit(f"naslib_zc_correlations: cannot read {path}: {e.strerror}")
    except ValueError as e:
        sys.exit(f"naslib_zc_correlations: {path} is not JSON: {e}")
    if not isinstance(data, dict) or not data:
        sys.exit(f"naslib_zc_correlations: {path}: expected {{space: {{dataset: {{arch: {{proxy: value}}}}}}}}")
    out, skipped = [], set()
    for space, datasets in data.items():
        if space not in SPACES:
            sys.exit(f"naslib_zc_correlations: {path}: unknown space '{space}' (expected one of "
                     f"{', '.join(SPACES)})")
        for dataset, archs in datasets.items():
            if dataset not in DATASETS:
                sys.exit(f"naslib_zc_correlations: {path}: unknown dataset '{dataset}' in {space} (expected one "
                         f"of {', '.join(DATASETS)})")
            proxies = sorted({p for a in archs.values() for p in a if p != ACCURACY})
            for proxy in proxies:
                if proxy not in PROXIES:
                    skipped.add(proxy)
                    continue
                pairs = []
                for arch, values in archs.items():
                    v, acc = values.get(proxy), values.get(ACCURACY)
                    if acc is None:
                        sys.exit(f"naslib_zc_correlations: {path}: {space}/{dataset}/{arch} has no {ACCURACY}")
                    if isinstance(v, (int, float)) and math.isfinite(v) and math.isfinite(acc):
                        pairs.append((float(v), float(acc)))
                if len(pairs) < 3:
                    continue
                rho = spearman([p[0] for p in pairs], [p[1] for p in pairs])
                source = (f"NAS-Bench-Suite-Zero per-architecture values ({os.path.basename(path)}): Spearman rho "
                          f"with {ACCURACY} over its {len(pairs)} architectures")
                out.append(f"{PROXIES[proxy]},{SPACES[space]},{DATASETS[dataset]},{rho:.4f},{source}")
    if skipped:
        print(f"naslib_zc_correlations: not computed by naswot, left out: {', '.join(sorted(skipped))}",
              file=sys.stderr)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", metavar="ZC_JSON")
    args = ap.parse_args()
    rows = [r for path in args.files for r in rows_of(path)]
    print("score,space,dataset,spearman,source")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
