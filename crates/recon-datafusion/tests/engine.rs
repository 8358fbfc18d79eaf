//! The engine against Recon's own single-machine paths: a monitor fitted from `recon_pca_stats`
//! over a folder of Parquet parts equals the in-memory fit on the same rows (spectrum and curve
//! to 1e-10 relative, components up to sign, limits); SQL scores equal `score_file`; windowed
//! models run as window functions; bad calls are refused with the reason.

mod common;

use common::{assert_same_monitor, dataset, features, rows, write_parts};
use recon::score::{score_file, ScoreOptions};
use recon::Fit;
use recon_datafusion::{Engine, Error};
use recon_linear::{Components, PcaMonitorParams};

#[test]
fn parquet_folder_fit_on_the_engine_equals_the_in_memory_fit() {
    let x = rows(12_000, 7);
    let dir = tempfile::tempdir().unwrap();
    write_parts(&dir.path().join("t"), &x, 4);
    let params = PcaMonitorParams::new(Components::Energy(0.9)).auto_limits();
    for partitions in [1, 3] {
        let engine = Engine::new(partitions).unwrap();
        let fit =
            engine.fit_pca(&dir.path().join("t"), &features(), &params).unwrap().expect("12,000 rows: analytical");
        let mem = params.fit(&dataset(&x)).unwrap();
        assert_eq!((fit.columns.len(), fit.n_rows), (5, 12_000));
        assert!(fit.constant_columns.is_empty());
        assert_same_monitor(&fit.monitor, &mem);
    }
    // Below 10,000 rows the default limits are out-of-fold: the engine hands the fit back.
    let small = tempfile::tempdir().unwrap();
    write_parts(small.path(), &rows(600, 8), 2);
    assert!(Engine::new(2).unwrap().fit_pca(small.path(), &features(), &params).unwrap().is_none());
}

#[test]
fn sql_scores_equal_score_file_and_windowed_models_need_over() {
    let x = rows(3_000, 11);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("t");
    write_parts(&data, &x, 3);
    let model_dir = dir.path().join("m");
    let monitor = PcaMonitorParams::new(Components::Fixed(2)).fit(&dataset(&x)).unwrap();
    monitor.save(&model_dir, &dataset(&x).columns).unwrap();
    let model = recon::load_model(&model_dir).unwrap();
    let want = score_file(&model, &data, &ScoreOptions::default(), None).unwrap();

    let engine = Engine::new(3).unwrap();
    engine.register("t", &data).unwrap();
    let m = model_dir.display();
    let q = format!(
        "SELECT recon_score('{m}', a, b, c, d, e) AS s, recon_error('{m}', a, b, c, d, e) AS err, \
         recon_alarm('{m}', a, b, c, d, e) AS alarm FROM t ORDER BY row"
    );
    let got = engine.sql(&q).unwrap().to_json().unwrap();
    let got = got.as_array().unwrap();
    assert_eq!(got.len(), 3_000);
    let t = want.threshold.unwrap();
    for (i, r) in got.iter().enumerate() {
        let (s, e) = (r["s"].as_f64().unwrap(), r["err"].as_f64().unwrap());
        assert!(
            (s - want.scores[i]).abs() <= 1e-9 * want.scores[i].abs().max(1.0),
            "row {i}: {s} vs {}",
            want.scores[i]
        );
        assert!((e - want.errors[i]).abs() <= 1e-9 * want.errors[i].abs().max(1.0));
        assert_eq!(r["alarm"].as_bool().unwrap(), want.scores[i] > t);
    }

    // A model on lags: a plain call is refused, the window call equals score_file.
    let window = recon_core::data::Window::new(vec![0, 2], vec![]).unwrap();
    let lagged = recon::fit::window_features(&dataset(&x), &window).unwrap();
    let lag_dir = dir.path().join("lagged");
    PcaMonitorParams::new(Components::Fixed(3)).fit(&lagged).unwrap().save(&lag_dir, &lagged.columns).unwrap();
    let l = lag_dir.display();
    let err = engine.sql(&format!("SELECT recon_score('{l}', a, b, c, d, e) FROM t")).unwrap_err();
    assert!(err.is_input_error() && err.to_string().contains("OVER"), "{err}");
    let want = score_file(&recon::load_model(&lag_dir).unwrap(), &data, &ScoreOptions::default(), None).unwrap();
    let got = engine
        .sql(&format!("SELECT recon_score('{l}', a, b, c, d, e) OVER (ORDER BY row) AS s FROM t ORDER BY row"))
        .unwrap()
        .to_json()
        .unwrap();
    for (i, r) in got.as_array().unwrap().iter().enumerate() {
        let s = r["s"].as_f64().unwrap();
        assert!((s - want.scores[i]).abs() <= 1e-9 * want.scores[i].abs().max(1.0), "row {i}");
    }
}

#[test]
fn bad_calls_are_refused_with_the_reason() {
    let x = rows(200, 3);
    let dir = tempfile::tempdir().unwrap();
    write_parts(&dir.path().join("t"), &x, 1);
    let model_dir = dir.path().join("m");
    PcaMonitorParams::new(Components::Fixed(2))
        .fit(&dataset(&x))
        .unwrap()
        .save(&model_dir, &dataset(&x).columns)
        .unwrap();
    let engine = Engine::new(2).unwrap();
    engine.register("t", &dir.path().join("t")).unwrap();
    let m = model_dir.display();
    let refused = |q: String, needle: &str| {
        let e: Error = engine.sql(&q).unwrap_err();
        assert!(e.is_input_error(), "{q}: {e}");
        assert!(e.to_string().contains(needle), "{q}: '{e}' lacks '{needle}'");
    };
    refused(format!("SELECT recon_score('{m}', a, b) FROM t"), "takes 5 column(s)");
    refused(format!("SELECT recon_score('{}', a, b, c, d, e) FROM t", dir.path().display()), "not a model folder");
    refused("SELECT recon_score(a, b, c, d, e, a) FROM t".into(), "model folder");
    refused(format!("SELECT recon_score('{m}', a, b, c, d, 'x') FROM t"), "not a number");
    refused("SELECT recon_pca_stats() FROM t".into(), "does not support zero arguments");
    refused("SELECT nope FROM t".into(), "nope");
    // A missing table path is Recon's own missing-file error.
    let e = engine.register("u", &dir.path().join("absent.parquet")).unwrap_err();
    assert!(e.is_input_error() && e.to_string().contains("no such file"), "{e}");
}
