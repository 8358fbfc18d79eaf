//! How much a U-Net-style down/up-sampling path throws away: apply a down-sampling operator L
//! times and the matching up-sampling L times, and measure the relative reconstruction error
//! `‖x − up(down(x))‖² / ‖x‖²` per level, and which frequencies were lost (the share of the
//! image's spectral energy in each radial band that the residual holds).
//!
//! Operators on a grey image (each level halves both sides; the image is first cropped to a
//! multiple of 2^L, and the crop is reported):
//! - `avgpool` (2 × 2 means), `stride` (every second row and column), up-sampled by `nearest`
//!   (each value copied to its 2 × 2 block) or `bilinear` (half-pixel centres, edges clamped, as
//!   PyTorch's `align_corners=False`);
//! - `maxpool` (2 × 2 maxima) up-sampled by unpooling: each maximum goes back to the position it
//!   came from, zeros elsewhere (PyTorch's `MaxUnpool2d`);
//! - `haar`: the orthonormal 2-D Haar transform's approximation band, up-sampled by the inverse
//!   transform with the detail bands zeroed (lossy); `haar-details` keeps the detail bands (what
//!   a U-Net's skip connections carry) and is lossless.

use faer::Mat;
use recon_core::{squared_norm, Error, Result};
use rustfft::{num_complex::Complex, FftPlanner};
use serde::Serialize;

/// A down-sampling operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Down {
    /// 2 × 2 average pooling.
    Avgpool,
    /// 2 × 2 max pooling (up-sampled by unpooling at the argmax).
    Maxpool,
    /// Every second row and column.
    Stride,
    /// The Haar approximation band (details dropped).
    Haar,
    /// The Haar transform with its detail bands kept (lossless).
    HaarDetails,
}

/// An up-sampling operator (for `avgpool` and `stride`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Up {
    /// Copy each value to its 2 × 2 block.
    Nearest,
    /// Bilinear interpolation (half-pixel centres, clamped edges).
    Bilinear,
}

/// One level of the down/up cycle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Level {
    /// Levels of down-sampling (each halves both sides).
    pub level: usize,
    /// Side lengths at the bottleneck.
    pub bottleneck: [usize; 2],
    /// `‖x − x̂‖² / ‖x‖²`.
    pub relative_error: f64,
    /// Per radial frequency band (edges in cycles per pixel, [`BAND_EDGES`]): the share of the
    /// image's energy in that band that the residual holds.
    pub band_loss: Vec<f64>,
}

/// Radial frequency band edges, cycles per pixel (the last band runs to the corner, √2/2).
pub const BAND_EDGES: [f64; 5] = [0.0, 0.0625, 0.125, 0.25, 0.5];

/// What the cycle did to one image.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bottleneck {
    /// Down-sampling operator.
    pub op: Down,
    /// Up-sampling operator (`None` for maxpool and Haar, which have their own inverse).
    pub up: Option<Up>,
    /// Image size after cropping to a multiple of 2^levels.
    pub size: [usize; 2],
    /// Rows and columns cropped away.
    pub cropped: [usize; 2],
    /// Band edges in cycles per pixel.
    pub band_edges: Vec<f64>,
    /// Per level.
    pub levels: Vec<Level>,
}

fn pool(x: &Mat<f64>, f: impl Fn([f64; 4]) -> f64) -> Mat<f64> {
    Mat::from_fn(x.nrows() / 2, x.ncols() / 2, |i, j| {
        f([x[(2 * i, 2 * j)], x[(2 * i, 2 * j + 1)], x[(2 * i + 1, 2 * j)], x[(2 * i + 1, 2 * j + 1)]])
    })
}

fn nearest(x: &Mat<f64>) -> Mat<f64> {
    Mat::from_fn(2 * x.nrows(), 2 * x.ncols(), |i, j| x[(i / 2, j / 2)])
}

fn bilinear(x: &Mat<f64>) -> Mat<f64> {
    let (h, w) = (x.nrows(), x.ncols());
    // Output pixel i sits at input coordinate (i + 0.5)/2 − 0.5, clamped to the grid.
    let coord = |i: usize, n: usize| -> (usize, usize, f64) {
        let c = ((i as f64 + 0.5) / 2.0 - 0.5).max(0.0);
        let lo = (c.floor() as usize).min(n - 1);
        let hi = (lo + 1).min(n - 1);
        (lo, hi, c - lo as f64)
    };
    Mat::from_fn(2 * h, 2 * w, |i, j| {
        let (i0, i1, a) = coord(i, h);
        let (j0, j1, b) = coord(j, w);
        (1.0 - a) * ((1.0 - b) * x[(i0, j0)] + b * x[(i0, j1)]) + a * ((1.0 - b) * x[(i1, j0)] + b * x[(i1, j1)])
    })
}

