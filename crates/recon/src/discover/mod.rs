//! `recon discover`: a VAE over material compositions that learns their "grammar" through
//! reconstruction, then generates candidates scored for validity (the SMACT screen), novelty and
//! uniqueness, optionally steered to a target property.
//!
//! **Input rules.** A CSV table. Element fractions come from `frac_<Element>` columns when the
//! table has any (an unknown symbol in a column name is an error; each row must sum to 1 within
//! 0.001 — it is then normalised exactly —, otherwise the row is refused), else from the formula
//! column (default `composition`; `Cu3SbSe4`, `Ag(BCl)6`, `Hg0.7Cd0.3Te`). The property column,
//! when named, must hold a number in every row.
//!
//! **Formulas.** A decoded composition becomes the simplest formula with at most `max_atoms`
//! atoms per formula unit within [`FORMULA_TOL`] of it ([`Composition::from_fractions`]); compounds are
//! compared by their
//! canonical reduced formula (the *key*). Rates are computed the MOSES way: validity = valid /
//! n; uniqueness = distinct valid keys / valid; novelty = distinct valid keys not in the training
//! data / distinct valid keys.

pub mod molecules;

use std::collections::HashSet;
use std::path::Path;

use faer::Mat;
use rand::{seq::SliceRandom, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use recon_chem::{smact_valid, Composition, ELEMENTS};
use recon_core::model::ModelFile;
use recon_core::{Error, Fit, Result};
use recon_neural::{CompositionVae, CompositionVaeParams, Trainable};
use serde::Serialize;

/// Largest formula unit a decoded composition is rounded to, by default.
pub const DEFAULT_MAX_ATOMS: u32 = 20;

/// A decoded composition becomes the simplest formula within this L1 distance of its fractions
/// ([`Composition::from_fractions`]). Chosen on the held-out tenth of the experimental band-gap
/// table (seed 0, a latent-32 β-0.001 model): exact-formula reconstruction 12% with the nearest formula (0), 19% at 0.05,
/// 32% at 0.1, 34% at 0.15; 0.1 is about one atom of a 20-atom formula misplaced.
pub const FORMULA_TOL: f64 = 0.1;

/// A table of compositions.
#[derive(Debug, Clone)]
pub struct CompositionData {
    /// Element indices (into [`ELEMENTS`]) of the columns, by atomic number.
    pub elements: Vec<usize>,
    /// Fractions, one row per compound (rows sum to 1).
    pub x: Mat<f64>,
    /// The formula as given (or made from the fractions).
    pub formulas: Vec<String>,
    /// Canonical reduced formulas.
    pub keys: Vec<String>,
    /// The property, when a column was named.
    pub property: Option<Vec<f64>>,
}

impl CompositionData {
    /// `frac_<Element>` column names.
    pub fn columns(&self) -> Vec<String> {
        self.elements.iter().map(|&e| format!("frac_{}", ELEMENTS[e].symbol)).collect()
    }
}

/// The key of a composition: its reduced formula when its counts are whole numbers, otherwise
/// that of the nearest formula of at most `max_atoms` atoms.
pub fn key_of(c: &Composition, max_atoms: u32) -> Result<String> {
    match c.reduced_formula() {
        Some(k) => Ok(k),
        None => Composition::from_fractions(&c.fractions(), max_atoms, 0.0)?
            .reduced_formula()
            .ok_or_else(|| Error::invalid("formula", "no whole-number formula")),
    }
}

/// One row of fractions over `elements` per composition.
fn fraction_rows(comps: &[Composition], elements: &[usize]) -> Mat<f64> {
    let rows: Vec<Vec<f64>> = comps.iter().map(|c| c.fraction_vector(elements)).collect();
    Mat::from_fn(rows.len(), elements.len(), |i, j| rows[i][j])
}

/// Reads a composition table (see the module documentation for the rules).
pub fn read_compositions(
    path: &Path,
    formula_col: &str,
    property_col: Option<&str>,
    max_atoms: u32,
) -> Result<CompositionData> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|err| Error::Io { path: path.to_path_buf(), err })?;
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(std::io::BufReader::new(file));
    let bad = |why: String| Error::invalid_data(&name, why);
    let header: Vec<String> =
        rdr.headers().map_err(|e| bad(format!("unreadable header: {e}")))?.iter().map(str::to_string).collect();
    let frac: Vec<(usize, usize)> = header
        .iter()
        .enumerate()
        .filter_map(|(j, h)| h.strip_prefix("frac_").map(|s| (j, s)))
        .map(|(j, s)| {
            ELEMENTS
                .iter()
                .position(|e| e.symbol == s)
                .map(|e| (j, e))
                .ok_or_else(|| bad(format!("column '{}': unknown element symbol '{s}'", header[j])))
        })
        .collect::<Result<_>>()?;
    let f_col = header.iter().position(|h| h == formula_col);
    if frac.is_empty() && f_col.is_none() {
        return Err(bad(format!(
            "no frac_<Element> columns and no formula column '{formula_col}' (name it with --formula-col)"
        )));
    }
    let p_col = property_col
        .map(|p| {
            header
                .iter()
                .position(|h| h == p)
                .ok_or_else(|| bad(format!("no property column '{p}' (columns: {})", header.join(", "))))
        })
        .transpose()?;
    let mut comps: Vec<Composition> = Vec::new();
    let mut formulas = Vec::new();
    let mut property = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 2;
        let rec = rec.map_err(|e| bad(format!("line {row}: {e}")))?;
        let comp = if frac.is_empty() {
            let f = &rec[f_col.unwrap_or(0)];
            Composition::parse(f).map_err(|e| bad(format!("line {row}: {e}")))?
        } else {
            let mut amounts = Vec::new();
            for &(j, e) in &frac {
                let v: f64 = rec[j]
                    .trim()
                    .parse()
                    .map_err(|_| bad(format!("line {row}, column '{}': '{}' is not a number", header[j], &rec[j])))?;
                if !(v >= 0.0 && v.is_finite()) {
                    return Err(bad(format!("line {row}, column '{}': {v} is not a fraction ≥ 0", header[j])));
                }
                if v > 0.0 {
                    amounts.push((e, v));
                }
            }
            let s: f64 = amounts.iter().map(|a| a.1).sum();
            if (s - 1.0).abs() > 1e-3 {
                return Err(bad(format!(
                    "line {row}: the element fractions sum to {s}, not 1 (rule: within 0.001, then normalised; fix or drop the row)"
                )));
            }
            Composition::from_amounts(amounts.into_iter().map(|(e, v)| (e, v / s)))?
        };
        let shown = match f_col {
            Some(j) => rec[j].to_string(),
            None => key_of(&comp, max_atoms)?,
        };
        if let Some(j) = p_col {
            let v: f64 = rec[j].trim().parse().map_err(|_| {
                bad(format!("line {row}, property column '{}': '{}' is not a number", header[j], &rec[j]))
            })?;
            if !v.is_finite() {
                return Err(bad(format!("line {row}, property column '{}': {v} is not finite", header[j])));
            }
            property.push(v);
        }
        formulas.push(shown);
        comps.push(comp);
    }
    if comps.len() < 20 {
        return Err(bad(format!("{} compounds: at least 20 are needed", comps.len())));
    }
    let mut elements: Vec<usize> = if frac.is_empty() {
        comps.iter().flat_map(|c| c.amounts.iter().map(|a| a.0)).collect::<HashSet<_>>().into_iter().collect()
    } else {
        frac.iter().map(|f| f.1).collect()
    };
    elements.sort_unstable();
    elements.dedup();
    let x = fraction_rows(&comps, &elements);
    let keys = comps.iter().map(|c| key_of(c, max_atoms)).collect::<Result<Vec<_>>>()?;
    Ok(CompositionData { elements, x, formulas, keys, property: p_col.map(|_| property) })
}

