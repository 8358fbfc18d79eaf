//! The oversampled DFT-modulated filter bank computed the polyphase way: per output shift, the
//! windowed segment is folded modulo M (the polyphase components) and one M-point FFT gives every
//! channel at once — `O(len/D · (taps + M log M))` instead of the `O(len² · M/D)` product with
//! the explicit frame matrix. Synthesis is the adjoint (an inverse FFT per shift, unfolded and
//! windowed back), and reconstruction with the canonical dual divides by the frame operator,
//! which is diagonal when the window is no longer than M (`taps ≤ M`): its diagonal is the
//! window energy every sample receives, `M Σₙ p[(t − nD) mod len]²`.
//!
//! [`FilterBank::frame`] is the same bank as an explicit [`Frame`] (for erasures and bounds); a
//! test checks that both give the same coefficients and the same rebuild.
//!
//! ```
//! use recon_signal::FilterBank;
//! # fn main() -> recon_core::Result<()> {
//! let fb = FilterBank::new(64, 8, 4, 8)?; // redundancy 2
//! let x: Vec<f64> = (0..64).map(|t| (0.2 * t as f64).sin()).collect();
//! let back = fb.reconstruct(&x)?;
//! assert!(x.iter().zip(&back).all(|(a, b)| (a - b).abs() < 1e-12));
//! # Ok(())
//! # }
//! ```

use faer::Mat;
use recon_core::{Error, Result};
use rustfft::{num_complex::Complex, FftPlanner};

use crate::frame::{Frame, FrameKind};

/// An oversampled DFT-modulated filter bank on periodic signals (see [`Frame::filter_bank`]).
#[derive(Debug, Clone)]
pub struct FilterBank {
    len: usize,
    channels: usize,
    decimation: usize,
    window: Vec<f64>,
    /// (frequency, cosine or sine, scale) of each real channel.
    chans: Vec<(usize, bool, f64)>,
}

impl FilterBank {
    /// `channels` M, decimation D, a sine window of `taps` samples, on signals of length `len`;
    /// refuses what cannot reconstruct (D > M, D > taps, D not dividing `len`, taps > `len`).
    pub fn new(len: usize, channels: usize, decimation: usize, taps: usize) -> Result<FilterBank> {
        let (l, m, dd) = (len, channels, decimation);
        if m == 0 || dd == 0 || taps == 0 || l == 0 {
            return Err(Error::invalid("filter bank", "length, channels, decimation and taps must be positive"));
        }
        if !l.is_multiple_of(dd) {
            return Err(Error::invalid(
                "filter bank",
                format!("the decimation {dd} must divide the signal length {l}"),
            ));
        }
        if dd > m {
            return Err(Error::invalid(
                "filter bank",
                format!(
                    "decimation {dd} above the {m} channels keeps fewer coefficients than samples: no reconstruction"
                ),
            ));
        }
        if dd > taps || taps > l {
            return Err(Error::invalid(
                "filter bank",
                format!("a window of {taps} taps shifted by {dd} must cover the signal without gaps (need D ≤ taps ≤ length {l})"),
            ));
        }
        let window = (0..taps).map(|k| (std::f64::consts::PI * (k as f64 + 0.5) / taps as f64).sin()).collect();
        let mut chans: Vec<(usize, bool, f64)> = vec![(0, true, 1.0)];
        for f in 1..m.div_ceil(2) {
            chans.push((f, true, std::f64::consts::SQRT_2));
            chans.push((f, false, std::f64::consts::SQRT_2));
        }
        if m.is_multiple_of(2) && m > 1 {
            chans.push((m / 2, true, 1.0));
        }
        Ok(FilterBank { len, channels, decimation, window, chans })
    }

    /// Output shifts `len / D`.
    pub fn shifts(&self) -> usize {
        self.len / self.decimation
    }

    /// Coefficients per shift (M real channels).
    pub fn n_channels(&self) -> usize {
        self.chans.len()
    }