/// One orthonormal 2-D Haar step: (approximation, [horizontal, vertical, diagonal] details).
fn haar(x: &Mat<f64>) -> (Mat<f64>, [Mat<f64>; 3]) {
    let a = pool(x, |[p, q, r, s]| (p + q + r + s) / 2.0);
    let h = pool(x, |[p, q, r, s]| (p - q + r - s) / 2.0);
    let v = pool(x, |[p, q, r, s]| (p + q - r - s) / 2.0);
    let d = pool(x, |[p, q, r, s]| (p - q - r + s) / 2.0);
    (a, [h, v, d])
}

fn inverse_haar(a: &Mat<f64>, det: Option<&[Mat<f64>; 3]>) -> Mat<f64> {
    let z = |m: &Mat<f64>, i: usize, j: usize| m[(i, j)];
    Mat::from_fn(2 * a.nrows(), 2 * a.ncols(), |i, j| {
        let (bi, bj) = (i / 2, j / 2);
        let (h, v, d) = match det {
            Some([h, v, d]) => (z(h, bi, bj), z(v, bi, bj), z(d, bi, bj)),
            None => (0.0, 0.0, 0.0),
        };
        let (sr, sc) = (if i % 2 == 0 { 1.0 } else { -1.0 }, if j % 2 == 0 { 1.0 } else { -1.0 });
        (z(a, bi, bj) + sc * h + sr * v + sr * sc * d) / 2.0
    })
}

/// Energy of `x` per radial frequency band of its 2-D DFT (rustfft, rows then columns).
pub fn band_energy(x: &Mat<f64>) -> Vec<f64> {
    let (h, w) = (x.nrows(), x.ncols());
    let mut planner = FftPlanner::<f64>::new();
    let (rows, cols) = (planner.plan_fft_forward(w), planner.plan_fft_forward(h));
    let mut buf: Vec<Complex<f64>> = (0..h * w).map(|t| Complex::new(x[(t / w, t % w)], 0.0)).collect();
    for row in buf.chunks_exact_mut(w) {
        rows.process(row);
    }
    let freq = |k: usize, n: usize| -> f64 {
        let k = if k <= n / 2 { k as f64 } else { k as f64 - n as f64 };
        k / n as f64
    };
    let mut bands = vec![0.0; BAND_EDGES.len() - 1];
    let mut col = vec![Complex::new(0.0, 0.0); h];
    for k in 0..w {
        for (i, c) in col.iter_mut().enumerate() {
            *c = buf[i * w + k];
        }
        cols.process(&mut col);
        for (l, c) in col.iter().enumerate() {
            let r = (freq(l, h).powi(2) + freq(k, w).powi(2)).sqrt();
            let b = BAND_EDGES[1..].iter().position(|&e| r < e).unwrap_or(bands.len() - 1);
            bands[b] += c.norm_sqr();
        }
    }
    bands
}

/// Runs the down/up cycle for levels 1..=`levels` on the grey image `x` (rows × columns).
pub fn bottleneck(x: &Mat<f64>, op: Down, up: Up, levels: usize) -> Result<Bottleneck> {
    if levels == 0 || levels > 8 {
        return Err(Error::invalid("levels", format!("{levels} is not in 1..=8")));
    }
    let block = 1usize << levels;
    let (h, w) = (x.nrows() / block * block, x.ncols() / block * block);
    if h == 0 || w == 0 {
        return Err(Error::invalid(
            "levels",
            format!(
                "a {} × {} image is smaller than one {block} × {block} block of {levels} levels",
                x.nrows(),
                x.ncols()
            ),
        ));
    }
    let cropped = [x.nrows() - h, x.ncols() - w];
    let x = Mat::from_fn(h, w, |i, j| x[(i, j)]);
    let energy = squared_norm(x.as_ref());
    if !(energy > 0.0) {
        return Err(Error::invalid("image", "an all-zero image has no energy to lose"));
    }
    let spectrum = band_energy(&x);
    let path = down_path(&x, op, levels);
    let mut out = Vec::with_capacity(levels);
    for l in 1..=levels {
        let r = &x - up_from(&path, op, up, l);
        let err = squared_norm(r.as_ref());
        let lost = band_energy(&r);
        out.push(Level {
            level: l,
            bottleneck: [h >> l, w >> l],
            relative_error: err / energy,
            band_loss: lost.iter().zip(&spectrum).map(|(a, b)| if *b > 0.0 { a / b } else { 0.0 }).collect(),
        });
    }
    let own_up = matches!(op, Down::Maxpool | Down::Haar | Down::HaarDetails);
    Ok(Bottleneck {
        op,
        up: (!own_up).then_some(up),
        size: [h, w],
        cropped,
        band_edges: BAND_EDGES.to_vec(),
        levels: out,
    })
}

