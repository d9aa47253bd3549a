//! `/v1/mentors`: mentor profiles of a company or a mentoring structure.
use crate::domain::{
    Email, InseeCode, Location, MenteeNeed, MentorStatus, Role, Sector, inside_france,
};
use crate::error::{ApiError, FieldError};
use crate::extract::{Caller, ValidatedJson, flatten};
use crate::pagination::{PageQuery, Paginated};
use crate::patch::Patch;
use crate::reference::CommuneRef;
use crate::startup::AppState;
use crate::store::mentors::{self, MentorData};
use crate::store::pairings;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use entity::mentor;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use uuid::Uuid;
use validator::Validate;

fn default_max_distance() -> u32 {
    20
}

fn default_capacity() -> u32 {
    1
}

/// `null` on a field whose creation default is not the type's own (20 km,
/// one mentee) stands for that default.
fn or_else(patch: Patch<u32>, default: fn() -> u32) -> Patch<u32> {
    match patch {
        Patch::Clear => Patch::Set(default()),
        other => other,
    }
}

#[derive(Debug, Clone, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct MentorIn {
    #[validate(length(min = 1, max = 120))]
    display_name: String,
    #[validate(email)]
    email: String,
    #[serde(default)]
    #[validate(length(max = 14))]
    sectors: Vec<String>,
    commune_insee: String,
    location: Option<Location>,
    #[serde(default = "default_max_distance")]
    #[validate(range(min = 1, max = 200))]
    max_distance_km: u32,
    #[serde(default)]
    remote_ok: bool,
    #[serde(default = "default_capacity")]
    #[validate(range(min = 1, max = 3, message = "a mentor accompanies 1 to 3 mentees"))]
    capacity: u32,
    available_from: Option<NaiveDate>,
    status: Option<String>,
    /// Mentee needs the mentor can help with (suggestions show shared ones).
    #[serde(default)]
    #[validate(length(max = 7))]
    helps_with: Vec<String>,
}

/// A JSON merge patch (see `crate::patch`): left out keeps, `null` puts back
/// what a creation without the field gets, a required field is a 422.
/// Changing the commune without a location moves the mentor to the new
/// commune's centroid; so does a `null` location.
#[derive(Debug, Clone, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct MentorPatch {
    #[serde(default)]
    display_name: Patch<String>,
    #[serde(default)]
    email: Patch<String>,
    #[serde(default)]
    sectors: Patch<Vec<String>>,
    #[serde(default)]
    commune_insee: Patch<String>,
    #[serde(default)]
    location: Patch<Location>,
    #[serde(default)]
    max_distance_km: Patch<u32>,
    #[serde(default)]
    remote_ok: Patch<bool>,
    #[serde(default)]
    capacity: Patch<u32>,
    #[serde(default)]
    available_from: Patch<NaiveDate>,
    #[serde(default)]
    status: Patch<String>,
    #[serde(default)]
    helps_with: Patch<Vec<String>>,
}

