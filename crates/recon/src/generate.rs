//! `recon generate vaegan`: the perception–distortion curve of a VAE-GAN traced by its
//! adversarial weight λ (Blau & Michaeli 2018: the two cannot both be minimised).
//!
//! A table of images (rows; `--shape`, square by default; `--label-col` left out) is min–max
//! scaled to [0, 1], split into four fifths for training and a held-out fifth, and one VAE-GAN is
//! trained per λ with the same seed. On the held-out images:
//! - `distortion`: mean squared error per pixel of the reconstructions;
//! - `perception`: the Fréchet distance between the real and the reconstructed images in a
//!   feature space: the penultimate layer of a small classifier trained on the training images
//!   when `--label-col` gives classes ([`recon_neural::ClassifierFeatures`], the FID recipe in
//!   miniature), otherwise a fixed seeded random convolutional network
//!   ([`recon_neural::RandomConvFeatures`], a label-free proxy); the report says which;
//! - `sliced_wasserstein`: between real and reconstructed images in pixel space (50 seeded
//!   directions);
//! - `hf_energy_ratio`: the reconstructions' share of spectral energy above 1/4 cycle per pixel
//!   over the real images' share (1: as sharp as the data; below 1: blurrier).

use std::path::Path;

use faer::Mat;
use recon_core::data::{load_table, png_bytes, Image, LoadOptions};
use recon_core::report::{LinePlot, Series};
use recon_core::ruler::{frechet_distance, sliced_wasserstein};
use recon_core::{Error, Reconstruct, Result};
use recon_neural::losses::Adversarial;
use recon_neural::{ClassifierFeatures, RandomConvFeatures, Trainable, VaeGan, VaeGanParams};

enum FeatureSpace {
    Classifier(ClassifierFeatures),
    Random(RandomConvFeatures),
}
use serde::Serialize;

/// What to train.
#[derive(Debug, Clone)]
pub struct VaeGanRequest<'a> {
    /// Table of images.
    pub input: &'a Path,
    /// Image shape of each row (default: square).
    pub shape: Option<[usize; 2]>,
    /// A non-pixel column to leave out.
    pub label_col: Option<&'a str>,
    /// Adversarial weights, one model each.
    pub lambdas: Vec<f64>,
    /// Epochs per model.
    pub epochs: usize,
    /// KL weight.
    pub beta: f64,
    /// Adversarial loss.
    pub adversarial: Adversarial,
    /// Seed of the split, the networks and the features.
    pub seed: u64,
}

/// One point of the curve.
#[derive(Debug, Clone, Serialize)]
pub struct CurvePoint {
    pub lambda: f64,
    /// Mean squared error per pixel (pixels in [0, 1]).
    pub distortion: f64,
    /// Fréchet distance in the feature space.
    pub perception: f64,
    pub sliced_wasserstein: f64,
    pub hf_energy_ratio: f64,
}

/// What `recon generate vaegan` reports.
#[derive(Debug, Clone, Serialize)]
pub struct VaeGanReport {
    pub input: String,
    pub shape: [usize; 2],
    pub train_images: usize,
    pub test_images: usize,
    pub epochs: usize,
    pub beta: f64,
    pub adversarial: Adversarial,
    /// The feature space of `perception`.
    pub feature_space: String,
    pub seed: u64,
    pub points: Vec<CurvePoint>,
    /// The trained models, in λ order (not serialised).
    #[serde(skip)]
    pub models: Vec<VaeGan>,
    /// Held-out images and each model's reconstructions of the first 8 (for the grids).
    #[serde(skip)]
    pub grid_real: Mat<f64>,
    #[serde(skip)]
    pub grid_fake: Vec<Mat<f64>>,
    #[serde(skip)]
    pub columns: Vec<String>,
}

/// Share of spectral energy above 1/4 cycle per pixel, over all images (rows of `x`).
fn hf_share(x: &Mat<f64>, shape: [usize; 2]) -> f64 {
    let [h, w] = shape;
    let (mut high, mut total) = (0.0, 0.0);
    for i in 0..x.nrows() {
        let img = Mat::from_fn(h, w, |a, b| x[(i, a * w + b)]);
        let bands = recon_signal::bottleneck::band_energy(&img);
        high += bands[bands.len() - 1];
        total += bands.iter().sum::<f64>();
    }
    if total > 0.0 {
        high / total
    } else {
        0.0
    }
}

