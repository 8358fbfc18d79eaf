//! The SMACT screen against `smact.screening.smact_validity` (SMACT 4.0.2, defaults) on
//! `tests/fixtures/smact_validity.csv` (`tools/make_smact_fixture.py`): every integer formula of
//! the two band-gap tables, 600 made-up formulas and named cases.

use recon_chem::{smact_valid, Composition};

#[test]
fn agrees_with_smact_on_the_fixture() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/smact_validity.csv");
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let (mut n, mut disagree) = (0usize, Vec::new());
    let mut per_source = std::collections::BTreeMap::<String, [usize; 2]>::new();
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let (formula, want, source) = (&rec[0], &rec[1] == "1", &rec[2]);
        let got = smact_valid(&Composition::parse(formula).unwrap()).unwrap();
        n += 1;
        per_source.entry(source.to_string()).or_default()[usize::from(got)] += 1;
        if got != want {
            disagree.push(format!("{formula} ({source}): smact {want}, recon {got}"));
        }
    }
    assert!(n > 12_000, "{n} formulas");
    // Every disagreement is listed; the rule is exact, so there should be none.
    assert!(disagree.is_empty(), "{} of {n} disagree:\n{}", disagree.len(), disagree.join("\n"));
    // The screen is not trivial on either side.
    assert!(per_source["random"][0] > 100 && per_source["random"][1] > 100, "{per_source:?}");
}

#[test]
fn impossible_formulas_fail() {
    for f in ["NaCl2", "Na2O7", "NaCl3", "He2O"] {
        assert!(!smact_valid(&Composition::parse(f).unwrap()).unwrap(), "{f}");
    }
    // Fe3O4 (Fe2+ and Fe3+ together) fails: SMACT gives one state per element unless
    // `mixed_valence` is asked for, which its default does not.
    assert!(!smact_valid(&Composition::parse("Fe3O4").unwrap()).unwrap());
    for f in ["NaCl", "Fe2O3", "CsPbI3", "Li3N", "Ca(OH)2"] {
        assert!(smact_valid(&Composition::parse(f).unwrap()).unwrap(), "{f}");
    }
}
