#!/usr/bin/env python3
"""Compares two score-space run databases of the same architectures: how far the scores of one
configuration move from the other's, and how much the ranking changes.
Usage: compare_scores.py A.db B.db LABEL_A LABEL_B [ACCURACY_CSV]   (prints markdown lines)"""
import csv
import os
import sqlite3
import sys


def load(path):
    rows = sqlite3.connect(path).execute("SELECT idx, score, status FROM scores").fetchall()
    return {i: (s, st) for i, s, st in rows}


def kendall_tau(a, b):
    """Kendall tau-b of two equally long lists (ties counted out of both sides), O(n^2)."""
    n = len(a)
    c = d = ta = tb = 0
    for i in range(n):
        for j in range(i + 1, n):
            x = (a[i] > a[j]) - (a[i] < a[j])
            y = (b[i] > b[j]) - (b[i] < b[j])
            if x == 0 and y == 0:
                continue
            if x == 0:
                ta += 1
            elif y == 0:
                tb += 1
            elif x == y:
                c += 1
            else:
                d += 1
    den = ((c + d + ta) * (c + d + tb)) ** 0.5
    return (c - d) / den if den else float("nan")


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    pa, pb, la, lb = sys.argv[1:5]
    try:
        a, b = load(pa), load(pb)
    except Exception as e:  # a failed run leaves no database: say so in the report, do not stop it
        print(f"\n({la} vs {lb}: comparison skipped: {e})")
        return
    both = sorted(set(a) & set(b))
    status_diff = [i for i in both if a[i][1] != b[i][1]]
    ok = [i for i in both if a[i][1] == "ok" and b[i][1] == "ok"]
    if not ok:
        print(f"\n({la} vs {lb}: no architecture scored ok in both)")
        return
    rel = sorted(abs(b[i][0] - a[i][0]) / abs(a[i][0]) for i in ok)
    identical = sum(a[i][0] == b[i][0] for i in ok)
    print(f"\n{lb} vs {la} over {len(both)} architectures ({len(ok)} ok in both; {len(status_diff)} with a different "
          f"status): relative score difference median {rel[len(rel) // 2]:.2e}, 99th percentile "
          f"{rel[min(len(rel) - 1, int(0.99 * len(rel)))]:.2e}, max {rel[-1]:.2e}; {identical} scores identical; "
          f"Kendall tau between the two rankings {kendall_tau([a[i][0] for i in ok], [b[i][0] for i in ok]):.5f}.")
    if len(sys.argv) > 5 and os.path.exists(sys.argv[5]):
        acc = {}
        with open(sys.argv[5]) as f:
            for r in csv.DictReader(f):
                acc[int(r["index"])] = float(r["c10_test_200"])
        for name, s in ((la, a), (lb, b)):
            ids = [i for i in ok if i in acc]
            t = kendall_tau([s[i][0] for i in ids], [acc[i] for i in ids])
            print(f"{name}: Kendall tau with c10_test_200 over {len(ids)} architectures: {t:.4f}")


if __name__ == "__main__":
    main()