    /// The bank as an explicit frame: column `n·M + c` is channel c at shift n.
    pub fn frame(&self) -> Frame {
        let (l, m, dd, taps) = (self.len, self.channels, self.decimation, self.window.len());
        let k_of = |t: usize, n: usize| (t + l - (n * dd) % l) % l;
        let nc = self.chans.len();
        let v = Mat::from_fn(l, self.shifts() * nc, |t, col| {
            let (n, c) = (col / nc, col % nc);
            let k = k_of(t, n);
            if k >= taps {
                return 0.0;
            }
            let (f, cos, scale) = self.chans[c];
            let a = 2.0 * std::f64::consts::PI * (f * k) as f64 / m as f64;
            scale * self.window[k] * if cos { a.cos() } else { a.sin() }
        });
        Frame::from_parts(v, FrameKind::FilterBank)
    }

    fn check(&self, x: &[f64]) -> Result<()> {
        if x.len() != self.len {
            return Err(Error::invalid(
                "signal",
                format!("{} samples for a filter bank of length {}", x.len(), self.len),
            ));
        }
        Ok(())
    }

    /// Analysis `Fᵀx` by folding and one FFT per shift (the same order as [`FilterBank::frame`]).
    pub fn analyze(&self, x: &[f64]) -> Result<Vec<f64>> {
        self.check(x)?;
        let (l, m, dd) = (self.len, self.channels, self.decimation);
        let fft = FftPlanner::<f64>::new().plan_fft_forward(m);
        let mut u = vec![Complex::new(0.0, 0.0); m];
        let mut out = Vec::with_capacity(self.shifts() * self.chans.len());
        for n in 0..self.shifts() {
            u.iter_mut().for_each(|v| *v = Complex::new(0.0, 0.0));
            for (k, p) in self.window.iter().enumerate() {
                u[k % m].re += p * x[(n * dd + k) % l];
            }
            fft.process(&mut u);
            // Re U[f] = Σ u cos(2πfr/M), Im U[f] = −Σ u sin(2πfr/M).
            out.extend(self.chans.iter().map(|&(f, cos, s)| if cos { s * u[f].re } else { -s * u[f].im }));
        }
        Ok(out)
    }

    /// Synthesis `F c` (the adjoint of [`FilterBank::analyze`]): an inverse FFT per shift,
    /// unfolded over the window and added back in place.
    pub fn synthesize(&self, coef: &[f64]) -> Result<Vec<f64>> {
        let nc = self.chans.len();
        if coef.len() != self.shifts() * nc {
            return Err(Error::invalid("coefficients", format!("{} for a bank of {}", coef.len(), self.shifts() * nc)));
        }
        let (l, m, dd) = (self.len, self.channels, self.decimation);
        let ifft = FftPlanner::<f64>::new().plan_fft_inverse(m);
        let mut z = vec![Complex::new(0.0, 0.0); m];
        let mut x = vec![0.0; l];
        for (n, c) in coef.chunks_exact(nc).enumerate() {
            z.iter_mut().for_each(|v| *v = Complex::new(0.0, 0.0));
            // Re(Z e^{iθ}) with Z = s(a − ib) is s(a cos θ + b sin θ).
            for (&(f, cos, s), &v) in self.chans.iter().zip(c) {
                if cos {
                    z[f].re += s * v;
                } else {
                    z[f].im -= s * v;
                }
            }
            ifft.process(&mut z);
            for (k, p) in self.window.iter().enumerate() {
                x[(n * dd + k) % l] += p * z[k % m].re;
            }
        }
        Ok(x)
    }

    /// The diagonal of the frame operator `S = F Fᵀ` when the window is no longer than M
    /// (`None` otherwise: S then has off-diagonal terms).
    pub fn operator_diagonal(&self) -> Option<Vec<f64>> {
        let (l, m, dd) = (self.len, self.channels, self.decimation);
        if self.window.len() > m {
            return None;
        }
        let mut s = vec![0.0; l];
        for n in 0..self.shifts() {
            for (k, p) in self.window.iter().enumerate() {
                s[(n * dd + k) % l] += m as f64 * p * p;
            }
        }
        Some(s)
    }

    /// Analysis, then synthesis with the canonical dual `S⁻¹F`: the rebuilt signal. Fast when
    /// `taps ≤ M` (S diagonal); otherwise through the explicit frame.
    pub fn reconstruct(&self, x: &[f64]) -> Result<Vec<f64>> {
        let Some(s) = self.operator_diagonal() else {
            return self.frame().reconstruct(x);
        };
        let y = self.synthesize(&self.analyze(x)?)?;
        Ok(y.iter().zip(&s).map(|(v, d)| v / d).collect())
    }
}

