#!/usr/bin/env python3
"""`recon curve` against a numpy script, whole process, on tall 21,025 x 200 matrices.

Run from the repository root after `cargo build --release`, with a venv holding numpy:
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy
    /tmp/venv/bin/python tools/bench_curve.py
Prints a markdown table (pasted into BENCHMARKS.md) and writes tools/bench_curve.json.

Both sides are timed as whole processes, best of 7: Recon is `recon curve M.npy --json`;
numpy is a fresh `python -c` that imports numpy, loads the file, centres it, takes the
singular values only (`svd(compute_uv=False)`, numpy's cheapest exact route) and prints the
same curve as JSON, with OpenBLAS threads at 1 and at 2 (the faster is quoted). The curves
are compared point by point (largest absolute difference).

Matrices (seeded, 21,025 x 200 = a 145 x 145 hyperspectral cube of 200 bands, float64):
- mixed: 12 smooth endmember spectra mixed per pixel, plus 1% noise (a hyperspectral-like table);
- gaussian: i.i.d. normal;
- steep: rank 12 plus 1e-9 noise, whose last curve points are below what the scatter matrix
  resolves, so Recon's guard falls back to QR + SVD (the slow path, timed too).
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECON = os.path.join(ROOT, "target/release/recon")
PY = sys.executable
TMP = tempfile.mkdtemp(prefix="recon-curve-")
N, D, REPS = 21025, 200, 7

NUMPY = r"""
import json, sys
import numpy as np
x = np.load(sys.argv[1])
xc = x - x.mean(axis=0)
s = np.linalg.svd(xc, compute_uv=False)
e = s * s
total = (xc * xc).sum()
tail = total - np.cumsum(e)
print(json.dumps([1.0] + [float(max(0.0, min(1.0, t / total))) for t in tail]))
"""


def run(cmd, threads=None):
    env = dict(os.environ)
    if threads is not None:
        for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[v] = str(threads)
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"{cmd} failed: {p.stderr}")
    return wall, p.stdout


def best(cmd, threads=None):
    walls, out = [], None
    for _ in range(REPS):
        w, out = run(cmd, threads)
        walls.append(w)
    return min(walls), out


def matrices(rng):
    bands = np.arange(D)
    centres = rng.uniform(0, D, 12)
    widths = rng.uniform(10, 60, 12)
    spectra = np.exp(-((bands[None, :] - centres[:, None]) / widths[:, None]) ** 2)
    abund = rng.dirichlet(np.ones(12), N)
    mixed = abund @ spectra
    mixed += 0.01 * mixed.std() * rng.standard_normal((N, D))
    low = rng.standard_normal((N, 12)) @ rng.standard_normal((12, D))
    steep = low + 1e-9 * rng.standard_normal((N, D))
    return {"mixed": mixed, "gaussian": rng.standard_normal((N, D)), "steep": steep}


def main():
    if not os.path.exists(RECON):
        raise SystemExit("build first: cargo build --release")
    rng = np.random.default_rng(2026)
    results = {"shape": [N, D], "reps": REPS, "numpy": np.__version__, "rows": {}}
    for name, x in matrices(rng).items():
        path = os.path.join(TMP, f"{name}.npy")
        np.save(path, x)
        rw, rout = best([RECON, "curve", path, "--json"])
        report = json.loads(rout)
        nps = {}
        for th in (1, 2):
            w, nout = best([PY, "-c", NUMPY, path], threads=th)
            nps[th] = (w, json.loads(nout))
        th = min(nps, key=lambda t: nps[t][0])
        nw, ncurve = nps[th]
        diff = max(abs(a - b) for a, b in zip(report["relative_squared_error"], ncurve))
        results["rows"][name] = {"recon_s": rw, "solver": report["solver"], "numpy_s": nw, "numpy_threads": th,
                                 "numpy_1_thread_s": nps[1][0], "numpy_2_threads_s": nps[2][0],
                                 "ratio": nw / rw, "max_abs_curve_diff": diff,
                                 "smallest_point": min(v for v in report["relative_squared_error"] if v > 0)}
        os.remove(path)
    json.dump(results, open(os.path.join(ROOT, "tools/bench_curve.json"), "w"), indent=1)
    print("| matrix | Recon solver | Recon (s) | numpy (s, threads) | numpy / Recon | largest curve difference |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for name, r in results["rows"].items():
        print(f"| {name} | {r['solver']} | {r['recon_s']:.3f} | {r['numpy_s']:.3f} ({r['numpy_threads']}) | "
              f"{r['ratio']:.2f}x | {r['max_abs_curve_diff']:.1e} |")


if __name__ == "__main__":
    main()
