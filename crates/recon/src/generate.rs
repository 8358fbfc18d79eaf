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

use faer::{Mat, MatRef};
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
pub(crate) fn hf_share(x: &Mat<f64>, shape: [usize; 2]) -> f64 {
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
    let (lo, hi) = pixel_range(&table.x);
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
        let fake = self.grid_fake.get(k).ok_or_else(|| Error::invalid("grid", format!("no λ number {k}")))?;
        image_grid(&[self.grid_real.as_ref(), fake.as_ref()], self.shape)
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

/// A PNG with one strip per matrix in `strips` (grey background, 4× enlarged, pixels in [0, 1]
/// clamped): image i of every strip is row i of its matrix, of `shape`. The strips must have
/// the same rows.
pub fn image_grid(strips: &[MatRef<'_, f64>], [h, w]: [usize; 2]) -> Result<Vec<u8>> {
    let n = strips.first().map_or(0, |m| m.nrows());
    if n == 0 || strips.iter().any(|m| m.nrows() != n || m.ncols() != h * w) {
        return Err(Error::invalid("grid", format!("strips of {n} images of {h}×{w} pixels each")));
    }
    let scale = 4;
    let rows = strips.len();
    let (gh, gw) = ((rows * (h + 1) + 1) * scale, (n * (w + 1) + 1) * scale);
    let mut g = Mat::from_fn(gh, gw, |_, _| 128.0);
    for (row, src) in strips.iter().enumerate() {
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

/// A transformation that makes a second image domain from the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transform {
    /// `1 − x` (pixels in [0, 1]).
    Invert,
    /// Grey-level dilation: each pixel becomes the largest of its 3 × 3 neighbourhood.
    Thicken,
    /// A quarter turn counter-clockwise (square images).
    Rotate,
    /// Each `block` × `block` tile replaced by its mean (a partial tile at the edge by the mean of
    /// what it has). Many-to-one: the detail it removes cannot be rebuilt honestly, so a cycle
    /// model that rebuilds it must have hidden it in its translation.
    Pixelate { block: usize },
}

impl Transform {
    /// Applies the transformation to one row-major image of `shape`.
    pub fn apply(self, img: &[f64], [h, w]: [usize; 2]) -> Vec<f64> {
        match self {
            Transform::Invert => img.iter().map(|v| 1.0 - v).collect(),
            Transform::Thicken => (0..h * w)
                .map(|p| {
                    let (i, j) = (p / w, p % w);
                    let mut m = f64::NEG_INFINITY;
                    for a in i.saturating_sub(1)..(i + 2).min(h) {
                        for b in j.saturating_sub(1)..(j + 2).min(w) {
                            m = m.max(img[a * w + b]);
                        }
                    }
                    m
                })
                .collect(),
            // Output (i, j) takes input (j, w − 1 − i).
            Transform::Rotate => (0..h * w).map(|p| img[(p % w) * w + (w - 1 - p / w)]).collect(),
            Transform::Pixelate { block: bs } => (0..h * w)
                .map(|p| {
                    let (bi, bj) = (p / w / bs * bs, p % w / bs * bs);
                    let (mut s, mut k) = (0.0, 0.0);
                    for a in bi..(bi + bs).min(h) {
                        for b in bj..(bj + bs).min(w) {
                            s += img[a * w + b];
                            k += 1.0;
                        }
                    }
                    s / k
                })
                .collect(),
        }
    }
}

/// What `recon simulate domains` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct DomainsReport {
    pub transform: Transform,
    pub shape: [usize; 2],
    /// Files: x.csv, y.csv (unpaired training domains), y_paired.csv (the translations of the
    /// x.csv rows, for the supervised control `generate cycle --paired`), x_test.csv,
    /// y_test.csv (aligned).
    pub files: Vec<String>,
    pub train_x: usize,
    pub train_y: usize,
    pub test_pairs: usize,
    pub seed: u64,
}

/// Two unpaired image domains from one table of images: the rows (min–max scaled to [0, 1])
/// are shuffled by `seed`; a fifth becomes the aligned test pair (`x_test` and its transform
/// `y_test`), the rest is split in half — the first half is domain X, the second half
/// transformed is domain Y — so no image is in both training domains; `y_paired` is the X half
/// transformed (aligned with `x`, for a supervised control).
pub fn domains(
    input: &Path,
    shape: Option<[usize; 2]>,
    label_col: Option<&str>,
    transform: Transform,
    seed: u64,
    dir: &Path,
) -> Result<DomainsReport> {
    let name = input.display().to_string();
    let table =
        load_table(input, &LoadOptions { label_col: label_col.map(str::to_string), ..Default::default() })?.dataset;
    let (n, d) = (table.n_rows(), table.n_cols());
    let shape = crate::bottleneck::table_shape(d, shape, &name)?;
    if transform == Transform::Rotate && shape[0] != shape[1] {
        return Err(Error::invalid("transform", "a quarter turn needs square images"));
    }
    if let Transform::Pixelate { block } = transform {
        if block < 2 || block > shape[0].max(shape[1]) {
            return Err(Error::invalid(
                "block",
                format!("{block} is not a block side between 2 and the image side {}", shape[0].max(shape[1])),
            ));
        }
    }
    if n < 30 {
        return Err(Error::invalid_data(
            &name,
            format!("{n} images are too few for two domains and a test pair (at least 30)"),
        ));
    }
    let (lo, hi) = pixel_range(&table.x);
    if !(hi > lo) {
        return Err(Error::invalid_data(&name, "every pixel has the same value"));
    }
    use rand::{seq::SliceRandom, SeedableRng};
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
    let n_test = n / 5;
    let half = (n - n_test) / 2;
    let row = |i: usize| -> Vec<f64> { (0..d).map(|j| (table.x[(i, j)] - lo) / (hi - lo)).collect() };
    let cols: Vec<String> = (0..d).map(|p| format!("p{}_{}", p / shape[1], p % shape[1])).collect();
    // All five files or none: written into a staging folder renamed into place at the end.
    let out = recon_core::data::OutDir::create(dir)?;
    let write = |file: &str, rows: Vec<Vec<f64>>| -> Result<String> {
        let m = Mat::from_fn(rows.len(), d, |i, j| rows[i][j]);
        recon_core::data::write_csv(&out.join(file), &cols, m.as_ref())?;
        Ok(dir.join(file).display().to_string())
    };
    let test = &order[..n_test];
    let files = vec![
        write("x.csv", order[n_test..n_test + half].iter().map(|&i| row(i)).collect())?,
        write("y.csv", order[n_test + half..].iter().map(|&i| transform.apply(&row(i), shape)).collect())?,
        write("y_paired.csv", order[n_test..n_test + half].iter().map(|&i| transform.apply(&row(i), shape)).collect())?,
        write("x_test.csv", test.iter().map(|&i| row(i)).collect())?,
        write("y_test.csv", test.iter().map(|&i| transform.apply(&row(i), shape)).collect())?,
    ];
    out.commit()?;
    Ok(DomainsReport { transform, shape, files, train_x: half, train_y: n - n_test - half, test_pairs: n_test, seed })
}

fn pixel_range(x: &Mat<f64>) -> (f64, f64) {
    (0..x.ncols())
        .flat_map(|j| (0..x.nrows()).map(move |i| (i, j)))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (i, j)| (a.min(x[(i, j)]), b.max(x[(i, j)])))
}

/// What to train for `recon generate cycle`.
#[derive(Debug, Clone)]
pub struct CycleRequest<'a> {
    pub x: &'a Path,
    pub y: &'a Path,
    /// Aligned test pair (row i of `y_test` is the true translation of row i of `x_test`).
    pub test: Option<(&'a Path, &'a Path)>,
    pub lambda_cyc: f64,
    pub lambda_id: f64,
    /// Discriminator learning-rate factor.
    pub disc_lr_factor: f64,
    /// Fit G and F by regression on aligned rows of X and Y (the honest control for `stego`).
    pub paired: bool,
    pub epochs: usize,
    pub seed: u64,
}

