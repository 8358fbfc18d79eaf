//! The SMILES checker against RDKit (`Chem.MolFromSmiles`, default sanitisation) on
//! `tests/fixtures/smiles_validity.csv` (`tools/make_smiles_fixture.py`: 2,000 QM9 and ESOL
//! strings and one corrupted copy of each).

use recon_chem::smiles::check;

#[test]
fn agrees_with_rdkit_on_the_fixture() {
    assert!(check("C1C1").is_err() && check("C(=O").is_err() && check("CC)").is_err() && check("c1ccnc1").is_err());
    assert!(check("c1cc[nH]c1").is_ok() && check("C[N+](C)(C)C").is_ok() && check("[O-]c1ccccc1").is_ok());
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/smiles_validity.csv");
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let (mut n, mut disagree) = (0usize, Vec::new());
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let (s, want) = (&rec[0], &rec[1] == "1");
        let got = check(s);
        n += 1;
        if got.is_ok() != want {
            disagree.push(format!("{s} ({}): rdkit {want}, recon {:?}", &rec[2], got));
        }
    }
    // One disagreement is known: a corrupted ESOL string with an aromatic carbon holding a
    // triple bond (`c(N)#c`), which RDKit accepts and which we count as valence 5 on carbon.
    let rate = 1.0 - disagree.len() as f64 / n as f64;
    assert!(rate >= 0.995, "agreement {rate}: {} of {n} disagree:\n{}", disagree.len(), disagree.join("\n"));
}

/// The molecule key against RDKit's canonical SMILES on `tests/fixtures/smiles_keys.csv`
/// (`tools/make_smiles_key_fixture.py`: 500 molecules, each spelled canonically and three random
/// ways): every spelling of a molecule has one key, and different molecules have different keys.
#[test]
fn molecule_key_groups_spellings_as_rdkit_canonical_smiles_does() {
    use recon_chem::smiles::molecule_key;
    use std::collections::{HashMap, HashSet};
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/smiles_keys.csv");
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let mut key_of: HashMap<String, u64> = HashMap::new();
    let mut rows = 0;
    for rec in rdr.records() {
        let rec = rec.unwrap();
        let key = molecule_key(&rec[1]).unwrap_or_else(|e| panic!("{}: {e}", &rec[1]));
        let first = *key_of.entry(rec[0].to_string()).or_insert(key);
        assert_eq!(first, key, "{} spelled {} gets another key", &rec[0], &rec[1]);
        rows += 1;
    }
    assert!(rows > 1500 && key_of.len() >= 490, "{rows} rows, {} molecules", key_of.len());
    let distinct: HashSet<u64> = key_of.values().copied().collect();
    assert_eq!(distinct.len(), key_of.len(), "two molecules share a key");
}
