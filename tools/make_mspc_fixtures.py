#!/usr/bin/env python3
"""Golden PCA-monitor statistics (T², SPE and their control limits) with scikit-learn / scipy.

Run from the repository root (needs numpy, scipy, scikit-learn):
    /tmp/venv/bin/python tools/make_mspc_fixtures.py
Writes crates/recon-linear/tests/fixtures/mspc_te.json: a PCA monitor fitted on the Tennessee
Eastman normal training file (standardised, fewest components reaching 90% of the variance,
limits at 99%) and its statistics on the fault-1 test file.
"""
import json

import numpy as np
from scipy import stats
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

train = np.loadtxt("data/tennessee_eastman/d00_train.csv", delimiter=",", skiprows=1)
test = np.loadtxt("data/tennessee_eastman/d01_test.csv", delimiter=",", skiprows=1)
scaler = StandardScaler().fit(train)
xs = scaler.transform(train)
full = PCA(svd_solver="full").fit(xs)
k = int(np.searchsorted(np.cumsum(full.explained_variance_ratio_), 0.9 - 1e-12) + 1)
lam = full.explained_variance_
n, alpha = train.shape[0], 0.01
t2_lim = k * (n - 1) * (n + 1) / (n * (n - k)) * stats.f.ppf(1 - alpha, k, n - k)
th = [np.sum(lam[k:] ** p) for p in (1, 2, 3)]
h0 = 1 - 2 * th[0] * th[2] / (3 * th[1] ** 2)
z = stats.norm.ppf(1 - alpha)
spe_lim = th[0] * (z * np.sqrt(2 * th[1] * h0 ** 2) / th[0] + 1 + th[1] * h0 * (h0 - 1) / th[0] ** 2) ** (1 / h0)
p = PCA(n_components=k, svd_solver="full").fit(xs)
zs = scaler.transform(test)
scores = p.transform(zs)
t2 = np.sum(scores ** 2 / p.explained_variance_, axis=1)
spe = np.sum((zs - p.inverse_transform(scores)) ** 2, axis=1)
json.dump({"generator": "tools/make_mspc_fixtures.py", "components": k, "t2_limit": float(t2_lim),
           "spe_limit": float(spe_lim), "t2": t2.tolist(), "spe": spe.tolist()},
          open("crates/recon-linear/tests/fixtures/mspc_te.json", "w"))
print("k", k, "T2 limit", t2_lim, "SPE limit", spe_lim)
