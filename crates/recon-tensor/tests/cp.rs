//! Planted ground truth for CP-ALS, its diagnostics and the rank search.

use faer::Mat;
use rand::{rngs::StdRng, Rng, SeedableRng};
use recon_core::data::{DenseTensor, SparseTensor, Tensor};
use recon_tensor::{corcondia_dense, factor_match_score, for_each_index, CpParams, Init, Kruskal, RankSearch};

fn planted(shape: &[usize], rank: usize, seed: u64) -> Kruskal {
    let mut rng = StdRng::seed_from_u64(seed);
    let factors = shape.iter().map(|&n| Mat::from_fn(n, rank, |_, _| rng.random::<f64>() + 0.1)).collect();
    let mut k = Kruskal { weights: vec![1.0; rank], factors };
    k.normalize();
    k
}

fn dense(k: &Kruskal, noise: f64, seed: u64) -> DenseTensor {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut data = k.full();
    let scale = (k.norm_sq() / data.len() as f64).sqrt();
    for v in &mut data {
        *v += noise * scale * (rng.random::<f64>() - 0.5) * 3.46;
    }
    DenseTensor { shape: k.shape(), data }
}

#[test]
fn noiseless_planted_tensor_is_recovered() {
    let truth = planted(&[12, 10, 8], 3, 1);
    let t = Tensor::Dense(dense(&truth, 0.0, 0));
    let best = (0..5)
        .map(|s| CpParams::new(3).seed(s).tol(1e-14).max_iter(3000).fit(&t).unwrap())
        .min_by(|a, b| a.relative_error().total_cmp(&b.relative_error()))
        .unwrap();
    assert!(best.relative_error() < 1e-6, "error {}", best.relative_error());
    let fms = factor_match_score(&best.model, &truth, &[0, 1, 2]);
    assert!(fms > 0.99, "FMS {fms}");
    // The error trajectory never increases (ALS is monotone in the fit).
    assert!(best.errors.windows(2).all(|w| w[1] <= w[0] + 1e-12));
}

#[test]
fn core_consistency_is_100_at_the_true_rank_and_drops_above() {
    let truth = planted(&[10, 9, 8], 2, 2);
    let d = dense(&truth, 0.01, 3);
    let t = Tensor::Dense(d.clone());
    let cc = |r: usize| {
        let fit = CpParams::new(r).init(Init::Hosvd).tol(1e-12).max_iter(2000).fit(&t).unwrap();
        corcondia_dense(&d.shape, &d.data, &fit.model).unwrap()
    };
    let (c2, c3) = (cc(2), cc(3));
    assert!(c2 > 99.0, "cc at the true rank {c2}");
    assert!(c3 < 80.0, "cc above the true rank {c3}");
    // An exact model of rank 1 is perfectly consistent.
    let one = planted(&[6, 5, 4], 1, 4);
    let d1 = dense(&one, 0.0, 0);
    let fit = CpParams::new(1).fit(&Tensor::Dense(d1.clone())).unwrap();
    assert!((corcondia_dense(&d1.shape, &d1.data, &fit.model).unwrap() - 100.0).abs() < 1e-6);
}

#[test]
fn masked_cp_predicts_hidden_entries_better_than_the_mean() {
    let truth = planted(&[15, 12, 10], 2, 5);
    let full = dense(&truth, 0.02, 6);
    let mut rng = StdRng::seed_from_u64(7);
    let mut observed = full.clone();
    let hidden: Vec<usize> = (0..full.data.len()).filter(|_| rng.random::<f64>() < 0.3).collect();
    for &i in &hidden {
        observed.data[i] = f64::NAN;
    }
    let fit = CpParams::new(2).init(Init::Hosvd).tol(1e-10).fit(&Tensor::Dense(observed.clone())).unwrap();
    let model = fit.model.full();
    let obs_mean = observed.data.iter().filter(|v| !v.is_nan()).sum::<f64>() / (full.data.len() - hidden.len()) as f64;
    let rmse = |f: &dyn Fn(usize) -> f64| {
        (hidden.iter().map(|&i| (f(i) - full.data[i]).powi(2)).sum::<f64>() / hidden.len() as f64).sqrt()
    };
    let (cp, mean) = (rmse(&|i| model[i]), rmse(&|_| obs_mean));
    assert!(cp < 0.2 * mean, "hidden-entry RMSE: CP {cp} vs mean {mean}");
}

#[test]
fn sparse_and_dense_als_follow_the_same_path() {
    let truth = planted(&[7, 6, 5], 2, 8);
    let mut d = dense(&truth, 0.05, 9);
    // Make it sparse-ish: zero out small entries.
    let cut = 0.6 * d.data.iter().sum::<f64>() / d.data.len() as f64;
    d.data.iter_mut().for_each(|v| {
        if *v < cut {
            *v = 0.0
        }
    });
    let (mut indices, mut values) = (Vec::new(), Vec::new());
    let mut flat = 0;
    for_each_index(&d.shape, |idx| {
        if d.data[flat] != 0.0 {
            indices.extend_from_slice(idx);
            values.push(d.data[flat]);
        }
        flat += 1;
    });
    let s = SparseTensor { shape: d.shape.clone(), indices, values };
    assert!(s.nnz() < d.data.len());
    let init = planted(&[7, 6, 5], 2, 10);
    let p = CpParams::new(2).max_iter(30).tol(0.0);
    let a = p.fit_from(&Tensor::Dense(d), init.clone()).unwrap();
    let b = p.fit_from(&Tensor::Sparse(s), init).unwrap();
    assert_eq!(a.errors.len(), b.errors.len());
    for (x, y) in a.errors.iter().zip(&b.errors) {
        assert!((x - y).abs() < 1e-10, "{x} vs {y}");
    }
}

