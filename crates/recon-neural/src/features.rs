//! Feature spaces for comparing image distributions: [`ClassifierFeatures`] (the penultimate
//! layer of a classifier trained on the real images, when labels exist — the FID recipe in
//! miniature) and [`RandomConvFeatures`], a fixed, seeded random convolutional network as a
//! label-free feature space for comparing
//! image distributions (random-feature Fréchet distances are a known proxy when no trained
//! classifier exists; e.g. Naeem et al. 2020 compare random embeddings with Inception ones).
//!
//! Three 3 × 3 convolutions (1 → 16, then 16 → 32 and 32 → 64 with stride 2), ReLU after each,
//! He-uniform weights from the seed, global average pooling: 64 features per image, any image
//! size of at least 7 × 7 (the strided convolutions have no padding).

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::tensor::{
    activation::{log_softmax, relu},
    Device, Tensor, TensorData,
};
use faer::Mat;
use rand::{rngs::StdRng, SeedableRng};

use crate::convnet::conv;
use crate::error::{invalid, Result};
use crate::mlp::{Activation, Mlp, Net};
use crate::train::{train, Optimised, TrainConfig, Trainee, TrainingLog};

/// The random feature network.
#[derive(Module, Debug)]
struct Features {
    layers: Vec<Conv2d>,
}

/// A seeded random convolutional feature map.
#[derive(Debug, Clone)]
pub struct RandomConvFeatures {
    net: Features,
    /// The seed of its weights.
    pub seed: u64,
}

impl RandomConvFeatures {
    /// Features per image.
    pub const DIM: usize = 64;

    /// The network of `seed`.
    pub fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let device = Device::flex();
        let layers = vec![
            conv(1, 16, 3, 1, &mut rng, &device),
            conv(16, 32, 3, 2, &mut rng, &device),
            conv(32, 64, 3, 2, &mut rng, &device),
        ];
        RandomConvFeatures { net: Features { layers }, seed }
    }

    /// Features of images given as rows of `x` (row-major pixels of `shape`): one row each.
    pub fn features(&self, x: faer::MatRef<'_, f64>, shape: [usize; 2]) -> Result<Mat<f64>> {
        let [h, w] = shape;
        if h * w != x.ncols() || h < 7 || w < 7 {
            return Err(invalid("images", format!("{} pixels are not {h} × {w} images of at least 7 × 7", x.ncols())));
        }
        let device = Device::flex();
        let mut out = Mat::zeros(x.nrows(), Self::DIM);
        for start in (0..x.nrows()).step_by(256) {
            let b = (x.nrows() - start).min(256);
            let data = crate::mlp::row_major_f32(x.subrows(start, b));
            let mut t = Tensor::<4>::from_data(TensorData::new(data, [b, 1, h, w]), &device);
            for layer in &self.net.layers {
                t = relu(layer.forward(t));
            }
            let [_, c, hh, ww] = t.dims();
            let pooled = t.reshape([b, c, hh * ww]).mean_dim(2).reshape([b, c]);
            let v = pooled.into_data().try_into_vec::<f32>().map_err(|_| invalid("features", "non-f32 output"))?;
            for i in 0..b {
                for j in 0..c {
                    out[(start + i, j)] = f64::from(v[i * c + j]);
                }
            }
        }
        Ok(out)
    }
}

/// The penultimate layer of a small classifier trained on the real images (when labels exist):
/// an MLP `d → 64 → classes` (ReLU), cross-entropy, Adam, early stopping on a held-out fifth.
#[derive(Debug, Clone)]
pub struct ClassifierFeatures {
    mlp: Mlp,
    /// Held-out accuracy of the classifier.
    pub accuracy: f64,
    /// What training did.
    pub log: TrainingLog,
}

struct ClassTrainee<'a> {
    net: Optimised<Net>,
    x: &'a [f32],
    onehot: &'a [f32],
    d: usize,
    k: usize,
    val_x: Mat<f32>,
    val_y: Vec<usize>,
    current: Mlp,
}

