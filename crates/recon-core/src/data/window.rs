//! Window features: each column at time `t` together with its `w − 1` previous samples, so that a
//! static model can see short-term dynamics (a motor's speed must follow its current; a frozen
//! sensor stops moving).
//!
//! The lag columns are named `name[t-k]`, so a model file that lists its feature names also says
//! which window it was fitted with; [`window_spec`] reads the window back from those names. The
//! first `w − 1` rows have no full history; they repeat the first row (edge padding), so every
//! input row keeps an output row.

use faer::{Mat, MatRef};

use crate::{Error, Result};

/// The name of column `name` lagged by `k` samples (`name` itself for `k = 0`).
pub fn lag_name(name: &str, k: usize) -> String {
    if k == 0 {
        name.to_string()
    } else {
        format!("{name}[t-{k}]")
    }
}

/// The window features of `x` (rows in time order): for each column `j`, lags `0..w` in that
/// order. Returns the matrix and its column names.
pub fn window_features(x: MatRef<'_, f64>, names: &[String], w: usize) -> Result<(Mat<f64>, Vec<String>)> {
    if w == 0 {
        return Err(Error::invalid("window", "must be at least 1 (1 = no past samples)"));
    }
    if w > 1 && w > x.nrows() {
        return Err(Error::invalid("window", format!("{w} is longer than the {} rows of data", x.nrows())));
    }
    let d = x.ncols();
    let out = Mat::from_fn(x.nrows(), d * w, |i, c| {
        let (j, k) = (c / w, c % w);
        x[(i.saturating_sub(k), j)]
    });
    let cols = names.iter().flat_map(|n| (0..w).map(move |k| lag_name(n, k))).collect();
    Ok((out, cols))
}

/// The window features of one new row given the previous rows, newest last (`history` holds up
/// to `w − 1` rows; missing history repeats the oldest row available, as [`window_features`]).
pub fn window_row(history: &[Vec<f64>], row: &[f64], w: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(row.len() * w);
    for j in 0..row.len() {
        for k in 0..w {
            let v = if k == 0 || history.is_empty() {
                row[j]
            } else {
                let idx = history.len().saturating_sub(k);
                history[idx][j]
            };
            out.push(v);
        }
    }
    out
}

/// Reads the base columns and the window back from window-feature names (as written by
/// [`window_features`]); plain names give window 1.
pub fn window_spec(features: &[String]) -> Result<(Vec<String>, usize)> {
    let parse = |f: &str| -> Option<(String, usize)> {
        let open = f.rfind("[t-")?;
        let k: usize = f.strip_suffix(']')?[open + 3..].parse().ok()?;
        Some((f[..open].to_string(), k))
    };
    let base: Vec<String> = features.iter().filter(|f| parse(f).is_none()).cloned().collect();
    if base.is_empty() {
        return Err(Error::invalid("model columns", "no un-lagged column"));
    }
    if !features.len().is_multiple_of(base.len()) {
        return Err(Error::invalid("model columns", "lag columns do not form a full window"));
    }
    let w = features.len() / base.len();
    let expected: Vec<String> = base.iter().flat_map(|n| (0..w).map(move |k| lag_name(n, k))).collect();
    if expected != features {
        return Err(Error::invalid("model columns", "lag columns do not form a full window"));
    }
    Ok((base, w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lags_pad_at_the_start_and_names_round_trip() {
        let x = Mat::from_fn(4, 2, |i, j| (10 * j + i) as f64);
        let names = vec!["a".to_string(), "b".to_string()];
        let (f, cols) = window_features(x.as_ref(), &names, 3).unwrap();
        assert_eq!(cols, ["a", "a[t-1]", "a[t-2]", "b", "b[t-1]", "b[t-2]"]);
        assert_eq!((0..6).map(|c| f[(3, c)]).collect::<Vec<_>>(), [3.0, 2.0, 1.0, 13.0, 12.0, 11.0]);
        assert_eq!((0..3).map(|c| f[(0, c)]).collect::<Vec<_>>(), [0.0, 0.0, 0.0]);
        assert_eq!((0..3).map(|c| f[(1, c)]).collect::<Vec<_>>(), [1.0, 0.0, 0.0]);
        assert_eq!(window_spec(&cols).unwrap(), (names.clone(), 3));
        assert_eq!(window_spec(&names).unwrap(), (names, 1));
        assert!(window_spec(&cols[..5]).is_err());
        assert!(window_features(x.as_ref(), &["a".into(), "b".into()], 0).is_err());
    }

    #[test]
    fn one_row_at_a_time_matches_the_batch() {
        let x = Mat::from_fn(5, 2, |i, j| ((i * 7 + j * 3) % 5) as f64);
        let names = vec!["a".to_string(), "b".to_string()];
        let (f, _) = window_features(x.as_ref(), &names, 3).unwrap();
        let rows: Vec<Vec<f64>> = (0..5).map(|i| vec![x[(i, 0)], x[(i, 1)]]).collect();
        for i in 0..5usize {
            let hist = &rows[i.saturating_sub(2)..i];
            let r = window_row(hist, &rows[i], 3);
            assert_eq!(r, (0..6).map(|c| f[(i, c)]).collect::<Vec<_>>(), "row {i}");
        }
    }
}
