//! Tour section: the Tennessee Eastman PCA monitor fitted on DataFusion over a folder of Parquet
//! parts and scored in SQL, next to the same fit in memory and on an in-process Ballista cluster.

use std::path::Path;

use recon_core::data::{load_table, write_parquet_columns, Column, LoadOptions};
use recon_core::report::{Block, Section};
use recon_core::{Dataset, Fit};
use recon_datafusion::{quote, Engine};
use recon_linear::{Components, LimitMethod, PcaMonitorParams};

use super::{Chapter, Tour, TE_D00_TRAIN, TE_D01_TEST};

/// Writes `data`'s rows into `dir` as `parts` Parquet files of contiguous rows.
fn write_parts(data: &Dataset, dir: &Path, parts: usize) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let n = data.n_rows();
    for p in 0..parts {
        let rows = p * n / parts..(p + 1) * n / parts;
        let columns = (data.columns.iter().enumerate())
            .map(|(j, c)| (c.clone(), Column::F64(rows.clone().map(|i| data.x[(i, j)]).collect())))
            .collect();
        write_parquet_columns(&dir.join(format!("part-{p}.parquet")), columns)?;
    }
    Ok(())
}

pub fn run(tour: &Tour) -> anyhow::Result<Chapter> {
    let load = |name: &str, bytes: &[u8]| -> anyhow::Result<Dataset> {
        Ok(load_table(&tour.embedded(name, bytes)?, &LoadOptions::default())?.dataset)
    };
    let train = load("d00_train.csv", TE_D00_TRAIN)?;
    let fault1 = load("d01_test.csv", TE_D01_TEST)?;
    let (train_dir, test_dir) = (tour.scratch_path("te_train_parts"), tour.scratch_path("te_d01_parts"));
    write_parts(&train, &train_dir, 4)?;
    write_parts(&fault1, &test_dir, 3)?;

    // Analytical limits come from count, means and scatter alone: the engine never holds the rows.
    let params = PcaMonitorParams::new(Components::Energy(0.9)).limits(LimitMethod::Analytical);
    let engine = Engine::new(recon_datafusion::default_partitions())?;
    let recon_datafusion::StatsFit { monitor: fitted, columns, .. } = engine
        .fit_pca(&train_dir, &LoadOptions::default(), &params)?
        .ok_or_else(|| anyhow::anyhow!("analytical limits are fitted from statistics"))?;
    let memory = params.fit(&train)?;
    let model = tour.scratch_path("te_engine_pca");
    fitted.save(&model, &columns)?;

    engine.register("d01", &test_dir)?;
    let args = columns.iter().map(|c| quote(c)).collect::<Vec<_>>().join(", ");
    let query = format!(
        "SELECT count(*) AS n, sum(CAST(recon_alarm('{}', {args}) AS BIGINT)) AS alarms FROM d01",
        model.display()
    );
    let result = engine.sql(&query)?;
    let (n, sql_alarms): (usize, usize) = (result.text(0, 0)?.parse()?, result.text(0, 1)?.parse()?);
    let memory_alarms = memory.score(fault1.x.as_ref())?.score.iter().filter(|&&v| v > 1.0).count();

    // The same fit and query on Ballista: an in-process scheduler and executor, the plans
    // serialised and the partial statistics shipped between them as on a cluster.
    let cluster = recon_ballista::standalone(2)?;
    let on_cluster = cluster
        .fit_pca(&train_dir, &LoadOptions::default(), &params)?
        .ok_or_else(|| anyhow::anyhow!("analytical limits are fitted from statistics"))?
        .monitor;
    cluster.register("d01", &test_dir)?;
    let result = cluster.sql(&query)?;
    let cluster_alarms: usize = result.text(0, 1)?.parse()?;

    let (a, b, c) = (fitted.limits(), memory.limits(), on_cluster.limits());
    let rows = vec![
        vec![
            "components (90% of the variance)".into(),
            memory.pca().n_components().to_string(),
            fitted.pca().n_components().to_string(),
            on_cluster.pca().n_components().to_string(),
        ],
        vec!["T² limit".into(), format!("{:.6}", b.t2), format!("{:.6}", a.t2), format!("{:.6}", c.t2)],
        vec!["SPE limit".into(), format!("{:.6}", b.spe), format!("{:.6}", a.spe), format!("{:.6}", c.spe)],
        vec![
            "largest singular value".into(),
            format!("{:.9}", memory.pca().singular_values()[0]),
            format!("{:.9}", fitted.pca().singular_values()[0]),
            format!("{:.9}", on_cluster.pca().singular_values()[0]),
        ],
        vec![
            format!("alarms on fault 1 ({n} rows)"),
            format!("{memory_alarms} (score in memory)"),
            format!("{sql_alarms} (SQL recon_alarm over 3 parts)"),
            format!("{cluster_alarms} (the same SQL on Ballista)"),
        ],
    ];
    let mut s = Section::new("Scale out: the same monitor on DataFusion, scored in SQL");
    s.text(
        "The Tennessee Eastman training run written as a folder of 4 Parquet files and fitted on Apache DataFusion: \
         the aggregate recon_pca_stats keeps count, means and scatter per partition and merges them pairwise (Chan, \
         Golub & LeVeque), and one eigendecomposition finishes the monitor — `recon fit runs/ --model pca` on a \
         Parquet folder. The fault-1 run, as 3 Parquet files, is then scored by the SQL function recon_alarm, \
         what `recon sql \"SELECT … recon_alarm('model', …) …\" --table d01=parts/` runs. The last column runs \
         the same plans on Apache Ballista (an in-process scheduler and executor: plans serialised, partial \
         statistics shipped between them, as `--ballista df://HOST:PORT` does on a cluster). All columns \
         should agree to rounding: the engine changes where the sums are taken, not the model.",
    );
    s.blocks.push(Block::Table {
        header: vec![
            "quantity".into(),
            "in memory (CSV rows)".into(),
            "DataFusion (Parquet parts)".into(),
            "Ballista (in-process cluster)".into(),
        ],
        rows: rows.clone(),
    });
    let summary = vec![format!(
        "PCA monitor on 4 Parquet parts: T² limit {:.4} (in memory {:.4}), SPE limit {:.4} ({:.4}); SQL alarms on fault 1: {sql_alarms} of {n} (in memory {memory_alarms})",
        a.t2, b.t2, a.spe, b.spe
    ), format!(
        "the same on a Ballista in-process cluster: T² limit {:.4}, SPE limit {:.4}; Ballista alarms: {cluster_alarms} of {n}",
        c.t2, c.spe
    )];
    Ok(Chapter { section: s, summary })
}
