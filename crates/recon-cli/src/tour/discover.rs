//! Tour section 11: discover — a composition VAE on experimental band gaps, its latent space, the
//! rates of its samples against baselines, and candidates steered to a photovoltaic gap; then a
//! SMILES VAE on QM9 molecules and the rates of its samples.

use recon::discover::molecules::{self, MoleculeDiscoverer, MoleculeFitRequest};
use recon::discover::{fit, Discoverer, FitRequest};
use recon_core::report::{Block, Section};

use super::{Chapter, Tour, EXPT_GAP, QM9_SMILES};

/// Molecules of the embedded QM9 table the tour trains on and the epoch budget (chosen
/// to keep the section under a minute on two cores; BENCHMARKS.md has the full-size runs).
const TOUR_MOLECULES: usize = 3000;
const TOUR_EPOCHS: usize = 20;

pub fn run(tour: &Tour) -> anyhow::Result<Chapter> {
    let data = tour.embedded("expt_gap.csv", EXPT_GAP)?;
    let dir = tour.scratch_path("gapvae");
    let f = fit(&FitRequest::new(&data, Some("band_gap_eV"), tour.seed), &dir, &mut |_| {})?;
    let d = Discoverer::open(&dir)?;
    let n = 1000;
    let prior = d.sample(n, None, 0.1, tour.seed)?;
    let random = d.random_baseline(n, tour.seed)?;
    let known = d.known_validity()?;
    let (target, window) = (1.4, 0.1);
    let steered = d.sample(n, Some(target), window, tour.seed)?;
    let mut s = Section::new("Discover: a composition VAE that learns which formulas are chemistry");
    s.text(format!(
        "{} compounds with experimental band gaps (Zhuo et al. 2018) as element fractions over {} elements; the VAE's \
         decoder gives a distribution over elements (cross-entropy loss), a head on the latent code predicts the band gap. \
         On {} held-out compounds: exact formula rebuilt {:.1}%, band-gap RMSE {:.2} eV from the latent code against {:.2} eV \
         for predicting the mean. A formula is valid when it passes the SMACT screen (charge neutrality over the ICSD 24 \
         oxidation states and the Pauling electronegativity order).",
        f.compounds,
        f.elements,
        f.test_compounds,
        100.0 * f.reconstruction_accuracy,
        f.property_rmse.unwrap_or(f64::NAN),
        f.property_rmse_mean_baseline.unwrap_or(f64::NAN)
    ));
    if let Some(svg) = d.latent_plot()? {
        s.blocks.push(Block::Svg(svg));
    }
    let pct = |v: f64| format!("{:.1}%", 100.0 * v);
    s.blocks.push(Block::Table {
        header: vec!["samples".into(), "validity".into(), "uniqueness".into(), "novelty".into()],
        rows: vec![
            vec![format!("VAE, {n} prior draws"), pct(prior.validity), pct(prior.uniqueness), pct(prior.novelty)],
            vec![
                format!("random formulas shaped like the training ones, {n}"),
                pct(random.validity),
                pct(random.uniqueness),
                pct(random.novelty),
            ],
            vec!["the training compounds (whole-number formulas)".into(), pct(known), "—".into(), "—".into()],
            vec![
                "published: MOSES SMILES VAE on molecules (Polykovskiy et al. 2020), for scale".into(),
                "97.7%".into(),
                "99.8% (@10k)".into(),
                "69.5%".into(),
            ],
        ],
    });
    let rows: Vec<Vec<String>> = steered
        .candidates
        .iter()
        .filter(|c| c.valid && c.novel)
        .take(10)
        .map(|c| {
            vec![
                c.formula.clone(),
                c.predicted_property.map_or("-".into(), |p| format!("{p:.2}")),
                c.nearest.as_ref().map_or(String::new(), |n| {
                    format!("{} ({} eV)", n.formula, n.property.map_or("-".into(), |p| format!("{p}")))
                }),
            ]
        })
        .collect();
    s.text(format!(
        "Candidates for a photovoltaic gap, {target} ± {window} eV: {n} prior draws moved through the latent space toward \
         the target, rounded to formulas and improved by local search on the formula's own predicted gap. {} of them are \
         predicted in the window against {} of plain prior draws. The gaps are the model's predictions (held-out RMSE \
         {:.2} eV), not measurements: candidates to check, not discoveries.",
        pct(steered.in_window.unwrap_or(0.0)),
        pct(steered.prior_in_window.unwrap_or(0.0)),
        f.property_rmse.unwrap_or(f64::NAN)
    ));
    s.blocks.push(Block::Table {
        header: vec!["valid, novel formula".into(), "predicted gap (eV)".into(), "nearest known compound".into()],
        rows,
    });
    let m = molecule_part(tour, &mut s)?;
    let summary = vec![
        format!(
            "composition VAE: held-out formulas rebuilt {}, samples valid {} (random formulas {}, training data {}), unique {}, novel {}",
            pct(f.reconstruction_accuracy),
            pct(prior.validity),
            pct(random.validity),
            pct(known),
            pct(prior.uniqueness),
            pct(prior.novelty)
        ),
        format!(
            "steered to {target} ± {window} eV: {} of candidates in the window (prior draws {})",
            pct(steered.in_window.unwrap_or(0.0)),
            pct(steered.prior_in_window.unwrap_or(0.0))
        ),
        m,
    ];
    Ok(Chapter { section: s, summary })
}

