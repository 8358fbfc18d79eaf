//! `recon fit`: train a monitor on normal data.

use std::path::PathBuf;

use clap::{ArgGroup, Args, ValueEnum};
use recon::fit::{drop_zero_genes, window_features, AeFitReport, PcaFitReport, VaeFitReport};
use recon_core::data::{OutDir, Window};
use recon_core::ruler::Contamination;
use recon_core::{Dataset, Fit};
use recon_linear::{AlarmStatistic, Components, LimitMethod, PcaMonitor, PcaMonitorParams, DEFAULT_FOLDS};
use recon_neural::likelihood::Likelihood;
use recon_neural::{Activation, AutoencoderParams, TrainConfig, Trainable, VaeParams};

use crate::commands::sql::engine;
use crate::input::TableArgs;
use crate::output::{bar, print_json};
use crate::UsageError;

/// Model family.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModelKind {
    /// PCA monitor: Hotelling T² and SPE (Q) with analytical or empirical control limits.
    Pca,
    /// MLP autoencoder: mean squared standardised residual, threshold calibrated on held-out rows.
    Ae,
    /// Variational autoencoder scored by a likelihood (--likelihood); samples get empirical
    /// p-values against held-out healthy samples, count entries get NB / Poisson p-values.
    Vae,
}

/// Decoder likelihood of a VAE.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum LikelihoodArg {
    /// Real values: mean and a learned variance per feature.
    Gaussian,
    /// Values in [0, 1].
    Bernoulli,
    /// Counts.
    Poisson,
    /// Over-dispersed counts (negative binomial, dispersion per feature, library-size offset).
    Nb,
    /// Negative binomial with extra zeros.
    Zinb,
}

/// How a PCA monitor sets its control limits.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum LimitsArg {
    /// F distribution (T²) and Jackson–Mudholkar (SPE).
    Analytical,
    /// Quantile of each statistic over the training rows.
    Empirical,
    /// Quantile of each statistic over out-of-fold rows (contiguous folds, --folds), with the
    /// false-alarm rate it gives estimated by cross-validation.
    Cv,
    /// Autoencoder: quantile of the scores of the random held-out validation rows (one fit;
    /// those rows also chose the epoch, and share their neighbours' autocorrelation).
    Holdout,
}

/// What raises a PCA monitor's alarm.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatisticArg {
    /// T²/T²-limit + SPE/SPE-limit (Yue & Qin's combined index) above its own limit: one test
    /// at --target-far.
    Combined,
    /// T² or SPE above its own limit: two tests at --target-far each (up to twice the false
    /// alarms), the classic pair of charts.
    Either,
}

/// Hidden-layer nonlinearity of an autoencoder.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ActivationArg {
    Tanh,
    Relu,
    Sigmoid,
}

