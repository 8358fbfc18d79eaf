#!/usr/bin/env python3
"""Benchmark rows for issue 15 (discover): validity checks against their Python anchors, and
composition sampling with validity checking. One run, side by side, on this machine.

- SMACT screen: `smact.screening.smact_validity` (SMACT 4.0.2, defaults) over the 12,820 formulas
  of crates/recon-chem/tests/fixtures/smact_validity.csv, against `recon_chem::smact_valid`
  (parse + screen) — `cargo run --release -p recon-chem --example validity_rate`.
- SMILES check: `rdkit.Chem.MolFromSmiles` (default sanitisation) over the 4,000 strings of
  smiles_validity.csv, against `recon_chem::smiles::check`. RDKit builds a molecule; Recon only
  decides validity — the row says so.
- Sampling: `recon discover sample MODEL --n 10000` (decode, round to formulas, SMACT screen,
  novelty, nearest known compound) after `recon discover fit data/materials/expt_gap.csv`,
  whole process; samples/s.

    python3 -m venv venv && venv/bin/pip install smact==4.0.2 rdkit==2026.9.1
    cargo build --release
    venv/bin/python tools/bench_discover.py
"""

import csv
import json
import os
import subprocess
import tempfile
import time
import warnings

from rdkit import Chem, RDLogger
from smact.screening import smact_validity

warnings.filterwarnings("ignore")
RDLogger.DisableLog("rdApp.*")
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIX = os.path.join(ROOT, "crates", "recon-chem", "tests", "fixtures")


def column(name):
    with open(os.path.join(FIX, name)) as f:
        return [r[0] for r in csv.reader(f)][1:]


def rate(items, f):
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < 1.0 or n == 0:
        for s in items:
            f(s)
            n += 1
    return n / (time.perf_counter() - start)


formulas, smiles = column("smact_validity.csv"), column("smiles_validity.csv")
py = {"smact_per_s": rate(formulas, smact_validity), "rdkit_per_s": rate(smiles, Chem.MolFromSmiles)}
out = subprocess.run(
    ["cargo", "run", "--release", "-q", "-p", "recon-chem", "--example", "validity_rate"],
    cwd=ROOT, check=True, capture_output=True, text=True,
).stdout
rs = json.loads(out)
recon = os.path.join(ROOT, "target", "release", "recon")
with tempfile.TemporaryDirectory() as tmp:
    model = os.path.join(tmp, "m")
    subprocess.run([recon, "discover", "fit", os.path.join(ROOT, "data", "materials", "expt_gap.csv"),
                    "--property-col", "band_gap_eV", "--out", model], check=True, capture_output=True)
    start = time.perf_counter()
    subprocess.run([recon, "discover", "sample", model, "--n", "10000", "--json"], check=True, capture_output=True)
    sample_s = time.perf_counter() - start
rows = {
    "smact_formulas_per_s": {"recon": rs["smact_per_s"], "smact": py["smact_per_s"]},
    "smiles_strings_per_s": {"recon": rs["smiles_per_s"], "rdkit": py["rdkit_per_s"]},
    "discover_sample_10000_s": sample_s,
    "discover_samples_per_s": 10000 / sample_s,
}
json.dump(rows, open(os.path.join(ROOT, "tools", "bench_discover.json"), "w"), indent=1)
print(json.dumps(rows, indent=1))
