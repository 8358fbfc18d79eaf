//! The graph version of the bottleneck: pool a signal on a graph's nodes L times, un-pool it back
//! L times, and measure the relative error `‖x − up(down(x))‖² / ‖x‖²` per level and the share of
//! the energy lost in each quarter of the graph spectrum (the graph Fourier basis: eigenvectors of
//! the Laplacian `L = D − W`, in increasing eigenvalue).
//!
//! Operators (each level roughly halves the nodes):
//! - `topk` — top-k pooling of Graph U-Nets (Gao & Ji 2019): a projection score per node, the
//!   ⌈n/2⌉ best-scoring nodes kept, un-pooled by scattering their values back to their places
//!   (zeros elsewhere). With the signal as the one node feature the projection score is the
//!   signal times the learned p; the magnitude `|x|` is used (the sign of p is arbitrary) and the
//!   gate is left out, so what is measured is the selection. The next level's graph is the kept
//!   nodes under the two-hop connectivity `A + A²` (the paper's augmentation).
//! - `kron` — spectral coarsening by Kron reduction (Dörfler & Bullo 2013; the multiscale pyramid
//!   of Shuman, Faraji & Vandergheynst 2016): keep the nodes where the eigenvector of the largest
//!   Laplacian eigenvalue is ≥ 0, the reduced Laplacian is the Schur complement
//!   `L₁₁ − L₁₂ L₂₂⁻¹ L₂₁`, and the signal is brought back by the harmonic (least-Dirichlet-energy)
//!   extension `x₂ = −L₂₂⁻¹ L₂₁ x₁`. Needs a connected graph.
//! - `heavy-edge` — a heavy-edge matching (Graclus / METIS style, as in Defferrard et al. 2016):
//!   nodes in order of increasing degree, each unmatched node paired with the unmatched
//!   neighbour maximising `w_uv (1/d_u + 1/d_v)`; a pair (or a lone node) becomes one node with the
//!   mean of its values and the sum of the weights to other clusters; un-pooling copies the mean
//!   back to both.
//!
//! The graph spectrum comes from a dense eigendecomposition, so graphs are limited to
//! [`MAX_NODES`] nodes.

use faer::prelude::Solve;
use faer::{Mat, Side};
use recon_core::data::Graph;
use recon_core::{Error, Result};
use serde::Serialize;

/// Largest graph measured (dense Laplacian eigendecomposition).
pub const MAX_NODES: usize = 4000;

/// A graph pooling operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GraphDown {
    /// Top-k pooling by score, scatter un-pooling.
    Topk,
    /// Kron reduction, harmonic extension.
    Kron,
    /// Heavy-edge matching, mean down and copy up.
    HeavyEdge,
}

/// One level of the graph down/up cycle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphLevel {
    /// Levels of pooling.
    pub level: usize,
    /// Nodes at the bottleneck.
    pub nodes: usize,
    /// Edges at the bottleneck.
    pub edges: usize,
    /// `‖x − x̂‖² / ‖x‖²`.
    pub relative_error: f64,
    /// Per quarter of the graph spectrum (low → high): the share of the signal's energy there
    /// that the residual holds (`None` where the signal has next to no energy: below 1e-12 of
    /// its total).
    pub band_loss: Vec<Option<f64>>,
    /// Per quarter: the residual's energy there over the signal's total energy (these sum to
    /// `relative_error`; they show where the error lives, aliasing included).
    pub band_error: Vec<f64>,
}

/// What the cycle did to one graph signal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphBottleneck {
    /// Pooling operator.
    pub op: GraphDown,
    /// Nodes of the input graph.
    pub nodes: usize,
    /// Edges of the input graph.
    pub edges: usize,
    /// Laplacian eigenvalues at the quarter boundaries of the spectrum (5 values, λ_min … λ_max).
    pub band_edges: Vec<f64>,
    /// Share of the signal's energy in each quarter of the spectrum.
    pub band_energy: Vec<f64>,
    /// `xᵀLx / xᵀx`.
    pub smoothness: f64,
    /// Per level.
    pub levels: Vec<GraphLevel>,
}

type Adj = Vec<Vec<(usize, f64)>>;

/// How one level goes back up.
enum Step {
    /// Kept nodes' positions among `n`.
    Scatter { keep: Vec<usize>, n: usize },
    /// Kept nodes, the others, and the interpolation `−L₂₂⁻¹ L₂₁` (others × kept).
    Harmonic { keep: Vec<usize>, rest: Vec<usize>, interp: Mat<f64> },
    /// The cluster of every node.
    Copy { cluster: Vec<usize> },
}

