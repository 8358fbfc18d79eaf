//! Throughput of the two validity checks on their fixtures (for `tools/bench_discover.py`):
//! prints one JSON object with formulas/s of the SMACT screen and strings/s of the SMILES check.

use std::time::Instant;

fn column(path: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("fixture");
    text.lines().skip(1).map(|l| l.rsplitn(3, ',').nth(2).unwrap_or("").to_string()).collect()
}

fn rate(items: &[String], f: &dyn Fn(&str) -> bool) -> (f64, usize) {
    let start = Instant::now();
    let (mut n, mut ok) = (0usize, 0usize);
    while start.elapsed().as_secs_f64() < 1.0 {
        for s in items {
            ok += usize::from(f(s));
            n += 1;
        }
    }
    (n as f64 / start.elapsed().as_secs_f64(), ok * items.len() / n)
}

fn main() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let formulas = column(&format!("{dir}/smact_validity.csv"));
    let smiles = column(&format!("{dir}/smiles_validity.csv"));
    let (smact, smact_ok) = rate(&formulas, &|s| {
        recon_chem::Composition::parse(s).is_ok_and(|c| recon_chem::smact_valid(&c).unwrap_or(false))
    });
    let (smi, smi_ok) = rate(&smiles, &|s| recon_chem::smiles::check(s).is_ok());
    println!(
        "{{\"smact_formulas\": {}, \"smact_per_s\": {smact:.1}, \"smact_valid\": {smact_ok}, \"smiles_strings\": {}, \"smiles_per_s\": {smi:.1}, \"smiles_valid\": {smi_ok}}}",
        formulas.len(),
        smiles.len()
    );
}