/// Train a monitor on normal data; `recon score` then raises alarms on new data and
/// `recon diagnose` names the fault.
///
/// PCA (--model pca) standardises each variable (unless --no-scale), keeps --components K or the
/// fewest components reaching --energy F (default 0.9), and limits Hotelling T² inside the model
/// plane and the squared prediction error SPE/Q off it; the alarm is their combined index
/// T²/T²-limit + SPE/SPE-limit above its own limit, one test at the target false-alarm rate
/// (--statistic either: T² or SPE above its limit).
///
/// The autoencoder (--model ae) standardises each variable and trains an MLP d → hidden → d (the
/// decoder mirrors --hidden) with Adam on minibatches, holding out --validation of the rows: it
/// stops when their loss has not improved for --patience epochs (halving the learning rate after
/// half as many), so --epochs is only a budget; a fit the budget stopped says so.
///
/// Limits that hold on new data: below 10,000 training rows both monitors set their limits from
/// out-of-fold scores (--limits cv: --folds contiguous blocks, each scored by a model fitted on
/// the others), because rows a model was fitted on score optimistically; the false-alarm rate
/// this gives is estimated and recorded with a 95% interval. Otherwise, or when asked: PCA
/// --limits analytical (F distribution, Jackson–Mudholkar) or empirical (training-row
/// quantiles); autoencoder --limits holdout (its validation rows).
///
/// Training data with outliers in it: --contamination auto (or a fraction below 0.5) refits on
/// the rows that look normal (a robust half-sample start, then iteratively trimmed refits) and
/// sets the limits from them.
///
/// --window W adds the W − 1 previous samples of every column as features (named
/// `speed[t-1]`, ...), so the model sees short-term dynamics; --lags 0,1,2,4,8,...
/// picks spaced past samples instead, and --ema 5,20,50,200 adds moving averages with those
/// time constants (samples) — a filter bank that lets even a linear model rebuild slow
/// responses, such as a motor current lagging its voltage. The model file lists these
/// columns (`speed[t-4]`, `speed[ema-50]`); score and diagnose rebuild them from raw rows.
/// Constant columns are centred but not scaled, with a warning that names them.
///
/// The model folder holds model.safetensors + model.json (kind, version, columns, scaler,
/// threshold); scoring data without the model's columns is refused.
///
/// Examples:
///   recon fit d00_train.csv --model pca --energy 0.9 --out te-pca/
///   recon fit odds.csv --label-col label --model ae --contamination auto --out odds-ae/
///   recon simulate motor --seed 1 --out normal.csv
///   recon fit normal.csv --model ae --columns voltage,speed,current --window 5 --hidden 32,4 --out motor-ae/
///   recon fit normal.csv --model pca --columns voltage,speed,current --ema 5,20,50,200 --components 6 --limits empirical --out motor-pca/
#[derive(Args, Debug)]
#[command(verbatim_doc_comment)]
#[command(group(ArgGroup::new("size").args(["components", "energy"])))]
pub struct FitArgs {
    /// Training data (.csv or .npy) holding normal operation only.
    pub input: PathBuf,
    /// Model family.
    #[arg(long, value_enum)]
    pub model: ModelKind,
    /// PCA: keep exactly K components.
    #[arg(long, value_name = "K")]
    pub components: Option<usize>,
    /// PCA: keep the fewest components capturing this fraction of the variance (default 0.9).
    #[arg(long, value_name = "F")]
    pub energy: Option<f64>,
    /// PCA: keep each variable's units instead of standardising.
    #[arg(long)]
    pub no_scale: bool,
    /// How the control limits are set. Default: cv below 10,000 training rows; above, analytical
    /// (PCA) or holdout (autoencoder). PCA: analytical, empirical, cv; autoencoder: cv, holdout.
    #[arg(long, value_enum, value_name = "METHOD")]
    pub limits: Option<LimitsArg>,
    /// PCA, autoencoder: the training rows may hold outliers, up to this fraction in [0, 0.5),
    /// or `auto` to estimate it. The model is refitted on the rows that look normal (iteratively
    /// trimmed refits) and its limits set from them; model.json records how many were left out.
    /// `auto` assumes scores with a chi-square-like tail: on clean real tables with a heavier
    /// tail it leaves out normal rows too (4-12% on digits and breast_cancer), and fresh normal
    /// rows then alarm more often than --target-far (3-10% for 1%; BENCHMARKS.md). The fit
    /// prints the rate to expect if the rows it left out were normal. Use it on data known to
    /// hold outliers; give the fraction when you know it.
    #[arg(long, value_name = "auto|F")]
    pub contamination: Option<Contamination>,
    /// PCA: what raises the alarm: the combined index of T² and SPE (default), or either of
    /// them above its own limit.
    #[arg(long, value_enum, value_name = "STAT")]
    pub statistic: Option<StatisticArg>,
    /// Serve the groups in this column evenly. PCA: fair PCA — the subspace that minimises the
    /// largest group loss (a group's error minus its own best error at the same rank; Samadi et
    /// al. 2018) instead of the total error; limits analytical (default) or empirical.
    /// Autoencoder: group-robust training (group DRO: the loss weighs the groups by weights that
    /// grow with each group's loss; early stopping on the worst group). Either way the fit
    /// reports each group's error under standard and fair fitting, and the price (the increase
    /// of the mean error).
    #[arg(long, value_name = "G")]
    pub fair_group_col: Option<String>,
    /// Cross-validated limits with this many contiguous folds (default 5; given alone, it asks
    /// for --limits cv).
    #[arg(long, value_name = "K")]
    pub folds: Option<usize>,
    /// Autoencoder: encoder widths, the last one the bottleneck (default: 2·d capped at 64, then
    /// d/4). VAE: encoder widths before the latent layer (default 128).
    #[arg(long, value_name = "H1,H2", value_delimiter = ',')]
    pub hidden: Option<Vec<usize>>,
    /// Autoencoder: hidden-layer nonlinearity.
    #[arg(long, value_enum, default_value_t = ActivationArg::Tanh)]
    pub activation: ActivationArg,
    /// Autoencoder: dropout probability after each hidden layer while training.
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    pub dropout: f64,
    /// Maximum number of epochs (default 1000: a budget, not the stopping rule; training stops
    /// when the held-out loss stops improving, see --patience).
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,
    /// Minibatch size (default 64).
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,
    /// Adam's starting learning rate (default: autoencoder 1e-2, VAE 3e-3; halved on plateaus,
    /// see --lr-decay).
    #[arg(long, value_name = "LR")]
    pub learning_rate: Option<f64>,
    /// Fraction of rows held out: autoencoder early stopping and threshold calibration; VAE
    /// early stopping and the p-value reference, half each (default 0.2).
    #[arg(long, value_name = "F")]
    pub validation: Option<f64>,
    /// Epochs without validation improvement before stopping (default: autoencoder 20, VAE 40).
    #[arg(long, value_name = "N")]
    pub patience: Option<usize>,
    /// Factor the learning rate is multiplied by (after going back to the best weights) when the
    /// held-out loss has not improved for half the patience; 1 keeps it fixed (default 0.5).
    #[arg(long, value_name = "F")]
    pub lr_decay: Option<f64>,
    /// VAE: the likelihood of each entry given the decoder output.
    #[arg(long, value_enum, value_name = "LIK")]
    pub likelihood: Option<LikelihoodArg>,
    /// VAE: latent dimensions (default min(10, features − 1)).
    #[arg(long, value_name = "K")]
    pub latent: Option<usize>,
    /// VAE: epochs over which the KL weight rises from 0 to 1.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub kl_warmup: usize,
    /// Use each column's W − 1 previous samples as extra features (rows must be in time order).
    #[arg(long, default_value_t = 1, value_name = "W", conflicts_with = "lags")]
    pub window: usize,
    /// Use each column's values these many samples back as features, e.g. 0,1,2,4,8,16,32,64
    /// (starts at 0, increasing; rows must be in time order).
    #[arg(long, value_name = "K1,K2", value_delimiter = ',')]
    pub lags: Option<Vec<usize>>,
    /// Add exponential moving averages of each column with these time constants in samples,
    /// e.g. 5,20,50,200 (a filter bank that lets the model rebuild slow responses).
    #[arg(long, value_name = "S1,S2", value_delimiter = ',')]
    pub ema: Option<Vec<usize>>,
    /// Target false-alarm rate of the threshold / control limits (0.01: 99% limits).
    #[arg(long, default_value_t = 0.01, value_name = "RATE")]
    pub target_far: f64,
    /// Seed of every random choice (autoencoder initialisation, split, shuffling, dropout).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Model folder to write.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// PCA: fit on the Ballista cluster whose scheduler is at this address (df://HOST:PORT):
    /// the statistics are computed by its executors, where the table's path must name the same
    /// file. Needs analytical limits (the default from 10,000 rows).
    #[arg(long, value_name = "df://HOST:PORT")]
    pub ballista: Option<recon_ballista::SchedulerUrl>,
    #[command(flatten)]
    pub table: TableArgs,
}

