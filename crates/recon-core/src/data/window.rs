//! Dynamic features: each column at time `t` together with some of its past — lagged samples (a
//! plain window `t, t−1, …, t−w+1`, or spaced lags such as `t, t−1, t−2, t−4, …`) and exponential
//! moving averages over several time constants (a filter bank) — so that a static model can see
//! dynamics: a motor's speed must follow its current within 0.1 s, its current must follow the
//! voltage with a 0.5 s lag, a frozen sensor stops moving.
//!
//! Why moving averages: a first-order system's output is an exponentially weighted average of its
//! input, so a bank of averages at a few time constants lets a linear model rebuild slow
//! responses that a handful of lagged samples cannot (the sample noise does not average out, and
//! a step between two lags leaves its timing unknown). Laguerre and Kautz filter banks in system
//! identification rest on the same idea.
//!
//! Feature names say what each column is — `speed[t-4]` (4 samples back), `speed[ema-50]` (moving
//! average with time constant 50 samples, weight 1/50 on the newest) — so a model file that lists
//! its feature names also says how to rebuild them; [`Window::parse`] reads them back. The first
//! rows have no full history: a lag past the start repeats the first row and every average starts
//! at the first row (edge padding), so every input row keeps an output row.

use std::collections::VecDeque;

use faer::{Mat, MatRef};

use crate::{Error, Result};

/// Which past values of each column become features.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Lags in samples, starting at 0 (the current sample), increasing.
    pub lags: Vec<usize>,
    /// Time constants in samples (> 1) of exponential moving averages, increasing.
    pub emas: Vec<usize>,
}

/// The most numbers a window feature matrix may hold (2 GiB of f64).
pub const MAX_FEATURE_CELLS: usize = 1 << 28;

/// The name of column `name` lagged by `k` samples (`name` itself for `k = 0`).
pub fn lag_name(name: &str, k: usize) -> String {
    if k == 0 {
        name.to_string()
    } else {
        format!("{name}[t-{k}]")
    }
}

/// The name of the moving average of `name` with time constant `span` samples.
pub fn ema_name(name: &str, span: usize) -> String {
    format!("{name}[ema-{span}]")
}

impl Window {
    /// The current sample only.
    pub fn none() -> Window {
        Window { lags: vec![0], emas: Vec::new() }
    }

    /// A plain window of `w` samples: lags `0, 1, …, w − 1`.
    pub fn samples(w: usize) -> Result<Window> {
        if w == 0 {
            return Err(Error::invalid("window", "must be at least 1 (1 = no past samples)"));
        }
        Window::new((0..w).collect(), Vec::new())
    }

    /// Lags (starting at 0, increasing) and moving-average time constants (each > 1, increasing).
    pub fn new(lags: Vec<usize>, emas: Vec<usize>) -> Result<Window> {
        if lags.first() != Some(&0) {
            return Err(Error::invalid("lags", "must start with 0 (the current sample)"));
        }
        if lags.windows(2).any(|p| p[1] <= p[0]) {
            return Err(Error::invalid("lags", format!("{lags:?} must increase strictly")));
        }
        if emas.first().is_some_and(|&s| s < 2) || emas.windows(2).any(|p| p[1] <= p[0]) {
            return Err(Error::invalid(
                "moving averages",
                format!("{emas:?}: time constants ≥ 2, increasing strictly"),
            ));
        }
        Ok(Window { lags, emas })
    }

    /// The largest lag (the history a stream must keep).
    pub fn max_lag(&self) -> usize {
        *self.lags.last().expect("lag 0 is always there")
    }

    /// Features per input column.
    pub fn width(&self) -> usize {
        self.lags.len() + self.emas.len()
    }

    /// Feature names for input columns `base`: per column, its lags then its averages.
    pub fn names(&self, base: &[String]) -> Vec<String> {
        base.iter()
            .flat_map(|n| {
                let lags = self.lags.iter().map(move |&k| lag_name(n, k));
                lags.chain(self.emas.iter().map(move |&s| ema_name(n, s)))
            })
            .collect()
    }

    /// Reads the input columns and the window back from feature names written by
    /// [`Window::names`]; plain names give [`Window::none`].
    pub fn parse(features: &[String]) -> Result<(Vec<String>, Window)> {
        let suffix = |f: &str| -> Option<(String, String, usize)> {
            let open = f.rfind('[')?;
            let inner = f.strip_suffix(']')?.get(open + 1..)?;
            let (tag, n) = inner.split_once('-')?;
            Some((f[..open].to_string(), tag.to_string(), n.parse().ok()?))
        };
        let bad = || Error::invalid("model columns", "lag and average columns do not form a full window");
        let base: Vec<String> = features.iter().filter(|f| suffix(f).is_none()).cloned().collect();
        if base.is_empty() {
            return Err(Error::invalid("model columns", "no un-lagged column"));
        }
        if !features.len().is_multiple_of(base.len()) {
            return Err(bad());
        }
        let w = features.len() / base.len();
        let (mut lags, mut emas) = (vec![0], Vec::new());
        for f in &features[1..w] {
            match suffix(f) {
                Some((name, tag, k)) if name == base[0] && tag == "t" && emas.is_empty() => lags.push(k),
                Some((name, tag, s)) if name == base[0] && tag == "ema" => emas.push(s),
                _ => return Err(bad()),
            }
        }
        let window = Window::new(lags, emas).map_err(|_| bad())?;
        if window.names(&base) != features {
            return Err(bad());
        }
        Ok((base, window))
    }

