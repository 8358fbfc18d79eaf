//! Tour section 9: measuring a design — how robust redundant frames are when coefficients are
//! lost (worst-case erasure error against redundancy, tight against random frames).

use recon::families::signal::{Frame, FrameKind};
use recon::frame::{frame_report, FrameOptions};
use recon_core::report::{Block, LinePlot, Section, Series};

use super::{Chapter, Tour};

const D: usize = 6;

pub fn run(tour: &Tour) -> anyhow::Result<Chapter> {
    let sweep = |kind, erase| {
        frame_report(&FrameOptions {
            kind,
            dim: D,
            vectors: D + 1,
            erase,
            max_sets: 20_000,
            seed: tour.seed,
            sweep_to: Some(5 * D),
            filter_bank: None,
        })
    };
    let (h1, h2, r1) = (sweep(FrameKind::Harmonic, 1)?, sweep(FrameKind::Harmonic, 2)?, sweep(FrameKind::Random, 1)?);
    let x: Vec<f64> = h1.sweep.iter().map(|p| p.redundancy).collect();
    let series = |name: &str, r: &recon::frame::FrameReport| Series {
        name: name.into(),
        x: r.sweep.iter().map(|p| p.redundancy).collect(),
        y: r.sweep.iter().map(|p| p.worst_case_error).collect(),
    };
    let plot = LinePlot {
        title: format!("Worst-case erasure error against redundancy, frames in R^{D}"),
        x_label: "redundancy N/d".into(),
        y_label: "operator norm of the error (canonical dual)".into(),
        series: vec![
            series("harmonic (tight), 1 lost", &h1),
            series("harmonic (tight), 2 lost", &h2),
            series("random equal-norm, 1 lost", &r1),
            Series { name: "d/N".into(), x: x.clone(), y: x.iter().map(|r| 1.0 / r).collect() },
        ],
        markers: vec![],
        log_y: true,
    };
    // The filter bank: perfect reconstruction, and its redundancy against its erasure error.
    let signal: Vec<f64> = (0..48).map(|t| (0.3 * t as f64).sin() + 0.5 * (1.7 * t as f64).cos()).collect();
    let mut rows = Vec::new();
    for dec in [2usize, 4, 8] {
        let f = Frame::filter_bank(48, 8, dec, 8)?;
        let y = f.reconstruct(&signal)?;
        let err = signal.iter().zip(&y).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        let e = f.erasures(1, 20_000, tour.seed)?;
        rows.push(vec![
            format!("{dec}"),
            format!("{:.1}", f.redundancy()),
            format!("{err:.1e}"),
            format!("{:.4}", e.worst_case_error),
        ]);
    }
    let mut s = Section::new("Measure structure: frames under erasures");
    s.text(format!(
        "A frame sends N coefficients of a signal in R^{D} and rebuilds it with its dual; the operator norm of the error \
         when coefficients are lost measures the design. For unit-norm tight (harmonic) frames one loss costs exactly d/N \
         (Goyal, Kovačević & Kelner 2001), which the curve meets point for point; random equal-norm frames of the same size \
         do worse, as theory says any non-tight one must; two losses cost more and fall with redundancy too."
    ));
    s.blocks.push(Block::Svg(plot.to_svg(720, 420)?));
    s.text("An oversampled DFT-modulated filter bank (8 channels, sine prototype of 8 taps, signals of 48 samples) is a frame too: it rebuilds the signal perfectly, and its decimation sets the redundancy and so the cost of one lost coefficient:");
    s.blocks.push(Block::Table {
        header: vec![
            "decimation".into(),
            "redundancy".into(),
            "max rebuild error".into(),
            "worst one-loss error".into(),
        ],
        rows: rows.clone(),
    });
    let at = |r: &recon::frame::FrameReport, n: usize| {
        r.sweep.iter().find(|p| p.vectors == n).map_or(f64::NAN, |p| p.worst_case_error)
    };
    let summary = vec![
        format!(
            "R^{D}, one loss: harmonic N = 12 → {:.4} (d/N {:.4}); random equal-norm {:.4}; two losses {:.4}",
            at(&h1, 12),
            D as f64 / 12.0,
            at(&r1, 12),
            at(&h2, 12)
        ),
        format!(
            "filter bank, 8 channels: decimation 2 / 4 / 8 → worst one-loss error {} / {} / {}, rebuilt to {}",
            rows[0][3], rows[1][3], rows[2][3], rows[0][2]
        ),
    ];
    Ok(Chapter { section: s, summary })
}
