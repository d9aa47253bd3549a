//! Mentees and mentors as the matcher's mentoring mode sees them, and the
//! ranking of suggestions. Eligibility is always `matcher::eligibility`, so
//! a suggested mentor is one a match run could choose, and the reverse.
//!
//! Suggestion score, 0–100, higher is better (deterministic: it depends on
//! the records only, ties go to the lower pair cost, then the lower mentor id):
//! `50 × proximity + 20 × shared_sector + 15 × needs_met + 15 × free_share`, where
//! * `proximity` is 1 for a remote pair (both accept remote: distance does
//!   not count), else `1 − distance / limit`, `limit` being the smaller of the
//!   mentee's radius (10 km, rural 30 km, widened by `max_distance_km` up to
//!   60 km) and the mentor's own `max_distance_km`;
//! * `shared_sector` is 1 when a mentor's sector is among the mentee's
//!   interests (the matcher's interest bonus), else 0;
//! * `needs_met` is the share of the mentee's needs the mentor declares he
//!   helps with (`helps_with`), 0 when the mentee declared none; a match run
//!   does not weigh it (the matcher's interest set holds sectors only);
//! * `free_share` is `1 − open / capacity`, open pairings being drafts,
//!   proposals, active and paused pairs: each may take one of his places.
use crate::jobs::match_run::{sectors_of, tier_of};
use crate::reference::CommuneRef;
use entity::{mentee, mentor};
use matcher::{GeoPoint, Kind, MatchConfig, Pair, Sectors, Slot, Unit, UnmatchedReason, WeekSpan};
use serde::Serialize;
use uuid::Uuid;

/// Weights of the score; they sum to 100.
const PROXIMITY_WEIGHT: f64 = 50.0;
const SECTOR_WEIGHT: f64 = 20.0;
const NEEDS_WEIGHT: f64 = 15.0;
const FREE_WEIGHT: f64 = 15.0;

/// Mentoring has no weeks: every unit and slot share this one.
const NO_WEEK: WeekSpan = WeekSpan::single(0);

/// A mentor with places left, and how many of them are taken.
#[derive(Debug, Clone)]
pub struct MentorPlaces {
    pub mentor: mentor::Model,
    /// Open pairings (draft, proposed, active, paused).
    pub open: u32,
}

impl MentorPlaces {
    pub fn capacity(&self) -> u32 {
        u32::try_from(self.mentor.capacity).unwrap_or(0)
    }

    pub fn free(&self) -> u32 {
        self.capacity().saturating_sub(self.open)
    }

    /// The matcher's slot `index` for this mentor, offering his free places.
    pub fn slot(&self, index: u64) -> Slot {
        let m = &self.mentor;
        let mut slot = Slot::new(
            index,
            GeoPoint::new(m.lat, m.lon),
            Kind::Mentoring,
            NO_WEEK,
            self.free(),
        );
        slot.sectors = sectors_of(&m.sectors);
        slot.remote_ok = m.remote_ok;
        slot.max_distance_km = Some(f64::from(m.max_distance_km.max(0)));
        slot
    }
}

/// The matcher's unit `index` for a mentee living in `commune`; `None`
/// without a known commune (nowhere to measure from).
pub fn unit(
    index: u64,
    mentee: &mentee::Model,
    commune: Option<&CommuneRef>,
    radius_km: Option<f64>,
) -> Option<Unit> {
    let commune = commune?;
    let mut unit = Unit::new(
        index,
        GeoPoint::new(commune.lat, commune.lon),
        Kind::Mentoring,
        NO_WEEK,
    );
    unit.tier = tier_of(&mentee.priority);
    unit.rural = commune.frr;
    unit.interests = sectors_of(&mentee.interests);
    unit.remote_ok = mentee.remote_ok;
    unit.radius_km = radius_km;
    Some(unit)
}

/// Why a mentee is left without a mentor, in the words of mentoring.
pub fn reason_name(reason: UnmatchedReason) -> &'static str {
    match reason {
        UnmatchedReason::NoOfferInRadius => "no_mentor_in_range",
        UnmatchedReason::NoEligibleOffer => "no_eligible_mentor",
        UnmatchedReason::SeatsTakenByHigherPriority => "places_taken_by_higher_priority",
        UnmatchedReason::CapacityExhausted => "capacity_exhausted",
    }
}

/// A mentee's load figures of a mentor.
#[derive(Debug, Clone, Serialize)]
pub struct Load {
    pub open_pairings: u32,
    pub capacity: u32,
}