impl From<ActivationArg> for Activation {
    fn from(a: ActivationArg) -> Activation {
        match a {
            ActivationArg::Tanh => Activation::Tanh,
            ActivationArg::Relu => Activation::Relu,
            ActivationArg::Sigmoid => Activation::Sigmoid,
        }
    }
}

impl From<LikelihoodArg> for Likelihood {
    fn from(l: LikelihoodArg) -> Likelihood {
        match l {
            LikelihoodArg::Gaussian => Likelihood::Gaussian,
            LikelihoodArg::Bernoulli => Likelihood::Bernoulli,
            LikelihoodArg::Poisson => Likelihood::Poisson,
            LikelihoodArg::Nb => Likelihood::Nb,
            LikelihoodArg::Zinb => Likelihood::Zinb,
        }
    }
}

impl FitArgs {
    /// The family's training defaults with what the command line sets.
    fn training(&self, defaults: TrainConfig) -> TrainConfig {
        let mut t = defaults.with_seed(self.seed);
        if let Some(n) = self.epochs {
            t.epochs = n;
        }
        if let Some(n) = self.batch_size {
            t.batch_size = n;
        }
        if let Some(lr) = self.learning_rate {
            t.learning_rate = lr;
        }
        if let Some(f) = self.validation {
            t.validation = f;
        }
        if let Some(n) = self.patience {
            t.patience = n;
        }
        if let Some(f) = self.lr_decay {
            t.lr_decay = f;
        }
        t
    }
}

