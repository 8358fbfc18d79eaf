//! `recon compress`: a low-rank model of a table or an image, its error and its size.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{ArgGroup, Args, ValueEnum};
use recon_core::data::{load_image, write_csv, write_npy, write_png, write_table_chunks, Format, OutDir, TableReader};
use recon_core::{Fit, Reconstruct};
use recon_linear::{ImageSvd, Pca, PcaParams, RandomizedParams, StreamingPca};
use serde::Serialize;

use crate::input::{report_dropped, TableArgs};
use crate::output::{bar, print, print_json};
use crate::UsageError;

/// Which solver computes the low-rank model.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// Full thin SVD: exact, every singular value.
    Exact,
    /// Randomized SVD (Halko–Martinsson–Tropp), seeded; fastest for small ranks of big matrices.
    Randomized,
    /// Out-of-core: reads the file in chunks, memory independent of the number of rows.
    Streaming,
}

/// Low-rank compression of a table (PCA) or an image (per-channel SVD).
///
/// Pick the rank directly (--rank K), by captured energy (--energy 0.99: the smallest k with
/// 1 − err(k) ≥ 0.99) or, for images, by quality (--psnr 35: the smallest k whose 8-bit
/// reconstruction reaches 35 dB). Reports the rank, the relative squared error
/// ||X − X̂||²_F / ||X||²_F (centred for tables), the compression ratio
/// (numbers in the input / numbers stored: k·(m+n+1) per image channel, k·(n+d+1)+d for a
/// centred table) and, for images, the PSNR.
///
/// With --out DIR: model.safetensors + model.json and the reconstruction in the input's own
/// format (reconstruction.csv, .npy or .png).
///
/// Examples:
///   recon compress digits.csv --label-col label --rank 10 --out digits-k10/
///   recon compress big.csv --energy 0.99 --method streaming
///   recon compress flower.jpg --psnr 30 --out flower/
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
#[command(group(ArgGroup::new("target").required(true).args(["rank", "energy", "psnr"])))]
pub struct CompressArgs {
    /// Input: a table (.csv, .npy) or an image (.png, .jpg).
    pub input: PathBuf,
    /// Keep exactly K components.
    #[arg(long, value_name = "K")]
    pub rank: Option<usize>,
    /// Keep the fewest components capturing this fraction of the energy, in (0, 1].
    #[arg(long, value_name = "F")]
    pub energy: Option<f64>,
    /// Images only: the fewest components whose 8-bit reconstruction reaches this PSNR (dB).
    #[arg(long, value_name = "DB")]
    pub psnr: Option<f64>,
    /// Solver.
    #[arg(long, value_enum, default_value_t = MethodArg::Exact)]
    pub method: MethodArg,
    /// Seed of the randomized solver.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Randomized solver: extra test vectors beyond the rank.
    #[arg(long, default_value_t = 10)]
    pub oversample: usize,
    /// Randomized solver: power iterations (default: 7 for small ranks, else 4, as scikit-learn).
    #[arg(long, value_name = "Q")]
    pub power_iters: Option<usize>,
    /// Tables: do not subtract column means (truncated SVD).
    #[arg(long)]
    pub no_center: bool,
    /// Standardise each column (divide by its standard deviation) before fitting, so that
    /// features in different units weigh the same; errors are then measured in standard units.
    #[arg(long, conflicts_with = "no_center")]
    pub scale: bool,
    /// Streaming solver: rows per chunk.
    #[arg(long, default_value_t = 8192, value_name = "N")]
    pub chunk_rows: usize,
    /// Print one JSON object instead of a summary.
    #[arg(long)]
    pub json: bool,
    /// Write the model and the reconstruction into this folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub table: TableArgs,
}

/// What `recon compress --json` prints.
#[derive(Debug, Serialize)]
pub struct CompressReport {
    pub input: String,
    pub method: String,
    pub rows: usize,
    pub cols: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channels: Option<usize>,
    pub rank: usize,
    pub relative_squared_error: f64,
    pub compression_ratio: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub psnr_db: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dropped_rows: Option<usize>,
}

