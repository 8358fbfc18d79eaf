//! Graphs as files: an edge list (`source,target[,weight]`) and a node-signal table
//! (`node,<value columns>`), both CSV with a header.
//!
//! The rules, stated once and enforced on every file:
//! - the graph is undirected and weighted; `weight` is optional (1 when the column is absent), and
//!   a weight must be a finite number above 0;
//! - node ids are text (numbers are ids too, compared as written after trimming spaces); the nodes
//!   are the ids the edge list names, in order of first appearance;
//! - a self-loop (`a,a`) is refused: a graph Laplacian `L = D − W` ignores it, so a file that has
//!   one was almost certainly meant differently;
//! - an edge given twice (in either direction) is refused rather than summed;
//! - a node-signal file must give every node of the graph exactly one value, and may name no
//!   node the edge list does not have (an unknown id is refused, with its line).

use std::collections::HashMap;
use std::path::Path;

use faer::Mat;

use super::{open_file, parse_field, write_csv_records, CsvRecord, CsvSource};
use crate::{Error, Result};

/// An undirected weighted graph without self-loops.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    /// Node ids, in order of first appearance in the edge list.
    pub nodes: Vec<String>,
    /// Edges `(a, b, weight)` with `a < b` indices into `nodes`, each once.
    pub edges: Vec<(usize, usize, f64)>,
}

impl Graph {
    /// A graph on `nodes` from `(a, b, w)` index triples, checked: indices in range, no
    /// self-loop, no edge twice, weights finite and positive.
    pub fn new(nodes: Vec<String>, edges: impl IntoIterator<Item = (usize, usize, f64)>) -> Result<Graph> {
        let n = nodes.len();
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for (a, b, w) in edges {
            if a >= n || b >= n {
                return Err(Error::invalid_data("graph", format!("edge ({a}, {b}) names a node index ≥ {n}")));
            }
            if a == b {
                return Err(Error::invalid_data("graph", format!("self-loop at node '{}'", nodes[a])));
            }
            if !(w.is_finite() && w > 0.0) {
                return Err(Error::invalid_data(
                    "graph",
                    format!("edge '{}'–'{}' has weight {w}: weights must be finite and above 0", nodes[a], nodes[b]),
                ));
            }
            let key = (a.min(b), a.max(b));
            if !seen.insert(key) {
                return Err(Error::invalid_data(
                    "graph",
                    format!("edge '{}'–'{}' is given twice", nodes[key.0], nodes[key.1]),
                ));
            }
            out.push((key.0, key.1, w));
        }
        Ok(Graph { nodes, edges: out })
    }

    /// Number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// Neighbours of every node with the edge weight.
    pub fn adjacency(&self) -> Vec<Vec<(usize, f64)>> {
        let mut adj = vec![Vec::new(); self.n_nodes()];
        for &(a, b, w) in &self.edges {
            adj[a].push((b, w));
            adj[b].push((a, w));
        }
        adj
    }

    /// The combinatorial Laplacian `L = D − W`, dense.
    pub fn laplacian(&self) -> Mat<f64> {
        let n = self.n_nodes();
        let mut l = Mat::<f64>::zeros(n, n);
        for &(a, b, w) in &self.edges {
            l[(a, b)] -= w;
            l[(b, a)] -= w;
            l[(a, a)] += w;
            l[(b, b)] += w;
        }
        l
    }

    /// Connected components: a component label per node (0, 1, … in order of first node).
    pub fn components(&self) -> Vec<usize> {
        let adj = self.adjacency();
        let mut label = vec![usize::MAX; self.n_nodes()];
        let mut next = 0;
        for s in 0..self.n_nodes() {
            if label[s] != usize::MAX {
                continue;
            }
            let mut stack = vec![s];
            label[s] = next;
            while let Some(u) = stack.pop() {
                for &(v, _) in &adj[u] {
                    if label[v] == usize::MAX {
                        label[v] = next;
                        stack.push(v);
                    }
                }
            }
            next += 1;
        }
        label
    }
}

