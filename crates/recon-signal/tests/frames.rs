//! Frames and erasures against numpy (`tools/make_frame_fixture.py`) and against theory.

use faer::Mat;
use recon_signal::Frame;

fn mat(v: &serde_json::Value) -> Mat<f64> {
    let rows = v.as_array().unwrap();
    let n = rows[0].as_array().unwrap().len();
    Mat::from_fn(rows.len(), n, |i, j| rows[i][j].as_f64().unwrap())
}

#[test]
fn bounds_duals_and_erasure_errors_match_numpy() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/frames.json")).unwrap();
    let fx: serde_json::Value = serde_json::from_str(&text).unwrap();
    for c in fx["frames"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let v = mat(&c["vectors"]);
        let (d, n) = (v.nrows(), v.ncols());
        if name.starts_with("harmonic") {
            // The Rust construction is numpy's, vector by vector.
            let h = Frame::harmonic(d, n).unwrap();
            for i in 0..d {
                for j in 0..n {
                    assert!((h.vectors()[(i, j)] - v[(i, j)]).abs() < 1e-12, "{name} ({i}, {j})");
                }
            }
        }
        let f = Frame::from_vectors(v).unwrap();
        let [a, b] = f.bounds().unwrap();
        let expect = c["bounds"].as_array().unwrap();
        assert!(
            (a - expect[0].as_f64().unwrap()).abs() < 1e-9 && (b - expect[1].as_f64().unwrap()).abs() < 1e-9,
            "{name}"
        );
        let dual = f.canonical_dual().unwrap();
        let nd = mat(&c["dual"]);
        for i in 0..d {
            for j in 0..n {
                assert!((dual[(i, j)] - nd[(i, j)]).abs() < 1e-9, "{name} dual ({i}, {j})");
            }
        }
        for e in c["erasures"].as_array().unwrap() {
            let k = e["erased"].as_u64().unwrap() as usize;
            let r = f.erasures(k, 1_000_000, 0).unwrap();
            assert!(r.exhaustive && r.sets_checked as u64 == e["sets"].as_u64().unwrap(), "{name} e={k}");
            assert!((r.worst_case_error - e["worst"].as_f64().unwrap()).abs() < 1e-9, "{name} e={k} worst");
            assert!((r.mean_error - e["mean"].as_f64().unwrap()).abs() < 1e-9, "{name} e={k} mean");
            assert_eq!(r.not_a_frame as u64, e["not_a_frame"].as_u64().unwrap(), "{name} e={k}");
        }
    }
}

#[test]
fn one_erasure_of_a_unit_norm_tight_frame_costs_exactly_d_over_n() {
    for (d, n) in [(2usize, 3usize), (3, 4), (3, 7), (4, 5), (5, 11), (8, 9), (8, 24), (13, 40)] {
        let f = Frame::harmonic(d, n).unwrap();
        assert!(f.is_tight(1e-12).unwrap(), "{d}×{n}");
        let [a, b] = f.bounds().unwrap();
        assert!((a - n as f64 / d as f64).abs() < 1e-10 && (b - n as f64 / d as f64).abs() < 1e-10);
        let r = f.erasures(1, usize::MAX, 0).unwrap();
        assert!((r.worst_case_error - d as f64 / n as f64).abs() < 1e-10, "{d}×{n}: {}", r.worst_case_error);
        assert!((r.mean_error - d as f64 / n as f64).abs() < 1e-10);
    }
    // A union of k orthonormal bases is tight with bound k: one erasure costs 1/k = d/N.
    for (d, k) in [(3usize, 2usize), (5, 3)] {
        let f = Frame::union_of_bases(d, k, 9).unwrap();
        let r = f.erasures(1, usize::MAX, 0).unwrap();
        assert!((r.worst_case_error - 1.0 / k as f64).abs() < 1e-10);
    }
}

#[test]
fn tight_frames_minimise_the_worst_one_erasure_error_among_equal_norm_frames() {
    for (d, n) in [(3usize, 7usize), (4, 9), (6, 13)] {
        let tight = Frame::harmonic(d, n).unwrap().erasures(1, usize::MAX, 0).unwrap().worst_case_error;
        for seed in 0..20 {
            let r = Frame::random(d, n, seed).unwrap().erasures(1, usize::MAX, 0).unwrap();
            assert!(r.worst_case_error >= tight - 1e-12, "{d}×{n} seed {seed}: {} < {tight}", r.worst_case_error);
        }
    }
}

#[test]
fn not_a_frame_is_refused_and_counted() {
    assert!(Frame::harmonic(5, 4).unwrap_err().is_input_error());
    assert!(Frame::random(5, 4, 0).unwrap_err().is_input_error());
    // Two copies of the same basis vector in R²: erasing the other one leaves no frame.
    let v = Mat::from_fn(2, 3, |i, j| if j < 2 { f64::from(u8::from(i == 0)) } else { f64::from(u8::from(i == 1)) });
    let f = Frame::from_vectors(v).unwrap();
    let r = f.erasures(1, 100, 0).unwrap();
    assert_eq!(r.not_a_frame, 1);
    let flat = Mat::from_fn(2, 3, |i, _| f64::from(u8::from(i == 0)));
    assert!(Frame::from_vectors(flat).unwrap().canonical_dual().unwrap_err().is_input_error());
    // Sampling when the sets are too many: stated, and the worst case is a lower bound.
    let big = Frame::harmonic(10, 40).unwrap();
    let s = big.erasures(5, 200, 1).unwrap();
    assert!(!s.exhaustive && s.sets_checked == 200);
}

#[test]
fn the_filter_bank_reconstructs_perfectly_and_refuses_gaps() {
    // Signals of length 48; 8 channels; decimation 2, 4 and 8 (redundancy 4, 2, 1); windows of
    // 8 and 16 taps.
    let x: Vec<f64> =
        (0..48).map(|t| (0.3 * t as f64).sin() + 0.5 * (1.7 * t as f64).cos() + 0.01 * t as f64).collect();
    for (d, taps) in [(2usize, 8usize), (4, 8), (8, 8), (4, 16)] {
        let f = Frame::filter_bank(48, 8, d, taps).unwrap();
        assert_eq!(f.len(), 48 / d * 8);
        assert!((f.redundancy() - 8.0 / d as f64).abs() < 1e-12);
        let y = f.reconstruct(&x).unwrap();
        let err = x.iter().zip(&y).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(err < 1e-10, "D = {d}, taps {taps}: {err}");
        // More redundancy, smaller worst one-erasure error.
        let _ = f.erasures(1, 10_000, 0).unwrap();
    }
    let one = |d| Frame::filter_bank(48, 8, d, 8).unwrap().erasures(1, 10_000, 0).unwrap().worst_case_error;
    assert!(one(2) < one(4) && one(4) < one(8));
    // A decimation above the channels, or gaps the window leaves, is refused.
    assert!(Frame::filter_bank(48, 8, 12, 16).unwrap_err().is_input_error());
    assert!(Frame::filter_bank(48, 8, 8, 4).unwrap_err().is_input_error());
    assert!(Frame::filter_bank(50, 8, 4, 8).unwrap_err().is_input_error());
}
