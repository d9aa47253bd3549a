//! The exact engine: per group and tier, candidate graph → flow → dual proof → widen.

use std::time::Instant;

use rayon::prelude::*;

use crate::duals;
use crate::eligibility::{MatchConfig, eligibility_at};
use crate::finish::{Placement, finish};
use crate::flow::{self, Flow, NONE};
use crate::model::Problem;
use crate::outcome::{GraphArc, MatchOutcome, PhaseTimes, SolveStats};
use crate::prepare::{Group, MatchError, split};

mod candidates;
mod check;
mod layout;

use check::Proven;
use layout::{Curve, Layout};

/// Runs the exact engine (BRIEF §4.3) on `problem`.
///
/// Tiers are served strongest first, each on the seats the stronger ones left; within a
/// tier the result has the most units matched, then the least total cost, over **all**
/// eligible pairs: candidate lists are pruned to the nearest slots, and the flow's dual
/// prices are then checked on every pruned pair within each unit's radius; a failing pair
/// widens the list and the flow is re-optimised from the previous one, until the proof
/// holds. Groups of one kind and week are solved in parallel.
///
/// ```
/// use matcher::{solve, GeoPoint, Kind, MatchConfig, Problem, Slot, Tier, Unit, WeekSpan};
/// let w = WeekSpan::single(1);
/// let mut rep = Unit::new(1, GeoPoint::new(48.85, 2.35), Kind::Stage3e, w);
/// rep.tier = Tier::Rep;
/// let std = Unit::new(2, GeoPoint::new(48.85, 2.36), Kind::Stage3e, w);
/// let slot = Slot::new(10, GeoPoint::new(48.86, 2.35), Kind::Stage3e, w, 1);
/// let out = solve(&Problem { units: vec![rep, std], slots: vec![slot] }, &MatchConfig::default())?;
/// assert_eq!(out.assignments[0].unit, 1); // the REP pupil is served first
/// assert_eq!(out.metrics.blocking_pairs, 0);
/// # Ok::<(), matcher::MatchError>(())
/// ```
pub fn solve(problem: &Problem, config: &MatchConfig) -> Result<MatchOutcome, MatchError> {
    let start = Instant::now();
    let groups = split(problem, config.seed)?;
    let solved: Vec<Solved> = groups
        .par_iter()
        .map(|g| solve_group(problem, g, config))
        .collect();
    let mut placement = vec![None; problem.units.len()];
    let mut times = PhaseTimes::default();
    let mut stats = SolveStats {
        groups: groups.len(),
        ..SolveStats::default()
    };
    let mut graph = Vec::new();
    for (solved, g) in solved.into_iter().zip(&groups) {
        let Solved {
            placed,
            times: t,
            stats: s,
            graph: arcs,
        } = solved;
        for (p, &u) in placed.into_iter().zip(&g.units) {
            placement[u as usize] = p.map(|(l, pair)| (g.slots[l as usize], pair));
        }
        graph.extend(arcs);
        times.index_build += t.index_build;
        times.candidates += t.candidates;
        times.solve += t.solve;
        times.verify += t.verify;
        stats.candidate_arcs += s.candidate_arcs;
        stats.widenings += s.widenings;
        stats.violations += s.violations;
    }
    let mut outcome = finish(problem, config, &groups, placement, times, stats, start);
    // Stable: each unit's arcs stay in its list's order.
    graph.sort_by_key(|&(u, _)| u);
    outcome.graph = graph.into_iter().map(|(_, arc)| arc).collect();
    Ok(outcome)
}

/// What solving one group gives: each unit's slot (group numbering) and pair, the group's
/// phase times and counters, and, with [`MatchConfig::keep_graph`], its final candidate
/// arcs keyed by the problem's unit index.
struct Solved {
    placed: Vec<Placement>,
    times: PhaseTimes,
    stats: SolveStats,
    graph: Vec<(u32, GraphArc)>,
}

/// Candidate list of one unit: arcs, and the distance of its last candidate when the list
/// was cut (`None`: every eligible slot in radius is in the list).
type Candidates = (Vec<(u32, i64)>, Option<f64>);