fn laplacian(adj: &Adj) -> Mat<f64> {
    let n = adj.len();
    let mut l = Mat::<f64>::zeros(n, n);
    for (u, nb) in adj.iter().enumerate() {
        for &(v, w) in nb {
            l[(u, v)] -= w;
            l[(u, u)] += w;
        }
    }
    l
}

fn n_edges(adj: &Adj) -> usize {
    adj.iter().map(Vec::len).sum::<usize>() / 2
}

fn topk(adj: &Adj, x: &[f64]) -> (Step, Adj, Vec<f64>) {
    let n = x.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| x[b].abs().total_cmp(&x[a].abs()).then(a.cmp(&b)));
    let mut keep = order[..n.div_ceil(2)].to_vec();
    keep.sort_unstable();
    let mut pos = vec![usize::MAX; n];
    for (k, &i) in keep.iter().enumerate() {
        pos[i] = k;
    }
    // A + A² among the kept nodes.
    let mut next: Adj = vec![Vec::new(); keep.len()];
    for (k, &u) in keep.iter().enumerate() {
        let mut w = std::collections::BTreeMap::new();
        for &(v, a) in &adj[u] {
            *w.entry(v).or_insert(0.0) += a;
            for &(t, b) in &adj[v] {
                *w.entry(t).or_insert(0.0) += a * b;
            }
        }
        next[k] = w.into_iter().filter(|&(v, _)| v != u && pos[v] != usize::MAX).map(|(v, a)| (pos[v], a)).collect();
    }
    let down = keep.iter().map(|&i| x[i]).collect();
    (Step::Scatter { keep, n }, next, down)
}

fn kron(adj: &Adj, x: &[f64], level: usize) -> Result<(Step, Adj, Vec<f64>)> {
    let n = x.len();
    let l = laplacian(adj);
    let evd = l
        .self_adjoint_eigen(Side::Lower)
        .map_err(|_| Error::NoConvergence { what: "eigendecomposition of the graph Laplacian" })?;
    let u = evd.U();
    // Fix the eigenvector's sign so that the choice does not depend on the solver.
    let lead = (0..n).max_by(|&a, &b| u[(a, n - 1)].abs().total_cmp(&u[(b, n - 1)].abs())).unwrap_or(0);
    let s = if u[(lead, n - 1)] < 0.0 { -1.0 } else { 1.0 };
    let (keep, rest): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| s * u[(i, n - 1)] >= 0.0);
    if keep.is_empty() || rest.is_empty() {
        return Err(Error::invalid_data("graph", format!("level {level}: Kron reduction found no split of {n} nodes")));
    }
    let sub = |r: &[usize], c: &[usize]| Mat::from_fn(r.len(), c.len(), |i, j| l[(r[i], c[j])]);
    let (l11, l12, l21, l22) = (sub(&keep, &keep), sub(&keep, &rest), sub(&rest, &keep), sub(&rest, &rest));
    let chol = l22.llt(Side::Lower).map_err(|_| {
        Error::invalid_data(
            "graph",
            format!("level {level}: a part of the graph has no kept node (Kron reduction needs a connected graph)"),
        )
    })?;
    let interp = -chol.solve(&l21);
    let reduced = &l11 + &l12 * &interp;
    let k = keep.len();
    let scale = (0..k).map(|i| reduced[(i, i)].abs()).fold(0.0, f64::max);
    let next: Adj = (0..k)
        .map(|i| {
            (0..k).filter(|&j| j != i && -reduced[(i, j)] > 1e-12 * scale).map(|j| (j, -reduced[(i, j)])).collect()
        })
        .collect();
    let down = keep.iter().map(|&i| x[i]).collect();
    Ok((Step::Harmonic { keep, rest, interp }, next, down))
}

