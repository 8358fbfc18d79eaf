//! Invariants over tall, wide, square, rank-deficient and constant-column matrices
//! (tolerances scale with eps·sqrt(size) as faer's own tests do).

use faer::Mat;
use proptest::prelude::*;
use rand::{rngs::StdRng, Rng, SeedableRng};
use rand_distr::StandardNormal;
use recon_core::{Dataset, Fit, Reconstruct, Residuals};
use recon_linear::{randomized_svd, Pca, PcaParams, RandomizedParams, StreamingPca};

#[derive(Debug, Clone, Copy)]
enum Kind {
    Gaussian,
    /// rank r < min(n, d)
    RankDeficient(usize),
    /// column 0 constant
    ConstantColumn,
}

fn matrix(n: usize, d: usize, kind: Kind, seed: u64) -> Mat<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut g = |r: usize, c: usize| Mat::<f64>::from_fn(r, c, |_, _| rng.sample(StandardNormal));
    match kind {
        Kind::Gaussian => g(n, d),
        Kind::RankDeficient(r) => {
            let (a, b) = (g(n, r), g(r, d));
            &a * &b
        }
        Kind::ConstantColumn => {
            let mut m = g(n, d);
            for i in 0..n {
                m[(i, 0)] = 3.5;
            }
            m
        }
    }
}

fn shapes() -> impl Strategy<Value = (usize, usize, Kind, u64)> {
    (2usize..40, 2usize..40, 0usize..3, any::<u64>()).prop_map(|(n, d, k, seed)| {
        let kind = match k {
            0 => Kind::Gaussian,
            1 => Kind::RankDeficient(1 + (seed as usize % n.min(d).max(2)).min(n.min(d) - 1)),
            _ => Kind::ConstantColumn,
        };
        (n, d, kind, seed)
    })
}

fn tol(n: usize, d: usize) -> f64 {
    1e3 * f64::EPSILON * ((n * d) as f64).sqrt()
}

