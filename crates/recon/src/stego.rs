//! `recon stego`: does a cycle model hide its input in its translations? (Chu, Zhmoginov &
//! Sandler 2017: a CycleGAN can satisfy its cycle loss by encoding x in G(x) as a near-invisible
//! signal that F decodes, instead of translating.)
//!
//! The probe takes X images and their true translations y (aligned row by row, e.g. the test
//! pair of `recon simulate domains`) and measures:
//! - the decisive comparison: how well F rebuilds x from the model's own translation,
//!   `rebuild = ‖F(G(x)) − x‖²/‖x‖²`, against from the true translation,
//!   `rebuild_true = ‖F(y) − x‖²/‖x‖²`. The true y is all the content a translation should
//!   carry; when F does much better from G(x), it reads something G hid there. The verdict
//!   ([`recon_core::ruler::stego_verdict`]) fires when `rebuild_true / rebuild` exceeds the
//!   threshold (default 2);
//! - `translation_error = ‖G(x) − y‖²/‖y‖²`: small with a firing verdict means the code hides
//!   in translations that look right; large means the model does not translate at all;
//! - F's sensitivity at G(x) against at real y, to seeded Gaussian noise (σ 0.02):
//!   `E‖F(v + ε) − F(v)‖² / E‖ε‖²`, and to a 3 × 3 binomial blur:
//!   `‖F(LP v) − F(v)‖² / ‖LP v − v‖²`, with `rebuild_lowpass = ‖F(LP G(x)) − x‖²/‖x‖²`;
//! - `hf_ratio`: the share of spectral energy in the top radial band of G(x) over that of y.
//!
//! The sensitivity and spectrum numbers are reported, not used in the verdict: on the 8 × 8
//! digits they did not separate cheating from honest models (a decoder of a hidden code is a
//! global map, as sensitive at real y as at G(x)), while the rebuild comparison did.

use std::path::Path;

use faer::{Mat, MatRef};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use recon_core::data::{load_table, LoadOptions};
use recon_core::model::ModelFile;
use recon_core::ruler::{stego_verdict, StegoVerdict};
use recon_core::{Error, Result};
use recon_neural::CycleGan;
use serde::Serialize;

/// What `recon stego` reports.
#[derive(Debug, Clone, Serialize)]
pub struct StegoReport {
    pub model: String,
    pub x: String,
    pub y: String,
    pub images: usize,
    pub shape: [usize; 2],
    /// `‖F(G(x)) − x‖²/‖x‖²`.
    pub rebuild: f64,
    /// `‖F(y) − x‖²/‖x‖²` with y the true translation.
    pub rebuild_true: f64,
    /// `‖F(LP G(x)) − x‖²/‖x‖²` (3 × 3 blur).
    pub rebuild_lowpass: f64,
    /// `‖G(x) − y‖²/‖y‖²`.
    pub translation_error: f64,
    /// Sensitivity of F to noise at G(x) and at y.
    pub noise_gain: [f64; 2],
    /// Sensitivity of F to a blur at G(x) and at y.
    pub lowpass_gain: [f64; 2],
    /// High-frequency share of G(x) over that of y.
    pub hf_ratio: f64,
    #[serde(flatten)]
    pub verdict: StegoVerdict,
}

fn blur(v: &Mat<f64>, [h, w]: [usize; 2]) -> Mat<f64> {
    let k = [0.25, 0.5, 0.25];
    Mat::from_fn(v.nrows(), v.ncols(), |r, p| {
        let (i, j) = (p / w, p % w);
        let mut s = 0.0;
        for (a, ka) in k.iter().enumerate() {
            for (b, kb) in k.iter().enumerate() {
                let ii = (i + a).saturating_sub(1).min(h - 1);
                let jj = (j + b).saturating_sub(1).min(w - 1);
                s += ka * kb * v[(r, ii * w + jj)];
            }
        }
        s
    })
}

/// Probes the cycle model in `model_dir` with the X images of `x` and their true translations
/// `y` (aligned row by row); `shape` defaults to square images.
pub fn stego(
    model_dir: &Path,
    x: &Path,
    y: &Path,
    shape: Option<[usize; 2]>,
    threshold: f64,
    seed: u64,
) -> Result<StegoReport> {
    let (model, columns) = CycleGan::from_file(&mut ModelFile::open(model_dir)?)?;
    let read = |p: &Path| -> Result<Mat<f64>> {
        let t = load_table(p, &LoadOptions { columns: Some(columns.clone()), ..Default::default() })?.dataset;
        Ok(t.x)
    };
    let (xs, ys) = (read(x)?, read(y)?);
    let shape = crate::bottleneck::table_shape(columns.len(), shape, &model_dir.display().to_string())?;
    if xs.nrows() != ys.nrows() {
        return Err(Error::invalid_data(
            y.display().to_string(),
            format!(
                "{} rows for {} X images: --y must hold the true translations of the X rows, aligned row by row",
                ys.nrows(),
                xs.nrows()
            ),
        ));
    }
    let mut r = probe(&model, xs.as_ref(), ys.as_ref(), shape, threshold, seed)?;
    r.model = model_dir.display().to_string();
    r.x = x.display().to_string();
    r.y = y.display().to_string();
    Ok(r)
}