/// What to fit.
#[derive(Debug, Clone)]
pub struct FitRequest<'a> {
    pub data: &'a Path,
    pub formula_col: &'a str,
    pub property_col: Option<&'a str>,
    pub latent: usize,
    /// Final KL weight.
    pub beta: f64,
    pub epochs: usize,
    pub max_atoms: u32,
    pub seed: u64,
}

impl<'a> FitRequest<'a> {
    /// The defaults (those of [`CompositionVaeParams::default`], the `composition` formula
    /// column, [`DEFAULT_MAX_ATOMS`]) for `data`, an optional property column and a seed.
    pub fn new(data: &'a Path, property_col: Option<&'a str>, seed: u64) -> Self {
        let d = CompositionVaeParams::default();
        FitRequest {
            data,
            formula_col: "composition",
            property_col,
            latent: d.latent,
            beta: d.beta,
            epochs: d.train.epochs,
            max_atoms: DEFAULT_MAX_ATOMS,
            seed,
        }
    }
}

/// What `recon discover fit` reports.
#[derive(Debug, Clone, Serialize)]
pub struct FitReport {
    pub kind: &'static str,
    pub data: String,
    pub compounds: usize,
    pub elements: usize,
    pub train_compounds: usize,
    /// Compounds held out (a tenth, by the seed) for the reconstruction numbers.
    pub test_compounds: usize,
    pub latent: usize,
    pub beta: f64,
    pub epochs: usize,
    pub converged: bool,
    pub max_atoms: u32,
    /// Held-out compounds whose formula is rebuilt exactly (decoded from the latent mean and
    /// rounded to a formula of at most `max_atoms` atoms).
    pub reconstruction_accuracy: f64,
    /// Held-out mean cross-entropy `−Σ f log p`, and the entropy `−Σ f log f` it cannot go below.
    pub held_out_cross_entropy: f64,
    pub held_out_entropy: f64,
    pub property: Option<String>,
    /// Held-out RMSE of the property head (at the latent mean) and of predicting the training mean.
    pub property_rmse: Option<f64>,
    pub property_rmse_mean_baseline: Option<f64>,
    pub seed: u64,
    /// When the epoch budget, not convergence, ended training: what happened and the fix.
    pub limit_warning: Option<String>,
}

