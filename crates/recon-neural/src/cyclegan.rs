//! CycleGAN (Zhu et al. 2017): two generators G: X → Y and F: Y → X, two discriminators, and the
//! cycle-consistency loss that holds them together — two autoencoders whose codes are images.
//!
//! MLPs on flattened images (pixels in [0, 1]): generators `d → hidden → hidden → d` with a
//! sigmoid output, discriminators `d → hidden → 1`, ReLU inside. Per minibatch of X rows (and as
//! many Y rows drawn at random — the domains are unpaired), the generators step on the
//! least-squares generator losses of `D_Y(G(x))` and `D_X(F(y))` plus
//! `λ_cyc (‖F(G(x)) − x‖₁ + ‖G(F(y)) − y‖₁)` plus `λ_id (‖G(y) − y‖₁ + ‖F(x) − x‖₁)` (means),
//! then the discriminators step on real images against the detached translations, with the
//! least-squares loss. A fixed epoch budget; the held-out X rows' cycle error is logged per
//! epoch.

use burn::module::Module;
use burn::tensor::{activation::sigmoid, Tensor};
use faer::{Mat, MatRef};
use rand::{rngs::StdRng, Rng, SeedableRng};
use recon_core::model::{save_model, ModelFile, ModelKind};
use recon_core::Reconstruct;
use serde::{Deserialize, Serialize};

use crate::error::{invalid, Result};
use crate::losses::{l1, Adversarial};
use crate::mlp::{check_pixels, in_unit_interval, row_major_f32, squared_error_block, Activation, Mlp, Net};
use crate::train::{train, trainable, Optimised, TrainConfig, Trainee, TrainingLog};

/// Settings of a CycleGAN.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleGanParams {
    /// Hidden width of all four networks.
    pub hidden: usize,
    /// Weight of the cycle loss.
    pub lambda_cyc: f64,
    /// Weight of the identity loss (0: none).
    pub lambda_id: f64,
    /// Discriminator learning rate as a multiple of the generators' (below 1: a weaker
    /// discriminator).
    pub disc_lr_factor: f64,
    /// Supervised control: the rows of X and Y are aligned pairs and G, F are fitted by L1
    /// regression (G(x) → y, F(y) → x) with no cycle or adversarial loss. Such a model has no
    /// reason to hide anything in its translations: the honest reference for the stego probe.
    pub paired: bool,
    /// Training settings (epochs are a fixed budget).
    pub train: TrainConfig,
}

trainable!(CycleGanParams);

impl Default for CycleGanParams {
    fn default() -> Self {
        CycleGanParams {
            hidden: 128,
            lambda_cyc: 10.0,
            lambda_id: 0.0,
            disc_lr_factor: 1.0,
            paired: false,
            train: TrainConfig::new().with_epochs(100).with_batch_size(64).with_learning_rate(1e-3),
        }
    }
}

/// A trained CycleGAN.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleGan {
    g: Mlp,
    f: Mlp,
    dx: Mlp,
    dy: Mlp,
    /// Cycle weight it was trained with.
    pub lambda_cyc: f64,
    /// Identity weight.
    pub lambda_id: f64,
    /// Fitted on aligned pairs by regression ([`CycleGanParams::paired`]).
    pub paired: bool,
    /// Epochs trained in all.
    pub epochs: usize,
    /// Mean adversarial losses of the last epoch: generators, discriminators.
    pub final_adversarial: [f64; 2],
    /// The run's log (held-out cycle L1 as the validation loss).
    pub log: TrainingLog,
    /// Seed.
    pub seed: u64,
}

#[derive(Module, Debug)]
struct Gens {
    g: Net,
    f: Net,
}

#[derive(Module, Debug)]
struct Discs {
    dx: Net,
    dy: Net,
}

fn gen(net: &Net, x: Tensor<2>) -> Tensor<2> {
    sigmoid(net.forward(x, Activation::Relu, None))
}

struct CycleTrainee<'a> {
    gens: Optimised<Gens>,
    discs: Optimised<Discs>,
    x: &'a [f32],
    y: &'a [f32],
    n_y: usize,
    d: usize,
    lambda_cyc: f32,
    lambda_id: f32,
    paired: bool,
    val: Mat<f64>,
    adv_sum: [f64; 2],
    batches: usize,
    current: CycleGan,
}

