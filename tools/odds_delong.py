#!/usr/bin/env python3
"""Is a gap between two ROC-AUCs on the same rows bigger than its noise? Recon's PCA monitor with
`--contamination auto` next to PyOD's PCA on the five ODDS sets, with DeLong's paired test.

The ODDS line of BENCHMARKS.md ("Contaminated training data") compares one AUC with another on
the same rows. Both are estimates from a few dozen to a few hundred outliers; DeLong, DeLong and
Clarke-Pearson (1988) give the variance of the difference of two correlated AUCs from the
per-row placement values, so a gap can be read next to its standard error. PyOD's protocol as
tools/bench_pyod.py: fitted on all rows, outliers included, every row scored.

    python3 -m venv venv && venv/bin/pip install numpy scipy scikit-learn pyod
    cargo build --release && venv/bin/python tools/odds_delong.py [../shared/data]

Prints, per set and PyOD column, both AUCs, the difference (Recon - PyOD), its standard error
and the two-sided p-value. The AUCs are checked against scikit-learn's roc_auc_score.
"""
import math, os, tempfile, warnings

import numpy as np
from sklearn.metrics import roc_auc_score

from bench_pyod import DATA, SETS, load, recon

warnings.filterwarnings("ignore")


def placements(score, y):
    """DeLong's placement values: for each outlier the share of inliers it outscores, for each
    inlier the share of outliers that outscore it (ties count a half)."""
    pos, neg = score[y == 1], score[y == 0]
    v10 = np.array([(np.sum(neg < s) + 0.5 * np.sum(neg == s)) / len(neg) for s in pos])
    v01 = np.array([(np.sum(pos > s) + 0.5 * np.sum(pos == s)) / len(pos) for s in neg])
    return v10, v01


def delong(a, b, y):
    """AUC of a, AUC of b, their difference, its standard error and the two-sided p-value."""
    (a10, a01), (b10, b01) = placements(a, y), placements(b, y)
    d10, d01 = a10 - b10, a01 - b01
    var = np.var(d10, ddof=1) / len(d10) + np.var(d01, ddof=1) / len(d01)
    diff = a10.mean() - b10.mean()
    se = math.sqrt(var)
    p = math.erfc(abs(diff) / se / math.sqrt(2)) if se > 0 else float(diff == 0)
    return a10.mean(), b10.mean(), diff, se, p


def main():
    from pyod.models.pca import PCA
    print("| set | outliers | PyOD column | Recon PCA, contamination auto | PyOD | difference | standard error | p (two-sided) |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        for name in SETS:
            path = os.path.join(DATA, "odds", name + ".csv")
            x, y = load(path)
            out = os.path.join(tmp, name)
            recon("fit", path, "--model", "pca", "--label-col", "label", "--energy", "0.9", "--contamination", "auto",
                  "--out", out)
            ours = np.array(recon("score", out, path, "--json")["scores"])
            for label, model in [("PCA (defaults)", PCA()), ("PCA 90%", PCA(n_components=0.9))]:
                theirs = model.fit(x).decision_scores_
                if not np.all(np.isfinite(theirs)):
                    print(f"| {name} | {y.sum()} | {label} | {roc_auc_score(y, ours):.3f} | non-finite scores | | | |")
                    continue
                a, b, diff, se, p = delong(ours, theirs, y)
                assert abs(a - roc_auc_score(y, ours)) < 1e-12 and abs(b - roc_auc_score(y, theirs)) < 1e-12
                print(f"| {name} | {y.sum()} | {label} | {a:.3f} | {b:.3f} | {diff:+.3f} | {se:.3f} | {p:.2g} |",
                      flush=True)


if __name__ == "__main__":
    main()
