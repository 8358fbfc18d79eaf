//! Training: the burn module, the per-entry log-likelihood tensors (with a differentiable
//! log-gamma so autodiff gives digamma gradients), and the trainee the shared loop drives.

use burn::module::{Module, Param};
use burn::tensor::{Tensor, TensorData};
use faer::Mat;
use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use recon_core::ruler::reference_scores;
use recon_core::{Dataset, Scaler};

use super::{layer_sizes, Vae, VaeParams};
use crate::error::Result;
use crate::likelihood::log_lik_t;
use crate::mlp::{Activation, Mlp, Net};
use crate::train::{train, Optimised, Trainee, TrainingLog};

/// The burn module trained: encoder, decoder and the per-feature parameter.
#[derive(Module, Debug)]
struct VaeNet {
    enc: Net,
    dec: Net,
    extra: Param<Tensor<1>>,
}

impl VaeParams {
    /// Trains on `data` (samples × features); `on_epoch(epoch, train_loss, val_loss)` after each
    /// epoch (negative ELBO per sample, constants of the count likelihoods left out while
    /// training; the validation loss is exact).
    pub fn fit_with(&self, data: &Dataset, mut on_epoch: impl FnMut(usize, f64, f64)) -> Result<Vae> {
        let x = data.x.as_ref();
        let (n, d) = (x.nrows(), x.ncols());
        self.check(n, d)?;
        let lik = self.likelihood;
        lik.check_data(x, &data.columns)?;
        let scaler = if lik.standardises() {
            let s = Scaler::standardise(x);
            if s.constant.len() == d {
                return Err(recon_core::Error::ZeroVariance);
            }
            s
        } else {
            Scaler::identity(d)
        };
        let mut vae = Vae {
            likelihood: lik,
            hidden: self.hidden.clone(),
            latent: self.latent,
            encoder: Mlp { layers: Vec::new(), activation: self.activation },
            decoder: Mlp { layers: Vec::new(), activation: self.activation },
            extra: vec![0.0; d],
            scaler,
            reference: Vec::new(),
            log: TrainingLog::default(),
            seed: self.train.seed,
        };
        // Encoder input (f32, row-major), decoder targets and library sizes.
        let input = vae.encoder_input(x);
        let target: Vec<f32> =
            (0..n).flat_map(|i| (0..d).map(move |j| (i, j))).map(|(i, j)| vae.target(x, i, j)).collect();
        let lib: Vec<f32> = (0..n).map(|i| x.row(i).iter().sum::<f64>() as f32).collect();

        let mut rng = StdRng::seed_from_u64(self.train.seed);
        // Held-out rows: half decide early stopping, the other half — never used to choose the
        // model — are the reference the sample p-values are computed against (a calibration
        // set used for selection would make fresh samples look abnormal too often).
        let (val_rows, train_rows) = self.train.split(n, 2, &mut rng);
        let n_val = val_rows.len();
        let n_stop = n_val / 2;
        let val_x = Mat::from_fn(n_stop, d, |i, j| x[(val_rows[i], j)]);
        let ref_x = Mat::from_fn(n_val - n_stop, d, |i, j| x[(val_rows[n_stop + i], j)]);

        let (enc_sizes, dec_sizes) = layer_sizes(lik, d, &self.hidden, self.latent);
        vae.encoder = Mlp::init(&enc_sizes, self.activation, &mut rng);
        vae.decoder = Mlp::init(&dec_sizes, self.activation, &mut rng);
        let device = self.train.backend.autodiff_device();
        let net = VaeNet {
            enc: Net::from_mlp(&vae.encoder, &device),
            dec: Net::from_mlp(&vae.decoder, &device),
            extra: Param::from_tensor(Tensor::from_data(TensorData::new(vae.extra.clone(), [d]), &device)),
        };
        let mut trainee = VaeTrainee {
            net: Optimised::adam(net, self.train.learning_rate, device),
            input: &input,
            target: &target,
            lib: &lib,
            d,
            activation: self.activation,
            kl_warmup: self.kl_warmup,
            val_x: &val_x,
            current: vae,
        };
        let (mut vae, log) =
            train(&self.train, &mut trainee, train_rows, n_val, self.kl_warmup, &mut rng, &mut on_epoch)?;
        vae.reference = reference_scores(&vae.evaluate_checked(ref_x.as_ref()).nll)?;
        vae.log = log;
        Ok(vae)
    }
}

