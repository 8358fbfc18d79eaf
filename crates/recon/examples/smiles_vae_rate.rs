//! Training and sampling speed of the SMILES VAE, for `tools/bench_smiles_vae.py`.
//!
//! `cargo run --release -p recon --example smiles_vae_rate -- CSV HIDDEN LATENT EPOCHS SAMPLES`
//! trains on every molecule of CSV (its `smiles` column; 5% held out for validation) for EPOCHS
//! epochs at batch 128, then draws SAMPLES molecules from the prior and checks each. Prints one
//! JSON object: seconds per epoch (training steps and the held-out pass), samples per second
//! (decoding and the validity check), and the validity of the samples.

use std::path::Path;
use std::time::Instant;

use recon::discover::molecules::read_smiles;
use recon_chem::smiles::check;
use recon_neural::{SequenceVaeParams, Trainable};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    recon::fixed_parallelism();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: &str| args.get(i).cloned().unwrap_or_else(|| d.to_string());
    let data = read_smiles(Path::new(&arg(0, "data/molecules/qm9_smiles_20k.csv")), "smiles")?;
    let (hidden, latent, epochs, samples): (usize, usize, usize, usize) =
        (arg(1, "128").parse()?, arg(2, "32").parse()?, arg(3, "2").parse()?, arg(4, "10000").parse()?);
    let mut vocab: Vec<String> = data.tokens.iter().flatten().cloned().collect();
    vocab.sort();
    vocab.dedup();
    let seqs: Vec<Vec<usize>> = data
        .tokens
        .iter()
        .map(|t| t.iter().map(|s| vocab.binary_search(s).expect("a token of the table")).collect())
        .collect();
    let params = SequenceVaeParams { hidden, latent, ..Default::default() }.epochs(epochs).seed(0);
    let mut times = Vec::new();
    let mut last = Instant::now();
    let model = params.fit(&vocab, &seqs, &mut |_, _, _| {
        times.push(last.elapsed().as_secs_f64());
        last = Instant::now();
    })?;
    let start = Instant::now();
    let drawn = model.sample(samples, 1)?;
    let valid =
        drawn.iter().filter(|s| check(&s.iter().map(|&t| vocab[t].as_str()).collect::<String>()).is_ok()).count();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{{\"molecules\": {}, \"vocabulary\": {}, \"hidden\": {hidden}, \"latent\": {latent}, \"epoch_seconds\": {:?}, \"samples_per_s\": {:.1}, \"validity\": {:.4}}}",
        seqs.len(),
        vocab.len(),
        times,
        samples as f64 / secs,
        valid as f64 / samples as f64
    );
    Ok(())
}
