//! A VAE over compositions: rows are element fractions (each row sums to 1 over the model's
//! element columns), the decoder gives a distribution over the elements.
//!
//! **Reconstruction loss: the cross-entropy of the fractions**, `−Σⱼ fⱼ log pⱼ` with
//! `p = softmax(decoder(z))`: the log-likelihood of the atoms of one formula unit drawn from `p`
//! (a multinomial per atom), equal to `KL(f ‖ p)` plus the entropy of `f`, so it is minimised
//! exactly at `p = f`. The softmax keeps every decoded composition on the simplex. A Dirichlet
//! likelihood was the alternative; it needs every fraction positive (`log 0` for the elements a
//! compound lacks, which is almost all of them) and would need a smoothing constant that then
//! sets the loss, so it was not used.
//!
//! Networks (ReLU inside): encoder `d → hidden → 2·latent` (mean, log-variance), decoder
//! `latent → hidden → d` (logits) and, with a property, a head `latent → hidden/2 → 1` on the
//! sampled code predicting the standardised property (squared error, weight `property_weight`),
//! trained jointly so that the latent space is ordered by it (Gómez-Bombarelli et al. 2018).
//! KL annealing: β rises linearly from 0 over the first `warmup` epochs; those epochs all count
//! as the best (their losses are not comparable) and early stopping on the held-out loss starts
//! after them.

use burn::module::Module;
use burn::tensor::{activation::log_softmax, Tensor};
use faer::{Mat, MatRef};
use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use recon_core::model::{save_model, ModelFile, ModelKind};
use serde::{Deserialize, Serialize};

use crate::error::{invalid, Result};
use crate::losses::kl_rows;
use crate::mlp::{f32_mat, row_major_f32, Activation, Mlp, Net};
use crate::train::{train, trainable, Optimised, TrainConfig, Trainee, TrainingLog};

/// Settings of a composition VAE.
#[derive(Debug, Clone, PartialEq)]
pub struct CompositionVaeParams {
    /// Hidden width.
    pub hidden: usize,
    /// Latent dimension.
    pub latent: usize,
    /// Final weight of the KL term.
    pub beta: f64,
    /// Epochs over which β rises from 0.
    pub warmup: usize,
    /// Weight of the property head's squared error (standardised units).
    pub property_weight: f64,
    /// Training settings.
    pub train: TrainConfig,
}

trainable!(CompositionVaeParams);

impl Default for CompositionVaeParams {
    fn default() -> Self {
        CompositionVaeParams {
            hidden: 256,
            latent: 8,
            beta: 0.05,
            warmup: 20,
            property_weight: 1.0,
            train: TrainConfig::new().with_epochs(300).with_batch_size(128).with_learning_rate(1e-3).with_patience(20),
        }
    }
}

/// A trained composition VAE.
#[derive(Debug, Clone, PartialEq)]
pub struct CompositionVae {
    encoder: Mlp,
    decoder: Mlp,
    head: Option<Mlp>,
    /// Latent dimension.
    pub latent: usize,
    /// β it was trained to.
    pub beta: f64,
    /// Mean and standard deviation of the property (the head predicts it standardised).
    pub property_scale: Option<[f64; 2]>,
    /// Epochs trained.
    pub epochs: usize,
    /// The training log (held-out loss per epoch).
    pub log: TrainingLog,
    /// Seed.
    pub seed: u64,
}

#[derive(Module, Debug)]
struct Nets {
    enc: Net,
    dec: Net,
    head: Net,
}

struct CompTrainee<'a> {
    nets: Optimised<Nets>,
    x: &'a [f32],
    y: Option<Vec<f32>>,
    d: usize,
    k: usize,
    beta: f64,
    warmup: usize,
    weight: f32,
    val_x: Mat<f64>,
    val_y: Option<Vec<f64>>,
    current: CompositionVae,
}

