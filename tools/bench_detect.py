#!/usr/bin/env python3
"""Detection tables for BENCHMARKS.md, from the real `recon` binary (stdlib only).

Tennessee Eastman: false-alarm rate on d00_test and detection rate after sample 160 on each
fault file, for PCA T², PCA SPE (9 components) and the autoencoder (52 → 32 → 8).
ODDS: ROC-AUC (Mann–Whitney, ties half) of PCA SPE, T², the combined score and the autoencoder,
each fitted on all rows of the set.

    cargo build --release && python3 tools/bench_detect.py [../shared/data]
"""
import bisect, csv, json, os, subprocess, sys, tempfile

DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
RECON = os.path.join(os.path.dirname(__file__), "..", "target", "release", "recon")


def recon(*args):
    out = subprocess.run([RECON, *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def rate(xs, t):
    return 100.0 * sum(x > t for x in xs) / len(xs)


def auc(scores, labels):
    neg = sorted(s for s, l in zip(scores, labels) if l == 0)
    pos = [s for s, l in zip(scores, labels) if l == 1]
    c = sum(bisect.bisect_left(neg, p) + 0.5 * (bisect.bisect_right(neg, p) - bisect.bisect_left(neg, p)) for p in pos)
    return c / len(pos) / len(neg)


with tempfile.TemporaryDirectory() as tmp:
    te = os.path.join(DATA, "tennessee_eastman")
    pca, ae = os.path.join(tmp, "tepca"), os.path.join(tmp, "teae")
    recon("fit", os.path.join(te, "d00_train.csv"), "--model", "pca", "--components", "9", "--out", pca)
    recon("fit", os.path.join(te, "d00_train.csv"), "--model", "ae", "--hidden", "32,8", "--epochs", "300",
          "--patience", "30", "--seed", "0", "--out", ae)
    print("| run | PCA T² | PCA SPE | autoencoder |\n| --- | ---: | ---: | ---: |")
    for f in sorted(x for x in os.listdir(te) if x.endswith("_test.csv")):
        a = recon("score", pca, os.path.join(te, f), "--json")
        b = recon("score", ae, os.path.join(te, f), "--json")
        s = 0 if f == "d00_test.csv" else 160
        print("| %s | %.1f | %.1f | %.1f |" % (f[:3], rate(a["t2"][s:], a["t2_limit"]), rate(a["spe"][s:], a["spe_limit"]),
                                              rate(b["scores"][s:], b["threshold"])))
    print("\n| set | rows | PCA SPE | PCA T² | PCA max(T²,SPE) ratio | autoencoder |\n| --- | ---: | ---: | ---: | ---: | ---: |")
    for name in ["arrhythmia", "cardio", "pima", "optdigits", "satellite"]:
        path = os.path.join(DATA, "odds", name + ".csv")
        y = [int(float(r["label"])) for r in csv.DictReader(open(path))]
        p, q = os.path.join(tmp, name + "p"), os.path.join(tmp, name + "a")
        recon("fit", path, "--model", "pca", "--label-col", "label", "--energy", "0.9", "--out", p)
        recon("fit", path, "--model", "ae", "--label-col", "label", "--seed", "0", "--out", q)
        a, b = recon("score", p, path, "--json"), recon("score", q, path, "--json")
        print("| %s | %d | %.3f | %.3f | %.3f | %.3f |" % (name, len(y), auc(a["spe"], y), auc(a["t2"], y),
                                                           auc(a["scores"], y), auc(b["scores"], y)))