#[test]
fn rank_search_recommends_the_planted_rank() {
    for (rank, seed) in [(2usize, 11u64), (3, 12), (4, 13)] {
        let truth = planted(&[20, 12, 10], rank, seed);
        let t = Tensor::Dense(dense(&truth, 0.02, seed + 100));
        let search = RankSearch {
            ranks: (1..=rank + 2).collect(),
            starts: 2,
            seed,
            max_iter: 500,
            tol: 1e-9,
            method: recon_tensor::Decomposition::Cp,
        };
        let r = search.run(&t, &|| {}).unwrap();
        assert_eq!(r.recommended_rank, rank, "{}", r.reason);
        assert!(r.relative_error.windows(2).all(|w| w[1] <= w[0] + 1e-6), "{:?}", r.relative_error);
    }
}

#[test]
fn bad_parameters_are_errors() {
    let t = Tensor::Dense(dense(&planted(&[5, 4, 3], 1, 0), 0.0, 0));
    assert!(CpParams::new(0).fit(&t).is_err());
    assert!(CpParams::new(2).max_iter(0).fit(&t).is_err());
    let search = RankSearch {
        ranks: vec![2, 1],
        starts: 1,
        seed: 0,
        max_iter: 10,
        tol: 1e-6,
        method: recon_tensor::Decomposition::Cp,
    };
    assert!(search.run(&t, &|| {}).is_err());
    let zeros = Tensor::Dense(DenseTensor { shape: vec![4, 3, 2], data: vec![0.0; 24] });
    assert!(CpParams::new(1).fit(&zeros).unwrap_err().to_string().contains("zero variance"));
}

#[test]
fn clickstream_rank_is_recovered_across_seeds() {
    // Seeds 31 and 32 were not used to calibrate the rule's thresholds (see select.rs).
    use recon_core::synth::clickstream::{simulate, ClickstreamParams};
    let mut hits = Vec::new();
    for patterns in 2..=6usize {
        for seed in [31u64, 32] {
            let p = ClickstreamParams { users: 300, items: 120, days: 28, patterns, density: 0.1, seed };
            let t = Tensor::Sparse(simulate(&p).unwrap().tensor);
            let search = RankSearch {
                ranks: (1..=patterns + 2).collect(),
                starts: 2,
                seed,
                max_iter: 200,
                tol: 1e-8,
                method: recon_tensor::Decomposition::Cp,
            };
            let r = search.run(&t, &|| {}).unwrap();
            hits.push((patterns, seed, r.recommended_rank));
        }
    }
    let right = hits.iter().filter(|(p, _, r)| p == r).count();
    assert!(right >= 9, "recommended ranks (planted, seed, recommended): {hits:?}");
}

#[test]
fn tucker_recovers_a_planted_multilinear_rank() {
    use recon_tensor::{subspace_similarity, TuckerParams};
    let mut rng = StdRng::seed_from_u64(40);
    let (shape, ranks) = ([9usize, 8, 7], [2usize, 3, 2]);
    let factors: Vec<Mat<f64>> = shape
        .iter()
        .zip(&ranks)
        .map(|(&n, &r)| Mat::<f64>::from_fn(n, r, |_, _| rng.random::<f64>() - 0.5).qr().compute_thin_Q())
        .collect();
    let core: Vec<f64> = (0..12).map(|_| rng.random::<f64>() - 0.5).collect();
    let truth = recon_tensor::TuckerFit { core, factors: factors.clone(), errors: vec![] };
    let mut data = truth.full();
    let t = Tensor::Dense(DenseTensor { shape: shape.to_vec(), data: data.clone() });
    let fit = TuckerParams::new(ranks.to_vec()).fit(&t).unwrap();
    assert!(fit.relative_error() < 1e-10, "{}", fit.relative_error());
    assert!((subspace_similarity(&fit.factors, &factors, &[0, 1, 2]) - 1.0).abs() < 1e-10);
    // HOOI never does worse than its HOSVD start, and a smaller rank cannot fit exactly.
    let small = TuckerParams::new(vec![1, 2, 2]).fit(&t).unwrap();
    assert!(small.errors.windows(2).all(|w| w[1] <= w[0] + 1e-12) && small.relative_error() > 1e-3);
    // Missing entries: fitted by EM, scored on the observed ones.
    data[5] = f64::NAN;
    data[40] = f64::NAN;
    let fit = TuckerParams::new(ranks.to_vec())
        .max_iter(300)
        .tol(1e-14)
        .fit(&Tensor::Dense(DenseTensor { shape: shape.to_vec(), data }))
        .unwrap();
    assert!(fit.relative_error() < 1e-6, "{}", fit.relative_error());
    assert!(TuckerParams::new(vec![10, 3, 2]).fit(&t).is_err(), "rank above a mode's size");
}
