//! A small learned down/up network (a U-Net in miniature), to measure how much of an image a
//! learned bottleneck keeps and how much its skip connections carry.
//!
//! Architecture, for `levels` = L and `channels` = C on one-channel H × W images (H and W
//! multiples of 2^L):
//! - stem: 3 × 3 convolution 1 → C, ReLU (the level-0 features);
//! - down, per level: 2 × 2 convolution with stride 2 (C → C, the last one C → 1), ReLU after all
//!   but the last. The bottleneck is **one channel** at H/2^L × W/2^L: as many numbers as the image
//!   average-pooled L times, so the learned path is compared with the fixed operators at equal size;
//! - up, per level: 2 × 2 transposed convolution with stride 2 (1 → C first, then C → C), ReLU,
//!   then — with skips — concatenation with the encoder's features at that resolution (as in
//!   U-Net, Ronneberger et al. 2015), and a 3 × 3 convolution (2C or C → C), ReLU;
//! - head: 1 × 1 convolution C → 1 (linear).
//!
//! With skips the level-0 features reach the head directly, so the network can pass the image
//! around its bottleneck: the gap between the two variants is what the skips carry. Trained on
//! mean squared error with the shared loop ([`TrainConfig`]: held-out early stopping); weights
//! are drawn from the seed (He uniform ±√(6/fan_in) for ReLU layers, biases ±1/√fan_in as PyTorch), so the same seed gives the
//! same network.

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::PaddingConfig2d;
use burn::tensor::{activation::relu, Device, Tensor, TensorData};
use rand::{rngs::StdRng, Rng, SeedableRng};

use crate::error::{invalid, Result};
use crate::train::{train, trainable, Optimised, TrainConfig, Trainee, TrainingLog};

/// Settings of the down/up network.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvNetParams {
    /// Levels of down-sampling (each halves both sides), 1..=6.
    pub levels: usize,
    /// Feature channels.
    pub channels: usize,
    /// U-Net skip connections (concatenation at every resolution).
    pub skips: bool,
    /// Training settings.
    pub train: TrainConfig,
}

trainable!(ConvNetParams);

impl ConvNetParams {
    /// `levels` levels, 8 channels, with skips or without, trained for up to 200 epochs (batch
    /// 64, learning rate 3e-3), stopping when 20 epochs have not improved the held-out loss by 1%
    /// (a measurement needs the loss settled, not its last fraction of a percent).
    pub fn new(levels: usize, skips: bool) -> Self {
        ConvNetParams {
            levels,
            channels: 8,
            skips,
            train: TrainConfig::new()
                .with_epochs(200)
                .with_patience(20)
                .with_min_delta(0.01)
                .with_batch_size(64)
                .with_learning_rate(3e-3),
        }
    }
}

#[derive(Module, Debug)]
struct Net {
    stem: Conv2d,
    down: Vec<Conv2d>,
    up: Vec<ConvTranspose2d>,
    merge: Vec<Conv2d>,
    head: Conv2d,
}

fn uniform(rng: &mut StdRng, shape: &[usize], k: f32, device: &Device) -> Tensor<1> {
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|_| rng.random_range(-k..k)).collect();
    Tensor::from_data(TensorData::new(v, [n]), device)
}

pub(crate) fn conv(c_in: usize, c_out: usize, k: usize, stride: usize, rng: &mut StdRng, device: &Device) -> Conv2d {
    let padding = if stride == 1 { PaddingConfig2d::Same } else { PaddingConfig2d::Valid };
    let mut m =
        Conv2dConfig::new([c_in, c_out], [k, k]).with_stride([stride, stride]).with_padding(padding).init(device);
    let fan = (c_in * k * k) as f32;
    m.weight =
        Param::from_tensor(uniform(rng, &[c_out, c_in, k, k], (6.0 / fan).sqrt(), device).reshape([c_out, c_in, k, k]));
    m.bias = Some(Param::from_tensor(uniform(rng, &[c_out], 1.0 / fan.sqrt(), device)));
    m
}

fn deconv(c_in: usize, c_out: usize, rng: &mut StdRng, device: &Device) -> ConvTranspose2d {
    let mut m = ConvTranspose2dConfig::new([c_in, c_out], [2, 2]).with_stride([2, 2]).init(device);
    let fan = (c_in * 4) as f32;
    m.weight =
        Param::from_tensor(uniform(rng, &[c_in, c_out, 2, 2], (6.0 / fan).sqrt(), device).reshape([c_in, c_out, 2, 2]));
    m.bias = Some(Param::from_tensor(uniform(rng, &[c_out], 1.0 / fan.sqrt(), device)));
    m
}

