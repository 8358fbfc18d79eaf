//! PCA monitor on the Tennessee Eastman data against scikit-learn / scipy
//! (tools/make_mspc_fixtures.py → tests/fixtures/mspc_te.json).

use std::path::Path;

use recon_core::data::{load_table, LoadOptions};
use recon_core::Fit;
use recon_linear::{Components, LimitMethod, PcaMonitor, PcaMonitorParams};
use serde_json::Value;

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

#[test]
fn t2_spe_and_limits_match_scipy_on_tennessee_eastman() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fx: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("tests/fixtures/mspc_te.json")).unwrap()).unwrap();
    let te = root.join("../../data/tennessee_eastman");
    let train = load_table(&te.join("d00_train.csv"), &LoadOptions::default()).unwrap().dataset;
    let test = load_table(&te.join("d01_test.csv"), &LoadOptions::default()).unwrap().dataset;
    let m = PcaMonitorParams::new(Components::Energy(0.9)).fit(&train).unwrap();
    assert_eq!(m.pca().n_components() as u64, fx["components"].as_u64().unwrap());
    let l = m.limits();
    let rel = |a: f64, b: f64| (a - b).abs() / b.abs();
    assert!(rel(l.t2, fx["t2_limit"].as_f64().unwrap()) < 1e-9, "T² limit {}", l.t2);
    assert!(rel(l.spe, fx["spe_limit"].as_f64().unwrap()) < 1e-7, "SPE limit {}", l.spe);
    let s = m.score(test.x.as_ref()).unwrap();
    for (name, got, want) in [("t2", &s.t2, floats(&fx["t2"])), ("spe", &s.spe, floats(&fx["spe"]))] {
        for (i, (a, b)) in got.iter().zip(&want).enumerate() {
            assert!((a - b).abs() <= 1e-7 * b.abs().max(1.0), "{name}[{i}]: {a} vs {b}");
        }
    }
    // Fault 1 (a step in the A/C feed ratio) is caught after its onset at sample 160.
    let caught = s.score[160..].iter().filter(|&&v| v > 1.0).count();
    assert!(caught > 780, "{caught} of 800 faulty samples alarmed");
    // Round trip through the model folder; a plain PCA folder is not a monitor.
    let dir = tempfile::tempdir().unwrap();
    m.save(dir.path(), &train.columns).unwrap();
    let (back, cols) = PcaMonitor::load(dir.path()).unwrap();
    assert_eq!(cols, train.columns);
    assert_eq!(back.limits(), l);
    let plain = tempfile::tempdir().unwrap();
    m.pca().save(plain.path(), &train.columns).unwrap();
    assert!(PcaMonitor::load(plain.path()).unwrap_err().to_string().contains("control limits"));
}

/// Reconstruction-based contribution = the drop in SPE when one variable is reconstructed along
/// its own direction. SPE is quadratic in the shift, so its minimum is found exactly from three
/// evaluations of the monitor's own SPE: an independent route to Alcala & Qin's closed form.
#[test]
fn spe_contributions_equal_the_best_single_variable_reconstruction() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let te = root.join("../../data/tennessee_eastman");
    let train = load_table(&te.join("d00_train.csv"), &LoadOptions::default()).unwrap().dataset;
    let test = load_table(&te.join("d01_test.csv"), &LoadOptions::default()).unwrap().dataset;
    let m = PcaMonitorParams::new(Components::Fixed(10)).fit(&train).unwrap();
    let rbc = m.spe_contributions(test.x.as_ref()).unwrap();
    for i in [0, 200, 500] {
        let spe_at = |j: usize, f: f64| {
            let mut x = test.x.clone();
            x[(i, j)] += f;
            m.score(x.as_ref().subrows(i, 1)).unwrap().spe[0]
        };
        for j in [0, 5, 20, 40] {
            let (a, b, c) = (spe_at(j, -1.0), spe_at(j, 0.0), spe_at(j, 1.0));
            // q(f) = b + (c − a)/2·f + (a + c − 2b)/2·f², minimum b − (c − a)²/(8·(a + c − 2b)).
            let drop = (c - a).powi(2) / (8.0 * (a + c - 2.0 * b));
            assert!((rbc[(i, j)] - drop).abs() <= 1e-6 * drop.max(1e-3), "row {i} var {j}: {} vs {drop}", rbc[(i, j)]);
        }
        // The contributions of a row never exceed its SPE.
        let spe = m.score(test.x.as_ref().subrows(i, 1)).unwrap().spe[0];
        assert!((0..test.n_cols()).all(|j| rbc[(i, j)] <= spe * (1.0 + 1e-9)));
    }
}

/// Empirical limits are the conformal (1 − α) order statistics of the training T² and SPE: the
/// share of training rows above each is at most α, and the next order statistic down would pass
/// more than α (checked directly on the sorted statistics). A model file written before limits
/// had a method loads as analytical.
#[test]
fn empirical_limits_are_the_training_quantiles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let te = root.join("../../data/tennessee_eastman");
    let train = load_table(&te.join("d00_train.csv"), &LoadOptions::default()).unwrap().dataset;
    let alpha = 0.05;
    let m =
        PcaMonitorParams::new(Components::Fixed(9)).alpha(alpha).limits(LimitMethod::Empirical).fit(&train).unwrap();
    let l = m.limits();
    assert_eq!(l.method, LimitMethod::Empirical);
    let s = m.score(train.x.as_ref()).unwrap();
    let n = train.n_rows() as f64;
    for (name, stat, limit) in [("T²", &s.t2, l.t2), ("SPE", &s.spe, l.spe)] {
        let above = stat.iter().filter(|&&v| v > limit).count() as f64;
        assert!(above / n <= alpha, "{name}: {above} of {n} above");
        let mut sorted = stat.clone();
        sorted.sort_by(f64::total_cmp);
        let rank = ((1.0 - alpha) * (n + 1.0)).ceil() as usize;
        assert_eq!(limit, sorted[rank - 1], "{name}");
    }
    // The analytical limits of the same model differ (the data are not Gaussian).
    let a = PcaMonitorParams::new(Components::Fixed(9)).alpha(alpha).fit(&train).unwrap().limits();
    assert_eq!(a.method, LimitMethod::Analytical);
    assert!((a.spe - l.spe).abs() > 1e-6 * l.spe);

    let dir = tempfile::tempdir().unwrap();
    m.save(dir.path(), &train.columns).unwrap();
    assert_eq!(PcaMonitor::load(dir.path()).unwrap().0.limits(), l);
    let path = dir.path().join("model.json");
    let mut header: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(header["limits"]["method"], "empirical");
    header["limits"].as_object_mut().unwrap().remove("method");
    std::fs::write(&path, serde_json::to_string(&header).unwrap()).unwrap();
    recon_core::model::reseal(dir.path()).unwrap();
    assert_eq!(PcaMonitor::load(dir.path()).unwrap().0.limits().method, LimitMethod::Analytical);
}