    /// The features of `x` (rows in time order, columns `names`). Returns the matrix and its
    /// column names.
    pub fn features(&self, x: MatRef<'_, f64>, names: &[String]) -> Result<(Mat<f64>, Vec<String>)> {
        let max = self.max_lag();
        if max > 0 && 2 * max >= x.nrows() {
            return Err(Error::invalid(
                "window",
                format!(
                    "lag {max} needs more than {} rows of data, there are {} (the first {max} rows have no full past)",
                    2 * max,
                    x.nrows()
                ),
            ));
        }
        let cells = (x.nrows() as u128) * (x.ncols() as u128) * (self.width() as u128);
        if cells > MAX_FEATURE_CELLS as u128 {
            return Err(Error::invalid(
                "window",
                format!(
                    "{} rows × {} columns × {} features per column is {cells} numbers (limit {MAX_FEATURE_CELLS}, 2 GiB): use fewer or spaced lags (--lags 0,1,2,4,8) or moving averages (--ema)",
                    x.nrows(),
                    x.ncols(),
                    self.width()
                ),
            ));
        }
        Ok((self.stream(x.ncols()).push_block(x), self.names(names)))
    }

    /// A row-at-a-time builder of the same features, for `d` input columns.
    pub fn stream(&self, d: usize) -> WindowStream {
        WindowStream {
            window: self.clone(),
            d,
            history: VecDeque::with_capacity(self.max_lag()),
            ema: vec![0.0; d * self.emas.len()],
            started: false,
        }
    }
}

/// Builds window features one row at a time; the rows pushed so far are the history. The batch
/// [`Window::features`] is this stream run over the rows, so the two agree exactly.
#[derive(Debug, Clone)]
pub struct WindowStream {
    window: Window,
    d: usize,
    /// Up to `max_lag` previous rows, newest last.
    history: VecDeque<Vec<f64>>,
    /// Moving averages, column-major by input column then time constant.
    ema: Vec<f64>,
    started: bool,
}

