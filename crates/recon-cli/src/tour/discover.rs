//! Tour section 11: discover — a composition VAE on experimental band gaps, its latent space, the
//! rates of its samples against baselines, and candidates steered to a photovoltaic gap.

use recon::discover::{fit, Discoverer, FitRequest};
use recon_core::report::{Block, Section};

use super::{Chapter, Tour, EXPT_GAP};

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
    ];
    Ok(Chapter { section: s, summary })
}