fn solve_group(problem: &Problem, group: &Group, config: &MatchConfig) -> Solved {
    let mut remaining: Vec<u32> = group
        .slots
        .iter()
        .map(|&s| problem.slots[s as usize].seats)
        .collect();
    let mut placed = vec![None; group.units.len()];
    let slot_curve = Curve::new(group.slots.len(), |l| {
        problem.slots[group.slots[l] as usize].point
    });
    let mut times = PhaseTimes::default();
    let mut stats = SolveStats::default();
    let mut graph = Vec::new();
    let mut lo = 0;
    while lo < group.units.len() {
        let rank = problem.units[group.units[lo] as usize].tier.rank();
        let hi = lo
            + group.units[lo..]
                .iter()
                .take_while(|&&u| problem.units[u as usize].tier.rank() == rank)
                .count();
        let tier = Tier {
            problem,
            group,
            config,
            units: &group.units[lo..hi],
            remaining: &remaining,
            slot_curve: &slot_curve,
        };
        let (flow, lists) = tier.solve(&mut times, &mut stats);
        if config.keep_graph {
            for (k, (list, _)) in lists.iter().enumerate() {
                let u = tier.units[k];
                graph.extend(list.iter().map(|&(l, cost_m)| {
                    let arc = GraphArc {
                        unit: problem.units[u as usize].id,
                        slot: problem.slots[group.slots[l as usize] as usize].id,
                        cost_m,
                    };
                    (u, arc)
                }));
            }
        }
        for (k, &slot) in flow.assign.iter().enumerate() {
            if slot != NONE {
                let u = &problem.units[tier.units[k] as usize];
                let s = &problem.slots[group.slots[slot as usize] as usize];
                if let Ok(pair) = eligibility_at(u, s, config, || u.point.distance_km(s.point)) {
                    placed[lo + k] = Some((slot, pair));
                }
            }
        }
        for p in placed[lo..hi].iter().flatten() {
            remaining[p.0 as usize] -= 1;
        }
        lo = hi;
    }
    Solved {
        placed,
        times,
        stats,
        graph,
    }
}

/// One tier of one group, on the seats the stronger tiers left.
struct Tier<'a> {
    problem: &'a Problem,
    group: &'a Group,
    config: &'a MatchConfig,
    units: &'a [u32],
    remaining: &'a [u32],
    /// The group's slots in curve order (the flow's numbering).
    slot_curve: &'a Curve,
}

