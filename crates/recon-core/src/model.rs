//! Model files: a folder with `model.safetensors` (the arrays, f64) and `model.json` (kind,
//! version, columns and whatever else the family needs). [`ModelFile::open`] reads both files
//! once, checks the kind and version into a typed [`ModelHeader`], and hands the family its own
//! header fields and arrays; a truncated, corrupt or mismatched file is [`Error::BadModel`], an
//! unknown kind or version [`Error::UnknownModel`].
//!
//! # Example
//!
//! ```
//! use recon_core::model::{save_model, Array, ModelFile, ModelKind};
//! # fn main() -> recon_core::Result<()> {
//! let dir = tempfile::tempdir().map_err(|e| recon_core::Error::Plot { reason: e.to_string() })?;
//! let header = serde_json::json!({"kind": "pca", "version": 1, "columns": ["a", "b"]});
//! save_model(dir.path(), &header, &[("mean", Array { shape: vec![2], data: vec![1.0, 2.0] })])?;
//! let mut file = ModelFile::open(dir.path())?;
//! assert_eq!(file.header.kind, ModelKind::Pca);
//! assert_eq!(file.take("mean", &[2])?, vec![1.0, 2.0]);
//! file.finish()?;
//! # Ok(())
//! # }
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use safetensors::{Dtype, SafeTensors};
use serde::{Deserialize, Serialize};

use crate::data::{ensure_dir, write_atomic, write_json, Window};
use crate::{Error, Result};

/// File name of the weights.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// File name of the header.
pub const HEADER_FILE: &str = "model.json";

/// The model families a folder can hold: the `kind` field of `model.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// PCA / truncated SVD (`recon compress`), or a PCA monitor when the header has limits (`recon fit --model pca`).
    Pca,
    /// MLP autoencoder monitor (`recon fit --model ae`).
    Autoencoder,
    /// Variational autoencoder (`recon fit --model vae`).
    Vae,
    /// CP (Kruskal) tensor model (`recon tensor --out`).
    Cp,
    /// Tucker tensor model (`recon tensor --method tucker --out`).
    Tucker,
    /// Per-channel low-rank image (`recon compress IMAGE --out`).
    ImageSvd,
    /// VAE-GAN on flattened images (`recon generate vaegan`).
    VaeGan,
    /// CycleGAN between two image domains (`recon generate cycle`).
    CycleGan,
    /// VAE over element fractions (`recon discover fit --kind composition`).
    CompositionVae,
    /// GRU VAE over token sequences, e.g. SMILES (`recon discover fit --kind smiles`).
    SequenceVae,
}

impl ModelKind {
    /// Every kind, in the order error messages list them.
    pub const ALL: [ModelKind; 10] = [
        ModelKind::Pca,
        ModelKind::Autoencoder,
        ModelKind::Vae,
        ModelKind::Cp,
        ModelKind::Tucker,
        ModelKind::ImageSvd,
        ModelKind::VaeGan,
        ModelKind::CycleGan,
        ModelKind::CompositionVae,
        ModelKind::SequenceVae,
    ];