impl CompressReport {
    fn summary(&self) -> String {
        let mut s = String::new();
        let shape = match self.channels {
            Some(c) => format!("{} × {} image, {c} channel(s)", self.rows, self.cols),
            None => format!("{} rows × {} columns", self.rows, self.cols),
        };
        let _ = writeln!(s, "{}: {shape}, method {}", self.input, self.method);
        let _ = writeln!(s, "rank                    {}", self.rank);
        let _ = writeln!(s, "relative squared error  {:.6e}", self.relative_squared_error);
        if let Some(p) = self.psnr_db {
            let _ = writeln!(s, "PSNR                    {p:.2} dB");
        }
        let _ = writeln!(s, "compression ratio       {:.2}×", self.compression_ratio);
        s
    }
}

fn randomized(args: &CompressArgs) -> RandomizedParams {
    RandomizedParams { oversample: args.oversample, n_iter: args.power_iters, seed: args.seed }
}

pub fn run(args: CompressArgs) -> anyhow::Result<()> {
    if args.chunk_rows == 0 {
        return Err(recon_core::Error::invalid("chunk-rows", "must be at least 1").into());
    }
    let report = match Format::of(&args.input)? {
        Format::Image => compress_image(&args)?,
        Format::Csv | Format::Npy | Format::Parquet if args.psnr.is_some() => {
            return Err(UsageError("--psnr applies to images; for tables use --rank or --energy".into()).into())
        }
        Format::Csv | Format::Npy | Format::Parquet if args.method == MethodArg::Streaming => {
            compress_streaming(&args)?
        }
        Format::Csv | Format::Npy | Format::Parquet => compress_table(&args)?,
    };
    if args.json {
        print_json(&report)
    } else {
        print(&report.summary())
    }
}

fn compress_image(args: &CompressArgs) -> anyhow::Result<CompressReport> {
    let out = args.out.as_deref().map(OutDir::create).transpose()?;
    let img = load_image(&args.input)?;
    let svd = match args.method {
        MethodArg::Exact => ImageSvd::exact(&img)?,
        MethodArg::Randomized => {
            let k = args.rank.ok_or_else(|| UsageError("--method randomized on an image needs --rank".into()))?;
            ImageSvd::randomized(&img, k, &randomized(args))?
        }
        MethodArg::Streaming => {
            return Err(UsageError("--method streaming reads tables; use exact or randomized for images".into()).into())
        }
    };
    let c = match (args.rank, args.energy, args.psnr) {
        (Some(k), _, _) => svd.compress(&img, k)?,
        (_, Some(f), _) => svd.compress(&img, svd.rank_for_energy(f)?)?,
        (_, _, Some(db)) => svd.compress_to_psnr(&img, db)?,
        _ => unreachable!("clap requires one target"),
    };
    if let Some(out) = out {
        svd.save(out.path(), c.rank)?;
        write_png(&out.join("reconstruction.png"), &c.image)?;
        out.commit()?;
    }
    Ok(CompressReport {
        input: args.input.display().to_string(),
        method: format!("{:?}", args.method).to_lowercase(),
        rows: img.height(),
        cols: img.width(),
        channels: Some(img.channels.len()),
        rank: c.rank,
        relative_squared_error: c.relative_squared_error,
        compression_ratio: c.compression_ratio,
        psnr_db: Some(c.psnr_db),
        dropped_rows: None,
    })
}

fn compress_table(args: &CompressArgs) -> anyhow::Result<CompressReport> {
    let out = args.out.as_deref().map(OutDir::create).transpose()?;
    let loaded = args.table.load(&args.input)?;
    let data = &loaded.dataset;
    let mut params = PcaParams::new().center(!args.no_center).scale(args.scale);
    if args.method == MethodArg::Randomized {
        params = params.randomized(randomized(args));
    }
    let pca = match (args.rank, args.energy) {
        (Some(k), _) => params.n_components(k).fit(data)?,
        (_, Some(f)) => params.fit_to_energy(data, f)?,
        _ => unreachable!("clap requires one target"),
    };
    let x_hat = pca.reconstruct(data.x.as_ref())?;
    let (sq, energy) = pca.squared_error_and_energy(data.x.as_ref(), x_hat.as_ref());
    let err = sq / energy;
    if let Some(out) = out {
        pca.save(out.path(), &data.columns)?;
        match Format::of(&args.input)? {
            Format::Npy => write_npy(&out.join("reconstruction.npy"), x_hat.as_ref())?,
            _ => write_csv(&out.join("reconstruction.csv"), &data.columns, x_hat.as_ref())?,
        }
        out.commit()?;
    }
    Ok(table_report(args, &pca, err, loaded.dropped_rows))
}