pub fn run(args: FitArgs) -> anyhow::Result<()> {
    // Refuse an --out that cannot be written before any work is done.
    let out = OutDir::create(&args.out)?;
    let mut table = args.table.clone();
    if let Some(g) = &args.fair_group_col {
        if table.group_col.is_some() {
            return Err(
                UsageError("--fair-group-col names the group column itself; leave out --group-col".into()).into()
            );
        }
        table.group_col = Some(vec![g.clone()]);
    }
    if let Some(fit) = fit_pca_on_engine(&args, &table)? {
        warn_constant(&fit.constant_columns);
        return save_pca(&args, &fit.monitor, &fit.columns, fit.n_rows, out);
    }
    let loaded = table.load(&args.input)?;
    let raw = &loaded.dataset;
    // A VAE does not standardise counts, and drops all-zero genes itself with its own message.
    if args.model != ModelKind::Vae {
        warn_constant(&raw.constant_columns());
    }
    if args.window == 0 {
        return Err(UsageError("--window must be at least 1 (1 = no past samples)".into()).into());
    }
    let lags = args.lags.clone().unwrap_or_else(|| (0..args.window).collect());
    let window = Window::new(lags, args.ema.clone().unwrap_or_default())?;
    let data = window_features(raw, &window)?;
    match args.model {
        // Fair fits read the groups, which window features do not carry: the table's own columns.
        ModelKind::Pca | ModelKind::Ae if args.fair_group_col.is_some() && data.columns != raw.columns => {
            Err(UsageError("--fair-group-col takes the table's own columns (no --window, --lags or --ema)".into())
                .into())
        }
        ModelKind::Pca if args.fair_group_col.is_some() => fit_fair_pca(&args, raw, out),
        ModelKind::Ae if args.fair_group_col.is_some() => fit_ae(&args, raw, out),
        ModelKind::Pca => fit_pca(&args, &data, out),
        ModelKind::Ae => fit_ae(&args, &data, out),
        ModelKind::Vae => fit_vae(&args, &data, out),
    }
}

/// Names the columns with no spread, which the fit centres but does not scale.
fn warn_constant(columns: &[String]) {
    if !columns.is_empty() {
        eprintln!("warning: constant column(s) left out of the scaling (centred only): {}", columns.join(", "));
    }
}

/// `--model pca` on a Parquet table with limits that summary statistics set (analytical; the
/// default on 10,000 rows or more): fitted on DataFusion over all cores, the rows never held.
/// `None` when the fit needs the rows (or the input is not Parquet).
/// With --ballista the fit always runs on the cluster, and refuses what needs the rows.
fn fit_pca_on_engine(args: &FitArgs, table: &TableArgs) -> anyhow::Result<Option<recon_datafusion::StatsFit>> {
    let plain = args.window == 1 && args.lags.is_none() && args.ema.is_none() && args.fair_group_col.is_none();
    if let Some(url) = &args.ballista {
        if args.model != ModelKind::Pca || !plain {
            return Err(UsageError(
                "--ballista fits --model pca on the table's own columns (no --window, --lags, --ema or --fair-group-col)"
                    .into(),
            )
            .into());
        }
        let engine = engine(Some(url), None)?;
        return match engine.fit_pca(&args.input, &table.options(), &monitor_params(args)?)? {
            Some(fit) => Ok(Some(fit)),
            None => Err(UsageError(
                "--ballista fits from the table's statistics: it needs analytical limits (--limits analytical, \
                 the default from 10,000 rows) and no --contamination"
                    .into(),
            )
            .into()),
        };
    }
    if args.model != ModelKind::Pca || !plain || !recon_datafusion::prefers(&args.input)? {
        return Ok(None);
    }
    Ok(engine(None, None)?.fit_pca(&args.input, &table.options(), &monitor_params(args)?)?)
}

