//! Low-rank image compression: each channel `C` (height m × width n) is replaced by its best
//! rank-k approximation `U_k Σ_k V_kᵀ` (not centred). Storage is `k·(m + n + 1)` numbers per channel
//! instead of `m·n`; the error is the tail energy of each channel's singular values, so the
//! PSNR of every rank is known before reconstructing.

use std::path::Path;

use faer::Mat;
use recon_core::data::Image;
use recon_core::model::{save_model, Array};
use recon_core::ruler::psnr;
use serde::Serialize;

use crate::error::{invalid, Error, Result};
use crate::randomized::{randomized_svd, RandomizedParams};

/// The SVD of one channel, truncated to the ranks computed.
#[derive(Debug, Clone)]
struct ChannelSvd {
    u: Mat<f64>,
    s: Vec<f64>,
    vt: Mat<f64>,
    energy: f64,
}

/// Per-channel SVDs of an image.
#[derive(Debug, Clone)]
pub struct ImageSvd {
    channels: Vec<ChannelSvd>,
    height: usize,
    width: usize,
}

/// One compressed image and its measurements.
#[derive(Debug, Clone, Serialize)]
pub struct Compressed {
    /// Rank kept in every channel.
    pub rank: usize,
    /// `||X − X̂||²_F / ||X||²_F` over all channels, after 8-bit quantisation.
    pub relative_squared_error: f64,
    /// PSNR (dB, peak 255) of the 8-bit reconstruction.
    pub psnr_db: f64,
    /// `m·n / (k·(m + n + 1))`.
    pub compression_ratio: f64,
    /// The 8-bit reconstruction.
    #[serde(skip)]
    pub image: Image,
}

impl ImageSvd {
    /// Exact thin SVD of every channel.
    pub fn exact(img: &Image) -> Result<Self> {
        Self::fit(img, None)
    }

    /// Randomized rank-`k` SVD of every channel.
    pub fn randomized(img: &Image, k: usize, params: &RandomizedParams) -> Result<Self> {
        Self::fit(img, Some((k, params)))
    }

    fn fit(img: &Image, randomized: Option<(usize, &RandomizedParams)>) -> Result<Self> {
        let (height, width) = (img.height(), img.width());
        let mut channels = Vec::with_capacity(img.channels.len());
        for c in &img.channels {
            let energy = recon_core::squared_norm(c.as_ref());
            let ch = match randomized {
                None => {
                    let svd = c.thin_svd().map_err(|_| Error::NoConvergence { what: "SVD" })?;
                    let m = height.min(width);
                    ChannelSvd {
                        u: svd.U().to_owned(),
                        s: (0..m).map(|i| svd.S()[i]).collect(),
                        vt: svd.V().transpose().to_owned(),
                        energy,
                    }
                }
                Some((k, p)) => {
                    let (u, s, vt) = randomized_svd(c.as_ref(), k, p)?;
                    ChannelSvd { u, s, vt, energy }
                }
            };
            channels.push(ch);
        }
        if channels.iter().all(|c| c.energy == 0.0) {
            return Err(recon_core::Error::ZeroVariance);
        }
        Ok(ImageSvd { channels, height, width })
    }

    /// The largest rank available.
    pub fn max_rank(&self) -> usize {
        self.channels[0].s.len()
    }

    /// Mean squared error per pixel of the (unquantised) rank-k approximation.
    pub fn mse_at(&self, k: usize) -> f64 {
        let tail: f64 =
            self.channels.iter().map(|c| (c.energy - c.s[..k].iter().map(|s| s * s).sum::<f64>()).max(0.0)).sum();
        tail / (self.height * self.width * self.channels.len()) as f64
    }

    /// PSNR (dB) of the unquantised rank-k approximation.
    pub fn psnr_at(&self, k: usize) -> f64 {
        psnr(self.mse_at(k), 255.0)
    }

    /// `m·n / (k·(m + n + 1))`.
    pub fn compression_ratio(&self, k: usize) -> f64 {
        (self.height * self.width) as f64 / (k * (self.height + self.width + 1)) as f64
    }

    /// The rank-k approximation (not quantised).
    pub fn reconstruct(&self, k: usize) -> Result<Image> {
        self.check_rank(k)?;
        let channels = self
            .channels
            .iter()
            .map(|c| {
                let us = Mat::from_fn(self.height, k, |i, r| c.u[(i, r)] * c.s[r]);
                &us * c.vt.subrows(0, k)
            })
            .collect();
        Ok(Image { channels })
    }

