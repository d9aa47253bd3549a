//! Who may take which slot (BRIEF §4.1), and what a pair costs.

use crate::model::{Kind, Slot, Unit};

/// Settings of a matching run.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchConfig {
    /// Radius for most units, km (BRIEF: 10).
    pub default_radius_km: f64,
    /// Radius for rural units, km (BRIEF: 30).
    pub rural_radius_km: f64,
    /// Cap on a radius asked by a request, km (BRIEF: 60).
    pub max_radius_km: f64,
    /// Cost bonus, km, when a slot's sector is among the unit's interests.
    pub interest_bonus_km: f64,
    /// Seed of the tie-breaking order: same problem and seed, same result.
    pub seed: u64,
    /// Initial candidate list length per unit; the exact solver widens lists as needed, so
    /// this only changes speed, never the result's optimality.
    pub candidates_per_unit: usize,
    /// Keep each tier's final candidate graph in the outcome ([`MatchOutcome::graph`]):
    /// the sparse graph on which the tier's optimum was proven, for handing to another
    /// solver. Off by default: it holds every candidate arc (millions nationally).
    ///
    /// [`MatchOutcome::graph`]: crate::MatchOutcome::graph
    pub keep_graph: bool,
}

impl Default for MatchConfig {
    fn default() -> Self {
        Self {
            default_radius_km: 10.0,
            rural_radius_km: 30.0,
            max_radius_km: 60.0,
            interest_bonus_km: 2.0,
            seed: 0,
            candidates_per_unit: 8,
            keep_graph: false,
        }
    }
}

impl MatchConfig {
    /// The unit's search radius in km: rural or default, widened (never narrowed) by the
    /// request's radius, itself capped at `max_radius_km`.
    pub fn radius_km(&self, unit: &Unit) -> f64 {
        let base = if unit.rural {
            self.rural_radius_km
        } else {
            self.default_radius_km
        };
        match unit.radius_km {
            Some(r) if r.is_finite() => base.max(r.min(self.max_radius_km)),
            _ => base,
        }
    }

    /// Interest bonus in integer cost units (metres).
    pub(crate) fn bonus_m(&self) -> i64 {
        (self.interest_bonus_km.max(0.0) * 1000.0).round() as i64
    }
}

/// Why a unit may not take a slot, in the order the checks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ineligible {
    /// Different kind, or the unit's weeks are not within the slot's.
    KindOrWeek,
    /// Slot does not accept the unit's track (prépa-métiers slots take only that track).
    Track,
    /// Group size outside the slot's range.
    GroupSize,
    /// Unit needs accessibility, slot is not accessible.
    Accessibility,
    /// Slot reserved for priority units, unit is standard.
    Reserved,
    /// Too far (beyond the unit's radius or the mentor's distance limit).
    Distance,
}

/// An eligible unit–slot pair and what it costs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    /// Great-circle distance, km.
    pub distance_km: f64,
    /// The slot's sector is among the unit's interests (mentoring: shared sectors/needs).
    pub interest_match: bool,
    /// Mentoring pair where both accept remote: distance not counted.
    pub remote: bool,
    /// Cost in metres: distance (0 when remote) less the interest bonus.
    pub cost: i64,
}

/// Eligibility of `unit` for `slot` per BRIEF §4.1, and the pair's cost.
///
/// ```
/// use matcher::{eligibility, GeoPoint, Kind, MatchConfig, Slot, Unit, WeekSpan, Ineligible};
/// let cfg = MatchConfig::default();
/// let week = WeekSpan::single(3);
/// let pupil = Unit::new(1, GeoPoint::new(48.85, 2.35), Kind::Stage3e, week);
/// let mut offer = Slot::new(9, GeoPoint::new(48.86, 2.36), Kind::Stage3e, week, 2);
/// assert!(eligibility(&pupil, &offer, &cfg).is_ok());
/// offer.reserved_for_priority = true;
/// assert_eq!(eligibility(&pupil, &offer, &cfg), Err(Ineligible::Reserved));
/// ```
pub fn eligibility(unit: &Unit, slot: &Slot, config: &MatchConfig) -> Result<Pair, Ineligible> {
    eligibility_at(unit, slot, config, || unit.point.distance_km(slot.point))
}

/// Same as [`eligibility`] with the distance supplied (already known from the index).
pub(crate) fn eligibility_at(
    unit: &Unit,
    slot: &Slot,
    config: &MatchConfig,
    distance_km: impl FnOnce() -> f64,
) -> Result<Pair, Ineligible> {
    rule_check(unit, slot)?;
    let distance_km = distance_km();
    let remote = unit.kind == Kind::Mentoring && unit.remote_ok && slot.remote_ok;
    if !remote {
        let limit = slot
            .max_distance_km
            .map_or(config.radius_km(unit), |m| m.min(config.radius_km(unit)));
        if distance_km.is_nan() || distance_km > limit {
            return Err(Ineligible::Distance);
        }
    }
    let interest_match = unit.interests.intersects(slot.sectors);
    let metres = if remote {
        0
    } else {
        (distance_km * 1000.0).round() as i64
    };
    let cost = metres - if interest_match { config.bonus_m() } else { 0 };
    Ok(Pair {
        distance_km,
        interest_match,
        remote,
        cost,
    })
}

/// Every rule of §4.1 except distance.
pub(crate) fn rule_check(unit: &Unit, slot: &Slot) -> Result<(), Ineligible> {
    if unit.kind != slot.kind || (unit.kind != Kind::Mentoring && !slot.weeks.contains(unit.weeks))
    {
        return Err(Ineligible::KindOrWeek);
    }
    if !slot.tracks.contains(unit.track)
        || (unit.kind == Kind::PrepaMetiers && unit.track != crate::model::Track::PrepaMetiers)
    {
        return Err(Ineligible::Track);
    }
    if let Some(g) = slot.group_size
        && !(g.min..=g.max).contains(&unit.group_size)
    {
        return Err(Ineligible::GroupSize);
    }
    if unit.needs_accessibility && !slot.accessible {
        return Err(Ineligible::Accessibility);
    }
    if slot.reserved_for_priority && !unit.tier.is_priority() {
        return Err(Ineligible::Reserved);
    }
    Ok(())
}