#[derive(Debug, Serialize)]
pub struct MentorOut {
    id: Uuid,
    display_name: String,
    email: String,
    sectors: Vec<String>,
    commune_insee: String,
    location: Location,
    max_distance_km: u32,
    remote_ok: bool,
    capacity: u32,
    available_from: Option<NaiveDate>,
    status: String,
    helps_with: Vec<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn strings(value: Option<&serde_json::Value>) -> Vec<String> {
    value
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

impl From<mentor::Model> for MentorOut {
    fn from(m: mentor::Model) -> Self {
        Self {
            id: m.id,
            display_name: m.display_name,
            email: m.email,
            sectors: m
                .sectors
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            commune_insee: m.commune_insee,
            location: Location {
                lat: m.lat,
                lon: m.lon,
            },
            max_distance_km: m.max_distance_km.max(0) as u32,
            remote_ok: m.remote_ok,
            capacity: m.capacity.max(0) as u32,
            available_from: m.available_from,
            status: m.status,
            helps_with: strings(m.helps_with.as_ref()),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

impl MentorIn {
    fn from_out(out: MentorOut) -> Self {
        Self {
            display_name: out.display_name,
            email: out.email,
            sectors: out.sectors,
            commune_insee: out.commune_insee,
            location: Some(out.location),
            max_distance_km: out.max_distance_km,
            remote_ok: out.remote_ok,
            capacity: out.capacity,
            available_from: out.available_from,
            status: Some(out.status),
            helps_with: out.helps_with,
        }
    }

    fn apply(&mut self, patch: MentorPatch) -> Result<(), ApiError> {
        let mut errors = Vec::new();
        patch
            .commune_insee
            .apply_commune(&mut self.commune_insee, &mut self.location, &mut errors);
        patch
            .display_name
            .apply_required("display_name", &mut self.display_name, &mut errors);
        patch
            .email
            .apply_required("email", &mut self.email, &mut errors);
        // Like an offer's, a status is always set: `null` putting back
        // `active` would silently reopen a paused mentor to matching.
        let mut status = self.status.take().unwrap_or_default();
        patch
            .status
            .apply_required("status", &mut status, &mut errors);
        self.status = Some(status);
        patch.sectors.apply_or_default(&mut self.sectors);
        patch.helps_with.apply_or_default(&mut self.helps_with);
        patch.remote_ok.apply_or_default(&mut self.remote_ok);
        or_else(patch.max_distance_km, default_max_distance)
            .apply_or_default(&mut self.max_distance_km);
        or_else(patch.capacity, default_capacity).apply_or_default(&mut self.capacity);
        // `None` is what a creation without them means: the commune's
        // centroid, no availability date.
        patch.location.apply(&mut self.location);
        patch.available_from.apply(&mut self.available_from);
        ApiError::check(errors)
    }

    fn parse(&self, commune: Option<&CommuneRef>) -> Result<MentorData, Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.display_name.trim().is_empty() {
            errors.push(FieldError::new("display_name", "must not be blank"));
        }
        let email = Email::parse(&self.email)
            .map_err(|e| errors.push(FieldError::new("email", e.to_string())))
            .ok();
        let mut sectors = BTreeSet::new();
        for (i, s) in self.sectors.iter().enumerate() {
            match Sector::parse(s) {
                Ok(sector) => {
                    sectors.insert(sector);
                }
                Err(e) => errors.push(FieldError::new(format!("sectors[{i}]"), e.to_string())),
            }
        }
        let mut helps_with = BTreeSet::new();
        for (i, n) in self.helps_with.iter().enumerate() {
            match MenteeNeed::parse(n.trim()) {
                Ok(need) => {
                    helps_with.insert(need);
                }
                Err(e) => errors.push(FieldError::new(format!("helps_with[{i}]"), e.to_string())),
            }
        }
        let insee = match (InseeCode::parse(&self.commune_insee), commune) {
            (Ok(code), Some(_)) => Some(code),
            (Ok(_), None) => {
                errors.push(FieldError::new("commune_insee", "unknown commune code"));
                None
            }
            (Err(e), _) => {
                errors.push(FieldError::new("commune_insee", e.to_string()));
                None
            }
        };
        let location = match (self.location, commune) {
            (Some(l), _) if !inside_france(l.lat, l.lon) => {
                errors.push(FieldError::new(
                    "location",
                    "the location must be in France or an overseas territory",
                ));
                None
            }
            (Some(l), _) => Some(l),
            (None, Some(c)) => Some(Location {
                lat: c.lat,
                lon: c.lon,
            }),
            (None, None) => None,
        };
        let status = match &self.status {
            Some(s) => MentorStatus::parse(s)
                .map_err(|e| errors.push(FieldError::new("status", e.to_string())))
                .ok(),
            None => Some(MentorStatus::Active),
        };
        match (email, insee, location, status) {
            (Some(email), Some(commune_insee), Some(location), Some(status))
                if errors.is_empty() =>
            {
                Ok(MentorData {
                    display_name: self.display_name.trim().to_owned(),
                    email,
                    sectors: sectors.into_iter().collect(),
                    commune_insee,
                    location,
                    max_distance_km: self.max_distance_km,
                    remote_ok: self.remote_ok,
                    capacity: self.capacity,
                    available_from: self.available_from,
                    status,
                    helps_with: helps_with.into_iter().collect(),
                })
            }
            _ => {
                errors.sort_by(|a, b| a.field.cmp(&b.field));
                Err(errors)
            }
        }
    }
}

async fn mentor_data(
    state: &AppState,
    db: &impl ConnectionTrait,
    body: &MentorIn,
) -> Result<MentorData, ApiError> {
    let commune = match InseeCode::parse(&body.commune_insee) {
        Ok(code) => state.communes.get(db, code.as_str()).await?,
        Err(_) => None,
    };
    body.parse(commune.as_ref()).map_err(ApiError::Validation)
}

fn owner(caller: &Caller) -> Result<Uuid, ApiError> {
    caller.member_of(&[Role::Company, Role::Coordinator])
}

pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    ValidatedJson(body): ValidatedJson<MentorIn>,
) -> Result<HttpResponse, ApiError> {
    let org = owner(&caller)?;
    let data = mentor_data(&state, &state.db, &body).await?;
    let created = mentors::insert(&state.db, org, &data, state.clock.now()).await?;
    Ok(HttpResponse::Created().json(MentorOut::from(created)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MentorListQuery {
    status: Option<String>,
    limit: Option<u64>,
    cursor: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<MentorListQuery>,
) -> Result<HttpResponse, ApiError> {
    let org = owner(&caller)?;
    let q = query.into_inner();
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .by_uuid()?;
    let status = q
        .status
        .as_deref()
        .map(|s| MentorStatus::parse(s).map_err(|e| ApiError::field("status", e.to_string())))
        .transpose()?;
    let rows = mentors::list(&state.db, org, status, &page).await?;
    Ok(HttpResponse::Ok().json(Paginated::from_rows(
        rows,
        page.limit,
        |m| m.id.to_string(),
        MentorOut::from,
    )))
}

pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let org = owner(&caller)?;
    let found = mentors::find(&state.db, org, id.into_inner())
        .await?
        .ok_or_else(|| ApiError::not_found("mentor"))?;
    Ok(HttpResponse::Ok().json(MentorOut::from(found)))
}

pub async fn patch(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    ValidatedJson(patch): ValidatedJson<MentorPatch>,
) -> Result<HttpResponse, ApiError> {
    let org = owner(&caller)?;
    // Read and written under the row's lock: two PATCHes of different
    // fields each keep the other's (PostgreSQL; SQLite has one writer).
    // Lookups go through `txn` too: on SQLite it holds the only connection.
    let txn = state.db.begin().await?;
    let existing = pairings::lock_mentor(&txn, org, id.into_inner())
        .await?
        .ok_or_else(|| ApiError::not_found("mentor"))?;
    let mut merged = MentorIn::from_out(MentorOut::from(existing.clone()));
    merged.apply(patch)?;
    merged
        .validate()
        .map_err(|e| ApiError::Validation(flatten(&e)))?;
    let data = mentor_data(&state, &txn, &merged).await?;
    let updated = mentors::update(&txn, existing, &data, state.clock.now()).await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(MentorOut::from(updated)))
}

pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let org = owner(&caller)?;
    if mentors::delete(&state.db, org, id.into_inner()).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("mentor"))
    }
}