impl FitReport {
    /// A few lines; `out` is the folder written.
    pub fn text(&self, out: &Path) -> String {
        format!(
            "{} compounds over {} elements ({} held out); {} epochs{}\nheld-out exact-formula reconstruction: {:.3} (≤ {} atoms)\nheld-out cross-entropy {:.4} (entropy floor {:.4}){}\nwrote {}\n",
            self.compounds,
            self.elements,
            self.test_compounds,
            self.epochs,
            if self.converged { ", converged" } else { ", ran to the limit" },
            self.reconstruction_accuracy,
            self.max_atoms,
            self.held_out_cross_entropy,
            self.held_out_entropy,
            match (self.property_rmse, self.property_rmse_mean_baseline) {
                (Some(r), Some(b)) => format!("\nproperty RMSE {r:.3} (predicting the mean: {b:.3})"),
                _ => String::new(),
            },
            out.display()
        )
    }
}

struct Known {
    formula: String,
    key: String,
    property: Option<f64>,
    fractions: Vec<f64>,
}

/// Fits a composition VAE and writes `out` (the model, `known.csv` with the training compounds,
/// `discover.json`) as one folder.
pub fn fit(req: &FitRequest, out: &Path, progress: &mut dyn FnMut(&str)) -> Result<FitReport> {
    let dir = recon_core::data::OutDir::create(out)?;
    let data = read_compositions(req.data, req.formula_col, req.property_col, req.max_atoms)?;
    let n = data.x.nrows();
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(req.seed));
    let n_test = (n / 10).max(1);
    let (test, train) = order.split_at(n_test);
    let rows = |idx: &[usize]| Mat::from_fn(idx.len(), data.x.ncols(), |i, j| data.x[(idx[i], j)]);
    let (xtr, xte) = (rows(train), rows(test));
    let ytr: Option<Vec<f64>> = data.property.as_ref().map(|p| train.iter().map(|&i| p[i]).collect());
    let params = CompositionVaeParams { latent: req.latent, beta: req.beta, ..Default::default() }
        .epochs(req.epochs)
        .seed(req.seed);
    let model = params.fit(xtr.as_ref(), ytr.as_deref(), &mut |e, t, v| {
        progress(&format!("epoch {e}/{}: loss {t:.4}, held-out {v:.4}", req.epochs));
    })?;
    let zte = model.encode(xte.as_ref())?;
    let back = model.decode(zte.as_ref())?;
    let mut exact = 0usize;
    for (i, &r) in test.iter().enumerate() {
        let fr: Vec<(usize, f64)> = (0..back.ncols()).map(|j| (data.elements[j], back[(i, j)])).collect();
        if key_of(&Composition::from_fractions(&fr, req.max_atoms, FORMULA_TOL)?, req.max_atoms)? == data.keys[r] {
            exact += 1;
        }
    }
    let ce = model.row_cross_entropy(xte.as_ref())?.iter().sum::<f64>() / n_test as f64;
    let entropy = (0..n_test)
        .map(|i| (0..xte.ncols()).filter(|&j| xte[(i, j)] > 0.0).map(|j| -xte[(i, j)] * xte[(i, j)].ln()).sum::<f64>())
        .sum::<f64>()
        / n_test as f64;
    let (rmse, base) = match (&data.property, model.predict(zte.as_ref())?) {
        (Some(p), Some(pred)) => {
            let mean = ytr.as_ref().map_or(0.0, |y| y.iter().sum::<f64>() / y.len() as f64);
            let r = |f: &dyn Fn(usize, usize) -> f64| {
                (test.iter().enumerate().map(|(i, &t)| (f(i, t) - p[t]).powi(2)).sum::<f64>() / n_test as f64).sqrt()
            };
            (Some(r(&|i, _| pred[i])), Some(r(&|_, _| mean)))
        }
        _ => (None, None),
    };
    let report = FitReport {
        kind: "composition",
        data: req.data.display().to_string(),
        compounds: n,
        elements: data.elements.len(),
        train_compounds: train.len(),
        test_compounds: n_test,
        latent: req.latent,
        beta: req.beta,
        epochs: model.epochs,
        converged: model.log.converged,
        max_atoms: req.max_atoms,
        reconstruction_accuracy: exact as f64 / n_test as f64,
        held_out_cross_entropy: ce,
        held_out_entropy: entropy,
        property: req.property_col.map(str::to_string),
        property_rmse: rmse,
        property_rmse_mean_baseline: base,
        seed: req.seed,
        limit_warning: model.log.limit_warning(),
    };
    model.save(dir.path(), &data.columns())?;
    let known: Vec<Vec<String>> = train
        .iter()
        .map(|&i| {
            vec![
                data.formulas[i].clone(),
                data.keys[i].clone(),
                data.property.as_ref().map_or(String::new(), |p| format!("{}", p[i])),
            ]
        })
        .collect();
    recon_core::data::write_csv_records(&dir.join("known.csv"), &["formula", "key", "property"], known)?;
    recon_core::data::write_json(&dir.join("discover.json"), &report)?;
    dir.commit()?;
    Ok(report)
}

