//! The greedy baseline: each unit, in tier order then seeded order, takes its cheapest
//! free eligible seat.

use std::time::Instant;

use rayon::prelude::*;

use crate::eligibility::{MatchConfig, Pair, eligibility_at};
use crate::finish::{Placement, finish};
use crate::model::{Kind, Problem};
use crate::outcome::{MatchOutcome, PhaseTimes, SolveStats};
use crate::prepare::{Group, MatchError, split};

/// Runs the greedy baseline: in tier order, then in the seeded order within a tier, each
/// unit takes the cheapest eligible slot that still has a free seat.
///
/// It has no blocking pair either (a seat it skipped was already held by a unit served
/// before it), but it neither maximises the number matched per tier nor minimises the
/// total cost: it is here to measure what [`solve`](crate::solve) gains.
///
/// ```
/// use matcher::{greedy, GeoPoint, Kind, MatchConfig, Problem, Slot, Unit, WeekSpan};
/// let w = WeekSpan::single(1);
/// let units = vec![Unit::new(1, GeoPoint::new(45.0, 5.0), Kind::Stage3e, w)];
/// let slots = vec![Slot::new(7, GeoPoint::new(45.01, 5.0), Kind::Stage3e, w, 1)];
/// let out = greedy(&Problem { units, slots }, &MatchConfig::default())?;
/// assert_eq!(out.assignments.len(), 1);
/// # Ok::<(), matcher::MatchError>(())
/// ```
pub fn greedy(problem: &Problem, config: &MatchConfig) -> Result<MatchOutcome, MatchError> {
    let start = Instant::now();
    let groups = split(problem, config.seed)?;
    let solved: Vec<(Vec<GroupPlacement>, PhaseTimes)> = groups
        .par_iter()
        .map(|g| greedy_group(problem, g, config))
        .collect();
    let mut placement: Vec<Placement> = vec![None; problem.units.len()];
    let mut times = PhaseTimes::default();
    for ((placed, t), g) in solved.into_iter().zip(&groups) {
        for (p, &u) in placed.into_iter().zip(&g.units) {
            placement[u as usize] = p.map(|(l, pair)| (g.slots[l as usize], pair));
        }
        times.index_build += t.index_build;
        times.solve += t.solve;
    }
    let stats = SolveStats {
        groups: groups.len(),
        ..SolveStats::default()
    };
    Ok(finish(
        problem, config, &groups, placement, times, stats, start,
    ))
}

/// Local slot and pair of each unit of a group.
type GroupPlacement = Option<(u32, Pair)>;

fn greedy_group(
    problem: &Problem,
    group: &Group,
    config: &MatchConfig,
) -> (Vec<GroupPlacement>, PhaseTimes) {
    let mut times = PhaseTimes::default();
    let t = Instant::now();
    let slot = |l: u32| &problem.slots[group.slots[l as usize] as usize];
    let mut remaining: Vec<u32> = (0..group.slots.len() as u32)
        .map(|l| slot(l).seats)
        .collect();
    let mut index = group.slot_index(problem, |l| remaining[l] > 0);
    let mut remote: Vec<u32> = (0..group.slots.len() as u32)
        .filter(|&l| remaining[l as usize] > 0 && slot(l).remote_ok)
        .collect();
    times.index_build = t.elapsed();
    let t = Instant::now();
    let bonus = config.bonus_m();
    let placed = group
        .units
        .iter()
        .map(|&u| {
            let unit = &problem.units[u as usize];
            let radius = config.radius_km(unit);
            let mut best: Option<(i64, u32, Pair)> = None;
            let consider = |best: &mut Option<(i64, u32, Pair)>, l: u32, d: f64| {
                if let Ok(p) = eligibility_at(unit, slot(l), config, || d)
                    && best.is_none_or(|b| (p.cost, slot(l).id) < (b.0, slot(b.1).id))
                {
                    *best = Some((p.cost, l, p));
                }
            };
            for (l, _, d) in index.iter_points_by_distance(unit.point) {
                let floor = (d * 1000.0).round() as i64 - bonus;
                if d > radius + 1e-6 || best.is_some_and(|b| floor > b.0) {
                    break;
                }
                consider(&mut best, l, d);
            }
            if unit.kind == Kind::Mentoring && unit.remote_ok {
                for &l in &remote {
                    consider(&mut best, l, unit.point.distance_km(slot(l).point));
                }
            }
            let (_, l, pair) = best?;
            remaining[l as usize] -= 1;
            if remaining[l as usize] == 0 {
                index.remove(l, slot(l).point);
                remote.retain(|&r| r != l);
            }
            Some((l, pair))
        })
        .collect();
    times.solve = t.elapsed();
    (placed, times)
}