/// `--model pca --fair-group-col G`: a monitor on fair PCA's subspace.
/// (The library refuses out-of-fold limits and --contamination there, with the reason.)
fn fit_fair_pca(args: &FitArgs, raw: &Dataset, out: OutDir) -> anyhow::Result<()> {
    let params = pca_params(args)?;
    let params = match args.contamination {
        Some(c) => params.contamination(c),
        None => params,
    };
    let (monitor, fair) = params.fit_fair(raw)?;
    for line in recon::fit::fair_lines(&fair) {
        eprintln!("{line}");
    }
    monitor.save(out.path(), &raw.columns)?;
    out.commit()?;
    let mut report = PcaFitReport::new(&monitor, raw, !args.no_scale);
    report.fair = Some(fair);
    print_json(&WithOut { out: args.out.display().to_string(), report })
}

/// The PCA monitor's parameters from the command line.
fn pca_params(args: &FitArgs) -> anyhow::Result<PcaMonitorParams> {
    if args.hidden.is_some() || args.likelihood.is_some() || args.latent.is_some() {
        return Err(UsageError("--hidden, --likelihood and --latent are for --model ae / vae".into()).into());
    }
    let components = match (args.components, args.energy) {
        (Some(k), _) => Components::Fixed(k),
        (_, Some(f)) => Components::Energy(f),
        _ => Components::Energy(0.9),
    };
    // --folds alone asks for cross-validated limits, as it does for the autoencoder.
    let method = match (args.limits, args.folds) {
        (Some(LimitsArg::Cv), _) | (None, Some(_)) => Some(LimitMethod::Cv),
        (None, None) => None,
        (Some(_), Some(_)) => return Err(UsageError("--folds is for --limits cv".into()).into()),
        (Some(LimitsArg::Empirical), None) => Some(LimitMethod::Empirical),
        (Some(LimitsArg::Analytical), None) => Some(LimitMethod::Analytical),
        (Some(LimitsArg::Holdout), None) => {
            return Err(UsageError("--limits holdout is for --model ae (a PCA monitor holds out no rows)".into()).into())
        }
    };
    let params = PcaMonitorParams::new(components)
        .scale(!args.no_scale)
        .alpha(args.target_far)
        .folds(args.folds.unwrap_or(DEFAULT_FOLDS))
        .statistic(match args.statistic {
            Some(StatisticArg::Either) => AlarmStatistic::Either,
            Some(StatisticArg::Combined) | None => AlarmStatistic::Combined,
        });
    Ok(match method {
        Some(m) => params.limits(m),
        None => params.auto_limits(),
    })
}

fn fit_pca(args: &FitArgs, data: &Dataset, out: OutDir) -> anyhow::Result<()> {
    let monitor = monitor_params(args)?.fit(data)?;
    let limits = monitor.limits();
    if let Some(t) = limits.trimmed {
        eprintln!("{}", trim_line(&t, data.n_rows(), t.far_if_left_out_normal(limits.cv.as_ref(), limits.alpha)));
    }
    if let Some(cv) = monitor.limits().cv {
        eprintln!("{}", cv_line(&cv, args.target_far));
    }
    save_pca(args, &monitor, &data.columns, data.n_rows(), out)
}

/// The PCA monitor's parameters, with `--contamination` when given.
fn monitor_params(args: &FitArgs) -> anyhow::Result<PcaMonitorParams> {
    let params = pca_params(args)?;
    Ok(match args.contamination {
        Some(c) => params.contamination(c),
        None => params,
    })
}

/// Writes the monitor's folder and prints its report.
fn save_pca(args: &FitArgs, monitor: &PcaMonitor, columns: &[String], n: usize, out: OutDir) -> anyhow::Result<()> {
    monitor.save(out.path(), columns)?;
    out.commit()?;
    let report = PcaFitReport::of_shape(monitor, columns, n, !args.no_scale);
    print_json(&WithOut { out: args.out.display().to_string(), report })
}

/// A fit report with the model folder it wrote.
#[derive(serde::Serialize)]
struct WithOut<R> {
    out: String,
    #[serde(flatten)]
    report: R,
}

