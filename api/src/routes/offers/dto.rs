//! The offer bodies on the wire: what a company sends (`OfferIn`,
//! `OfferPatch`) and what it reads back (`OfferOut`), with the conversions
//! between them and the stored record.
use crate::domain::Location;
use crate::error::ApiError;
use crate::patch::Patch;
use crate::store::offers::OfferRecord;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

#[derive(Debug, Clone, Deserialize, Serialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct WeekSeats {
    pub(super) week: String,
    #[validate(range(min = 1, max = 500))]
    pub(super) seats: u32,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct GroupSize {
    pub(super) min: u32,
    pub(super) max: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct Tutor {
    #[validate(length(min = 1, max = 120))]
    pub(super) name: String,
    #[validate(email)]
    pub(super) email: String,
}

#[derive(Debug, Clone, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct OfferIn {
    pub(super) kind: String,
    #[validate(length(min = 1, max = 200))]
    pub(super) title: String,
    #[serde(default)]
    #[validate(length(max = 5000))]
    pub(super) description: String,
    pub(super) sector: String,
    #[validate(length(min = 1, max = 300))]
    pub(super) address: String,
    pub(super) commune_insee: String,
    pub(super) location: Option<Location>,
    #[validate(length(min = 1, max = 60), nested)]
    pub(super) weeks: Vec<WeekSeats>,
    pub(super) tracks: Option<Vec<String>>,
    #[serde(default)]
    pub(super) reserved_for_priority: bool,
    pub(super) group_size: Option<GroupSize>,
    #[serde(default)]
    pub(super) accessible: bool,
    #[validate(nested)]
    pub(super) tutor: Tutor,
    pub(super) status: Option<String>,
}

/// A JSON merge patch (see `crate::patch`): left out keeps, `null` clears
/// an optional field (or puts back its default), a required one is a 422.
/// Changing the commune without a location moves the offer to the new
/// commune's centroid; so does a `null` location.
#[derive(Debug, Clone, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct OfferPatch {
    #[serde(default)]
    title: Patch<String>,
    #[serde(default)]
    description: Patch<String>,
    #[serde(default)]
    sector: Patch<String>,
    #[serde(default)]
    address: Patch<String>,
    #[serde(default)]
    commune_insee: Patch<String>,
    #[serde(default)]
    location: Patch<Location>,
    #[serde(default)]
    weeks: Patch<Vec<WeekSeats>>,
    #[serde(default)]
    tracks: Patch<Vec<String>>,
    #[serde(default)]
    reserved_for_priority: Patch<bool>,
    #[serde(default)]
    group_size: Patch<GroupSize>,
    #[serde(default)]
    accessible: Patch<bool>,
    #[serde(default)]
    tutor: Patch<Tutor>,
    #[serde(default)]
    status: Patch<String>,
}

#[derive(Debug, Serialize)]
pub struct OfferOut {
    id: Uuid,
    remote_id: Option<String>,
    kind: String,
    title: String,
    description: String,
    sector: String,
    address: String,
    commune_insee: String,
    location: Location,
    weeks: Vec<WeekSeats>,
    tracks: Vec<String>,
    reserved_for_priority: bool,
    group_size: Option<GroupSize>,
    accessible: bool,
    tutor: Tutor,
    status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn string_list(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

impl From<OfferRecord> for OfferOut {
    fn from(r: OfferRecord) -> Self {
        let o = r.offer;
        Self {
            id: o.id,
            remote_id: o.remote_id,
            kind: o.kind,
            title: o.title,
            description: o.description,
            sector: o.sector,
            address: o.address,
            commune_insee: o.commune_insee,
            location: Location {
                lat: o.lat,
                lon: o.lon,
            },
            weeks: r
                .weeks
                .into_iter()
                .map(|w| WeekSeats {
                    week: w.week,
                    seats: w.seats.max(0) as u32,
                })
                .collect(),
            tracks: string_list(&o.tracks),
            reserved_for_priority: o.reserved_for_priority,
            group_size: o.group_min.zip(o.group_max).map(|(min, max)| GroupSize {
                min: min.max(0) as u32,
                max: max.max(0) as u32,
            }),
            accessible: o.accessible,
            tutor: Tutor {
                name: o.tutor_name,
                email: o.tutor_email,
            },
            status: o.status,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

impl OfferIn {
    /// The stored offer as an input, so that a PATCH is validated exactly
    /// like a creation once merged.
    pub(super) fn from_out(out: OfferOut) -> Self {
        Self {
            kind: out.kind,
            title: out.title,
            description: out.description,
            sector: out.sector,
            address: out.address,
            commune_insee: out.commune_insee,
            location: Some(out.location),
            weeks: out.weeks,
            tracks: Some(out.tracks),
            reserved_for_priority: out.reserved_for_priority,
            group_size: out.group_size,
            accessible: out.accessible,
            tutor: out.tutor,
            status: Some(out.status),
        }
    }

    pub(super) fn apply(&mut self, patch: OfferPatch) -> Result<(), ApiError> {
        let mut errors = Vec::new();
        patch
            .commune_insee
            .apply_commune(&mut self.commune_insee, &mut self.location, &mut errors);
        patch
            .title
            .apply_required("title", &mut self.title, &mut errors);
        patch
            .sector
            .apply_required("sector", &mut self.sector, &mut errors);
        patch
            .address
            .apply_required("address", &mut self.address, &mut errors);
        patch
            .weeks
            .apply_required("weeks", &mut self.weeks, &mut errors);
        patch
            .tutor
            .apply_required("tutor", &mut self.tutor, &mut errors);
        let mut status = self.status.take().unwrap_or_default();
        patch
            .status
            .apply_required("status", &mut status, &mut errors);
        self.status = Some(status);
        patch.description.apply_or_default(&mut self.description);
        patch
            .reserved_for_priority
            .apply_or_default(&mut self.reserved_for_priority);
        patch.accessible.apply_or_default(&mut self.accessible);
        // `None` is what a creation without them means: the commune's
        // centroid, the kind's default tracks, no group size.
        patch.location.apply(&mut self.location);
        patch.tracks.apply(&mut self.tracks);
        patch.group_size.apply(&mut self.group_size);
        ApiError::check(errors)
    }
}