fn heavy_edge(adj: &Adj, x: &[f64]) -> (Step, Adj, Vec<f64>) {
    let n = x.len();
    let deg: Vec<f64> = adj.iter().map(|nb| nb.iter().map(|e| e.1).sum()).collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| deg[a].total_cmp(&deg[b]).then(a.cmp(&b)));
    let mut cluster = vec![usize::MAX; n];
    let mut members: Vec<Vec<usize>> = Vec::new();
    for &u in &order {
        if cluster[u] != usize::MAX {
            continue;
        }
        let best = adj[u]
            .iter()
            .filter(|&&(v, _)| cluster[v] == usize::MAX && v != u)
            .map(|&(v, w)| (v, w * (1.0 / deg[u] + 1.0 / deg[v])))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        let c = members.len();
        cluster[u] = c;
        let mut m = vec![u];
        if let Some((v, _)) = best {
            cluster[v] = c;
            m.push(v);
        }
        members.push(m);
    }
    let k = members.len();
    let mut w = vec![std::collections::BTreeMap::<usize, f64>::new(); k];
    for (u, nb) in adj.iter().enumerate() {
        for &(v, a) in nb {
            if cluster[u] != cluster[v] {
                *w[cluster[u]].entry(cluster[v]).or_insert(0.0) += a;
            }
        }
    }
    let next: Adj = w.into_iter().map(|m| m.into_iter().collect()).collect();
    let down = members.iter().map(|m| m.iter().map(|&i| x[i]).sum::<f64>() / m.len() as f64).collect();
    (Step::Copy { cluster }, next, down)
}

fn up(step: &Step, y: &[f64]) -> Vec<f64> {
    match step {
        Step::Scatter { keep, n } => {
            let mut x = vec![0.0; *n];
            for (k, &i) in keep.iter().enumerate() {
                x[i] = y[k];
            }
            x
        }
        Step::Harmonic { keep, rest, interp } => {
            let mut x = vec![0.0; keep.len() + rest.len()];
            for (k, &i) in keep.iter().enumerate() {
                x[i] = y[k];
            }
            for (r, &i) in rest.iter().enumerate() {
                x[i] = (0..keep.len()).map(|k| interp[(r, k)] * y[k]).sum();
            }
            x
        }
        Step::Copy { cluster } => cluster.iter().map(|&c| y[c]).collect(),
    }
}

/// One level of the down pass: how to go back up, and the pooled graph and signal.
struct Pooled {
    step: Step,
    adj: Adj,
    signal: Vec<f64>,
}

/// The down pass of `op` over `levels` levels, with every check of the graph and the levels.
fn down_pass(graph: &Graph, x: &[f64], op: GraphDown, levels: usize) -> Result<Vec<Pooled>> {
    if x.len() != graph.n_nodes() {
        return Err(Error::invalid("signal", format!("{} values for {} nodes", x.len(), graph.n_nodes())));
    }
    if levels == 0 || levels > 8 {
        return Err(Error::invalid("levels", format!("{levels} is not in 1..=8")));
    }
    if op == GraphDown::Kron && graph.components().iter().any(|&c| c != 0) {
        return Err(Error::invalid_data(
            "graph",
            "the graph is not connected: Kron reduction needs one component (use topk or heavy-edge)",
        ));
    }
    let mut out: Vec<Pooled> = Vec::with_capacity(levels);
    for level in 1..=levels {
        let (adj, y) = match out.last() {
            Some(p) => (&p.adj, p.signal.as_slice()),
            None => (&graph.adjacency(), x),
        };
        if y.len() < 2 {
            return Err(Error::invalid(
                "levels",
                format!("level {level} would pool a graph of {} node(s): use fewer levels", y.len()),
            ));
        }
        let (step, adj, signal) = match op {
            GraphDown::Topk => topk(adj, y),
            GraphDown::Kron => kron(adj, y, level)?,
            GraphDown::HeavyEdge => heavy_edge(adj, y),
        };
        out.push(Pooled { step, adj, signal });
    }
    Ok(out)
}

/// `up^L(down^L(x))` for L = 1..=levels, and the bottleneck's nodes and edges per level.
pub fn graph_cycles(graph: &Graph, x: &[f64], op: GraphDown, levels: usize) -> Result<Vec<(Vec<f64>, usize, usize)>> {
    let pass = down_pass(graph, x, op, levels)?;
    Ok((0..pass.len())
        .map(|l| {
            let mut back = pass[l].signal.clone();
            for p in pass[..=l].iter().rev() {
                back = up(&p.step, &back);
            }
            (back, pass[l].adj.len(), n_edges(&pass[l].adj))
        })
        .collect())
}

