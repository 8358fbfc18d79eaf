//! Log-probabilities, count p-values and Benjamini–Hochberg against scipy
//! (tools/make_likelihood_fixtures.py → tests/fixtures/likelihood.json).

use recon_core::ruler::benjamini_hochberg;
use recon_neural::likelihood::*;
use serde_json::Value;

fn fixture() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/likelihood.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn rows<'a>(fx: &'a Value, key: &str) -> impl Iterator<Item = Vec<f64>> + 'a {
    let rows = fx[key].as_array().unwrap();
    assert!(!rows.is_empty(), "{key}");
    rows.iter().map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect())
}

/// Within 1e-6 absolute, or 1e-9 relative for large magnitudes.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6_f64.max(1e-9 * b.abs())
}

#[test]
fn log_probabilities_match_scipy() {
    let fx = fixture();
    for r in rows(&fx, "gaussian") {
        let got = gaussian_log_prob(r[0], r[1], r[2]);
        assert!(close(got, r[3]), "gaussian {r:?}: {got}");
    }
    for r in rows(&fx, "bernoulli") {
        let got = bernoulli_log_prob(r[0], r[1]);
        assert!(close(got, r[2]), "bernoulli {r:?}: {got}");
    }
    for r in rows(&fx, "poisson") {
        let got = poisson_log_prob(r[0], r[1]);
        assert!(close(got, r[2]), "poisson {r:?}: {got}");
    }
    for r in rows(&fx, "nb") {
        let got = nb_log_prob(r[0], r[1], r[2]);
        assert!(close(got, r[3]), "nb {r:?}: {got}");
    }
    for r in rows(&fx, "zinb") {
        let got = zinb_log_prob(r[0], r[1], r[2], r[3]);
        assert!(close(got, r[4]), "zinb {r:?}: {got}");
    }
}

#[test]
fn count_p_values_match_scipy() {
    let fx = fixture();
    for r in rows(&fx, "nb_p") {
        let got = nb_p_value(r[0] as u64, r[1], r[2]).unwrap();
        assert!((got - r[3]).abs() <= 1e-6_f64.max(1e-6 * r[3]), "nb p {r:?}: {got}");
    }
    // Far tails stay positive (upper tail from the survival function, not 1 − F): log P(X ≥ 200)
    // for Poisson(10) is about −412 − ... ≈ e^−410 by the leading term k log μ − μ − log k!.
    let far = poisson_p_value(200, 10.0).unwrap();
    let lead = (200.0 * 10f64.ln() - 10.0 - statrs::function::gamma::ln_gamma(201.0)).exp();
    assert!(far > 0.0 && far >= 2.0 * lead && far < 2.2 * lead, "{far} vs {lead}");
    assert!(nb_p_value(800, 10.0, 5.0).unwrap() > 0.0, "P(X ≥ 800) ≈ (2/3)^800 ≈ 1e-141 is representable");
    for r in rows(&fx, "zinb_p") {
        let got = zinb_p_value(r[0] as u64, r[1], r[2], r[3]).unwrap();
        assert!((got - r[4]).abs() <= 1e-6_f64.max(1e-6 * r[4]), "zinb p {r:?}: {got}");
    }
    for r in rows(&fx, "poisson_p") {
        let got = poisson_p_value(r[0] as u64, r[1]).unwrap();
        assert!((got - r[2]).abs() <= 1e-6_f64.max(1e-6 * r[2]), "poisson p {r:?}: {got}");
    }
}

#[test]
fn benjamini_hochberg_matches_scipy() {
    let fx = fixture();
    let p: Vec<f64> = fx["bh"]["p"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let want: Vec<f64> = fx["bh"]["adjusted"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let got = benjamini_hochberg(&p).unwrap();
    for (i, (a, b)) in got.iter().zip(&want).enumerate() {
        assert!((a - b).abs() < 1e-12, "{i}: {a} vs {b}");
    }
}

/// Sums of probabilities: a likelihood is a distribution, not just a loss.
#[test]
fn count_likelihoods_sum_to_one() {
    for (mu, theta, logit) in [(0.5, 0.3, -1.0), (8.0, 2.0, 0.5), (40.0, 50.0, -3.0)] {
        let (mut p, mut nb, mut zinb) = (0.0, 0.0, 0.0);
        for k in 0..5000 {
            let k = k as f64;
            p += poisson_log_prob(k, mu).exp();
            nb += nb_log_prob(k, mu, theta).exp();
            zinb += zinb_log_prob(k, mu, theta, logit).exp();
        }
        for (name, s) in [("poisson", p), ("nb", nb), ("zinb", zinb)] {
            assert!((s - 1.0).abs() < 1e-9, "{name} μ={mu} θ={theta}: {s}");
        }
        assert!((nb_log_prob(3.0, mu, theta).exp() - nb_pmf(3, mu, theta).unwrap()).abs() < 1e-12);
    }
}

#[test]
fn counts_are_checked() {
    let names: Vec<String> = vec!["g1".into(), "g2".into()];
    let ok = faer::Mat::from_fn(3, 2, |i, j| (i + j) as f64);
    assert!(check_counts(ok.as_ref(), &names).is_ok());
    let neg = faer::Mat::from_fn(3, 2, |i, j| if (i, j) == (2, 1) { -1.0 } else { 1.0 });
    let e = check_counts(neg.as_ref(), &names).unwrap_err().to_string();
    assert!(e.contains("row 3") && e.contains("'g2'") && e.contains("non-negative integers"), "{e}");
    let frac = faer::Mat::from_fn(3, 2, |i, _| i as f64 + 0.5);
    assert!(check_counts(frac.as_ref(), &names).is_err());
    assert!(Likelihood::Nb.is_count() && !Likelihood::Gaussian.is_count());
}
