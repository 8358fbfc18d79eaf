//! Rank diagnostics that do not look at the error curve.
//!
//! - **Core consistency** (CORCONDIA, Bro & Kiers 2003): with λ folded into the first factor, the
//!   least-squares Tucker core for the CP factors is `G = X ×₁ A₁⁺ ×₂ A₂⁺ … ×_N A_N⁺`. A CP model
//!   that fits is a superdiagonal core `T` of ones, and `CC = 100·(1 − ||G − T||²_F / R)`; it is 100
//!   for an exact model and drops, often below zero, when R exceeds the structure in the data.
//! - **Factor match score** (FMS): components are matched greedily by congruence and the score is
//!   the mean over matched components of `∏_m |cos(a_m, b_m)|`, over the modes compared.

use faer::Mat;
use recon_core::data::SparseTensor;

use crate::kruskal::{for_each_index, Kruskal};

fn pinv(a: &Mat<f64>) -> Option<Mat<f64>> {
    Some(a.thin_svd().ok()?.pseudoinverse())
}

/// Core consistency (%) of `model` for a dense C-order tensor (missing entries already filled).
pub fn corcondia_dense(shape: &[usize], data: &[f64], model: &Kruskal) -> Option<f64> {
    let (p, r) = pinvs(model)?;
    let mut g = vec![0.0; r.pow(shape.len() as u32)];
    let mut flat = 0;
    for_each_index(shape, |idx| {
        let x = data[flat];
        flat += 1;
        if x != 0.0 {
            accumulate(&mut g, &p, idx, x, r);
        }
    });
    Some(score(&g, r, shape.len()))
}

/// Core consistency (%) of `model` for a sparse tensor (cost nnz · R^N).
pub fn corcondia_sparse(t: &SparseTensor, model: &Kruskal) -> Option<f64> {
    let (p, r) = pinvs(model)?;
    let mut g = vec![0.0; r.pow(t.n_modes() as u32)];
    for e in 0..t.nnz() {
        accumulate(&mut g, &p, t.coords(e), t.values[e], r);
    }
    Some(score(&g, r, t.n_modes()))
}

fn pinvs(model: &Kruskal) -> Option<(Vec<Mat<f64>>, usize)> {
    let r = model.rank();
    let mut p = Vec::with_capacity(model.factors.len());
    for (m, f) in model.factors.iter().enumerate() {
        let f = if m == 0 { Mat::from_fn(f.nrows(), r, |i, c| f[(i, c)] * model.weights[c]) } else { f.clone() };
        p.push(pinv(&f)?);
    }
    Some((p, r))
}

/// `g += x · ⊗_m P_m[:, i_m]`.
fn accumulate(g: &mut [f64], p: &[Mat<f64>], idx: &[usize], x: f64, r: usize) {
    let shape = vec![r; p.len()];
    let mut k = 0;
    for_each_index(&shape, |c| {
        let mut v = x;
        for (m, pm) in p.iter().enumerate() {
            v *= pm[(c[m], idx[m])];
        }
        g[k] += v;
        k += 1;
    });
}

fn score(g: &[f64], r: usize, n_modes: usize) -> f64 {
    let shape = vec![r; n_modes];
    let mut k = 0;
    let mut ss = 0.0;
    for_each_index(&shape, |c| {
        let t = if c.iter().all(|&v| v == c[0]) { 1.0 } else { 0.0 };
        ss += (g[k] - t) * (g[k] - t);
        k += 1;
    });
    100.0 * (1.0 - ss / r as f64)
}

/// Factor match score between two models over the modes in `modes` (components matched greedily).
pub fn factor_match_score(a: &Kruskal, b: &Kruskal, modes: &[usize]) -> f64 {
    let r = a.rank().min(b.rank());
    if r == 0 {
        return 0.0;
    }
    let cong = |i: usize, j: usize| -> f64 {
        modes
            .iter()
            .map(|&m| {
                let (x, y) = (a.factors[m].col(i), b.factors[m].col(j));
                let dot: f64 = x.iter().zip(y.iter()).map(|(p, q)| p * q).sum();
                let den = x.norm_l2() * y.norm_l2();
                if den > 0.0 {
                    (dot / den).abs()
                } else {
                    0.0
                }
            })
            .product()
    };
    let mut pairs: Vec<(f64, usize, usize)> =
        (0..a.rank()).flat_map(|i| (0..b.rank()).map(move |j| (i, j))).map(|(i, j)| (cong(i, j), i, j)).collect();
    pairs.sort_by(|x, y| y.0.total_cmp(&x.0));
    let (mut used_a, mut used_b) = (vec![false; a.rank()], vec![false; b.rank()]);
    let mut total = 0.0;
    let mut matched = 0;
    for (c, i, j) in pairs {
        if !used_a[i] && !used_b[j] {
            used_a[i] = true;
            used_b[j] = true;
            total += c;
            matched += 1;
            if matched == r {
                break;
            }
        }
    }
    total / r as f64
}
