#!/usr/bin/env python3
"""Tables and fixture for recon-chem's composition validity (the SMACT screen).

Writes
- data/materials/smact_elements.csv: per element (SMACT's ordered element list) its Pauling
  electronegativity (empty where SMACT has none), the oxidation states smact_validity uses by
  default (ICSD 24, consensus 3, zero excluded, commonality "low"; space-separated; empty where
  the element has none) and whether SMACT counts it a metal (the `include_alloys` fast path).
  Source: SMACT 4.0.x (MIT; Davies et al., J. Open Source Softw. 4, 1361 (2019)); the ICSD 24
  oxidation-state counts ship with it (`data/oxidation_states_icsd24_counts.json`).
- crates/recon-chem/tests/fixtures/smact_validity.csv: formula, valid — smact_validity(formula)
  with its defaults for (a) every integer formula of ../shared/data/materials (both files),
  (b) 600 made-up formulas (2–4 random elements, counts 1–8, seed 0) and 200 of 5–6 elements
  (counts 1–6) and (c) named cases
  (NaCl2, Na2O7, ...).

    python3 -m venv venv && venv/bin/pip install smact==4.0.2 pandas
    venv/bin/python tools/make_smact_fixture.py
"""

import csv
import os
import random
import warnings

from pymatgen.core import Composition

import smact
from smact.screening import _get_icsd24_oxidation_dict, smact_validity

warnings.filterwarnings("ignore")
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SHARED = os.path.join(ROOT, "..", "shared", "data", "materials")

ox = _get_icsd24_oxidation_dict(include_zero=False, consensus=3, commonality="low")
symbols = list(smact.ordered_elements(1, 103))
with open(os.path.join(ROOT, "data", "materials", "smact_elements.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["symbol", "pauling_en", "oxidation_states", "metal"])
    for s in symbols:
        e = smact.Element(s)
        en = "" if e.pauling_eneg is None else repr(float(e.pauling_eneg))
        w.writerow([s, en, " ".join(str(v) for v in sorted(ox.get(s, []))), int(s in smact.metals)])

rows = []
seen = set()


def add(formula, source):
    if formula in seen:
        return
    seen.add(formula)
    rows.append((formula, int(bool(smact_validity(formula))), source))


for name in ["expt_bandgap_compositions.csv", "mp_bandgap_compositions_10k.csv"]:
    with open(os.path.join(SHARED, name)) as f:
        for r in csv.DictReader(f):
            c = Composition(r["composition"])
            if all(abs(v - round(v)) < 1e-9 for v in c.as_dict().values()):
                add(r["composition"], name.split("_")[0])

rng = random.Random(0)
pool = [s for s in symbols if s in ox]
for _ in range(600):
    k = rng.choice([2, 2, 3, 3, 4])
    els = rng.sample(pool, k)
    add("".join(f"{e}{rng.randint(1, 8)}" for e in els), "random")
# Many-element formulas, where the search over state combinations is largest.
for _ in range(200):
    els = rng.sample(pool, rng.choice([5, 6]))
    add("".join(f"{e}{rng.randint(1, 6)}" for e in els), "random5")
for f in ["NaCl", "NaCl2", "Na2O7", "Fe2O3", "Fe3O4", "CO2", "H2O", "Na", "NaK", "CuZn", "He2O", "XeF2",
          "NaCl3", "MgO2", "Al2O3", "SiO2", "TiO2", "CsPbI3", "Li3N", "LiN3", "Ca(OH)2", "Ba2(SiO4)"]:
    add(f, "named")

out = os.path.join(ROOT, "crates", "recon-chem", "tests", "fixtures")
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "smact_validity.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["formula", "valid", "source"])
    w.writerows(rows)
by = {}
for _, v, s in rows:
    by.setdefault(s, [0, 0])[v] += 1
print(len(rows), "formulas; invalid/valid by source:", by)