/// The bank as a reconstructor of its signals (rows): codes are the polyphase analysis
/// coefficients, decoded by synthesis with the canonical dual (through the explicit frame when
/// `taps > M`).
impl recon_core::Reconstruct for FilterBank {
    type Error = Error;

    fn encode(&self, x: faer::MatRef<'_, f64>) -> Result<Mat<f64>> {
        crate::map_rows(x, "signals", self.len, self.shifts() * self.n_channels(), |row| self.analyze(row))
    }

    fn decode(&self, z: faer::MatRef<'_, f64>) -> Result<Mat<f64>> {
        let Some(s) = self.operator_diagonal() else {
            return recon_core::Reconstruct::decode(&self.frame(), z);
        };
        crate::map_rows(z, "codes", self.shifts() * self.n_channels(), self.len, |row| {
            Ok(self.synthesize(row)?.iter().zip(&s).map(|(v, d)| v / d).collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl FilterBank {
        fn reconstruct_rows(&self, x: faer::MatRef<'_, f64>) -> Mat<f64> {
            recon_core::Reconstruct::reconstruct(self, x).unwrap()
        }
    }

    #[test]
    fn polyphase_matches_the_explicit_frame() {
        for (len, m, d, taps) in
            [(48, 8, 2, 8), (48, 8, 4, 8), (60, 5, 3, 5), (48, 8, 4, 12), (36, 6, 6, 6), (40, 7, 5, 7)]
        {
            let fb = FilterBank::new(len, m, d, taps).unwrap();
            let f = fb.frame();
            let x: Vec<f64> = (0..len).map(|t| (0.37 * t as f64).sin() + 0.2 * ((t * t) % 7) as f64).collect();
            let c = fb.analyze(&x).unwrap();
            for (j, cj) in c.iter().enumerate() {
                let want: f64 = (0..len).map(|i| f.vectors()[(i, j)] * x[i]).sum();
                assert!((cj - want).abs() < 1e-12, "{len} {m} {d} {taps}: coefficient {j}");
            }
            let y = fb.synthesize(&c).unwrap();
            for (i, yi) in y.iter().enumerate() {
                let want: f64 = (0..c.len()).map(|j| f.vectors()[(i, j)] * c[j]).sum();
                assert!((yi - want).abs() < 1e-11, "{len} {m} {d} {taps}: sample {i}");
            }
            if let Some(s) = fb.operator_diagonal() {
                let full = f.operator();
                for i in 0..len {
                    for j in 0..len {
                        let want = if i == j { s[i] } else { 0.0 };
                        assert!((full[(i, j)] - want).abs() < 1e-12);
                    }
                }
            } else {
                assert!(taps > m);
            }
            // Perfect reconstruction, both ways.
            let back = fb.reconstruct(&x).unwrap();
            let slow = f.reconstruct(&x).unwrap();
            for i in 0..len {
                assert!((back[i] - x[i]).abs() < 1e-10 && (slow[i] - x[i]).abs() < 1e-10);
            }
        }
        assert!(FilterBank::new(48, 8, 4, 8).unwrap().analyze(&[0.0; 5]).is_err());
    }

    #[test]
    fn frames_and_banks_are_reconstructors() {
        use recon_core::{Reconstruct, Residuals};
        let x = Mat::from_fn(5, 48, |i, t| ((i + 1) as f64 * 0.13 * t as f64).cos());
        for fb in [FilterBank::new(48, 8, 4, 8).unwrap(), FilterBank::new(48, 6, 3, 9).unwrap()] {
            let z = fb.encode(x.as_ref()).unwrap();
            assert_eq!(z.ncols(), fb.shifts() * fb.n_channels());
            let r = Residuals::new(x.as_ref(), fb.reconstruct_rows(x.as_ref()).as_ref());
            assert!(r.total_squared_error() < 1e-20);
            let f = fb.frame();
            let zf = f.encode(x.as_ref()).unwrap();
            assert!((&z - &zf).norm_max() < 1e-12);
            assert!((Reconstruct::reconstruct(&f, x.as_ref()).unwrap() - &x).norm_max() < 1e-10);
        }
    }
}
