//! Tour section 9: measuring a design — how robust redundant frames are when coefficients are
//! lost (worst-case erasure error against redundancy, tight against random frames), and what a
//! U-Net-style bottleneck keeps on images (fixed and learned operators) and on graphs.

use recon::families::signal::{Frame, FrameKind};
use recon::frame::{frame_report, FrameOptions};
use recon_core::report::{BarChart, Block, LinePlot, Section, Series};

use recon::families::signal::{bottleneck, graph_bottleneck, Down, GraphDown, Up};
use recon_core::synth::graphs::{simulate as simulate_graph, GraphKind, GraphParams};

use super::{Chapter, Tour, DIGITS_CSV, FLOWER_JPG};

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
    // Bottlenecks: the photo's grey image and the 8 × 8 digits through four down/up paths.
    let photo = recon::bottleneck::read_grey(&tour.embedded("flower.jpg", FLOWER_JPG)?)?;
    let ops = [
        ("average pooling + bilinear", Down::Avgpool, Up::Bilinear),
        ("max pooling + unpooling", Down::Maxpool, Up::Nearest),
        ("stride 2 + nearest", Down::Stride, Up::Nearest),
        ("Haar, details dropped", Down::Haar, Up::Nearest),
        ("Haar, details kept (the skips)", Down::HaarDetails, Up::Nearest),
    ];
    let mut photo_rows = Vec::new();
    let mut photo_bars = Vec::new();
    for (name, op, up) in ops {
        let b = bottleneck(&photo, op, up, 4)?;
        let mut row = vec![name.to_string()];
        row.extend(b.levels.iter().map(|l| format!("{:.2e}", l.relative_error)));
        photo_rows.push(row);
        if op != Down::HaarDetails {
            photo_bars.push((name.to_string(), b.levels.iter().map(|l| l.relative_error).collect::<Vec<_>>()));
        }
    }
    let levels4: Vec<String> = (1..=4).map(|l| format!("L = {l}")).collect();
    let photo_chart = BarChart {
        title: "Photo: relative error per level of down/up-sampling".into(),
        x_label: "levels".into(),
        y_label: "‖x − x̂‖² / ‖x‖²".into(),
        categories: levels4.clone(),
        series: photo_bars,
    };
    // Graphs: a grid and a random geometric graph, a smooth and a rough signal, three poolings.
    let mut graph_rows = Vec::new();
    let mut graph_bars = Vec::new();
    for (gname, kind, nodes) in
        [("grid 16 × 16", GraphKind::Grid, 256), ("geometric, 300 nodes", GraphKind::Geometric, 300)]
    {
        let g = simulate_graph(&GraphParams { kind, nodes, seed: tour.seed, ..Default::default() })?;
        for (opname, op) in
            [("Kron", GraphDown::Kron), ("heavy-edge", GraphDown::HeavyEdge), ("top-k", GraphDown::Topk)]
        {
            for (sname, x) in [("smooth", &g.smooth), ("rough", &g.rough)] {
                let b = graph_bottleneck(&g.graph, x, op, 3)?;
                let mut row = vec![format!("{gname}: {opname}, {sname}")];
                row.extend(b.levels.iter().map(|l| format!("{:.3} ({} nodes)", l.relative_error, l.nodes)));
                graph_rows.push(row);
                if kind == GraphKind::Grid {
                    graph_bars
                        .push((format!("{opname}, {sname}"), b.levels.iter().map(|l| l.relative_error).collect()));
                }
            }
        }
    }
    let graph_chart = BarChart {
        title: "Grid graph: relative error per level of pooling".into(),
        x_label: "levels".into(),
        y_label: "‖x − x̂‖² / ‖x‖²".into(),
        categories: (1..=3).map(|l| format!("L = {l}")).collect(),
        series: graph_bars,
    };
    // A learned down/up network on the digits, with and without its skips (a short budget).
    let digit_set =
        recon::bottleneck::read_images(&tour.embedded("digits.csv", DIGITS_CSV)?, Some([8, 8]), Some("label"), 2)?;
    let learned = recon::bottleneck::learned(&digit_set, 2, tour.seed, Some(40), &mut |_| {})?;
    let learned_rows: Vec<Vec<String>> = learned
        .levels
        .iter()
        .map(|l| {
            vec![
                format!("L = {} ({} × {})", l.level, l.bottleneck[0], l.bottleneck[1]),
                format!("{:.4}", l.relative_error_avgpool),
                format!("{:.4}", l.relative_error),
                format!("{:.2e}", l.relative_error_skips),
            ]
        })
        .collect();
    let digits = recon_core::data::load_table(
        &tour.embedded("digits.csv", DIGITS_CSV)?,
        &recon_core::data::LoadOptions { label_col: Some("label".into()), ..Default::default() },
    )?
    .dataset;
    let mut digit_rows = Vec::new();
    for (name, op, up) in ops {
        let mut sums = [0.0f64; 3];
        let mut n = 0usize;
        for i in 0..digits.n_rows() {
            let img = faer::Mat::from_fn(8, 8, |r, c| digits.x[(i, r * 8 + c)]);
            if let Ok(b) = bottleneck(&img, op, up, 3) {
                for (k, l) in b.levels.iter().enumerate() {
                    sums[k] += l.relative_error;
                }
                n += 1;
            }
        }
        let mut row = vec![name.to_string()];
        row.extend(sums.iter().map(|v| format!("{:.3}", v / n.max(1) as f64)));
        digit_rows.push(row);
    }
    let mut s = Section::new("Measure structure: frames under erasures, and what a bottleneck keeps");
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
    s.text(format!(
        "A U-Net's down-sampling path is a reconstructor too: down-sample L times, up-sample L times, and measure what is \
         lost (relative squared error of the {} × {} grey photo, levels 1–4). The Haar transform with its detail bands is \
         lossless — the gap between the last two rows is what the skip connections have to carry.",
        photo.nrows(),
        photo.ncols()
    ));
    s.blocks.push(Block::Table {
        header: vec!["photo: down / up".into(), "L = 1".into(), "L = 2".into(), "L = 3".into(), "L = 4".into()],
        rows: photo_rows.clone(),
    });
    s.blocks.push(Block::Svg(photo_chart.to_svg(720, 380)?));
    s.text("The 1,797 handwritten digits (8 × 8), mean relative error over the digits, levels 1–3:");
    s.blocks.push(Block::Table {
        header: vec!["digits: down / up".into(), "L = 1".into(), "L = 2".into(), "L = 3".into()],
        rows: digit_rows.clone(),
    });
    s.text(format!(
        "A learned bottleneck: a small convolutional network (strided convolutions down to one channel of the pooled size, \
         transposed convolutions up) trained on {} digits per level, once without and once with U-Net skip connections, \
         measured on {} held-out digits (a 40-epoch budget here; `recon bottleneck digits.csv --op learned --label-col label` \
         trains to convergence). The bottleneck alone {} fixed average pooling of the same size; with the skips the \
         network passes the image around its bottleneck, and the gap between the last two columns is what the skips carry.",
        learned.train_images,
        learned.test_images,
        if learned.levels.iter().all(|l| l.relative_error < l.relative_error_avgpool) {
            "beats"
        } else {
            "does not beat at every level"
        }
    ));
    s.blocks.push(Block::Table {
        header: vec![
            "digits, held out".into(),
            "avgpool + bilinear".into(),
            "learned, bottleneck alone".into(),
            "learned, with skips".into(),
        ],
        rows: learned_rows.clone(),
    });
    s.text(
        "Graphs: the same cycle on signals over a graph's nodes (`recon simulate graph`, `recon bottleneck EDGES.csv --signal NODES.csv`). \
         A smooth signal (lowest graph frequencies) survives Kron reduction with harmonic extension and heavy-edge matching; \
         a rough one (top half of the spectrum) does not. Top-k pooling keeps the largest values whatever the graph, so it \
         treats both alike.",
    );
    s.blocks.push(Block::Svg(graph_chart.to_svg(720, 380)?));
    s.blocks.push(Block::Table {
        header: vec!["graph: pooling, signal".into(), "L = 1".into(), "L = 2".into(), "L = 3".into()],
        rows: graph_rows.clone(),
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
        format!(
            "bottleneck, photo at L = 4: average pooling {}, max pooling {}, Haar without details {}, with {}; digits at L = 2: average pooling {}",
            photo_rows[0][4], photo_rows[1][4], photo_rows[3][4], photo_rows[4][4], digit_rows[0][2]
        ),
        format!(
            "learned bottleneck, digits at L = 2 (held out): average pooling {}, learned alone {}, with skips {}",
            learned_rows[1][1], learned_rows[1][2], learned_rows[1][3]
        ),
        format!(
            "grid graph at L = 3: Kron smooth {}, rough {}; top-k smooth {}",
            graph_rows[0][3], graph_rows[1][3], graph_rows[4][3]
        ),
    ];
    Ok(Chapter { section: s, summary })
}