/// Explicit relative error of the rank-k model.
fn explicit_error(pca: &Pca, x: &Mat<f64>, k: usize) -> f64 {
    if k == 0 {
        return 1.0;
    }
    let m = pca.truncate(k).unwrap();
    let xh = m.reconstruct(x.as_ref()).unwrap();
    Residuals::new(x.as_ref(), xh.as_ref()).total_squared_error() / pca.total_energy()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn curve_is_tail_energy_monotone_and_zero_at_full_rank((n, d, kind, seed) in shapes(), center in any::<bool>()) {
        let x = matrix(n, d, kind, seed);
        let pca = PcaParams::new().center(center).fit(&Dataset::from_mat(x.clone())).unwrap();
        let full = n.min(d);
        let curve = pca.error_curve(full).unwrap();
        let e = &curve.relative_squared_error;
        prop_assert_eq!(e[0], 1.0);
        for w in e.windows(2) {
            prop_assert!(w[1] <= w[0] + 1e-15);
        }
        prop_assert!(e[full] <= tol(n, d), "err(full) = {}", e[full]);
        // Both ways: the curve from the spectrum equals the error of an explicit reconstruction.
        for (k, ek) in e.iter().enumerate() {
            let ex = explicit_error(&pca, &x, k);
            prop_assert!((ex - ek).abs() <= tol(n, d), "k={} explicit {} curve {}", k, ex, ek);
        }
        // Explained-variance ratios sum with the remaining error to 1.
        let s: f64 = pca.explained_variance_ratio().iter().sum();
        prop_assert!((s - 1.0).abs() <= tol(n, d));
    }

    #[test]
    fn rank_deficient_matrices_are_exact_at_their_rank((n, d, _, seed) in shapes(), r in 1usize..4) {
        let r = r.min(n.min(d) - 1).max(1);
        let x = matrix(n, d, Kind::RankDeficient(r), seed);
        let pca = PcaParams::new().center(false).fit(&Dataset::from_mat(x)).unwrap();
        prop_assert!(pca.error_curve(r).unwrap().at(r) <= tol(n, d));
    }

    #[test]
    fn streaming_matches_exact((n, d, kind, seed) in shapes(), chunk in 1usize..17) {
        let x = matrix(n, d, kind, seed);
        let exact = PcaParams::new().fit(&Dataset::from_mat(x.clone())).unwrap();
        let mut acc = StreamingPca::new(d, true);
        let mut start = 0;
        while start < n {
            let rows = chunk.min(n - start);
            acc.update(x.as_ref().subrows(start, rows)).unwrap();
            start += rows;
        }
        let stream = acc.finish(None).unwrap();
        let s1 = exact.singular_values()[0];
        for (a, b) in stream.singular_values().iter().zip(exact.singular_values()) {
            // sqrt of eigenvalues of the scatter: absolute accuracy ~ eps·σ₁²/σ, bounded by sqrt(eps)·σ₁.
            prop_assert!((a - b).abs() <= 1e-6 * s1, "{} vs {}", a, b);
        }
        for (a, b) in stream.mean().iter().zip(exact.mean()) {
            prop_assert!((a - b).abs() <= tol(n, d) * (1.0 + b.abs()));
        }
        // Components agree up to sign where the spectrum is well separated.
        let s = exact.singular_values();
        for r in 0..s.len() {
            let gap = [r.checked_sub(1).map(|q| s[q] - s[r]), s.get(r + 1).map(|m| s[r] - m)]
                .into_iter().flatten().fold(f64::INFINITY, f64::min);
            if s[r] < 1e-3 * s1 || gap < 0.05 * s1 {
                continue;
            }
            let dot: f64 = (0..d).map(|j| stream.components()[(r, j)] * exact.components()[(r, j)]).sum();
            prop_assert!((dot.abs() - 1.0).abs() <= 1e-6, "component {} |cos| = {}", r, dot.abs());
        }
    }

    #[test]
    fn transform_then_inverse_is_reconstruct_and_full_rank_is_identity((n, d, kind, seed) in shapes()) {
        let x = matrix(n, d, kind, seed);
        let pca = PcaParams::new().fit(&Dataset::from_mat(x.clone())).unwrap();
        let xh = pca.inverse_transform(pca.transform(x.as_ref()).unwrap().as_ref()).unwrap();
        let scale = x.norm_l2();
        let diff = Residuals::new(x.as_ref(), xh.as_ref()).total_squared_error().sqrt();
        // With all min(n, d) components kept, the reconstruction is exact when n > d (else up to the mean's rank loss).
        if n > d {
            prop_assert!(diff <= tol(n, d) * scale, "diff {}", diff);
        }
    }
}

#[test]
fn randomized_matches_exact_on_a_decaying_spectrum() {
    // Planted spectrum σᵢ = 2^-i: the randomized top 10 match the exact within 1e-10 relative.
    let (n, d) = (300, 80);
    let mut rng = StdRng::seed_from_u64(3);
    let g = Mat::<f64>::from_fn(n, d, |_, _| rng.sample(StandardNormal));
    let q = g.qr().compute_thin_Q();
    let h = Mat::<f64>::from_fn(d, d, |_, _| rng.sample(StandardNormal));
    let v = h.qr().compute_thin_Q();
    let x = Mat::from_fn(n, d, |i, j| (0..d).map(|r| q[(i, r)] * 0.5f64.powi(r as i32) * v[(j, r)]).sum::<f64>());
    let (_, s, vt) = randomized_svd(x.as_ref(), 10, &RandomizedParams::new(11)).unwrap();
    for (r, sv) in s.iter().enumerate() {
        let want = 0.5f64.powi(r as i32);
        assert!((sv - want).abs() <= 1e-10 * want, "σ{r}: {sv} vs {want}");
        let dot: f64 = (0..d).map(|j| vt[(r, j)] * v[(j, r)]).sum();
        assert!((dot.abs() - 1.0).abs() < 1e-8, "component {r}: |cos| {}", dot.abs());
    }
}

#[test]
fn randomized_is_deterministic_for_a_seed() {
    let x = matrix(60, 30, Kind::Gaussian, 5);
    let a = randomized_svd(x.as_ref(), 5, &RandomizedParams::new(9)).unwrap();
    let b = randomized_svd(x.as_ref(), 5, &RandomizedParams::new(9)).unwrap();
    assert_eq!(a.1, b.1);
    assert_eq!(a.2, b.2);
}

