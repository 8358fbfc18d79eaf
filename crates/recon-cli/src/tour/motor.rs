//! Tour section: detect and diagnose faults of a simulated DC motor with an autoencoder.

use faer::Mat;
use recon_core::data::Window;
use recon_core::report::{Block, LinePlot, Marker, Section, Series};
use recon_core::ruler::{episodes, persistent_alarms, SignatureLibrary};
use recon_core::synth::dc_motor::{simulate, MotorFault, MotorParams, MotorSample};
use recon_core::{Dataset, Fit};
use recon_linear::{Components, LimitMethod, PcaMonitor, PcaMonitorParams};

use super::{Chapter, Tour};

const COLUMNS: [&str; 3] = ["voltage", "speed", "current"];
/// Moving-average time constants (samples at 100 Hz): 0.05, 0.2, 0.5 and 2 s.
const EMAS: [usize; 4] = [5, 20, 50, 200];
const COMPONENTS: usize = 5;

fn run_of(seed: u64, duration: f64, fault: MotorFault, size: f64) -> anyhow::Result<Vec<MotorSample>> {
    Ok(simulate(&MotorParams { seed, duration, fault, fault_size: size, ..Default::default() })?)
}

fn features(runs: &[Vec<MotorSample>]) -> anyhow::Result<(Mat<f64>, Vec<String>)> {
    let rows: Vec<&MotorSample> = runs.iter().flatten().collect();
    let x = Mat::from_fn(rows.len(), 3, |i, j| [rows[i].voltage, rows[i].speed, rows[i].current][j]);
    let names: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    Ok(Window::new(vec![0], EMAS.to_vec())?.features(x.as_ref(), &names)?)
}

/// Alarms (score above 1) and residual rows of labelled runs, for a signature library.
fn library(
    pca: &PcaMonitor,
    names: &[String],
    runs: &[(MotorFault, Vec<MotorSample>)],
    leave_out: Option<MotorFault>,
) -> anyhow::Result<SignatureLibrary> {
    let kept: Vec<Vec<MotorSample>> =
        runs.iter().filter(|(f, _)| Some(*f) != leave_out).map(|(_, r)| r.clone()).collect();
    let (lx, _) = features(&kept)?;
    let (scores, residuals) = pca.score_with_residuals(lx.as_ref())?;
    let labels: Vec<String> = kept.iter().flatten().map(|r| r.fault.to_string()).collect();
    let alarms: Vec<bool> = scores.score.iter().map(|&s| s > 1.0).collect();
    let res: Vec<Vec<f64>> = (0..lx.nrows()).map(|i| (0..lx.ncols()).map(|j| residuals[(i, j)]).collect()).collect();
    Ok(SignatureLibrary::learn(names.to_vec(), &res, &labels, &alarms, "normal", None, true)?)
}

