//! Autoencoder throughput: scoring rows (the `recon score` hot path, without CSV parsing) and
//! training epochs, on a motor-sized model (15 window features, encoder 16 → 3).
//!
//! cargo bench -p recon-neural --bench autoencoder

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use faer::Mat;
use recon_core::{Dataset, Fit};
use recon_neural::{AutoencoderParams, Trainable};

fn data(n: usize) -> Mat<f64> {
    Mat::from_fn(n, 15, |i, j| ((i as f64) * 0.001 + j as f64).sin() + 0.01 * (((i * 31 + j * 7) % 13) as f64))
}

fn bench(c: &mut Criterion) {
    let train = Dataset::from_mat(data(20_000));
    let ae = AutoencoderParams::new(vec![16, 3]).epochs(2).seed(0).fit(&train).unwrap();
    let mut g = c.benchmark_group("ae_score");
    for n in [10_000usize, 100_000] {
        let x = data(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &x, |b, x| b.iter(|| ae.score(x.as_ref()).unwrap()));
    }
    g.finish();
    let mut g = c.benchmark_group("ae_train_epoch");
    g.sample_size(10);
    g.throughput(Throughput::Elements(16_000)); // 80% of 20,000 rows train, batch 64
    g.bench_function("20000x15_batch64", |b| {
        b.iter(|| AutoencoderParams::new(vec![16, 3]).epochs(1).seed(0).fit(&train).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
