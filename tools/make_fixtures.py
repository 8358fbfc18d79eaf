#!/usr/bin/env python3
"""Golden values for Recon's linear tests, computed independently with numpy / scikit-learn.

Run from the repository root (needs numpy and scikit-learn):
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy scikit-learn
    /tmp/venv/bin/python tools/make_fixtures.py
Writes:
    crates/recon-linear/tests/fixtures/pca_golden.json   PCA of data/digits.csv and data/wine.csv
    crates/recon-core/tests/fixtures/*.npy               NPY files in other dtypes / orders
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
    x = np.loadtxt(path, delimiter=",", skiprows=1, usecols=keep, dtype=np.float64)
    return x, [header[i] for i in keep]


def golden(path, drop):
    x, cols = load(path, drop)
    n, d = x.shape
    pca = PCA(svd_solver="full").fit(x)
    xc = x - x.mean(axis=0)
    u, s, vt = np.linalg.svd(xc, full_matrices=False)
    total = float(np.sum(xc * xc))
    # Relative squared error by explicit reconstruction (not from the singular values).
    err = []
    for k in range(0, min(n, d) + 1):
        xk = (u[:, :k] * s[:k]) @ vt[:k]
        err.append(float(np.sum((xc - xk) ** 2) / total))
    # Uncentred (truncated SVD) errors.
    u0, s0, vt0 = np.linalg.svd(x, full_matrices=False)
    total0 = float(np.sum(x * x))
    err0 = [float(np.sum((x - (u0[:, :k] * s0[:k]) @ vt0[:k]) ** 2) / total0) for k in range(0, min(n, d) + 1)]
    # Per-row and per-column squared errors at rank 3 (sklearn transform / inverse_transform).
    p3 = PCA(n_components=3, svd_solver="full").fit(x)
    r3 = x - p3.inverse_transform(p3.transform(x))
    # Standardised (correlation) PCA: StandardScaler (population std) then PCA.
    xs = StandardScaler().fit_transform(x)
    ps = PCA(svd_solver="full").fit(xs)
    return {
        "scaled_singular_values": ps.singular_values_.tolist(),
        "scaled_explained_variance_ratio": ps.explained_variance_ratio_.tolist(),
        "scaled_components": ps.components_.tolist(),
        "path": path,
        "columns": cols,
        "n_rows": n,
        "n_cols": d,
        "singular_values": pca.singular_values_.tolist(),
        "explained_variance": pca.explained_variance_.tolist(),
        "explained_variance_ratio": pca.explained_variance_ratio_.tolist(),
        "components": pca.components_.tolist(),
        "mean": pca.mean_.tolist(),
        "relative_squared_error": err,
        "uncentered_singular_values": s0.tolist(),
        "uncentered_relative_squared_error": err0,
        "rank3_row_errors": np.sum(r3 ** 2, axis=1).tolist(),
        "rank3_col_errors": np.sum(r3 ** 2, axis=0).tolist(),
        "rank3_transform_first_rows": p3.transform(x[:5]).tolist(),
    }


def main():
    out = {
        "generator": "tools/make_fixtures.py",
        "numpy": np.__version__,
        "scikit_learn": sklearn.__version__,
        "python": platform.python_version(),
        "digits": golden("data/digits.csv", "label"),
        "wine": golden("data/wine.csv", "cultivar"),
    }
    with open("crates/recon-linear/tests/fixtures/pca_golden.json", "w") as f:
        json.dump(out, f)
    # NPY in other dtypes and orders: the first 20 rows x 5 columns of wine.
    x, _ = load("data/wine.csv", "cultivar")
    sub = x[:20, :5]
    np.save("crates/recon-core/tests/fixtures/wine_f8_c.npy", np.ascontiguousarray(sub))
    np.save("crates/recon-core/tests/fixtures/wine_f4_fortran.npy", np.asfortranarray(sub.astype(np.float32)))
    np.save("crates/recon-core/tests/fixtures/wine_i4_fortran.npy", np.asfortranarray(np.round(sub).astype(np.int32)))
    np.save("crates/recon-core/tests/fixtures/wine_u1_c.npy", np.clip(np.round(sub), 0, 255).astype(np.uint8))
    np.save("crates/recon-core/tests/fixtures/vector_1d.npy", sub[:, 0])
    np.savetxt("crates/recon-core/tests/fixtures/wine_sub.csv", sub, delimiter=",", header="a,b,c,d,e", comments="", fmt="%.17g")
    # Small 3-way tensors: C order with two NaN (missing) entries, and Fortran order.
    t = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    tn = t.copy(); tn[0, 0, 1] = np.nan; tn[1, 2, 3] = np.nan
    np.save("crates/recon-core/tests/fixtures/tensor_2x3x4_nan.npy", tn)
    np.save("crates/recon-core/tests/fixtures/tensor_2x3x4_fortran.npy", np.asfortranarray(t))
    print("wrote fixtures with numpy", np.__version__, "scikit-learn", sklearn.__version__)


if __name__ == "__main__":
    main()
