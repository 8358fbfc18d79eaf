#!/usr/bin/env python3
"""What PyOD's PCA score ranks like: ROC-AUC of two plain distances on the five ODDS sets.

Run from the repository root with a venv holding numpy (data in ../shared/data/odds):
    /tmp/venv/bin/python tools/odds_norm.py
Prints, per set, the ROC-AUC (label 1 = outlier) of
- ||z||: the Euclidean norm of the standardised row (population standard deviation, constant
  columns left at 0), and
- Mahalanobis: sqrt(zᵀ C⁺ z) over every component (C the correlation matrix, pseudo-inverse for
  constant or collinear columns),
both fitted and scored on all rows, outliers included (PyOD's protocol, as tools/bench_pyod.py).
Compare with the PyOD PCA column of BENCHMARKS.md ("Contaminated training data").
"""
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "data", "odds")


def load(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
    a = np.loadtxt(path, delimiter=",", skiprows=1)
    j = header.index("label")
    return np.delete(a, j, axis=1), a[:, j].astype(int)


def auc(score, label):
    """ROC-AUC by the rank-sum (Mann-Whitney) formula, ties averaged."""
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score))
    s = score[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    pos = label == 1
    n1, n0 = pos.sum(), (~pos).sum()
    return (ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


def main():
    print("| set | ||z|| | Mahalanobis |")
    print("| --- | ---: | ---: |")
    for name in ("arrhythmia", "cardio", "optdigits", "pima", "satellite"):
        x, y = load(os.path.join(DATA, name + ".csv"))
        sd = x.std(axis=0)
        z = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
        norm = np.linalg.norm(z, axis=1)
        cinv = np.linalg.pinv(np.cov(z, rowvar=False, bias=True), hermitian=True)
        maha = np.sqrt(np.einsum("ij,jk,ik->i", z, cinv, z).clip(min=0))
        print(f"| {name} | {auc(norm, y):.3f} | {auc(maha, y):.3f} |")


if __name__ == "__main__":
    main()
