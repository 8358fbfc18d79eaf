//! CP-ALS against TensorLy: from the same initial factors, the relative error after every sweep
//! matches TensorLy's `parafac` (normalize_factors=False, no line search) within 1e-6 relative.
//! Fixture: tools/make_tensor_fixtures.py → tests/fixtures/tensorly_cp.json.

use std::path::Path;

use faer::Mat;
use recon_core::data::{load_tensor, DenseTensor, Tensor};
use recon_tensor::{CpParams, Kruskal};
use serde_json::Value;

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

#[test]
fn cp_als_follows_tensorly_error_trajectories() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fx: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("tests/fixtures/tensorly_cp.json")).unwrap()).unwrap();
    for case in fx["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let shape: Vec<usize> =
            case["shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
        let rank = case["rank"].as_u64().unwrap() as usize;
        let t = if case["data"].is_null() {
            load_tensor(&root.join("../../data/COVID19_data.npy")).unwrap()
        } else {
            Tensor::Dense(DenseTensor { shape: shape.clone(), data: floats(&case["data"]) })
        };
        assert_eq!(t.shape(), shape.as_slice());
        let factors = case["init"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let rows: Vec<Vec<f64>> = f.as_array().unwrap().iter().map(floats).collect();
                Mat::from_fn(rows.len(), rank, |i, r| rows[i][r])
            })
            .collect();
        let init = Kruskal { weights: vec![1.0; rank], factors };
        let sweeps = case["sweeps"].as_u64().unwrap() as usize;
        let fit = CpParams::new(rank).max_iter(sweeps).tol(0.0).fit_from(&t, init).unwrap();
        let want = floats(&case["errors"]);
        assert_eq!(fit.errors.len(), want.len(), "{name}: sweeps");
        for (i, (a, b)) in fit.errors.iter().zip(&want).enumerate() {
            assert!((a - b).abs() <= 1e-6 * b, "{name} sweep {i}: {a} vs TensorLy {b}");
        }
    }
}

#[test]
fn hooi_follows_tensorly_tucker() {
    use recon_tensor::TuckerParams;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fx: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("tests/fixtures/tensorly_cp.json")).unwrap()).unwrap();
    for case in fx["tucker"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let shape: Vec<usize> =
            case["shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
        let ranks: Vec<usize> =
            case["ranks"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
        let t = if case["data"].is_null() {
            load_tensor(&root.join("../../data/COVID19_data.npy")).unwrap()
        } else {
            Tensor::Dense(DenseTensor { shape, data: floats(&case["data"]) })
        };
        let want = floats(&case["errors"]);
        let fit = TuckerParams::new(ranks).max_iter(want.len()).tol(0.0).fit(&t).unwrap();
        // errors[0] is the HOSVD start; TensorLy reports the errors after each HOOI sweep.
        assert_eq!(fit.errors.len(), want.len() + 1, "{name}");
        for (i, (a, b)) in fit.errors[1..].iter().zip(&want).enumerate() {
            assert!((a - b).abs() <= 1e-6 * b, "{name} sweep {i}: {a} vs TensorLy {b}");
        }
    }
}