/// The down path of one operator: the image at levels 0..=L and what each step put aside for
/// its way back up (max pooling: where each maximum came from; Haar: the detail bands).
struct DownPath {
    at: Vec<Mat<f64>>,
    aside: Vec<Aside>,
}

enum Aside {
    Nothing,
    Argmax(Mat<f64>),
    Details([Mat<f64>; 3]),
}

fn down_path(x: &Mat<f64>, op: Down, levels: usize) -> DownPath {
    let mut path = DownPath { at: vec![x.clone()], aside: Vec::with_capacity(levels) };
    for _ in 0..levels {
        let y = path.at.last().expect("level 0");
        let (next, aside) = match op {
            Down::Avgpool => (pool(y, |v| v.iter().sum::<f64>() / 4.0), Aside::Nothing),
            Down::Stride => (pool(y, |v| v[0]), Aside::Nothing),
            Down::Maxpool => {
                // The first maximum in row-major order, as PyTorch's max_pool2d.
                let arg = pool(y, |v| (1..4).fold(0, |best, k| if v[k] > v[best] { k } else { best }) as f64);
                (pool(y, |v| v.iter().copied().fold(f64::NEG_INFINITY, f64::max)), Aside::Argmax(arg))
            }
            Down::Haar | Down::HaarDetails => {
                let (a, d) = haar(y);
                (a, Aside::Details(d))
            }
        };
        path.at.push(next);
        path.aside.push(aside);
    }
    path
}

/// Up from level `l` of `path` back to the full size.
fn up_from(path: &DownPath, op: Down, up: Up, l: usize) -> Mat<f64> {
    let mut y = path.at[l].clone();
    for aside in path.aside[..l].iter().rev() {
        y = match aside {
            Aside::Argmax(arg) => Mat::from_fn(2 * y.nrows(), 2 * y.ncols(), |i, j| {
                if arg[(i / 2, j / 2)] as usize == (i % 2) * 2 + j % 2 {
                    y[(i / 2, j / 2)]
                } else {
                    0.0
                }
            }),
            Aside::Details(d) => inverse_haar(&y, (op == Down::HaarDetails).then_some(d)),
            Aside::Nothing => match up {
                Up::Nearest => nearest(&y),
                Up::Bilinear => bilinear(&y),
            },
        };
    }
    y
}

/// `up(down(x))` over `levels` levels.
pub fn cycle(x: &Mat<f64>, op: Down, up: Up, levels: usize) -> Mat<f64> {
    up_from(&down_path(x, op, levels), op, up, levels)
}

/// One down/up cycle of `levels` levels on grey images of `shape` (both sides multiples of
/// 2^levels), as a reconstructor: each row of the input is an image (row-major), its code the
/// bottleneck image (row-major) followed by what each level put aside for its way back — the
/// argmax positions (0–3 in their 2 × 2 block) for max pooling, the three detail bands for
/// `haar-details`, nothing for the others.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cycle {
    /// Down-sampling operator.
    pub op: Down,
    /// Up-sampling operator (avgpool and stride).
    pub up: Up,
    /// Levels.
    pub levels: usize,
    /// Image height and width.
    pub shape: [usize; 2],
}

impl Cycle {
    /// Checks the levels against the shape.
    pub fn new(op: Down, up: Up, levels: usize, shape: [usize; 2]) -> Result<Cycle> {
        let block = 1usize << levels.min(8);
        if levels == 0
            || levels > 8
            || shape[0] == 0
            || shape[1] == 0
            || !shape[0].is_multiple_of(block)
            || !shape[1].is_multiple_of(block)
        {
            return Err(Error::invalid(
                "levels",
                format!("{levels} levels need 1..=8 and {} × {} images divisible by {block}", shape[0], shape[1]),
            ));
        }
        Ok(Cycle { op, up, levels, shape })
    }