/// A model folder written by [`fit`], opened.
pub struct Discoverer {
    model: CompositionVae,
    elements: Vec<usize>,
    known: Vec<Known>,
    keys: HashSet<String>,
    max_atoms: u32,
}

impl Discoverer {
    /// Opens `dir`.
    pub fn open(dir: &Path) -> Result<Discoverer> {
        let (model, columns) = CompositionVae::from_file(&mut ModelFile::open(dir)?)?;
        let elements = columns
            .iter()
            .map(|c| {
                c.strip_prefix("frac_").and_then(|s| ELEMENTS.iter().position(|e| e.symbol == s)).ok_or_else(|| {
                    Error::invalid_data(dir.display().to_string(), format!("model column '{c}' is not frac_<Element>"))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let meta_path = dir.join("discover.json");
        let meta: serde_json::Value = serde_json::from_slice(
            &std::fs::read(&meta_path).map_err(|err| Error::Io { path: meta_path.clone(), err })?,
        )?;
        let max_atoms = meta["max_atoms"].as_u64().unwrap_or(u64::from(DEFAULT_MAX_ATOMS)) as u32;
        let path = dir.join("known.csv");
        let mut rdr = csv::Reader::from_path(&path)
            .map_err(|e| Error::invalid_data(path.display().to_string(), e.to_string()))?;
        let mut known = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| Error::invalid_data(path.display().to_string(), e.to_string()))?;
            let comp = Composition::parse(rec.get(0).unwrap_or(""))?;
            let fractions = comp.fraction_vector(&elements);
            known.push(Known {
                formula: rec.get(0).unwrap_or("").to_string(),
                key: rec.get(1).unwrap_or("").to_string(),
                property: rec.get(2).unwrap_or("").parse().ok(),
                fractions,
            });
        }
        let keys = known.iter().map(|k| k.key.clone()).collect();
        Ok(Discoverer { model, elements, known, keys, max_atoms })
    }

    /// Decoded codes to formulas.
    fn formulas(&self, z: &Mat<f64>) -> Result<Vec<Composition>> {
        let p = self.model.decode(z.as_ref())?;
        (0..p.nrows())
            .map(|i| {
                let fr: Vec<(usize, f64)> = (0..p.ncols()).map(|j| (self.elements[j], p[(i, j)])).collect();
                Composition::from_fractions(&fr, self.max_atoms, FORMULA_TOL)
            })
            .collect()
    }

    /// The property the model predicts for formulas (re-encoded: what the formula itself
    /// scores, not the code it came from).
    fn predict_formulas(&self, comps: &[Composition]) -> Result<Option<Vec<f64>>> {
        let z = self.model.encode(fraction_rows(comps, &self.elements).as_ref())?;
        self.model.predict(z.as_ref())
    }

    /// `n` codes from the prior N(0, I).
    fn prior(&self, n: usize, rng: &mut rand::rngs::StdRng) -> Mat<f64> {
        Mat::from_fn(n, self.model.latent, |_, _| StandardNormal.sample(rng))
    }

    /// Codes moved from prior draws toward predicted property `target`: 100 steps of gradient
    /// descent on `(ŷ(z) − target)²/s² + 0.05·‖z‖²` (s the property's standard deviation; the
    /// second term keeps codes where the prior has mass), central differences for the gradient.
    fn steer(&self, z0: Mat<f64>, target: f64) -> Result<Mat<f64>> {
        let s = self.model.property_scale.map_or(1.0, |p| p[1]);
        let (n, k) = (z0.nrows(), z0.ncols());
        let mut z = z0;
        let objective = |z: &Mat<f64>| -> Result<Vec<f64>> {
            let y = self.model.predict(z.as_ref())?.ok_or_else(|| {
                Error::invalid("target", "this model has no property head: fit it with --property-col")
            })?;
            Ok((0..z.nrows())
                .map(|i| ((y[i] - target) / s).powi(2) + 0.05 * (0..z.ncols()).map(|j| z[(i, j)].powi(2)).sum::<f64>())
                .collect())
        };
        let h = 1e-2;
        for _ in 0..100 {
            let mut grad = Mat::zeros(n, k);
            for j in 0..k {
                let mut up = z.clone();
                let mut down = z.clone();
                for i in 0..n {
                    up[(i, j)] += h;
                    down[(i, j)] -= h;
                }
                let (fu, fd) = (objective(&up)?, objective(&down)?);
                for i in 0..n {
                    grad[(i, j)] = (fu[i] - fd[i]) / (2.0 * h);
                }
            }
            z = &z - grad * faer::Scale(0.05);
        }
        Ok(z)
    }

    /// Local search in formula space toward predicted property `target`: up to 10 rounds in
    /// which every formula moves to the neighbour — one atom more or one atom fewer of an element
    /// it has (within the model's elements and `max_atoms`) — whose own predicted property is
    /// nearest the target, when that is nearer than where it stands; a formula that passes the
    /// SMACT screen only moves to neighbours that pass it too.
    fn refine(&self, mut comps: Vec<Composition>, target: f64) -> Result<Vec<Composition>> {
        let gap = |p: f64| (p - target).abs();
        let mut here = self.predict_formulas(&comps)?.unwrap_or_default();
        for _ in 0..10 {
            let mut moves: Vec<(usize, Composition)> = Vec::new();
            for (i, c) in comps.iter().enumerate() {
                let Some(counts) = c.reduced_counts() else { continue };
                let total: u64 = counts.iter().map(|x| x.1).sum();
                let keep_valid = smact_valid(c)?;
                for k in 0..counts.len() {
                    for delta in [1i64, -1] {
                        let v = counts[k].1 as i64 + delta;
                        if (delta > 0 && total + 1 > u64::from(self.max_atoms)) || (v == 0 && counts.len() == 1) {
                            continue;
                        }
                        let next: Vec<(usize, f64)> = counts
                            .iter()
                            .enumerate()
                            .filter_map(|(j, &(e, x))| {
                                let x = if j == k { v } else { x as i64 };
                                (x > 0).then_some((e, x as f64))
                            })
                            .collect();
                        let cand = Composition::from_amounts(next)?;
                        if !keep_valid || smact_valid(&cand)? {
                            moves.push((i, cand));
                        }
                    }
                }
            }
            if moves.is_empty() {
                break;
            }
            let cands: Vec<Composition> = moves.iter().map(|m| m.1.clone()).collect();
            let pred = self.predict_formulas(&cands)?.unwrap_or_default();
            let mut best: Vec<Option<(f64, usize)>> = vec![None; comps.len()];
            for (m, (i, _)) in moves.iter().enumerate() {
                if gap(pred[m]) < best[*i].map_or(gap(here[*i]), |b| b.0) {
                    best[*i] = Some((gap(pred[m]), m));
                }
            }
            if best.iter().all(Option::is_none) {
                break;
            }
            for (i, b) in best.into_iter().enumerate() {
                if let Some((_, m)) = b {
                    comps[i] = moves[m].1.clone();
                    here[i] = pred[m];
                }
            }
        }
        Ok(comps)
    }

    /// The training compounds' latent means projected on their two principal axes, coloured by
    /// the property (SVG); `None` without a property.
    pub fn latent_plot(&self) -> Result<Option<String>> {
        if self.known.iter().any(|k| k.property.is_none()) || self.known.len() < 3 {
            return Ok(None);
        }
        let x = Mat::from_fn(self.known.len(), self.elements.len(), |i, j| self.known[i].fractions[j]);
        let z = self.model.encode(x.as_ref())?;
        let pca = recon_linear::PcaParams::new()
            .n_components(2.min(z.ncols()))
            .fit(&recon_core::Dataset::from_mat(z.clone()))?;
        let t = pca.transform(z.as_ref())?;
        let col = |j: usize| (0..t.nrows()).map(|i| if j < t.ncols() { t[(i, j)] } else { 0.0 }).collect();
        let plot = recon_core::report::ScatterPlot {
            title: format!("{} training compounds in the latent space", self.known.len()),
            x_label: "latent principal axis 1".into(),
            y_label: "latent principal axis 2".into(),
            x: col(0),
            y: col(1),
            value: self.known.iter().map(|k| k.property.unwrap_or(f64::NAN)).collect(),
            value_label: "property".into(),
        };
        Ok(Some(plot.to_svg(640, 480)?))
    }

    /// The rates of `n` random formulas drawn like the training compounds: a training compound
    /// picked at random gives the number of elements and the counts, and the elements are drawn
    /// uniformly (without repeats) from the model's elements. The baseline a generator must beat.
    pub fn random_baseline(&self, n: usize, seed: u64) -> Result<Rates> {
        use rand::Rng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let shapes: Vec<Vec<u64>> = self
            .known
            .iter()
            .filter_map(|k| Composition::parse(&k.formula).ok()?.reduced_counts())
            .map(|c| c.into_iter().map(|x| x.1).collect())
            .collect();
        if shapes.is_empty() {
            return Err(Error::invalid("baseline", "no integer training formula to copy shapes from"));
        }
        let mut comps = Vec::with_capacity(n);
        for _ in 0..n {
            let shape = &shapes[rng.random_range(0..shapes.len())];
            let mut els = self.elements.clone();
            els.shuffle(&mut rng);
            comps.push(Composition::from_amounts(shape.iter().zip(&els).map(|(&c, &e)| (e, c as f64)))?);
        }
        self.rates(&comps)
    }

    /// Validity, uniqueness and novelty of formulas (MOSES definitions).
    pub fn rates(&self, comps: &[Composition]) -> Result<Rates> {
        let mut valid = 0;
        let mut unique = HashSet::new();
        for c in comps {
            if smact_valid(c)? {
                valid += 1;
                unique.insert(key_of(c, self.max_atoms)?);
            }
        }
        Ok(Rates::moses(comps.len(), valid, &unique, &self.keys))
    }

    /// The share of the training compounds with whole-number formulas that pass the SMACT screen.
    pub fn known_validity(&self) -> Result<f64> {
        let comps: Vec<Composition> = self
            .known
            .iter()
            .filter_map(|k| Composition::parse(&k.formula).ok())
            .filter(Composition::is_integer)
            .collect();
        Ok(self.rates(&comps)?.validity)
    }

    /// Samples `n` candidates (prior draws, or steered to `target` when given).
    pub fn sample(&self, n: usize, target: Option<f64>, window: f64, seed: u64) -> Result<SampleReport> {
        if n == 0 {
            return Err(Error::invalid("n", "at least one sample"));
        }
        if !(window > 0.0 && window.is_finite()) {
            return Err(Error::invalid("window", format!("{window} is not a positive half-width")));
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let z0 = self.prior(n, &mut rng);
        let prior_comps = self.formulas(&z0)?;
        let (comps, prior_in_window) = match target {
            Some(t) => {
                if !t.is_finite() {
                    return Err(Error::invalid("target", "not a number"));
                }
                // Steer the codes, round to formulas, then improve each formula by local search:
                // what counts is the formula's own prediction, and rounding moves a composition.
                let steered = self.formulas(&self.steer(z0, t)?)?;
                let steered = self.refine(steered, t)?;
                let rate = |c: &[Composition]| -> Result<f64> {
                    let p = self.predict_formulas(c)?.unwrap_or_default();
                    Ok(p.iter().filter(|v| (*v - t).abs() <= window).count() as f64 / c.len() as f64)
                };
                let prior_rate = rate(&prior_comps)?;
                (steered, Some(prior_rate))
            }
            None => (prior_comps, None),
        };
        let pred = self.predict_formulas(&comps)?;
        let mut candidates = Vec::with_capacity(n);
        for (i, c) in comps.iter().enumerate() {
            let key = key_of(c, self.max_atoms)?;
            let valid = smact_valid(c)?;
            let fr = c.fraction_vector(&self.elements);
            let nearest = self
                .known
                .iter()
                .map(|k| (k, k.fractions.iter().zip(&fr).map(|(a, b)| (a - b).abs()).sum::<f64>()))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(k, d)| Neighbour { formula: k.formula.clone(), property: k.property, distance: d });
            candidates.push(Candidate {
                formula: key.clone(),
                valid,
                novel: !self.keys.contains(&key),
                predicted_property: pred.as_ref().map(|p| p[i]),
                nearest,
            });
        }
        let n_valid = candidates.iter().filter(|c| c.valid).count();
        let unique: HashSet<String> = candidates.iter().filter(|c| c.valid).map(|c| c.formula.clone()).collect();
        let rates = Rates::moses(n, n_valid, &unique, &self.keys);
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let in_window = target.map(|t| {
            ratio(
                candidates.iter().filter(|c| c.predicted_property.is_some_and(|p| (p - t).abs() <= window)).count(),
                n,
            )
        });
        if let Some(t) = target {
            // Valid, novel and closest to the target first.
            candidates.sort_by(|a, b| {
                let rank = |c: &Candidate| {
                    (!(c.valid && c.novel), c.predicted_property.map_or(f64::INFINITY, |p| (p - t).abs()))
                };
                let (ra, rb) = (rank(a), rank(b));
                ra.0.cmp(&rb.0).then(ra.1.total_cmp(&rb.1))
            });
        }
        Ok(SampleReport {
            n,
            validity: rates.validity,
            uniqueness: rates.uniqueness,
            novelty: rates.novelty,
            target,
            window: target.map(|_| window),
            in_window,
            prior_in_window,
            known_compounds: self.known.len(),
            candidates,
        })
    }
}

/// Validity, uniqueness, novelty.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rates {
    pub validity: f64,
    pub uniqueness: f64,
    pub novelty: f64,
}

impl Rates {
    /// The MOSES definitions: of `n` samples `valid` are valid, with the distinct keys `unique`
    /// (compounds or molecules, compared by key); validity = valid / n, uniqueness = distinct /
    /// valid, novelty = distinct keys not in `known` / distinct. An empty denominator gives 0.
    pub fn moses<K: std::hash::Hash + Eq>(n: usize, valid: usize, unique: &HashSet<K>, known: &HashSet<K>) -> Rates {
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let novel = unique.iter().filter(|k| !known.contains(*k)).count();
        Rates { validity: ratio(valid, n), uniqueness: ratio(unique.len(), valid), novelty: ratio(novel, unique.len()) }
    }
}

/// The nearest training compound (L1 distance between fraction vectors).
#[derive(Debug, Clone, Serialize)]
pub struct Neighbour {
    pub formula: String,
    pub property: Option<f64>,
    pub distance: f64,
}

/// One generated compound.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    /// Reduced formula.
    pub formula: String,
    /// Passes the SMACT screen.
    pub valid: bool,
    /// Not among the training compounds.
    pub novel: bool,
    /// The property predicted for the formula (with a property head).
    pub predicted_property: Option<f64>,
    pub nearest: Option<Neighbour>,
}

