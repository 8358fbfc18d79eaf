//! Down/up cycles against PyTorch and numpy (`tools/make_bottleneck_fixture.py`), and the Haar
//! transform with its details lossless.

use faer::Mat;
use recon_signal::{bottleneck, Down, Up};

#[test]
fn cycles_match_pytorch_and_numpy() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/bottleneck.json")).unwrap();
    let fx: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rows = fx["image"].as_array().unwrap();
    let x = Mat::from_fn(rows.len(), rows[0].as_array().unwrap().len(), |i, j| rows[i][j].as_f64().unwrap());
    for c in fx["cases"].as_array().unwrap() {
        let op = match c["op"].as_str().unwrap() {
            "avgpool" => Down::Avgpool,
            "stride" => Down::Stride,
            "maxpool" => Down::Maxpool,
            "haar" => Down::Haar,
            _ => Down::HaarDetails,
        };
        let up = if c["up"].as_str() == Some("bilinear") { Up::Bilinear } else { Up::Nearest };
        let levels = c["levels"].as_u64().unwrap() as usize;
        let b = bottleneck(&x, op, up, levels).unwrap();
        let last = b.levels.last().unwrap();
        let want = c["relative_error"].as_f64().unwrap();
        let tol = if op == Down::HaarDetails { 1e-12 } else { 1e-9 * want.max(1e-12) };
        assert!((last.relative_error - want).abs() <= tol, "{c}: {}", last.relative_error);
        for (g, e) in last.band_loss.iter().zip(c["band_loss"].as_array().unwrap()) {
            let e = e.as_f64().unwrap();
            assert!((g - e).abs() <= 1e-9 * e.abs().max(1e-3), "{}: band {g} vs {e}", c["op"]);
        }
    }
}

#[test]
fn haar_with_details_is_lossless_and_more_levels_lose_more() {
    let x = Mat::from_fn(64, 48, |i, j| ((i * 7 + j * 13) % 17) as f64 + (i as f64 / 9.0).sin() * 30.0);
    let b = bottleneck(&x, Down::HaarDetails, Up::Nearest, 4).unwrap();
    assert!(b.levels.iter().all(|l| l.relative_error < 1e-24), "{:?}", b.levels);
    for op in [Down::Avgpool, Down::Stride, Down::Maxpool, Down::Haar] {
        let b = bottleneck(&x, op, Up::Bilinear, 4).unwrap();
        let e: Vec<f64> = b.levels.iter().map(|l| l.relative_error).collect();
        assert!(e.windows(2).all(|w| w[1] >= w[0] - 1e-12), "{op:?}: {e:?}");
        // High frequencies go first: the top band loses more than the lowest.
        let l1 = &b.levels[0].band_loss;
        assert!(l1[l1.len() - 1] > l1[0], "{op:?}: {l1:?}");
    }
    // Too small for the levels, zero levels, all-zero images: refused.
    assert!(bottleneck(&Mat::zeros(8, 8), Down::Avgpool, Up::Nearest, 1).unwrap_err().is_input_error());
    assert!(bottleneck(&x, Down::Avgpool, Up::Nearest, 0).unwrap_err().is_input_error());
    assert!(bottleneck(&Mat::from_fn(4, 4, |_, _| 1.0), Down::Avgpool, Up::Nearest, 3).unwrap_err().is_input_error());
}