impl Trainee for CompTrainee<'_> {
    type Snapshot = CompositionVae;

    fn step(&mut self, batch: &[usize], epoch: usize, rng: &mut StdRng) -> Result<f64> {
        let (b, d, k) = (batch.len(), self.d, self.k);
        let x = self.nets.rows(self.x, d, batch);
        let eps: Vec<f32> = (0..b * k).map(|_| StandardNormal.sample(rng)).collect();
        let eps = self.nets.tensor(eps, [b, k]);
        let ramp = if self.warmup == 0 { 1.0 } else { (epoch as f64 / self.warmup as f64).min(1.0) };
        let beta = (self.beta * ramp) as f32;
        let y = self.y.as_ref().map(|y| self.nets.tensor(batch.iter().map(|&i| y[i]).collect(), [b, 1]));
        let weight = self.weight;
        Ok(self.nets.descend(|net| {
            let h = net.enc.forward(x.clone(), Activation::Relu, None);
            let (m, lv) = (h.clone().narrow(1, 0, k), h.narrow(1, k, k).clamp(-15.0, 15.0));
            let z = m.clone() + lv.clone().mul_scalar(0.5).exp() * eps;
            let logp = log_softmax(net.dec.forward(z.clone(), Activation::Relu, None), 1);
            let recon: Tensor<1> = (x * logp).sum_dim(1).neg().mean();
            let loss = recon + kl_rows(m, lv).mean().mul_scalar(beta);
            match y {
                Some(y) => loss + (net.head.forward(z, Activation::Relu, None) - y).square().mean().mul_scalar(weight),
                None => loss,
            }
        }))
    }

    fn validate(&mut self) -> Result<f64> {
        let nets = self.nets.module();
        self.current.encoder = nets.enc.to_mlp(Activation::Relu);
        self.current.decoder = nets.dec.to_mlp(Activation::Relu);
        if self.current.head.is_some() {
            self.current.head = Some(nets.head.to_mlp(Activation::Relu));
        }
        let (m, lv) = self.current.encode_full(self.val_x.as_ref())?;
        let p = self.current.decode(m.as_ref())?;
        let n = self.val_x.nrows() as f64;
        let ce = cross_entropy(self.val_x.as_ref(), p.as_ref()) / n;
        let kl: f64 = (0..m.nrows())
            .map(|i| {
                (0..m.ncols()).map(|j| -0.5 * (1.0 + lv[(i, j)] - m[(i, j)].powi(2) - lv[(i, j)].exp())).sum::<f64>()
            })
            .sum::<f64>()
            / n;
        let mut val = ce + self.beta * kl;
        if let (Some(y), Some(head)) = (&self.val_y, &self.current.head) {
            let pred = head.forward(f32_mat(m.as_ref()).as_ref());
            val += f64::from(self.weight)
                * y.iter().enumerate().map(|(i, t)| (f64::from(pred[(i, 0)]) - t).powi(2)).sum::<f64>()
                / n;
        }
        Ok(val)
    }

    fn snapshot(&mut self) -> CompositionVae {
        self.current.clone()
    }

    fn restart(&mut self, s: &CompositionVae, factor: f64) {
        let device = self.nets.device.clone();
        let head = self.nets.module().head.to_mlp(Activation::Relu);
        self.nets.restart(
            Nets {
                enc: Net::from_mlp(&s.encoder, &device),
                dec: Net::from_mlp(&s.decoder, &device),
                head: Net::from_mlp(s.head.as_ref().unwrap_or(&head), &device),
            },
            factor,
        );
    }
}

/// `−Σ f log p` over all rows (p floored at 1e-300).
fn cross_entropy(f: MatRef<'_, f64>, p: MatRef<'_, f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..f.nrows() {
        for j in 0..f.ncols() {
            if f[(i, j)] > 0.0 {
                s -= f[(i, j)] * p[(i, j)].max(1e-300).ln();
            }
        }
    }
    s
}