/// The VAE as the training loop sees it: encoder and decoder in one module, one Adam optimiser,
/// the negative ELBO with a reparameterised sample and a linearly warmed-up KL weight.
struct VaeTrainee<'a> {
    net: Optimised<VaeNet>,
    input: &'a [f32],
    target: &'a [f32],
    lib: &'a [f32],
    d: usize,
    activation: Activation,
    kl_warmup: usize,
    val_x: &'a Mat<f64>,
    /// The model with the weights of the last validation.
    current: Vae,
}

impl Trainee for VaeTrainee<'_> {
    type Snapshot = Vae;

    fn step(&mut self, batch: &[usize], epoch: usize, rng: &mut StdRng) -> Result<f64> {
        let (b, d, k) = (batch.len(), self.d, self.current.latent);
        let lik = self.current.likelihood;
        let beta = if self.kl_warmup == 0 { 1.0 } else { (epoch as f32 / self.kl_warmup as f32).min(1.0) };
        let xin = self.net.rows(self.input, d, batch);
        let xt = self.net.rows(self.target, d, batch);
        let lt = self.net.rows(self.lib, 1, batch);
        let eps: Vec<f32> = (0..b * k).map(|_| StandardNormal.sample(rng)).collect();
        let eps = self.net.tensor(eps, [b, k]);
        let (activation, d) = (self.activation, self.d);
        Ok(self.net.descend(|net| {
            let h = net.enc.forward(xin, activation, None);
            let (m, lv) = (h.clone().narrow(1, 0, k), h.narrow(1, k, k).clamp(-15.0, 15.0));
            let z = m.clone() + (lv.clone().mul_scalar(0.5)).exp() * eps;
            let out = net.dec.forward(z, activation, None);
            let ll = log_lik_t(lik, xt, out, net.extra.val(), lt, d);
            (ll.sum_dim(1).neg() + crate::losses::kl_rows(m, lv).mul_scalar(beta)).mean()
        }))
    }

    fn validate(&mut self) -> Result<f64> {
        let net = self.net.module();
        self.current.encoder = net.enc.to_mlp(self.activation);
        self.current.decoder = net.dec.to_mlp(self.activation);
        self.current.extra = net.extra.val().into_data().try_into_vec::<f32>().expect("f32 parameters");
        let ev = self.current.evaluate_checked(self.val_x.as_ref());
        Ok(ev.neg_elbo().iter().sum::<f64>() / self.val_x.nrows() as f64)
    }

    fn snapshot(&mut self) -> Vae {
        self.current.clone()
    }

    fn restart(&mut self, snapshot: &Vae, factor: f64) {
        let device = self.net.device.clone();
        let net = VaeNet {
            enc: Net::from_mlp(&snapshot.encoder, &device),
            dec: Net::from_mlp(&snapshot.decoder, &device),
            extra: Param::from_tensor(Tensor::from_data(TensorData::new(snapshot.extra.clone(), [self.d]), &device)),
        };
        self.net.restart(net, factor);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::likelihood::{
        bernoulli_log_prob, gaussian_log_prob, lgamma_t, nb_log_prob, poisson_log_prob, zinb_log_prob, Likelihood,
    };
    use burn::tensor::Device;

    /// The f64 log-likelihood of a whole table from raw decoder outputs (what the tensor loss
    /// computes, constants included), for finite differences.
    fn scalar_log_lik(lik: Likelihood, x: &[f64], out: &[f64], extra: &[f64], rows: usize, d: usize) -> f64 {
        let mut total = 0.0;
        let w = out.len() / rows;
        for i in 0..rows {
            let o = &out[i * w..(i + 1) * w];
            let lib: f64 = x[i * d..(i + 1) * d].iter().sum();
            let top = o[..d].iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let norm: f64 = o[..d].iter().map(|l| (l - top).exp()).sum();
            for j in 0..d {
                let k = x[i * d + j];
                let mu = lib * (o[j] - top).exp() / norm + 1e-8;
                total += match lik {
                    Likelihood::Gaussian => gaussian_log_prob(k, o[j], extra[j]),
                    Likelihood::Bernoulli => bernoulli_log_prob(k, o[j]),
                    Likelihood::Poisson => poisson_log_prob(k, mu),
                    Likelihood::Nb => nb_log_prob(k, mu, extra[j].exp()),
                    Likelihood::Zinb => zinb_log_prob(k, mu, extra[j].exp(), o[d + j]),
                };
            }
        }
        total
    }

    /// Autodiff gradients of the training loss equal central finite differences of the exact
    /// f64 log-likelihood (constants dropped in training do not move gradients), for every
    /// likelihood, with respect to the decoder outputs and the per-feature parameter.
    #[test]
    fn likelihood_gradients_match_finite_differences() {
        let (rows, d) = (3, 4);
        let device = Device::flex().autodiff();
        let counts = [0.0, 3.0, 12.0, 1.0, 5.0, 0.0, 0.0, 40.0, 2.0, 2.0, 7.0, 0.0];
        let unit = [0.0, 1.0, 1.0, 0.0, 0.3, 0.0, 1.0, 0.9, 1.0, 0.2, 0.0, 1.0];
        let real = [0.3, -1.2, 2.0, 0.1, -0.4, 0.8, 1.5, -2.2, 0.0, 0.6, -0.9, 1.1];
        for lik in [Likelihood::Gaussian, Likelihood::Bernoulli, Likelihood::Poisson, Likelihood::Nb, Likelihood::Zinb]
        {
            let x: &[f64] = match lik {
                Likelihood::Gaussian => &real,
                Likelihood::Bernoulli => &unit,
                _ => &counts,
            };
            let w = if lik == Likelihood::Zinb { 2 * d } else { d };
            let out: Vec<f64> = (0..rows * w).map(|t| ((t * 7 % 11) as f64 - 5.0) / 4.0).collect();
            let extra: Vec<f64> = (0..d).map(|j| 0.5 * j as f64 - 0.7).collect();
            let f32s = |v: &[f64]| v.iter().map(|&a| a as f32).collect::<Vec<f32>>();
            let xt: Tensor<2> = Tensor::from_data(TensorData::new(f32s(x), [rows, d]), &device);
            let ot: Tensor<2> = Tensor::from_data(TensorData::new(f32s(&out), [rows, w]), &device).require_grad();
            let et: Tensor<1> = Tensor::from_data(TensorData::new(f32s(&extra), [d]), &device).require_grad();
            let lib: Vec<f32> = (0..rows).map(|i| x[i * d..(i + 1) * d].iter().sum::<f64>() as f32).collect();
            let lt: Tensor<2> = Tensor::from_data(TensorData::new(lib, [rows, 1]), &device);
            let total = log_lik_t(lik, xt, ot.clone(), et.clone(), lt, d).sum();
            let grads = total.backward();
            let go = ot.grad(&grads).unwrap().into_data().try_into_vec::<f32>().unwrap();
            let h = 1e-5;
            for t in 0..out.len() {
                let (mut up, mut down) = (out.clone(), out.clone());
                up[t] += h;
                down[t] -= h;
                let fd = (scalar_log_lik(lik, x, &up, &extra, rows, d)
                    - scalar_log_lik(lik, x, &down, &extra, rows, d))
                    / (2.0 * h);
                assert!(
                    (f64::from(go[t]) - fd).abs() <= 2e-3 * fd.abs().max(1.0),
                    "{lik:?} d/d out[{t}]: {} vs {fd}",
                    go[t]
                );
            }
            if matches!(lik, Likelihood::Gaussian | Likelihood::Nb | Likelihood::Zinb) {
                let ge = et.grad(&grads).unwrap().into_data().try_into_vec::<f32>().unwrap();
                for j in 0..d {
                    let (mut up, mut down) = (extra.clone(), extra.clone());
                    up[j] += h;
                    down[j] -= h;
                    let fd = (scalar_log_lik(lik, x, &out, &up, rows, d)
                        - scalar_log_lik(lik, x, &out, &down, rows, d))
                        / (2.0 * h);
                    assert!(
                        (f64::from(ge[j]) - fd).abs() <= 2e-3 * fd.abs().max(1.0),
                        "{lik:?} d/d extra[{j}]: {} vs {fd}",
                        ge[j]
                    );
                }
            }
        }
    }

    #[test]
    fn tensor_lgamma_matches_statrs() {
        let device = Device::flex();
        let xs: Vec<f32> = vec![0.05, 0.5, 1.0, 2.5, 7.0, 33.3, 1000.0, 25000.0];
        let t: Tensor<2> = Tensor::from_data(TensorData::new(xs.clone(), [1, xs.len()]), &device);
        let got = lgamma_t(t).into_data().try_into_vec::<f32>().unwrap();
        for (x, g) in xs.iter().zip(got) {
            let want = statrs::function::gamma::ln_gamma(f64::from(*x));
            assert!((f64::from(g) - want).abs() <= 2e-5 * want.abs().max(1.0), "lgamma({x}) = {g} vs {want}");
        }
    }
}
