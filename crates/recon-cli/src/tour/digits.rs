//! Tour section 1: compressing handwritten digits with PCA.

use recon_core::data::{load_table, png_bytes, Image, LoadOptions};
use recon_core::report::{Block, Section};
use recon_core::{Fit, Reconstruct};
use recon_linear::{PcaParams, RandomizedParams, StreamingPca};

use super::{Chapter, Tour, DIGITS_CSV};
use recon::curve::CurveReport;

pub fn run(tour: &Tour) -> anyhow::Result<Chapter> {
    let path = tour.embedded("digits.csv", DIGITS_CSV)?;
    let opts = LoadOptions { label_col: Some("label".into()), ..Default::default() };
    let data = load_table(&path, &opts)?.dataset;
    let (n, d) = (data.n_rows(), data.n_cols());
    let pca = PcaParams::new().fit(&data)?;
    let curve = CurveReport::new(&pca, d, 1.0, 0)?;
    let svg = curve.plot("Digits: relative squared error vs rank")?;
    tour.write("digits_curve.svg", svg.as_bytes())?;
    let k = curve.elbow;

    let mut s = Section::new("Compressing handwritten digits (PCA)");
    s.text(format!(
        "{n} scanned digits, 8 × 8 pixels each ({d} features, values 0..16; UCI / scikit-learn). \
         The curve is the relative squared error err(k) = ||Xc − X̂ₖ||²/||Xc||² of the best rank-k \
         approximation, which by Eckart–Young is the energy of the singular values left out."
    ));
    s.blocks.push(Block::Svg(svg));
    let cands: Vec<String> = curve.elbow_candidates.iter().map(usize::to_string).collect();
    s.text(format!(
        "Kneedle (sensitivity 1) finds knees at rank(s) {} and picks rank {k}, where err = {:.3}. \
         90% of the energy needs {} components and 99% needs {}.",
        if cands.is_empty() { "none (arg-max used)".to_string() } else { cands.join(", ") },
        curve.relative_squared_error[k],
        curve.rank_for_energy_90.map_or("-".into(), |r| r.to_string()),
        curve.rank_for_energy_99.map_or("-".into(), |r| r.to_string()),
    ));

    // Reconstructions of a few digits at increasing rank.
    let ranks = [1usize, 2, 5, k, 20, 40];
    let examples: Vec<usize> =
        (0..10).filter_map(|c| data.labels.as_ref()?.iter().position(|l| l == &c.to_string())).collect();
    let (cell, gap) = (4usize, 2usize);
    let (gh, gw) = (examples.len() * (8 * cell + gap), (ranks.len() + 1) * (8 * cell + gap));
    let mut grid = faer::Mat::<f64>::from_fn(gh, gw, |_, _| 255.0);
    let x_rows = faer::Mat::from_fn(examples.len(), d, |i, j| data.x[(examples[i], j)]);
    let mut columns = vec![x_rows.clone()];
    for &r in &ranks {
        columns.push(pca.truncate(r)?.reconstruct(x_rows.as_ref())?);
    }
    for (ci, m) in columns.iter().enumerate() {
        for ri in 0..examples.len() {
            for p in 0..d {
                let v = 255.0 - (m[(ri, p)].clamp(0.0, 16.0) * 255.0 / 16.0);
                let (py, px) = (p / 8, p % 8);
                for dy in 0..cell {
                    for dx in 0..cell {
                        grid[(ri * (8 * cell + gap) + py * cell + dy, ci * (8 * cell + gap) + px * cell + dx)] = v;
                    }
                }
            }
        }
    }
    let png = png_bytes(&Image { channels: vec![grid] })?;
    tour.write("digits_reconstructions.png", &png)?;
    let rank_list: Vec<String> = ranks.iter().map(usize::to_string).collect();
    s.blocks.push(Block::Png {
        caption: format!(
            "One digit of each class: the original, then its reconstruction at ranks {}.",
            rank_list.join(", ")
        ),
        bytes: png,
    });

    // Per-class error at the elbow rank: the same ruler, read per group.
    let model = pca.truncate(k)?;
    let errs = model.row_errors(data.x.as_ref())?;
    let labels = data.labels.as_ref().expect("label column requested");
    let mut rows = Vec::new();
    let mut worst = (String::new(), 0.0);
    for c in 0..10 {
        let e: Vec<f64> = errs.iter().zip(labels).filter(|(_, l)| **l == c.to_string()).map(|(e, _)| *e).collect();
        let mean = e.iter().sum::<f64>() / e.len() as f64;
        if mean > worst.1 {
            worst = (c.to_string(), mean);
        }
        rows.push(vec![c.to_string(), e.len().to_string(), format!("{mean:.1}")]);
    }
    s.text(format!(
        "At rank {k} the error is not shared equally: the mean squared error per digit class ranges up to {:.1} \
         (digit {}). Reconstruction error read per group is the start of a fairness audit.",
        worst.1, worst.0
    ));
    s.blocks.push(Block::Table {
        header: vec!["digit".into(), "samples".into(), format!("mean squared error at rank {k}")],
        rows,
    });

    // Three solvers, one answer.
    let kr = 10;
    let rnd = PcaParams::new().n_components(kr).randomized(RandomizedParams::new(tour.seed)).fit(&data)?;
    let mut acc = StreamingPca::new(d, true);
    for start in (0..n).step_by(256) {
        let rows = (n - start).min(256);
        acc.update(data.x.as_ref().subrows(start, rows))?;
    }
    let stream = acc.finish(Some(kr))?;
    let exact = &pca.singular_values()[..kr];
    let dev = |s: &[f64]| s.iter().zip(exact).map(|(a, b)| ((a - b) / b).abs()).fold(0.0, f64::max);
    let align = |m: &recon_linear::Pca| {
        (0..kr)
            .map(|r| (0..d).map(|j| m.components()[(r, j)] * pca.components()[(r, j)]).sum::<f64>().abs())
            .fold(1.0, f64::min)
    };
    s.text(format!(
        "Exact SVD, randomized SVD (seed {}, 10 oversamples, 7 power iterations) and streaming PCA (chunks of 256 rows, \
         memory independent of the number of rows) agree on the top {kr} components:",
        tour.seed
    ));
    s.blocks.push(Block::Table {
        header: vec![
            "method".into(),
            "σ₁".into(),
            "σ₁₀".into(),
            "max relative σ deviation".into(),
            "min |cos| to exact component".into(),
        ],
        rows: vec![
            vec!["exact".into(), format!("{:.4}", exact[0]), format!("{:.4}", exact[kr - 1]), "0".into(), "1".into()],
            vec![
                "randomized".into(),
                format!("{:.4}", rnd.singular_values()[0]),
                format!("{:.4}", rnd.singular_values()[kr - 1]),
                format!("{:.1e}", dev(rnd.singular_values())),
                format!("{:.6}", align(&rnd)),
            ],
            vec![
                "streaming".into(),
                format!("{:.4}", stream.singular_values()[0]),
                format!("{:.4}", stream.singular_values()[kr - 1]),
                format!("{:.1e}", dev(stream.singular_values())),
                format!("{:.6}", align(&stream)),
            ],
        ],
    });
    let summary = vec![
        format!("{n} digits × {d} pixels; elbow at rank {k} (err {:.3})", curve.relative_squared_error[k]),
        format!(
            "90% energy: rank {}, 99%: rank {}",
            curve.rank_for_energy_90.map_or("-".into(), |r| r.to_string()),
            curve.rank_for_energy_99.map_or("-".into(), |r| r.to_string())
        ),
        format!("worst-reconstructed class at rank {k}: digit {} (mean sq. error {:.1})", worst.0, worst.1),
        format!(
            "randomized / streaming σ deviation from exact: {:.1e} / {:.1e}",
            dev(rnd.singular_values()),
            dev(stream.singular_values())
        ),
    ];
    Ok(Chapter { section: s, summary })
}
