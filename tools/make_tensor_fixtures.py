#!/usr/bin/env python3
"""Golden CP-ALS trajectories from TensorLy, for crates/recon-tensor/tests/golden.rs.

Run from the repository root (needs numpy and tensorly):
    /tmp/venv/bin/pip install numpy tensorly && /tmp/venv/bin/python tools/make_tensor_fixtures.py
For each tensor, TensorLy's `parafac` starts from fixed random factors (stored in the fixture),
runs a fixed number of sweeps without early stopping and records its relative error after every
sweep; Recon, started from the same factors, must follow the same trajectory.
"""
import json

import numpy as np
import tensorly as tl
from tensorly.cp_tensor import CPTensor
from tensorly.decomposition import parafac, tucker


def case(name, x, rank, sweeps, seed):
    rng = np.random.default_rng(seed)
    init = [rng.random((n, rank)) for n in x.shape]
    _, errors = parafac(tl.tensor(x), rank, init=CPTensor((np.ones(rank), [f.copy() for f in init])),
                        n_iter_max=sweeps, tol=0.0, normalize_factors=False, return_errors=True,
                        linesearch=False)
    return {
        "name": name,
        "shape": list(x.shape),
        "rank": rank,
        "sweeps": sweeps,
        "data": x.ravel(order="C").tolist() if x.size <= 5000 else None,
        "init": [f.tolist() for f in init],
        "errors": [float(e) for e in errors],
    }


def main():
    rng = np.random.default_rng(0)
    a, b, c = rng.random((9, 3)), rng.random((8, 3)), rng.random((7, 3))
    planted = np.einsum("ir,jr,kr->ijk", a, b, c) + 0.05 * rng.standard_normal((9, 8, 7))
    covid = np.load("data/COVID19_data.npy")
    cases = [
        case("planted_9x8x7_rank3", planted, 3, 40, 1),
        case("covid_rank2", covid, 2, 25, 2),
        case("covid_rank4", covid, 4, 25, 3),
    ]
    # Tucker: HOSVD start ("svd" init) then HOOI, errors after each sweep.
    tuckers = []
    for name, x, ranks in [("covid_tucker_3x3x3", covid, [3, 3, 3]), ("planted_tucker_4x3x2", planted, [4, 3, 2])]:
        _, errors = tucker(tl.tensor(x), rank=ranks, init="svd", n_iter_max=8, tol=0.0, return_errors=True)
        tuckers.append({"name": name, "ranks": ranks, "shape": list(x.shape),
                        "data": x.ravel(order="C").tolist() if x.size <= 5000 else None,
                        "errors": [float(e) for e in errors]})
    out = {"generator": "tools/make_tensor_fixtures.py", "tensorly": tl.__version__, "numpy": np.__version__,
           "cases": cases, "tucker": tuckers}
    with open("crates/recon-tensor/tests/fixtures/tensorly_cp.json", "w") as f:
        json.dump(out, f)
    print("wrote", len(cases), "cases with tensorly", tl.__version__)


if __name__ == "__main__":
    main()
