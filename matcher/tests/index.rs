//! The spatial index against a brute-force haversine scan, overseas and antimeridian
//! included.

mod common;

use common::Rng;
use matcher::{GeoPoint, SpatialIndex};

/// Places where France has pupils, several straddling the antimeridian.
const CENTRES: [(f64, f64); 8] = [
    (48.85, 2.35),     // Paris
    (-21.11, 55.53),   // Réunion
    (-12.78, 45.23),   // Mayotte
    (-22.27, 166.46),  // Nouméa
    (-13.28, -176.17), // Wallis
    (-14.29, -178.12), // Futuna
    (-17.53, -149.57), // Tahiti
    (4.93, -52.33),    // Cayenne
];

fn scatter(rng: &mut Rng, n: usize) -> Vec<(u32, GeoPoint)> {
    (0..n)
        .map(|i| {
            let (lat, lon) = CENTRES[rng.below(CENTRES.len() as u64) as usize];
            let spread = [0.0, 0.05, 0.5, 3.0][rng.below(4) as usize];
            let mut lon = lon + (rng.f() - 0.5) * spread * 2.0;
            if lon > 180.0 {
                lon -= 360.0;
            }
            (i as u32, GeoPoint::new(lat + (rng.f() - 0.5) * spread, lon))
        })
        .collect()
}

fn brute_within(points: &[(u32, GeoPoint)], q: GeoPoint, r: f64) -> Vec<(u32, f64)> {
    let mut v: Vec<(u32, f64)> = points
        .iter()
        .map(|(k, p)| (*k, q.distance_km(*p)))
        .filter(|(_, d)| *d <= r)
        .collect();
    v.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    v
}

#[test]
fn within_and_nearest_equal_a_brute_force_scan() {
    for seed in 0..40 {
        let mut rng = Rng::new(seed);
        let mut points = scatter(&mut rng, 400);
        // Identical coordinates: several keys at one place.
        let dup = points[0].1;
        points.extend((1000..1005).map(|k| (k, dup)));
        let index = SpatialIndex::bulk_load(points.clone());
        let queries: Vec<GeoPoint> = scatter(&mut rng, 30)
            .into_iter()
            .map(|p| p.1)
            .chain([dup])
            .collect();
        for q in queries {
            for r in [0.0, 1.0, 10.0, 60.0, 500.0, 3_000.0, 25_000.0] {
                assert_eq!(
                    index.within_km(q, r),
                    brute_within(&points, q, r),
                    "seed {seed} r {r}"
                );
            }
            for k in [0, 1, 3, 10, 500] {
                let all = brute_within(&points, q, f64::INFINITY);
                let want: Vec<_> = all.into_iter().take(k).collect();
                assert_eq!(index.nearest(q, k), want, "seed {seed} k {k}");
            }
            let order: Vec<f64> = index.iter_by_distance(q).map(|(_, d)| d).collect();
            assert_eq!(order.len(), points.len());
            assert!(
                order.windows(2).all(|w| w[0] <= w[1] + 1e-9),
                "iterator out of order"
            );
        }
    }
}

#[test]
fn insert_and_remove_keep_answers_equal_to_brute_force() {
    let mut rng = Rng::new(5);
    let mut points = scatter(&mut rng, 300);
    let mut index = SpatialIndex::bulk_load(points.clone());
    for step in 0..200u32 {
        if rng.chance(0.5) && !points.is_empty() {
            let (k, p) = points.swap_remove(rng.below(points.len() as u64) as usize);
            assert!(index.remove(k, p));
            assert!(!index.remove(k, p), "removed twice");
        } else {
            let p = scatter(&mut rng, 1)[0].1;
            points.push((10_000 + step, p));
            index.insert(10_000 + step, p);
        }
        let q = scatter(&mut rng, 1)[0].1;
        assert_eq!(index.within_km(q, 800.0), brute_within(&points, q, 800.0));
    }
    assert_eq!(index.len(), points.len());
}

#[test]
fn antimeridian_neighbours_are_near() {
    // Futuna (178°W) is ~200 km from Wallis; Fiji's Lau islands at 178.5°E lie ~770 km
    // west across the antimeridian, far closer than Tahiti.
    let wallis = GeoPoint::new(-13.28, -176.17);
    let index = SpatialIndex::bulk_load(vec![
        (1u8, GeoPoint::new(-17.53, -149.57)),
        (2, GeoPoint::new(-18.0, 178.5)),
        (3, GeoPoint::new(-14.29, -178.12)),
    ]);
    let order: Vec<u8> = index
        .nearest(wallis, 3)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(order, vec![3, 2, 1]);
    let near: Vec<u8> = index
        .within_km(wallis, 900.0)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(near, vec![3, 2]);
}

#[test]
fn empty_index_answers_nothing() {
    let index: SpatialIndex<u32> = SpatialIndex::new();
    let q = GeoPoint::new(0.0, 0.0);
    assert!(index.within_km(q, 1e9).is_empty());
    assert!(index.nearest(q, 5).is_empty());
    assert!(index.is_empty());
}