/// Trains one VAE-GAN per λ and measures each on the held-out images; `progress` hears about
/// every model and epoch.
pub fn vaegan(req: &VaeGanRequest, progress: &mut dyn FnMut(&str)) -> Result<VaeGanReport> {
    if req.lambdas.is_empty() {
        return Err(Error::invalid("lambdas", "give at least one λ"));
    }
    if let Some(l) = req.lambdas.iter().find(|l| !(**l >= 0.0 && l.is_finite())) {
        return Err(Error::invalid("lambdas", format!("{l} is not a weight ≥ 0")));
    }
    let name = req.input.display().to_string();
    let opts = LoadOptions { label_col: req.label_col.map(str::to_string), ..Default::default() };
    let table = load_table(req.input, &opts)?.dataset;
    let (n, d) = (table.n_rows(), table.n_cols());
    let shape = crate::bottleneck::table_shape(d, req.shape, &name)?;
    if n < 20 {
        return Err(Error::invalid_data(&name, format!("{n} images are too few to train and test on (at least 20)")));
    }
    let (lo, hi) = (0..d)
        .flat_map(|j| (0..n).map(move |i| (i, j)))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (i, j)| (a.min(table.x[(i, j)]), b.max(table.x[(i, j)])));
    if !(hi > lo) {
        return Err(Error::invalid_data(&name, "every pixel has the same value"));
    }
    use rand::{seq::SliceRandom, SeedableRng};
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(req.seed));
    let n_test = (n / 5).max(10);
    let scaled = |rows: &[usize]| Mat::from_fn(rows.len(), d, |i, j| (table.x[(rows[i], j)] - lo) / (hi - lo));
    let (test, train) = (scaled(&order[..n_test]), scaled(&order[n_test..]));
    // The feature space: a classifier's penultimate layer when labels exist, else random features.
    let labels: Option<Vec<usize>> = table.labels.as_ref().map(|l| {
        let mut names: Vec<&String> = l.iter().collect();
        names.sort();
        names.dedup();
        l.iter().map(|v| names.binary_search(&v).unwrap_or(0)).collect()
    });
    let space = match &labels {
        Some(y) if y.iter().max().copied().unwrap_or(0) >= 1 => {
            let train_y: Vec<usize> = order[n_test..].iter().map(|&i| y[i]).collect();
            FeatureSpace::Classifier(ClassifierFeatures::fit(train.as_ref(), &train_y, req.seed)?)
        }
        _ => FeatureSpace::Random(RandomConvFeatures::new(req.seed)),
    };
    let embed = |x: &Mat<f64>| match &space {
        FeatureSpace::Classifier(c) => c.features(x.as_ref()),
        FeatureSpace::Random(r) => r.features(x.as_ref(), shape),
    };
    let real_features = embed(&test)?;
    let real_hf = hf_share(&test, shape);
    let mut points = Vec::new();
    let mut models = Vec::new();
    let mut grid_fake = Vec::new();
    for (k, &lambda) in req.lambdas.iter().enumerate() {
        let params = VaeGanParams { lambda, beta: req.beta, adversarial: req.adversarial, ..Default::default() }
            .epochs(req.epochs)
            .seed(req.seed);
        let total = req.lambdas.len();
        let model = params.fit(train.as_ref(), &mut |e, _, val| {
            progress(&format!(
                "λ = {lambda} ({}/{total}): epoch {e}/{}, held-out distortion {val:.5}",
                k + 1,
                req.epochs
            ));
        })?;
        let mut model = model;
        model.range = [lo, hi];
        let back = model.reconstruct(test.as_ref())?;
        let distortion = recon_core::squared_norm((&test - &back).as_ref()) / (n_test * d) as f64;
        let perception = frechet_distance(real_features.as_ref(), embed(&back)?.as_ref())?;
        let sliced = sliced_wasserstein(test.as_ref(), back.as_ref(), 50, req.seed)?;
        let hf = if real_hf > 0.0 { hf_share(&back, shape) / real_hf } else { f64::NAN };
        points.push(CurvePoint { lambda, distortion, perception, sliced_wasserstein: sliced, hf_energy_ratio: hf });
        grid_fake.push(Mat::from_fn(8.min(n_test), d, |i, j| back[(i, j)]));
        models.push(model);
    }
    Ok(VaeGanReport {
        input: name,
        shape,
        train_images: n - n_test,
        test_images: n_test,
        epochs: req.epochs,
        beta: req.beta,
        adversarial: req.adversarial,
        feature_space: match &space {
            FeatureSpace::Classifier(c) => format!(
                "penultimate layer of a classifier trained on the training images (64 features; held-out accuracy {:.3})",
                c.accuracy
            ),
            FeatureSpace::Random(_) => format!("random convolutional network, seed {} (64 features)", req.seed),
        },
        seed: req.seed,
        points,
        models,
        grid_real: Mat::from_fn(8.min(n_test), d, |i, j| test[(i, j)]),
        grid_fake,
        columns: table.columns.clone(),
    })
}