/// The probe on a model in memory: X images `xs` and their true translations `ys` (aligned row
/// by row) of `shape`. The report's file names are left empty.
pub fn probe(
    model: &CycleGan,
    xs: MatRef<'_, f64>,
    ys: MatRef<'_, f64>,
    shape: [usize; 2],
    threshold: f64,
    seed: u64,
) -> Result<StegoReport> {
    if xs.nrows() != ys.nrows() || xs.ncols() != ys.ncols() || shape[0] * shape[1] != xs.ncols() {
        return Err(Error::invalid(
            "images",
            format!(
                "X is {} × {}, Y {} × {}, images {}×{}: the pair must be aligned and of the model's shape",
                xs.nrows(),
                xs.ncols(),
                ys.nrows(),
                ys.ncols(),
                shape[0],
                shape[1]
            ),
        ));
    }
    if xs.nrows() < 2 {
        return Err(Error::invalid("images", "at least two aligned pairs"));
    }
    let (xs, ys) = (xs.to_owned(), ys.to_owned());
    let sq = |m: &Mat<f64>| recon_core::squared_norm(m.as_ref());
    if !(sq(&xs) > 0.0 && sq(&ys) > 0.0) {
        return Err(Error::invalid("images", "every X or every Y image is blank"));
    }
    let gx = model.translate(xs.as_ref())?;
    let f = |v: &Mat<f64>| model.translate_back(v.as_ref());
    let rel = |a: &Mat<f64>, b: &Mat<f64>| sq(&(a - b)) / sq(b);
    // F at the translations, at the true images and at their blurs, each computed once.
    let (fgx, fy) = (f(&gx)?, f(&ys)?);
    let (lp_gx, lp_y) = (blur(&gx, shape), blur(&ys, shape));
    let f_lp_gx = f(&lp_gx)?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let normal = Normal::new(0.0, 0.02).map_err(|e| Error::invalid("noise", e.to_string()))?;
    let mut noise_gain = |v: &Mat<f64>, fv: &Mat<f64>| -> Result<f64> {
        let eps = Mat::from_fn(v.nrows(), v.ncols(), |_, _| normal.sample(&mut rng));
        Ok(sq(&(f(&(v + &eps))? - fv)) / sq(&eps))
    };
    let noise_gain = [noise_gain(&gx, &fgx)?, noise_gain(&ys, &fy)?];
    let lowpass_gain = |v: &Mat<f64>, lp: &Mat<f64>, fv: &Mat<f64>, flp: &Mat<f64>| {
        let moved = sq(&(lp - v));
        if moved > 0.0 {
            sq(&(flp - fv)) / moved
        } else {
            0.0
        }
    };
    let lowpass_gain = [lowpass_gain(&gx, &lp_gx, &fgx, &f_lp_gx), lowpass_gain(&ys, &lp_y, &fy, &f(&lp_y)?)];
    let hf_y = crate::generate::hf_share(&ys, shape);
    let rebuild = rel(&fgx, &xs);
    let rebuild_true = rel(&fy, &xs);
    Ok(StegoReport {
        model: String::new(),
        x: String::new(),
        y: String::new(),
        images: xs.nrows(),
        shape,
        rebuild,
        rebuild_true,
        rebuild_lowpass: rel(&f_lp_gx, &xs),
        translation_error: rel(&gx, &ys),
        noise_gain,
        lowpass_gain,
        hf_ratio: if hf_y > 0.0 { crate::generate::hf_share(&gx, shape) / hf_y } else { f64::INFINITY },
        verdict: stego_verdict(rebuild, rebuild_true, threshold)?,
    })
}

impl StegoReport {
    /// A few lines.
    pub fn text(&self) -> String {
        format!(
            "{} aligned pairs, {}×{} pixels\nrebuild of x from G(x) ‖F(G(x)) − x‖²/‖x‖²: {:.4}\n  from the true translation y:    {:.4}  (×{:.2})\n  from the blurred G(x):          {:.4}\ntranslation error ‖G(x) − y‖²/‖y‖²: {:.4}\nF's sensitivity at G(x) vs at y: noise {:.3} vs {:.3}, blur {:.3} vs {:.3}\nhigh-frequency energy of G(x) over y: ×{:.2}\nverdict: {} ({})\n",
            self.images,
            self.shape[0],
            self.shape[1],
            self.rebuild,
            self.rebuild_true,
            self.verdict.hidden_ratio,
            self.rebuild_lowpass,
            self.translation_error,
            self.noise_gain[0],
            self.noise_gain[1],
            self.lowpass_gain[0],
            self.lowpass_gain[1],
            self.hf_ratio,
            if self.verdict.hidden_signal {
                "HIDDEN SIGNAL — F reads something in G(x) that the true translation does not hold"
            } else {
                "no hidden signal found"
            },
            self.verdict.rule
        )
    }
}
