//! Property tests of the engine's guarantees (BRIEF §4), on random instances.

mod common;

use std::collections::HashMap;

use common::{Shape, assert_tierwise_optimal, instance, slot_of_unit};
use matcher::*;
use proptest::prelude::*;

fn shape() -> impl Strategy<Value = (u64, Shape, usize, u64)> {
    (
        any::<u64>(),
        0usize..16,
        0usize..9,
        1u32..4,
        1u32..3,
        any::<bool>(),
        1usize..6,
        any::<u64>(),
    )
        .prop_map(
            |(seed, units, slots, max_seats, weeks, mixed_kinds, width, tie)| {
                let shape = Shape {
                    units,
                    slots,
                    max_seats,
                    weeks,
                    mixed_kinds,
                    ..Shape::default()
                };
                (seed, shape, width, tie)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    #[test]
    fn guarantees_hold((seed, shape, width, tie) in shape()) {
        let p = instance(seed, shape);
        let cfg = MatchConfig { seed: tie, candidates_per_unit: width, ..MatchConfig::default() };
        let out = solve(&p, &cfg).unwrap();
        let units: HashMap<u64, &Unit> = p.units.iter().map(|u| (u.id, u)).collect();
        let slots: HashMap<u64, &Slot> = p.slots.iter().map(|s| (s.id, s)).collect();

        // Capacity never exceeded; every pair eligible; reserved seats only to priority units;
        // a group is one unit, so it sits whole on one slot whose size range fits it.
        let mut load: HashMap<u64, u32> = HashMap::new();
        for a in &out.assignments {
            let (u, s) = (units[&a.unit], slots[&a.slot]);
            *load.entry(a.slot).or_default() += 1;
            prop_assert!(eligibility(u, s, &cfg).is_ok());
            prop_assert!(!s.reserved_for_priority || u.tier != Tier::Standard);
            if let Some(g) = s.group_size {
                prop_assert!(g.min <= u.group_size && u.group_size <= g.max);
            }
        }
        for (id, n) in &load {
            prop_assert!(*n <= slots[id].seats);
        }
        // Every unit is either placed once or explained.
        prop_assert_eq!(out.assignments.len() + out.unmatched.len(), p.units.len());

        // Zero blocking pairs, by the crate's check and by the same check from outside.
        prop_assert_eq!(out.metrics.blocking_pairs, 0);
        prop_assert_eq!(count_blocking_pairs(&p, &cfg, &slot_of_unit(&p, &out)).unwrap(), 0);

        // Per-tier optimality against the Hungarian oracle.
        assert_tierwise_optimal(&p, &cfg, &out);

        // Determinism: same input and seed, same result, whatever the input order.
        let again = solve(&p, &cfg).unwrap();
        prop_assert_eq!(&again.assignments, &out.assignments);
        let mut reversed = p.clone();
        reversed.units.reverse();
        reversed.slots.reverse();
        let mut a: Vec<_> = solve(&reversed, &cfg).unwrap().assignments.iter().map(|a| (a.unit, a.slot)).collect();
        let mut b: Vec<_> = out.assignments.iter().map(|a| (a.unit, a.slot)).collect();
        a.sort();
        b.sort();
        prop_assert_eq!(a, b);
    }

    #[test]
    fn greedy_respects_the_same_hard_rules((seed, shape, _w, tie) in shape()) {
        let p = instance(seed, shape);
        let cfg = MatchConfig { seed: tie, ..MatchConfig::default() };
        let out = greedy(&p, &cfg).unwrap();
        prop_assert_eq!(out.metrics.blocking_pairs, 0);
        let mut load: HashMap<u64, u32> = HashMap::new();
        for a in &out.assignments {
            *load.entry(a.slot).or_default() += 1;
        }
        for s in &p.slots {
            prop_assert!(load.get(&s.id).copied().unwrap_or(0) <= s.seats);
        }
    }
}

#[test]
fn blocking_pair_check_finds_a_planted_blocking_pair() {
    // A REP pupil left out while a standard pupil holds the only seat: a blocking pair.
    let w = WeekSpan::single(1);
    let mut rep = Unit::new(1, GeoPoint::new(48.85, 2.35), Kind::Stage3e, w);
    rep.tier = Tier::Rep;
    let std = Unit::new(2, GeoPoint::new(48.85, 2.35), Kind::Stage3e, w);
    let slot = Slot::new(9, GeoPoint::new(48.86, 2.35), Kind::Stage3e, w, 1);
    let p = Problem {
        units: vec![rep, std],
        slots: vec![slot],
    };
    let cfg = MatchConfig::default();
    assert_eq!(count_blocking_pairs(&p, &cfg, &[None, Some(9)]).unwrap(), 1);
    assert_eq!(count_blocking_pairs(&p, &cfg, &[Some(9), None]).unwrap(), 0);
    // Unmatched with a free seat in reach is blocking too.
    assert_eq!(count_blocking_pairs(&p, &cfg, &[None, None]).unwrap(), 2);
}
