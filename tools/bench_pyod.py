#!/usr/bin/env python3
"""ODDS ROC-AUC of Recon next to PyOD, on the same rows, in one run (for BENCHMARKS.md).

Protocol (PyOD's own benchmark): every detector is fitted on all rows of the set, outliers
included, then every row is scored; ROC-AUC of the score against `label`. Recon: PCA monitor
(standardised, 90% variance; SPE, T² and the combined score) and the autoencoder (defaults,
seed 0), each also with `--contamination auto` (the trimmed fit), run through the release binary
(RECON=path to use another build). PyOD: PCA (defaults: standardised, all components,
eigenvalue-weighted distance), PCA(n_components=0.9) for a like-for-like comparison, IForest
(random_state=0) and AutoEncoder (when torch imports; defaults, random_state=0).

    python3 -m venv venv && venv/bin/pip install numpy scipy scikit-learn pyod [torch]
    cargo build --release && venv/bin/python tools/bench_pyod.py [../shared/data]
"""
import json, os, subprocess, sys, tempfile, time, warnings

import numpy as np
from sklearn.metrics import roc_auc_score

warnings.filterwarnings("ignore")
DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
RECON = os.environ.get("RECON", os.path.join(os.path.dirname(__file__), "..", "target", "release", "recon"))
SETS = ["arrhythmia", "cardio", "pima", "optdigits", "satellite"]
SEEDS = range(5)


def recon(*args):
    return json.loads(subprocess.run([RECON, *args], check=True, capture_output=True, text=True).stdout)


def load(path):
    with open(path) as f:
        header = f.readline().strip().split(",")
    a = np.loadtxt(path, delimiter=",", skiprows=1)
    j = header.index("label")
    return np.delete(a, j, axis=1), a[:, j].astype(int)


def pyod_models():
    from pyod.models.pca import PCA
    from pyod.models.iforest import IForest
    models = [("PyOD PCA (defaults)", lambda: PCA()), ("PyOD PCA 90%", lambda: PCA(n_components=0.9)),
              ("PyOD IForest", lambda: IForest(random_state=0))]
    try:
        import torch  # noqa: F401
        from pyod.models.auto_encoder import AutoEncoder
        models.append(("PyOD AutoEncoder, seeds 0-4", lambda s: AutoEncoder(random_state=s, verbose=0)))
    except Exception as e:  # torch missing or broken
        print(f"(PyOD AutoEncoder skipped: {type(e).__name__}: {e})", file=sys.stderr)
    return models


def mean_sd(v):
    return "%.3f ± %.3f" % (np.mean(v), np.std(v))


def main():
    models = pyod_models()
    cols = ["Recon PCA SPE", "Recon PCA T²", "Recon PCA score", "Recon PCA, contamination auto",
            "Recon autoencoder (seed 0)", "Recon autoencoder, contamination auto, seeds 0-4"] + [m[0] for m in models]
    print("| set | rows × cols | " + " | ".join(cols) + " |")
    print("| --- | ---: | " + " | ".join("---:" for _ in cols) + " |")
    with tempfile.TemporaryDirectory() as tmp:
        for name in SETS:
            path = os.path.join(DATA, "odds", name + ".csv")
            x, y = load(path)
            p, q = os.path.join(tmp, name + "p"), os.path.join(tmp, name + "a")
            pr, qr = os.path.join(tmp, name + "pr"), os.path.join(tmp, name + "ar")
            t0 = time.time()
            recon("fit", path, "--model", "pca", "--label-col", "label", "--energy", "0.9", "--out", p)
            recon("fit", path, "--model", "pca", "--label-col", "label", "--energy", "0.9", "--contamination", "auto",
                  "--out", pr)
            recon("fit", path, "--model", "ae", "--label-col", "label", "--seed", "0", "--out", q)
            a, b = recon("score", p, path, "--json"), recon("score", q, path, "--json")
            ar = recon("score", pr, path, "--json")
            auto = []
            for seed in SEEDS:
                recon("fit", path, "--model", "ae", "--label-col", "label", "--seed", str(seed), "--contamination",
                      "auto", "--out", qr)
                auto.append(roc_auc_score(y, recon("score", qr, path, "--json")["scores"]))
            print(f"{name} Recon fits: {time.time() - t0:.1f} s; autoencoder seeds: {np.round(auto, 4)}", file=sys.stderr)
            row = [roc_auc_score(y, a["spe"]), roc_auc_score(y, a["t2"]), roc_auc_score(y, a["scores"]),
                   roc_auc_score(y, ar["scores"]), roc_auc_score(y, b["scores"])]
            cells = ["%.3f" % v for v in row] + [mean_sd(auto)]
            for label, make in models:
                t0 = time.time()
                try:
                    if "seeds" in label:
                        runs = [roc_auc_score(y, make(s).fit(x).decision_scores_) for s in SEEDS]
                        print(f"{name} {label}: {np.round(runs, 4)}", file=sys.stderr)
                        cells.append(mean_sd(runs))
                    else:
                        s = make().fit(x).decision_scores_
                        cells.append("%.3f" % roc_auc_score(y, s) if np.all(np.isfinite(s)) else "non-finite scores")
                except Exception as e:
                    msg = str(e).splitlines()[0][:60]
                    cells.append(f"fails: {msg}")
                print(f"{name} {label}: {time.time() - t0:.1f} s", file=sys.stderr)
            print(f"| {name} | {x.shape[0]} × {x.shape[1]} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
