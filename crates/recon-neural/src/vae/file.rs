//! The VAE model folder: `model.json` (likelihood, widths, training log) and the weights.

use std::path::Path;

use recon_core::model::{save_model, Array, ModelFile, ModelKind};
use serde::{Deserialize, Serialize};

use super::{layer_sizes, Vae};
use crate::error::{invalid, Result};
use crate::likelihood::Likelihood;
use crate::mlp::{Activation, Mlp};
use crate::train::TrainingLog;

#[derive(Serialize, Deserialize)]
struct Header {
    kind: String,
    version: u32,
    columns: Vec<String>,
    likelihood: Likelihood,
    hidden: Vec<usize>,
    latent: usize,
    activation: Activation,
    seed: u64,
    training: TrainingLog,
}

impl Vae {
    /// Writes `model.safetensors` + `model.json` into `dir`.
    pub fn save(&self, dir: &Path, columns: &[String]) -> Result<()> {
        if columns.len() != self.n_features() {
            return Err(invalid("columns", format!("{} names for {} features", columns.len(), self.n_features())));
        }
        let header = Header {
            kind: ModelKind::Vae.as_str().into(),
            version: ModelKind::Vae.version(),
            columns: columns.to_vec(),
            likelihood: self.likelihood,
            hidden: self.hidden.clone(),
            latent: self.latent,
            activation: self.encoder.activation,
            seed: self.seed,
            training: self.log.clone(),
        };
        let d = self.n_features();
        let f = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<f64>>();
        let mut arrays = self.scaler.arrays();
        arrays.push(("extra".to_string(), Array { shape: vec![d], data: f(&self.extra) }));
        arrays
            .push(("reference".to_string(), Array { shape: vec![self.reference.len()], data: self.reference.clone() }));
        self.encoder.push_arrays("encoder", &mut arrays);
        self.decoder.push_arrays("decoder", &mut arrays);
        save_model(dir, &header, &arrays)
    }

    /// Loads a model written by [`Vae::save`]; returns it with its column names.
    pub fn load(dir: &Path) -> Result<(Vae, Vec<String>)> {
        Self::from_file(&mut ModelFile::open(dir)?)
    }

    /// Builds the model from an opened model folder (the registry's entry point).
    pub fn from_file(file: &mut ModelFile) -> Result<(Vae, Vec<String>)> {
        file.expect_kind(ModelKind::Vae)?;
        let h: Header = file.fields()?;
        let d = h.columns.len();
        if d < 2 || h.latent == 0 || h.latent >= d || h.hidden.contains(&0) {
            return Err(file.bad("inconsistent header"));
        }
        let scaler = recon_core::Scaler::take_from(file, d, Vec::new())?;
        let extra: Vec<f32> = file.take("extra", &[d])?.iter().map(|&v| v as f32).collect();
        let n_ref = file.shape("reference").and_then(|s| s.first().copied()).unwrap_or(0);
        let reference = file.take("reference", &[n_ref])?;
        if reference.is_empty() || reference.windows(2).any(|w| !(w[0] <= w[1])) {
            return Err(file.bad("array 'reference' must hold sorted held-out scores"));
        }
        let (enc_sizes, dec_sizes) = layer_sizes(h.likelihood, d, &h.hidden, h.latent);
        let encoder = Mlp::take_arrays(file, "encoder", &enc_sizes, h.activation)?;
        let decoder = Mlp::take_arrays(file, "decoder", &dec_sizes, h.activation)?;
        file.finish()?;
        let vae = Vae {
            likelihood: h.likelihood,
            hidden: h.hidden,
            latent: h.latent,
            encoder,
            decoder,
            extra,
            scaler,
            reference,
            log: h.training,
            seed: h.seed,
        };
        Ok((vae, h.columns))
    }
}