impl Net {
    fn new(p: &ConvNetParams, rng: &mut StdRng, device: &Device) -> Net {
        let (c, l) = (p.channels, p.levels);
        let stem = conv(1, c, 3, 1, rng, device);
        let down = (0..l).map(|i| conv(c, if i + 1 == l { 1 } else { c }, 2, 2, rng, device)).collect();
        // up[i] brings level i+1 to level i; the deepest (i = l−1) starts from the 1-channel bottleneck.
        let up = (0..l).map(|i| deconv(if i + 1 == l { 1 } else { c }, c, rng, device)).collect();
        let merge = (0..l).map(|_| conv(if p.skips { 2 * c } else { c }, c, 3, 1, rng, device)).collect();
        let head = conv(c, 1, 1, 1, rng, device);
        Net { stem, down, up, merge, head }
    }

    /// `[batch, 1, h, w]` → reconstruction of the same shape.
    fn forward(&self, x: Tensor<4>, skips: bool) -> Tensor<4> {
        let l = self.down.len();
        let mut feats = Vec::with_capacity(l);
        let mut h = relu(self.stem.forward(x));
        for (i, d) in self.down.iter().enumerate() {
            feats.push(h.clone());
            let z = d.forward(h);
            h = if i + 1 == l { z } else { relu(z) };
        }
        for i in (0..l).rev() {
            let u = relu(self.up[i].forward(h));
            let u = if skips { Tensor::cat(vec![u, feats[i].clone()], 1) } else { u };
            h = relu(self.merge[i].forward(u));
        }
        self.head.forward(h)
    }
}

/// A trained down/up network.
#[derive(Debug, Clone)]
pub struct ConvNet {
    net: Net,
    params: ConvNetParams,
    shape: [usize; 2],
    /// What training did.
    pub log: TrainingLog,
}

struct ConvTrainee<'a> {
    net: Optimised<Net>,
    images: &'a [f32],
    shape: [usize; 2],
    val: Vec<usize>,
    skips: bool,
}

impl ConvTrainee<'_> {
    fn batch(&self, rows: &[usize]) -> Tensor<4> {
        let [h, w] = self.shape;
        self.net.rows(self.images, h * w, rows).reshape([rows.len(), 1, h, w])
    }
}

impl Trainee for ConvTrainee<'_> {
    type Snapshot = Net;

    fn step(&mut self, batch: &[usize], _epoch: usize, _rng: &mut StdRng) -> Result<f64> {
        let x = self.batch(batch);
        let skips = self.skips;
        Ok(self.net.descend(|net| (net.forward(x.clone(), skips) - x).square().mean()))
    }

    fn validate(&mut self) -> Result<f64> {
        let net = self.net.module().valid();
        let mut sum = 0.0;
        for rows in self.val.chunks(256) {
            let x = self.batch(rows).valid();
            let e: f32 = (net.forward(x.clone(), self.skips) - x).square().sum().into_scalar();
            sum += f64::from(e);
        }
        let [h, w] = self.shape;
        Ok(sum / (self.val.len() * h * w) as f64)
    }

    fn snapshot(&mut self) -> Net {
        self.net.module().clone()
    }

    fn restart(&mut self, snapshot: &Net, factor: f64) {
        self.net.restart(snapshot.clone(), factor);
    }
}

impl ConvNetParams {
    fn check(&self, n: usize, shape: [usize; 2]) -> Result<()> {
        self.train.check()?;
        if self.levels == 0 || self.levels > 6 {
            return Err(invalid("levels", format!("{} is not in 1..=6", self.levels)));
        }
        if self.channels == 0 {
            return Err(invalid("channels", "must be positive"));
        }
        let block = 1 << self.levels;
        if shape[0] == 0 || shape[1] == 0 || !shape[0].is_multiple_of(block) || !shape[1].is_multiple_of(block) {
            return Err(invalid(
                "image shape",
                format!("{} × {} is not a multiple of {block} × {block} ({} levels)", shape[0], shape[1], self.levels),
            ));
        }
        if n < 10 {
            return Err(invalid("images", format!("{n} images are too few to train and hold out (at least 10)")));
        }
        Ok(())
    }

