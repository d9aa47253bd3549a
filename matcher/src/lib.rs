//! # matcher — fair, exact, national-scale spatial matching
//!
//! The engine behind Tremplin's placements (`stage_3e`, `prepa_metiers`,
//! `classe_entreprise`) and mentoring pairs. It is a pure library: the API converts its
//! database records into [`Unit`]s and [`Slot`]s, calls [`solve`], and stores the
//! [`MatchOutcome`].
//!
//! ## Geography
//! [`GeoPoint`] distances are great-circle (haversine, mean earth radius). The
//! [`SpatialIndex`] keeps points as 3D unit-sphere vectors in an R-tree, where straight-line
//! order is great-circle order everywhere — mainland, Réunion, New Caledonia and
//! Wallis-et-Futuna across the antimeridian alike — and converts radii exactly
//! (`chord = 2 sin(d / 2R)`).
//!
//! ```
//! use matcher::{GeoPoint, SpatialIndex};
//! let wallis = GeoPoint::new(-13.28, -176.17);
//! let futuna = GeoPoint::new(-14.29, -178.12);  // across nothing
//! let noumea = GeoPoint::new(-22.27, 166.46);   // across the antimeridian
//! let index = SpatialIndex::bulk_load(vec![(1u8, futuna), (2, noumea)]);
//! let hits = index.within_km(wallis, 2_500.0);
//! assert_eq!(hits.len(), 2);
//! assert!(hits[1].1 > 1_500.0 && hits[1].1 < 2_500.0);
//! ```
//!
//! ## The fairness contract (BRIEF §4)
//! * **Eligibility** ([`eligibility`]): same kind and week (prépa-métiers: the unit's weeks
//!   within the slot's), accepted track, distance within the unit's radius (10 km, rural
//!   30 km, a request may widen up to 60 km), accessibility when needed, reserved seats for
//!   priority tiers only, group size within range. Mentoring ignores distance when both
//!   sides accept remote.
//! * **Order**: tiers strongest first ([`Tier::rank`]: REP+, REP, rural = QPV, standard),
//!   each on the seats the stronger tiers left.
//! * **Within a tier**: the most units matched, then the least total cost (distance in
//!   metres less [`MatchConfig::interest_bonus_km`] when the sector interests the unit),
//!   optimal over *all* eligible pairs — the same counts and cost as a min-cost-flow solver
//!   on the full graph. Ties go by a seeded order: same problem and seed, same result.
//! * **Explanations**: every [`Assignment`] carries distance, tier and interest; every
//!   [`Unmatched`] unit an [`UnmatchedReason`].
//! * **Metrics**: [`Metrics`] per run, with blocking pairs counted by an independent
//!   exhaustive check ([`count_blocking_pairs`]); they must be 0.
//!
//! ```
//! use matcher::*;
//! let w = WeekSpan::single(2027 * 53 + 3);
//! let paris = GeoPoint::new(48.8566, 2.3522);
//! let mut group = Unit::new(1, paris, Kind::ClasseEntreprise, w);
//! group.group_size = 24;
//! let mut offer = Slot::new(50, GeoPoint::new(48.87, 2.33), Kind::ClasseEntreprise, w, 1);
//! offer.group_size = Some(GroupSize { min: 8, max: 30 });
//! let out = solve(&Problem { units: vec![group], slots: vec![offer] }, &MatchConfig::default())?;
//! assert_eq!(out.assignments[0].slot, 50);
//! assert_eq!(out.metrics.blocking_pairs, 0);
//! # Ok::<(), MatchError>(())
//! ```
//!
//! ## How the exact engine works
//! The problem is split into independent groups (kind × week), solved in parallel. Per group
//! and tier, each unit gets a candidate list — its nearest eligible open slots from the
//! index — and a min-cost flow is solved on that sparse graph by successive shortest paths
//! (Dijkstra with potentials; a unit may stay out at a cost larger than any total-cost
//! difference, which makes coverage come first). The flow's potentials are then checked on
//! every pruned eligible pair: a pair with negative reduced cost could improve the result,
//! so the unit's list is widened and the flow re-optimised from where it was: widened units
//! are lifted off and enter again, and a seat one of them leaves is refilled by a backward
//! shortest path (an unmatched unit takes it, someone moves in, or it becomes free), so
//! reduced costs stay non-negative throughout. When no pair fails, the potentials prove the
//! result optimal on the full graph. [`greedy`] is the baseline it is measured against.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod duals;
mod eligibility;
mod engine;
mod finish;
mod flow;
mod geo_point;
mod greedy;
mod index;
mod metrics;
mod model;
mod outcome;
mod prepare;

pub use eligibility::{Ineligible, MatchConfig, Pair, eligibility};
pub use engine::solve;
pub use geo_point::{EARTH_RADIUS_KM, GeoPoint, chord_for_km, km_for_chord};
pub use greedy::greedy;
pub use index::SpatialIndex;
pub use metrics::{Metrics, TierMetrics, count_blocking_pairs, evaluate};
pub use model::{
    BadSector, GroupSize, IsoWeek, Kind, Problem, Sectors, Slot, Tier, Track, Tracks, Unit,
    WeekSpan,
};
pub use outcome::{
    Assignment, GraphArc, MatchOutcome, PhaseTimes, SolveStats, Unmatched, UnmatchedReason,
};
pub use prepare::MatchError;