    /// The name written in `model.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Pca => "pca",
            ModelKind::Autoencoder => "autoencoder",
            ModelKind::Vae => "vae",
            ModelKind::Cp => "cp",
            ModelKind::Tucker => "tucker",
            ModelKind::ImageSvd => "image_svd",
            ModelKind::VaeGan => "vaegan",
            ModelKind::CycleGan => "cyclegan",
            ModelKind::CompositionVae => "composition_vae",
            ModelKind::SequenceVae => "sequence_vae",
        }
    }

    /// The kind named `s`, if any.
    pub fn parse(s: &str) -> Option<ModelKind> {
        ModelKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The format version this build reads and writes.
    pub fn version(self) -> u32 {
        1
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The typed part of `model.json` every family shares, read and validated once.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelHeader {
    /// The family.
    pub kind: ModelKind,
    /// The format version (equal to `kind.version()` once opened).
    pub version: u32,
    /// The model's feature columns, window features included (`speed[t-4]`, `speed[ema-50]`);
    /// empty for models that are not over table columns (images).
    pub columns: Vec<String>,
    /// The raw input columns the features are built from.
    pub inputs: Vec<String>,
    /// How the features are built from the raw columns (lags, moving averages).
    pub window: Window,
}

/// An opened model folder: its header, the rest of `model.json` and the arrays, handed to the
/// family's loader.
#[derive(Debug)]
pub struct ModelFile {
    /// The folder.
    pub dir: PathBuf,
    /// The shared, validated header.
    pub header: ModelHeader,
    json: serde_json::Value,
    arrays: BTreeMap<String, Array>,
}

/// One stored array: its shape and its values in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    /// Shape (row-major).
    pub shape: Vec<usize>,
    /// Values, row-major.
    pub data: Vec<f64>,
}

/// The field of `model.json` that holds the checksum.
pub const CHECKSUM_FIELD: &str = "sha256";

/// SHA-256 of the weights followed by the compact JSON of the header without its checksum
/// field: one flipped bit in either file changes it.
fn checksum(weights: &[u8], header: &serde_json::Value) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(weights);
    h.update(serde_json::to_vec(header)?);
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Sets the header's [`CHECKSUM_FIELD`] to the checksum of `weights` and the rest of the header.
fn seal(header: &mut serde_json::Value, weights: &[u8]) -> Result<()> {
    let Some(object) = header.as_object_mut() else {
        return Err(Error::invalid("model header", "not a JSON object"));
    };
    object.remove(CHECKSUM_FIELD);
    let sum = checksum(weights, header)?;
    if let Some(object) = header.as_object_mut() {
        object.insert(CHECKSUM_FIELD.into(), sum.into());
    }
    Ok(())
}

/// Writes `header` and `arrays` into `dir` (each file atomically); `model.json` gets a
/// [`CHECKSUM_FIELD`] over both files, which [`ModelFile::open`] verifies. Refuses non-finite
/// values: a model that cannot be loaded back is not saved.
pub fn save_model<H: serde::Serialize, N: AsRef<str>>(dir: &Path, header: &H, arrays: &[(N, Array)]) -> Result<()> {
    let mut header = serde_json::to_value(header)?;
    for (name, a) in arrays {
        if a.data.iter().any(|v| !v.is_finite()) {
            return Err(Error::Degenerate {
                what: "model".into(),
                reason: format!("array '{}' holds non-finite values: the fit failed, nothing was saved", name.as_ref()),
            });
        }
    }
    ensure_dir(dir)?;
    let bytes: Vec<Vec<u8>> =
        arrays.iter().map(|(_, a)| a.data.iter().flat_map(|v| v.to_le_bytes()).collect()).collect();
    let views = arrays
        .iter()
        .zip(&bytes)
        .map(|((name, a), b)| {
            let view = safetensors::tensor::TensorView::new(Dtype::F64, a.shape.clone(), b)
                .map_err(|e| Error::invalid("model array", format!("{}: {e}", name.as_ref())))?;
            Ok((name.as_ref().to_string(), view))
        })
        .collect::<Result<Vec<_>>>()?;
    let buf = safetensors::serialize(views, None).map_err(|e| Error::invalid("model arrays", e.to_string()))?;
    seal(&mut header, &buf)?;
    write_atomic(&dir.join(WEIGHTS_FILE), &buf)?;
    write_json(&dir.join(HEADER_FILE), &header)
}

/// Recomputes the checksum of a model folder whose `model.json` was edited on purpose (a
/// threshold set by hand, a header written by another tool), so that it loads again. Loading
/// still validates every field.
pub fn reseal(dir: &Path) -> Result<()> {
    let mut json = read_json(dir)?;
    let buf = std::fs::read(dir.join(WEIGHTS_FILE))
        .map_err(|e| Error::BadModel { path: dir.to_path_buf(), reason: format!("{WEIGHTS_FILE}: {e}") })?;
    seal(&mut json, &buf)?;
    write_json(&dir.join(HEADER_FILE), &json)
}

fn read_json(dir: &Path) -> Result<serde_json::Value> {
    let bad = |reason: String| Error::BadModel { path: dir.to_path_buf(), reason };
    if !dir.is_dir() || !dir.join(HEADER_FILE).exists() {
        return Err(bad(format!("not a model folder (expected {HEADER_FILE} and {WEIGHTS_FILE} inside)")));
    }
    let text = std::fs::read(dir.join(HEADER_FILE)).map_err(|e| bad(format!("{HEADER_FILE}: {e}")))?;
    serde_json::from_slice(&text).map_err(|e| bad(format!("{HEADER_FILE}: {e}")))
}

fn parse_header(dir: &Path, json: &serde_json::Value) -> Result<ModelHeader> {
    let bad = |reason: String| Error::BadModel { path: dir.to_path_buf(), reason };
    let kind_name =
        json.get("kind").and_then(|k| k.as_str()).ok_or_else(|| bad(format!("{HEADER_FILE} has no \"kind\" field")))?;
    let known = || ModelKind::ALL.map(|k| k.as_str()).join(", ");
    let kind = ModelKind::parse(kind_name).ok_or_else(|| Error::UnknownModel {
        path: dir.to_path_buf(),
        reason: format!("unknown model kind '{kind_name}' (this build reads {})", known()),
    })?;
    let version = json.get("version").and_then(|v| v.as_u64()).ok_or_else(|| bad("no \"version\" field".into()))?;
    if version != u64::from(kind.version()) {
        return Err(Error::UnknownModel {
            path: dir.to_path_buf(),
            reason: format!(
                "{kind} model format version {version} is not supported (this build reads version {})",
                kind.version()
            ),
        });
    }
    let columns: Vec<String> = match json.get("columns") {
        None => Vec::new(),
        Some(c) => serde_json::from_value(c.clone()).map_err(|e| bad(format!("columns: {e}")))?,
    };
    let (inputs, window) = if columns.is_empty() {
        (Vec::new(), Window::none())
    } else {
        Window::parse(&columns).map_err(|e| bad(e.to_string()))?
    };
    Ok(ModelHeader { kind, version: version as u32, columns, inputs, window })
}

impl ModelFile {
    /// Reads `model.json` and `model.safetensors` from `dir` and validates the shared header.
    pub fn open(dir: &Path) -> Result<ModelFile> {
        let json = read_json(dir)?;
        let header = parse_header(dir, &json)?;
        let bad = |reason: String| Error::BadModel { path: dir.to_path_buf(), reason };
        let buf = std::fs::read(dir.join(WEIGHTS_FILE)).map_err(|e| bad(format!("{WEIGHTS_FILE}: {e}")))?;
        let st =
            SafeTensors::deserialize(&buf).map_err(|e| bad(format!("{WEIGHTS_FILE} is corrupt or truncated ({e})")))?;
        let mut bare = json.clone();
        let stored = bare.as_object_mut().and_then(|o| o.remove(CHECKSUM_FIELD));
        let Some(stored) = stored.as_ref().and_then(|s| s.as_str()) else {
            return Err(bad(format!(
                "{HEADER_FILE} has no \"{CHECKSUM_FIELD}\" checksum (written by an older recon?); fit the model again"
            )));
        };
        if checksum(&buf, &bare)? != stored {
            return Err(bad(format!(
                "{HEADER_FILE} or {WEIGHTS_FILE} changed since they were written (checksum mismatch): the files are corrupt or were edited"
            )));
        }
        let mut arrays = BTreeMap::new();
        for (name, view) in st.tensors() {
            if view.dtype() != Dtype::F64 {
                return Err(bad(format!("array '{name}' has dtype {:?}, expected F64", view.dtype())));
            }
            let data =
                view.data().chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect();
            arrays.insert(name, Array { shape: view.shape().to_vec(), data });
        }
        Ok(ModelFile { dir: dir.to_path_buf(), header, json, arrays })
    }

    /// A [`Error::BadModel`] for this folder.
    pub fn bad(&self, reason: impl Into<String>) -> Error {
        Error::BadModel { path: self.dir.clone(), reason: reason.into() }
    }

    /// Requires the folder to hold a model of `kind`.
    pub fn expect_kind(&self, kind: ModelKind) -> Result<()> {
        if self.header.kind != kind {
            return Err(self.bad(format!("kind '{}' is not '{kind}'", self.header.kind)));
        }
        Ok(())
    }

    /// The family's own view of `model.json`.
    pub fn fields<H: serde::de::DeserializeOwned>(&self) -> Result<H> {
        H::deserialize(&self.json).map_err(|e| self.bad(format!("{HEADER_FILE}: {e}")))
    }

    /// Takes array `name`, checking its shape and that every value is finite.
    pub fn take(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f64>> {
        let a = self.arrays.remove(name).ok_or_else(|| self.bad(format!("array '{name}' is missing")))?;
        if a.shape != shape {
            return Err(self.bad(format!("array '{name}' has shape {:?}, the header says {shape:?}", a.shape)));
        }
        if a.data.iter().any(|v| !v.is_finite()) {
            return Err(self.bad(format!("array '{name}' holds non-finite values")));
        }
        Ok(a.data)
    }

    /// The shape of array `name`, if the folder holds it.
    pub fn shape(&self, name: &str) -> Option<&[usize]> {
        self.arrays.get(name).map(|a| a.shape.as_slice())
    }

    /// Requires every array to have been taken (an extra one means the header and the weights
    /// disagree).
    pub fn finish(&self) -> Result<()> {
        match self.arrays.keys().next() {
            Some(extra) => Err(self.bad(format!("unexpected array '{extra}' (the header does not describe it)"))),
            None => Ok(()),
        }
    }
}
