#!/usr/bin/env python3
"""Fixture for `recon audit`: per-group reconstruction errors on a real table, computed
independently with scikit-learn (StandardScaler + PCA) and grouped with Fairlearn's MetricFrame.

Writes data/fairness/adult_5k.csv (5,000 rows drawn with seed 0 from the UCI Adult table in
../shared/data/fairness/adult.csv: five numeric columns and the sex and race columns) and
crates/recon/tests/fixtures/audit_adult.json: for a 2-component standardised PCA of the five
numeric columns, each group's n, mean, median and 90th-percentile squared error in standardised
units, by sex and by sex × race; and data/fairness/german_credit_small.csv (all 1,000 rows of
the German credit table: six numeric columns, sex and age group) with the same for a
3-component PCA by sex, by age and by both.

    python3 -m venv venv && venv/bin/pip install numpy pandas scikit-learn fairlearn
    venv/bin/python tools/make_audit_fixture.py [../shared/data]
"""
import json, os, sys

import numpy as np
import pandas as pd
import fairlearn
import sklearn
from fairlearn.metrics import MetricFrame
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

ROOT = os.path.join(os.path.dirname(__file__), "..")
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "data")
NUMERIC = ["age", "education-num", "hours-per-week", "capital-gain", "capital-loss"]
GROUPS = ["sex", "race"]

full = pd.read_csv(os.path.join(SHARED, "fairness", "adult.csv"))
rows = np.sort(np.random.default_rng(0).choice(len(full), 5000, replace=False))
df = full.iloc[rows][NUMERIC + GROUPS].reset_index(drop=True)
out_csv = os.path.join(ROOT, "data", "fairness", "adult_5k.csv")
df.to_csv(out_csv, index=False)

x = df[NUMERIC].to_numpy(dtype=float)
z = StandardScaler().fit_transform(x)  # population standard deviation, as Recon
pca = PCA(n_components=2, svd_solver="full").fit(z)
errors = ((z - pca.inverse_transform(pca.transform(z))) ** 2).sum(axis=1)

metrics = {
    "n": lambda yt, yp: len(yt),
    "mean_error": lambda yt, yp: float(np.mean(yt)),
    "median_error": lambda yt, yp: float(np.median(yt)),
    "p90_error": lambda yt, yp: float(np.quantile(yt, 0.9)),
}
fixture = {"rows": len(df), "columns": NUMERIC, "components": 2, "overall_mean_error": float(errors.mean()),
           "fairlearn": fairlearn.__version__, "sklearn": sklearn.__version__, "by": {}}
for cols in (["sex"], ["sex", "race"]):
    mf = MetricFrame(metrics=metrics, y_true=errors, y_pred=errors, sensitive_features=df[cols])
    table = mf.by_group.reset_index()
    groups = {}
    for _, r in table.iterrows():
        name = " & ".join(str(r[c]) for c in cols)
        groups[name] = {k: (int(r[k]) if k == "n" else float(r[k])) for k in metrics}
    fixture["by"][",".join(cols)] = groups
# German credit (all 1,000 rows): six numeric columns, by sex and by age group.
GERMAN_NUMERIC = ["month", "credit_amount", "investment_as_income_percentage", "residence_since", "number_of_credits",
                  "people_liable_for"]
german = pd.read_csv(os.path.join(SHARED, "fairness", "german_credit.csv"))[GERMAN_NUMERIC + ["sex", "age"]]
german.to_csv(os.path.join(ROOT, "data", "fairness", "german_credit_small.csv"), index=False)
zg = StandardScaler().fit_transform(german[GERMAN_NUMERIC].to_numpy(dtype=float))
pg = PCA(n_components=3, svd_solver="full").fit(zg)
eg = ((zg - pg.inverse_transform(pg.transform(zg))) ** 2).sum(axis=1)
gfix = {"rows": len(german), "columns": GERMAN_NUMERIC, "components": 3, "overall_mean_error": float(eg.mean()), "by": {}}
for cols in (["sex"], ["age"], ["sex", "age"]):
    mf = MetricFrame(metrics=metrics, y_true=eg, y_pred=eg, sensitive_features=german[cols])
    groups = {}
    for _, r in mf.by_group.reset_index().iterrows():
        groups[" & ".join(str(r[c]) for c in cols)] = {k: (int(r[k]) if k == "n" else float(r[k])) for k in metrics}
    gfix["by"][",".join(cols)] = groups
fixture["german_credit"] = gfix

path = os.path.join(ROOT, "crates", "recon", "tests", "fixtures", "audit_adult.json")
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as f:
    json.dump(fixture, f, indent=1)
print(f"wrote {out_csv} and {path}")
