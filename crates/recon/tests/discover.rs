//! The composition VAE on the experimental band-gap table (data/materials/expt_gap.csv), on
//! seeds not used while choosing the defaults (0 and 1 were).

use recon::discover::{fit, Discoverer, FitRequest};

#[test]
fn composition_vae_rebuilds_generates_valid_novel_formulas_and_steers_to_a_gap() {
    let data = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/materials/expt_gap.csv"));
    for seed in [2u64, 3] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("m");
        let f = fit(&FitRequest::new(data, Some("band_gap_eV"), seed), &dir, &mut |_| {}).unwrap();
        assert!(f.converged, "seed {seed}: ran to the limit");
        // Held-out formulas come back exactly well above chance, and the cross-entropy sits
        // above its floor (the entropy of the fractions).
        assert!(f.reconstruction_accuracy > 0.05, "seed {seed}: {}", f.reconstruction_accuracy);
        assert!(f.held_out_cross_entropy > f.held_out_entropy);
        // The band-gap head beats predicting the mean.
        assert!(f.property_rmse.unwrap() < 0.6 * f.property_rmse_mean_baseline.unwrap());
        let d = Discoverer::open(&dir).unwrap();
        let prior = d.sample(500, None, 0.1, seed).unwrap();
        assert!(prior.validity > 0.7 && prior.uniqueness > 0.9 && prior.novelty > 0.8, "seed {seed}: {prior:?}");
        // Same seed, same samples.
        let again = d.sample(500, None, 0.1, seed).unwrap();
        assert_eq!(
            prior.candidates.iter().map(|c| &c.formula).collect::<Vec<_>>(),
            again.candidates.iter().map(|c| &c.formula).collect::<Vec<_>>()
        );
        let steered = d.sample(300, Some(1.4), 0.1, seed).unwrap();
        let (hit, base) = (steered.in_window.unwrap(), steered.prior_in_window.unwrap());
        assert!(hit > 0.8 && hit > 4.0 * base, "seed {seed}: in window {hit} vs prior {base}");
        assert!(steered.validity > 0.8, "seed {seed}: {}", steered.validity);
        let first = &steered.candidates[0];
        assert!(first.valid && first.novel && first.nearest.is_some());
    }
}

/// The SMILES VAE on the first 2,000 QM9 molecules of data/molecules, small and briefly trained
/// (test time), on seeds not used while choosing the defaults (0 was): its samples are valid far
/// more often than random strings with the same tokens and lengths, mostly unique and mostly new.
#[test]
fn smiles_vae_learns_the_grammar_beyond_random_tokens() {
    use recon::discover::molecules::{fit, MoleculeDiscoverer, MoleculeFitRequest};
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/molecules/qm9_smiles_20k.csv"))
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("qm9.csv");
    std::fs::write(&data, text.lines().take(2001).collect::<Vec<_>>().join("\n")).unwrap();
    for seed in [2u64, 3] {
        let dir = tmp.path().join(format!("m{seed}"));
        let req = MoleculeFitRequest { hidden: 64, latent: 16, epochs: 30, ..MoleculeFitRequest::new(&data, seed) };
        let f = fit(&req, &dir, &mut |_| {}).unwrap();
        assert_eq!((f.molecules, f.test_molecules), (2000, 200));
        assert!(f.reconstruction_accuracy >= f.reconstruction_exact_string);
        let d = MoleculeDiscoverer::open(&dir).unwrap();
        let prior = d.sample(500, None, seed).unwrap();
        let random = d.random_baseline(500, seed).unwrap();
        // Measured on seed 2: 16.6% against 1.2% (15 epochs: 10%); the full-size model reaches 90%
        // (BENCHMARKS.md).
        assert!(
            prior.validity > 0.08 && prior.validity > 5.0 * random.validity,
            "seed {seed}: {} vs random {}",
            prior.validity,
            random.validity
        );
        assert!(prior.uniqueness > 0.8 && prior.novelty > 0.5, "seed {seed}: {prior:?}");
        let again = d.sample(500, None, seed).unwrap();
        assert_eq!(
            prior.candidates.iter().map(|c| &c.smiles).collect::<Vec<_>>(),
            again.candidates.iter().map(|c| &c.smiles).collect::<Vec<_>>()
        );
    }
}