impl Trainee for CycleTrainee<'_> {
    type Snapshot = CycleGan;

    fn step(&mut self, batch: &[usize], _epoch: usize, rng: &mut StdRng) -> Result<f64> {
        let d = self.d;
        let x = self.gens.rows(self.x, d, batch);
        if self.paired {
            let y = self.gens.rows(self.y, d, batch);
            return Ok(self
                .gens
                .descend(|net| l1(gen(&net.g, x.clone()), y.clone()) + l1(gen(&net.f, y.clone()), x.clone())));
        }
        let yb: Vec<usize> = (0..batch.len()).map(|_| rng.random_range(0..self.n_y)).collect();
        let y = self.gens.rows(self.y, d, &yb);
        let ls = Adversarial::LeastSquares;
        let (lc, li) = (self.lambda_cyc, self.lambda_id);
        let discs = self.discs.module();
        let mut adv_g = 0.0f64;
        let total = self.gens.descend(|net| {
            let (fy, fx) = (gen(&net.g, x.clone()), gen(&net.f, y.clone()));
            let adv = ls.generator(discs.dy.forward(fy.clone(), Activation::Relu, None))
                + ls.generator(discs.dx.forward(fx.clone(), Activation::Relu, None));
            adv_g = f64::from(adv.clone().into_scalar::<f32>());
            let cyc = l1(gen(&net.f, fy), x.clone()) + l1(gen(&net.g, fx), y.clone());
            let loss = adv + cyc.mul_scalar(lc);
            if li > 0.0 {
                loss + (l1(gen(&net.g, y.clone()), y.clone()) + l1(gen(&net.f, x.clone()), x.clone())).mul_scalar(li)
            } else {
                loss
            }
        });
        if !total.is_finite() {
            return Ok(total);
        }
        let gens = self.gens.module();
        let (fy, fx) = (gen(&gens.g, x.clone()).detach(), gen(&gens.f, y.clone()).detach());
        let adv_d = self.discs.descend(|net| {
            ls.discriminator(net.dy.forward(y, Activation::Relu, None), net.dy.forward(fy, Activation::Relu, None))
                + ls.discriminator(
                    net.dx.forward(x, Activation::Relu, None),
                    net.dx.forward(fx, Activation::Relu, None),
                )
        });
        self.adv_sum[0] += adv_g;
        self.adv_sum[1] += adv_d;
        self.batches += 1;
        Ok(total)
    }

    fn validate(&mut self) -> Result<f64> {
        let gens = self.gens.module();
        let discs = self.discs.module();
        self.current.g = gens.g.to_mlp(Activation::Relu);
        self.current.f = gens.f.to_mlp(Activation::Relu);
        self.current.dx = discs.dx.to_mlp(Activation::Relu);
        self.current.dy = discs.dy.to_mlp(Activation::Relu);
        let b = self.batches.max(1) as f64;
        self.current.final_adversarial = [self.adv_sum[0] / b, self.adv_sum[1] / b];
        self.adv_sum = [0.0; 2];
        self.batches = 0;
        let back = self.current.reconstruct(self.val.as_ref())?;
        let r = &self.val - &back;
        let (n, d) = (r.nrows(), r.ncols());
        Ok((0..n).flat_map(|i| (0..d).map(move |j| (i, j))).map(|(i, j)| r[(i, j)].abs()).sum::<f64>() / (n * d) as f64)
    }

    fn snapshot(&mut self) -> CycleGan {
        self.current.clone()
    }

    fn restart(&mut self, s: &CycleGan, factor: f64) {
        let device = self.gens.device.clone();
        self.gens.restart(Gens { g: Net::from_mlp(&s.g, &device), f: Net::from_mlp(&s.f, &device) }, factor);
        self.discs.restart(Discs { dx: Net::from_mlp(&s.dx, &device), dy: Net::from_mlp(&s.dy, &device) }, factor);
    }
}

impl CycleGanParams {
    fn check_inputs(&self, x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> Result<()> {
        self.train.check()?;
        let d = x.ncols();
        if y.ncols() != d {
            return Err(invalid(
                "domains",
                format!("X images have {d} pixels and Y images {}: they must match", y.ncols()),
            ));
        }
        if x.nrows() < 10 || y.nrows() < 10 || d == 0 {
            return Err(invalid("domains", "each domain needs at least 10 images"));
        }
        if self.paired && x.nrows() != y.nrows() {
            return Err(invalid(
                "domains",
                format!("paired training needs aligned rows: X has {} images and Y {}", x.nrows(), y.nrows()),
            ));
        }
        for (name, v) in [("lambda-cyc", self.lambda_cyc), ("lambda-id", self.lambda_id)] {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(invalid(name, format!("{v} is not a weight ≥ 0")));
            }
        }
        if !(self.disc_lr_factor > 0.0 && self.disc_lr_factor.is_finite()) || self.hidden == 0 {
            return Err(invalid("discriminator", "its learning-rate factor and the hidden width must be positive"));
        }
        // The generators end in a sigmoid: pixels must lie in [0, 1] (NaN fails the test too).
        if !in_unit_interval(x) || !in_unit_interval(y) {
            return Err(invalid(
                "domains",
                "pixels must lie in [0, 1] (the generators end in a sigmoid): min–max scale both domains with one range, as `recon simulate domains` does",
            ));
        }
        Ok(())
    }