/// One ranked mentor for a mentee, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub mentor_id: Uuid,
    pub display_name: String,
    pub score: f64,
    /// Great-circle distance between the mentee's commune and the mentor.
    pub distance_km: f64,
    /// Both accept remote mentoring: distance did not count.
    pub remote: bool,
    pub shared_sectors: Vec<String>,
    /// The mentee's needs the mentor declares he helps with.
    pub shared_needs: Vec<String>,
    pub load: Load,
    pub reasons: Vec<String>,
    #[serde(skip)]
    cost: i64,
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

fn letters(sectors: Sectors) -> Vec<String> {
    ('A'..='N')
        .filter(|c| sectors.contains(*c))
        .map(String::from)
        .collect()
}

/// The mentee's needs, as stored.
pub fn needs_of(mentee: &mentee::Model) -> Vec<String> {
    strings(Some(&mentee.needs))
}

fn strings(value: Option<&serde_json::Value>) -> Vec<String> {
    value
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

fn suggestion(
    unit: &Unit,
    needs: &[String],
    slot: &Slot,
    place: &MentorPlaces,
    pair: Pair,
    config: &MatchConfig,
) -> Suggestion {
    let limit = slot
        .max_distance_km
        .map_or(config.radius_km(unit), |m| m.min(config.radius_km(unit)));
    let proximity = if pair.remote || limit <= 0.0 {
        f64::from(u8::from(pair.remote))
    } else {
        (1.0 - pair.distance_km / limit).clamp(0.0, 1.0)
    };
    let shared = Sectors::from_bits(unit.interests.bits() & slot.sectors.bits());
    let capacity = place.capacity();
    let free_share = if capacity == 0 {
        0.0
    } else {
        1.0 - f64::from(place.open.min(capacity)) / f64::from(capacity)
    };
    let helps_with = strings(place.mentor.helps_with.as_ref());
    let shared_needs: Vec<String> = needs
        .iter()
        .filter(|n| helps_with.contains(n))
        .cloned()
        .collect();
    let needs_met = if needs.is_empty() {
        0.0
    } else {
        shared_needs.len() as f64 / needs.len() as f64
    };
    let score = PROXIMITY_WEIGHT * proximity
        + SECTOR_WEIGHT * f64::from(u8::from(!shared.is_empty()))
        + NEEDS_WEIGHT * needs_met
        + FREE_WEIGHT * free_share;
    let distance_km = round(pair.distance_km, 1);
    let mut reasons = vec![if pair.remote {
        format!("remote: both accept remote mentoring ({distance_km} km apart)")
    } else {
        format!("{distance_km} km away (limit {} km)", round(limit, 1))
    }];
    let shared_sectors = letters(shared);
    if !shared_sectors.is_empty() {
        reasons.push(format!("shared sectors: {}", shared_sectors.join(", ")));
    }
    if !shared_needs.is_empty() {
        reasons.push(format!(
            "helps with {} of {} need(s): {}",
            shared_needs.len(),
            needs.len(),
            shared_needs.join(", ")
        ));
    }
    reasons.push(format!(
        "load: {} open pairing(s) for {} place(s)",
        place.open, capacity
    ));
    Suggestion {
        mentor_id: place.mentor.id,
        display_name: place.mentor.display_name.clone(),
        score: round(score, 1),
        distance_km,
        remote: pair.remote,
        shared_sectors,
        shared_needs,
        load: Load {
            open_pairings: place.open,
            capacity,
        },
        reasons,
        cost: pair.cost,
    }
}

/// The `limit` best mentors with a free place for `unit`, best first; when
/// there is none, why.
pub fn suggest(
    unit: &Unit,
    needs: &[String],
    places: &[MentorPlaces],
    config: &MatchConfig,
    limit: usize,
) -> Result<Vec<Suggestion>, &'static str> {
    let mut found = Vec::new();
    let mut any_free = false;
    for (i, place) in places.iter().enumerate() {
        if place.free() == 0 {
            continue;
        }
        any_free = true;
        let slot = place.slot(i as u64);
        // Mentoring units and slots differ only by distance: every other
        // rule of the matcher holds by construction.
        if let Ok(pair) = matcher::eligibility(unit, &slot, config) {
            found.push(suggestion(unit, needs, &slot, place, pair, config));
        }
    }
    if found.is_empty() {
        return Err(if any_free {
            "no_mentor_in_range"
        } else {
            "no_mentor_with_free_place"
        });
    }
    found.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.cost.cmp(&b.cost))
            .then(a.mentor_id.cmp(&b.mentor_id))
    });
    found.truncate(limit);
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn mentor(
        id: u128,
        lat: f64,
        remote_ok: bool,
        capacity: i32,
        sectors: &[&str],
    ) -> mentor::Model {
        mentor::Model {
            id: Uuid::from_u128(id),
            organisation_id: Uuid::nil(),
            display_name: format!("M{id}"),
            email: "m@example.fr".into(),
            sectors: serde_json::json!(sectors),
            commune_insee: "75056".into(),
            lat,
            lon: 2.35,
            max_distance_km: 30,
            remote_ok,
            capacity,
            available_from: None,
            status: "active".into(),
            helps_with: Some(serde_json::json!(["orientation"])),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn mentee_unit(remote_ok: bool) -> Unit {
        let mut u = Unit::new(0, GeoPoint::new(48.85, 2.35), Kind::Mentoring, NO_WEEK);
        u.interests = "M".parse().expect("sectors");
        u.remote_ok = remote_ok;
        u
    }

    #[test]
    fn nearer_shared_sector_and_free_mentors_rank_first() {
        let places = vec![
            MentorPlaces {
                mentor: mentor(1, 48.90, false, 2, &["B"]),
                open: 0,
            },
            MentorPlaces {
                mentor: mentor(2, 48.86, false, 2, &["M"]),
                open: 0,
            },
            MentorPlaces {
                mentor: mentor(3, 48.86, false, 2, &["M"]),
                open: 1,
            },
            MentorPlaces {
                mentor: mentor(4, 48.86, false, 1, &["M"]),
                open: 1,
            },
            MentorPlaces {
                mentor: mentor(5, 49.50, false, 3, &["M"]),
                open: 0,
            },
        ];
        let cfg = MatchConfig::default();
        let found = suggest(&mentee_unit(false), &[], &places, &cfg, 10).expect("some");
        let ids: Vec<u128> = found.iter().map(|s| s.mentor_id.as_u128()).collect();
        // 4 is full, 5 is 72 km away.
        assert_eq!(ids, vec![2, 3, 1]);
        assert!(found[0].score > found[1].score && found[1].score > found[2].score);
        assert_eq!(found[0].shared_sectors, vec!["M".to_owned()]);
    }

    #[test]
    fn remote_pairs_ignore_distance_and_score_full_proximity() {
        let places = vec![MentorPlaces {
            mentor: mentor(7, 43.30, true, 1, &[]),
            open: 0,
        }];
        let cfg = MatchConfig::default();
        assert_eq!(
            suggest(&mentee_unit(false), &[], &places, &cfg, 5).map(|v| v.len()),
            Err("no_mentor_in_range")
        );
        let found = suggest(&mentee_unit(true), &[], &places, &cfg, 5).expect("remote");
        assert!(found[0].remote);
        assert_eq!(found[0].score, PROXIMITY_WEIGHT + FREE_WEIGHT);
        let full = vec![MentorPlaces {
            mentor: mentor(7, 43.30, true, 1, &[]),
            open: 1,
        }];
        assert_eq!(
            suggest(&mentee_unit(true), &[], &full, &cfg, 5).map(|v| v.len()),
            Err("no_mentor_with_free_place")
        );
    }

    #[test]
    fn a_mentor_who_helps_with_the_mentee_s_needs_ranks_higher() {
        let mut without = mentor(1, 48.86, false, 2, &["M"]);
        without.helps_with = None;
        let places = vec![
            MentorPlaces {
                mentor: without,
                open: 0,
            },
            MentorPlaces {
                mentor: mentor(2, 48.86, false, 2, &["M"]),
                open: 0,
            },
        ];
        let needs = vec!["orientation".to_owned(), "confiance".to_owned()];
        let cfg = MatchConfig::default();
        let found = suggest(&mentee_unit(false), &needs, &places, &cfg, 5).expect("some");
        assert_eq!(found[0].mentor_id, Uuid::from_u128(2));
        assert_eq!(found[0].shared_needs, vec!["orientation".to_owned()]);
        assert_eq!(found[0].score - found[1].score, NEEDS_WEIGHT / 2.0);
        assert!(
            found[0]
                .reasons
                .iter()
                .any(|r| r == "helps with 1 of 2 need(s): orientation")
        );
        assert!(found[1].shared_needs.is_empty());
    }
}