    /// Trains on `images` (`n` images of `shape`, row-major, concatenated), holding out the
    /// configured share for early stopping; `on_epoch(epoch, train loss, held-out loss)`.
    pub fn fit(&self, images: &[f32], shape: [usize; 2], on_epoch: &mut dyn FnMut(usize, f64, f64)) -> Result<ConvNet> {
        let n = images.len() / (shape[0] * shape[1]).max(1);
        if n * shape[0] * shape[1] != images.len() {
            return Err(invalid("images", "the pixel count is not a whole number of images"));
        }
        self.check(n, shape)?;
        if images.iter().any(|v| !v.is_finite()) {
            return Err(invalid("images", "non-finite pixel values"));
        }
        let mut rng = StdRng::seed_from_u64(self.train.seed);
        let device = self.train.backend.autodiff_device();
        let net = Net::new(self, &mut rng, &device);
        let (val, train_rows) = self.train.split(n, 1, &mut rng);
        let n_val = val.len();
        let mut trainee = ConvTrainee {
            net: Optimised::adam(net, self.train.learning_rate, device),
            images,
            shape,
            val,
            skips: self.skips,
        };
        let (best, log) = train(&self.train, &mut trainee, train_rows, n_val, 0, &mut rng, on_epoch)?;
        Ok(ConvNet { net: best.valid(), params: self.clone(), shape, log })
    }
}

impl ConvNet {
    /// Settings it was trained with.
    pub fn params(&self) -> &ConvNetParams {
        &self.params
    }

    /// Rebuilds `images` (of the trained shape, concatenated); the same layout back.
    pub fn reconstruct(&self, images: &[f32]) -> Result<Vec<f32>> {
        let [h, w] = self.shape;
        if !images.len().is_multiple_of(h * w) {
            return Err(invalid("images", format!("the pixel count is not a whole number of {h} × {w} images")));
        }
        let device = Device::flex();
        let mut out = Vec::with_capacity(images.len());
        for block in images.chunks(256 * h * w) {
            let b = block.len() / (h * w);
            let x = Tensor::<4>::from_data(TensorData::new(block.to_vec(), [b, 1, h, w]), &device);
            let y = self.net.forward(x, self.params.skips);
            out.extend(y.into_data().try_into_vec::<f32>().map_err(|_| invalid("network", "non-f32 output"))?);
        }
        Ok(out)
    }

    /// `Σ‖x − x̂‖² / Σ‖x‖²` over `images`.
    pub fn relative_error(&self, images: &[f32]) -> Result<f64> {
        let back = self.reconstruct(images)?;
        let (mut e, mut t) = (0.0f64, 0.0f64);
        for (a, b) in images.iter().zip(&back) {
            e += f64::from(a - b).powi(2);
            t += f64::from(*a).powi(2);
        }
        Ok(e / t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Trainable;

    /// Smooth blobs on 8 × 8: a learned 1-level bottleneck keeps most, skips keep more.
    fn blobs(n: usize, seed: u64) -> Vec<f32> {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut out = Vec::with_capacity(n * 64);
        for _ in 0..n {
            let (ci, cj, s): (f32, f32, f32) =
                (rng.random_range(1.0..7.0), rng.random_range(1.0..7.0), rng.random_range(1.0..3.0));
            for i in 0..8 {
                for j in 0..8 {
                    let d2 = (i as f32 - ci).powi(2) + (j as f32 - cj).powi(2);
                    out.push((-d2 / (2.0 * s * s)).exp() + 0.05 * rng.random_range(-1.0..1.0f32));
                }
            }
        }
        out
    }

    #[test]
    fn skips_carry_what_the_bottleneck_drops_and_the_seed_fixes_the_net() {
        let train = blobs(300, 1);
        let test = blobs(100, 2);
        let fit = |skips: bool, seed: u64| {
            ConvNetParams::new(2, skips).epochs(40).seed(seed).fit(&train, [8, 8], &mut |_, _, _| {}).unwrap()
        };
        let (plain, skip) = (fit(false, 0), fit(true, 0));
        let (e_plain, e_skip) = (plain.relative_error(&test).unwrap(), skip.relative_error(&test).unwrap());
        assert!(e_skip < 0.5 * e_plain, "skips {e_skip} vs bottleneck alone {e_plain}");
        assert!(e_plain < 0.5, "{e_plain}");
        assert_eq!(fit(false, 0).reconstruct(&test).unwrap(), plain.reconstruct(&test).unwrap());
    }

    #[test]
    fn refuses_shapes_it_cannot_halve() {
        let x = vec![0.5f32; 20 * 36];
        let e = ConvNetParams::new(2, false).fit(&x, [6, 6], &mut |_, _, _| {}).unwrap_err().to_string();
        assert!(e.contains("multiple of 4"), "{e}");
        assert!(ConvNetParams::new(0, false).fit(&x, [6, 6], &mut |_, _, _| {}).is_err());
        assert!(ConvNetParams::new(1, false).fit(&x[..36 * 3], [6, 6], &mut |_, _, _| {}).is_err());
    }
}
