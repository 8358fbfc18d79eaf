//! Tour section 4: the real COVID-19 systems-serology tensor (Tan et al. 2021).

use recon_core::data::{load_tensor, Tensor};
use recon_core::report::{Block, Section};
use recon_tensor::{for_each_index, RankSearch};

use super::{Chapter, Tour, COVID_AXES, COVID_NPY};
use crate::commands::tensor::cc_text;

pub fn run(tour: &Tour) -> anyhow::Result<Chapter> {
    let path = tour.embedded("COVID19_data.npy", COVID_NPY)?;
    let t = load_tensor(&path)?;
    let Tensor::Dense(d) = &t else { anyhow::bail!("the COVID-19 tensor is dense") };
    let search = RankSearch {
        ranks: (1..=6).collect(),
        starts: 2,
        seed: tour.seed,
        max_iter: 300,
        tol: 1e-8,
        method: recon_tensor::Decomposition::Cp,
    };
    let r = search.run(&t, &|| {})?;
    let i = r.ranks.iter().position(|&k| k == r.recommended_rank).expect("searched rank");
    let recon_tensor::Fitted::Cp(model) = &r.models[i] else { anyhow::bail!("a CP search gives CP models") };
    let full = model.full();

    // Relative error per patient status at the recommended rank.
    let axes: serde_json::Value = serde_json::from_slice(COVID_AXES)?;
    let labels: Vec<String> = axes["axes"][0]["labels"]
        .as_array()
        .filter(|a| a.len() == d.shape[0])
        .map(|a| a.iter().map(|v| v.as_str().unwrap_or("?").to_string()).collect())
        .ok_or_else(|| anyhow::anyhow!("COVID19_data.axes.json: no sample labels for axis 0"))?;
    let mut groups: Vec<(String, f64, f64, usize)> = Vec::new();
    let mut flat = 0;
    for_each_index(&d.shape, |idx| {
        let (x, xh) = (d.data[flat], full[flat]);
        flat += 1;
        let g = &labels[idx[0]];
        let pos = groups.iter().position(|(name, ..)| name == g).unwrap_or_else(|| {
            groups.push((g.clone(), 0.0, 0.0, 0));
            groups.len() - 1
        });
        groups[pos].1 += (x - xh) * (x - xh);
        groups[pos].2 += x * x;
        if idx[1] == 0 && idx[2] == 0 {
            groups[pos].3 += 1;
        }
    });

    let mut s = Section::new("Choosing model size on real data: COVID-19 systems serology (CP)");
    s.text(format!(
        "{} patient samples × {} antigens × {} antibody receptors/isotypes (Tan et al. 2021; Zohar et al. 2020; via TensorLy). \
         Real data have no planted answer; the three rulers say: {}.",
        d.shape[0], d.shape[1], d.shape[2], r.reason
    ));
    let rows = (0..r.ranks.len())
        .map(|k| {
            vec![
                r.ranks[k].to_string(),
                format!("{:.4}", r.relative_error[k]),
                format!("{:.0}%", 100.0 * (1.0 - r.relative_error[k] * r.relative_error[k])),
                cc_text(r.corcondia[k]),
                format!("{:.2}", r.split_half_fms[k]),
            ]
        })
        .collect();
    s.blocks.push(Block::Table {
        header: vec![
            "rank".into(),
            "relative error".into(),
            "R²X".into(),
            "core consistency".into(),
            "split-half FMS".into(),
        ],
        rows,
    });
    s.text(format!(
        "Relative squared error per patient status at rank {}: the same ruler, read per group.",
        r.recommended_rank
    ));
    s.blocks.push(Block::Table {
        header: vec!["status".into(), "samples".into(), "relative squared error".into()],
        rows: groups.iter().map(|(g, e, n, c)| vec![g.clone(), c.to_string(), format!("{:.3}", e / n)]).collect(),
    });
    let summary = vec![format!(
        "COVID-19 serology {:?}: recommended rank {} (R²X {:.0}%), elbow {}",
        d.shape,
        r.recommended_rank,
        100.0 * (1.0 - r.relative_error[i] * r.relative_error[i]),
        r.elbow
    )];
    Ok(Chapter { section: s, summary })
}