pub fn run(tour: &Tour) -> anyhow::Result<Chapter> {
    let s0 = tour.seed;
    let normal: Vec<Vec<MotorSample>> =
        (1..=3).map(|k| run_of(s0 + k, 120.0, MotorFault::None, 0.0)).collect::<anyhow::Result<_>>()?;
    let (x, names) = features(&normal)?;
    let pca = PcaMonitorParams::new(Components::Fixed(COMPONENTS)).limits(LimitMethod::Empirical).fit(&Dataset {
        x,
        columns: names.clone(),
        labels: None,
        groups: None,
    })?;

    let known = [(MotorFault::Load, 0.05), (MotorFault::SpeedDrift, 0.01), (MotorFault::CurrentBias, 0.5)];
    let labelled: Vec<(MotorFault, Vec<MotorSample>)> =
        known.iter().map(|&(f, s)| Ok((f, run_of(s0 + 10, 60.0, f, s)?))).collect::<anyhow::Result<_>>()?;
    let lib = library(&pca, &names, &labelled, None)?;
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
    let raw: Vec<bool> = pca.score(nx.as_ref())?.score.iter().map(|&s| s > 1.0).collect();
    let far = persistent_alarms(&raw, 5, 10)?.iter().filter(|&&a| a).count() as f64 / raw.len() as f64;
    for (fault, size) in all {
        let test = run_of(s0 + 100, 60.0, fault, size)?;
        let (tx, _) = features(&[test])?;
        let (ev, residuals) = pca.score_with_residuals(tx.as_ref())?;
        let raw: Vec<bool> = ev.score.iter().map(|&s| s > 1.0).collect();
        let alarms = persistent_alarms(&raw, 5, 10)?;
        let detected = alarms[onset..].iter().filter(|&&a| a).count() as f64 / (alarms.len() - onset) as f64;
        let row = |i: usize| -> Vec<f64> { (0..tx.ncols()).map(|j| residuals[(i, j)]).collect() };
        let diagnose = |lib: &SignatureLibrary| -> Vec<Option<String>> {
            (0..tx.nrows())
                .map(|i| alarms[i].then(|| lib.diagnose(&row(i)).fault.unwrap_or_else(|| "unknown".into())))
                .collect()
        };
        let diag = diagnose(&lib);
        let alarmed = diag[onset..].iter().flatten().count();
        let right = diag[onset..].iter().flatten().filter(|f| f.as_str() == fault.label()).count();
        let eps = episodes(&alarms, &diag, 50);
        let main = eps.iter().max_by_key(|e| e.n_alarms);
        let in_library = known.iter().any(|(f, _)| *f == fault);
        // The same fault with its own signature left out of the library should be "unknown".
        let left_out = if in_library {
            let diag = diagnose(&library(&pca, &names, &labelled, Some(fault))?);
            let unknown = diag[onset..].iter().flatten().filter(|f| f.as_str() == "unknown").count();
            format!("{:.1}%", 100.0 * unknown as f64 / alarmed.max(1) as f64)
        } else {
            "–".into()
        };
        rows.push(vec![
            fault.label().to_string(),
            if in_library { "yes".into() } else { "no".into() },
            format!("{:.1}%", 100.0 * detected),
            if in_library { format!("{:.1}%", 100.0 * right as f64 / alarmed.max(1) as f64) } else { "–".into() },
            left_out,
            main.map_or("–".into(), |e| {
                format!("{} ({:.0}%)", e.fault.clone().unwrap_or_else(|| "unknown".into()), 100.0 * e.share)
            }),
        ]);
        if fault == MotorFault::Load {
            let t: Vec<f64> = (0..ev.score.len()).map(|i| i as f64 / 100.0).collect();
            timeline = Some(
                LinePlot {
                    title: "Motor, load step at 30 s: PCA monitor score and threshold".into(),
                    x_label: "time (s)".into(),
                    y_label: "score = (T²/limit + SPE/limit) / its limit".into(),
                    series: vec![
                        Series { name: "score".into(), x: t.clone(), y: ev.score.clone() },
                        Series { name: "threshold".into(), x: t.clone(), y: vec![1.0; t.len()] },
                    ],
                    markers: vec![Marker { x: 30.0, label: "fault onset".into() }],
                    log_y: true,
                }
                .to_svg(720, 380)?,
            );
        }
        if fault == MotorFault::CurrentBias {
            let t: Vec<f64> = (onset - 200..ev.score.len()).step_by(5).map(|i| i as f64 / 100.0).collect();
            let cands: Vec<Vec<(String, f64)>> =
                (onset - 200..ev.score.len()).step_by(5).map(|i| lib.diagnose(&row(i)).candidates).collect();
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

    let mut s = Section::new("Detect and diagnose: a DC motor's speed and current");
    s.text(format!(
        "A permanent-magnet DC motor (L di/dt = V − R i − K ω, J dω/dt = K i − b ω − T_load, RK4) runs under seeded \
         voltage steps; speed and current are measured with noise at 100 Hz. The monitor is a PCA model ({COMPONENTS} \
         components) of voltage, speed and current together with their moving averages over 0.05, 0.2, 0.5 and 2 s \
         ({} features: the filter bank lets a linear model rebuild the current's 0.5 s lag behind the voltage), \
         trained on 6 minutes of normal operation, with empirical 99% limits for T² and SPE (the quantiles on the \
         training rows: step changes make the analytical limits too tight). Alarms need 5 of the last 10 samples \
         above a limit; on a fresh normal run {:.2}% of samples alarm.",
        names.len(),
        100.0 * far
    ));
    if let Some(svg) = timeline {
        s.blocks.push(Block::Svg(svg));
    }
    s.text(format!(
        "Diagnosis: each residual vector, decorrelated by the covariance of normal residuals (whitened), is a \
         direction; signatures are the mean directions of one labelled episode each of a load step, a speed-sensor \
         drift and a current-sensor bias. An alarm takes the name of the most similar signature, or \"unknown\" below \
         similarity {:.2}. Below, runs with a seed the model never saw; the last three fault types are not in the \
         library, and for the first three the library is also rebuilt without the fault's own signature to see \
         whether Recon then says \"unknown\".",
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
            "called unknown when left out".into(),
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
        "Why whitening and the filter bank: a load step (speed down) and a current-sensor bias (current up) violate the \
         mechanical equation in the same way — a bias δ looks like a load of K·δ — and differ only in the electrical \
         equation, whose evidence is a small, slow mismatch between the current and the voltage history. Plain lagged \
         samples bury it in the 0.5 s transients after each voltage step; the moving averages rebuild those, and \
         whitening weighs the directions normal residuals hardly move along. Friction is a mechanical load and is \
         named as one; the other left-out sensor faults take the name of their nearest relative or \"unknown\".",
    );
    let mut summary = vec![format!(
        "PCA monitor on {} filter-bank features; false alarms on a normal run {:.2}%",
        names.len(),
        100.0 * far
    )];
    for r in rows.iter().take(3) {
        summary.push(format!(
            "{}: {} alarmed, {} of alarms named right, {} unknown when left out, episode {}",
            r[0], r[2], r[3], r[4], r[5]
        ));
    }
    Ok(Chapter { section: s, summary })
}