impl Trainee for ClassTrainee<'_> {
    type Snapshot = Mlp;

    fn step(&mut self, batch: &[usize], _epoch: usize, _rng: &mut StdRng) -> Result<f64> {
        let x = self.net.rows(self.x, self.d, batch);
        let y = self.net.rows(self.onehot, self.k, batch);
        Ok(self.net.descend(|net| (y * log_softmax(net.forward(x, Activation::Relu, None), 1)).sum_dim(1).mean().neg()))
    }

    fn validate(&mut self) -> Result<f64> {
        self.current = self.net.module().to_mlp(Activation::Relu);
        let logits = self.current.forward(self.val_x.as_ref());
        let mut ce = 0.0;
        for (i, &y) in self.val_y.iter().enumerate() {
            let row: Vec<f64> = (0..self.k).map(|j| f64::from(logits[(i, j)])).collect();
            let m = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let lse = m + row.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
            ce += lse - row[y];
        }
        Ok(ce / self.val_y.len() as f64)
    }

    fn snapshot(&mut self) -> Mlp {
        self.current.clone()
    }

    fn restart(&mut self, snapshot: &Mlp, factor: f64) {
        let device = self.net.device.clone();
        self.net.restart(Net::from_mlp(snapshot, &device), factor);
    }
}

impl ClassifierFeatures {
    /// Features per image.
    pub const DIM: usize = 64;

    /// Trains on the rows of `x` with class indices `labels` (0..classes).
    pub fn fit(x: faer::MatRef<'_, f64>, labels: &[usize], seed: u64) -> Result<ClassifierFeatures> {
        let (n, d) = (x.nrows(), x.ncols());
        let k = labels.iter().max().map_or(0, |m| m + 1);
        if labels.len() != n || k < 2 || n < 20 {
            return Err(invalid(
                "labels",
                format!("{n} images with {k} classes: a classifier needs 2 or more classes and 20 images"),
            ));
        }
        let cfg = TrainConfig::new().with_epochs(200).with_patience(10).with_seed(seed).with_learning_rate(1e-3);
        let mut rng = StdRng::seed_from_u64(seed);
        let mlp = Mlp::init(&[d, Self::DIM, k], Activation::Relu, &mut rng);
        let (val, train_rows) = cfg.split(n, 2, &mut rng);
        let flat = crate::mlp::row_major_f32(x);
        let onehot: Vec<f32> =
            labels.iter().flat_map(|&y| (0..k).map(move |c| if c == y { 1.0 } else { 0.0 })).collect();
        let device = cfg.backend.autodiff_device();
        let n_val = val.len();
        let mut trainee = ClassTrainee {
            net: Optimised::adam(Net::from_mlp(&mlp, &device), cfg.learning_rate, device),
            x: &flat,
            onehot: &onehot,
            d,
            k,
            val_x: Mat::from_fn(n_val, d, |i, j| x[(val[i], j)] as f32),
            val_y: val.iter().map(|&i| labels[i]).collect(),
            current: mlp,
        };
        let (mlp, log) = train(&cfg, &mut trainee, train_rows, n_val, 0, &mut rng, &mut |_, _, _| {})?;
        let logits = mlp.forward(trainee.val_x.as_ref());
        let right = trainee
            .val_y
            .iter()
            .enumerate()
            .filter(|&(i, &y)| (0..k).max_by(|&a, &b| logits[(i, a)].total_cmp(&logits[(i, b)])) == Some(y))
            .count();
        Ok(ClassifierFeatures { mlp, accuracy: right as f64 / n_val as f64, log })
    }

    /// The hidden-layer activations of each row of `x`.
    pub fn features(&self, x: faer::MatRef<'_, f64>) -> Result<Mat<f64>> {
        let d = self.mlp.layers[0].d_in;
        if x.ncols() != d {
            return Err(invalid("images", format!("{} pixels for a classifier of {d}", x.ncols())));
        }
        let h = self.mlp.forward_layers(crate::mlp::f32_mat(x).as_ref(), 0..1, true);
        Ok(Mat::from_fn(h.nrows(), h.ncols(), |i, j| f64::from(h[(i, j)])))
    }
}