/// What `recon discover sample` reports.
#[derive(Debug, Clone, Serialize)]
pub struct SampleReport {
    pub n: usize,
    pub validity: f64,
    pub uniqueness: f64,
    pub novelty: f64,
    pub target: Option<f64>,
    /// Half-width of the target window.
    pub window: Option<f64>,
    /// Share of the candidates whose predicted property is within the window.
    pub in_window: Option<f64>,
    /// The same share for as many draws from the prior (the baseline the search must beat).
    pub prior_in_window: Option<f64>,
    pub known_compounds: usize,
    pub candidates: Vec<Candidate>,
}

impl SampleReport {
    /// A table of the first `rows` candidates and the rates.
    pub fn text(&self, rows: usize) -> String {
        let mut s = format!(
            "{} samples: validity {:.3}, uniqueness {:.3}, novelty {:.3} (against {} training compounds)\n",
            self.n, self.validity, self.uniqueness, self.novelty, self.known_compounds
        );
        if let (Some(t), Some(w), Some(a), Some(b)) = (self.target, self.window, self.in_window, self.prior_in_window) {
            s += &format!(
                "target {t} ± {w}: {:.1}% of the candidates in the window, {:.1}% of prior samples\n",
                100.0 * a,
                100.0 * b
            );
        }
        s += &format!(
            "{:<18} {:>6} {:>6} {:>10}  nearest known (property, L1 distance)\n",
            "formula", "valid", "novel", "predicted"
        );
        for c in self.candidates.iter().take(rows) {
            s += &format!(
                "{:<18} {:>6} {:>6} {:>10}  {}\n",
                c.formula,
                if c.valid { "yes" } else { "no" },
                if c.novel { "yes" } else { "no" },
                c.predicted_property.map_or("-".into(), |p| format!("{p:.3}")),
                c.nearest.as_ref().map_or(String::new(), |n| format!(
                    "{} ({}, {:.3})",
                    n.formula,
                    n.property.map_or("-".into(), |p| format!("{p}")),
                    n.distance
                )),
            );
        }
        s
    }
}

/// The kind of model a `recon discover fit` folder holds: `composition` or `smiles` (from its
/// `discover.json`).
pub fn model_kind(dir: &Path) -> Result<String> {
    let path = dir.join("discover.json");
    let bytes = std::fs::read(&path).map_err(|_| {
        Error::invalid_data(
            dir.display().to_string(),
            "not a model folder written by `recon discover fit` (no discover.json)",
        )
    })?;
    let meta: serde_json::Value = serde_json::from_slice(&bytes)?;
    match meta["kind"].as_str() {
        Some(k @ ("composition" | "smiles")) => Ok(k.to_string()),
        _ => Err(Error::invalid_data(path.display().to_string(), "no \"kind\" of composition or smiles")),
    }
}