/// The SMILES VAE on the first molecules of QM9: fit, sample, rates against a random baseline
/// and the published MOSES figures. Returns the summary line.
fn molecule_part(tour: &Tour, s: &mut Section) -> anyhow::Result<String> {
    let text = std::str::from_utf8(QM9_SMILES)?;
    let head: Vec<&str> = text.lines().take(TOUR_MOLECULES + 1).collect();
    let data = tour.scratch_path("qm9_head.csv");
    recon_core::data::write_atomic(&data, (head.join("\n") + "\n").as_bytes())?;
    let dir = tour.scratch_path("qm9vae");
    let req = MoleculeFitRequest { epochs: TOUR_EPOCHS, ..MoleculeFitRequest::new(&data, tour.seed) };
    let f = molecules::fit(&req, &dir, &mut |_| {})?;
    let d = MoleculeDiscoverer::open(&dir)?;
    let n = 1000;
    let prior = d.sample(n, None, tour.seed)?;
    let random = d.random_baseline(n, tour.seed)?;
    let pct = |v: f64| format!("{:.1}%", 100.0 * v);
    s.text(format!(
        "Molecules: a SMILES VAE (GRU encoder and decoder of width {}, latent {}, teacher forcing, KL annealing) on the \
         first {} QM9 molecules, {} epochs in {:.0} s ({}). A string is valid when it parses and passes RDKit's rules \
         (rings, aromaticity, valence); molecules are compared by their graph, not their spelling. Held-out molecules \
         decoded back into the same molecule: {}. At full size (18,000 molecules, the defaults, about 10 minutes on \
         two cores; README) the same model rebuilds 44% of held-out molecules and 78% of its samples are valid.",
        f.hidden,
        f.latent,
        f.molecules,
        f.epochs,
        f.seconds,
        if f.converged { "converged" } else { "the tour's budget; more epochs help, see BENCHMARKS.md" },
        pct(f.reconstruction_accuracy)
    ));
    s.blocks.push(Block::Table {
        header: vec!["molecules".into(), "validity".into(), "uniqueness".into(), "novelty".into()],
        rows: vec![
            vec![
                format!("SMILES VAE, {n} prior draws"),
                pct(prior.validity),
                pct(prior.uniqueness),
                pct(prior.novelty),
            ],
            vec![
                format!("random tokens with the training frequencies and lengths, {n}"),
                pct(random.validity),
                pct(random.uniqueness),
                pct(random.novelty),
            ],
            vec![
                "published: MOSES SMILES VAE, 1.6 M ZINC molecules, GPU (Polykovskiy et al. 2020)".into(),
                "97.7%".into(),
                "99.8% (@10k)".into(),
                "69.5%".into(),
            ],
        ],
    });
    let shown: Vec<String> =
        prior.candidates.iter().filter(|c| c.valid && c.novel).take(12).map(|c| c.smiles.clone()).collect();
    s.text(format!("Valid molecules the VAE made that are not in its training set: {}.", shown.join("  ")));
    Ok(format!(
        "SMILES VAE on {} QM9 molecules: held-out molecules rebuilt {}, samples valid {} (random tokens {}), unique {}, novel {}",
        f.molecules,
        pct(f.reconstruction_accuracy),
        pct(prior.validity),
        pct(random.validity),
        pct(prior.uniqueness),
        pct(prior.novelty)
    ))
}
