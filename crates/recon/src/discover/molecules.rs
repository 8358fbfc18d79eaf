//! `recon discover --kind smiles`: a GRU VAE over SMILES strings ([`SequenceVae`]) that learns
//! their grammar through reconstruction, and samples scored the MOSES way.
//!
//! **Input rules.** A CSV table with a SMILES column (default `smiles`). Every string must
//! tokenize ([`recon_chem::smiles::tokenize`]: organic-subset atoms, bracket atoms, bonds,
//! branches, ring closures) and pass the validity check RDKit applies
//! ([`recon_chem::smiles::check`]); a row that does not is refused with its line and the reason.
//! The vocabulary is the set of tokens of the table.
//!
//! **Rates** (Polykovskiy et al. 2020, MOSES): validity = valid / n; uniqueness = distinct valid
//! molecules / valid; novelty = distinct valid molecules not in the training set / distinct valid
//! molecules. Molecules are compared by [`molecule_key`] (a graph hash; RDKit's canonical SMILES
//! in MOSES). **Reconstruction accuracy**: the share of held-out molecules that come back as the
//! same molecule when their latent mean is decoded greedily.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use rand::{seq::IndexedRandom, seq::SliceRandom, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use recon_chem::smiles::{check, molecule_key, tokenize};
use recon_core::model::ModelFile;
use recon_core::{Error, Result};
use recon_neural::{SequenceVae, SequenceVaeParams, Trainable};
use serde::Serialize;

/// A table of molecules, tokenized.
#[derive(Debug, Clone)]
pub struct MoleculeData {
    pub smiles: Vec<String>,
    pub tokens: Vec<Vec<String>>,
}

/// Reads the SMILES column `col` of the CSV table at `path` (see the module documentation for
/// the rules).
pub fn read_smiles(path: &Path, col: &str) -> Result<MoleculeData> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|err| Error::Io { path: path.to_path_buf(), err })?;
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(std::io::BufReader::new(file));
    let bad = |why: String| Error::invalid_data(&name, why);
    let header: Vec<String> =
        rdr.headers().map_err(|e| bad(format!("unreadable header: {e}")))?.iter().map(str::to_string).collect();
    let j = header.iter().position(|h| h == col).ok_or_else(|| {
        bad(format!("no SMILES column '{col}' (name it with --smiles-col; columns: {})", header.join(", ")))
    })?;
    let (mut smiles, mut tokens) = (Vec::new(), Vec::new());
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 2;
        let rec = rec.map_err(|e| bad(format!("line {row}: {e}")))?;
        let s = rec[j].trim();
        let t = tokenize(s).map_err(|e| bad(format!("line {row}: '{s}': {e}")))?;
        if t.is_empty() {
            return Err(bad(format!("line {row}: an empty SMILES string")));
        }
        check(s).map_err(|e| bad(format!("line {row}: '{s}' is not a valid molecule: {e}")))?;
        smiles.push(s.to_string());
        tokens.push(t);
    }
    if smiles.len() < 20 {
        return Err(bad(format!("{} molecules: at least 20 are needed", smiles.len())));
    }
    Ok(MoleculeData { smiles, tokens })
}

/// What to fit.
#[derive(Debug, Clone)]
pub struct MoleculeFitRequest<'a> {
    pub data: &'a Path,
    pub smiles_col: &'a str,
    pub latent: usize,
    pub hidden: usize,
    /// Final KL weight.
    pub beta: f64,
    pub epochs: usize,
    pub seed: u64,
}

impl<'a> MoleculeFitRequest<'a> {
    /// The defaults (those of [`SequenceVaeParams::default`], the `smiles` column).
    pub fn new(data: &'a Path, seed: u64) -> Self {
        let d = SequenceVaeParams::default();
        MoleculeFitRequest {
            data,
            smiles_col: "smiles",
            latent: d.latent,
            hidden: d.hidden,
            beta: d.beta,
            epochs: d.train.epochs,
            seed,
        }
    }
}