impl<'a> Tier<'a> {
    /// The tier's optimal flow, with the candidate lists it was proven on.
    fn solve(&self, times: &mut PhaseTimes, stats: &mut SolveStats) -> (Flow, Vec<Candidates>) {
        let t = Instant::now();
        let open = |l: usize| self.remaining[l] > 0;
        let index = self.group.slot_index(self.problem, open);
        let remote: Vec<u32> = (0..self.group.slots.len())
            .filter(|&l| open(l) && self.slot(l as u32).remote_ok)
            .map(|l| l as u32)
            .collect();
        times.index_build += t.elapsed();

        let t = Instant::now();
        let base = self.config.candidates_per_unit.max(1);
        // Wider radii reach more slots: start their lists longer, in proportion.
        let mut width: Vec<usize> = (0..self.units.len())
            .map(|k| {
                let r =
                    self.config.radius_km(self.unit(k)) / self.config.default_radius_km.max(1.0);
                (base as f64 * r.clamp(1.0, 4.0)).round() as usize
            })
            .collect();
        let layout = Layout::new(self);
        let mut lists = self.initial_lists(&width, &index, &remote, &layout);
        times.candidates += t.elapsed();
        // MATCHER_TRACE=1 prints one line per solve round (a profiling aid, see README).
        let trace = std::env::var_os("MATCHER_TRACE").is_some();
        if trace {
            eprintln!(
                "matcher: {:?} {} lists in {:?}",
                self.unit(0).tier,
                lists.len(),
                t.elapsed()
            );
        }
        let caps = layout.caps(self.remaining);
        let mut previous: Option<(Flow, Vec<usize>)> = None;
        let mut proven: Option<Proven> = None;
        loop {
            let t = Instant::now();
            let arcs = layout.arcs(&lists);
            let mut flow = match previous.take() {
                Some((flow, reenter)) => {
                    if trace {
                        let m = reenter.iter().filter(|&&k| flow.assign[k] != NONE).count();
                        eprintln!("matcher: lifting {} units ({m} matched)", reenter.len());
                    }
                    let reenter = reenter.iter().map(|&k| layout.unit(k));
                    flow::resume(&caps, &arcs, layout.to_flow(&flow), reenter)
                }
                None => {
                    // Units with a cheap option enter first, in steps of `ENTRY_STEP_M`: they
                    // settle the dense areas with short paths, so the costly searches of units
                    // that must displace someone (or stay out) run once prices are already
                    // set. Within a step, units enter along the curve, so that consecutive
                    // searches share what is in cache. Any order gives the same optimal value;
                    // this one is fastest, and deterministic.
                    let mut order: Vec<usize> = (0..lists.len()).collect();
                    order.sort_by_key(|&f| {
                        let cheapest = arcs.of(f).map(|a| i64::from(arcs.cost[a])).min();
                        (cheapest.unwrap_or(i64::MAX).div_euclid(ENTRY_STEP_M), f)
                    });
                    let empty = Flow::empty(lists.len(), caps.len());
                    flow::resume(&caps, &arcs, empty, order)
                }
            };
            let t_flow = t.elapsed();
            // The check below needs feasible prices that make pruned pairs pass as often as
            // possible. The flow's own slot prices do that about as well as the tightest
            // ones (fewer failing pairs, even, in tiers with seats to spare), except when
            // most units must stay out: their checks then hinge on how low the full slots'
            // prices can go, which only a full Dijkstra (`tighten`) finds.
            if self.units.len() as u64 > 2 * self.seats() {
                duals::tighten(&caps, &arcs, &mut flow);
            } else {
                duals::raise_units(&mut flow);
            }
            let flow = layout.to_engine(&flow);
            times.solve += t.elapsed();
            let t_tight = t.elapsed() - t_flow;

            let t = Instant::now();
            let violations = self.verify(&flow, &lists, proven.as_ref(), &layout, &index);
            times.verify += t.elapsed();
            if trace {
                let u = self.unit(0);
                eprintln!(
                    "matcher: {:?} week {} {:?} units {} seats {} arcs {} matched {} \
                     flow {:?} tighten {:?} verify {:?} violations {}",
                    u.kind,
                    u.weeks.first,
                    u.tier,
                    self.units.len(),
                    self.seats(),
                    arcs.slot.len(),
                    flow.assign.iter().filter(|&&a| a != NONE).count(),
                    t_flow,
                    t_tight,
                    t.elapsed(),
                    violations.len()
                );
            }
            if violations.is_empty() {
                stats.candidate_arcs += arcs.slot.len() as u64;
                return (flow, lists);
            }
            stats.widenings += 1;
            stats.violations += violations.len() as u64;
            let t = Instant::now();
            // Violations come grouped by unit; each violating unit's list is widened, and
            // its failing pairs are added if the wider list still misses them.
            let by_unit: Vec<&[(usize, u32, i64)]> =
                violations.chunk_by(|a, b| a.0 == b.0).collect();
            let widened: Vec<usize> = by_unit.iter().map(|v| v[0].0).collect();
            for &k in &widened {
                width[k] = width[k].saturating_mul(4);
            }
            let relists: Vec<Candidates> = by_unit
                .par_iter()
                .map(|bad| {
                    let k = bad[0].0;
                    let (mut list, cut) = self.widened(k, width[k], lists[k].1, &index, &remote);
                    let mut have: Vec<u32> = list.iter().map(|a| a.0).collect();
                    have.sort_unstable();
                    for &(_, slot, cost) in *bad {
                        if have.binary_search(&slot).is_err() {
                            list.push((slot, cost));
                        }
                    }
                    (list, cut)
                })
                .collect();
            for (&k, list) in widened.iter().zip(relists) {
                lists[k] = list;
            }
            let mut relisted = vec![false; self.units.len()];
            for &k in &widened {
                relisted[k] = true;
            }
            proven = Some(Proven {
                pu: flow.pu.clone(),
                ps: flow.ps.clone(),
                relisted,
            });
            // Widened units are lifted off the previous flow and enter again; the rest of
            // it, and its prices, stay (`flow::resume`).
            if trace {
                eprintln!(
                    "matcher: widened {} lists in {:?}",
                    widened.len(),
                    t.elapsed()
                );
            }
            previous = Some((flow, widened));
            times.candidates += t.elapsed();
        }
    }

    /// Seats left to this tier.
    fn seats(&self) -> u64 {
        self.remaining.iter().map(|&r| u64::from(r)).sum()
    }

    fn slot(&self, local: u32) -> &crate::model::Slot {
        &self.problem.slots[self.group.slots[local as usize] as usize]
    }

    fn unit(&self, k: usize) -> &crate::model::Unit {
        &self.problem.units[self.units[k] as usize]
    }
}

/// Granularity of the first solve's entry order (cheapest option first), in metres.
/// Measured on a week at national density: 4 km steps took the rural tier's first solve
/// from ~0.6 s (1 m steps, i.e. strictly cheapest first) to ~0.35 s; one single step (pure
/// curve order) ~0.36 s.
const ENTRY_STEP_M: i64 = 4_000;
