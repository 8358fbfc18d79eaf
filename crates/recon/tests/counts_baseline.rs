//! The NB VAE at its default settings against the baseline a computational biologist tries
//! first — squared residuals of a PCA (as many components as the VAE has latent dimensions) on
//! log-normalised counts — finding planted single-gene outliers in simulated counts. The sizes
//! and seeds here were not used to choose the training defaults (those were tuned on seeds 1–3
//! of 200×500, 500×200, 1000×100 and 100×300 tables; BENCHMARKS.md).

use faer::Mat;
use recon::counts::{entries, log_normalised_pca_scores, raw_entry_scores};
use recon::likelihood::Likelihood;
use recon::ruler::precision_recall;
use recon::synth::counts::{simulate, CountParams};
use recon::{Dataset, Fit, Trainable, VaeParams};

fn compare(samples: usize, genes: usize, seed: u64) -> (f64, f64, f64, bool) {
    let p = CountParams { samples, genes, outlier_rate: 2e-3, outlier_z: 3.0, seed, ..Default::default() };
    let sim = simulate(&p, None).unwrap();
    let mut truth = vec![false; samples * genes];
    for o in &sim.outliers {
        truth[o.sample * genes + o.gene] = true;
    }
    let ap = |m: &Mat<f64>| precision_recall(&entries(m.as_ref()), &truth).average_precision;
    let latent = VaeParams::default_latent(genes);
    let data = Dataset { x: sim.x.clone(), columns: sim.genes.clone(), labels: None, groups: None };
    let vae = VaeParams::new(Likelihood::Nb, VaeParams::default_hidden(), latent).seed(seed).fit(&data).unwrap();
    let out = vae.evaluate(data.x.as_ref()).unwrap();
    let calls = vae.feature_calls(data.x.as_ref(), &out).unwrap();
    let nb = Mat::from_fn(samples, genes, |i, j| -calls.p_value[(i, j)].max(1e-300).ln());
    let log_pca = ap(&log_normalised_pca_scores(sim.x.as_ref(), latent, true).unwrap());
    let raw = ap(&raw_entry_scores(sim.x.as_ref(), latent, true).unwrap());
    let ap_nb = ap(&nb);
    eprintln!(
        "{samples}×{genes} seed {seed}, {} planted: average precision NB VAE {ap_nb:.3} ({}), \
         PCA on log-normalised counts {log_pca:.3}, on raw counts {raw:.3}",
        sim.outliers.len(),
        vae.log().summary()
    );
    (ap_nb, log_pca, raw, vae.log().converged)
}

#[test]
fn default_nb_vae_beats_pca_on_log_normalised_counts() {
    for (samples, genes, seed) in [(300, 150, 11), (400, 80, 57)] {
        let (nb, log_pca, _, converged) = compare(samples, genes, seed);
        assert!(converged, "the default fit stopped by its epoch budget");
        assert!(nb > log_pca, "NB VAE {nb:.3} vs PCA on log-normalised counts {log_pca:.3}");
    }
}

/// The default NB VAE on a real count table (GTEx skin, 50 samples × 100 genes) stops because the
/// held-out ELBO stopped improving, well inside its epoch budget.
#[test]
fn default_vae_on_a_real_count_table_converges() {
    let opts = recon::data::LoadOptions { label_col: Some("sample_id".into()), ..Default::default() };
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/rnaseq/outrider_gtex_skin_small_counts.csv");
    let table = recon::data::load_table(&path, &opts).unwrap().dataset;
    let (data, _) = recon::fit::drop_zero_genes(&table);
    let vae = VaeParams::new(Likelihood::Nb, VaeParams::default_hidden(), VaeParams::default_latent(data.n_cols()))
        .fit(&data)
        .unwrap();
    let log = vae.log();
    eprintln!("GTEx skin {}×{}: {}", data.n_rows(), data.n_cols(), log.summary());
    assert!(log.converged && log.stopped_early, "{}", log.summary());
    assert!(log.train_loss.len() < VaeParams::default_training().epochs / 2, "{}", log.summary());
    assert!(log.limit_warning().is_none());
}