fn table_report(args: &CompressArgs, pca: &Pca, err: f64, dropped: usize) -> CompressReport {
    CompressReport {
        input: args.input.display().to_string(),
        method: format!("{:?}", args.method).to_lowercase(),
        rows: pca.n_samples(),
        cols: pca.n_features(),
        channels: None,
        rank: pca.n_components(),
        relative_squared_error: err,
        compression_ratio: pca.compression_ratio(),
        psnr_db: None,
        dropped_rows: Some(dropped),
    }
}

/// Two passes over the file: accumulate the scatter, then measure (and write) the reconstruction.
fn compress_streaming(args: &CompressArgs) -> anyhow::Result<CompressReport> {
    let out = args.out.as_deref().map(OutDir::create).transpose()?;
    let opts = args.table.options();
    let mut reader = TableReader::open(&args.input, &opts)?;
    let columns = reader.columns().to_vec();
    let mut acc = StreamingPca::new(columns.len(), !args.no_center).with_scale(args.scale);
    let pb = bar(reader.len_hint().map(|n| n as u64), "pass 1/2");
    while let Some(chunk) = reader.next_chunk(args.chunk_rows)? {
        acc.update(chunk.as_ref())?;
        pb.inc(chunk.nrows() as u64);
    }
    pb.finish_and_clear();
    let dropped = reader.dropped_rows();
    report_dropped(dropped);
    if acc.n_samples() == 0 {
        return Err(
            recon_core::Error::Empty { what: args.input.display().to_string(), reason: "no data rows".into() }.into()
        );
    }
    let full = acc.finish(None)?;
    let pca = match (args.rank, args.energy) {
        (Some(k), _) => full.truncate(k)?,
        (_, Some(f)) => {
            let curve = full.error_curve(full.spectrum().len())?;
            let k = recon_core::ruler::rank_for_energy(&curve, f)?.unwrap_or(full.n_components());
            full.truncate(k.max(1))?
        }
        _ => unreachable!("clap requires one target"),
    };
    let (mut total_sq, mut total_energy) = (0.0, 0.0);
    let mut second_pass = |sink: &mut dyn FnMut(&faer::Mat<f64>) -> recon_core::Result<()>| -> anyhow::Result<()> {
        let mut reader = TableReader::open(&args.input, &opts)?;
        let pb = bar(reader.len_hint().map(|n| n as u64), "pass 2/2");
        while let Some(chunk) = reader.next_chunk(args.chunk_rows)? {
            let x_hat = pca.reconstruct(chunk.as_ref())?;
            let (sq, energy) = pca.squared_error_and_energy(chunk.as_ref(), x_hat.as_ref());
            total_sq += sq;
            total_energy += energy;
            sink(&x_hat)?;
            pb.inc(chunk.nrows() as u64);
        }
        pb.finish_and_clear();
        Ok(())
    };
    match out {
        None => second_pass(&mut |_| Ok(()))?,
        Some(out) => {
            pca.save(out.path(), &columns)?;
            let npy = Format::of(&args.input)? == Format::Npy;
            let path = out.join(if npy { "reconstruction.npy" } else { "reconstruction.csv" });
            write_table_chunks(&path, &columns, pca.n_samples(), |sink| second_pass(&mut |m| sink(m.as_ref())))?;
            out.commit()?;
        }
    }
    let err = total_sq / total_energy;
    Ok(table_report(args, &pca, err, dropped))
}