    /// Trains on unpaired images: the rows of `x` (domain X) and of `y` (domain Y), same width.
    pub fn fit(
        &self,
        x: MatRef<'_, f64>,
        y: MatRef<'_, f64>,
        on_epoch: &mut dyn FnMut(usize, f64, f64),
    ) -> Result<CycleGan> {
        self.check_inputs(x, y)?;
        let d = x.ncols();
        let mut rng = StdRng::seed_from_u64(self.train.seed);
        let h = self.hidden;
        let start = CycleGan {
            g: Mlp::init(&[d, h, h, d], Activation::Relu, &mut rng),
            f: Mlp::init(&[d, h, h, d], Activation::Relu, &mut rng),
            dx: Mlp::init(&[d, h, 1], Activation::Relu, &mut rng),
            dy: Mlp::init(&[d, h, 1], Activation::Relu, &mut rng),
            lambda_cyc: self.lambda_cyc,
            lambda_id: self.lambda_id,
            paired: self.paired,
            epochs: 0,
            final_adversarial: [0.0; 2],
            log: TrainingLog::default(),
            seed: self.train.seed,
        };
        self.run(start, x, y, &mut rng, on_epoch)
    }

    /// Trains `model` further for this configuration's epochs (its weights λ_cyc, λ_id and its
    /// pairing are kept; the optimiser state starts afresh).
    pub fn resume(
        &self,
        model: &CycleGan,
        x: MatRef<'_, f64>,
        y: MatRef<'_, f64>,
        on_epoch: &mut dyn FnMut(usize, f64, f64),
    ) -> Result<CycleGan> {
        let kept = CycleGanParams {
            lambda_cyc: model.lambda_cyc,
            lambda_id: model.lambda_id,
            paired: model.paired,
            hidden: model.g.layers[0].d_out,
            ..self.clone()
        };
        kept.check_inputs(x, y)?;
        check_pixels(x.ncols(), model.n_pixels())?;
        let mut rng = StdRng::seed_from_u64(self.train.seed ^ (model.epochs as u64).wrapping_mul(0x9e37_79b9));
        kept.run(model.clone(), x, y, &mut rng, on_epoch)
    }

    fn run(
        &self,
        start: CycleGan,
        x: MatRef<'_, f64>,
        y: MatRef<'_, f64>,
        rng: &mut StdRng,
        on_epoch: &mut dyn FnMut(usize, f64, f64),
    ) -> Result<CycleGan> {
        let d = x.ncols();
        let (val, train_rows) = self.train.split(x.nrows(), 1, rng);
        let (fx, fy) = (row_major_f32(x), row_major_f32(y));
        let device = self.train.backend.autodiff_device();
        let lr = self.train.learning_rate;
        let mut trainee = CycleTrainee {
            gens: Optimised::adam(
                Gens { g: Net::from_mlp(&start.g, &device), f: Net::from_mlp(&start.f, &device) },
                lr,
                device.clone(),
            ),
            discs: Optimised::adam(
                Discs { dx: Net::from_mlp(&start.dx, &device), dy: Net::from_mlp(&start.dy, &device) },
                lr * self.disc_lr_factor,
                device,
            ),
            x: &fx,
            y: &fy,
            n_y: y.nrows(),
            d,
            lambda_cyc: self.lambda_cyc as f32,
            lambda_id: self.lambda_id as f32,
            paired: self.paired,
            val: Mat::from_fn(val.len(), d, |i, j| x[(val[i], j)]),
            adv_sum: [0.0; 2],
            batches: 0,
            current: start,
        };
        let epochs = self.train.epochs;
        let (mut model, log) = train(&self.train, &mut trainee, train_rows, val.len(), epochs, rng, on_epoch)?;
        model.epochs += log.train_loss.len();
        model.log = log;
        Ok(model)
    }
}

impl CycleGan {
    /// Pixels per image.
    pub fn n_pixels(&self) -> usize {
        self.g.layers.first().map_or(0, |l| l.d_in)
    }

