//! `recon audit` against an independent computation and planted truth.
//!
//! - Per-group errors of a standardised 2-component PCA on 5,000 rows of UCI Adult equal those of
//!   scikit-learn grouped by Fairlearn's `MetricFrame` (`tools/make_audit_fixture.py`), by sex and
//!   by sex × race; and of a 3-component PCA on German credit by sex, age group and both.
//! - One code path for every family: PCA monitor, autoencoder and VAE folders are audited by
//!   `audit_file`, whose group means are the means of the errors `score_file` reports.
//! - On the two-group simulator the minority (a different structure, 10% of the rows) is flagged;
//!   in null mode the permutation p-values are uniform over seeds and the familywise flag rate is
//!   at most alpha; bootstrap intervals cover a known mean at about the nominal rate.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{ChiSquared, Distribution};
use recon::audit::audit_file;
use recon::likelihood::Likelihood;
use recon::ruler::{audit, AuditParams};
use recon::score::{score_file, ScoreOptions};
use recon::synth::groups::{simulate, GroupParams};
use recon::{
    load_model, AutoencoderParams, Components, Dataset, Fit, LimitMethod, PcaMonitorParams, TrainConfig, Trainable,
    VaeParams,
};

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(p)
}

fn close(a: f64, b: f64, tol: f64, what: &str) {
    assert!((a - b).abs() <= tol * a.abs().max(b.abs()).max(1.0), "{what}: {a} vs {b}");
}

/// Fits the fixture's standardised PCA on `csv` and compares the audit's groups with it.
fn check_fixture(fx: &serde_json::Value, csv: &Path) {
    let columns: Vec<String> = fx["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().into()).collect();
    let opts = recon::data::LoadOptions { columns: Some(columns), ..Default::default() };
    let data = recon::data::load_table(csv, &opts).unwrap().dataset;
    let k = fx["components"].as_u64().unwrap() as usize;
    let dir = tempfile::tempdir().unwrap();
    let m = PcaMonitorParams::new(Components::Fixed(k)).limits(LimitMethod::Analytical).fit(&data).unwrap();
    m.save(dir.path(), &data.columns).unwrap();
    let model = load_model(dir.path()).unwrap();
    for (cols, expected) in fx["by"].as_object().unwrap() {
        let cols: Vec<String> = cols.split(',').map(String::from).collect();
        let r = audit_file(&model, csv, &cols, &AuditParams::new().permutations(99).bootstrap(50)).unwrap();
        close(r.audit.overall_mean_error, fx["overall_mean_error"].as_f64().unwrap(), 1e-9, "overall");
        let expected = expected.as_object().unwrap();
        assert_eq!(r.audit.groups.len(), expected.len(), "{cols:?}");
        for g in &r.audit.groups {
            let e = &expected[&g.group];
            assert_eq!(g.n as u64, e["n"].as_u64().unwrap(), "{}", g.group);
            close(g.mean_error, e["mean_error"].as_f64().unwrap(), 1e-9, &g.group);
            close(g.median_error, e["median_error"].as_f64().unwrap(), 1e-9, &g.group);
            close(g.p90_error, e["p90_error"].as_f64().unwrap(), 1e-9, &g.group);
        }
    }
}

#[test]
fn group_errors_match_scikit_learn_and_fairlearn_on_real_tables() {
    let fx: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo("crates/recon/tests/fixtures/audit_adult.json")).unwrap())
            .unwrap();
    check_fixture(&fx, &repo("data/fairness/adult_5k.csv"));
    check_fixture(&fx["german_credit"], &repo("data/fairness/german_credit_small.csv"));
}

/// Writes the simulator's rows as CSV (x0…, group) and returns the path.
fn write_groups(dir: &Path, p: &GroupParams) -> PathBuf {
    let path = dir.join(format!("groups{}.csv", p.seed));
    recon::simulate::groups(p, &path).unwrap();
    path
}