/// Runs the cycle for levels 1..=`levels` on the signal `x` (one value per node).
pub fn graph_bottleneck(graph: &Graph, x: &[f64], op: GraphDown, levels: usize) -> Result<GraphBottleneck> {
    let n = graph.n_nodes();
    if n > MAX_NODES {
        return Err(Error::invalid_data(
            "graph",
            format!("{n} nodes: the graph bottleneck uses the dense Laplacian spectrum, limit {MAX_NODES}"),
        ));
    }
    if x.iter().any(|v| !v.is_finite()) {
        return Err(Error::invalid_data("signal", "the signal holds non-finite values"));
    }
    let energy: f64 = x.iter().map(|v| v * v).sum();
    if !(energy > 0.0) {
        return Err(Error::invalid_data("signal", "an all-zero signal has no energy to lose"));
    }
    let cycles = graph_cycles(graph, x, op, levels)?;
    let l = graph.laplacian();
    let evd = l
        .self_adjoint_eigen(Side::Lower)
        .map_err(|_| Error::NoConvergence { what: "eigendecomposition of the graph Laplacian" })?;
    let (u, lam) = (evd.U(), evd.S());
    let bounds: Vec<usize> = (0..=4).map(|q| q * n / 4).collect();
    let band = |v: &[f64]| -> Vec<f64> {
        let vm = Mat::from_fn(n, 1, |i, _| v[i]);
        let c = u.transpose() * &vm;
        (0..4).map(|q| (bounds[q]..bounds[q + 1]).map(|m| c[(m, 0)].powi(2)).sum()).collect()
    };
    let spectrum = band(x);
    let xm = Mat::from_fn(n, 1, |i, _| x[i]);
    let smoothness = (xm.transpose() * &l * &xm)[(0, 0)] / energy;
    let levels = cycles
        .into_iter()
        .enumerate()
        .map(|(i, (back, nodes, edges))| {
            let r: Vec<f64> = x.iter().zip(&back).map(|(a, b)| a - b).collect();
            let lost = band(&r);
            GraphLevel {
                level: i + 1,
                nodes,
                edges,
                relative_error: r.iter().map(|v| v * v).sum::<f64>() / energy,
                band_loss: lost.iter().zip(&spectrum).map(|(a, b)| (*b > 1e-12 * energy).then(|| a / b)).collect(),
                band_error: lost.iter().map(|a| a / energy).collect(),
            }
        })
        .collect();
    Ok(GraphBottleneck {
        op,
        nodes: n,
        edges: graph.edges.len(),
        band_edges: bounds.iter().map(|&b| lam[b.min(n - 1)]).collect(),
        band_energy: spectrum.iter().map(|e| e / energy).collect(),
        smoothness,
        levels,
    })
}

fn down(step: &Step, x: &[f64]) -> Vec<f64> {
    match step {
        Step::Scatter { keep, .. } | Step::Harmonic { keep, .. } => keep.iter().map(|&i| x[i]).collect(),
        Step::Copy { cluster } => {
            let k = cluster.iter().max().map_or(0, |m| m + 1);
            let (mut sum, mut count) = (vec![0.0; k], vec![0usize; k]);
            for (i, &c) in cluster.iter().enumerate() {
                sum[c] += x[i];
                count[c] += 1;
            }
            sum.iter().zip(&count).map(|(s, &c)| s / c as f64).collect()
        }
    }
}

/// A graph down/up cycle of `levels` levels as a reconstructor of node signals: each row of the
/// input is a signal (one column per node). Kron reduction and heavy-edge matching do not depend
/// on the signal, so their levels are built once from the graph and the code is the bottleneck's
/// values; top-k pooling chooses its nodes from the signal, so its code is the bottleneck's values
/// followed by the kept positions of every level.
pub struct GraphCycle {
    op: GraphDown,
    levels: usize,
    adj: Adj,
    /// The signal-independent levels (Kron, heavy-edge).
    fixed: Vec<Step>,
    /// Nodes per level 0..=levels.
    sizes: Vec<usize>,
}

impl GraphCycle {
    /// Builds the levels of `op` on `graph`.
    pub fn new(graph: &Graph, op: GraphDown, levels: usize) -> Result<GraphCycle> {
        let n = graph.n_nodes();
        if n > MAX_NODES {
            return Err(Error::invalid_data("graph", format!("{n} nodes: limit {MAX_NODES}")));
        }
        // Kron and heavy-edge do not look at the signal: their levels come from the graph alone.
        let pass = down_pass(graph, &vec![0.0; n], op, levels)?;
        let sizes = std::iter::once(n).chain(pass.iter().map(|p| p.signal.len())).collect();
        let fixed = if op == GraphDown::Topk { Vec::new() } else { pass.into_iter().map(|p| p.step).collect() };
        let adj = graph.adjacency();
        Ok(GraphCycle { op, levels, adj, fixed, sizes })
    }