/// Checks that every row is a composition: finite, ≥ 0, summing to 1 within 1e-3.
pub fn check_fractions(x: MatRef<'_, f64>) -> Result<()> {
    for i in 0..x.nrows() {
        let row = x.row(i);
        if let Some(j) = (0..x.ncols()).find(|&j| !(row[j] >= 0.0 && row[j].is_finite())) {
            return Err(invalid(
                "fractions",
                format!("row {} column {} holds {}: fractions must be finite and ≥ 0", i + 1, j + 1, row[j]),
            ));
        }
        let s: f64 = row.iter().sum();
        if (s - 1.0).abs() > 1e-3 {
            return Err(invalid(
                "fractions",
                format!("row {} sums to {s}: element fractions must sum to 1 (within 0.001)", i + 1),
            ));
        }
    }
    Ok(())
}

impl CompositionVaeParams {
    /// Trains on compositions `x` (rows of element fractions summing to 1) with an optional
    /// property per row.
    pub fn fit(
        &self,
        x: MatRef<'_, f64>,
        property: Option<&[f64]>,
        on_epoch: &mut dyn FnMut(usize, f64, f64),
    ) -> Result<CompositionVae> {
        self.train.check()?;
        let (n, d) = (x.nrows(), x.ncols());
        if n < 20 || d < 2 {
            return Err(invalid(
                "compositions",
                format!("{n} rows over {d} elements: at least 20 rows and 2 elements"),
            ));
        }
        if self.hidden < 2 || self.latent == 0 {
            return Err(invalid("layers", "hidden width ≥ 2 and a positive latent dimension"));
        }
        for (name, v) in [("beta", self.beta), ("property weight", self.property_weight)] {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(invalid(name, format!("{v} is not a weight ≥ 0")));
            }
        }
        check_fractions(x)?;
        let scale = match property {
            Some(y) => {
                if y.len() != n {
                    return Err(invalid("property", format!("{} values for {n} rows", y.len())));
                }
                if let Some(i) = y.iter().position(|v| !v.is_finite()) {
                    return Err(invalid("property", format!("row {} is not a finite number", i + 1)));
                }
                let mean = y.iter().sum::<f64>() / n as f64;
                let sd = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
                if !(sd > 0.0) {
                    return Err(invalid("property", "every row has the same value"));
                }
                Some([mean, sd])
            }
            None => None,
        };
        let mut rng = StdRng::seed_from_u64(self.train.seed);
        let (h, k) = (self.hidden, self.latent);
        let encoder = Mlp::init(&[d, h, 2 * k], Activation::Relu, &mut rng);
        let decoder = Mlp::init(&[k, h, d], Activation::Relu, &mut rng);
        let head = Mlp::init(&[k, h / 2, 1], Activation::Relu, &mut rng);
        let (val, train_rows) = self.train.split(n, 1, &mut rng);
        let std_y: Option<Vec<f64>> = property.zip(scale).map(|(y, [m, s])| y.iter().map(|v| (v - m) / s).collect());
        let device = self.train.backend.autodiff_device();
        let fx = row_major_f32(x);
        let mut trainee = CompTrainee {
            nets: Optimised::adam(
                Nets {
                    enc: Net::from_mlp(&encoder, &device),
                    dec: Net::from_mlp(&decoder, &device),
                    head: Net::from_mlp(&head, &device),
                },
                self.train.learning_rate,
                device,
            ),
            x: &fx,
            y: std_y.as_ref().map(|y| y.iter().map(|&v| v as f32).collect()),
            d,
            k,
            beta: self.beta,
            warmup: self.warmup,
            weight: self.property_weight as f32,
            val_x: Mat::from_fn(val.len(), d, |i, j| x[(val[i], j)]),
            val_y: std_y.as_ref().map(|y| val.iter().map(|&i| y[i]).collect()),
            current: CompositionVae {
                encoder,
                decoder,
                head: scale.map(|_| head),
                latent: k,
                beta: self.beta,
                property_scale: scale,
                epochs: 0,
                log: TrainingLog::default(),
                seed: self.train.seed,
            },
        };
        let (mut model, log) =
            train(&self.train, &mut trainee, train_rows, val.len(), self.warmup, &mut rng, on_epoch)?;
        model.epochs = log.train_loss.len();
        model.log = log;
        Ok(model)
    }
}

