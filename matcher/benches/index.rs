//! Micro-benchmarks of the spatial index on 300,000 points over mainland France.

use criterion::{Criterion, criterion_group, criterion_main};
use matcher::{GeoPoint, SpatialIndex};

fn points(n: usize, mut seed: u64) -> Vec<GeoPoint> {
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| GeoPoint::new(42.5 + 8.5 * next(), -4.5 + 12.5 * next()))
        .collect()
}

fn bench(c: &mut Criterion) {
    let pts = points(300_000, 7);
    let data: Vec<(u32, GeoPoint)> = pts
        .iter()
        .enumerate()
        .map(|(i, p)| (i as u32, *p))
        .collect();
    c.bench_function("bulk_load 300k", |b| {
        b.iter(|| SpatialIndex::bulk_load(data.clone()))
    });
    let index = SpatialIndex::bulk_load(data);
    let queries = points(1024, 99);
    let mut q = 0;
    c.bench_function("within 10 km of 300k", |b| {
        b.iter(|| {
            q = (q + 1) % queries.len();
            index.within_km(queries[q], 10.0)
        })
    });
    c.bench_function("nearest 20 of 300k", |b| {
        b.iter(|| {
            q = (q + 1) % queries.len();
            index.nearest(queries[q], 20)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
