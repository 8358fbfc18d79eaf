#!/usr/bin/env python3
"""Fixture for fair PCA: the SDP relaxation of Samadi et al. (2018) solved with cvxpy on small
cases, next to standard PCA's group losses computed with numpy.

For each case: rows drawn from groups with different covariance structures, standardised with
the pooled mean and population standard deviation (as Recon), group second-moment matrices
C_i = A_i^T A_i / m_i, own best rank-d error best_i (sum of all but the top d eigenvalues of C_i),
loss_i(P) = tr C_i - tr(P C_i) - best_i. SDP: minimise z subject to z >= loss_i(P) for every
group, 0 <= P <= I (PSD order), tr P = d. Writes crates/recon-linear/tests/fixtures/fair_pca.json.

    python3 -m venv venv && venv/bin/pip install numpy cvxpy
    venv/bin/python tools/make_fair_pca_fixture.py
"""
import json, os

import cvxpy as cp
import numpy as np


def case(seed, sizes, p, d):
    rng = np.random.default_rng(seed)
    rows, groups = [], []
    for g, m in enumerate(sizes):
        w = rng.normal(size=(p, 2)) * (1.0 + g)
        x = rng.normal(size=(m, 2)) @ w.T + 0.3 * rng.normal(size=(m, p)) + rng.normal(size=p) * 0.5
        rows.append(x)
        groups += [f"g{g}"] * m
    x = np.vstack(rows)
    z = (x - x.mean(0)) / x.std(0)
    groups = np.array(groups)
    names = sorted(set(groups))
    c = [z[groups == g].T @ z[groups == g] / (groups == g).sum() for g in names]
    best = [np.sort(np.linalg.eigvalsh(ci))[::-1][d:].sum() for ci in c]
    # Standard PCA of rank d on the pooled standardised rows.
    _, _, vt = np.linalg.svd(z, full_matrices=False)
    ps = vt[:d].T @ vt[:d]
    standard = [float(np.trace(ci) - np.trace(ps @ ci) - b) for ci, b in zip(c, best)]
    P = cp.Variable((p, p), symmetric=True)
    t = cp.Variable()
    cons = [P >> 0, np.eye(p) - P >> 0, cp.trace(P) == d]
    cons += [t >= np.trace(ci) - cp.trace(P @ ci) - b for ci, b in zip(c, best)]
    prob = cp.Problem(cp.Minimize(t), cons)
    prob.solve(solver=cp.CLARABEL)
    return {"seed": seed, "d": d, "columns": [f"x{j}" for j in range(p)], "rows": x.tolist(),
            "groups": groups.tolist(), "standard_losses": standard, "sdp_optimum": float(prob.value),
            "solver": "CLARABEL", "status": prob.status}


cases = [case(1, [120, 30], 6, 2), case(2, [200, 40], 8, 3), case(3, [90, 45, 20], 6, 2), case(4, [150, 60, 25], 7, 1)]
path = os.path.join(os.path.dirname(__file__), "..", "crates", "recon-linear", "tests", "fixtures", "fair_pca.json")
with open(path, "w") as f:
    json.dump({"cvxpy": cp.__version__, "cases": cases}, f)
for c in cases:
    print(len(set(c["groups"])), "groups: standard max loss %.5f, SDP optimum %.5f (%s)"
          % (max(c["standard_losses"]), c["sdp_optimum"], c["status"]))
