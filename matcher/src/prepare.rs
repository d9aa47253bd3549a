//! Checks a problem and splits it into independent groups (kind × week).

use std::collections::{BTreeMap, HashSet};

use rayon::prelude::*;

use crate::index::SpatialIndex;
use crate::model::{Kind, Problem};

/// A problem the engine refuses, with the offending id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatchError {
    /// A unit's coordinates are not finite or its latitude is beyond ±90°.
    #[error("unit {0} has an invalid position")]
    InvalidUnitPoint(u64),
    /// A slot's coordinates are not finite or its latitude is beyond ±90°.
    #[error("slot {0} has an invalid position")]
    InvalidSlotPoint(u64),
    /// Two units share an id.
    #[error("unit id {0} appears twice")]
    DuplicateUnit(u64),
    /// Two slots share an id.
    #[error("slot id {0} appears twice")]
    DuplicateSlot(u64),
    /// A week span ends before it starts, or a single-week kind spans several weeks.
    #[error("{0} {1} has a bad week span for its kind")]
    BadWeeks(&'static str, u64),
    /// A placement given to [`evaluate`](crate::evaluate) pairs a unit with an unknown,
    /// ineligible or overfilled slot: (unit id, slot id).
    #[error("unit {0} cannot take slot {1} (unknown, ineligible or full)")]
    InvalidPlacement(u64, u64),
    /// A unit of zero pupils.
    #[error("unit {0} has a group size of zero")]
    EmptyGroup(u64),
}

/// Seeded, input-order-independent rank of an id: the tie-breaking order.
pub(crate) fn seeded_key(seed: u64, id: u64) -> u64 {
    splitmix64(seed ^ splitmix64(id))
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Units and slots that can only meet each other: same kind and, for single-week kinds,
/// same week. Indexes are positions in [`Problem::units`] / [`Problem::slots`].
pub(crate) struct Group {
    /// Unit positions, sorted by (tier rank, seeded key): the processing order.
    pub units: Vec<u32>,
    /// Slot positions, sorted by slot id.
    pub slots: Vec<u32>,
}

impl Group {
    /// Index of every slot of the group, keyed by local slot position.
    pub fn slot_index(&self, problem: &Problem, open: impl Fn(usize) -> bool) -> SpatialIndex<u32> {
        SpatialIndex::bulk_load(
            self.slots
                .iter()
                .enumerate()
                .filter(|(l, _)| open(*l))
                .map(|(l, &s)| (l as u32, problem.slots[s as usize].point))
                .collect(),
        )
    }
}

pub(crate) fn validate(problem: &Problem) -> Result<(), MatchError> {
    let mut seen = HashSet::with_capacity(problem.units.len());
    for u in &problem.units {
        if !u.point.is_valid() {
            return Err(MatchError::InvalidUnitPoint(u.id));
        }
        if !seen.insert(u.id) {
            return Err(MatchError::DuplicateUnit(u.id));
        }
        if u.weeks.first > u.weeks.last || (u.kind.single_week() && u.weeks.first != u.weeks.last) {
            return Err(MatchError::BadWeeks("unit", u.id));
        }
        if u.group_size == 0 {
            return Err(MatchError::EmptyGroup(u.id));
        }
    }
    let mut seen = HashSet::with_capacity(problem.slots.len());
    for s in &problem.slots {
        if !s.point.is_valid() {
            return Err(MatchError::InvalidSlotPoint(s.id));
        }
        if !seen.insert(s.id) {
            return Err(MatchError::DuplicateSlot(s.id));
        }
        if s.weeks.first > s.weeks.last || (s.kind.single_week() && s.weeks.first != s.weeks.last) {
            return Err(MatchError::BadWeeks("slot", s.id));
        }
    }
    Ok(())
}

fn group_key(kind: Kind, first_week: u32) -> (Kind, u32) {
    (kind, if kind.single_week() { first_week } else { 0 })
}

/// Validates and splits the problem; groups come in a fixed order.
pub(crate) fn split(problem: &Problem, seed: u64) -> Result<Vec<Group>, MatchError> {
    validate(problem)?;
    let mut groups: BTreeMap<(Kind, u32), Group> = BTreeMap::new();
    for (i, u) in problem.units.iter().enumerate() {
        groups
            .entry(group_key(u.kind, u.weeks.first))
            .or_insert_with(|| Group {
                units: Vec::new(),
                slots: Vec::new(),
            })
            .units
            .push(i as u32);
    }
    for (j, s) in problem.slots.iter().enumerate() {
        if let Some(g) = groups.get_mut(&group_key(s.kind, s.weeks.first)) {
            g.slots.push(j as u32);
        }
    }
    let mut out: Vec<Group> = groups.into_values().collect();
    out.par_iter_mut().for_each(|g| {
        // Keys computed once per unit, not at every comparison; ids are unique (checked
        // above), so an unstable sort gives the one order.
        let mut keyed: Vec<(u8, u64, u64, u32)> = g
            .units
            .iter()
            .map(|&i| {
                let u = &problem.units[i as usize];
                (u.tier.rank(), seeded_key(seed, u.id), u.id, i)
            })
            .collect();
        keyed.sort_unstable();
        g.units = keyed.into_iter().map(|k| k.3).collect();
        g.slots
            .sort_unstable_by_key(|&j| problem.slots[j as usize].id);
    });
    Ok(out)
}