/// What cross-validated limits estimate, one line.
fn cv_line(cv: &recon::ruler::CvEstimate, target: f64) -> String {
    format!(
        "cross-validated limits ({} contiguous folds): estimated false-alarm rate {:.2}% (95% interval {:.2}–{:.2}%), target {}%",
        cv.folds,
        100.0 * cv.false_alarm_rate,
        100.0 * cv.interval[0],
        100.0 * cv.interval[1],
        100.0 * target
    )
}

/// What a trimmed fit did, one line, with the false-alarm rate to expect if the rows it left
/// out were normal ([`recon::ruler::TrimSummary::far_if_left_out_normal`]).
fn trim_line(t: &recon::ruler::TrimSummary, n: usize, far_if_normal: Option<f64>) -> String {
    let asked = match t.contamination {
        recon::ruler::Contamination::Auto => "estimated".to_string(),
        recon::ruler::Contamination::Fraction(f) => format!("asked {f}"),
    };
    let line = format!(
        "contaminated training rows: the final fit left out {} of {n} ({:.1}%, {asked}) after {} round(s) of trimmed refits",
        t.rows_dropped,
        100.0 * t.fraction,
        t.rounds
    );
    // The limits come from the kept rows: if the rows left out were a heavy tail of normal rows
    // rather than outliers, rows like them alarm on fresh data too.
    match (t.left_out_alarming, far_if_normal) {
        (Some(a), Some(far)) => format!(
            "{line}; the limits fit the kept rows and {:.0}% of the rows left out alarm under them: if those were normal rows after all, fresh normal rows would alarm at about {:.1}%",
            100.0 * a,
            100.0 * far
        ),
        _ => line,
    }
}

/// The PCA monitor's options are refused for the neural models (the autoencoder takes
/// `--limits cv` and `--folds`).
fn pca_options_unused(args: &FitArgs) -> anyhow::Result<()> {
    let set = [args.components.is_some(), args.energy.is_some(), args.no_scale, args.statistic.is_some()];
    if set.into_iter().any(|b| b) {
        return Err(UsageError("--components, --energy, --no-scale and --statistic are for --model pca".into()).into());
    }
    Ok(())
}

fn fit_ae(args: &FitArgs, data: &Dataset, out: OutDir) -> anyhow::Result<()> {
    pca_options_unused(args)?;
    // Some(folds): out-of-fold threshold; None: the one-fit threshold; auto when neither is asked.
    let cv = match (args.limits, args.folds) {
        (Some(LimitsArg::Cv), f) | (None, f @ Some(_)) => Some(Some(f.unwrap_or(DEFAULT_FOLDS))),
        (None, None) => None,
        (Some(LimitsArg::Holdout), None) => Some(None),
        (Some(LimitsArg::Holdout), Some(_)) => return Err(UsageError("--folds is for --limits cv".into()).into()),
        (Some(_), _) => return Err(UsageError("--model ae takes --limits cv or holdout".into()).into()),
    };
    if args.likelihood.is_some() || args.latent.is_some() {
        return Err(UsageError("--likelihood and --latent are for --model vae".into()).into());
    }
    let hidden = args.hidden.clone().unwrap_or_else(|| AutoencoderParams::default_hidden(data.n_cols()));
    let activation: Activation = args.activation.into();
    let train = args.training(AutoencoderParams::default_training());
    let pb = bar(Some(train.epochs as u64), "training");
    let params = AutoencoderParams::new(hidden.clone())
        .activation(activation)
        .dropout(args.dropout)
        .training(train)
        .target_far(args.target_far);
    let params = match cv {
        Some(Some(folds)) => params.cv_folds(folds),
        Some(None) => params,
        None => params.auto_limits(),
    };
    let params = match args.contamination {
        Some(c) => params.contamination(c),
        None => params,
    };
    // Out-of-fold limits and trimmed refits train several autoencoders in turn: count them.
    let mut fits = 0;
    let progress = |epoch: usize, train: f64, val: f64| {
        if epoch == 1 {
            fits += 1;
        }
        pb.set_position(epoch as u64);
        pb.set_message(format!("fit {fits} · loss {train:.4} · validation {val:.4}"));
    };
    let (ae, robust) = match args.fair_group_col {
        Some(_) => {
            if args.contamination.is_some() {
                return Err(UsageError("--fair-group-col and --contamination do not combine (yet)".into()).into());
            }
            let (ae, r) = recon::fit::group_robust_autoencoder(&params, data, recon::fit::GROUP_ROBUST_ETA, progress)?;
            (ae, Some(r))
        }
        None => (params.fit_with(data, progress)?, None),
    };
    pb.finish_and_clear();
    if let Some(r) = &robust {
        for line in recon::fit::group_robust_lines(r) {
            eprintln!("{line}");
        }
    }
    ae.save(out.path(), &data.columns)?;
    out.commit()?;
    let log = ae.log();
    if let Some(w) = log.limit_warning() {
        eprintln!("warning: {w}");
    }
    if let Some(cv) = &ae.threshold().cv {
        eprintln!("{}", cv_line(cv, args.target_far));
    }
    let th = ae.threshold();
    if let Some(t) = &th.trimmed {
        eprintln!("{}", trim_line(t, data.n_rows(), t.far_if_left_out_normal(th.cv.as_ref(), th.target_far)));
    }
    let t = ae.threshold();
    eprintln!(
        "{}; validation loss {:.4}; threshold {:.4} ({}, target false-alarm rate {})",
        log.summary(),
        log.best_val_loss(),
        t.value,
        t.method,
        t.target_far
    );
    let mut report = AeFitReport::new(&ae, data, args.seed);
    report.group_robust = robust;
    print_json(&WithOut { out: args.out.display().to_string(), report })
}

