//! Tour section 3: how many behaviour patterns are in a clickstream? (planted truth)

use recon_core::data::Tensor;
use recon_core::report::{Block, Section};
use recon_core::synth::clickstream::{simulate, ClickstreamParams};
use recon_tensor::{factor_match_score, Fitted, Kruskal, RankSearch, CC_MIN, FMS_MIN};

use super::{Chapter, Tour};
use crate::commands::tensor::{cc_text, plot};

pub fn run(tour: &Tour) -> anyhow::Result<Chapter> {
    let planted = 4;
    let p = ClickstreamParams { users: 300, items: 120, days: 28, patterns: planted, density: 0.1, seed: tour.seed };
    let sim = simulate(&p)?;
    let t = Tensor::Sparse(sim.tensor.clone());
    let search = RankSearch {
        ranks: (1..=7).collect(),
        starts: 2,
        seed: tour.seed,
        max_iter: 200,
        tol: 1e-8,
        method: recon_tensor::Decomposition::Cp,
    };
    let r = search.run(&t, &|| {})?;
    let plot = plot(&r, "Clickstream: CP relative error vs rank")?;
    tour.write("clickstream_curve.svg", plot.as_bytes())?;
    let i = r.ranks.iter().position(|&k| k == r.recommended_rank).expect("searched rank");
    let mut truth = Kruskal { weights: vec![1.0; planted], factors: sim.factors.to_vec() };
    truth.normalize();
    let recovery = match &r.models[i] {
        Fitted::Cp(k) if r.recommended_rank == planted => Some(factor_match_score(k, &truth, &[0, 1, 2])),
        _ => None,
    };

    let mut s = Section::new("Choosing model size: behaviour patterns in a clickstream (CP)");
    s.text(format!(
        "A simulated user × item × day clickstream ({} × {} × {}, {} nonzero cells, {} events) with {planted} planted \
         behaviour patterns: each a user affinity, an item affinity and a weekly rhythm, with Poisson counts around their sum. \
         How many patterns are there? The error curve alone bends gently (count noise keeps the relative error high), so \
         Recon weighs three rulers.",
        p.users, p.items, p.days, sim.tensor.nnz(), sim.events
    ));
    s.blocks.push(Block::Svg(plot));
    let rows = (0..r.ranks.len())
        .map(|k| {
            vec![
                r.ranks[k].to_string(),
                format!("{:.4}", r.relative_error[k]),
                cc_text(r.corcondia[k]),
                format!("{:.2}", r.split_half_fms[k]),
            ]
        })
        .collect();
    s.blocks.push(Block::Table {
        header: vec!["rank".into(), "relative error".into(), "core consistency".into(), "split-half FMS".into()],
        rows,
    });
    s.text(format!(
        "Rule: the largest rank with core consistency ≥ {CC_MIN}% and split-half factor match ≥ {FMS_MIN}. {}. Planted: {planted}.{}",
        r.reason,
        recovery.map_or(String::new(), |f| format!(" The recovered patterns match the planted ones with factor match score {f:.3}."))
    ));
    let summary = vec![
        format!(
            "{} × {} × {} clickstream, {} nonzeros, {planted} planted patterns",
            p.users,
            p.items,
            p.days,
            sim.tensor.nnz()
        ),
        format!(
            "recommended rank {} (elbow {}); {}",
            r.recommended_rank,
            r.elbow,
            recovery.map_or("rank differs from planted".into(), |f| format!("recovery FMS {f:.3}"))
        ),
    ];
    Ok(Chapter { section: s, summary })
}