/// What `recon discover fit --kind smiles` reports.
#[derive(Debug, Clone, Serialize)]
pub struct MoleculeFitReport {
    pub kind: &'static str,
    pub data: String,
    pub molecules: usize,
    pub vocabulary: usize,
    pub max_tokens: usize,
    pub train_molecules: usize,
    /// Molecules held out (a tenth, by the seed) for the reconstruction numbers.
    pub test_molecules: usize,
    pub latent: usize,
    pub hidden: usize,
    pub beta: f64,
    pub epochs: usize,
    pub converged: bool,
    pub seconds: f64,
    /// Held-out molecules decoded (greedily, from the latent mean) into the same molecule.
    pub reconstruction_accuracy: f64,
    /// … into the same string.
    pub reconstruction_exact_string: f64,
    /// Held-out mean next-token cross-entropy per molecule (nats), decoding from the latent mean.
    pub held_out_cross_entropy: f64,
    pub seed: u64,
    /// When the epoch budget, not convergence, ended training: what happened and the fix.
    pub limit_warning: Option<String>,
}

impl MoleculeFitReport {
    /// A few lines; `out` is the folder written.
    pub fn text(&self, out: &Path) -> String {
        format!(
            "{} molecules, {} tokens, at most {} tokens long ({} held out); {} epochs in {:.0} s{}\nheld-out reconstruction: {:.3} same molecule, {:.3} same string (greedy decoding of the latent mean)\nheld-out cross-entropy {:.3} nats per molecule\nwrote {}\n",
            self.molecules,
            self.vocabulary,
            self.max_tokens,
            self.test_molecules,
            self.epochs,
            self.seconds,
            if self.converged { ", converged" } else { ", ran to the limit" },
            self.reconstruction_accuracy,
            self.reconstruction_exact_string,
            self.held_out_cross_entropy,
            out.display()
        )
    }
}

/// Token indices of `tokens` in `vocab`; an error names a token the vocabulary lacks.
fn indices(tokens: &[String], vocab: &HashMap<&str, usize>, smiles: &str) -> Result<Vec<usize>> {
    tokens
        .iter()
        .map(|t| {
            vocab.get(t.as_str()).copied().ok_or_else(|| {
                let mut known: Vec<&&str> = vocab.keys().collect();
                known.sort();
                Error::invalid(
                    "smiles",
                    format!(
                        "'{smiles}': token '{t}' is not in the model's vocabulary ({})",
                        known.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(" ")
                    ),
                )
            })
        })
        .collect()
}