    fn check(&self, d: usize) -> recon_core::Result<()> {
        check_pixels(d, self.n_pixels())
    }

    /// G: X → Y on the rows of `x`.
    pub fn translate(&self, x: MatRef<'_, f64>) -> recon_core::Result<Mat<f64>> {
        self.check(x.ncols())?;
        Ok(self.g.forward_sigmoid(x))
    }

    /// F: Y → X on the rows of `y`.
    pub fn translate_back(&self, y: MatRef<'_, f64>) -> recon_core::Result<Mat<f64>> {
        self.check(y.ncols())?;
        Ok(self.f.forward_sigmoid(y))
    }

    /// Writes the model folder.
    pub fn save(&self, dir: &std::path::Path, columns: &[String]) -> Result<()> {
        if columns.len() != self.n_pixels() {
            return Err(invalid("columns", format!("{} names for {} pixels", columns.len(), self.n_pixels())));
        }
        let header = Header {
            kind: ModelKind::CycleGan.as_str().into(),
            version: ModelKind::CycleGan.version(),
            columns: columns.to_vec(),
            hidden: self.g.layers[0].d_out,
            lambda_cyc: self.lambda_cyc,
            lambda_id: self.lambda_id,
            paired: self.paired,
            epochs: self.epochs,
            final_adversarial: self.final_adversarial,
            seed: self.seed,
            training: self.log.clone(),
        };
        let mut arrays = Vec::new();
        for (name, m) in [("g", &self.g), ("f", &self.f), ("dx", &self.dx), ("dy", &self.dy)] {
            m.push_arrays(name, &mut arrays);
        }
        save_model(dir, &header, &arrays)
    }

    /// Reads a model folder written by [`CycleGan::save`].
    pub fn from_file(file: &mut ModelFile) -> Result<(CycleGan, Vec<String>)> {
        file.expect_kind(ModelKind::CycleGan)?;
        let h: Header = file.fields()?;
        let d = h.columns.len();
        if d == 0 || h.hidden == 0 {
            return Err(file.bad("inconsistent header"));
        }
        let g = Mlp::take_arrays(file, "g", &[d, h.hidden, h.hidden, d], Activation::Relu)?;
        let f = Mlp::take_arrays(file, "f", &[d, h.hidden, h.hidden, d], Activation::Relu)?;
        let dx = Mlp::take_arrays(file, "dx", &[d, h.hidden, 1], Activation::Relu)?;
        let dy = Mlp::take_arrays(file, "dy", &[d, h.hidden, 1], Activation::Relu)?;
        file.finish()?;
        let model = CycleGan {
            g,
            f,
            dx,
            dy,
            lambda_cyc: h.lambda_cyc,
            lambda_id: h.lambda_id,
            paired: h.paired,
            epochs: h.epochs,
            final_adversarial: h.final_adversarial,
            log: h.training,
            seed: h.seed,
        };
        Ok((model, h.columns))
    }
}

#[derive(Serialize, Deserialize)]
struct Header {
    kind: String,
    version: u32,
    columns: Vec<String>,
    hidden: usize,
    lambda_cyc: f64,
    lambda_id: f64,
    #[serde(default)]
    paired: bool,
    epochs: usize,
    final_adversarial: [f64; 2],
    seed: u64,
    training: TrainingLog,
}

/// The X → Y → X cycle as a reconstructor: the code of an X image is its translation G(x), an
/// image of Y; decoding is F.
impl Reconstruct for CycleGan {
    type Error = recon_core::Error;

    fn encode(&self, x: MatRef<'_, f64>) -> recon_core::Result<Mat<f64>> {
        self.translate(x)
    }

    fn decode(&self, z: MatRef<'_, f64>) -> recon_core::Result<Mat<f64>> {
        self.translate_back(z)
    }
}

/// Per-row squared error of the X → Y → X cycle.
impl recon_core::RowScorer for CycleGan {
    const NAME: &'static str = "cyclegan";
    const MEASURE: recon_core::ErrorMeasure = recon_core::ErrorMeasure::SquaredError;

