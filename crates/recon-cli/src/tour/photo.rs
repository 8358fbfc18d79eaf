//! Tour section 2: compressing a photograph, rank against PSNR and storage.

use recon_core::data::{load_image, png_bytes};
use recon_core::report::{Block, LinePlot, Marker, Section, Series};
use recon_linear::ImageSvd;

use super::{Chapter, Tour, FLOWER_JPG};

pub fn run(tour: &Tour) -> anyhow::Result<Chapter> {
    let path = tour.embedded("flower.jpg", FLOWER_JPG)?;
    let img = load_image(&path)?;
    let (h, w) = (img.height(), img.width());
    let svd = ImageSvd::exact(&img)?;
    let max = svd.max_rank();
    let ks: Vec<usize> = (1..=max.min(150)).collect();
    let psnr: Vec<f64> = ks.iter().map(|&k| svd.psnr_at(k)).collect();
    let at30 = svd.compress_to_psnr(&img, 30.0)?;
    let at35 = svd.compress_to_psnr(&img, 35.0)?;
    let plot = LinePlot {
        title: "Photo: PSNR vs rank (per-channel SVD)".into(),
        x_label: "rank k".into(),
        y_label: "PSNR (dB)".into(),
        series: vec![Series {
            name: "PSNR of the rank-k approximation".into(),
            x: ks.iter().map(|&k| k as f64).collect(),
            y: psnr,
        }],
        markers: vec![
            Marker { x: at30.rank as f64, label: format!("30 dB: rank {}", at30.rank) },
            Marker { x: at35.rank as f64, label: format!("35 dB: rank {}", at35.rank) },
        ],
        log_y: false,
    }
    .to_svg(720, 420)?;
    tour.write("photo_psnr.svg", plot.as_bytes())?;

    let mut s = Section::new("Compressing a photograph (low-rank SVD per colour channel)");
    s.text(format!(
        "A {w} × {h} RGB photograph (scikit-learn's flower.jpg, CC BY 2.0). Each channel is replaced by its best rank-k \
         approximation; storage is k·(m + n + 1) numbers per channel instead of m·n. The PSNR of every rank follows \
         from the singular values alone (Eckart–Young); the table measures the 8-bit images actually written."
    ));
    s.blocks.push(Block::Svg(plot));
    let mut rows = Vec::new();
    for k in [5usize, 10, 20, 50, 100] {
        let c = svd.compress(&img, k)?;
        rows.push(vec![
            k.to_string(),
            format!("{:.2}", c.psnr_db),
            format!("{:.1}×", c.compression_ratio),
            format!("{:.2e}", c.relative_squared_error),
        ]);
    }
    for c in [&at30, &at35] {
        rows.push(vec![
            format!("{} (target {:.0} dB)", c.rank, c.psnr_db.floor()),
            format!("{:.2}", c.psnr_db),
            format!("{:.1}×", c.compression_ratio),
            format!("{:.2e}", c.relative_squared_error),
        ]);
    }
    s.blocks.push(Block::Table {
        header: vec!["rank".into(), "PSNR (dB)".into(), "compression".into(), "relative squared error".into()],
        rows,
    });
    let low = svd.compress(&img, 10)?;
    for (name, c) in [("photo_rank10.png", &low), ("photo_30db.png", &at30)] {
        let png = png_bytes(&c.image)?;
        tour.write(name, &png)?;
        s.blocks.push(Block::Png {
            caption: format!("rank {}: {:.1} dB, {:.1}× smaller", c.rank, c.psnr_db, c.compression_ratio),
            bytes: png,
        });
    }
    let summary = vec![
        format!(
            "{w} × {h} RGB photo; 30 dB needs rank {} ({:.1}× smaller), 35 dB rank {} ({:.1}×)",
            at30.rank, at30.compression_ratio, at35.rank, at35.compression_ratio
        ),
        format!("rank 10: {:.1} dB at {:.1}× compression", low.psnr_db, low.compression_ratio),
    ];
    Ok(Chapter { section: s, summary })
}