#[test]
fn energy_rank_choice_is_the_smallest_sufficient_rank() {
    let x = matrix(80, 20, Kind::Gaussian, 1);
    let data = Dataset::from_mat(x);
    let full = PcaParams::new().fit(&data).unwrap();
    let curve = full.error_curve(20).unwrap();
    for energy in [0.5, 0.8, 0.95, 0.999] {
        for params in [PcaParams::new(), PcaParams::new().randomized(RandomizedParams::new(2))] {
            let k = params.fit_to_energy(&data, energy).unwrap().n_components();
            assert!(1.0 - curve.at(k) >= energy - 1e-9, "k={k} does not reach {energy}");
            assert!(k == 1 || 1.0 - curve.at(k - 1) < energy, "k-1={} already reaches {energy}", k - 1);
        }
    }
}

#[test]
fn bad_parameters_are_errors_not_panics() {
    let data = Dataset::from_mat(matrix(10, 4, Kind::Gaussian, 0));
    assert!(PcaParams::new().n_components(5).fit(&data).is_err());
    assert!(PcaParams::new().n_components(0).fit(&data).is_err());
    assert!(PcaParams::new().fit_to_energy(&data, 1.5).is_err());
    let constant = Dataset::from_mat(Mat::from_fn(5, 3, |_, j| j as f64));
    let e = PcaParams::new().fit(&constant).unwrap_err();
    assert!(e.to_string().contains("zero variance"), "{e}");
    let mut nan = matrix(5, 3, Kind::Gaussian, 0);
    nan[(2, 1)] = f64::NAN;
    let e = PcaParams::new().fit(&Dataset::from_mat(nan)).unwrap_err();
    assert!(e.to_string().contains("row 3"), "{e}");
    let pca = PcaParams::new().fit(&data).unwrap();
    assert!(pca.transform(matrix(3, 5, Kind::Gaussian, 0).as_ref()).is_err());
}

#[test]
fn save_and_load_round_trip_and_refuse_corruption() {
    let data = Dataset::from_mat(matrix(30, 6, Kind::Gaussian, 4));
    let pca = PcaParams::new().n_components(3).fit(&data).unwrap();
    let dir = tempfile::tempdir().unwrap();
    pca.save(dir.path(), &data.columns).unwrap();
    let (back, cols) = Pca::load(dir.path()).unwrap();
    assert_eq!(cols, data.columns);
    assert_eq!(back.components(), pca.components());
    assert_eq!(back.singular_values(), pca.singular_values());
    assert_eq!(back.mean(), pca.mean());
    // Truncated weights.
    let w = dir.path().join("model.safetensors");
    let bytes = std::fs::read(&w).unwrap();
    std::fs::write(&w, &bytes[..100]).unwrap();
    let e = Pca::load(dir.path()).unwrap_err();
    assert!(e.is_input_error() && e.to_string().contains("corrupt"), "{e}");
    // A header that disagrees with the arrays.
    std::fs::write(&w, &bytes).unwrap();
    let h = dir.path().join("model.json");
    let text = std::fs::read_to_string(&h).unwrap().replace("\"n_components\": 3", "\"n_components\": 2");
    std::fs::write(&h, text).unwrap();
    assert!(Pca::load(dir.path()).unwrap_err().to_string().contains("checksum"), "an edit is caught");
    recon_core::model::reseal(dir.path()).unwrap();
    assert!(Pca::load(dir.path()).unwrap_err().to_string().contains("shape"), "and so is a resealed bad edit");
}