impl CompositionVae {
    /// Number of element columns.
    pub fn n_elements(&self) -> usize {
        self.encoder.layers.first().map_or(0, |l| l.d_in)
    }

    /// Whether the model predicts a property.
    pub fn has_property(&self) -> bool {
        self.head.is_some()
    }

    fn encode_full(&self, x: MatRef<'_, f64>) -> recon_core::Result<(Mat<f64>, Mat<f64>)> {
        if x.ncols() != self.n_elements() {
            return Err(recon_core::Error::invalid(
                "compositions",
                format!("{} element columns for a model of {}", x.ncols(), self.n_elements()),
            ));
        }
        let h = self.encoder.forward(f32_mat(x).as_ref());
        let k = self.latent;
        Ok((
            Mat::from_fn(h.nrows(), k, |i, j| f64::from(h[(i, j)])),
            Mat::from_fn(h.nrows(), k, |i, j| f64::from(h[(i, k + j)]).clamp(-15.0, 15.0)),
        ))
    }

    /// The latent means of the rows of `x`.
    pub fn encode(&self, x: MatRef<'_, f64>) -> recon_core::Result<Mat<f64>> {
        Ok(self.encode_full(x)?.0)
    }

    /// The decoded fractions (softmax) of latent codes `z`.
    pub fn decode(&self, z: MatRef<'_, f64>) -> recon_core::Result<Mat<f64>> {
        if z.ncols() != self.latent {
            return Err(recon_core::Error::invalid(
                "latent codes",
                format!("{} columns for a latent dimension of {}", z.ncols(), self.latent),
            ));
        }
        let out = self.decoder.forward(f32_mat(z).as_ref());
        let mut p = Mat::zeros(out.nrows(), out.ncols());
        for i in 0..out.nrows() {
            let top = (0..out.ncols()).map(|j| f64::from(out[(i, j)])).fold(f64::NEG_INFINITY, f64::max);
            let norm: f64 = (0..out.ncols()).map(|j| (f64::from(out[(i, j)]) - top).exp()).sum();
            for j in 0..out.ncols() {
                p[(i, j)] = (f64::from(out[(i, j)]) - top).exp() / norm;
            }
        }
        Ok(p)
    }

    /// The predicted property (in its own units) at latent codes `z`; `None` without a head.
    pub fn predict(&self, z: MatRef<'_, f64>) -> recon_core::Result<Option<Vec<f64>>> {
        let (Some(head), Some([m, s])) = (&self.head, self.property_scale) else {
            return Ok(None);
        };
        if z.ncols() != self.latent {
            return Err(recon_core::Error::invalid("latent codes", "wrong latent dimension"));
        }
        let out = head.forward(f32_mat(z).as_ref());
        Ok(Some((0..out.nrows()).map(|i| m + s * f64::from(out[(i, 0)])).collect()))
    }

    /// Per-row cross-entropy `−Σ f log p` of the rows of `x` rebuilt from their latent means.
    pub fn row_cross_entropy(&self, x: MatRef<'_, f64>) -> recon_core::Result<Vec<f64>> {
        let p = self.decode(self.encode(x)?.as_ref())?;
        Ok((0..x.nrows()).map(|i| cross_entropy(x.subrows(i, 1), p.subrows(i, 1))).collect())
    }

    /// Writes the model folder; `columns` name the element columns.
    pub fn save(&self, dir: &std::path::Path, columns: &[String]) -> Result<()> {
        if columns.len() != self.n_elements() {
            return Err(invalid("columns", format!("{} names for {} elements", columns.len(), self.n_elements())));
        }
        let header = Header {
            kind: ModelKind::CompositionVae.as_str().into(),
            version: ModelKind::CompositionVae.version(),
            columns: columns.to_vec(),
            hidden: self.encoder.layers[0].d_out,
            latent: self.latent,
            beta: self.beta,
            property_scale: self.property_scale,
            epochs: self.epochs,
            seed: self.seed,
            training: self.log.clone(),
        };
        let mut arrays = Vec::new();
        self.encoder.push_arrays("encoder", &mut arrays);
        self.decoder.push_arrays("decoder", &mut arrays);
        if let Some(h) = &self.head {
            h.push_arrays("head", &mut arrays);
        }
        save_model(dir, &header, &arrays)
    }

