//! VAE-GAN (Larsen et al. 2016): a variational autoencoder whose reconstructions are also judged
//! by a discriminator, trained on `reconstruction + β·KL + λ·adversarial`.
//!
//! The networks are MLPs on flattened images (any shape; pixels scaled to [0, 1] by the caller):
//! encoder `d → hidden → 2·latent` (mean and log-variance), decoder `latent → hidden → d` with a
//! sigmoid output, discriminator `d → hidden → 1` (a logit), ReLU inside. Per minibatch, two
//! optimisers in turn (as burn's `examples/wgan`): the discriminator steps on real images
//! against the *detached* reconstructions, then the VAE steps on
//! `Σ_pixels (x − x̂)² + β·KL(q(z|x) ‖ N(0, I)) + λ·generator loss(D(x̂))` (batch means), with the
//! adversarial loss of [`Adversarial`] (non-saturating cross-entropy by default). At λ = 0 the
//! discriminator is not trained and the model is a plain VAE.
//!
//! A GAN's losses do not settle, so there is no early stopping: the model is the one after the
//! last epoch (the held-out distortion is logged per epoch). Weights come from the seed (the
//! same seed gives the same model); a saved model resumes training from its weights (with fresh
//! Adam moments).

use burn::module::Module;
use burn::tensor::{activation::sigmoid, Tensor};
use faer::{Mat, MatRef};
use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use recon_core::model::{save_model, ModelFile, ModelKind};
use recon_core::Reconstruct;
use serde::{Deserialize, Serialize};

use crate::error::{invalid, Result};
use crate::losses::{kl_rows, Adversarial};
use crate::mlp::{check_pixels, f32_mat, in_unit_interval, row_major_f32, squared_error_block, Activation, Mlp, Net};
use crate::train::{train, trainable, Optimised, TrainConfig, Trainee, TrainingLog};

/// Settings of a VAE-GAN.
#[derive(Debug, Clone, PartialEq)]
pub struct VaeGanParams {
    /// Width of the hidden layer of all three networks.
    pub hidden: usize,
    /// Latent dimension.
    pub latent: usize,
    /// Weight of the KL term.
    pub beta: f64,
    /// Weight of the adversarial term (0: a plain VAE).
    pub lambda: f64,
    /// Which adversarial loss.
    pub adversarial: Adversarial,
    /// Training settings (epochs are a fixed budget here).
    pub train: TrainConfig,
}

trainable!(VaeGanParams);

impl Default for VaeGanParams {
    fn default() -> Self {
        VaeGanParams {
            hidden: 128,
            latent: 8,
            beta: 0.1,
            lambda: 0.0,
            adversarial: Adversarial::LeastSquares,
            train: TrainConfig::new().with_epochs(150).with_batch_size(64).with_learning_rate(1e-3),
        }
    }
}

/// A trained VAE-GAN.
#[derive(Debug, Clone, PartialEq)]
pub struct VaeGan {
    encoder: Mlp,
    decoder: Mlp,
    discriminator: Mlp,
    /// β, λ and the adversarial loss it was trained with.
    pub beta: f64,
    /// Adversarial weight.
    pub lambda: f64,
    /// Adversarial loss.
    pub adversarial: Adversarial,
    /// Latent dimension.
    pub latent: usize,
    /// Epochs trained in all (across resumed runs).
    pub epochs: usize,
    /// The last run's log (held-out distortion per epoch as the validation loss).
    pub log: TrainingLog,
    /// Seed of the first run.
    pub seed: u64,
    /// The raw pixel range `[lo, hi]` mapped to [0, 1] before the networks (the scorer applies
    /// it to raw rows; [`Reconstruct`] works on scaled pixels).
    pub range: [f64; 2],
}

#[derive(Module, Debug)]
struct Vae2 {
    enc: Net,
    dec: Net,
}

impl Vae2 {
    /// Reconstructions, means and log-variances of a batch with noise `eps`.
    fn forward(&self, x: Tensor<2>, eps: Tensor<2>, k: usize) -> (Tensor<2>, Tensor<2>, Tensor<2>) {
        let h = self.enc.forward(x, Activation::Relu, None);
        let (m, lv) = (h.clone().narrow(1, 0, k), h.narrow(1, k, k).clamp(-15.0, 15.0));
        let z = m.clone() + lv.clone().mul_scalar(0.5).exp() * eps;
        (sigmoid(self.dec.forward(z, Activation::Relu, None)), m, lv)
    }
}

