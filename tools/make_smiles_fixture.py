#!/usr/bin/env python3
"""Fixture for recon-chem's SMILES validity checker: RDKit's verdict on real and corrupted SMILES.

For 1,500 QM9 strings and 500 ESOL strings (../shared/data/molecules, seeded sample) and one
corrupted copy of each (seed 0: delete, insert or substitute one character from the strings'
alphabet, drop a ring-closure digit or a parenthesis, or swap a letter's case), writes
crates/recon-chem/tests/fixtures/smiles_validity.csv: smiles, valid (1 when
`rdkit.Chem.MolFromSmiles(s)` returns a molecule with default sanitisation), source.

    python3 -m venv venv && venv/bin/pip install rdkit==2026.9.1
    venv/bin/python tools/make_smiles_fixture.py
"""

import csv
import os
import random

from rdkit import Chem, RDLogger

RDLogger.DisableLog("rdApp.*")
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
MOL = os.path.join(ROOT, "..", "shared", "data", "molecules")
rng = random.Random(0)


def read(name, n):
    with open(os.path.join(MOL, name)) as f:
        rows = [r["smiles"] for r in csv.DictReader(f)]
    return rng.sample(rows, n)


real = [(s, "qm9") for s in read("qm9_smiles_20k.csv", 1500)] + [(s, "esol") for s in read("esol.csv", 500)]
alphabet = sorted({c for s, _ in real for c in s})


def corrupt(s):
    kind = rng.choice(["delete", "insert", "substitute", "ring", "paren", "case"])
    i = rng.randrange(len(s))
    if kind == "delete":
        return s[:i] + s[i + 1:]
    if kind == "insert":
        return s[:i] + rng.choice(alphabet) + s[i:]
    if kind == "substitute":
        return s[:i] + rng.choice(alphabet) + s[i + 1:]
    if kind == "ring":
        digits = [j for j, c in enumerate(s) if c.isdigit()]
        if digits:
            j = rng.choice(digits)
            return s[:j] + s[j + 1:]
        return s + "1"
    if kind == "paren":
        ps = [j for j, c in enumerate(s) if c in "()"]
        if ps:
            j = rng.choice(ps)
            return s[:j] + s[j + 1:]
        return s[:i] + "(" + s[i:]
    letters = [j for j, c in enumerate(s) if c.isalpha()]
    j = rng.choice(letters) if letters else i
    return s[:j] + s[j].swapcase() + s[j + 1:]


rows = []
for s, src in real:
    rows.append((s, src))
    rows.append((corrupt(s), src + "-corrupted"))
out = os.path.join(ROOT, "crates", "recon-chem", "tests", "fixtures", "smiles_validity.csv")
with open(out, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["smiles", "valid", "source"])
    for s, src in rows:
        w.writerow([s, int(Chem.MolFromSmiles(s) is not None), src])
by = {}
for s, src in rows:
    by.setdefault(src, [0, 0])[int(Chem.MolFromSmiles(s) is not None)] += 1
print(len(rows), "strings; invalid/valid by source:", by)
