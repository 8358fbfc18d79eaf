#!/usr/bin/env python3
"""CP-ALS speed: Recon against TensorLy, side by side in one run on this machine.

Run from the repository root with a venv holding numpy and tensorly:
    /tmp/venv/bin/pip install numpy tensorly && /tmp/venv/bin/python tools/bench_tensor.py
Prints a markdown table for BENCHMARKS.md and writes tools/bench_tensor.json.
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = sys.executable


def timed(cmd, threads=None):
    env = dict(os.environ)
    if threads:
        for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[v] = str(threads)
    p = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M"] + cmd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{cmd}: {p.stderr}")
    rss = int([l for l in p.stderr.splitlines() if l.startswith("MAXRSS")][-1].split()[1]) / 1024
    return json.loads(p.stdout.strip().splitlines()[-1]), rss


TENSORLY = """
import sys, time, json, numpy as np, tensorly as tl
from tensorly.decomposition import parafac
n, r, sweeps = map(int, sys.argv[1:4])
rng = np.random.default_rng(0)
f = [rng.random((n, r)) for _ in range(3)]
x = np.einsum('ir,jr,kr->ijk', *f) + 0.01 * rng.random((n, n, n))
parafac(x, r, n_iter_max=1, tol=0.0, init='random', random_state=1)  # warm-up
t = time.perf_counter()
_, errors = parafac(x, r, n_iter_max=sweeps, tol=0.0, init='random', random_state=1, return_errors=True)
dt = time.perf_counter() - t
print(json.dumps({"seconds_per_sweep": dt / len(errors), "sweeps": len(errors), "error": float(errors[-1])}))
"""


def main():
    subprocess.check_call(["cargo", "build", "--release", "-q", "-p", "recon-tensor", "--example", "bench_cp"], cwd=ROOT)
    exe = os.path.join(ROOT, "target/release/examples/bench_cp")
    res = {"dense": {}, "sparse": []}
    n, r, sweeps = 200, 10, 25
    rc, _ = timed([exe, "dense", str(n), str(r), str(sweeps)])
    tly = {th: timed([PY, "-c", TENSORLY, str(n), str(r), str(sweeps)], threads=th)[0] for th in (1, 2)}
    best_th = min(tly, key=lambda k: tly[k]["seconds_per_sweep"])
    res["dense"] = {"recon": rc, "tensorly": tly, "shape": [n, n, n], "rank": r}
    print("| task | Recon s/sweep | TensorLy s/sweep | TensorLy / Recon |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| dense CP-ALS {n}x{n}x{n}, rank {r} | {rc['seconds_per_sweep']:.3f} | "
          f"{tly[best_th]['seconds_per_sweep']:.3f} ({best_th} thread) | {tly[best_th]['seconds_per_sweep'] / rc['seconds_per_sweep']:.1f}x |")
    print()
    print("| nnz | Recon s/sweep | peak RSS (MiB) | bytes per nonzero |")
    print("| ---: | ---: | ---: | ---: |")
    for nnz in (1_000_000, 3_000_000, 10_000_000):
        out, rss = timed([exe, "sparse", "100000", "10000", "365", str(nnz), "10", "5"])
        res["sparse"].append({"target_nnz": nnz, **out, "peak_rss_mib": rss})
        print(f"| {out['nnz']:,} | {out['seconds_per_sweep']:.3f} | {rss:.0f} | {rss * 2**20 / out['nnz']:.0f} |")
    json.dump(res, open(os.path.join(ROOT, "tools/bench_tensor.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