/// An n × d matrix with planted singular values `sigma` (after centring) and column means 5 + j.
fn planted(n: usize, d: usize, sigma: impl Fn(usize) -> f64, seed: u64) -> (Mat<f64>, Mat<f64>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut g = Mat::<f64>::from_fn(n, d, |_, _| rng.sample(StandardNormal));
    for j in 0..d {
        let m = g.col(j).iter().sum::<f64>() / n as f64;
        for i in 0..n {
            g[(i, j)] -= m;
        }
    }
    let q = g.qr().compute_thin_Q();
    let h = Mat::<f64>::from_fn(d, d, |_, _| rng.sample(StandardNormal));
    let v = h.qr().compute_thin_Q();
    let x = Mat::from_fn(n, d, |i, j| 5.0 + j as f64 + (0..d).map(|r| q[(i, r)] * sigma(r) * v[(j, r)]).sum::<f64>());
    (x, v)
}

#[test]
fn scatter_spectrum_matches_the_svd_and_falls_back_when_it_would_not() {
    use recon_linear::Method;
    let (n, d) = (2000, 40);
    // A mild spectrum: the smallest curve point (~5e-5) is far above the guard.
    let (x, v) = planted(n, d, |r| 0.9f64.powi(r as i32), 7);
    let data = Dataset::from_mat(x);
    let exact = PcaParams::new().fit(&data).unwrap();
    let fast = PcaParams::new().fit_spectrum(&data, d).unwrap();
    assert_eq!((exact.method(), fast.method()), (Method::Exact, Method::Scatter));
    let (ce, cf) = (exact.error_curve(d).unwrap(), fast.error_curve(d).unwrap());
    for (k, (a, b)) in ce.relative_squared_error.iter().zip(&cf.relative_squared_error).enumerate() {
        assert!((a - b).abs() <= 1e-12, "rank {k}: {a} vs {b}");
    }
    for r in 0..d {
        let want = 0.9f64.powi(r as i32);
        let (se, sf) = (exact.singular_values()[r], fast.singular_values()[r]);
        assert!((se - want).abs() <= 1e-10 * want && (sf - want).abs() <= 1e-8 * want, "σ{r}: {se} {sf} {want}");
    }
    for r in 0..5 {
        let dot: f64 = (0..d).map(|j| fast.components()[(r, j)] * v[(j, r)]).sum();
        assert!((dot.abs() - 1.0).abs() < 1e-9, "component {r}: |cos| {}", dot.abs());
    }

    // A steep spectrum (σᵢ = 2⁻ⁱ): the tail at rank 39 is ~1e-24 of the energy, below what the
    // scatter resolves, so the full curve falls back to QR + SVD and equals the exact fit; the
    // first five points alone are well resolved and keep the fast path.
    let (x, _) = planted(n, d, |r| 0.5f64.powi(r as i32), 8);
    let data = Dataset::from_mat(x);
    let full = PcaParams::new().fit_spectrum(&data, d).unwrap();
    assert_eq!(full.method(), Method::Exact);
    let exact = PcaParams::new().fit(&data).unwrap();
    assert_eq!(
        full.error_curve(d).unwrap().relative_squared_error,
        exact.error_curve(d).unwrap().relative_squared_error
    );
    let head = PcaParams::new().fit_spectrum(&data, 5).unwrap();
    assert_eq!(head.method(), Method::Scatter);
    let (ch, ce) = (head.error_curve(5).unwrap(), exact.error_curve(5).unwrap());
    for (a, b) in ch.relative_squared_error.iter().zip(&ce.relative_squared_error) {
        assert!((a - b).abs() <= 1e-12 && (a - b).abs() <= 1e-8 * b, "{a} vs {b}");
    }

    // Wide or short matrices, scaling and fixed ranks take the exact path.
    let short = Dataset::from_mat(matrix(100, 40, Kind::Gaussian, 9));
    assert_eq!(PcaParams::new().fit_spectrum(&short, 40).unwrap().method(), Method::Exact);
    let scaled =
        PcaParams::new().scale(true).fit_spectrum(&Dataset::from_mat(matrix(800, 20, Kind::Gaussian, 10)), 20).unwrap();
    let want = PcaParams::new().scale(true).fit(&Dataset::from_mat(matrix(800, 20, Kind::Gaussian, 10))).unwrap();
    assert_eq!(scaled.method(), Method::Scatter);
    for (a, b) in scaled.singular_values().iter().zip(want.singular_values()) {
        assert!((a - b).abs() <= 1e-10 * b, "{a} vs {b}");
    }
}
