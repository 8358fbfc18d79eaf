//! Fair PCA against the SDP relaxation solved by cvxpy (`tools/make_fair_pca_fixture.py`) on
//! small cases with two and three groups: the largest group loss is never above standard PCA's
//! (whose losses match numpy's), never below the relaxation's optimum, equal to it for two groups
//! (the relaxation is exact there), and with one extra dimension at most the optimum at d.

use faer::Mat;
use recon_core::{Dataset, Fit};
use recon_linear::FairPcaParams;

#[test]
fn fair_pca_meets_the_sdp_optimum_and_the_one_extra_dimension_bound() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/fair_pca.json")).unwrap();
    let fx: serde_json::Value = serde_json::from_str(&text).unwrap();
    for c in fx["cases"].as_array().unwrap() {
        let rows = c["rows"].as_array().unwrap();
        let p = rows[0].as_array().unwrap().len();
        let x = Mat::from_fn(rows.len(), p, |i, j| rows[i][j].as_f64().unwrap());
        let groups: Vec<String> = c["groups"].as_array().unwrap().iter().map(|g| g.as_str().unwrap().into()).collect();
        let n_groups = {
            let mut g = groups.clone();
            g.sort();
            g.dedup();
            g.len()
        };
        let data = Dataset { groups: Some(groups), ..Dataset::from_mat(x) };
        let d = c["d"].as_u64().unwrap() as usize;
        let fair = FairPcaParams::new(d).fit(&data).unwrap();
        let r = fair.report();
        let opt = c["sdp_optimum"].as_f64().unwrap();
        eprintln!(
            "{n_groups} groups, d = {d}: standard {:.5}, fair {:.5}, d+1 {:.5}, SDP {opt:.5}, dual bound {:.5}, price {:.5}",
            r.max_loss_standard, r.max_loss_fair, r.max_loss_plus_one, r.lower_bound, r.price
        );
        let standard: Vec<f64> = c["standard_losses"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        for (g, s) in r.groups.iter().zip(&standard) {
            assert!((g.loss_standard - s).abs() < 1e-8, "{}: {} vs numpy {s}", g.group, g.loss_standard);
        }
        assert!(r.max_loss_fair <= r.max_loss_standard + 1e-12);
        assert!(r.max_loss_fair >= opt - 1e-6, "below the relaxation: {} < {opt}", r.max_loss_fair);
        assert!(r.lower_bound <= opt + 1e-6, "dual bound {} above the optimum {opt}", r.lower_bound);
        assert!(r.max_loss_plus_one <= opt + 1e-5, "d+1: {} > {opt}", r.max_loss_plus_one);
        if n_groups == 2 {
            assert!(r.max_loss_fair <= opt + 1e-4, "two groups: {} vs exact {opt}", r.max_loss_fair);
        }
        assert!(r.price >= -1e-12, "standard PCA has the least total error");
        // The model's components are orthonormal and span d dimensions.
        let v = fair.pca().components();
        let g = v * v.transpose();
        for a in 0..d {
            for b in 0..d {
                assert!((g[(a, b)] - f64::from(u8::from(a == b))).abs() < 1e-10);
            }
        }
    }
}