    /// Code length per signal.
    pub fn code_len(&self) -> usize {
        let bottom = self.sizes[self.levels];
        match self.op {
            GraphDown::Topk => bottom + self.sizes[1..].iter().sum::<usize>(),
            _ => bottom,
        }
    }
}

impl recon_core::Reconstruct for GraphCycle {
    type Error = Error;

    fn encode(&self, x: faer::MatRef<'_, f64>) -> Result<Mat<f64>> {
        crate::map_rows(x, "signals", self.sizes[0], self.code_len(), |row| {
            let mut y = row.to_vec();
            let mut kept = Vec::new();
            if self.op == GraphDown::Topk {
                let mut a = self.adj.clone();
                for _ in 0..self.levels {
                    let (step, next, d) = topk(&a, &y);
                    if let Step::Scatter { keep, .. } = &step {
                        kept.extend(keep.iter().map(|&i| i as f64));
                    }
                    a = next;
                    y = d;
                }
            } else {
                for s in &self.fixed {
                    y = down(s, &y);
                }
            }
            y.extend(kept);
            Ok(y)
        })
    }

    fn decode(&self, z: faer::MatRef<'_, f64>) -> Result<Mat<f64>> {
        let bottom = self.sizes[self.levels];
        crate::map_rows(z, "codes", self.code_len(), self.sizes[0], |code| {
            let mut y = code[..bottom].to_vec();
            if self.op == GraphDown::Topk {
                let mut at = bottom;
                let mut steps = Vec::with_capacity(self.levels);
                for l in 1..=self.levels {
                    let keep: Vec<usize> = code[at..at + self.sizes[l]].iter().map(|&k| k as usize).collect();
                    at += self.sizes[l];
                    if keep.iter().any(|&i| i >= self.sizes[l - 1]) {
                        return Err(Error::invalid("codes", "a kept position beyond its level's nodes"));
                    }
                    steps.push(Step::Scatter { keep, n: self.sizes[l - 1] });
                }
                for s in steps.iter().rev() {
                    y = up(s, &y);
                }
            } else {
                for s in self.fixed.iter().rev() {
                    y = up(s, &y);
                }
            }
            Ok(y)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use recon_core::synth::graphs::{simulate, GraphKind, GraphParams};

    fn path(n: usize) -> Graph {
        Graph::new((0..n).map(|i| i.to_string()).collect(), (0..n - 1).map(|i| (i, i + 1, 1.0))).unwrap()
    }

    #[test]
    fn kron_on_a_path_keeps_every_other_node_and_rebuilds_lines_exactly() {
        // The top Laplacian eigenvector of a path alternates in sign: Kron keeps every other node,
        // and eliminating a middle node of two unit resistors in series leaves weight 1/2.
        let g = path(9);
        let x: Vec<f64> = (0..9).map(|i| 2.0 + 0.5 * i as f64).collect();
        let c = graph_cycles(&g, &x, GraphDown::Kron, 2).unwrap();
        assert_eq!(c[0].1, 5);
        // A linear signal is harmonic on a path: the extension rebuilds it exactly at every level.
        for (back, _, _) in &c {
            let err: f64 = x.iter().zip(back).map(|(a, b)| (a - b).powi(2)).sum();
            assert!(err < 1e-20, "{err}");
        }
        let adj = g.adjacency();
        let (_, next, _) = kron(&adj, &x, 1).unwrap();
        for nb in &next {
            for &(_, w) in nb {
                assert!((w - 0.5).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn topk_loses_exactly_the_energy_of_the_dropped_nodes() {
        let g = path(6);
        let x = [3.0, -1.0, 0.5, -4.0, 2.0, 0.1];
        let b = graph_bottleneck(&g, &x, GraphDown::Topk, 1).unwrap();
        // Keeps 3, −4, 2 (largest magnitudes); loses 1 + 0.25 + 0.01.
        let energy: f64 = x.iter().map(|v| v * v).sum();
        assert!((b.levels[0].relative_error - 1.26 / energy).abs() < 1e-15);
        assert_eq!(b.levels[0].nodes, 3);
        // The band losses are shares of each band's energy: weighted by the bands they sum to the total.
        let total: f64 = b.levels[0].band_loss.iter().zip(&b.band_energy).map(|(l, e)| l.unwrap() * e).sum();
        assert!((total - b.levels[0].relative_error).abs() < 1e-12);
        let total: f64 = b.levels[0].band_error.iter().sum();
        assert!((total - b.levels[0].relative_error).abs() < 1e-12);
    }

    #[test]
    fn heavy_edge_is_lossless_on_signals_constant_on_the_pairs() {
        // A path with heavy edges 0–1, 2–3, 4–5: the matching pairs them.
        let g = Graph::new(
            (0..6).map(|i| i.to_string()).collect(),
            [(0, 1, 5.0), (1, 2, 1.0), (2, 3, 5.0), (3, 4, 1.0), (4, 5, 5.0)],
        )
        .unwrap();
        let c = graph_cycles(&g, &[1.0, 1.0, -2.0, -2.0, 7.0, 7.0], GraphDown::HeavyEdge, 1).unwrap();
        assert_eq!(c[0].0, [1.0, 1.0, -2.0, -2.0, 7.0, 7.0]);
        assert_eq!((c[0].1, c[0].2), (3, 2));
        let c = graph_cycles(&g, &[1.0, 3.0, 0.0, 0.0, 0.0, 0.0], GraphDown::HeavyEdge, 1).unwrap();
        assert_eq!(c[0].0[..2], [2.0, 2.0]);
    }

    #[test]
    fn coarsening_keeps_smooth_signals_and_loses_rough_ones() {
        for (kind, seed) in [(GraphKind::Grid, 1), (GraphKind::Geometric, 2), (GraphKind::Community, 5)] {
            let s = simulate(&GraphParams { kind, nodes: 256, seed, ..Default::default() }).unwrap();
            for op in [GraphDown::Kron, GraphDown::HeavyEdge] {
                let sm = graph_bottleneck(&s.graph, &s.smooth, op, 3).unwrap();
                let ro = graph_bottleneck(&s.graph, &s.rough, op, 3).unwrap();
                // Block-model graphs are smooth only across communities: the within-community
                // frequencies among the smooth signal's 12 are nearly as rough as any.
                let factor = if kind == GraphKind::Community { 0.8 } else { 0.5 };
                for l in 0..3 {
                    assert!(
                        sm.levels[l].relative_error < factor * ro.levels[l].relative_error,
                        "{kind:?} {op:?} level {l}: {} vs {}",
                        sm.levels[l].relative_error,
                        ro.levels[l].relative_error
                    );
                }
                // Error grows with depth (nested coarsenings).
                assert!(sm.levels[2].relative_error >= sm.levels[0].relative_error - 1e-12);
            }
        }
    }

    #[test]
    fn the_graph_cycle_as_a_reconstructor_matches_the_measured_cycle() {
        use recon_core::Reconstruct;
        let s =
            simulate(&GraphParams { kind: GraphKind::Geometric, nodes: 120, seed: 8, ..Default::default() }).unwrap();
        let x = Mat::from_fn(2, 120, |r, j| if r == 0 { s.smooth[j] } else { s.rough[j] });
        for op in [GraphDown::Topk, GraphDown::Kron, GraphDown::HeavyEdge] {
            let c = GraphCycle::new(&s.graph, op, 3).unwrap();
            let back = c.reconstruct(x.as_ref()).unwrap();
            for (r, sig) in [&s.smooth, &s.rough].into_iter().enumerate() {
                let want = &graph_cycles(&s.graph, sig, op, 3).unwrap()[2].0;
                for j in 0..120 {
                    assert!((back[(r, j)] - want[j]).abs() < 1e-10, "{op:?}");
                }
            }
        }
    }

    #[test]
    fn refuses_what_it_cannot_measure() {
        let two = Graph::new((0..4).map(|i| i.to_string()).collect(), [(0, 1, 1.0), (2, 3, 1.0)]).unwrap();
        let e = graph_bottleneck(&two, &[1.0, 2.0, 3.0, 4.0], GraphDown::Kron, 1).unwrap_err().to_string();
        assert!(e.contains("not connected"), "{e}");
        assert!(graph_bottleneck(&two, &[1.0, 2.0, 3.0, 4.0], GraphDown::Topk, 1).is_ok());
        assert!(graph_bottleneck(&path(4), &[0.0; 4], GraphDown::Topk, 1).is_err());
        assert!(graph_bottleneck(&path(4), &[1.0; 3], GraphDown::Topk, 1).is_err());
        let e = graph_bottleneck(&path(4), &[1.0; 4], GraphDown::Topk, 3).unwrap_err().to_string();
        assert!(e.contains("use fewer levels"), "{e}");
    }
}