impl WindowStream {
    /// The features of the next row.
    pub fn push(&mut self, row: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.d * self.window.width()];
        self.push_into(row, &mut out);
        out
    }

    /// The features of the next rows of `x` (in time order), continuing this stream: a long file
    /// read block by block gets the same features as in one piece.
    ///
    /// # Panics
    /// If `x` does not have `d` columns (a caller's bug, not user data).
    pub fn push_block(&mut self, x: MatRef<'_, f64>) -> Mat<f64> {
        let mut out = Mat::zeros(x.nrows(), self.d * self.window.width());
        let (mut row, mut feats) = (vec![0.0; self.d], vec![0.0; out.ncols()]);
        for i in 0..x.nrows() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = x[(i, j)];
            }
            self.push_into(&row, &mut feats);
            for (c, &v) in feats.iter().enumerate() {
                out[(i, c)] = v;
            }
        }
        out
    }

    /// The features of the next row, written into `out` (length `d · width`).
    ///
    /// # Panics
    /// If `row` or `out` has the wrong length (a caller's bug, not user data).
    pub fn push_into(&mut self, row: &[f64], out: &mut [f64]) {
        let (w, ne) = (&self.window, self.window.emas.len());
        assert_eq!(row.len(), self.d, "row length");
        assert_eq!(out.len(), self.d * w.width(), "output length");
        for (j, &x) in row.iter().enumerate() {
            for (e, &s) in w.emas.iter().enumerate() {
                let m = &mut self.ema[j * ne + e];
                *m = if self.started { *m + (x - *m) / s as f64 } else { x };
            }
        }
        self.started = true;
        let h = self.history.len();
        for (j, &x) in row.iter().enumerate() {
            let base = j * w.width();
            for (c, &k) in w.lags.iter().enumerate() {
                out[base + c] = if k == 0 || h == 0 { x } else { self.history[h.saturating_sub(k)][j] };
            }
            out[base + w.lags.len()..base + w.width()].copy_from_slice(&self.ema[j * ne..(j + 1) * ne]);
        }
        let keep = w.max_lag();
        if keep > 0 {
            let mut slot =
                if self.history.len() == keep { self.history.pop_front().expect("full") } else { Vec::new() };
            slot.clear();
            slot.extend_from_slice(row);
            self.history.push_back(slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        vec!["a".to_string(), "b".to_string()]
    }

    #[test]
    fn lags_pad_at_the_start_and_names_round_trip() {
        let x = Mat::from_fn(6, 2, |i, j| (10 * j + i) as f64);
        let w = Window::samples(3).unwrap();
        let (f, cols) = w.features(x.as_ref(), &names()).unwrap();
        assert_eq!(cols, ["a", "a[t-1]", "a[t-2]", "b", "b[t-1]", "b[t-2]"]);
        assert_eq!((0..6).map(|c| f[(3, c)]).collect::<Vec<_>>(), [3.0, 2.0, 1.0, 13.0, 12.0, 11.0]);
        assert_eq!((0..3).map(|c| f[(0, c)]).collect::<Vec<_>>(), [0.0, 0.0, 0.0]);
        assert_eq!((0..3).map(|c| f[(1, c)]).collect::<Vec<_>>(), [1.0, 0.0, 0.0]);
        assert_eq!(Window::parse(&cols).unwrap(), (names(), w));
        assert_eq!(Window::parse(&names()).unwrap(), (names(), Window::none()));
        assert!(Window::parse(&cols[..5]).is_err());
        assert!(Window::samples(0).is_err());
        assert!(Window::new(vec![], vec![]).is_err());
        assert!(Window::new(vec![1, 2], vec![]).is_err());
        assert!(Window::new(vec![0, 2, 2], vec![]).is_err());
        assert!(Window::new(vec![0], vec![1]).is_err(), "a 1-sample average is the sample");
        assert!(Window::new(vec![0], vec![8, 4]).is_err());
        assert!(Window::new(vec![0, 4], vec![]).unwrap().features(x.as_ref(), &names()).is_err(), "lag past the data");
        assert!(Window::new(vec![0, 3], vec![]).unwrap().features(x.as_ref(), &names()).is_err(), "half the rows");
        assert!(Window::new(vec![0, 2], vec![]).unwrap().features(x.as_ref(), &names()).is_ok());
    }

    #[test]
    fn spaced_lags_and_averages_pick_the_right_values() {
        let x = Mat::from_fn(11, 2, |i, j| (10 * j + i) as f64);
        let w = Window::new(vec![0, 2, 5], vec![2, 4]).unwrap();
        let (f, cols) = w.features(x.as_ref(), &names()).unwrap();
        assert_eq!(
            cols,
            ["a", "a[t-2]", "a[t-5]", "a[ema-2]", "a[ema-4]", "b", "b[t-2]", "b[t-5]", "b[ema-2]", "b[ema-4]"]
        );
        assert_eq!((0..3).map(|c| f[(7, c)]).collect::<Vec<_>>(), [7.0, 5.0, 2.0]);
        assert_eq!((0..3).map(|c| f[(3, c)]).collect::<Vec<_>>(), [3.0, 1.0, 0.0]);
        // m₀ = x₀, m_t = m_{t−1} + (x_t − m_{t−1})/s, written out for s = 2 on a = 0, 1, 2, …
        let mut m = 0.0;
        for i in 0..10 {
            if i > 0 {
                m += (i as f64 - m) / 2.0;
            }
            assert!((f[(i, 3)] - m).abs() < 1e-12, "row {i}");
        }
        // A constant column's averages are the constant.
        let c = Mat::from_fn(11, 1, |_, _| 3.5);
        let (fc, _) = w.features(c.as_ref(), &names()[..1]).unwrap();
        assert!((0..5).all(|k| fc[(5, k)] == 3.5));
        assert_eq!(Window::parse(&cols).unwrap(), (names(), w.clone()));
        let swapped: Vec<String> = ["a", "a[t-5]", "a[t-2]", "b", "b[t-5]", "b[t-2]"].map(String::from).to_vec();
        assert!(Window::parse(&swapped).is_err());
        let ema_first: Vec<String> = ["a", "a[ema-2]", "a[t-2]", "b", "b[ema-2]", "b[t-2]"].map(String::from).to_vec();
        assert!(Window::parse(&ema_first).is_err());
    }

    #[test]
    fn one_row_at_a_time_matches_the_batch() {
        let x = Mat::from_fn(12, 2, |i, j| ((i * 7 + j * 3) % 5) as f64);
        let w = Window::new(vec![0, 1, 4], vec![3]).unwrap();
        let (f, _) = w.features(x.as_ref(), &names()).unwrap();
        let mut s = w.stream(2);
        for i in 0..12usize {
            let r = s.push(&[x[(i, 0)], x[(i, 1)]]);
            assert_eq!(r, (0..f.ncols()).map(|c| f[(i, c)]).collect::<Vec<_>>(), "row {i}");
        }
        // Blocks of 5, 5 and 2 rows continue one another.
        let mut s = w.stream(2);
        let blocks: Vec<Mat<f64>> =
            [(0, 5), (5, 5), (10, 2)].iter().map(|&(a, n)| s.push_block(x.as_ref().subrows(a, n))).collect();
        for (b, &(a, n)) in blocks.iter().zip(&[(0, 5), (5, 5), (10, 2)]) {
            for i in 0..n {
                assert_eq!(
                    (0..f.ncols()).map(|c| b[(i, c)]).collect::<Vec<_>>(),
                    (0..f.ncols()).map(|c| f[(a + i, c)]).collect::<Vec<_>>()
                );
            }
        }
    }
}
