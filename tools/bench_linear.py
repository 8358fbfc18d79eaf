#!/usr/bin/env python3
"""Side-by-side timings of Recon against numpy / scikit-learn, in one run on this machine.

Run from the repository root with a venv holding numpy, scikit-learn and pandas:
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy scikit-learn pandas
    /tmp/venv/bin/python tools/bench_linear.py [--quick]
Prints a markdown table (pasted into BENCHMARKS.md) and writes tools/bench_linear.json.
Each anchor runs in its own process with OPENBLAS/OMP/MKL threads set to 1 and to 2; the
faster is quoted (OpenBLAS with 2 threads is often slower on these 2-core machines).
Recon runs with its default parallelism (faer/rayon: all cores).
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUICK = "--quick" in sys.argv
PY = sys.executable
TMP = tempfile.mkdtemp(prefix="recon-bench-")


def run(cmd, env=None, threads=None):
    """Runs cmd, returns (wall seconds, stdout)."""
    e = dict(os.environ, **(env or {}))
    if threads is not None:
        for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            e[v] = str(threads)
    t = time.perf_counter()
    p = subprocess.Popen(cmd, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.communicate()
    wall = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"{cmd} failed: {err}")
    return wall, out


def run_rss(cmd, threads=None):
    """Runs cmd under GNU time; returns (wall seconds, peak RSS MiB). (ru_maxrss of a child
    forked from this large Python process would include the parent's pages.)"""
    e = dict(os.environ)
    if threads is not None:
        for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            e[v] = str(threads)
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M"] + cmd, env=e, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"{cmd} failed: {p.stderr}")
    kib = int([l for l in p.stderr.splitlines() if l.startswith("MAXRSS")][-1].split()[1])
    return wall, kib / 1024.0


def py_timed(code, threads, reps=3):
    """Runs `code` (which defines x and a function f) in a fresh python; best time of f over reps."""
    prog = code + f"""
import time, json
best = 1e9
for _ in range({reps}):
    t = time.perf_counter(); r = f(); best = min(best, time.perf_counter() - t)
print(json.dumps({{"seconds": best, "s": [float(v) for v in r]}}))
"""
    _, out = run([PY, "-c", prog], threads=threads)
    return json.loads(out)


def recon_fit(method, path, k, reps=3):
    exe = os.path.join(ROOT, "target/release/examples/bench_fit")
    _, out = run([exe, method, path, str(k), str(reps)])
    return json.loads(out)


def main():
    subprocess.check_call(["cargo", "build", "--release", "-q", "-p", "recon-linear", "--example", "bench_fit"], cwd=ROOT)
    subprocess.check_call(["cargo", "build", "--release", "-q", "-p", "recon-cli"], cwd=ROOT)
    recon = os.path.join(ROOT, "target/release/recon")
    rng = np.random.default_rng(0)
    rows = []
    results = {"machine": os.uname().nodename, "cpus": os.cpu_count(), "numpy": np.__version__}

    # 1. Exact PCA of 100,000 x 200.
    n, d = (20000, 200) if QUICK else (100000, 200)
    x = rng.standard_normal((n, 20)) @ rng.standard_normal((20, d)) + 0.1 * rng.standard_normal((n, d))
    p_exact = os.path.join(TMP, "exact.npy")
    np.save(p_exact, x)
    load = f"import numpy as np\nx = np.load({p_exact!r})\n"
    anchors = {}
    for th in (1, 2):
        anchors[f"numpy.linalg.svd ({th} thread)"] = py_timed(
            load + "def f():\n    xc = x - x.mean(0)\n    return np.linalg.svd(xc, full_matrices=False)[1][:3]\n", th)
        anchors[f"sklearn PCA full ({th} thread)"] = py_timed(
            load + "from sklearn.decomposition import PCA\ndef f():\n    return PCA(svd_solver='full').fit(x).singular_values_[:3]\n", th)
    r = recon_fit("exact", p_exact, 3)
    results["exact"] = {"shape": [n, d], "recon": r, "anchors": anchors}
    best_np = min(v["seconds"] for k, v in anchors.items() if k.startswith("numpy"))
    best_sk = min(v["seconds"] for k, v in anchors.items() if k.startswith("sklearn"))
    rows.append((f"exact PCA {n:,} x {d}", r["seconds"], "numpy.linalg.svd (best of 1/2 threads)", best_np))
    rows.append((f"exact PCA {n:,} x {d}", r["seconds"], "sklearn PCA(svd_solver='full')", best_sk))

    # 2. Randomized rank-20 SVD of 100,000 x 1,000 with a decaying spectrum.
    n, d, k = (20000, 1000, 20) if QUICK else (100000, 1000, 20)
    u, _ = np.linalg.qr(rng.standard_normal((n, 60)))
    v, _ = np.linalg.qr(rng.standard_normal((d, 60)))
    s_true = 100.0 * 0.9 ** np.arange(60)
    x = (u * s_true) @ v.T + 1e-3 * rng.standard_normal((n, d))
    del u, v
    p_rand = os.path.join(TMP, "rand.npy")
    np.save(p_rand, x)
    s_ref = np.linalg.svd(x - x.mean(0), compute_uv=False)[:k]
    del x
    load = f"import numpy as np\nx = np.load({p_rand!r})\n"
    anchors = {}
    for th in (1, 2):
        anchors[f"randomized_svd ({th} thread)"] = py_timed(
            load + "from sklearn.utils.extmath import randomized_svd\n"
            f"def f():\n    xc = x - x.mean(0)\n    return randomized_svd(xc, {k}, n_oversamples=10, n_iter=4, random_state=0)[1]\n", th)
    r = recon_fit("randomized", p_rand, k)
    err = lambda s: float(np.max(np.abs(np.array(s) - s_ref) / s_ref))
    best = min(anchors.values(), key=lambda a: a["seconds"])
    results["randomized"] = {"shape": [n, d], "k": k, "recon": r, "anchors": anchors,
                             "recon_max_rel_sigma_error": err(r["singular_values"]),
                             "sklearn_max_rel_sigma_error": err(best["s"])}
    rows.append((f"randomized rank-{k} SVD {n:,} x {d} (10 oversamples, 4 power its)", r["seconds"],
                 "sklearn randomized_svd (best of 1/2 threads)", best["seconds"]))

    # 3. Streaming PCA from CSV: fit pass + error pass; wall time and peak memory at 1x and 10x rows.
    d = 100
    sizes = (20000, 200000) if QUICK else (200000, 2000000)
    ipca = f"""
import sys, numpy as np, pandas as pd
from sklearn.decomposition import IncrementalPCA
p = sys.argv[1]
m = IncrementalPCA(n_components=10)
for c in pd.read_csv(p, chunksize=8192):
    m.partial_fit(c.to_numpy())
err = tot = 0.0
for c in pd.read_csv(p, chunksize=8192):
    a = c.to_numpy(); r = m.inverse_transform(m.transform(a))
    err += ((a - r) ** 2).sum(); tot += ((a - m.mean_) ** 2).sum()
print(err / tot)
"""
    stream = {}
    for n in sizes:
        path = os.path.join(TMP, f"stream_{n}.csv")
        with open(path, "w") as f:
            f.write(",".join(f"c{j}" for j in range(d)) + "\n")
            for start in range(0, n, 100000):
                m = min(100000, n - start)
                blk = rng.standard_normal((m, 10)) @ rng.standard_normal((10, d)) + 0.1 * rng.standard_normal((m, d))
                np.savetxt(f, blk, delimiter=",", fmt="%.6g")
        size_mb = os.path.getsize(path) / 2**20
        rw, rm = run_rss([recon, "compress", path, "--rank", "10", "--method", "streaming", "--json"])
        best = None
        for th in (1, 2):
            pw, pm = run_rss([PY, "-c", ipca, path], threads=th)
            if best is None or pw < best[0]:
                best = (pw, pm, th)
        stream[n] = {"csv_mib": size_mb, "recon_s": rw, "recon_peak_mib": rm,
                     "ipca_s": best[0], "ipca_peak_mib": best[1], "ipca_threads": best[2]}
        rows.append((f"streaming PCA, {n:,} x {d} CSV ({size_mb:.0f} MiB), fit + error pass", rw,
                     "IncrementalPCA + pandas chunks", best[0]))
        os.remove(path)
    results["streaming"] = stream

    # 4. recon curve end to end on 20,000 x 200 (.npy): load, fit, curve, JSON.
    x = rng.standard_normal((20000, 200))
    p_curve = os.path.join(TMP, "curve.npy")
    np.save(p_curve, x)
    walls = [run([recon, "curve", p_curve, "--json"])[0] for _ in range(5)]
    results["curve_20k_200_seconds"] = min(walls)

    json.dump(results, open(os.path.join(ROOT, "tools/bench_linear.json"), "w"), indent=1)
    print("| task | Recon (s) | anchor | anchor (s) | anchor / Recon |")
    print("| --- | ---: | --- | ---: | ---: |")
    for task, rs, anchor, a in rows:
        print(f"| {task} | {rs:.3f} | {anchor} | {a:.3f} | {a / rs:.2f}x |")
    for n, v in stream.items():
        print(f"streaming {n:,} rows: Recon peak {v['recon_peak_mib']:.0f} MiB, IncrementalPCA peak {v['ipca_peak_mib']:.0f} MiB")
    rr = results["randomized"]
    print(f"randomized accuracy (max relative sigma error vs exact): Recon {rr['recon_max_rel_sigma_error']:.2e}, "
          f"sklearn {rr['sklearn_max_rel_sigma_error']:.2e}")
    print(f"recon curve 20,000 x 200 end to end: {results['curve_20k_200_seconds']:.3f} s (best of 5)")


if __name__ == "__main__":
    main()