impl VaeGanReport {
    /// A line per λ.
    pub fn text(&self) -> String {
        let mut s = format!(
            "VAE-GAN on {} ({} × {} images; {} trained, {} held out; {} epochs, β = {}, {:?} adversarial loss)\nperception: Fréchet distance in the features of a {}\n",
            self.input, self.shape[0], self.shape[1], self.train_images, self.test_images, self.epochs, self.beta,
            self.adversarial, self.feature_space
        );
        s += "      λ   distortion (MSE/pixel)   perception (FD)   sliced W2   HF energy ratio\n";
        for p in &self.points {
            s += &format!(
                "{:>7}   {:>22.5}   {:>15.4}   {:>9.4}   {:>15.3}\n",
                p.lambda, p.distortion, p.perception, p.sliced_wasserstein, p.hf_energy_ratio
            );
        }
        s
    }

    /// Perception against distortion, one point per λ in λ order.
    pub fn plot(&self) -> Result<String> {
        let lams: Vec<String> = self.points.iter().map(|p| format!("{}", p.lambda)).collect();
        LinePlot {
            title: "Perception–distortion: VAE-GAN by adversarial weight λ".into(),
            x_label: "distortion: held-out MSE per pixel".into(),
            y_label: "perception: Fréchet distance in feature space".into(),
            series: vec![Series {
                name: format!("λ = {}", lams.join(", ")),
                x: self.points.iter().map(|p| p.distortion).collect(),
                y: self.points.iter().map(|p| p.perception).collect(),
            }],
            markers: vec![],
            log_y: false,
        }
        .to_svg(720, 420)
    }

    /// The image grid of the `k`-th λ as PNG bytes: the held-out images on top, their
    /// reconstructions below, 4× nearest-neighbour on a grey background.
    pub fn grid_png(&self, k: usize) -> Result<Vec<u8>> {
        let [h, w] = self.shape;
        let fake = self.grid_fake.get(k).ok_or_else(|| Error::invalid("grid", format!("no λ number {k}")))?;
        let n = self.grid_real.nrows();
        let scale = 4;
        let (gh, gw) = ((2 * h + 3) * scale, (n * (w + 1) + 1) * scale);
        let mut g = Mat::from_fn(gh, gw, |_, _| 128.0);
        for (row, src) in [&self.grid_real, fake].into_iter().enumerate() {
            for i in 0..n {
                for a in 0..h * scale {
                    for b in 0..w * scale {
                        let v = src[(i, (a / scale) * w + b / scale)];
                        g[((1 + row * (h + 1)) * scale + a, (1 + i * (w + 1)) * scale + b)] = 255.0 * v.clamp(0.0, 1.0);
                    }
                }
            }
        }
        png_bytes(&Image { channels: vec![g] })
    }

    /// Writes `grid_lambda_<λ>.png` ([`VaeGanReport::grid_png`]), one model folder
    /// `model_lambda_<λ>/` per λ, `perception_distortion.svg` and `vaegan.json` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        for (k, p) in self.points.iter().enumerate() {
            recon_core::data::write_atomic(&dir.join(format!("grid_lambda_{}.png", p.lambda)), &self.grid_png(k)?)?;
        }
        for (p, m) in self.points.iter().zip(&self.models) {
            m.save(&dir.join(format!("model_lambda_{}", p.lambda)), &self.columns)?;
        }
        recon_core::data::write_atomic(&dir.join("perception_distortion.svg"), self.plot()?.as_bytes())?;
        recon_core::data::write_json(&dir.join("vaegan.json"), self)
    }
}