/// Reads an edge list: a CSV with columns `source` and `target` and an optional `weight` (other
/// columns are ignored). See the module documentation for the rules.
pub fn load_graph(path: &Path) -> Result<Graph> {
    let name = path.display().to_string();
    let mut src = CsvSource::new(open_file(path)?, path)?;
    let col = |c: &str| src.header().iter().position(|h| h == c);
    let (Some(s), Some(t)) = (col("source"), col("target")) else {
        return Err(Error::invalid_data(
            &name,
            format!(
                "an edge list needs columns 'source' and 'target' (and optionally 'weight'); the header has {}",
                src.header().join(", ")
            ),
        ));
    };
    let wcol = col("weight");
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut nodes = Vec::new();
    let mut first_line: HashMap<(usize, usize), u64> = HashMap::new();
    let mut edges = Vec::new();
    while let Some(rec) = src.next_record()? {
        let line = match rec {
            CsvRecord::Row { line } => line,
            CsvRecord::Bad { error, .. } => return Err(error),
        };
        let r = src.record();
        let mut id = |v: &str| -> Result<usize> {
            let v = v.trim();
            if v.is_empty() {
                return Err(Error::invalid_data(&name, format!("line {line}: an empty node id")));
            }
            Ok(*ids.entry(v.to_string()).or_insert_with(|| {
                nodes.push(v.to_string());
                nodes.len() - 1
            }))
        };
        let (a, b) = (id(&r[s])?, id(&r[t])?);
        if a == b {
            return Err(Error::invalid_data(
                &name,
                format!(
                    "line {line}: self-loop at node '{}' (a graph Laplacian ignores self-loops; remove the row)",
                    r[s].trim()
                ),
            ));
        }
        let w = match wcol {
            None => 1.0,
            Some(c) => match parse_field(&r[c]) {
                Some(w) if w.is_finite() && w > 0.0 => w,
                _ => {
                    return Err(Error::invalid_data(
                        &name,
                        format!("line {line}: weight '{}' is not a finite number above 0", r[c].trim()),
                    ))
                }
            },
        };
        let key = (a.min(b), a.max(b));
        if let Some(prev) = first_line.insert(key, line) {
            return Err(Error::invalid_data(
                &name,
                format!(
                    "line {line}: edge '{}'–'{}' was already given on line {prev} (the graph is undirected: give each edge once)",
                    r[s].trim(),
                    r[t].trim()
                ),
            ));
        }
        edges.push((key.0, key.1, w));
    }
    if edges.is_empty() {
        return Err(Error::Empty { what: name, reason: "the edge list has no edges".into() });
    }
    Graph::new(nodes, edges)
}

/// Reads one value column of a node-signal CSV (`node,<values>`) in the graph's node order:
/// `column` names it, or the first column after `node` is taken. Returns the column's name and
/// the values.
pub fn load_node_signal(path: &Path, graph: &Graph, column: Option<&str>) -> Result<(String, Vec<f64>)> {
    let name = path.display().to_string();
    let mut src = CsvSource::new(open_file(path)?, path)?;
    let header = src.header().to_vec();
    let Some(nc) = header.iter().position(|h| h == "node") else {
        return Err(Error::invalid_data(
            &name,
            format!("a node-signal table needs a 'node' column; the header has {}", header.join(", ")),
        ));
    };
    let vc = match column {
        Some(c) => header
            .iter()
            .position(|h| h == c)
            .ok_or_else(|| Error::UnknownColumn { column: c.to_string(), available: header.join(", ") })?,
        None => (0..header.len())
            .find(|&j| j != nc)
            .ok_or_else(|| Error::invalid_data(&name, "a node-signal table needs a value column beside 'node'"))?,
    };
    let index: HashMap<&str, usize> = graph.nodes.iter().enumerate().map(|(i, v)| (v.as_str(), i)).collect();
    let mut values = vec![f64::NAN; graph.n_nodes()];
    let mut line_of = vec![0u64; graph.n_nodes()];
    while let Some(rec) = src.next_record()? {
        let line = match rec {
            CsvRecord::Row { line } => line,
            CsvRecord::Bad { error, .. } => return Err(error),
        };
        let r = src.record();
        let id = r[nc].trim();
        let Some(&i) = index.get(id) else {
            return Err(Error::invalid_data(
                &name,
                format!("line {line}: node '{id}' is not in the edge list (a signal may only name the graph's nodes)"),
            ));
        };
        if line_of[i] != 0 {
            return Err(Error::invalid_data(
                &name,
                format!("line {line}: node '{id}' already has a value (line {})", line_of[i]),
            ));
        }
        match parse_field(&r[vc]) {
            Some(v) if v.is_finite() => values[i] = v,
            _ => {
                return Err(Error::invalid_data(
                    &name,
                    format!("line {line}: '{}' in column '{}' is not a finite number", r[vc].trim(), header[vc]),
                ))
            }
        }
        line_of[i] = line;
    }
    let missing: Vec<&str> =
        (0..graph.n_nodes()).filter(|&i| line_of[i] == 0).map(|i| graph.nodes[i].as_str()).collect();
    if let Some(first) = missing.first() {
        return Err(Error::invalid_data(
            &name,
            format!("{} of the graph's {} nodes have no value (first: '{first}')", missing.len(), graph.n_nodes()),
        ));
    }
    Ok((header[vc].clone(), values))
}

