//! Turns a placement (slot per unit) into the outcome: proposals, reasons, metrics.

use std::time::Instant;

use rayon::prelude::*;

use crate::eligibility::{Ineligible, MatchConfig, Pair, eligibility_at, rule_check};
use crate::geo_point::curve_key;
use crate::metrics::compute_metrics;
use crate::model::{Kind, Problem};
use crate::outcome::{
    Assignment, MatchOutcome, PhaseTimes, SolveStats, Unmatched, UnmatchedReason,
};
use crate::prepare::Group;

/// Slot position (in [`Problem::slots`]) and pair, per unit; `None` when unmatched.
pub(crate) type Placement = Option<(u32, Pair)>;

pub(crate) fn finish(
    problem: &Problem,
    config: &MatchConfig,
    groups: &[Group],
    placement: Vec<Placement>,
    mut times: PhaseTimes,
    stats: SolveStats,
    start: Instant,
) -> MatchOutcome {
    let t = Instant::now();
    let mut strongest = vec![u8::MAX; problem.slots.len()];
    for (u, p) in problem.units.iter().zip(&placement) {
        if let Some((s, _)) = p {
            let r = &mut strongest[*s as usize];
            *r = (*r).min(u.tier.rank());
        }
    }
    let mut reasons: Vec<(u32, UnmatchedReason)> = groups
        .par_iter()
        .flat_map_iter(|g| group_reasons(problem, config, g, &placement, &strongest))
        .collect();
    reasons.sort_unstable_by_key(|r| r.0);
    times.reasons = t.elapsed();

    let assignments = problem
        .units
        .iter()
        .zip(&placement)
        .filter_map(|(u, p)| {
            p.map(|(s, pair)| Assignment {
                unit: u.id,
                slot: problem.slots[s as usize].id,
                tier: u.tier,
                distance_km: pair.distance_km,
                interest_match: pair.interest_match,
                remote: pair.remote,
                cost_m: pair.cost,
            })
        })
        .collect();
    let unmatched = reasons
        .into_iter()
        .map(|(u, reason)| {
            let unit = &problem.units[u as usize];
            Unmatched {
                unit: unit.id,
                tier: unit.tier,
                reason,
            }
        })
        .collect();
    let t = Instant::now();
    let metrics = compute_metrics(problem, config, groups, &placement);
    times.metrics = t.elapsed();
    times.total = start.elapsed();
    MatchOutcome {
        assignments,
        unmatched,
        metrics,
        times,
        stats,
        graph: Vec::new(),
    }
}

fn group_reasons(
    problem: &Problem,
    config: &MatchConfig,
    group: &Group,
    placement: &[Placement],
    strongest: &[u8],
) -> Vec<(u32, UnmatchedReason)> {
    // Along the curve, so that neighbours walk the same branches of the index.
    let mut unmatched: Vec<(u64, u32)> = group
        .units
        .iter()
        .filter(|&&u| placement[u as usize].is_none())
        .map(|&u| (curve_key(problem.units[u as usize].point), u))
        .collect();
    unmatched.sort_unstable();
    if unmatched.is_empty() {
        return Vec::new();
    }
    let index = group.slot_index(problem, |_| true);
    let remote: Vec<u32> = group
        .slots
        .iter()
        .copied()
        .filter(|&s| problem.slots[s as usize].remote_ok)
        .collect();
    unmatched
        .into_par_iter()
        .map(|(_, u)| {
            let unit = &problem.units[u as usize];
            let rank = unit.tier.rank();
            let mut reason = UnmatchedReason::NoOfferInRadius;
            let mut look = |s: u32, d: f64| -> bool {
                let slot = &problem.slots[s as usize];
                match eligibility_at(unit, slot, config, || d) {
                    Ok(_) => {
                        if strongest[s as usize] < rank {
                            reason = UnmatchedReason::SeatsTakenByHigherPriority;
                            return false;
                        }
                        reason = UnmatchedReason::CapacityExhausted;
                    }
                    Err(Ineligible::KindOrWeek | Ineligible::Distance) => {}
                    Err(_) => {
                        if reason == UnmatchedReason::NoOfferInRadius {
                            reason = UnmatchedReason::NoEligibleOffer;
                        }
                    }
                }
                true
            };
            let radius = config.radius_km(unit);
            let mut go_on = true;
            index.for_each_within_km(unit.point, radius, |l, _, d| {
                go_on = look(group.slots[l as usize], d);
                go_on
            });
            if go_on && unit.kind == Kind::Mentoring && unit.remote_ok {
                for &s in &remote {
                    let slot = &problem.slots[s as usize];
                    if rule_check(unit, slot) != Err(Ineligible::KindOrWeek)
                        && !look(s, unit.point.distance_km(slot.point))
                    {
                        break;
                    }
                }
            }
            (u, reason)
        })
        .collect()
}