/// Fits a SMILES VAE and writes `out` (the model, `known.csv` with the training molecules,
/// `discover.json`) as one folder.
pub fn fit(req: &MoleculeFitRequest, out: &Path, progress: &mut dyn FnMut(&str)) -> Result<MoleculeFitReport> {
    let start = std::time::Instant::now();
    let dir = recon_core::data::OutDir::create(out)?;
    let data = read_smiles(req.data, req.smiles_col)?;
    let vocab: Vec<String> = data.tokens.iter().flatten().cloned().collect::<BTreeSet<String>>().into_iter().collect();
    let index: HashMap<&str, usize> = vocab.iter().enumerate().map(|(i, t)| (t.as_str(), i)).collect();
    let seqs: Vec<Vec<usize>> =
        data.tokens.iter().zip(&data.smiles).map(|(t, s)| indices(t, &index, s)).collect::<Result<_>>()?;
    let n = seqs.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(req.seed));
    let n_test = (n / 10).max(1);
    let (test, train) = order.split_at(n_test);
    let params = SequenceVaeParams { latent: req.latent, hidden: req.hidden, beta: req.beta, ..Default::default() }
        .epochs(req.epochs)
        .seed(req.seed);
    let train_seqs: Vec<Vec<usize>> = train.iter().map(|&i| seqs[i].clone()).collect();
    let model = params.fit(&vocab, &train_seqs, &mut |e, t, v| {
        progress(&format!("epoch {e}/{}: loss {t:.3}, held-out {v:.3}", req.epochs));
    })?;
    let test_seqs: Vec<Vec<usize>> = test.iter().map(|&i| seqs[i].clone()).collect();
    let z = model.encode(&test_seqs)?;
    let back = model.decode(z.as_ref(), None, 1.0)?;
    let (mut same_mol, mut same_str) = (0usize, 0usize);
    for (b, &i) in back.iter().zip(test) {
        let s: String = b.iter().map(|&t| vocab[t].as_str()).collect();
        if s == data.smiles[i] {
            same_str += 1;
        }
        if molecule_key(&s).ok() == molecule_key(&data.smiles[i]).ok() {
            same_mol += 1;
        }
    }
    let ce = model.cross_entropy_from(&test_seqs, z.as_ref())?.iter().sum::<f64>() / n_test as f64;
    let report = MoleculeFitReport {
        kind: "smiles",
        data: req.data.display().to_string(),
        molecules: n,
        vocabulary: vocab.len(),
        max_tokens: model.max_len,
        train_molecules: train.len(),
        test_molecules: n_test,
        latent: req.latent,
        hidden: req.hidden,
        beta: req.beta,
        epochs: model.epochs,
        converged: model.log.converged,
        seconds: start.elapsed().as_secs_f64(),
        reconstruction_accuracy: same_mol as f64 / n_test as f64,
        reconstruction_exact_string: same_str as f64 / n_test as f64,
        held_out_cross_entropy: ce,
        seed: req.seed,
        limit_warning: model.log.limit_warning(),
    };
    model.save(dir.path())?;
    recon_core::data::write_csv_records(
        &dir.join("known.csv"),
        &["smiles"],
        train.iter().map(|&i| [data.smiles[i].as_str()]),
    )?;
    recon_core::data::write_json(&dir.join("discover.json"), &report)?;
    dir.commit()?;
    Ok(report)
}

/// A SMILES model folder written by [`fit`], opened.
pub struct MoleculeDiscoverer {
    model: SequenceVae,
    known: HashSet<u64>,
    /// The training molecules, tokenized.
    known_tokens: Vec<Vec<String>>,
}

/// One generated molecule.
#[derive(Debug, Clone, Serialize)]
pub struct MoleculeCandidate {
    pub smiles: String,
    /// Passes the validity check (RDKit's rules).
    pub valid: bool,
    /// A valid molecule not among the training molecules.
    pub novel: bool,
}

/// What `recon discover sample` reports for a SMILES model.
#[derive(Debug, Clone, Serialize)]
pub struct MoleculeSampleReport {
    pub n: usize,
    pub validity: f64,
    pub uniqueness: f64,
    pub novelty: f64,
    /// The molecule sampled around (`--near`), when given.
    pub near: Option<String>,
    pub known_molecules: usize,
    pub seconds: f64,
    pub candidates: Vec<MoleculeCandidate>,
}

impl MoleculeSampleReport {
    /// The rates and the first `rows` valid candidates.
    pub fn text(&self, rows: usize) -> String {
        let mut s = format!(
            "{} samples{}: validity {:.3}, uniqueness {:.3}, novelty {:.3} (against {} training molecules; {:.2} s)\n",
            self.n,
            self.near.as_ref().map_or(String::new(), |m| format!(" around {m}")),
            self.validity,
            self.uniqueness,
            self.novelty,
            self.known_molecules,
            self.seconds
        );
        s += &format!("{:<32} {:>6} {:>6}\n", "smiles", "valid", "novel");
        for c in self.candidates.iter().take(rows) {
            s += &format!(
                "{:<32} {:>6} {:>6}\n",
                c.smiles,
                if c.valid { "yes" } else { "no" },
                if c.novel { "yes" } else { "no" }
            );
        }
        s
    }
}