/// Writes the edge list as `source,target,weight` (atomically).
pub fn write_graph(path: &Path, graph: &Graph) -> Result<()> {
    write_csv_records(
        path,
        &["source", "target", "weight"],
        graph.edges.iter().map(|&(a, b, w)| [graph.nodes[a].clone(), graph.nodes[b].clone(), format!("{w}")]),
    )
}

/// Writes node signals as `node,<names…>` (atomically), one row per node.
pub fn write_node_signals(path: &Path, graph: &Graph, names: &[&str], signals: &[&[f64]]) -> Result<()> {
    if names.len() != signals.len() || signals.iter().any(|s| s.len() != graph.n_nodes()) {
        return Err(Error::invalid("signals", "one name per signal and one value per node"));
    }
    let mut header = vec!["node"];
    header.extend_from_slice(names);
    write_csv_records(
        path,
        &header,
        (0..graph.n_nodes()).map(|i| {
            std::iter::once(graph.nodes[i].clone())
                .chain(signals.iter().map(|s| format!("{}", s[i])))
                .collect::<Vec<_>>()
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn reads_edges_and_signal_in_node_order() {
        let d = tempfile::tempdir().unwrap();
        let g = load_graph(&file(&d, "e.csv", "source,target,weight\nb,a,2\na,c,1.5\n")).unwrap();
        assert_eq!(g.nodes, ["b", "a", "c"]);
        assert_eq!(g.edges, [(0, 1, 2.0), (1, 2, 1.5)]);
        let l = g.laplacian();
        assert_eq!((l[(1, 1)], l[(0, 1)], l[(2, 2)]), (3.5, -2.0, 1.5));
        let (c, v) = load_node_signal(&file(&d, "s.csv", "node,x,y\nc,3,0\na,1,0\nb,2,0\n"), &g, None).unwrap();
        assert_eq!((c.as_str(), v), ("x", vec![2.0, 1.0, 3.0]));
        let (_, y) = load_node_signal(&file(&d, "s2.csv", "y,node\n5,a\n6,b\n7,c\n"), &g, Some("y")).unwrap();
        assert_eq!(y, [6.0, 5.0, 7.0]);
        // Without 'weight' every edge weighs 1; written and read back, the graph is the same.
        let g2 = load_graph(&file(&d, "u.csv", "target,source,colour\n1,2,red\n2,3,blue\n")).unwrap();
        assert_eq!(g2.edges.iter().map(|e| e.2).collect::<Vec<_>>(), [1.0, 1.0]);
        let p = d.path().join("w.csv");
        write_graph(&p, &g).unwrap();
        assert_eq!(load_graph(&p).unwrap(), g);
    }

    #[test]
    fn refuses_bad_graph_files_with_the_rule() {
        let d = tempfile::tempdir().unwrap();
        let err = |text: &str| load_graph(&file(&d, "e.csv", text)).unwrap_err().to_string();
        assert!(err("source,target\na,b\nc,c\n").contains("line 3: self-loop at node 'c'"));
        assert!(err("source,target\na,b\nb,a\n").contains("already given on line 2"));
        assert!(err("source,target,weight\na,b,-1\n").contains("not a finite number above 0"));
        assert!(err("source,target,weight\na,b,x\n").contains("line 2: weight 'x'"));
        assert!(err("from,to\na,b\n").contains("needs columns 'source' and 'target'"));
        assert!(err("source,target\n").contains("no edges"));
        assert!(err("source,target\na, \n").contains("empty node id"));
        let g = load_graph(&file(&d, "ok.csv", "source,target\na,b\nb,c\n")).unwrap();
        let serr = |text: &str| load_node_signal(&file(&d, "s.csv", text), &g, None).unwrap_err().to_string();
        assert!(serr("node,x\na,1\nb,2\nz,3\n").contains("line 4: node 'z' is not in the edge list"));
        assert!(serr("node,x\na,1\nb,2\n").contains("1 of the graph's 3 nodes have no value (first: 'c')"));
        assert!(serr("node,x\na,1\na,2\n").contains("already has a value (line 2)"));
        assert!(serr("node,x\na,1\nb,inf\nc,1\n").contains("not a finite number"));
        assert!(serr("id,x\na,1\n").contains("needs a 'node' column"));
        assert!(load_node_signal(&file(&d, "s.csv", "node,x\na,1\nb,2\nc,3\n"), &g, Some("q")).is_err());
        assert!(Graph::new(vec!["a".into()], [(0, 0, 1.0)]).is_err());
    }

    #[test]
    fn components_label_each_piece() {
        let g = Graph::new((0..5).map(|i| i.to_string()).collect(), [(0, 1, 1.0), (3, 4, 1.0)]).unwrap();
        assert_eq!(g.components(), [0, 0, 1, 2, 2]);
    }
}
