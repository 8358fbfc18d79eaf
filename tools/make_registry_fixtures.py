#!/usr/bin/env python3
"""Per-row reconstruction errors of a `recon compress` model, computed independently with numpy,
for crates/recon-cli/tests/cli/registry.rs (`recon score` on a compress model folder).

Run from the repository root (needs numpy and scikit-learn):
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy scikit-learn
    /tmp/venv/bin/python tools/make_registry_fixtures.py
Writes crates/recon-cli/tests/fixtures/compress_row_errors.json:
    wine_rank3:        rank-3 PCA of data/wine.csv (centred), ||x - x_hat||^2 per row, data units
    wine_scaled_rank3: the same on standardised columns (population sd, scikit-learn's
                       StandardScaler), errors in standardised units
Both reconstructions are explicit: x_hat = mean + (x - mean) V_k V_k^T from numpy's SVD, and the
standardised one is checked against scikit-learn's PCA.inverse_transform.
"""
import json
import platform

import numpy as np
import sklearn
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler


def load(path, drop):
    with open(path) as f:
        header = f.readline().strip().split(",")
    keep = [i for i, h in enumerate(header) if h != drop]
    return np.loadtxt(path, delimiter=",", skiprows=1, usecols=keep, dtype=np.float64)


def row_errors(z, k):
    mu = z.mean(axis=0)
    _, _, vt = np.linalg.svd(z - mu, full_matrices=False)
    v = vt[:k].T
    zh = mu + (z - mu) @ v @ v.T
    return zh, ((z - zh) ** 2).sum(axis=1)


x = load("data/wine.csv", "cultivar")
_, raw = row_errors(x, 3)
z = StandardScaler().fit_transform(x)
zh, scaled = row_errors(z, 3)
sk = PCA(n_components=3, svd_solver="full").fit(z)
assert np.allclose(sk.inverse_transform(sk.transform(z)), zh, atol=1e-10)
out = {
    "generator": f"numpy {np.__version__}, scikit-learn {sklearn.__version__}, python {platform.python_version()}",
    "wine_rank3": raw.tolist(),
    "wine_scaled_rank3": scaled.tolist(),
}
with open("crates/recon-cli/tests/fixtures/compress_row_errors.json", "w") as f:
    json.dump(out, f)
print("wrote crates/recon-cli/tests/fixtures/compress_row_errors.json")
