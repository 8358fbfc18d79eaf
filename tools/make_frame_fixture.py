#!/usr/bin/env python3
"""Fixture for recon-signal's frames: frame bounds, canonical duals and worst-case erasure errors
computed independently with numpy, for a few frames.

For each frame (d x N, one vector per column): the optimal bounds (extreme eigenvalues of
S = F F^T), the canonical dual S^-1 F (numpy.linalg.solve), and for e = 1, 2, 3 erasures the
largest and mean operator norm (numpy.linalg.norm(., 2)) of R_E = sum_{i in E} dual_i f_i^T over
every erasure set, with the number of sets after which the remaining vectors no longer span R^d
(numpy.linalg.matrix_rank). Harmonic frames are built here from the DFT (real and imaginary
parts of exp(2 pi i k j / N), j = 1..d/2, scaled by sqrt(2/d), plus 1/sqrt(d) for odd d) so the
Rust construction is checked too.

    python3 -m venv venv && venv/bin/pip install numpy
    venv/bin/python tools/make_frame_fixture.py
"""
import itertools, json, os

import numpy as np


def harmonic(d, n):
    k = np.arange(n)
    rows = []
    if d % 2:
        rows.append(np.full(n, 1 / np.sqrt(d)))
    for j in range(1, d // 2 + 1):
        z = np.exp(2j * np.pi * k * j / n) * np.sqrt(2 / d)
        rows += [z.real, z.imag]
    return np.array(rows)


def random_frame(d, n, seed):
    g = np.random.default_rng(seed).normal(size=(d, n))
    return g / np.linalg.norm(g, axis=0)


def union(d, k, seed):
    rng = np.random.default_rng(seed)
    return np.hstack([np.eye(d)] + [np.linalg.qr(rng.normal(size=(d, d)))[0] for _ in range(k - 1)])


def describe(name, f):
    d, n = f.shape
    s = f @ f.T
    ev = np.linalg.eigvalsh(s)
    dual = np.linalg.solve(s, f)
    out = {"name": name, "vectors": f.tolist(), "bounds": [float(ev[0]), float(ev[-1])], "dual": dual.tolist(),
           "erasures": []}
    for e in (1, 2, 3):
        norms, lost = [], 0
        for E in itertools.combinations(range(n), e):
            E = list(E)
            r = dual[:, E] @ f[:, E].T
            norms.append(np.linalg.norm(r, 2))
            keep = [i for i in range(n) if i not in E]
            lost += int(np.linalg.matrix_rank(f[:, keep]) < d)
        out["erasures"].append({"erased": e, "worst": float(max(norms)), "mean": float(np.mean(norms)),
                                "not_a_frame": lost, "sets": len(norms)})
    return out


frames = [("harmonic 3x7", harmonic(3, 7)), ("harmonic 4x9", harmonic(4, 9)), ("harmonic 6x8", harmonic(6, 8)),
          ("random 3x5", random_frame(3, 5, 1)), ("random 4x10", random_frame(4, 10, 2)),
          ("union 3x2", union(3, 2, 3)), ("union 4x3", union(4, 3, 4))]
path = os.path.join(os.path.dirname(__file__), "..", "crates", "recon-signal", "tests", "fixtures", "frames.json")
with open(path, "w") as fh:
    json.dump({"numpy": np.__version__, "frames": [describe(n, f) for n, f in frames]}, fh)
print("wrote", path)
