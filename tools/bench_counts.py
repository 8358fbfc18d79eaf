#!/usr/bin/env python3
"""Planted single-gene outliers in simulated counts: average precision of Recon's NB VAE at its
defaults next to the baselines, computed here independently of Recon (numpy / scikit-learn), and
scvi-tools' SCVI where it installs. One run, one table (BENCHMARKS.md).

Per table (`recon simulate counts --samples N --genes G --outlier-rate 0.002 --seed S`):
- Recon: `recon fit --model vae --likelihood nb` with no other option, then
  `recon score --per-feature --json`; every entry ranked by −log of its two-sided NB p-value.
- PCA on log-normalised counts: scale every sample to the median library size, log1p, standardise
  each gene, k-component PCA (k = Recon's default latent size, min(10, genes − 1)); squared
  residual. The same PCA on raw counts.
- SCVI (gene_likelihood="nb", n_latent=k), with its default training (400 epochs at most for
  these sizes) and trained to convergence (3000 epochs at most, early stopping on its validation
  ELBO with patience 45): NB mean and dispersion of each
  entry from `get_likelihood_parameters` (mean over 25 posterior draws), two-sided NB p-value
  (scipy), −log p.
Average precision: scikit-learn's `average_precision_score`.

    python3 -m venv venv && venv/bin/pip install numpy scipy scikit-learn scvi-tools
    cargo build --release && venv/bin/python tools/bench_counts.py
"""
import contextlib, csv, json, os, subprocess, sys, tempfile, time, warnings

import numpy as np
from scipy import stats
from sklearn.decomposition import PCA
from sklearn.metrics import average_precision_score

warnings.filterwarnings("ignore")
RECON = os.environ.get("RECON", os.path.join(os.path.dirname(__file__), "..", "target", "release", "recon"))
TABLES = [(200, 500, 41), (500, 200, 42), (300, 150, 43), (100, 300, 44)]


def recon(*args):
    return json.loads(subprocess.run([RECON, *args], check=True, capture_output=True, text=True).stdout)


def load(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    head = rows[0]
    genes = [h for h in head if h not in ("sample_id", "condition")]
    idx = [head.index(g) for g in genes]
    x = np.array([[float(r[j]) for j in idx] for r in rows[1:]])
    ids = [r[head.index("sample_id")] for r in rows[1:]]
    return x, genes, ids


def truth(path, ids, genes):
    t = np.zeros((len(ids), len(genes)), dtype=bool)
    si, gi = {s: i for i, s in enumerate(ids)}, {g: j for j, g in enumerate(genes)}
    with open(path) as f:
        for r in csv.DictReader(f):
            t[si[r["sample_id"]], gi[r["gene"]]] = True
    return t


def pca_scores(y, k):
    z = (y - y.mean(0)) / np.where(y.std(0) > 0, y.std(0), 1.0)
    p = PCA(n_components=k, svd_solver="full").fit(z)
    r = z - p.inverse_transform(p.transform(z))
    return r ** 2


def log_normalised(x):
    lib = x.sum(1, keepdims=True)
    return np.log1p(x * np.median(lib) / lib)


def nb_two_sided(x, mu, theta):
    """Two-sided NB p-value: 2 · min(P(X ≤ x), P(X ≥ x)), capped at 1 (Recon's definition)."""
    p = theta / (theta + mu)
    lo = stats.nbinom.cdf(x, theta, p)
    hi = stats.nbinom.sf(x - 1, theta, p)
    return np.minimum(1.0, 2.0 * np.minimum(lo, hi))


def scvi_scores(x, k, seed, long=False):
    import anndata
    import scvi
    scvi.settings.seed = seed
    ad = anndata.AnnData(x.astype(np.float32))
    scvi.model.SCVI.setup_anndata(ad)
    m = scvi.model.SCVI(ad, n_latent=k, gene_likelihood="nb")
    with contextlib.redirect_stdout(sys.stderr):  # Lightning's messages stay off the table
        if long:
            m.train(max_epochs=3000, early_stopping=True, early_stopping_patience=45, enable_progress_bar=False)
        else:
            m.train(enable_progress_bar=False)
    # The NB mean and inverse dispersion of each entry, averaged over 25 posterior draws of the
    # latent code (one draw is noisy).
    par = m.get_likelihood_parameters(ad, n_samples=25, give_mean=True)
    mu, theta = par["mean"], par["dispersions"]
    return -np.log(np.maximum(nb_two_sided(x, mu, theta), 1e-300))


def main():
    try:
        import scvi  # noqa: F401
        have_scvi = True
    except Exception as e:
        print(f"(SCVI skipped: {type(e).__name__}: {e})", file=sys.stderr)
        have_scvi = False
    cols = ["NB VAE, Recon defaults", "PCA on log-normalised counts", "PCA on raw counts"] + (["SCVI, defaults", "SCVI, to convergence"] if have_scvi else [])
    print("| table | outliers | " + " | ".join(cols) + " |")
    print("| --- | ---: | " + " | ".join("---:" for _ in cols) + " |")
    with tempfile.TemporaryDirectory() as tmp:
        for n, g, seed in TABLES:
            path = os.path.join(tmp, f"c{n}x{g}.csv")
            recon("simulate", "counts", "--samples", str(n), "--genes", str(g), "--outlier-rate", "0.002",
                  "--seed", str(seed), "--out", path)
            x, genes, ids = load(path)
            t = truth(path[:-4] + ".outliers.csv", ids, genes)
            k = min(10, g - 1)
            model = os.path.join(tmp, f"m{n}x{g}")
            t0 = time.time()
            fit = recon("fit", path, "--model", "vae", "--likelihood", "nb", "--label-col", "sample_id",
                        "--group-col", "condition", "--out", model)
            s = recon("score", model, path, "--id-col", "sample_id", "--per-feature", "--json")
            kept = s["features"]
            p = np.ones_like(x)
            fp = np.array(s["feature_p_value"])
            p[:, [genes.index(c) for c in kept]] = fp
            row = [average_precision_score(t.ravel(), -np.log(np.maximum(p, 1e-300)).ravel())]
            print(f"{n}x{g} Recon: {time.time() - t0:.1f} s, {fit['epochs_run']} epochs, converged {fit['converged']}",
                  file=sys.stderr)
            row.append(average_precision_score(t.ravel(), pca_scores(log_normalised(x), k).ravel()))
            row.append(average_precision_score(t.ravel(), pca_scores(x, k).ravel()))
            if have_scvi:
                t0 = time.time()
                row.append(average_precision_score(t.ravel(), scvi_scores(x, k, seed).ravel()))
                print(f"{n}x{g} SCVI: {time.time() - t0:.1f} s", file=sys.stderr)
                t0 = time.time()
                row.append(average_precision_score(t.ravel(), scvi_scores(x, k, seed, long=True).ravel()))
                print(f"{n}x{g} SCVI to convergence: {time.time() - t0:.1f} s", file=sys.stderr)
            print(f"| {n} × {g}, seed {seed} | {int(t.sum())} | " + " | ".join("%.3f" % v for v in row) + " |", flush=True)


if __name__ == "__main__":
    main()
