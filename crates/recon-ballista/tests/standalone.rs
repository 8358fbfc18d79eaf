//! The same plans on an in-process Ballista cluster (a scheduler and an executor, plans
//! serialised to protobuf, partial aggregates shuffled through Arrow Flight) give the numbers
//! of the single-machine paths: the PCA monitor fitted from `recon_pca_stats` over a Parquet
//! folder equals the in-memory fit, and SQL scores equal `score_file`.

#[path = "../../recon-datafusion/tests/common/mod.rs"]
mod common;

use common::{assert_same_monitor, dataset, features, rows, write_parts};
use recon::curve::CurveOptions;
use recon::score::{score_file, ScoreOptions};
use recon::Fit;
use recon_linear::{Components, PcaMonitorParams};

#[test]
fn a_standalone_cluster_fits_and_scores_like_one_machine() {
    let engine = recon_ballista::standalone(2).unwrap();
    let dir = tempfile::tempdir().unwrap();

    // Fit: statistics from 4 Parquet parts on the cluster vs the in-memory fit.
    let x = rows(12_000, 21);
    write_parts(&dir.path().join("t"), &x, 4);
    let params = PcaMonitorParams::new(Components::Energy(0.9)).auto_limits();
    let fit = engine.fit_pca(&dir.path().join("t"), &features(), &params).unwrap().expect("12,000 rows: analytical");
    let mem = params.fit(&dataset(&x)).unwrap();
    assert_eq!((fit.columns.len(), fit.n_rows), (5, 12_000));
    assert_same_monitor(&fit.monitor, &mem);
    // The monitor standardises: the curve of the standardised rows.
    let opts = CurveOptions { scale: true, ..CurveOptions::default() };
    let curve = engine.curve(&dir.path().join("t"), &features(), &opts).unwrap();
    let want = mem.pca().error_curve(5).unwrap();
    for (s, t) in curve.relative_squared_error.iter().zip(&want.relative_squared_error) {
        assert!((s - t).abs() <= 1e-10 * t.abs() + 1e-14, "curve {s} vs {t}");
    }

    // Score: the SQL functions on the executor equal score_file.
    let model_dir = dir.path().join("m");
    mem.save(&model_dir, &dataset(&x).columns).unwrap();
    let model = recon::load_model(&model_dir).unwrap();
    let small = dir.path().join("s");
    write_parts(&small, &rows(2_000, 22), 2);
    let want = score_file(&model, &small, &ScoreOptions::default(), None).unwrap();
    engine.register("s", &small).unwrap();
    let md = model_dir.display();
    let got = engine
        .sql(&format!(
            "SELECT recon_score('{md}', a, b, c, d, e) AS s, recon_alarm('{md}', a, b, c, d, e) AS alarm \
             FROM s ORDER BY row"
        ))
        .unwrap()
        .to_json()
        .unwrap();
    let got = got.as_array().unwrap();
    assert_eq!(got.len(), 2_000);
    let t = want.threshold.unwrap();
    for (i, r) in got.iter().enumerate() {
        let s = r["s"].as_f64().unwrap();
        assert!((s - want.scores[i]).abs() <= 1e-9 * want.scores[i].abs().max(1.0), "row {i}");
        assert_eq!(r["alarm"].as_bool().unwrap(), want.scores[i] > t);
    }
}

#[test]
fn a_scheduler_that_is_not_there_is_a_clear_error_within_the_timeout() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url: recon_ballista::SchedulerUrl = format!("df://127.0.0.1:{port}").parse().unwrap();
    let started = std::time::Instant::now();
    let e = recon_ballista::connect(&url).unwrap_err();
    assert!(started.elapsed() <= recon_ballista::CONNECT_TIMEOUT + std::time::Duration::from_secs(2));
    assert!(e.is_input_error(), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("no Ballista scheduler answers") && msg.contains("5 s"), "{msg}");
}
