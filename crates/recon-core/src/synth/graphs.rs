//! Graphs with a smooth and a rough signal on their nodes: the planted truth for measuring what
//! a graph down/up-sampling path loses.
//!
//! Kinds:
//! - `grid`: a √n × √n four-neighbour grid (n rounded down to a square), unit weights;
//! - `ring`: a cycle of n nodes, unit weights;
//! - `geometric`: n points uniform in the unit square joined within radius
//!   `r = 1.5·√(ln n / (π n))` (1.5 × the connectivity threshold), weight `exp(−d² / (2 (r/2)²))`;
//! - `community`: a stochastic block model with equal communities, expected 8 neighbours inside a
//!   node's community and 1 outside, unit weights.
//!
//! Random kinds that come out disconnected are joined: each component after the first is linked
//! by one unit-weight edge from its first node to a node of the first component (so every graph
//! written is connected, as the Laplacian tools expect).
//!
//! Signals, from the Laplacian `L = U Λ Uᵀ` (eigenvalues increasing): `smooth` is white noise in
//! the graph frequencies 1..=K with K = max(2, n/20) (the constant vector excluded), `rough` is
//! white noise in the top half of the spectrum; both scaled to unit root-mean-square. Their
//! smoothness `xᵀLx / xᵀx` is reported beside `λ_max`.
//!
//! # Example
//!
//! ```
//! use recon_core::synth::graphs::{simulate, GraphKind, GraphParams};
//! # fn main() -> recon_core::Result<()> {
//! let s = simulate(&GraphParams { kind: GraphKind::Grid, nodes: 64, ..Default::default() })?;
//! assert_eq!((s.graph.n_nodes(), s.graph.edges.len()), (64, 2 * 8 * 7));
//! assert!(s.smoothness[0] < s.smoothness[1]);
//! # Ok(())
//! # }
//! ```

use faer::{Mat, Side};
use rand::{rngs::StdRng, Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

use crate::data::Graph;
use crate::{Error, Result};

/// Largest graph the simulator draws (its signals come from a dense eigendecomposition).
pub const MAX_NODES: usize = 4000;

/// The shape of the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphKind {
    /// Four-neighbour square grid.
    Grid,
    /// Cycle.
    Ring,
    /// Random geometric graph with Gaussian weights.
    Geometric,
    /// Stochastic block model.
    Community,
}

/// How to draw the graph.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphParams {
    /// Kind of graph.
    pub kind: GraphKind,
    /// Nodes (a grid takes the largest square not above).
    pub nodes: usize,
    /// Communities (for `community`).
    pub communities: usize,
    /// Seed of every draw.
    pub seed: u64,
}

impl Default for GraphParams {
    fn default() -> Self {
        GraphParams { kind: GraphKind::Grid, nodes: 256, communities: 4, seed: 0 }
    }
}

/// A drawn graph and its two signals.
#[derive(Debug, Clone)]
pub struct GraphSample {
    /// The graph (node ids `0`, `1`, …).
    pub graph: Graph,
    /// Low graph frequencies.
    pub smooth: Vec<f64>,
    /// High graph frequencies.
    pub rough: Vec<f64>,
    /// `xᵀLx / xᵀx` of the smooth and the rough signal.
    pub smoothness: [f64; 2],
    /// Largest Laplacian eigenvalue.
    pub lambda_max: f64,
    /// Edges added to join components.
    pub joined: usize,
}