    fn side(&self, l: usize) -> [usize; 2] {
        [self.shape[0] >> l, self.shape[1] >> l]
    }

    /// Code length per image.
    pub fn code_len(&self) -> usize {
        let [h, w] = self.side(self.levels);
        let aside: usize = (1..=self.levels)
            .map(|l| {
                let [a, b] = self.side(l);
                match self.op {
                    Down::Maxpool => a * b,
                    Down::HaarDetails => 3 * a * b,
                    _ => 0,
                }
            })
            .sum();
        h * w + aside
    }
}

fn push_mat(out: &mut Vec<f64>, m: &Mat<f64>) {
    for i in 0..m.nrows() {
        for j in 0..m.ncols() {
            out.push(m[(i, j)]);
        }
    }
}

impl recon_core::Reconstruct for Cycle {
    type Error = Error;

    fn encode(&self, x: faer::MatRef<'_, f64>) -> Result<Mat<f64>> {
        let [h, w] = self.shape;
        crate::map_rows(x, "images", h * w, self.code_len(), |row| {
            let path = down_path(&Mat::from_fn(h, w, |i, j| row[i * w + j]), self.op, self.levels);
            let mut code = Vec::with_capacity(self.code_len());
            push_mat(&mut code, &path.at[self.levels]);
            for aside in &path.aside {
                match aside {
                    Aside::Argmax(a) => push_mat(&mut code, a),
                    Aside::Details(d) if self.op == Down::HaarDetails => d.iter().for_each(|m| push_mat(&mut code, m)),
                    _ => {}
                }
            }
            Ok(code)
        })
    }

    fn decode(&self, z: faer::MatRef<'_, f64>) -> Result<Mat<f64>> {
        let [h, w] = self.shape;
        crate::map_rows(z, "codes", self.code_len(), h * w, |code| {
            let mut at = 0;
            let mut take = |[a, b]: [usize; 2]| {
                let m = Mat::from_fn(a, b, |i, j| code[at + i * b + j]);
                at += a * b;
                m
            };
            let bottom = take(self.side(self.levels));
            let aside: Vec<Aside> = (1..=self.levels)
                .map(|l| match self.op {
                    Down::Maxpool => Aside::Argmax(take(self.side(l))),
                    Down::HaarDetails => Aside::Details([take(self.side(l)), take(self.side(l)), take(self.side(l))]),
                    Down::Haar => {
                        let [a, b] = self.side(l);
                        Aside::Details([Mat::zeros(a, b), Mat::zeros(a, b), Mat::zeros(a, b)])
                    }
                    _ => Aside::Nothing,
                })
                .collect();
            let mut at_levels = vec![Mat::zeros(0, 0); self.levels];
            at_levels.push(bottom);
            let img = up_from(&DownPath { at: at_levels, aside }, self.op, self.up, self.levels);
            let mut out = Vec::with_capacity(h * w);
            push_mat(&mut out, &img);
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use recon_core::Reconstruct;

    #[test]
    fn the_cycle_as_a_reconstructor_matches_the_measured_cycle() {
        let (h, w) = (16, 8);
        let imgs: Vec<Mat<f64>> =
            (0..3).map(|k| Mat::from_fn(h, w, |i, j| ((i * 5 + j * (3 + k)) % 11) as f64 - 0.3 * k as f64)).collect();
        let x = Mat::from_fn(3, h * w, |r, t| imgs[r][(t / w, t % w)]);
        for op in [Down::Avgpool, Down::Maxpool, Down::Stride, Down::Haar, Down::HaarDetails] {
            for up in [Up::Nearest, Up::Bilinear] {
                let c = Cycle::new(op, up, 2, [h, w]).unwrap();
                let z = c.encode(x.as_ref()).unwrap();
                assert_eq!(z.ncols(), c.code_len());
                let back = c.reconstruct(x.as_ref()).unwrap();
                for (r, img) in imgs.iter().enumerate() {
                    let want = cycle(img, op, up, 2);
                    for t in 0..h * w {
                        assert!((back[(r, t)] - want[(t / w, t % w)]).abs() < 1e-12, "{op:?} {up:?}");
                    }
                }
            }
        }
        assert!(Cycle::new(Down::Avgpool, Up::Nearest, 3, [12, 8]).is_err());
    }
}
