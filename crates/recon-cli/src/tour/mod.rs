//! `recon tour`: every job of Recon on data embedded in the binary, in one HTML report.
//!
//! The tour grows by one module per section: write `fn run(&Tour) -> anyhow::Result<Chapter>`
//! in a new file and add it to [`SECTIONS`].

mod clickstream;
mod counts;
mod covid;
mod digits;
mod discover;
mod fairness;
mod frames;
mod generate;
mod motor;
mod photo;
mod scale;
mod tennessee;

use std::path::{Path, PathBuf};

use clap::Args;
use recon_core::data::{write_atomic, OutDir};
use recon_core::report::{Report, Section};

use crate::output::{bar, print};

/// Embedded data (copied from shared/data into the repository's data/ folder; see data/README.md).
pub const DIGITS_CSV: &[u8] = include_bytes!("../../../../data/digits.csv");
pub const FLOWER_JPG: &[u8] = include_bytes!("../../../../data/images/flower.jpg");
pub const COVID_NPY: &[u8] = include_bytes!("../../../../data/COVID19_data.npy");
pub const COVID_AXES: &[u8] = include_bytes!("../../../../data/COVID19_data.axes.json");
pub const TE_D00_TRAIN: &[u8] = include_bytes!("../../../../data/tennessee_eastman/d00_train.csv");
pub const TE_D00_TEST: &[u8] = include_bytes!("../../../../data/tennessee_eastman/d00_test.csv");
pub const TE_D01_TEST: &[u8] = include_bytes!("../../../../data/tennessee_eastman/d01_test.csv");
pub const KREMER_COUNTS: &[u8] = include_bytes!("../../../../data/rnaseq/outrider_kremer_small_counts.csv");
pub const ADULT_5K: &[u8] = include_bytes!("../../../../data/fairness/adult_5k.csv");
pub const EXPT_GAP: &[u8] = include_bytes!("../../../../data/materials/expt_gap.csv");
pub const QM9_SMILES: &[u8] = include_bytes!("../../../../data/molecules/qm9_smiles_20k.csv");

/// Run every section of the essay on embedded data and write report.html.
///
/// Sections: (1) compressing handwritten digits: the error-vs-rank curve, its elbow, per-class
/// error, and exact vs randomized vs streaming PCA; (2) compressing a photograph: PSNR against
/// rank and compression ratio; (3) choosing the CP rank of a simulated clickstream with planted
/// patterns (error curve, core consistency, split-half stability); (4) the same on the real
/// COVID-19 serology tensor, with the error per patient status; (5) detecting and naming faults
/// of a simulated DC motor (PCA monitor on a moving-average filter bank, signatures of load
/// step, speed-sensor drift and current-sensor bias, left-out faults called unknown); (6) the
/// Tennessee Eastman plant: false alarms and detection of fault 1 by PCA T², SPE and an
/// autoencoder; (7) the right ruler for counts: a negative-binomial VAE against squared error
/// on raw and log counts, finding planted outliers (precision–recall); (8) auditing by group:
/// a PCA trained on imbalanced groups, the audit that flags the minority with intervals and
/// p-values, the equal-size comparison, fair PCA and its price, and UCI Adult by sex and race;
/// (9) measuring structure: the worst-case erasure error of frames against redundancy, what
/// fixed, learned and graph bottlenecks keep; (10) generating: the perception–distortion curve
/// of a VAE-GAN on the digits, a CycleGAN and the steganography probe; (11) discovering: a
/// composition VAE on band gaps steered to a target gap, and a SMILES VAE on QM9 molecules;
/// (12) scaling out: the Tennessee Eastman monitor fitted on DataFusion over Parquet parts and
/// scored in SQL, next to the same fit in memory and the same plans on an in-process Ballista
/// cluster.
/// Prints a short summary; the report, its plots and images go to --out
/// (default: recon-tour/).
///
/// Example:
///   recon tour --out tour/ && open tour/report.html
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct TourArgs {
    /// Folder for report.html and the files it shows.
    #[arg(long, value_name = "DIR", default_value = "recon-tour")]
    pub out: PathBuf,
    /// Seed for every random choice in the tour.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// What a section gets: where to write files, the seed, and a scratch folder.
pub struct Tour {
    pub out: PathBuf,
    pub seed: u64,
    scratch: tempfile::TempDir,
}

impl Tour {
    /// Writes embedded bytes into the scratch folder so the normal loaders read them.
    pub fn embedded(&self, name: &str, bytes: &[u8]) -> anyhow::Result<PathBuf> {
        let p = self.scratch.path().join(name);
        std::fs::write(&p, bytes)?;
        Ok(p)
    }

    /// A path in the scratch folder (for files and model folders a section writes and reads back).
    pub fn scratch_path(&self, name: &str) -> PathBuf {
        self.scratch.path().join(name)
    }

    /// Writes a file into the output folder (atomically).
    pub fn write(&self, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
        Ok(write_atomic(&self.out.join(name), bytes)?)
    }
}

/// One section's report and the lines it prints.
pub struct Chapter {
    pub section: Section,
    pub summary: Vec<String>,
}

type SectionFn = fn(&Tour) -> anyhow::Result<Chapter>;

/// The sections, in order.
const SECTIONS: &[(&str, SectionFn)] = &[
    ("digits", digits::run),
    ("photo", photo::run),
    ("clickstream", clickstream::run),
    ("covid", covid::run),
    ("motor", motor::run),
    ("tennessee eastman", tennessee::run),
    ("counts", counts::run),
    ("fairness", fairness::run),
    ("frames", frames::run),
    ("generate", generate::run),
    ("discover", discover::run),
    ("scale out", scale::run),
];

pub fn run(args: TourArgs) -> anyhow::Result<()> {
    // Built in a staging folder beside --out and renamed into place once the report is written.
    let out = OutDir::create(&args.out)?;
    let tour = Tour { out: out.path().to_path_buf(), seed: args.seed, scratch: tempfile::tempdir()? };
    let mut report = Report { title: "Recon tour: reconstruction loss as one ruler".into(), sections: Vec::new() };
    let mut summary = String::new();
    let pb = bar(Some(SECTIONS.len() as u64), "tour");
    for (name, section) in SECTIONS {
        pb.set_message(name.to_string());
        let chapter = section(&tour)?;
        summary.push_str(&format!("== {}\n", chapter.section.title));
        for line in &chapter.summary {
            summary.push_str(&format!("   {line}\n"));
        }
        report.sections.push(chapter.section);
        pb.inc(1);
    }
    pb.finish_and_clear();
    let path = args.out.join("report.html");
    tour.write("report.html", report.to_html().as_bytes())?;
    out.commit()?;
    summary.push_str(&format!("report: {}\n", display(&path)));
    print(&summary)
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
