//! Run metrics, and the independent blocking-pair check.

use rayon::prelude::*;

use crate::eligibility::{MatchConfig, eligibility_at};
use crate::finish::Placement;
use crate::geo_point::curve_key;
use crate::model::{Kind, Problem, Tier};
use crate::outcome::{MatchOutcome, PhaseTimes, SolveStats};
use crate::prepare::{Group, MatchError};

/// Counts for one tier.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TierMetrics {
    /// Units of the tier.
    pub units: usize,
    /// Units matched.
    pub matched: usize,
    /// `matched / units` (0 when there is no unit).
    pub rate: f64,
    /// Sum of matched pair costs, metres (distance less interest bonus).
    pub total_cost_m: i64,
}

/// Metrics of a run (BRIEF §4.5).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics {
    /// Units in the problem.
    pub units: usize,
    /// Units matched.
    pub matched: usize,
    /// `matched / units`.
    pub match_rate: f64,
    /// Per tier, in [`Tier::ALL`] order.
    pub per_tier: [TierMetrics; 5],
    /// Seats offered (a `classe_entreprise` seat holds one group).
    pub seats: u64,
    /// Seats taken.
    pub seats_used: u64,
    /// `seats_used / seats`.
    pub fill_rate: f64,
    /// Mean distance of matched pairs, km (a remote mentoring pair counts 0 km, as it
    /// costs: the distance figures describe journeys).
    pub distance_mean_km: f64,
    /// Median distance, km.
    pub distance_p50_km: f64,
    /// 90th percentile distance, km.
    pub distance_p90_km: f64,
    /// Largest distance, km.
    pub distance_max_km: f64,
    /// Sum of matched pair costs, metres.
    pub total_cost_m: i64,
    /// Blocking pairs found by [`count_blocking_pairs`]'s exhaustive check: must be 0.
    pub blocking_pairs: u64,
}

impl Metrics {
    /// Metrics of `tier`.
    pub fn tier(&self, tier: Tier) -> &TierMetrics {
        &self.per_tier[Tier::ALL.iter().position(|t| *t == tier).unwrap_or(4)]
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

pub(crate) fn compute_metrics(
    problem: &Problem,
    config: &MatchConfig,
    groups: &[Group],
    placement: &[Placement],
) -> Metrics {
    let mut m = Metrics {
        units: problem.units.len(),
        ..Metrics::default()
    };
    let mut distances = Vec::new();
    for (u, p) in problem.units.iter().zip(placement) {
        let t = &mut m.per_tier[Tier::ALL.iter().position(|t| *t == u.tier).unwrap_or(4)];
        t.units += 1;
        if let Some((_, pair)) = p {
            t.matched += 1;
            t.total_cost_m += pair.cost;
            distances.push(if pair.remote { 0.0 } else { pair.distance_km });
        }
    }
    for t in &mut m.per_tier {
        t.rate = ratio(t.matched as f64, t.units as f64);
        m.matched += t.matched;
        m.total_cost_m += t.total_cost_m;
    }
    m.match_rate = ratio(m.matched as f64, m.units as f64);
    m.seats = problem.slots.iter().map(|s| s.seats as u64).sum();
    m.seats_used = distances.len() as u64;
    m.fill_rate = ratio(m.seats_used as f64, m.seats as f64);
    if !distances.is_empty() {
        distances.sort_by(f64::total_cmp);
        let pick = |q: f64| distances[((distances.len() - 1) as f64 * q).round() as usize];
        m.distance_mean_km = distances.iter().sum::<f64>() / distances.len() as f64;
        m.distance_p50_km = pick(0.5);
        m.distance_p90_km = pick(0.9);
        m.distance_max_km = distances[distances.len() - 1];
    }
    m.blocking_pairs = blocking_pairs(problem, config, groups, placement);
    m
}

/// Counts blocking pairs of a placement, given as the slot id of each unit (in
/// [`Problem::units`] order, `None` when unmatched), by an exhaustive check that shares
/// nothing with the solver but eligibility and the spatial index.
///
/// A blocking pair is a unit and an eligible slot, other than its own, that costs him
/// less than his current pair (any eligible slot, when he is unmatched) and that has a free
/// seat or a seat held by a unit of a strictly weaker tier rank.
pub fn count_blocking_pairs(
    problem: &Problem,
    config: &MatchConfig,
    slot_of_unit: &[Option<u64>],
) -> Result<u64, MatchError> {
    Ok(evaluate(problem, config, slot_of_unit)?
        .metrics
        .blocking_pairs)
}

/// Builds the outcome (reasons, metrics, blocking pairs) of a placement made elsewhere —
/// another solver's, or one read back from a file — given as the slot id of each unit in
/// [`Problem::units`] order. Refuses a placement that names an unknown slot, pairs an
/// ineligible unit or overfills a slot.
pub fn evaluate(
    problem: &Problem,
    config: &MatchConfig,
    slot_of_unit: &[Option<u64>],
) -> Result<MatchOutcome, MatchError> {
    let start = std::time::Instant::now();
    let groups = crate::prepare::split(problem, config.seed)?;
    let by_id: std::collections::HashMap<u64, u32> = problem
        .slots
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id, i as u32))
        .collect();
    let mut load = vec![0u32; problem.slots.len()];
    let mut placement: Vec<Placement> = vec![None; problem.units.len()];
    for ((u, s), p) in problem.units.iter().zip(slot_of_unit).zip(&mut placement) {
        let Some(id) = s else { continue };
        let bad = MatchError::InvalidPlacement(u.id, *id);
        let &j = by_id.get(id).ok_or(bad.clone())?;
        let slot = &problem.slots[j as usize];
        let pair = eligibility_at(u, slot, config, || u.point.distance_km(slot.point))
            .map_err(|_| bad.clone())?;
        load[j as usize] += 1;
        if load[j as usize] > slot.seats {
            return Err(bad);
        }
        *p = Some((j, pair));
    }
    Ok(crate::finish::finish(
        problem,
        config,
        &groups,
        placement,
        PhaseTimes::default(),
        SolveStats::default(),
        start,
    ))
}

