//! Model files: a folder with `model.safetensors` (the arrays, f64) and `model.json` (kind,
//! version, columns and whatever else the model needs). Loading validates both files and reports
//! a truncated or mismatched file as [`Error::BadModel`].

use std::collections::BTreeMap;
use std::path::Path;

use safetensors::{Dtype, SafeTensors};

use crate::data::{ensure_dir, write_atomic, write_json};
use crate::{Error, Result};

/// File name of the weights.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// File name of the header.
pub const HEADER_FILE: &str = "model.json";

/// One stored array: its shape and its values in row-major order.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    /// Shape (row-major).
    pub shape: Vec<usize>,
    /// Values, row-major.
    pub data: Vec<f64>,
}

/// Writes `header` and `arrays` into `dir` (each file atomically).
pub fn save_model<H: serde::Serialize>(dir: &Path, header: &H, arrays: &[(&str, Array)]) -> Result<()> {
    ensure_dir(dir)?;
    let bytes: Vec<Vec<u8>> =
        arrays.iter().map(|(_, a)| a.data.iter().flat_map(|v| v.to_le_bytes()).collect()).collect();
    let views = arrays
        .iter()
        .zip(&bytes)
        .map(|((name, a), b)| {
            let view = safetensors::tensor::TensorView::new(Dtype::F64, a.shape.clone(), b)
                .map_err(|e| Error::invalid("model array", format!("{name}: {e}")))?;
            Ok((name.to_string(), view))
        })
        .collect::<Result<Vec<_>>>()?;
    let buf = safetensors::serialize(views, None).map_err(|e| Error::invalid("model arrays", e.to_string()))?;
    write_atomic(&dir.join(WEIGHTS_FILE), &buf)?;
    write_json(&dir.join(HEADER_FILE), header)
}

/// Reads a model folder: the parsed header and every array by name.
pub fn load_model<H: serde::de::DeserializeOwned>(dir: &Path) -> Result<(H, BTreeMap<String, Array>)> {
    let bad = |reason: String| Error::BadModel { path: dir.to_path_buf(), reason };
    if !dir.is_dir() {
        return Err(bad("not a model folder (expected model.json and model.safetensors inside)".into()));
    }
    let read = |name: &str| std::fs::read(dir.join(name)).map_err(|e| bad(format!("{name}: {e}")));
    let header: H = serde_json::from_slice(&read(HEADER_FILE)?).map_err(|e| bad(format!("{HEADER_FILE}: {e}")))?;
    let buf = read(WEIGHTS_FILE)?;
    let st =
        SafeTensors::deserialize(&buf).map_err(|e| bad(format!("{WEIGHTS_FILE} is corrupt or truncated ({e})")))?;
    let mut arrays = BTreeMap::new();
    for (name, view) in st.tensors() {
        if view.dtype() != Dtype::F64 {
            return Err(bad(format!("array '{name}' has dtype {:?}, expected F64", view.dtype())));
        }
        let data = view.data().chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect();
        arrays.insert(name, Array { shape: view.shape().to_vec(), data });
    }
    Ok((header, arrays))
}

/// Takes array `name` from `arrays`, checking its shape.
pub fn take_array(dir: &Path, arrays: &mut BTreeMap<String, Array>, name: &str, shape: &[usize]) -> Result<Vec<f64>> {
    let a = arrays
        .remove(name)
        .ok_or_else(|| Error::BadModel { path: dir.to_path_buf(), reason: format!("array '{name}' is missing") })?;
    if a.shape != shape {
        return Err(Error::BadModel {
            path: dir.to_path_buf(),
            reason: format!("array '{name}' has shape {:?}, the header says {shape:?}", a.shape),
        });
    }
    if a.data.iter().any(|v| !v.is_finite()) {
        return Err(Error::BadModel {
            path: dir.to_path_buf(),
            reason: format!("array '{name}' holds non-finite values"),
        });
    }
    Ok(a.data)
}

/// The `kind` field of a model folder's header, so a caller can pick the right loader.
pub fn model_kind(dir: &Path) -> Result<String> {
    #[derive(serde::Deserialize)]
    struct Kind {
        kind: String,
    }
    let bad = |reason: String| Error::BadModel { path: dir.to_path_buf(), reason };
    if !dir.is_dir() {
        return Err(bad("not a model folder (expected model.json and model.safetensors inside)".into()));
    }
    let text = std::fs::read(dir.join(HEADER_FILE)).map_err(|e| bad(format!("{HEADER_FILE}: {e}")))?;
    let k: Kind = serde_json::from_slice(&text).map_err(|e| bad(format!("{HEADER_FILE}: {e}")))?;
    Ok(k.kind)
}
