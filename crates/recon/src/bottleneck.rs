//! `recon bottleneck`: how much a down/up-sampling path loses on an image, level by level
//! ([`recon_signal::bottleneck`]).
//!
//! # Example
//!
//! ```
//! use recon::bottleneck::grey;
//! use recon::data::Image;
//! use recon_signal::{bottleneck, Down, Up};
//! # fn main() -> recon::Result<()> {
//! let img = Image { channels: vec![faer::Mat::from_fn(32, 32, |i, j| ((i * 3 + j * 5) % 11) as f64)] };
//! let b = bottleneck(&grey(&img), Down::HaarDetails, Up::Nearest, 3)?;
//! assert!(b.levels.iter().all(|l| l.relative_error < 1e-20)); // the details make it lossless
//! # Ok(())
//! # }
//! ```

use std::path::Path;

use faer::Mat;
use recon_core::data::{load_image, load_tensor, Format, Image, Tensor};
use recon_core::report::{LinePlot, Series};
use recon_core::{Error, Result};
use recon_signal::{bottleneck, Bottleneck, Down, Up};
use serde::Serialize;

/// ITU-R BT.601 luma of a colour image (the grey channel of a grey one).
pub fn grey(img: &Image) -> Mat<f64> {
    match img.channels.len() {
        3 => {
            let c = &img.channels;
            Mat::from_fn(img.height(), img.width(), |i, j| {
                0.299 * c[0][(i, j)] + 0.587 * c[1][(i, j)] + 0.114 * c[2][(i, j)]
            })
        }
        _ => img.channels[0].clone(),
    }
}

/// Reads a grey image: a PNG / JPEG (luma), or a 2-D `.npy` matrix.
pub fn read_grey(path: &Path) -> Result<Mat<f64>> {
    match Format::of(path)? {
        Format::Image => Ok(grey(&load_image(path)?)),
        Format::Npy => match load_tensor(path)? {
            Tensor::Dense(t) if t.shape.len() == 2 => {
                let (h, w) = (t.shape[0], t.shape[1]);
                if t.data.iter().any(|v| !v.is_finite()) {
                    return Err(Error::invalid_data(path.display().to_string(), "the image holds non-finite values"));
                }
                Ok(Mat::from_fn(h, w, |i, j| t.data[i * w + j]))
            }
            _ => Err(Error::invalid_data(path.display().to_string(), "a grey image is a 2-D .npy matrix")),
        },
        Format::Csv => Err(Error::invalid_data(
            path.display().to_string(),
            "give an image (.png, .jpg) or a 2-D .npy matrix; graphs are not supported yet",
        )),
    }
}

/// What `recon bottleneck --json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct BottleneckReport {
    /// The cycle per level.
    #[serde(flatten)]
    pub result: Bottleneck,
    /// Levels 1..=L.
    #[serde(rename = "level_numbers")]
    pub level_numbers: Vec<usize>,
    /// `‖x − up(down(x))‖² / ‖x‖²` per level.
    pub relative_error: Vec<f64>,
}

/// Runs the cycle on the image at `path`.
pub fn bottleneck_file(path: &Path, op: Down, up: Up, levels: usize) -> Result<BottleneckReport> {
    let x = read_grey(path)?;
    let result = bottleneck(&x, op, up, levels)?;
    Ok(BottleneckReport {
        level_numbers: result.levels.iter().map(|l| l.level).collect(),
        relative_error: result.levels.iter().map(|l| l.relative_error).collect(),
        result,
    })
}

impl BottleneckReport {
    /// A line per level.
    pub fn text(&self) -> String {
        let r = &self.result;
        let mut s = format!(
            "{:?}{} on a {} × {} grey image ({} rows, {} columns cropped)\n",
            r.op,
            r.up.map_or(String::new(), |u| format!(" / {u:?}")),
            r.size[0],
            r.size[1],
            r.cropped[0],
            r.cropped[1]
        );
        s += "level  bottleneck   relative error   band loss (low → high frequency)\n";
        for l in &r.levels {
            s += &format!(
                "{:>5}  {:>4} × {:<4}  {:>14.6e}   {}\n",
                l.level,
                l.bottleneck[0],
                l.bottleneck[1],
                l.relative_error,
                l.band_loss.iter().map(|v| format!("{v:.3}")).collect::<Vec<_>>().join(" ")
            );
        }
        s
    }

    /// The share of each band's energy lost, against the level.
    pub fn plot(&self, title: &str) -> Result<String> {
        let e = &self.result.band_edges;
        let x: Vec<f64> = self.result.levels.iter().map(|l| l.level as f64).collect();
        let mut series: Vec<Series> = (0..e.len() - 1)
            .map(|b| Series {
                name: format!("band {:.3}–{:.3} cycles/pixel", e[b], e[b + 1]),
                x: x.clone(),
                y: self.result.levels.iter().map(|l| l.band_loss[b]).collect(),
            })
            .collect();
        series.push(Series { name: "relative error (all)".into(), x: x.clone(), y: self.relative_error.clone() });
        LinePlot {
            title: format!("Energy lost per level — {title}"),
            x_label: "levels of down/up-sampling".into(),
            y_label: "share of energy lost".into(),
            series,
            markers: vec![],
            log_y: false,
        }
        .to_svg(720, 420)
    }
}