struct GanTrainee<'a> {
    vae: Optimised<Vae2>,
    disc: Optimised<Net>,
    x: &'a [f32],
    d: usize,
    k: usize,
    beta: f32,
    lambda: f32,
    adversarial: Adversarial,
    val: Mat<f64>,
    current: VaeGan,
}

impl Trainee for GanTrainee<'_> {
    type Snapshot = VaeGan;

    fn step(&mut self, batch: &[usize], _epoch: usize, rng: &mut StdRng) -> Result<f64> {
        let (b, d, k) = (batch.len(), self.d, self.k);
        let x = self.vae.rows(self.x, d, batch);
        let eps: Vec<f32> = (0..b * k).map(|_| StandardNormal.sample(rng)).collect();
        let eps = self.vae.tensor(eps, [b, k]);
        let adv = self.adversarial;
        if self.lambda > 0.0 {
            let (fake, _, _) = self.vae.module().forward(x.clone(), eps.clone(), k);
            let fake = fake.detach();
            let real = x.clone();
            let value = self.disc.descend(|net| {
                adv.discriminator(net.forward(real, Activation::Relu, None), net.forward(fake, Activation::Relu, None))
            });
            if !value.is_finite() {
                return Ok(value);
            }
        }
        let (beta, lambda) = (self.beta, self.lambda);
        let disc = self.disc.module();
        Ok(self.vae.descend(|net| {
            let (xh, m, lv) = net.forward(x.clone(), eps, k);
            let recon = (xh.clone() - x).square().sum_dim(1).mean();
            let loss = recon + kl_rows(m, lv).mean().mul_scalar(beta);
            if lambda > 0.0 {
                loss + adv.generator(disc.forward(xh, Activation::Relu, None)).mul_scalar(lambda)
            } else {
                loss
            }
        }))
    }

    fn validate(&mut self) -> Result<f64> {
        let vae = self.vae.module();
        self.current.encoder = vae.enc.to_mlp(Activation::Relu);
        self.current.decoder = vae.dec.to_mlp(Activation::Relu);
        self.current.discriminator = self.disc.module().to_mlp(Activation::Relu);
        let back = self.current.reconstruct(self.val.as_ref())?;
        let (n, d) = (self.val.nrows(), self.val.ncols());
        Ok(recon_core::squared_norm((&self.val - &back).as_ref()) / (n * d) as f64)
    }

    fn snapshot(&mut self) -> VaeGan {
        self.current.clone()
    }

    fn restart(&mut self, snapshot: &VaeGan, factor: f64) {
        let device = self.vae.device.clone();
        self.vae.restart(
            Vae2 { enc: Net::from_mlp(&snapshot.encoder, &device), dec: Net::from_mlp(&snapshot.decoder, &device) },
            factor,
        );
        self.disc.restart(Net::from_mlp(&snapshot.discriminator, &device), factor);
    }
}

impl VaeGanParams {
    fn check(&self, n: usize, d: usize) -> Result<()> {
        self.train.check()?;
        if !(self.lambda >= 0.0 && self.lambda.is_finite()) {
            return Err(invalid("lambda", format!("{} is not a weight ≥ 0", self.lambda)));
        }
        if !(self.beta >= 0.0 && self.beta.is_finite()) {
            return Err(invalid("beta", format!("{} is not a weight ≥ 0", self.beta)));
        }
        if self.hidden == 0 || self.latent == 0 {
            return Err(invalid("layers", "hidden and latent widths must be positive"));
        }
        if n < 10 || d == 0 {
            return Err(invalid("images", format!("{n} images of {d} pixels: at least 10 are needed")));
        }
        Ok(())
    }

    /// Trains a new model on the rows of `x` (pixels in [0, 1]).
    pub fn fit(&self, x: MatRef<'_, f64>, on_epoch: &mut dyn FnMut(usize, f64, f64)) -> Result<VaeGan> {
        let (n, d) = (x.nrows(), x.ncols());
        self.check(n, d)?;
        let mut rng = StdRng::seed_from_u64(self.train.seed);
        let (h, k) = (self.hidden, self.latent);
        let start = VaeGan {
            encoder: Mlp::init(&[d, h, 2 * k], Activation::Relu, &mut rng),
            decoder: Mlp::init(&[k, h, d], Activation::Relu, &mut rng),
            discriminator: Mlp::init(&[d, h, 1], Activation::Relu, &mut rng),
            beta: self.beta,
            lambda: self.lambda,
            adversarial: self.adversarial,
            latent: k,
            epochs: 0,
            log: TrainingLog::default(),
            seed: self.train.seed,
            range: [0.0, 1.0],
        };
        self.run(start, x, &mut rng, on_epoch)
    }