    /// Reads a folder written by [`CompositionVae::save`]; returns the element column names too.
    pub fn from_file(file: &mut ModelFile) -> Result<(CompositionVae, Vec<String>)> {
        file.expect_kind(ModelKind::CompositionVae)?;
        let h: Header = file.fields()?;
        let (d, k) = (h.columns.len(), h.latent);
        if d < 2 || k == 0 || h.hidden < 2 {
            return Err(file.bad("inconsistent header"));
        }
        let encoder = Mlp::take_arrays(file, "encoder", &[d, h.hidden, 2 * k], Activation::Relu)?;
        let decoder = Mlp::take_arrays(file, "decoder", &[k, h.hidden, d], Activation::Relu)?;
        let head = match h.property_scale {
            Some(_) => Some(Mlp::take_arrays(file, "head", &[k, h.hidden / 2, 1], Activation::Relu)?),
            None => None,
        };
        file.finish()?;
        Ok((
            CompositionVae {
                encoder,
                decoder,
                head,
                latent: k,
                beta: h.beta,
                property_scale: h.property_scale,
                epochs: h.epochs,
                log: h.training,
                seed: h.seed,
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
    property_scale: Option<[f64; 2]>,
    epochs: usize,
    seed: u64,
    training: TrainingLog,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Trainable;

    /// Three planted "compounds" AB, AC2, B3D with a property that is 1, 2 or 3.
    fn planted(n: usize) -> (Mat<f64>, Vec<f64>) {
        let protos = [[0.5, 0.5, 0.0, 0.0], [1.0 / 3.0, 0.0, 2.0 / 3.0, 0.0], [0.0, 0.75, 0.0, 0.25]];
        let x = Mat::from_fn(n, 4, |i, j| protos[i % 3][j]);
        (x, (0..n).map(|i| (i % 3 + 1) as f64).collect())
    }

    #[test]
    fn learns_planted_compositions_and_their_property_and_round_trips() {
        let (x, y) = planted(300);
        let p = CompositionVaeParams { hidden: 32, latent: 2, ..Default::default() }.epochs(300).seed(3);
        let m = p.fit(x.as_ref(), Some(&y), &mut |_, _, _| {}).unwrap();
        assert_eq!(m, p.fit(x.as_ref(), Some(&y), &mut |_, _, _| {}).unwrap());
        let z = m.encode(x.as_ref()).unwrap();
        let back = m.decode(z.as_ref()).unwrap();
        for i in 0..3 {
            for j in 0..4 {
                assert!((back[(i, j)] - x[(i, j)]).abs() < 0.05, "row {i} col {j}: {} vs {}", back[(i, j)], x[(i, j)]);
            }
        }
        let pred = m.predict(z.as_ref()).unwrap().unwrap();
        for i in 0..3 {
            assert!((pred[i] - y[i]).abs() < 0.3, "property {i}: {} vs {}", pred[i], y[i]);
        }
        let dir = tempfile::tempdir().unwrap();
        let cols: Vec<String> = ["A", "B", "C", "D"].iter().map(|s| format!("frac_{s}")).collect();
        m.save(dir.path(), &cols).unwrap();
        let (back, c) = CompositionVae::from_file(&mut ModelFile::open(dir.path()).unwrap()).unwrap();
        assert_eq!((back, c), (m, cols));
    }

    #[test]
    fn refuses_rows_that_are_not_compositions() {
        let (mut x, _) = planted(30);
        x[(4, 0)] = 0.9;
        let e = CompositionVaeParams::default().fit(x.as_ref(), None, &mut |_, _, _| {}).unwrap_err().to_string();
        assert!(e.contains("row 5 sums to"), "{e}");
        let (x, _) = planted(30);
        let bad = vec![f64::NAN; 30];
        assert!(CompositionVaeParams::default().fit(x.as_ref(), Some(&bad), &mut |_, _, _| {}).is_err());
    }
}