    fn score_rows(&self, x: MatRef<'_, f64>, want_residuals: bool) -> recon_core::Result<recon_core::ScoreBlock> {
        Ok(squared_error_block(x, &self.reconstruct(x)?, want_residuals))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mlp::blobs;
    use crate::Trainable;

    #[test]
    fn learns_an_unpaired_inversion_and_is_reproducible() {
        let mut rng = StdRng::seed_from_u64(2);
        let blob = |rng: &mut StdRng| {
            let (ci, cj): (f64, f64) = (rng.random_range(1.5..6.5), rng.random_range(1.5..6.5));
            (0..64).map(move |p| (-((((p / 8) as f64) - ci).powi(2) + (((p % 8) as f64) - cj).powi(2)) / 3.0).exp())
        };
        let x: Vec<f64> = (0..300).flat_map(|_| blob(&mut rng).collect::<Vec<_>>()).collect();
        let y: Vec<f64> = (0..300).flat_map(|_| blob(&mut rng).map(|v| 1.0 - v).collect::<Vec<_>>()).collect();
        let (xm, ym) = (Mat::from_fn(300, 64, |i, j| x[i * 64 + j]), Mat::from_fn(300, 64, |i, j| y[i * 64 + j]));
        let p = CycleGanParams::default().epochs(40).seed(1);
        let m = p.fit(xm.as_ref(), ym.as_ref(), &mut |_, _, _| {}).unwrap();
        assert_eq!(m, p.fit(xm.as_ref(), ym.as_ref(), &mut |_, _, _| {}).unwrap());
        let test: Vec<f64> = (0..50).flat_map(|_| blob(&mut rng).collect::<Vec<_>>()).collect();
        let xt = Mat::from_fn(50, 64, |i, j| test[i * 64 + j]);
        let yt = Mat::from_fn(50, 64, |i, j| 1.0 - xt[(i, j)]);
        let rel = |a: &Mat<f64>| recon_core::squared_norm((a - &yt).as_ref()) / recon_core::squared_norm(yt.as_ref());
        let translation = rel(&m.translate(xt.as_ref()).unwrap());
        let identity = rel(&xt);
        assert!(translation < 0.2 * identity, "translation {translation} vs identity {identity}");
        let dir = tempfile::tempdir().unwrap();
        let cols: Vec<String> = (0..64).map(|j| format!("p{j}")).collect();
        m.save(dir.path(), &cols).unwrap();
        let (back, _) = CycleGan::from_file(&mut ModelFile::open(dir.path()).unwrap()).unwrap();
        assert_eq!(back, m);
        assert!(CycleGanParams { lambda_cyc: -1.0, ..Default::default() }
            .fit(xm.as_ref(), ym.as_ref(), &mut |_, _, _| {})
            .is_err());
        assert!(p.fit(xm.as_ref(), Mat::<f64>::zeros(20, 10).as_ref(), &mut |_, _, _| {}).is_err());
    }

    #[test]
    fn same_seed_same_model_saves_loads_and_resumes() {
        let x = blobs(120, 1);
        let y = Mat::from_fn(120, 64, |i, j| 1.0 - blobs(120, 2)[(i, j)]);
        let p = CycleGanParams::default().epochs(3).seed(4);
        let a = p.fit(x.as_ref(), y.as_ref(), &mut |_, _, _| {}).unwrap();
        let b = p.fit(x.as_ref(), y.as_ref(), &mut |_, _, _| {}).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.epochs, 3);
        let other = p.clone().seed(5).fit(x.as_ref(), y.as_ref(), &mut |_, _, _| {}).unwrap();
        assert_ne!(a, other);
        let dir = tempfile::tempdir().unwrap();
        let cols: Vec<String> = (0..64).map(|j| format!("p{j}")).collect();
        a.save(dir.path(), &cols).unwrap();
        let (back, c) = CycleGan::from_file(&mut ModelFile::open(dir.path()).unwrap()).unwrap();
        assert_eq!((back.clone(), c), (a.clone(), cols));
        let more = p.resume(&back, x.as_ref(), y.as_ref(), &mut |_, _, _| {}).unwrap();
        assert_eq!(more.epochs, 6);
        assert_ne!(more, a);
        // Resuming is deterministic too, and keeps the model's own weights.
        assert_eq!(more, p.resume(&back, x.as_ref(), y.as_ref(), &mut |_, _, _| {}).unwrap());
        let wide = Mat::from_fn(120, 16, |_, _| 0.5);
        assert!(p.resume(&back, wide.as_ref(), wide.as_ref(), &mut |_, _, _| {}).is_err());
        // The paired control needs aligned rows.
        let short = y.subrows(0, 60).to_owned();
        let paired = CycleGanParams { paired: true, ..Default::default() }.epochs(1);
        assert!(paired.fit(x.as_ref(), short.as_ref(), &mut |_, _, _| {}).unwrap_err().to_string().contains("aligned"));
    }
}