    /// Trains `model` further for this configuration's epochs on the rows of `x` (its β, λ and
    /// adversarial loss are kept).
    pub fn resume(
        &self,
        model: &VaeGan,
        x: MatRef<'_, f64>,
        on_epoch: &mut dyn FnMut(usize, f64, f64),
    ) -> Result<VaeGan> {
        self.check(x.nrows(), x.ncols())?;
        check_pixels(x.ncols(), model.n_pixels())?;
        let mut rng = StdRng::seed_from_u64(self.train.seed ^ (model.epochs as u64).wrapping_mul(0x9e37_79b9));
        self.run(model.clone(), x, &mut rng, on_epoch)
    }

    fn run(
        &self,
        start: VaeGan,
        x: MatRef<'_, f64>,
        rng: &mut StdRng,
        on_epoch: &mut dyn FnMut(usize, f64, f64),
    ) -> Result<VaeGan> {
        // The decoder ends in a sigmoid: pixels must lie in [0, 1] (NaN fails the test too).
        if !in_unit_interval(x) {
            return Err(invalid(
                "images",
                "pixels must lie in [0, 1] (the decoder ends in a sigmoid): min–max scale them, as `recon generate vaegan` does",
            ));
        }
        let (n, d) = (x.nrows(), x.ncols());
        let (val_rows, train_rows) = self.train.split(n, 1, rng);
        let flat = row_major_f32(x);
        let device = self.train.backend.autodiff_device();
        let lr = self.train.learning_rate;
        let mut trainee = GanTrainee {
            vae: Optimised::adam(
                Vae2 { enc: Net::from_mlp(&start.encoder, &device), dec: Net::from_mlp(&start.decoder, &device) },
                lr,
                device.clone(),
            ),
            disc: Optimised::adam(Net::from_mlp(&start.discriminator, &device), lr, device),
            x: &flat,
            d,
            k: start.latent,
            beta: start.beta as f32,
            lambda: start.lambda as f32,
            adversarial: start.adversarial,
            val: Mat::from_fn(val_rows.len(), d, |i, j| x[(val_rows[i], j)]),
            current: start,
        };
        // Every epoch counts as the best (warm-up over the whole budget): the last one is kept.
        let epochs = self.train.epochs;
        let (mut model, log) = train(&self.train, &mut trainee, train_rows, val_rows.len(), epochs, rng, on_epoch)?;
        model.epochs += log.train_loss.len();
        model.log = log;
        Ok(model)
    }
}

impl VaeGan {
    /// Pixels per image.
    pub fn n_pixels(&self) -> usize {
        self.encoder.layers.first().map_or(0, |l| l.d_in)
    }

    /// The discriminator's logit for each row of `x`.
    pub fn discriminate(&self, x: MatRef<'_, f64>) -> Result<Vec<f64>> {
        self.check_width(x.ncols())?;
        let out = self.discriminator.forward(f32_mat(x).as_ref());
        Ok((0..x.nrows()).map(|i| f64::from(out[(i, 0)])).collect())
    }

    fn check_width(&self, d: usize) -> Result<()> {
        check_pixels(d, self.n_pixels())
    }

    /// Writes the model folder (`model.json` + `model.safetensors`).
    pub fn save(&self, dir: &std::path::Path, columns: &[String]) -> Result<()> {
        if columns.len() != self.n_pixels() {
            return Err(invalid("columns", format!("{} names for {} pixels", columns.len(), self.n_pixels())));
        }
        let header = Header {
            kind: ModelKind::VaeGan.as_str().into(),
            version: ModelKind::VaeGan.version(),
            columns: columns.to_vec(),
            hidden: self.encoder.layers[0].d_out,
            latent: self.latent,
            beta: self.beta,
            lambda: self.lambda,
            adversarial: self.adversarial,
            epochs: self.epochs,
            seed: self.seed,
            range: self.range,
            training: self.log.clone(),
        };
        let mut arrays = Vec::new();
        self.encoder.push_arrays("encoder", &mut arrays);
        self.decoder.push_arrays("decoder", &mut arrays);
        self.discriminator.push_arrays("discriminator", &mut arrays);
        save_model(dir, &header, &arrays)
    }

