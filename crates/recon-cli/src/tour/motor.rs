//! Tour section: detect and diagnose faults of a simulated DC motor with an autoencoder.

use faer::Mat;
use recon_core::data::window_features;
use recon_core::report::{Block, LinePlot, Marker, Section, Series};
use recon_core::ruler::{episodes, persistent_alarms, SignatureLibrary};
use recon_core::synth::dc_motor::{simulate, MotorFault, MotorParams, MotorSample};
use recon_core::Dataset;
use recon_neural::AutoencoderParams;

use super::{Chapter, Tour};

const COLUMNS: [&str; 3] = ["voltage", "speed", "current"];
const WINDOW: usize = 5;

fn run_of(seed: u64, duration: f64, fault: MotorFault, size: f64) -> anyhow::Result<Vec<MotorSample>> {
    Ok(simulate(&MotorParams { seed, duration, fault, fault_size: size, ..Default::default() })?)
}

fn features(runs: &[Vec<MotorSample>]) -> anyhow::Result<(Mat<f64>, Vec<String>)> {
    let rows: Vec<&MotorSample> = runs.iter().flatten().collect();
    let x = Mat::from_fn(rows.len(), 3, |i, j| [rows[i].voltage, rows[i].speed, rows[i].current][j]);
    let names: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    Ok(window_features(x.as_ref(), &names, WINDOW)?)
}

