//! Tour section 8: auditing a reconstructor by group — a model trained on imbalanced data, the
//! audit that finds the group it serves badly, the equal-size comparison that says why, fair PCA
//! with its price, and the audit of a real table (UCI Adult by sex and race).

use recon::audit::audit_file_with;
use recon::ruler::AuditParams;
use recon::synth::groups::GroupParams;
use recon_core::data::{load_table, LoadOptions};
use recon_core::report::{Block, Section};
use recon_core::{Dataset, Fit};
use recon_linear::{Components, FairPcaParams, LimitMethod, PcaMonitorParams};

use super::{Chapter, Tour, ADULT_5K};

const RANK: usize = 3;

pub fn run(tour: &Tour) -> anyhow::Result<Chapter> {
    let p = GroupParams { rows: 2000, minority: 0.1, seed: tour.seed, ..Default::default() };
    let csv = tour.scratch_path("groups.csv");
    let truth = recon::simulate::groups(&p, &csv)?;
    let cols: Vec<String> = (0..p.features).map(|j| format!("x{j}")).collect();
    let opts = LoadOptions { columns: Some(cols.clone()), group_cols: vec!["group".into()], ..Default::default() };
    let data = load_table(&csv, &opts)?.dataset;
    let plain = Dataset { groups: None, ..data.clone() };
    let monitor = PcaMonitorParams::new(Components::Fixed(RANK)).limits(LimitMethod::Analytical).fit(&plain)?;
    let folder = tour.scratch_path("groups-pca");
    monitor.save(&folder, &cols)?;
    let model = recon::load_model(&folder)?;
    let params = AuditParams::new().seed(tour.seed);
    let report = audit_file_with(&model, &csv, &["group".into()], &params, 3)?;
    let fair = FairPcaParams::new(RANK).fit(&data)?;
    let f = fair.report();

    let mut s = Section::new("Audit: who does the model serve badly?");
    s.text(format!(
        "{} rows in {} features: a majority and a {}-row minority drawn from different rank-{RANK} structures with the same \
         noise, so each group alone is rebuilt by its own best rank-{RANK} subspace equally well. A standardised rank-{RANK} \
         PCA fitted on the pooled rows has an average error of {:.3} per row (squared error in standard units); the \
         audit (1,000 bootstrap resamples, 10,000 permutations, Holm-corrected at α = 0.01) shows whom that average \
         hides:",
        truth.rows, truth.features, truth.minority_rows, report.audit.overall_mean_error
    ));
    let (header, rows) = report.cells();
    s.blocks.push(Block::Table { header, rows });
    if let Some(e) = &report.equal_size {
        s.text(format!(
            "Equal sizes: the same PCA refitted {} times on {} rows of each group, errors measured on every row: {}. \
             ({}.)",
            e.repeats, e.rows_per_group, e.explanation, e.rule
        ));
    }
    for (name, svg) in report.plots("simulated groups")? {
        if name == "group_means.svg" {
            s.blocks.push(Block::Svg(svg));
        }
    }
    s.text(format!(
        "Fair PCA (Samadi et al. 2018) chooses the rank-{RANK} subspace that minimises the largest group loss — a group's \
         error minus its own best — instead of the total error ({}). Largest group loss {:.3} → {:.3} (with one more \
         dimension {:.3}); the price is {:+.3} in the mean error per row.",
        f.method, f.max_loss_standard, f.max_loss_fair, f.max_loss_plus_one, f.price
    ));
    s.blocks.push(Block::Table {
        header: vec!["group".into(), "n".into(), "own best".into(), "error, PCA".into(), "error, fair PCA".into()],
        rows: f
            .groups
            .iter()
            .map(|g| {
                vec![
                    g.group.clone(),
                    g.n.to_string(),
                    format!("{:.3}", g.own_best_error),
                    format!("{:.3}", g.error_standard),
                    format!("{:.3}", g.error_fair),
                ]
            })
            .collect(),
    });

    // A real table: 5,000 rows of UCI Adult, five numeric columns, by sex and by sex × race.
    let adult = tour.embedded("adult_5k.csv", ADULT_5K)?;
    let numeric: Vec<String> = ["age", "education-num", "hours-per-week", "capital-gain", "capital-loss"]
        .iter()
        .map(|c| c.to_string())
        .collect();
    let a = load_table(&adult, &LoadOptions { columns: Some(numeric.clone()), ..Default::default() })?.dataset;
    let am = PcaMonitorParams::new(Components::Fixed(2)).limits(LimitMethod::Analytical).fit(&a)?;
    let afolder = tour.scratch_path("adult-pca");
    am.save(&afolder, &numeric)?;
    let amodel = recon::load_model(&afolder)?;
    let by_sex = audit_file_with(&amodel, &adult, &["sex".into()], &params, 3)?;
    let by_both = audit_file_with(&amodel, &adult, &["sex".into(), "race".into()], &params, 0)?;
    s.text(
        "A real table: 5,000 rows of UCI Adult (Kohavi 1996), a standardised 2-component PCA of age, years of education, \
         hours per week, capital gain and capital loss, audited by sex and by sex × race:",
    );
    for r in [&by_sex, &by_both] {
        let (header, rows) = r.cells();
        s.blocks.push(Block::Table { header, rows });
    }
    if let Some(e) = &by_sex.equal_size {
        s.text(format!("By sex at equal sizes ({} rows each): {}.", e.rows_per_group, e.explanation));
    }
    s.text(by_sex.audit.rule.clone());

    let minority = report.audit.groups.iter().find(|g| g.group == "minority");
    let mut summary = vec![format!(
        "simulated: overall mean error {:.3}; minority {:.3} (×{:.1}, flagged {}); {}",
        report.audit.overall_mean_error,
        minority.map_or(f64::NAN, |g| g.mean_error),
        minority.map_or(f64::NAN, |g| g.ratio_to_best),
        minority.is_some_and(|g| g.flagged),
        report.equal_size.as_ref().map_or(String::new(), |e| e.explanation.clone())
    )];
    summary.push(format!(
        "fair PCA: largest group loss {:.3} → {:.3}, price {:+.3} per row",
        f.max_loss_standard, f.max_loss_fair, f.price
    ));
    let worst = by_sex.audit.groups.iter().max_by(|a, b| a.mean_error.total_cmp(&b.mean_error));
    if let Some(w) = worst {
        summary.push(format!(
            "UCI Adult by sex: {} served worst (mean {:.3}, ×{:.2} the best, p {:.4}, flagged {})",
            w.group,
            w.mean_error,
            w.ratio_to_best,
            w.p_holm.unwrap_or(f64::NAN),
            w.flagged
        ));
    }
    Ok(Chapter { section: s, summary })
}
