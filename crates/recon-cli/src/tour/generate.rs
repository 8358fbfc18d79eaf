//! Tour section 10: generate — the perception–distortion curve of a VAE-GAN on the digits.

use recon::families::neural::losses::Adversarial;
use recon::generate::{vaegan, VaeGanRequest};
use recon_core::report::{Block, Section};

use super::{Chapter, Tour, DIGITS_CSV};

pub fn run(tour: &Tour) -> anyhow::Result<Chapter> {
    let r = vaegan(
        &VaeGanRequest {
            input: &tour.embedded("digits.csv", DIGITS_CSV)?,
            shape: None,
            label_col: Some("label"),
            lambdas: vec![0.0, 0.01, 0.1, 1.0],
            epochs: 150,
            beta: 0.1,
            adversarial: Adversarial::LeastSquares,
            seed: tour.seed,
        },
        &mut |_| {},
    )?;
    let mut s = Section::new("Generate: the perception–distortion trade-off of a VAE-GAN");
    s.text(format!(
        "A VAE trained on pixel error is faithful on average and blurry; a discriminator makes images convincing but not \
         faithful. A VAE-GAN (Larsen et al. 2016) trains reconstruction + β·KL + λ·adversarial (least squares here); Blau & \
         Michaeli (2018) proved that distortion and perception cannot both be minimised. One model per λ on {} digits, \
         measured on {} held-out ones: distortion is the mean squared error per pixel, perception the Fréchet distance \
         between real and reconstructed digits in the {}.",
        r.train_images, r.test_images, r.feature_space
    ));
    s.blocks.push(Block::Svg(r.plot()?));
    s.blocks.push(Block::Table {
        header: vec![
            "λ".into(),
            "distortion (MSE/pixel)".into(),
            "perception (Fréchet)".into(),
            "sliced Wasserstein".into(),
            "high-frequency energy (real = 1)".into(),
        ],
        rows: r
            .points
            .iter()
            .map(|p| {
                vec![
                    format!("{}", p.lambda),
                    format!("{:.5}", p.distortion),
                    format!("{:.4}", p.perception),
                    format!("{:.4}", p.sliced_wasserstein),
                    format!("{:.3}", p.hf_energy_ratio),
                ]
            })
            .collect(),
    });
    let last = r.points.len() - 1;
    for k in [0, last] {
        let png = r.grid_png(k)?;
        tour.write(&format!("vaegan_lambda_{}.png", r.points[k].lambda), &png)?;
        s.blocks.push(Block::Png {
            caption: format!("λ = {}: held-out digits (top) and their reconstructions (bottom).", r.points[k].lambda),
            bytes: png,
        });
    }
    let (a, b) = (&r.points[0], &r.points[last]);
    let summary = vec![format!(
        "VAE-GAN on the digits: λ = {} → {}: distortion {:.5} → {:.5}, perception (Fréchet) {:.3} → {:.3}, high-frequency energy {:.2} → {:.2} of the real digits'",
        a.lambda, b.lambda, a.distortion, b.distortion, a.perception, b.perception, a.hf_energy_ratio, b.hf_energy_ratio
    )];
    Ok(Chapter { section: s, summary })
}