    /// Reads a model folder written by [`VaeGan::save`]; returns it with its column names.
    pub fn from_file(file: &mut ModelFile) -> Result<(VaeGan, Vec<String>)> {
        file.expect_kind(ModelKind::VaeGan)?;
        let h: Header = file.fields()?;
        let d = h.columns.len();
        if d == 0 || h.hidden == 0 || h.latent == 0 || !(h.range[1] > h.range[0]) {
            return Err(file.bad("inconsistent header"));
        }
        let encoder = Mlp::take_arrays(file, "encoder", &[d, h.hidden, 2 * h.latent], Activation::Relu)?;
        let decoder = Mlp::take_arrays(file, "decoder", &[h.latent, h.hidden, d], Activation::Relu)?;
        let discriminator = Mlp::take_arrays(file, "discriminator", &[d, h.hidden, 1], Activation::Relu)?;
        file.finish()?;
        Ok((
            VaeGan {
                encoder,
                decoder,
                discriminator,
                beta: h.beta,
                lambda: h.lambda,
                adversarial: h.adversarial,
                latent: h.latent,
                epochs: h.epochs,
                log: h.training,
                seed: h.seed,
                range: h.range,
            },
            h.columns,
        ))
    }
}

#[derive(Serialize, Deserialize)]
struct Header {
    kind: String,
    version: u32,
    columns: Vec<String>,
    hidden: usize,
    latent: usize,
    beta: f64,
    lambda: f64,
    adversarial: Adversarial,
    epochs: usize,
    seed: u64,
    range: [f64; 2],
    training: TrainingLog,
}

/// Codes are the posterior means; decoding applies the decoder and its sigmoid.
impl Reconstruct for VaeGan {
    type Error = recon_core::Error;

    fn encode(&self, x: MatRef<'_, f64>) -> recon_core::Result<Mat<f64>> {
        self.check_width(x.ncols())?;
        let h = self.encoder.forward(f32_mat(x).as_ref());
        Ok(Mat::from_fn(x.nrows(), self.latent, |i, j| f64::from(h[(i, j)])))
    }

    fn decode(&self, z: MatRef<'_, f64>) -> recon_core::Result<Mat<f64>> {
        if z.ncols() != self.latent {
            return Err(recon_core::Error::invalid(
                "codes",
                format!("{} columns for {} latents", z.ncols(), self.latent),
            ));
        }
        Ok(self.decoder.forward_sigmoid(z))
    }
}

/// Per-row squared reconstruction error of raw rows, in scaled pixel units (each raw row is
/// mapped by [`VaeGan::range`] first).
impl recon_core::RowScorer for VaeGan {
    const NAME: &'static str = "vaegan";
    const MEASURE: recon_core::ErrorMeasure = recon_core::ErrorMeasure::SquaredError;

    fn score_rows(&self, raw: MatRef<'_, f64>, want_residuals: bool) -> recon_core::Result<recon_core::ScoreBlock> {
        let [lo, hi] = self.range;
        let x = Mat::from_fn(raw.nrows(), raw.ncols(), |i, j| (raw[(i, j)] - lo) / (hi - lo));
        let back = self.reconstruct(x.as_ref())?;
        Ok(squared_error_block(x.as_ref(), &back, want_residuals))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mlp::blobs;
    use crate::Trainable;

    #[test]
    fn trains_saves_loads_and_resumes_with_the_same_seed_giving_the_same_model() {
        let x = blobs(200, 1);
        let p = VaeGanParams { lambda: 0.1, ..Default::default() }.epochs(3).seed(4);
        let a = p.fit(x.as_ref(), &mut |_, _, _| {}).unwrap();
        let b = p.fit(x.as_ref(), &mut |_, _, _| {}).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.epochs, 3);
        let dir = tempfile::tempdir().unwrap();
        let cols: Vec<String> = (0..64).map(|j| format!("p{j}")).collect();
        a.save(dir.path(), &cols).unwrap();
        let (back, c) = VaeGan::from_file(&mut ModelFile::open(dir.path()).unwrap()).unwrap();
        assert_eq!((back.clone(), c), (a.clone(), cols));
        let more = p.resume(&back, x.as_ref(), &mut |_, _, _| {}).unwrap();
        assert_eq!(more.epochs, 6);
        assert_ne!(more, a);
        // Training lowers the held-out distortion below the untrained model's.
        let untrained = p.clone().epochs(1).fit(x.as_ref(), &mut |_, _, _| {}).unwrap();
        let err = |m: &VaeGan| recon_core::squared_norm((&x - m.reconstruct(x.as_ref()).unwrap()).as_ref());
        assert!(err(&more) < err(&untrained));
        assert!(VaeGanParams { lambda: -1.0, ..Default::default() }.fit(x.as_ref(), &mut |_, _, _| {}).is_err());
        let raw = Mat::from_fn(20, 64, |i, j| (i + j) as f64);
        assert!(p.fit(raw.as_ref(), &mut |_, _, _| {}).unwrap_err().to_string().contains("[0, 1]"));
    }
}