fn fit_vae(args: &FitArgs, data: &Dataset, out: OutDir) -> anyhow::Result<()> {
    pca_options_unused(args)?;
    if args.fair_group_col.is_some() {
        return Err(
            UsageError("--fair-group-col is for --model pca (fair PCA) and ae (group-robust training)".into()).into()
        );
    }
    if args.limits.is_some() || args.folds.is_some() || args.contamination.is_some() {
        return Err(
            UsageError("--limits, --folds and --contamination are for the monitors (--model pca, ae)".into()).into()
        );
    }
    if args.window != 1 || args.lags.is_some() || args.ema.is_some() {
        return Err(
            UsageError("--window, --lags and --ema are for the monitors (pca, ae), not --model vae".into()).into()
        );
    }
    let Some(likelihood) = args.likelihood.map(Likelihood::from) else {
        return Err(UsageError("--model vae needs --likelihood gaussian|bernoulli|poisson|nb|zinb".into()).into());
    };
    let (data, zero) = if likelihood.is_count() { drop_zero_genes(data) } else { (data.clone(), Vec::new()) };
    if !zero.is_empty() {
        eprintln!(
            "{} all-zero feature(s) dropped ({}{})",
            zero.len(),
            zero.iter().take(5).cloned().collect::<Vec<_>>().join(", "),
            if zero.len() > 5 { ", …" } else { "" }
        );
    }
    let d = data.n_cols();
    let latent = args.latent.unwrap_or_else(|| VaeParams::default_latent(d));
    let hidden = args.hidden.clone().unwrap_or_else(VaeParams::default_hidden);
    let activation: Activation = args.activation.into();
    let train = args.training(VaeParams::default_training());
    let pb = bar(Some(train.epochs as u64), "training");
    let params = VaeParams::new(likelihood, hidden.clone(), latent)
        .activation(activation)
        .training(train)
        .kl_warmup(args.kl_warmup);
    let vae = params.fit_with(&data, |epoch, train, val| {
        pb.set_position(epoch as u64);
        pb.set_message(format!("−ELBO {train:.1} · validation {val:.1}"));
    })?;
    pb.finish_and_clear();
    vae.save(out.path(), &data.columns)?;
    out.commit()?;
    let log = vae.log();
    if let Some(w) = log.limit_warning() {
        eprintln!("warning: {w}");
    }
    eprintln!(
        "{}; validation −ELBO per sample {:.2}; {} held-out samples are the p-value reference",
        log.summary(),
        log.best_val_loss(),
        vae.reference().len()
    );
    let m = vae.reference().len();
    if m < 20 {
        eprintln!(
            "warning: only {m} held-out reference samples, so sample p-values cannot fall below {:.3}; use more samples or a larger --validation",
            1.0 / (m as f64 + 1.0)
        );
    }
    print_json(&WithOut {
        out: args.out.display().to_string(),
        report: VaeFitReport::new(&vae, &hidden, &data, args.seed),
    })
}