#[test]
fn every_family_is_audited_through_one_path() {
    let dir = tempfile::tempdir().unwrap();
    let p = GroupParams { rows: 600, features: 8, rank: 2, minority: 0.2, seed: 5, ..Default::default() };
    let csv = write_groups(dir.path(), &p);
    let cols: Vec<String> = (0..p.features).map(|j| format!("x{j}")).collect();
    let opts = recon::data::LoadOptions {
        columns: Some(cols.clone()),
        group_cols: vec!["group".into()],
        ..Default::default()
    };
    let table = recon::data::load_table(&csv, &opts).unwrap().dataset;
    let groups = table.groups.clone().unwrap();
    let data = Dataset { groups: None, ..table };
    let train = TrainConfig::new().with_epochs(20).with_seed(1);
    let pca = PcaMonitorParams::new(Components::Fixed(2)).fit(&data).unwrap();
    pca.save(&dir.path().join("pca"), &cols).unwrap();
    let ae = AutoencoderParams::new(vec![6, 2]).training(train.clone()).fit(&data).unwrap();
    ae.save(&dir.path().join("ae"), &cols).unwrap();
    let vae = VaeParams::new(Likelihood::Gaussian, vec![8], 2).training(train).fit(&data).unwrap();
    vae.save(&dir.path().join("vae"), &cols).unwrap();
    for name in ["pca", "ae", "vae"] {
        let model = load_model(&dir.path().join(name)).unwrap();
        let r =
            audit_file(&model, &csv, &["group".into()], &AuditParams::new().permutations(199).bootstrap(100)).unwrap();
        let errors = score_file(&model, &csv, &ScoreOptions { persistence: (1, 1), drop_nonfinite: false }, None)
            .unwrap()
            .errors;
        let mut sums: BTreeMap<&str, (f64, usize)> = BTreeMap::new();
        for (e, g) in errors.iter().zip(&groups) {
            let s = sums.entry(g.as_str()).or_default();
            (s.0, s.1) = (s.0 + e, s.1 + 1);
        }
        assert_eq!(r.model, name);
        for g in &r.audit.groups {
            let (s, n) = sums[g.group.as_str()];
            assert_eq!(g.n, n);
            close(g.mean_error, s / n as f64, 1e-12, name);
        }
        // The PCA monitor's per-group error-vs-rank curves: non-increasing (nested projections),
        // and at the model's rank equal to the group means of its own errors (SPE).
        assert_eq!(r.rank_curves.is_some(), name == "pca", "{name}: rank curves for linear models only");
        if let Some(c) = &r.rank_curves {
            for g in &r.audit.groups {
                let curve = &c.groups[&g.group];
                assert!(curve.windows(2).all(|w| w[1] <= w[0] + 1e-12), "{curve:?}");
                close(*curve.last().unwrap(), g.mean_error, 1e-9, "rank curve at the model's rank");
            }
        }
        eprintln!("{name}: {}", r.table());
    }
}

/// Standardised PCA monitor of rank 3 fitted on the pooled rows; the per-row SPE and the groups.
fn pooled_errors(p: &GroupParams) -> (Vec<f64>, Vec<String>) {
    let s = simulate(p).unwrap();
    let data = Dataset::from_mat(s.x.clone());
    let m = PcaMonitorParams::new(Components::Fixed(p.rank)).fit(&data).unwrap();
    let spe = m.score(s.x.as_ref()).unwrap().spe;
    (spe, s.minority.iter().map(|&m| if m { "minority".into() } else { "majority".into() }).collect())
}

#[test]
fn the_under_represented_minority_is_flagged_and_the_null_is_not() {
    // Different structures: flagged on every seed (sizes and seeds not used elsewhere).
    for seed in 0..5 {
        let p = GroupParams { rows: 1500, minority: 0.1, seed: 100 + seed, ..Default::default() };
        let (e, g) = pooled_errors(&p);
        let a = audit(&e, &g, &AuditParams::new().permutations(999).bootstrap(200).seed(seed)).unwrap();
        let minority = a.groups.iter().find(|x| x.group == "minority").unwrap();
        assert!(minority.flagged && minority.ratio_to_best > 1.5, "seed {seed}: {minority:?}");
        assert!(!a.groups.iter().find(|x| x.group == "majority").unwrap().flagged);
    }
    // Null: the minority's p-values are uniform over seeds (the fraction below each of 0.1, 0.25,
    // 0.5 within 4 binomial standard errors of it) and flags are rare (familywise α = 0.1).
    let seeds = 200;
    let (mut p_values, mut any_flag) = (Vec::new(), 0);
    for seed in 0..seeds {
        let p = GroupParams { rows: 600, minority: 0.15, null: true, seed: 1000 + seed, ..Default::default() };
        let (e, g) = pooled_errors(&p);
        let a = audit(&e, &g, &AuditParams::new().permutations(199).bootstrap(0).alpha(0.1).seed(seed)).unwrap();
        p_values.push(a.groups.iter().find(|x| x.group == "minority").unwrap().p_value.unwrap());
        any_flag += usize::from(a.groups.iter().any(|x| x.flagged));
    }
    for q in [0.1, 0.25, 0.5] {
        let frac = p_values.iter().filter(|&&p| p <= q).count() as f64 / seeds as f64;
        let se = (q * (1.0 - q) / seeds as f64).sqrt();
        eprintln!("null: P(p ≤ {q}) = {frac:.3}");
        assert!((frac - q).abs() <= 4.0 * se + 0.01, "P(p ≤ {q}) = {frac}");
    }
    let rate = any_flag as f64 / seeds as f64;
    eprintln!("null: familywise flag rate {rate:.3} at alpha 0.1");
    assert!(rate <= 0.1 + 4.0 * (0.1f64 * 0.9 / seeds as f64).sqrt(), "{rate}");
}

