#!/usr/bin/env python3
"""Contaminated sets the ODDS comparison was not looked at on: Recon's trimmed PCA next to the
two plain distances PyOD's PCA ranks like, on anomaly sets built from the shared tables.

Each set keeps the rows of the other classes and adds a few rows of one class as outliers,
drawn with a fixed seed (the way ODDS built its own sets from UCI tables):
- wbc_sS: the 357 benign rows of breast_cancer.csv + 10 malignant ones (seeds 100-102),
- wine_sS: classes 1 and 2 of wine.csv + 10 rows of class 0 (seeds 200-202),
- digits_oD: digits.csv without digit D + 50 rows of D (D = 3, 7; seeds 303, 307).
Protocol as tools/bench_pyod.py: fitted on all rows, outliers included, every row scored. Prints
the ROC-AUC of Recon's PCA monitor (`--energy 0.9 --contamination auto`: the combined index, T²
and SPE), of ||z|| (the norm of the standardised row, what PyOD's default PCA ranks like; see
tools/odds_norm.py) and of the Mahalanobis distance over every component.

    cargo build --release && /tmp/venv/bin/python tools/odds_heldout.py [../shared/data]   (from the repository root)
(numpy only)
"""
import csv, json, os, subprocess, sys, tempfile

import numpy as np

from odds_norm import auc

DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
RECON = os.environ.get("RECON", os.path.join(os.path.dirname(__file__), "..", "target", "release", "recon"))


def table(name, label):
    with open(os.path.join(DATA, name)) as f:
        rows = list(csv.reader(f))
    j = rows[0].index(label)
    x = np.array([[float(v) for k, v in enumerate(r) if k != j] for r in rows[1:]])
    return x, np.array([r[j] for r in rows[1:]])


def planted(x, lab, outlier_class, k, seed):
    rng = np.random.default_rng(seed)
    inl = np.where(lab != outlier_class)[0]
    out = rng.choice(np.where(lab == outlier_class)[0], k, replace=False)
    idx = np.concatenate([inl, out])
    return x[idx], (np.arange(len(idx)) >= len(inl)).astype(int)


def sets():
    x, lab = table("breast_cancer.csv", "diagnosis")
    for s in range(3):
        yield f"wbc_s{s}", *planted(x, lab, "malignant", 10, 100 + s)
    x, lab = table("wine.csv", "cultivar")
    for s in range(3):
        yield f"wine_s{s}", *planted(x, lab, "class_0", 10, 200 + s)
    x, lab = table("digits.csv", "label")
    for d in (3, 7):
        yield f"digits_o{d}", *planted(x, lab, str(d), 50, 300 + d)


def recon(*args):
    return subprocess.run([RECON, *args], check=True, capture_output=True, text=True).stdout


def main():
    print("| set | rows × cols | outliers | Recon PCA, contamination auto | its T² | its SPE | share dropped | ||z|| | Mahalanobis |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        for name, x, y in sets():
            path, out = os.path.join(tmp, name + ".csv"), os.path.join(tmp, name)
            np.savetxt(path, x, delimiter=",", header=",".join(f"x{i}" for i in range(x.shape[1])), comments="")
            recon("fit", path, "--model", "pca", "--energy", "0.9", "--contamination", "auto", "--out", out)
            s = json.loads(recon("score", out, path, "--json"))
            with open(os.path.join(out, "model.json")) as f:
                dropped = json.load(f)["limits"]["trimmed"]["fraction"]
            sd = x.std(axis=0)
            z = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
            cinv = np.linalg.pinv(np.cov(z, rowvar=False, bias=True), hermitian=True)
            maha = np.einsum("ij,jk,ik->i", z, cinv, z)
            cells = [auc(np.array(s[k]), y) for k in ("scores", "t2", "spe")] + [dropped]
            cells += [auc(np.linalg.norm(z, axis=1), y), auc(maha, y)]
            print(f"| {name} | {x.shape[0]} × {x.shape[1]} | {y.sum()} | " + " | ".join(f"{v:.3f}" for v in cells) + " |",
                  flush=True)


if __name__ == "__main__":
    main()