    fn check_rank(&self, k: usize) -> Result<()> {
        if k == 0 || k > self.max_rank() {
            return Err(invalid("rank", format!("{k} is not in 1..={} for this image", self.max_rank())));
        }
        Ok(())
    }

    /// Compresses at rank `k` and measures the 8-bit result against `original`.
    pub fn compress(&self, original: &Image, k: usize) -> Result<Compressed> {
        let image = self.reconstruct(k)?.quantized();
        let mse = original.mse(&image);
        let energy: f64 = self.channels.iter().map(|c| c.energy).sum();
        let n_px = (self.height * self.width * self.channels.len()) as f64;
        Ok(Compressed {
            rank: k,
            relative_squared_error: mse * n_px / energy,
            psnr_db: psnr(mse, 255.0),
            compression_ratio: self.compression_ratio(k),
            image,
        })
    }

    /// The smallest rank whose 8-bit reconstruction reaches `target_db`. The Eckart–Young PSNR
    /// gives the first candidate; rounding to 8 bits adds noise and clamping to 0..=255 removes
    /// some, so the candidate is then moved down while the rank below still reaches the target,
    /// or up until the stored image does.
    pub fn compress_to_psnr(&self, original: &Image, target_db: f64) -> Result<Compressed> {
        if !target_db.is_finite() || target_db <= 0.0 {
            return Err(invalid("psnr", format!("{target_db} dB is not a positive number")));
        }
        let max = self.max_rank();
        let mut k = (1..=max).find(|&k| self.psnr_at(k) >= target_db).unwrap_or(max);
        let mut best = self.compress(original, k)?;
        while best.psnr_db < target_db && k < max {
            k += 1;
            best = self.compress(original, k)?;
        }
        if best.psnr_db < target_db {
            return Err(invalid(
                "psnr",
                format!("{target_db} dB is not reachable: rank {max} gives {:.2} dB", best.psnr_db),
            ));
        }
        while k > 1 {
            let below = self.compress(original, k - 1)?;
            if below.psnr_db < target_db {
                break;
            }
            k -= 1;
            best = below;
        }
        Ok(best)
    }

    /// The smallest rank capturing `energy` of `||X||²_F` (all channels together).
    pub fn rank_for_energy(&self, energy: f64) -> Result<usize> {
        if !(energy > 0.0 && energy <= 1.0) {
            return Err(invalid("energy", format!("{energy} is not in (0, 1]")));
        }
        let total: f64 = self.channels.iter().map(|c| c.energy).sum();
        (1..=self.max_rank())
            .find(|&k| {
                1.0 - self.mse_at(k) * (self.height * self.width * self.channels.len()) as f64 / total >= energy - 1e-12
            })
            .ok_or_else(|| invalid("energy", format!("{energy} is not reachable with the ranks computed")))
    }

    /// Saves the rank-k factors of every channel (`u{c}`, `s{c}`, `vt{c}`) and a header.
    pub fn save(&self, dir: &Path, k: usize) -> Result<()> {
        self.check_rank(k)?;
        let (m, n) = (self.height, self.width);
        let mut arrays = Vec::new();
        let names: Vec<[String; 3]> =
            (0..self.channels.len()).map(|c| [format!("u{c}"), format!("s{c}"), format!("vt{c}")]).collect();
        for (c, ch) in self.channels.iter().enumerate() {
            let u: Vec<f64> = (0..m).flat_map(|i| (0..k).map(move |r| (i, r))).map(|(i, r)| ch.u[(i, r)]).collect();
            let vt: Vec<f64> = (0..k).flat_map(|r| (0..n).map(move |j| (r, j))).map(|(r, j)| ch.vt[(r, j)]).collect();
            arrays.push((c, 0, Array { shape: vec![m, k], data: u }));
            arrays.push((c, 1, Array { shape: vec![k], data: ch.s[..k].to_vec() }));
            arrays.push((c, 2, Array { shape: vec![k, n], data: vt }));
        }
        let arrays: Vec<(&str, Array)> = arrays.into_iter().map(|(c, i, a)| (names[c][i].as_str(), a)).collect();
        let header = serde_json::json!({
            "kind": "image_svd", "version": 1, "height": m, "width": n,
            "channels": self.channels.len(), "rank": k,
        });
        save_model(dir, &header, &arrays)
    }
}
