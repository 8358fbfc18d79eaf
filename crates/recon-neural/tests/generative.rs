//! The generative losses and the distribution rulers against PyTorch, scipy and numpy
//! (`tools/make_generative_fixture.py`).

use burn::tensor::{Device, Tensor, TensorData};
use recon_core::ruler::{frechet_distance, sliced_wasserstein_along};
use recon_neural::losses::{kl_rows, l1, Adversarial};

fn fixture() -> serde_json::Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/generative.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn rows(v: &serde_json::Value) -> Vec<Vec<f64>> {
    v.as_array().unwrap().iter().map(|r| r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()).collect()
}

fn tensor(r: &[Vec<f64>]) -> Tensor<2> {
    let data: Vec<f32> = r.iter().flatten().map(|&v| v as f32).collect();
    Tensor::from_data(TensorData::new(data, [r.len(), r[0].len()]), &Device::flex())
}

fn column(v: &serde_json::Value) -> Tensor<2> {
    tensor(&v.as_array().unwrap().iter().map(|x| vec![x.as_f64().unwrap()]).collect::<Vec<_>>())
}

fn value(t: Tensor<1>) -> f64 {
    f64::from(t.into_scalar::<f32>())
}

#[test]
fn losses_match_pytorch() {
    let fx = fixture();
    let l = &fx["losses"];
    let close = |got: f64, name: &str| {
        let want = l[name].as_f64().unwrap();
        assert!((got - want).abs() <= 1e-5 * want.abs().max(1.0), "{name}: {got} vs {want}");
    };
    let (real, fake) = (column(&fx["real"]), column(&fx["fake"]));
    close(value(Adversarial::NonSaturating.discriminator(real.clone(), fake.clone())), "ns_discriminator");
    close(value(Adversarial::NonSaturating.generator(fake.clone())), "ns_generator");
    close(value(Adversarial::LeastSquares.discriminator(real, fake.clone())), "ls_discriminator");
    close(value(Adversarial::LeastSquares.generator(fake)), "ls_generator");
    close(value(l1(tensor(&rows(&fx["x"])), tensor(&rows(&fx["x_hat"])))), "l1");
    let kl: Vec<f32> =
        kl_rows(tensor(&rows(&fx["mu"])), tensor(&rows(&fx["log_var"]))).into_data().try_to_vec::<f32>().unwrap();
    for (g, w) in kl.iter().zip(l["kl_rows"].as_array().unwrap()) {
        assert!((f64::from(*g) - w.as_f64().unwrap()).abs() < 1e-5);
    }
}

#[test]
fn frechet_and_sliced_wasserstein_match_scipy_and_numpy() {
    let fx = fixture();
    let mat = |v: &serde_json::Value| {
        let r = rows(v);
        faer::Mat::from_fn(r.len(), r[0].len(), |i, j| r[i][j])
    };
    let (a, b, dirs) = (mat(&fx["features_a"]), mat(&fx["features_b"]), mat(&fx["directions"]));
    let fd = frechet_distance(a.as_ref(), b.as_ref()).unwrap();
    let want = fx["frechet"].as_f64().unwrap();
    assert!((fd - want).abs() < 1e-9 * want.max(1.0), "{fd} vs {want}");
    // scipy's sqrtm leaves round-off in the self-distance; ours is zero to rounding.
    assert!(frechet_distance(a.as_ref(), a.as_ref()).unwrap() < 1e-9);
    assert!(fx["frechet_self"].as_f64().unwrap().abs() < 1e-6);
    let sw = sliced_wasserstein_along(a.as_ref(), b.as_ref(), dirs.as_ref()).unwrap();
    let want = fx["sliced"].as_f64().unwrap();
    assert!((sw - want).abs() < 1e-12, "{sw} vs {want}");
}
