//! The model registry: one line per family turns an opened model folder into a
//! `Box<dyn Scorer>`. Every folder `recon compress`, `recon fit` and `recon tensor` write loads
//! here; an unknown kind or format version is [`Error::UnknownModel`] naming it.
//!
//! # Example
//!
//! ```
//! use recon::{load_model, Dataset, Fit, PcaParams};
//! # fn main() -> recon::Result<()> {
//! let x = faer::Mat::from_fn(50, 3, |i, j| (i as f64).sin() * (j as f64 + 1.0) + (i * j) as f64 * 0.01);
//! let data = Dataset::from_mat(x);
//! let pca = PcaParams::new().n_components(1).fit(&data)?;
//! let dir = tempfile::tempdir().unwrap();
//! pca.save(dir.path(), &data.columns)?;
//! let model = load_model(dir.path())?;
//! let block = model.scorer.score(data.x.as_ref(), false)?;
//! assert_eq!(block.errors.len(), 50);
//! assert!(model.scorer.threshold().is_none()); // a compression model has no alarm threshold
//! # Ok(())
//! # }
//! ```

use std::path::{Path, PathBuf};

use recon_core::model::{ModelFile, ModelHeader, ModelKind};
use recon_core::{Error, Result, Scorer};
use recon_linear::{MonitorScorer, Pca, PcaMonitor, PcaScorer};
use recon_neural::{AeScorer, Autoencoder, CycleGan, Vae, VaeGan, VaeScorer};
use recon_tensor::SliceModel;

/// A loaded model folder.
pub struct Model {
    /// The folder.
    pub dir: PathBuf,
    /// Its validated header (kind, version, columns, feature recipe).
    pub header: ModelHeader,
    /// The model as the rulers see it.
    pub scorer: Box<dyn Scorer>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model").field("dir", &self.dir).field("header", &self.header).finish_non_exhaustive()
    }
}

impl Model {
    /// The concrete model behind the scorer, when it is a `T` (a VAE's per-entry calls, a PCA
    /// monitor's limits).
    pub fn downcast<T: 'static>(&self) -> Option<&T> {
        self.scorer.as_any().downcast_ref::<T>()
    }
}

type Loader = fn(&mut ModelFile) -> Result<Box<dyn Scorer>>;

/// One line per family: a new family adds its kind to [`ModelKind`] and one line here.
const REGISTRY: &[(ModelKind, Loader)] = &[
    (ModelKind::Pca, load_pca),
    (ModelKind::Autoencoder, |f| {
        let (model, columns) = Autoencoder::from_file(f)?;
        Ok(Box::new(AeScorer { model, columns }))
    }),
    (ModelKind::Vae, |f| {
        let (model, columns) = Vae::from_file(f)?;
        Ok(Box::new(VaeScorer { model, columns }))
    }),
    (ModelKind::Cp, |f| Ok(Box::new(SliceModel::from_file(f)?))),
    (ModelKind::Tucker, |f| Ok(Box::new(SliceModel::from_file(f)?))),
    (ModelKind::CycleGan, |f| {
        let (model, columns) = CycleGan::from_file(f)?;
        Ok(Box::new(recon_core::Named { model, columns }))
    }),
    (ModelKind::VaeGan, |f| {
        let (model, columns) = VaeGan::from_file(f)?;
        Ok(Box::new(recon_core::Named { model, columns }))
    }),
];

/// A `pca` folder is a PCA monitor when its header carries control limits, a compression model otherwise.
fn load_pca(f: &mut ModelFile) -> Result<Box<dyn Scorer>> {
    let (pca, columns, limits) = Pca::from_file(f)?;
    Ok(match limits {
        Some(limits) => Box::new(MonitorScorer { model: PcaMonitor::from_parts(pca, limits, &f.dir)?, columns }),
        None => Box::new(PcaScorer { model: pca, columns }),
    })
}

/// Opens a model folder of any family.
pub fn load_model(dir: &Path) -> Result<Model> {
    let mut file = ModelFile::open(dir)?;
    let kind = file.header.kind;
    let loader = REGISTRY.iter().find(|(k, _)| *k == kind).map(|(_, l)| l).ok_or_else(|| Error::UnknownModel {
        path: dir.to_path_buf(),
        reason: format!("a {kind} model rebuilds images, not table rows; it has no row scorer"),
    })?;
    let scorer = loader(&mut file)?;
    Ok(Model { dir: dir.to_path_buf(), header: file.header, scorer })
}

/// Opens a model folder of any family as a scorer.
pub fn load_scorer(dir: &Path) -> Result<Box<dyn Scorer>> {
    Ok(load_model(dir)?.scorer)
}