#[test]
fn bootstrap_intervals_cover_a_known_mean() {
    // Errors χ²₄ (a sum of squares, skewed like reconstruction errors; mean 4) in two groups of
    // 150 and 60 rows; 95% percentile intervals over 300 draws.
    let chi = ChiSquared::new(4.0).unwrap();
    let mut rng = StdRng::seed_from_u64(77);
    let (mut covered, mut total) = (0, 0);
    for rep in 0..300u64 {
        let e: Vec<f64> = (0..210).map(|_| chi.sample(&mut rng)).collect();
        let g: Vec<String> = (0..210).map(|i| if i < 150 { "a".into() } else { "b".into() }).collect();
        let a = audit(&e, &g, &AuditParams::new().permutations(0).bootstrap(1000).seed(rep)).unwrap();
        for x in &a.groups {
            total += 1;
            covered += usize::from(x.ci_low.unwrap() <= 4.0 && 4.0 <= x.ci_high.unwrap());
        }
    }
    let rate = covered as f64 / total as f64;
    eprintln!("bootstrap coverage {rate:.3} for 95%");
    assert!((0.92..=0.975).contains(&rate), "{rate}");
}

#[test]
fn single_rows_are_reported_untested_and_bad_groups_refused() {
    let e = [1.0, 2.0, 3.0, 4.0, 5.0, 9.0];
    let g: Vec<String> = ["a", "a", "b", "b", "b", "c"].iter().map(|s| s.to_string()).collect();
    let a = audit(&e, &g, &AuditParams::new().permutations(99).bootstrap(50)).unwrap();
    let c = a.groups.iter().find(|x| x.group == "c").unwrap();
    assert_eq!((c.n, c.p_value, c.ci_low, c.flagged), (1, None, None, false));
    assert_eq!(a.untested, ["c"]);
    assert_eq!(a.best_group, "a");
    let mut empty = g.clone();
    empty[2] = " ".into();
    assert!(audit(&e, &empty, &AuditParams::new()).unwrap_err().is_input_error());
    assert!(audit(&e[..5], &g, &AuditParams::new()).unwrap_err().is_input_error());
    assert!(audit(&[1.0, f64::NAN], &g[..2], &AuditParams::new()).unwrap_err().is_input_error());
}

#[test]
fn equal_sizes_tell_under_representation_from_a_harder_group() {
    // Different structures, same noise: at equal sizes the gap closes (under-representation).
    // Shared structure, the minority twice as noisy: the gap stays (a harder group).
    let dir = tempfile::tempdir().unwrap();
    for (seed, null, noise, expect) in [
        (21u64, false, 1.0, "under-representation"),
        (22, true, 2.0, "harder"),
        (23, false, 1.0, "under-representation"),
        (24, true, 2.0, "harder"),
    ] {
        let p = GroupParams { rows: 1200, minority: 0.1, null, minority_noise: noise, seed, ..Default::default() };
        let csv = write_groups(dir.path(), &p);
        let cols: Vec<String> = (0..p.features).map(|j| format!("x{j}")).collect();
        let data = recon::data::load_table(
            &csv,
            &recon::data::LoadOptions { columns: Some(cols.clone()), ..Default::default() },
        )
        .unwrap()
        .dataset;
        let m = PcaMonitorParams::new(Components::Fixed(p.rank)).limits(LimitMethod::Analytical).fit(&data).unwrap();
        let folder = dir.path().join(format!("m{seed}"));
        m.save(&folder, &cols).unwrap();
        let model = load_model(&folder).unwrap();
        let params = AuditParams::new().permutations(199).bootstrap(0).seed(seed);
        let r = recon::audit::audit_file_with(&model, &csv, &["group".into()], &params, 3).unwrap();
        let e = r.equal_size.expect("a PCA model is refitted");
        eprintln!("seed {seed}: {}", e.explanation);
        assert_eq!(e.rows_per_group, 120);
        assert!(e.explanation.contains(expect), "seed {seed}: {}", e.explanation);
    }
}

#[test]
fn group_robust_training_lowers_the_worst_group_error() {
    // Different structures, 10% minority; seeds not used elsewhere. Standard training serves the
    // majority; group DRO moves the weight to the minority.
    for seed in [31u64, 32] {
        let p = GroupParams { rows: 800, features: 10, rank: 2, minority: 0.1, seed, ..Default::default() };
        let s = simulate(&p).unwrap();
        let groups =
            s.minority.iter().map(|&m| if m { "minority".to_string() } else { "majority".to_string() }).collect();
        let data = Dataset { groups: Some(groups), ..Dataset::from_mat(s.x.clone()) };
        let params = AutoencoderParams::new(vec![8, 2])
            .training(AutoencoderParams::default_training().with_epochs(300).with_seed(seed));
        let (_, r) =
            recon::fit::group_robust_autoencoder(&params, &data, recon::fit::GROUP_ROBUST_ETA, |_, _, _| {}).unwrap();
        eprintln!("seed {seed}: {}", recon::fit::group_robust_lines(&r).join(" | "));
        assert!(r.worst_robust < 0.8 * r.worst_standard, "seed {seed}: {r:?}");
    }
}
