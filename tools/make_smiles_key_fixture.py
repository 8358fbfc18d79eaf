#!/usr/bin/env python3
"""Fixture for recon-chem's molecule key: random re-spellings of real molecules, grouped by
RDKit's canonical SMILES.

For 400 QM9 and 100 ESOL molecules (../shared/data/molecules, seed 1), writes
crates/recon-chem/tests/fixtures/smiles_keys.csv: canonical (RDKit's canonical SMILES, stereo
removed), smiles (the canonical string and three random spellings:
`Chem.MolToSmiles(mol, canonical=False, doRandom=True, isomericSmiles=False)`, aromatic form).
Two rows are the same molecule exactly when their `canonical` fields are equal.

    python3 -m venv venv && venv/bin/pip install rdkit==2026.9.1
    venv/bin/python tools/make_smiles_key_fixture.py
"""

import csv
import os
import random

from rdkit import Chem, RDLogger

RDLogger.DisableLog("rdApp.*")
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
MOL = os.path.join(ROOT, "..", "shared", "data", "molecules")
rng = random.Random(1)


def read(name, n):
    with open(os.path.join(MOL, name)) as f:
        rows = [r["smiles"] for r in csv.DictReader(f)]
    return rng.sample(rows, n)


out = []
for s in read("qm9_smiles_20k.csv", 400) + read("esol.csv", 100):
    mol = Chem.MolFromSmiles(s)
    if mol is None:
        continue
    canon = Chem.MolToSmiles(mol, isomericSmiles=False)
    spellings = {canon}
    for k in range(3):
        spellings.add(Chem.MolToSmiles(mol, canonical=False, doRandom=True, isomericSmiles=False))
    out += [(canon, v) for v in sorted(spellings)]

path = os.path.join(ROOT, "crates", "recon-chem", "tests", "fixtures", "smiles_keys.csv")
with open(path, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["canonical", "smiles"])
    w.writerows(out)
print(f"wrote {len(out)} rows for {len({c for c, _ in out})} molecules to {path}")
