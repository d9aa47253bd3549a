//! The engine against a Hungarian optimum, tier by tier, on seeded random instances.

mod common;

use std::collections::BTreeSet;

use common::{Shape, assert_tierwise_optimal, instance};
use matcher::*;

fn config(seed: u64, width: usize) -> MatchConfig {
    MatchConfig {
        seed,
        candidates_per_unit: width,
        interest_bonus_km: 3.0,
        ..MatchConfig::default()
    }
}

#[test]
fn engine_is_tierwise_optimal_on_random_single_week_instances() {
    for seed in 0..150 {
        let shape = Shape {
            units: 4 + (seed % 9) as usize,
            slots: 2 + (seed % 5) as usize,
            ..Shape::default()
        };
        let p = instance(seed, shape);
        // A width of 1 prunes hard, so the dual proof must widen lists to stay exact.
        for width in [1, 2, 8] {
            let out = solve(&p, &config(seed, width)).unwrap();
            assert_tierwise_optimal(&p, &config(seed, width), &out);
            assert_eq!(out.metrics.blocking_pairs, 0, "seed {seed}");
        }
    }
}

#[test]
fn engine_is_tierwise_optimal_with_every_kind_and_several_weeks() {
    for seed in 0..120 {
        let shape = Shape {
            units: 14,
            slots: 8,
            weeks: 3,
            mixed_kinds: true,
            max_seats: 3,
            ..Shape::default()
        };
        let p = instance(1000 + seed, shape);
        let out = solve(&p, &config(seed, 1)).unwrap();
        assert_tierwise_optimal(&p, &config(seed, 1), &out);
        assert_eq!(out.metrics.blocking_pairs, 0);
    }
}

/// Units with many more failing pairs than the dual check keeps per unit: the rest must be
/// found again in later rounds, never lost.
#[test]
fn engine_is_tierwise_optimal_when_units_fail_on_many_pruned_pairs() {
    for seed in 0..40 {
        let shape = Shape {
            units: 30,
            slots: 40,
            max_seats: 1,
            ..Shape::default()
        };
        let p = instance(5000 + seed, shape);
        let out = solve(&p, &config(seed, 1)).unwrap();
        assert_tierwise_optimal(&p, &config(seed, 1), &out);
        assert_eq!(out.metrics.blocking_pairs, 0, "seed {seed}");
    }
}

/// The kept graph is what the proof stood on: the outcome is the same with or without it,
/// it holds every proposal's arc at its cost, only eligible pairs (once each) at the cost
/// eligibility gives, and fewer of them than all eligible pairs.
#[test]
fn kept_graph_holds_each_tiers_optimum() {
    let mut pruned = 0;
    for seed in 0..60 {
        let shape = Shape {
            units: 14,
            slots: 8,
            weeks: 2,
            mixed_kinds: true,
            max_seats: 2,
            ..Shape::default()
        };
        let p = instance(7000 + seed, shape);
        let cfg = MatchConfig {
            keep_graph: true,
            ..config(seed, 1)
        };
        let kept = solve(&p, &cfg).unwrap();
        let mut plain = solve(&p, &config(seed, 1)).unwrap();
        assert!(plain.graph.is_empty());
        plain.graph = kept.graph.clone();
        plain.times = kept.times;
        assert_eq!(
            plain, kept,
            "seed {seed}: keeping the graph changed the outcome"
        );

        let units: std::collections::HashMap<u64, &Unit> =
            p.units.iter().map(|u| (u.id, u)).collect();
        let slots: std::collections::HashMap<u64, &Slot> =
            p.slots.iter().map(|s| (s.id, s)).collect();
        let arcs: BTreeSet<(u64, u64)> = kept.graph.iter().map(|a| (a.unit, a.slot)).collect();
        assert_eq!(arcs.len(), kept.graph.len(), "seed {seed}: an arc twice");
        for a in &kept.graph {
            let pair = eligibility(units[&a.unit], slots[&a.slot], &cfg).expect("eligible");
            assert_eq!(pair.cost, a.cost_m, "seed {seed}");
        }
        for a in &kept.assignments {
            assert!(
                kept.graph
                    .iter()
                    .any(|g| (g.unit, g.slot, g.cost_m) == (a.unit, a.slot, a.cost_m)),
                "seed {seed}: proposal {a:?} not in the graph"
            );
        }
        let eligible = p
            .units
            .iter()
            .flat_map(|u| p.slots.iter().map(move |s| (u, s)))
            .filter(|(u, s)| eligibility(u, s, &cfg).is_ok())
            .count();
        pruned += eligible - arcs.len();
        assert_tierwise_optimal(&p, &cfg, &kept);
    }
    assert!(
        pruned > 0,
        "the graphs held every eligible pair: nothing was pruned"
    );
}

#[test]
fn pruning_is_widened_when_the_dual_check_fails() {
    let mut widened = 0;
    for seed in 0..60 {
        let p = instance(
            seed,
            Shape {
                units: 12,
                slots: 6,
                max_seats: 1,
                ..Shape::default()
            },
        );
        widened += solve(&p, &config(seed, 1)).unwrap().stats.widenings;
    }
    assert!(
        widened > 0,
        "width 1 should need widening somewhere, or the proof is never exercised"
    );
}

#[test]
fn greedy_has_no_blocking_pair_but_is_sometimes_worse() {
    let mut worse = 0;
    for seed in 0..200 {
        let p = instance(
            seed,
            Shape {
                units: 12,
                slots: 5,
                max_seats: 2,
                ..Shape::default()
            },
        );
        let cfg = config(seed, 8);
        let g = greedy(&p, &cfg).unwrap();
        let e = solve(&p, &cfg).unwrap();
        assert_eq!(g.metrics.blocking_pairs, 0, "seed {seed}");
        // Served first, the strongest rank present is directly comparable.
        let first = Tier::ALL.iter().find(|t| e.metrics.tier(**t).units > 0);
        if let Some(&t) = first.filter(|t| **t != Tier::Rural && **t != Tier::Qpv) {
            let (em, gm) = (e.metrics.tier(t), g.metrics.tier(t));
            assert!(
                (em.matched, -em.total_cost_m) >= (gm.matched, -gm.total_cost_m),
                "seed {seed}"
            );
        }
        if (g.metrics.matched, -g.metrics.total_cost_m)
            < (e.metrics.matched, -e.metrics.total_cost_m)
        {
            worse += 1;
        }
    }
    assert!(
        worse > 0,
        "greedy was never worse: the comparison shows nothing"
    );
}
