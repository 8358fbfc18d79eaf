#!/usr/bin/env python3
"""Speed of `recon audit` next to the same computation in Python, in one run (BENCHMARKS.md).

Table: the 30,162-row UCI Adult table (../shared/data/fairness/adult.csv). Model: a
standardised 2-component PCA monitor of age, education-num, hours-per-week, capital-gain and
capital-loss, fitted with `recon fit`. Groups: sex, then sex × race.

- Recon: `recon audit MODEL adult.csv --group-col G --bootstrap 1000 --permutations 10000
  --equal-size 0 --json` (wall time of the whole command: reading the table, scoring, the audit).
- Python: the same errors (scikit-learn StandardScaler + PCA), Fairlearn's MetricFrame with
  n_boot=1000 (bootstrap intervals of the group means), plus a numpy permutation test with
  10,000 relabellings per group (Fairlearn has none) — reading the CSV with pandas included.

    python3 -m venv venv && venv/bin/pip install numpy pandas scikit-learn fairlearn
    cargo build --release && venv/bin/python tools/bench_audit.py [../shared/data]
"""
import json, os, subprocess, sys, tempfile, time

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

ROOT = os.path.join(os.path.dirname(__file__), "..")
DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "data")
RECON = os.environ.get("RECON", os.path.join(ROOT, "target", "release", "recon"))
ADULT = os.path.join(DATA, "fairness", "adult.csv")
COLS = ["age", "education-num", "hours-per-week", "capital-gain", "capital-loss"]


def python_audit(groups, boot=1000, perms=10000, seed=0):
    """Times of (errors, MetricFrame with bootstrap, permutation tests) and the group means."""
    t0 = time.perf_counter()
    df = pd.read_csv(ADULT)
    z = StandardScaler().fit_transform(df[COLS].to_numpy(float))
    pca = PCA(n_components=2, svd_solver="full").fit(z)
    err = ((z - pca.inverse_transform(pca.transform(z))) ** 2).sum(1)
    t1 = time.perf_counter()
    sf = df[groups]
    mf = MetricFrame(metrics={"mean": lambda t, p: float(np.mean(t))}, y_true=err, y_pred=err,
                     sensitive_features=sf, n_boot=boot, ci_quantiles=[0.025, 0.975], random_state=seed)
    _ = mf.by_group, mf.by_group_ci
    t2 = time.perf_counter()
    # Permutation test of each group's mean (Fairlearn has none): the group's rows drawn at
    # random, in batches of 100 permutations per numpy call (argsort of random keys).
    rng = np.random.default_rng(seed)
    labels = sf.astype(str).agg(" & ".join, axis=1).to_numpy()
    p = {}
    for g in np.unique(labels):
        m = int((labels == g).sum())
        obs = err[labels == g].sum()
        hits = 0
        for _ in range(perms // 100):
            idx = np.argpartition(rng.random((100, len(err))), m - 1, axis=1)[:, :m]
            hits += int((err[idx].sum(axis=1) >= obs).sum())
        p[g] = (1 + hits) / (1 + perms)
    t3 = time.perf_counter()
    return mf.by_group, p, (t1 - t0, t2 - t1, t3 - t2)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "pca")
        subprocess.run([RECON, "fit", ADULT, "--model", "pca", "--columns", ",".join(COLS), "--components", "2",
                        "--limits", "analytical", "--out", model], check=True, capture_output=True)
        print("| groups | Recon `audit`, whole command (s) | read + scikit-learn errors (s) | Fairlearn MetricFrame(n_boot=1000) (s) | numpy permutations, 10,000 per group (s) | Python total / Recon |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for groups in (["sex"], ["sex", "race"]):
            t0 = time.perf_counter()
            out = subprocess.run([RECON, "audit", model, ADULT, "--group-col", ",".join(groups), "--bootstrap", "1000",
                                  "--permutations", "10000", "--equal-size", "0", "--json"], check=True,
                                 capture_output=True, text=True).stdout
            tr = time.perf_counter() - t0
            r = json.loads(out)
            by, p, (te, tm, tpm) = python_audit(groups)
            tp = te + tm + tpm
            # The group means agree (a sanity check on the comparison, not the fixture test).
            means = {g["group"]: g["mean_error"] for g in r["groups"]}
            for k, v in by["mean"].items():
                name = " & ".join(k) if isinstance(k, tuple) else k
                assert abs(means[name] - v) < 1e-9 * max(1, abs(v)), (name, means[name], v)
            print(f"| {' × '.join(groups)} ({len(means)} groups) | {tr:.2f} | {te:.2f} | {tm:.2f} | {tpm:.2f} | {tp / tr:.0f}× |",
                  flush=True)


if __name__ == "__main__":
    main()
