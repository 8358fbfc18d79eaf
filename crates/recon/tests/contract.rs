//! The model contract: a compress model, a PCA monitor, an autoencoder, a VAE and a CP model
//! are saved, loaded back through the registry and scored through `dyn Scorer`; each must give
//! its family's own numbers.

use faer::Mat;
use recon::model::ModelKind;
use recon::{
    likelihood::Likelihood, load_model, load_scorer, AutoencoderParams, Components, CpParams, Dataset, Fit,
    PcaMonitorParams, PcaParams, Reconstruct, SliceModel, TrainConfig, Trainable, VaeParams,
};
use recon_tensor::Fitted;

/// Rows near a 2-D plane in 5-D, deterministic.
fn plane(n: usize, phase: f64) -> Dataset {
    Dataset::from_mat(Mat::from_fn(n, 5, |i, j| {
        let (a, b) = (((i as f64) * 0.37 + phase).sin(), ((i as f64) * 0.11 + phase).cos());
        a * (j as f64 + 1.0) + b * (2.0 - j as f64) + 0.01 * (((i * 7 + j * 13) % 17) as f64 - 8.0)
    }))
}

fn close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol * x.abs().max(y.abs()).max(1.0), "row {i}: {x} vs {y}");
    }
}

#[test]
fn every_family_scores_through_the_registry_as_it_does_itself() {
    let dir = tempfile::tempdir().unwrap();
    let (train, test) = (plane(300, 0.0), plane(80, 1.3));
    let x = test.x.as_ref();

    // Compress model: squared error of each row in data units.
    let pca = PcaParams::new().n_components(2).fit(&train).unwrap();
    pca.save(&dir.path().join("pca"), &train.columns).unwrap();
    let m = load_model(&dir.path().join("pca")).unwrap();
    assert_eq!(m.header.kind, ModelKind::Pca);
    assert!(m.scorer.threshold().is_none());
    close(&m.scorer.score(x, false).unwrap().errors, &pca.row_errors(x).unwrap(), 1e-12);

    // PCA monitor: errors = SPE, scores = combined index over its limit, threshold 1.
    let mon = PcaMonitorParams::new(Components::Fixed(2)).fit(&train).unwrap();
    mon.save(&dir.path().join("mon"), &train.columns).unwrap();
    let s = load_scorer(&dir.path().join("mon")).unwrap();
    let own = mon.score(x).unwrap();
    let b = s.score(x, true).unwrap();
    assert_eq!(s.threshold(), Some(1.0));
    close(&b.errors, &own.spe, 1e-12);
    close(&b.scores, &own.score, 1e-12);
    let r = b.residuals.unwrap();
    close(&r.row_squared_errors(), &own.spe, 1e-12);

    // Autoencoder: scores = mean squared standardised residual, errors = its sum.
    let ae = AutoencoderParams::new(vec![4, 2])
        .training(TrainConfig::new().with_epochs(30).with_seed(1))
        .fit(&train)
        .unwrap();
    ae.save(&dir.path().join("ae"), &train.columns).unwrap();
    let s = load_scorer(&dir.path().join("ae")).unwrap();
    let own = ae.score(x).unwrap();
    let b = s.score(x, true).unwrap();
    close(&b.scores, &own, 1e-12);
    close(&b.errors, &own.iter().map(|v| v * 5.0).collect::<Vec<_>>(), 1e-12);
    assert_eq!(s.threshold(), Some(ae.threshold().value));
    // Reconstruct: decode(encode(x)) is the network's own reconstruction.
    let two_halves = ae.decode(ae.encode(x).unwrap().as_ref()).unwrap();
    let whole = ae.reconstruct(x).unwrap();
    for i in 0..x.nrows() {
        for j in 0..5 {
            assert!((two_halves[(i, j)] - whole[(i, j)]).abs() < 1e-5);
        }
    }

    // VAE (counts): errors = scores = the reconstruction NLL.
    let counts = Dataset::from_mat(Mat::from_fn(120, 6, |i, j| (((i * 31 + j * 17) % 23) + 2 * j) as f64));
    let vae = VaeParams::new(Likelihood::Nb, vec![8], 2)
        .training(VaeParams::default_training().with_epochs(15).with_seed(2))
        .fit(&counts)
        .unwrap();
    vae.save(&dir.path().join("vae"), &counts.columns).unwrap();
    let s = load_scorer(&dir.path().join("vae")).unwrap();
    let xc = counts.x.as_ref();
    let own = vae.evaluate(xc).unwrap();
    let b = s.score(xc, false).unwrap();
    assert_eq!(s.measure(), recon::ErrorMeasure::NegLogLikelihood);
    close(&b.errors, &own.nll, 1e-12);
    close(&b.stats.iter().find(|(n, _)| *n == "p_value").unwrap().1, &vae.sample_p_values(&own.nll), 1e-12);

    // CP model of a planted rank-2 tensor: rows are mode-0 slices; least squares onto the
    // patterns can only do as well as the fitted loadings or better.
    let (i0, i1, i2) = (12, 4, 5);
    let f = |i: usize, j: usize, k: usize| {
        (1.0 + i as f64) * (1.0 + j as f64) * (2.0 - 0.3 * k as f64)
            + (i as f64 * 0.5).cos() * (j as f64 - 1.5) * (k as f64)
    };
    let data: Vec<f64> = (0..i0 * i1 * i2).map(|t| f(t / (i1 * i2), (t / i2) % i1, t % i2)).collect();
    let tensor = recon::data::Tensor::Dense(recon::data::DenseTensor { shape: vec![i0, i1, i2], data: data.clone() });
    let fit = CpParams::new(2).seed(3).fit(&tensor).unwrap();
    let kruskal = fit.model.clone();
    SliceModel::save_fitted(&Fitted::Cp(kruskal.clone()), &dir.path().join("cp")).unwrap();
    let s = load_scorer(&dir.path().join("cp")).unwrap();
    assert_eq!(s.name(), "cp");
    let rows = Mat::from_fn(i0, i1 * i2, |i, c| data[i * i1 * i2 + c]);
    let b = s.score(rows.as_ref(), false).unwrap();
    let full = kruskal.full();
    for i in 0..i0 {
        let own: f64 = (0..i1 * i2).map(|c| (data[i * i1 * i2 + c] - full[i * i1 * i2 + c]).powi(2)).sum();
        assert!(b.errors[i] <= own + 1e-9 * own.max(1.0), "row {i}: {} > {own}", b.errors[i]);
        assert!(b.errors[i] < 1e-8 * data.iter().map(|v| v * v).sum::<f64>(), "planted rank 2: {}", b.errors[i]);
    }
}
