#!/usr/bin/env python3
"""What `--contamination auto` costs on clean training rows: the share it drops and the
false-alarm rate on fresh rows of the same kind, next to the fit without trimming.

Each table is split at random (seeds 0-2) into two halves: `recon fit` on one half
(PCA monitor at its defaults: `--energy 0.9`, out-of-fold limits, `--target-far 0.01`), with and
without `--contamination auto`, then `recon score` on the other half; no outliers are planted,
so every alarm is a false one. Tables: digits, breast_cancer, wine (the class column dropped),
and Gaussian rows of a 4-factor model in 20 variables (2,000 rows, numpy seed 7) where the
estimate's assumption (scores with a chi-square-like tail) holds. The last column is what the
fit itself prints (from model.json): the false-alarm rate to expect if the rows it left out were
normal rows after all.

    cargo build --release && /tmp/venv/bin/python tools/contamination_far.py [../shared/data]
(numpy only; from the repository root)
"""
import json, os, subprocess, tempfile

import numpy as np

from odds_heldout import RECON, table


def gaussian():
    rng = np.random.default_rng(7)
    w = rng.normal(size=(4, 20))
    return rng.normal(size=(2000, 4)) @ w + 0.5 * rng.normal(size=(2000, 20))


def write(path, x):
    np.savetxt(path, x, delimiter=",", header=",".join(f"x{i}" for i in range(x.shape[1])), comments="")


def run(*args):
    return subprocess.run([RECON, *args], check=True, capture_output=True, text=True).stdout


def main():
    sets = [("digits", table("digits.csv", "label")[0]), ("breast_cancer", table("breast_cancer.csv", "diagnosis")[0]),
            ("wine", table("wine.csv", "cultivar")[0]), ("gaussian factors", gaussian())]
    print("| table | training rows | seed | false alarms, no trimming | share dropped by auto | false alarms, auto "
          "| auto's own estimate if the rows left out were normal |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        train, test, model = (os.path.join(tmp, f) for f in ("train.csv", "test.csv", "m"))
        for name, x in sets:
            for seed in range(3):
                idx = np.random.default_rng(seed).permutation(len(x))
                half = len(x) // 2
                write(train, x[idx[:half]])
                write(test, x[idx[half:]])
                cells, estimate = [], "—"
                for extra in ([], ["--contamination", "auto"]):
                    run("fit", train, "--model", "pca", "--out", model, *extra)
                    rate = json.loads(run("score", model, test, "--json"))["alarm_rate"]
                    with open(os.path.join(model, "model.json")) as f:
                        limits = json.load(f)["limits"]
                    trimmed = limits.get("trimmed")
                    if trimmed:
                        cells.append(f"{100 * trimmed['fraction']:.1f}%")
                        if "left_out_alarming" in trimmed:
                            # What the fit prints: (1 - f) x the out-of-fold rate + f x the
                            # share of the left-out rows that alarm.
                            kept = limits["cv"]["false_alarm_rate"] if limits.get("cv") else limits["alpha"]
                            f_ = trimmed["fraction"]
                            estimate = f"{100 * ((1 - f_) * kept + f_ * trimmed['left_out_alarming']):.1f}%"
                    cells.append(f"{100 * rate:.1f}%")
                cells.append(estimate)
                print(f"| {name} | {half} | {seed} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