/// What `recon generate cycle` reports.
#[derive(Debug, Clone, Serialize)]
pub struct CycleReport {
    pub x: String,
    pub y: String,
    pub pixels: usize,
    pub lambda_cyc: f64,
    pub lambda_id: f64,
    pub epochs: usize,
    pub seed: u64,
    /// `‖F(G(x)) − x‖² / ‖x‖²` on the test X images (or the training X images without a test pair).
    pub cycle_error: f64,
    /// `‖G(x_test) − y_test‖² / ‖y_test‖²` (with a test pair).
    pub translation_error: Option<f64>,
    /// `‖x_test − y_test‖² / ‖y_test‖²`: what doing nothing scores (with a test pair).
    pub identity_error: Option<f64>,
    /// Mean adversarial losses of the last epoch: generators, discriminators.
    pub final_adversarial: [f64; 2],
    #[serde(skip)]
    pub model: recon_neural::CycleGan,
    #[serde(skip)]
    pub columns: Vec<String>,
}

fn read_images(path: &Path) -> Result<(Mat<f64>, Vec<String>)> {
    let t = load_table(path, &LoadOptions::default())?.dataset;
    Ok((t.x, t.columns))
}

/// Trains a CycleGAN on the two unpaired domains and measures it.
pub fn cycle(req: &CycleRequest, progress: &mut dyn FnMut(&str)) -> Result<CycleReport> {
    let (x, columns) = read_images(req.x)?;
    let (y, _) = read_images(req.y)?;
    let params = recon_neural::CycleGanParams {
        lambda_cyc: req.lambda_cyc,
        lambda_id: req.lambda_id,
        disc_lr_factor: req.disc_lr_factor,
        paired: req.paired,
        ..Default::default()
    }
    .epochs(req.epochs)
    .seed(req.seed);
    let test = req
        .test
        .map(|(a, b)| -> Result<(Mat<f64>, Mat<f64>)> { Ok((read_images(a)?.0, read_images(b)?.0)) })
        .transpose()?;
    if let Some((xt, yt)) = &test {
        if xt.nrows() != yt.nrows() || xt.ncols() != x.ncols() || yt.ncols() != x.ncols() {
            return Err(Error::invalid(
                "test pair",
                format!(
                    "x-test is {} × {} and y-test {} × {}: an aligned pair has the same rows, and the domains' {} pixels",
                    xt.nrows(), xt.ncols(), yt.nrows(), yt.ncols(), x.ncols()
                ),
            ));
        }
    }
    let model = params.fit(x.as_ref(), y.as_ref(), &mut |e, _, val| {
        progress(&format!("epoch {e}/{}: held-out cycle L1 {val:.4}", req.epochs));
    })?;
    let rel =
        |a: &Mat<f64>, b: &Mat<f64>| recon_core::squared_norm((a - b).as_ref()) / recon_core::squared_norm(b.as_ref());
    let (cycle_error, translation_error, identity_error) = match &test {
        Some((xt, yt)) => {
            let back = model.reconstruct(xt.as_ref())?;
            (rel(&back, xt), Some(rel(&model.translate(xt.as_ref())?, yt)), Some(rel(xt, yt)))
        }
        None => (rel(&model.reconstruct(x.as_ref())?, &x), None, None),
    };
    Ok(CycleReport {
        x: req.x.display().to_string(),
        y: req.y.display().to_string(),
        pixels: x.ncols(),
        lambda_cyc: req.lambda_cyc,
        lambda_id: req.lambda_id,
        epochs: req.epochs,
        seed: req.seed,
        cycle_error,
        translation_error,
        identity_error,
        final_adversarial: model.final_adversarial,
        model,
        columns,
    })
}

impl CycleReport {
    /// A few lines.
    pub fn text(&self) -> String {
        let mut s = format!(
            "CycleGAN {} ↔ {} ({} pixels; λ_cyc = {}, λ_id = {}, {} epochs)\n",
            self.x, self.y, self.pixels, self.lambda_cyc, self.lambda_id, self.epochs
        );
        s += &format!("cycle error ‖F(G(x)) − x‖²/‖x‖²: {:.5}\n", self.cycle_error);
        if let (Some(t), Some(i)) = (self.translation_error, self.identity_error) {
            s += &format!(
                "translation error ‖G(x) − y‖²/‖y‖² on the aligned test pair: {t:.5} (doing nothing: {i:.5})\n"
            );
        }
        s += &format!(
            "last epoch's adversarial losses: generators {:.4}, discriminators {:.4}\n",
            self.final_adversarial[0], self.final_adversarial[1]
        );
        s
    }

    /// Writes the model folder `model/` and `cycle.json` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        self.model.save(&dir.join("model"), &self.columns)?;
        recon_core::data::write_json(&dir.join("cycle.json"), self)
    }
}