fn blocking_pairs(
    problem: &Problem,
    config: &MatchConfig,
    groups: &[Group],
    placement: &[Placement],
) -> u64 {
    let mut load = vec![0u32; problem.slots.len()];
    let mut weakest = vec![0u8; problem.slots.len()];
    for (u, p) in problem.units.iter().zip(placement) {
        if let Some((s, _)) = p {
            load[*s as usize] += 1;
            weakest[*s as usize] = weakest[*s as usize].max(u.tier.rank());
        }
    }
    // A slot is open to rank r if it has a free seat or a holder of rank > r.
    let open_to = |s: u32, rank: u8| {
        let s = s as usize;
        load[s] < problem.slots[s].seats || weakest[s] > rank
    };
    let bonus = config.bonus_m();
    groups
        .par_iter()
        .map(|g| {
            let mut count = 0u64;
            for rank in 0..Tier::RANKS as u8 {
                // Along the curve, so that neighbours walk the same branches of the index.
                let mut units: Vec<(u64, u32)> = g
                    .units
                    .iter()
                    .filter(|&&u| problem.units[u as usize].tier.rank() == rank)
                    .map(|&u| (curve_key(problem.units[u as usize].point), u))
                    .collect();
                units.sort_unstable();
                if units.is_empty() {
                    continue;
                }
                let index = g.slot_index(problem, |l| open_to(g.slots[l], rank));
                let remote: Vec<u32> = g
                    .slots
                    .iter()
                    .copied()
                    .filter(|&s| problem.slots[s as usize].remote_ok && open_to(s, rank))
                    .collect();
                count += units
                    .par_iter()
                    .map(|&(_, u)| {
                        let unit = &problem.units[u as usize];
                        let own = placement[u as usize];
                        let (own_slot, own_cost) =
                            own.map_or((u32::MAX, i64::MAX), |(s, p)| (s, p.cost));
                        let better = |s: u32, d: f64| {
                            s != own_slot
                                && eligibility_at(unit, &problem.slots[s as usize], config, || d)
                                    .is_ok_and(|p| p.cost < own_cost)
                        };
                        let mut reach = config.radius_km(unit);
                        if own.is_some() {
                            reach = reach.min((own_cost + bonus + 1) as f64 / 1000.0);
                        }
                        let mut n = 0u64;
                        index.for_each_within_km(unit.point, reach, |l, _, d| {
                            n += better(g.slots[l as usize], d) as u64;
                            true
                        });
                        if unit.kind == Kind::Mentoring && unit.remote_ok {
                            for &s in &remote {
                                let slot = &problem.slots[s as usize];
                                let d = unit.point.distance_km(slot.point);
                                if d > reach && better(s, d) {
                                    n += 1;
                                }
                            }
                        }
                        n
                    })
                    .sum::<u64>();
            }
            count
        })
        .sum()
}