pub fn run(tour: &Tour) -> anyhow::Result<Chapter> {
    let s0 = tour.seed;
    let normal: Vec<Vec<MotorSample>> =
        (1..=3).map(|k| run_of(s0 + k, 120.0, MotorFault::None, 0.0)).collect::<anyhow::Result<_>>()?;
    let (x, names) = features(&normal)?;
    let ae = AutoencoderParams::new(vec![16, 3])
        .seed(s0)
        .fit_with(&Dataset { x, columns: names.clone(), labels: None, groups: None }, |_, _, _| {})?;
    let threshold = ae.threshold().value;

    let known = [(MotorFault::Load, 0.05), (MotorFault::SpeedDrift, 0.01), (MotorFault::CurrentBias, 0.5)];
    let labelled: Vec<Vec<MotorSample>> =
        known.iter().map(|&(f, s)| run_of(s0 + 10, 60.0, f, s)).collect::<anyhow::Result<_>>()?;
    let (lx, _) = features(&labelled)?;
    let out = ae.evaluate(lx.as_ref())?;
    let labels: Vec<String> = labelled.iter().flatten().map(|r| r.fault.to_string()).collect();
    let alarms: Vec<bool> = out.score.iter().map(|&s| s > threshold).collect();
    let res: Vec<Vec<f64>> =
        (0..lx.nrows()).map(|i| (0..lx.ncols()).map(|j| out.residuals[(i, j)]).collect()).collect();
    let lib = SignatureLibrary::learn(names.clone(), &res, &labels, &alarms, "normal", None, false)?;

    let all = [
        (MotorFault::Load, 0.05),
        (MotorFault::SpeedDrift, 0.01),
        (MotorFault::CurrentBias, 0.5),
        (MotorFault::Friction, 0.5),
        (MotorFault::SpeedStuck, 0.0),
        (MotorFault::CurrentGain, -0.1),
    ];
    let onset = 3000;
    let mut rows = Vec::new();
    let mut timeline = None;
    let mut similarity = None;
    let normal_test = run_of(s0 + 100, 60.0, MotorFault::None, 0.0)?;
    let (nx, _) = features(&[normal_test])?;
    let raw: Vec<bool> = ae.score(nx.as_ref())?.iter().map(|&s| s > threshold).collect();
    let far = persistent_alarms(&raw, 5, 10)?.iter().filter(|&&a| a).count() as f64 / raw.len() as f64;
    for (fault, size) in all {
        let test = run_of(s0 + 100, 60.0, fault, size)?;
        let (tx, _) = features(&[test])?;
        let ev = ae.evaluate(tx.as_ref())?;
        let raw: Vec<bool> = ev.score.iter().map(|&s| s > threshold).collect();
        let alarms = persistent_alarms(&raw, 5, 10)?;
        let detected = alarms[onset..].iter().filter(|&&a| a).count() as f64 / (alarms.len() - onset) as f64;
        let diag: Vec<Option<String>> = (0..tx.nrows())
            .map(|i| {
                alarms[i].then(|| {
                    let r: Vec<f64> = (0..tx.ncols()).map(|j| ev.residuals[(i, j)]).collect();
                    lib.diagnose(&r).fault.unwrap_or_else(|| "unknown".into())
                })
            })
            .collect();
        let alarmed = diag[onset..].iter().flatten().count();
        let right = diag[onset..].iter().flatten().filter(|f| f.as_str() == fault.label()).count();
        let eps = episodes(&alarms, &diag, 50);
        let main = eps.iter().max_by_key(|e| e.n_alarms);
        let in_library = known.iter().any(|(f, _)| *f == fault);
        rows.push(vec![
            fault.label().to_string(),
            if in_library { "yes".into() } else { "no".into() },
            format!("{:.1}%", 100.0 * detected),
            if in_library { format!("{:.1}%", 100.0 * right as f64 / alarmed.max(1) as f64) } else { "–".into() },
            main.map_or("–".into(), |e| {
                format!("{} ({:.0}%)", e.fault.clone().unwrap_or_else(|| "unknown".into()), 100.0 * e.share)
            }),
        ]);
        if fault == MotorFault::Load {
            let t: Vec<f64> = (0..ev.score.len()).map(|i| i as f64 / 100.0).collect();
            timeline = Some(
                LinePlot {
                    title: "Motor, load step at 30 s: autoencoder score and threshold".into(),
                    x_label: "time (s)".into(),
                    y_label: "score (mean squared standardised residual)".into(),
                    series: vec![
                        Series { name: "score".into(), x: t.clone(), y: ev.score.clone() },
                        Series { name: "threshold".into(), x: t.clone(), y: vec![threshold; t.len()] },
                    ],
                    markers: vec![Marker { x: 30.0, label: "fault onset".into() }],
                    log_y: true,
                }
                .to_svg(720, 380)?,
            );
        }
        if fault == MotorFault::CurrentBias {
            let t: Vec<f64> = (onset - 200..ev.score.len()).step_by(5).map(|i| i as f64 / 100.0).collect();
            let cands: Vec<Vec<(String, f64)>> = (onset - 200..ev.score.len())
                .step_by(5)
                .map(|i| {
                    let r: Vec<f64> = (0..tx.ncols()).map(|j| ev.residuals[(i, j)]).collect();
                    lib.diagnose(&r).candidates
                })
                .collect();
            let series = lib
                .signatures
                .iter()
                .map(|sig| Series {
                    name: format!("cos to '{}'", sig.fault),
                    x: t.clone(),
                    y: cands.iter().map(|c| c.iter().find(|c| c.0 == sig.fault).map_or(0.0, |c| c.1)).collect(),
                })
                .collect();
            similarity = Some(
                LinePlot {
                    title: "Current-sensor bias at 30 s: residual direction vs each signature".into(),
                    x_label: "time (s)".into(),
                    y_label: "cosine similarity".into(),
                    series,
                    markers: vec![Marker { x: 30.0, label: "fault onset".into() }],
                    log_y: false,
                }
                .to_svg(720, 380)?,
            );
        }
    }

    let mut s = Section::new("Detect and diagnose: a DC motor's speed and current (autoencoder)");
    s.text(format!(
        "A permanent-magnet DC motor (L di/dt = V − R i − K ω, J dω/dt = K i − b ω − T_load, RK4) runs under seeded \
         voltage steps; speed and current are measured with noise. An autoencoder (window of {WINDOW} samples of voltage, \
         speed and current = {} features, encoder 16 → 3) is trained on 6 minutes of normal operation; its threshold is \
         the 99% conformal quantile of held-out normal scores ({threshold:.4}). Alarms need 5 of the last 10 samples above \
         it; on a fresh normal run {:.2}% of samples alarm.",
        names.len(),
        100.0 * far
    ));
    if let Some(svg) = timeline {
        s.blocks.push(Block::Svg(svg));
    }
    s.text(format!(
        "Diagnosis: each residual vector, standardised by the normal residual spread, is a direction; signatures are the \
         mean directions of one labelled episode each of a load step, a speed-sensor drift and a current-sensor bias. An \
         alarm takes the name of the most similar signature, or \"unknown\" below similarity {:.2}. Below, runs with a seed \
         the model never saw; the last three fault types are not in the library.",
        lib.floor
    ));
    if let Some(svg) = similarity {
        s.blocks.push(Block::Svg(svg));
    }
    s.blocks.push(Block::Table {
        header: vec![
            "fault".into(),
            "in library".into(),
            "faulty samples alarmed".into(),
            "alarmed samples named right".into(),
            "episode called (share)".into(),
        ],
        rows: rows.clone(),
    });
    let pairs = lib.confusable_pairs();
    s.blocks.push(Block::Table {
        header: vec!["signature".into(), "signature".into(), "cosine of their directions".into()],
        rows: pairs.iter().map(|(a, b, c)| vec![a.clone(), b.clone(), format!("{c:.3}")]).collect(),
    });
    s.text(
        "What three sensors and a window model can tell apart: a speed-sensor drift leaves the opposite residual \
         direction of a load step and is named reliably, but a load step (speed down) and a current-sensor bias (current \
         up) both read as \"speed too low for the current\" once the autoencoder has reconstructed what it can, so their \
         signatures nearly coincide (table above) and which of the two wins depends on the training run. A friction \
         increase is a mechanical load too; left-out sensor faults are mostly named after their nearest known relative \
         rather than called unknown. `recon diagnose fit` prints these cosines so the limit is seen before it is relied on.",
    );
    let mut summary = vec![format!(
        "autoencoder on {} window features; false alarms on a normal run {:.2}%",
        names.len(),
        100.0 * far
    )];
    for r in rows.iter().take(3) {
        summary.push(format!("{}: {} alarmed, {} of alarms named right, episode {}", r[0], r[2], r[3], r[4]));
    }
    Ok(Chapter { section: s, summary })
}