impl MoleculeDiscoverer {
    /// Opens `dir`.
    pub fn open(dir: &Path) -> Result<MoleculeDiscoverer> {
        let model = SequenceVae::from_file(&mut ModelFile::open(dir)?)?;
        let path = dir.join("known.csv");
        let mut rdr = csv::Reader::from_path(&path)
            .map_err(|e| Error::invalid_data(path.display().to_string(), e.to_string()))?;
        let mut known = HashSet::new();
        let mut known_tokens = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| Error::invalid_data(path.display().to_string(), e.to_string()))?;
            let s = rec.get(0).unwrap_or("");
            let key = molecule_key(s).map_err(|e| {
                Error::invalid_data(path.display().to_string(), format!("'{s}' is not a valid molecule: {e}"))
            })?;
            known.insert(key);
            known_tokens.push(tokenize(s).unwrap_or_default());
        }
        Ok(MoleculeDiscoverer { model, known, known_tokens })
    }

    /// The model.
    pub fn model(&self) -> &SequenceVae {
        &self.model
    }

    /// `n` molecules: decoded (sampling each token, temperature 1) from draws of the prior, or,
    /// with `near`, from codes around that molecule's latent mean (mean + 0.5·N(0, I)).
    pub fn sample(&self, n: usize, near: Option<&str>, seed: u64) -> Result<MoleculeSampleReport> {
        if n == 0 {
            return Err(Error::invalid("n", "at least one sample"));
        }
        let start = std::time::Instant::now();
        let seqs = match near {
            None => self.model.sample(n, seed)?,
            Some(s) => {
                let toks = tokenize(s).map_err(|e| Error::invalid("near", format!("'{s}': {e}")))?;
                let index: HashMap<&str, usize> =
                    self.model.tokens.iter().enumerate().map(|(i, t)| (t.as_str(), i)).collect();
                let seq = indices(&toks, &index, s)?;
                let mu = self.model.encode(&[seq])?;
                let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
                let z = faer::Mat::from_fn(n, self.model.latent, |_, j| {
                    mu[(0, j)] + 0.5 * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, &mut rng)
                });
                self.model.decode(z.as_ref(), Some(&mut rng), 1.0)?
            }
        };
        let strings: Vec<String> =
            seqs.iter().map(|s| s.iter().map(|&t| self.model.tokens[t].as_str()).collect()).collect();
        let mut report = self.rates(&strings);
        report.near = near.map(str::to_string);
        report.seconds = start.elapsed().as_secs_f64();
        Ok(report)
    }

    /// The baseline a model must beat: `n` strings of tokens drawn independently with the
    /// training molecules' token frequencies, each as long as a randomly chosen training molecule.
    pub fn random_baseline(&self, n: usize, seed: u64) -> Result<MoleculeSampleReport> {
        let pool: Vec<&String> = self.known_tokens.iter().flatten().collect();
        if pool.is_empty() || n == 0 {
            return Err(Error::invalid("baseline", "no training tokens or no samples"));
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let strings: Vec<String> = (0..n)
            .map(|_| {
                let len = self.known_tokens.choose(&mut rng).map_or(1, Vec::len);
                (0..len).filter_map(|_| pool.choose(&mut rng).map(|t| t.as_str())).collect()
            })
            .collect();
        Ok(self.rates(&strings))
    }

    /// Validity, uniqueness and novelty of `strings`, each a candidate.
    pub fn rates(&self, strings: &[String]) -> MoleculeSampleReport {
        let mut unique = HashSet::new();
        let mut candidates = Vec::with_capacity(strings.len());
        for s in strings {
            let key = molecule_key(s).ok();
            if let Some(k) = key {
                unique.insert(k);
            }
            candidates.push(MoleculeCandidate {
                smiles: s.clone(),
                valid: key.is_some(),
                novel: key.is_some_and(|k| !self.known.contains(&k)),
            });
        }
        let n_valid = candidates.iter().filter(|c| c.valid).count();
        let rates = super::Rates::moses(strings.len(), n_valid, &unique, &self.known);
        // Valid and novel first, then valid.
        candidates.sort_by_key(|c| (!(c.valid && c.novel), !c.valid));
        MoleculeSampleReport {
            n: strings.len(),
            validity: rates.validity,
            uniqueness: rates.uniqueness,
            novelty: rates.novelty,
            near: None,
            known_molecules: self.known_tokens.len(),
            seconds: 0.0,
            candidates,
        }
    }
}
