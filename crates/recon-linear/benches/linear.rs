//! Criterion benches of the linear reconstructors (regression tracking; the comparisons with
//! numpy / scikit-learn are in tools/bench_linear.py and BENCHMARKS.md).
//! `cargo bench -p recon-linear`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use faer::Mat;
use rand::{rngs::StdRng, Rng, SeedableRng};
use rand_distr::StandardNormal;
use recon_core::{Dataset, Fit};
use recon_linear::{PcaParams, RandomizedParams, StreamingPca};

/// Planted rank-20 signal plus noise.
fn data(n: usize, d: usize, seed: u64) -> Dataset {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut g = |r: usize, c: usize| Mat::<f64>::from_fn(r, c, |_, _| rng.sample(StandardNormal));
    let (a, b, noise) = (g(n, 20), g(20, d), g(n, d));
    let x = &a * &b + noise * faer::Scale(0.1);
    Dataset::from_mat(x)
}

fn exact(c: &mut Criterion) {
    let mut group = c.benchmark_group("exact_pca");
    group.sample_size(10);
    for (n, d) in [(20_000, 200), (5_000, 500)] {
        let ds = data(n, d, 1);
        group.bench_with_input(BenchmarkId::from_parameter(format!("{n}x{d}")), &ds, |b, ds| {
            b.iter(|| PcaParams::new().fit(ds).unwrap())
        });
    }
    group.finish();
}

fn randomized(c: &mut Criterion) {
    let mut group = c.benchmark_group("randomized_pca_k20");
    group.sample_size(10);
    let ds = data(20_000, 1_000, 2);
    group.bench_with_input(BenchmarkId::from_parameter("20000x1000"), &ds, |b, ds| {
        b.iter(|| {
            let p = RandomizedParams { oversample: 10, n_iter: Some(4), seed: 0 };
            PcaParams::new().n_components(20).randomized(p).fit(ds).unwrap()
        })
    });
    group.finish();
}

fn streaming(c: &mut Criterion) {
    let mut group = c.benchmark_group("streaming_update");
    group.sample_size(10);
    let ds = data(50_000, 100, 3);
    group.bench_with_input(BenchmarkId::from_parameter("50000x100_chunks8192"), &ds, |b, ds| {
        b.iter(|| {
            let mut acc = StreamingPca::new(100, true);
            let n = ds.n_rows();
            for start in (0..n).step_by(8192) {
                acc.update(ds.x.as_ref().subrows(start, (n - start).min(8192))).unwrap();
            }
            acc.finish(Some(10)).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, exact, randomized, streaming);
criterion_main!(benches);
