//! The graph bottleneck against numpy re-implementations of top-k pooling, Kron reduction and
//! heavy-edge matching (`tools/make_graph_fixture.py`).

use recon_core::data::Graph;
use recon_signal::{graph_bottleneck, GraphDown};

#[test]
fn graph_cycles_match_numpy() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/graphs.json")).unwrap();
    let fx: serde_json::Value = serde_json::from_str(&text).unwrap();
    for case in fx["cases"].as_array().unwrap() {
        let n = case["nodes"].as_u64().unwrap() as usize;
        let edges = case["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e[0].as_u64().unwrap() as usize, e[1].as_u64().unwrap() as usize, e[2].as_f64().unwrap()));
        let g = Graph::new((0..n).map(|i| i.to_string()).collect(), edges).unwrap();
        let x: Vec<f64> = case["signal"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        for (name, op) in [("topk", GraphDown::Topk), ("kron", GraphDown::Kron), ("heavy-edge", GraphDown::HeavyEdge)] {
            let b = graph_bottleneck(&g, &x, op, 3).unwrap();
            for (got, want) in b.levels.iter().zip(case["ops"][name]["levels"].as_array().unwrap()) {
                let e = want["relative_error"].as_f64().unwrap();
                assert!(
                    (got.relative_error - e).abs() <= 1e-9 * e.max(1e-12),
                    "{name} {}: {} vs {e}",
                    got.level,
                    got.relative_error
                );
                assert_eq!(got.nodes as u64, want["nodes"].as_u64().unwrap(), "{name} nodes");
                assert_eq!(got.edges as u64, want["edges"].as_u64().unwrap(), "{name} edges");
                for (g, w) in got.band_loss.iter().map(|v| v.unwrap()).zip(want["band_loss"].as_array().unwrap()) {
                    let w = w.as_f64().unwrap();
                    assert!((g - w).abs() <= 1e-9 * w.abs().max(1e-3), "{name} band {g} vs {w}");
                }
            }
        }
    }
}