/// Draws a graph and its signals.
pub fn simulate(p: &GraphParams) -> Result<GraphSample> {
    let n = match p.kind {
        GraphKind::Grid => {
            let s = (p.nodes as f64).sqrt().floor() as usize;
            s * s
        }
        _ => p.nodes,
    };
    if n < 4 || p.nodes > MAX_NODES {
        return Err(Error::invalid("nodes", format!("{} is not in 4..={MAX_NODES}", p.nodes)));
    }
    let mut rng = StdRng::seed_from_u64(p.seed);
    let mut edges: Vec<(usize, usize, f64)> = Vec::new();
    match p.kind {
        GraphKind::Grid => {
            let s = (n as f64).sqrt() as usize;
            for i in 0..s {
                for j in 0..s {
                    if j + 1 < s {
                        edges.push((i * s + j, i * s + j + 1, 1.0));
                    }
                    if i + 1 < s {
                        edges.push((i * s + j, (i + 1) * s + j, 1.0));
                    }
                }
            }
        }
        GraphKind::Ring => edges.extend((0..n).map(|i| (i.min((i + 1) % n), i.max((i + 1) % n), 1.0))),
        GraphKind::Geometric => {
            let pts: Vec<[f64; 2]> = (0..n).map(|_| [rng.random::<f64>(), rng.random::<f64>()]).collect();
            let r = 1.5 * ((n as f64).ln() / (std::f64::consts::PI * n as f64)).sqrt();
            let sigma = r / 2.0;
            for a in 0..n {
                for b in a + 1..n {
                    let d2 = (pts[a][0] - pts[b][0]).powi(2) + (pts[a][1] - pts[b][1]).powi(2);
                    if d2 <= r * r {
                        edges.push((a, b, (-d2 / (2.0 * sigma * sigma)).exp()));
                    }
                }
            }
        }
        GraphKind::Community => {
            let k = p.communities;
            if k < 2 || n / k < 2 {
                return Err(Error::invalid("communities", format!("{k} is not in 2..={}", n / 2)));
            }
            let size = n / k;
            let of = |i: usize| (i / size).min(k - 1);
            let p_in = (8.0 / (size as f64 - 1.0)).min(1.0);
            let p_out = (1.0 / (n - size) as f64).min(1.0);
            for a in 0..n {
                for b in a + 1..n {
                    if rng.random::<f64>() < if of(a) == of(b) { p_in } else { p_out } {
                        edges.push((a, b, 1.0));
                    }
                }
            }
        }
    }
    let nodes: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    let mut graph = Graph::new(nodes, edges)?;
    let label = graph.components();
    let mut joined = 0;
    let mut first_of = vec![usize::MAX; label.iter().max().map_or(0, |m| m + 1)];
    for (i, &c) in label.iter().enumerate() {
        if first_of[c] == usize::MAX {
            first_of[c] = i;
        }
    }
    let main: Vec<usize> = (0..n).filter(|&i| label[i] == 0).collect();
    for &f in &first_of[1..] {
        let to = main[rng.random_range(0..main.len())];
        graph.edges.push((to.min(f), to.max(f), 1.0));
        joined += 1;
    }
    let evd = graph
        .laplacian()
        .self_adjoint_eigen(Side::Lower)
        .map_err(|_| Error::NoConvergence { what: "eigendecomposition of the graph Laplacian" })?;
    let (u, lam) = (evd.U(), evd.S());
    let k = (n / 20).max(2);
    let draw = |rng: &mut StdRng, range: std::ops::Range<usize>| -> Vec<f64> {
        let c: Vec<f64> = range.clone().map(|_| StandardNormal.sample(rng)).collect();
        let mut x: Vec<f64> = (0..n).map(|i| range.clone().zip(&c).map(|(m, c)| c * u[(i, m)]).sum()).collect();
        let rms = (x.iter().map(|v| v * v).sum::<f64>() / n as f64).sqrt();
        x.iter_mut().for_each(|v| *v /= rms);
        x
    };
    let smooth = draw(&mut rng, 1..k + 1);
    let rough = draw(&mut rng, n / 2..n);
    let l = graph.laplacian();
    let quad = |x: &[f64]| -> f64 {
        let xm = Mat::from_fn(n, 1, |i, _| x[i]);
        let q = xm.transpose() * &l * &xm;
        q[(0, 0)] / x.iter().map(|v| v * v).sum::<f64>()
    };
    Ok(GraphSample { smoothness: [quad(&smooth), quad(&rough)], lambda_max: lam[n - 1], smooth, rough, graph, joined })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_connected_and_signals_sit_where_planted() {
        for kind in [GraphKind::Grid, GraphKind::Ring, GraphKind::Geometric, GraphKind::Community] {
            let s = simulate(&GraphParams { kind, nodes: 200, seed: 3, ..Default::default() }).unwrap();
            assert!(s.graph.components().iter().all(|&c| c == 0), "{kind:?} connected");
            let n = s.graph.n_nodes() as f64;
            for x in [&s.smooth, &s.rough] {
                assert!(((x.iter().map(|v| v * v).sum::<f64>() / n) - 1.0).abs() < 1e-9);
            }
            // Smooth within the lowest 1/20 of the spectrum's indices, rough in the top half.
            assert!(s.smoothness[0] < 0.25 * s.lambda_max && s.smoothness[1] > 0.3 * s.lambda_max, "{kind:?}");
        }
        let a =
            simulate(&GraphParams { kind: GraphKind::Geometric, nodes: 100, seed: 9, ..Default::default() }).unwrap();
        let b =
            simulate(&GraphParams { kind: GraphKind::Geometric, nodes: 100, seed: 9, ..Default::default() }).unwrap();
        assert_eq!((a.graph, a.smooth), (b.graph, b.smooth));
        assert!(simulate(&GraphParams { nodes: 3, ..Default::default() }).is_err());
        assert!(simulate(&GraphParams { kind: GraphKind::Community, communities: 1, ..Default::default() }).is_err());
    }
}
