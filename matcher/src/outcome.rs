//! What a run returns: proposals with their reasons, unmatched units with theirs.

use std::time::Duration;

use crate::metrics::Metrics;
use crate::model::Tier;

/// One proposal: a unit placed on a slot, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// The unit's id.
    pub unit: u64,
    /// The slot's id.
    pub slot: u64,
    /// The unit's tier (it was served in this tier's turn).
    pub tier: Tier,
    /// Great-circle distance between unit and slot, km.
    pub distance_km: f64,
    /// The slot's sector is among the unit's interests (the bonus was applied).
    pub interest_match: bool,
    /// Mentoring pair where both sides accept remote: distance was not counted.
    pub remote: bool,
    /// The pair's cost in metres (distance less the interest bonus), as optimised.
    pub cost_m: i64,
}

/// Why a unit got no proposal.
///
/// The reasons are tested in this order; the first that holds is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnmatchedReason {
    /// No slot of the unit's kind covering its week(s) lies within its radius (whatever
    /// the slot's other conditions).
    NoOfferInRadius,
    /// Slots of the right kind and week lie within the radius, but none accepts the unit
    /// (track, group size, accessibility, or seats reserved for priority units).
    NoEligibleOffer,
    /// The unit has eligible slots, all full, and at least one of them holds a unit of a
    /// strictly stronger tier: seats went to higher priority.
    SeatsTakenByHigherPriority,
    /// The unit has eligible slots, all full with units of its own tier rank: the tier had
    /// more units than those slots had seats, and the optimum left this one out.
    CapacityExhausted,
}

impl UnmatchedReason {
    /// Snake-case name, as in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            UnmatchedReason::NoOfferInRadius => "no_offer_in_radius",
            UnmatchedReason::NoEligibleOffer => "no_eligible_offer",
            UnmatchedReason::SeatsTakenByHigherPriority => "seats_taken_by_higher_priority",
            UnmatchedReason::CapacityExhausted => "capacity_exhausted",
        }
    }
}

/// A unit left without a proposal.
#[derive(Debug, Clone, PartialEq)]
pub struct Unmatched {
    /// The unit's id.
    pub unit: u64,
    /// The unit's tier.
    pub tier: Tier,
    /// Why.
    pub reason: UnmatchedReason,
}

/// Wall-clock time of each phase of a run. Phases that run per group in parallel report
/// the sum over groups (thread time); `total` is the wall time of the whole run.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PhaseTimes {
    /// Building spatial indexes of open slots.
    pub index_build: Duration,
    /// Computing candidate lists from the indexes.
    pub candidates: Duration,
    /// Solving flows on candidate graphs.
    pub solve: Duration,
    /// Proving optimality on the full eligible graph (dual check of pruned pairs).
    pub verify: Duration,
    /// Reasons for unmatched units.
    pub reasons: Duration,
    /// Metrics, including the independent blocking-pair check.
    pub metrics: Duration,
    /// Whole run, wall clock.
    pub total: Duration,
}

/// Counters about how the exact solver reached its proof.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SolveStats {
    /// Independent groups (kind × week) solved.
    pub groups: usize,
    /// Candidate arcs in the final candidate graphs.
    pub candidate_arcs: u64,
    /// Re-solves forced by pruned pairs that failed the dual check.
    pub widenings: u64,
    /// Pruned pairs found violating the dual check (then added); the check keeps at most
    /// 8 per unit and round, so this counts what it kept, not every failing pair.
    pub violations: u64,
}

/// One arc of a tier's final candidate graph (see [`MatchOutcome::graph`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphArc {
    /// The unit's id.
    pub unit: u64,
    /// The slot's id.
    pub slot: u64,
    /// The pair's cost in metres, as optimised.
    pub cost_m: i64,
}

/// Result of a matching run.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchOutcome {
    /// Proposals, in unit order of the problem.
    pub assignments: Vec<Assignment>,
    /// Units without proposal, in unit order of the problem.
    pub unmatched: Vec<Unmatched>,
    /// Run metrics.
    pub metrics: Metrics,
    /// Phase timings.
    pub times: PhaseTimes,
    /// Solver counters (zero for the greedy baseline).
    pub stats: SolveStats,
    /// With [`MatchConfig::keep_graph`](crate::MatchConfig::keep_graph), every arc of
    /// every tier's final candidate graph, in unit order of the problem: the pairs the
    /// flow was optimal on when the dual check passed. Each tier's optimum on these arcs
    /// alone (on the seats the stronger tiers left) is its optimum on all eligible pairs.
    /// Empty otherwise, and for the greedy baseline.
    pub graph: Vec<GraphArc>,
}
