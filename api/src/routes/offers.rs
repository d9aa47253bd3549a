//! `/v1/offers`: a company's placement offers, written by its users and its
//! API clients, always scoped to the caller's organisation.
use crate::domain::{
    Email, InseeCode, IsoWeek, Location, OfferKind, OfferStatus, Role, Sector, Track, inside_france,
};
use crate::error::{ApiError, FieldError};
use crate::extract::{Caller, ValidatedJson, flatten};
use crate::pagination::{PageQuery, Paginated, encode_cursor};
use crate::patch::Patch;
use crate::reference::CommuneRef;
use crate::search::{OfferSummary, SearchQuery};
use crate::startup::AppState;
use crate::store::offers::{self, OfferData, OfferFilter, OfferRecord};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use uuid::Uuid;
use validator::Validate;

/// Group size bounds of a `classe_entreprise` offer (BRIEF §1).
const GROUP_MIN: u32 = 8;
const GROUP_MAX: u32 = 30;

#[derive(Debug, Clone, Deserialize, Serialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct WeekSeats {
    week: String,
    #[validate(range(min = 1, max = 500))]
    seats: u32,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct GroupSize {
    min: u32,
    max: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct Tutor {
    #[validate(length(min = 1, max = 120))]
    name: String,
    #[validate(email)]
    email: String,
}

#[derive(Debug, Clone, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct OfferIn {
    kind: String,
    #[validate(length(min = 1, max = 200))]
    title: String,
    #[serde(default)]
    #[validate(length(max = 5000))]
    description: String,
    sector: String,
    #[validate(length(min = 1, max = 300))]
    address: String,
    commune_insee: String,
    location: Option<Location>,
    #[validate(length(min = 1, max = 60), nested)]
    weeks: Vec<WeekSeats>,
    tracks: Option<Vec<String>>,
    #[serde(default)]
    reserved_for_priority: bool,
    group_size: Option<GroupSize>,
    #[serde(default)]
    accessible: bool,
    #[validate(nested)]
    tutor: Tutor,
    status: Option<String>,
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
    fn from_out(out: OfferOut) -> Self {
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

    fn apply(&mut self, patch: OfferPatch) -> Result<(), ApiError> {
        let mut errors = Vec::new();
        let before = self.commune_insee.clone();
        patch
            .commune_insee
            .apply_required("commune_insee", &mut self.commune_insee, &mut errors);
        if self.commune_insee != before {
            self.location = None;
        }
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
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(errors))
        }
    }

    /// Every rule that `validator` cannot express; `commune` is the reference
    /// entry of `commune_insee`, when it exists.
    fn parse(&self, commune: Option<&CommuneRef>) -> Result<OfferData, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut check = |field: String, result: Result<(), String>| {
            if let Err(message) = result {
                errors.push(FieldError::new(field, message));
            }
        };
        // `validator` counts characters; a value of spaces alone would be
        // stored empty once trimmed.
        for (field, value) in [
            ("address", &self.address),
            ("title", &self.title),
            ("tutor.name", &self.tutor.name),
        ] {
            if value.trim().is_empty() {
                check(field.into(), Err("must not be blank".into()));
            }
        }
        let kind = OfferKind::parse(&self.kind);
        check(
            "kind".into(),
            kind.as_ref().map(|_| ()).map_err(|e| e.to_string()),
        );
        let sector = Sector::parse(&self.sector);
        check(
            "sector".into(),
            sector.as_ref().map(|_| ()).map_err(|e| e.to_string()),
        );
        let insee = InseeCode::parse(&self.commune_insee);
        check(
            "commune_insee".into(),
            match (&insee, commune) {
                (Err(e), _) => Err(e.to_string()),
                (Ok(_), None) => Err("unknown commune code".into()),
                (Ok(_), Some(_)) => Ok(()),
            },
        );
        let location = match (self.location, commune) {
            (Some(l), _) => {
                check(
                    "location".into(),
                    if inside_france(l.lat, l.lon) {
                        Ok(())
                    } else {
                        Err("the location must be in France or an overseas territory".into())
                    },
                );
                Some(l)
            }
            (None, Some(c)) => Some(Location {
                lat: c.lat,
                lon: c.lon,
            }),
            (None, None) => None,
        };
        let mut seen = HashSet::new();
        let mut weeks = Vec::new();
        for (i, w) in self.weeks.iter().enumerate() {
            match IsoWeek::parse(&w.week) {
                Ok(week) if !seen.insert(week) => {
                    check(
                        format!("weeks[{i}].week"),
                        Err(format!("{week} is listed twice")),
                    );
                }
                Ok(week) => weeks.push((week, w.seats)),
                Err(e) => check(format!("weeks[{i}].week"), Err(e.to_string())),
            }
        }
        weeks.sort();
        let tracks: Vec<Track> = match (&self.tracks, &kind) {
            (Some(list), _) => list
                .iter()
                .enumerate()
                .filter_map(|(i, t)| {
                    Track::parse(t)
                        .map_err(|e| check(format!("tracks[{i}]"), Err(e.to_string())))
                        .ok()
                })
                .collect(),
            (None, Ok(OfferKind::PrepaMetiers)) => vec![Track::PrepaMetiers],
            (None, _) => Track::ALL.to_vec(),
        };
        if self.tracks.as_ref().is_some_and(Vec::is_empty) {
            check("tracks".into(), Err("at least one track is needed".into()));
        }
        if kind == Ok(OfferKind::PrepaMetiers) && tracks.iter().any(|t| *t != Track::PrepaMetiers) {
            check(
                "tracks".into(),
                Err("a prepa_metiers offer is only for the prepa_metiers track".into()),
            );
        }
        let group_size = match (&kind, self.group_size) {
            (Ok(OfferKind::ClasseEntreprise), Some(g)) => {
                if g.min < GROUP_MIN || g.max > GROUP_MAX || g.min > g.max {
                    check(
                        "group_size".into(),
                        Err(format!(
                            "a group has {GROUP_MIN} to {GROUP_MAX} pupils and min ≤ max"
                        )),
                    );
                }
                Some((g.min, g.max))
            }
            (Ok(OfferKind::ClasseEntreprise), None) => {
                check(
                    "group_size".into(),
                    Err("required for a classe_entreprise offer".into()),
                );
                None
            }
            (_, Some(_)) => {
                check(
                    "group_size".into(),
                    Err("only a classe_entreprise offer has a group size".into()),
                );
                None
            }
            (_, None) => None,
        };
        let tutor_email = Email::parse(&self.tutor.email);
        check(
            "tutor.email".into(),
            tutor_email.as_ref().map(|_| ()).map_err(|e| e.to_string()),
        );
        let status = match &self.status {
            Some(s) => OfferStatus::parse(s),
            None => Ok(OfferStatus::Published),
        };
        check(
            "status".into(),
            status.as_ref().map(|_| ()).map_err(|e| e.to_string()),
        );
        if !errors.is_empty() {
            errors.sort_by(|a, b| a.field.cmp(&b.field));
            return Err(errors);
        }
        match (kind, sector, insee, location, tutor_email, status) {
            (
                Ok(kind),
                Ok(sector),
                Ok(commune_insee),
                Some(location),
                Ok(tutor_email),
                Ok(status),
            ) => Ok(OfferData {
                kind,
                title: self.title.trim().to_owned(),
                description: self.description.clone(),
                sector,
                address: self.address.trim().to_owned(),
                commune_insee,
                location,
                weeks,
                tracks,
                reserved_for_priority: self.reserved_for_priority,
                group_size,
                accessible: self.accessible,
                tutor_name: self.tutor.name.trim().to_owned(),
                tutor_email,
                status,
            }),
            _ => Err(vec![FieldError::new("", "invalid offer")]),
        }
    }
}

/// Looks the commune up and parses the whole body, reporting every problem.
async fn offer_data(state: &AppState, body: &OfferIn) -> Result<OfferData, ApiError> {
    let commune = match InseeCode::parse(&body.commune_insee) {
        Ok(code) => state.communes.get(&state.db, code.as_str()).await?,
        Err(_) => None,
    };
    body.parse(commune.as_ref()).map_err(ApiError::Validation)
}

fn company(caller: &Caller) -> Result<Uuid, ApiError> {
    caller.member_of(&[Role::Company])
}

pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    ValidatedJson(body): ValidatedJson<OfferIn>,
) -> Result<HttpResponse, ApiError> {
    let org = company(&caller)?;
    let data = offer_data(&state, &body).await?;
    let record = offers::insert(&state.db, org, None, &data).await?;
    state.search.upsert(&record);
    Ok(HttpResponse::Created().json(OfferOut::from(record)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferListQuery {
    kind: Option<String>,
    status: Option<String>,
    week: Option<String>,
    limit: Option<u64>,
    cursor: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<OfferListQuery>,
) -> Result<HttpResponse, ApiError> {
    let org = company(&caller)?;
    let q = query.into_inner();
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .by_uuid()?;
    let mut errors = Vec::new();
    let filter = OfferFilter {
        kind: q.kind.as_deref().and_then(|k| {
            OfferKind::parse(k)
                .map_err(|e| errors.push(FieldError::new("kind", e.to_string())))
                .ok()
        }),
        status: q.status.as_deref().and_then(|s| {
            OfferStatus::parse(s)
                .map_err(|e| errors.push(FieldError::new("status", e.to_string())))
                .ok()
        }),
        week: q.week.as_deref().and_then(|w| {
            IsoWeek::parse(w)
                .map_err(|e| errors.push(FieldError::new("week", e.to_string())))
                .ok()
        }),
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let rows = offers::list(&state.db, org, &filter, &page).await?;
    Ok(HttpResponse::Ok().json(Paginated::from_rows(
        rows,
        page.limit,
        |r| r.offer.id.to_string(),
        OfferOut::from,
    )))
}

pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let org = company(&caller)?;
    let record = offers::find(&state.db, org, id.into_inner())
        .await?
        .ok_or_else(|| ApiError::not_found("offer"))?;
    Ok(HttpResponse::Ok().json(OfferOut::from(record)))
}

pub async fn patch(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    ValidatedJson(patch): ValidatedJson<OfferPatch>,
) -> Result<HttpResponse, ApiError> {
    let org = company(&caller)?;
    let record = offers::find(&state.db, org, id.into_inner())
        .await?
        .ok_or_else(|| ApiError::not_found("offer"))?;
    if record.offer.status == OfferStatus::Archived.as_str() {
        return Err(ApiError::Conflict(
            "an archived offer cannot be changed".into(),
        ));
    }
    let existing = record.offer.clone();
    let mut merged = OfferIn::from_out(OfferOut::from(record));
    merged.apply(patch)?;
    merged
        .validate()
        .map_err(|e| ApiError::Validation(flatten(&e)))?;
    let data = offer_data(&state, &merged).await?;
    seats_still_cover_placements(&state, existing.id, &data).await?;
    let updated = offers::update(&state.db, existing, &data).await?;
    state.search.upsert(&updated);
    Ok(HttpResponse::Ok().json(OfferOut::from(updated)))
}

/// A company may change its weeks and seats, but never below the seats its
/// proposed, accepted or confirmed placements hold.
async fn seats_still_cover_placements(
    state: &AppState,
    offer_id: Uuid,
    data: &OfferData,
) -> Result<(), ApiError> {
    let weeks: Vec<String> = offers::week_names(&state.db, offer_id).await?;
    let held = crate::store::placements::held_seats(&state.db, &[offer_id], &weeks).await?;
    for ((_, week), n) in held {
        let seats = data
            .weeks
            .iter()
            .find(|(w, _)| w.to_string() == week)
            .map_or(0, |(_, s)| *s);
        if seats < n {
            return Err(ApiError::Conflict(format!(
                "{n} seat(s) of {week} are held by placements; decline them before lowering the seats"
            )));
        }
    }
    Ok(())
}

pub async fn archive(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let org = company(&caller)?;
    let id = id.into_inner();
    if offers::find(&state.db, org, id).await?.is_some() {
        let weeks = offers::week_names(&state.db, id).await?;
        let held = crate::store::placements::held_seats(&state.db, &[id], &weeks).await?;
        if held.values().any(|n| *n > 0) {
            return Err(ApiError::Conflict(
                "placements still hold seats on this offer; decline them before archiving it"
                    .into(),
            ));
        }
    }
    let at = offers::archive(&state.db, org, id)
        .await?
        .ok_or_else(|| ApiError::not_found("offer"))?;
    state.search.remove(id, at);
    Ok(HttpResponse::NoContent().finish())
}

fn valid_remote_id(remote_id: &str) -> bool {
    (1..=128).contains(&remote_id.len())
        && remote_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Idempotent upsert keyed by the operator's own id: 201 when created, 200
/// when an existing offer was replaced. Sending the same body twice leaves one
/// offer with that content.
pub async fn upsert_external(
    state: web::Data<AppState>,
    caller: Caller,
    remote_id: web::Path<String>,
    ValidatedJson(body): ValidatedJson<OfferIn>,
) -> Result<HttpResponse, ApiError> {
    let org = company(&caller)?;
    let remote_id = remote_id.into_inner();
    if !valid_remote_id(&remote_id) {
        return Err(ApiError::field(
            "remote_id",
            "1 to 128 characters among letters, digits, '-', '_', '.', ':'",
        ));
    }
    let data = offer_data(&state, &body).await?;
    // Two attempts: a concurrent PUT may insert between our lookup and our
    // insert; the unique index turns that into a conflict, and the second
    // attempt finds the row and updates it.
    for _ in 0..2 {
        if let Some(existing) = offers::find_by_remote_id(&state.db, org, &remote_id).await? {
            seats_still_cover_placements(&state, existing.id, &data).await?;
            let record = offers::update(&state.db, existing, &data).await?;
            state.search.upsert(&record);
            return Ok(HttpResponse::Ok().json(OfferOut::from(record)));
        }
        match offers::insert(&state.db, org, Some(remote_id.clone()), &data).await {
            Ok(record) => {
                state.search.upsert(&record);
                return Ok(HttpResponse::Created().json(OfferOut::from(record)));
            }
            Err(e) => match ApiError::from(e) {
                ApiError::Conflict(_) => continue,
                other => return Err(other),
            },
        }
    }
    Err(ApiError::Conflict(
        "the offer is being written concurrently; retry".into(),
    ))
}

const DEFAULT_SEARCH_RADIUS_KM: f64 = 10.0;
const MAX_SEARCH_RADIUS_KM: f64 = 200.0;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    lat: f64,
    lon: f64,
    radius_km: Option<f64>,
    week: Option<String>,
    kind: Option<String>,
    sector: Option<String>,
    limit: Option<u64>,
    cursor: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SearchHit {
    #[serde(flatten)]
    offer: OfferSummary,
    distance_km: f64,
}

/// Published offers of every company around a point, nearest first, from
/// the in-memory index. Any signed-in user may search.
pub async fn search(
    state: web::Data<AppState>,
    _caller: Caller,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, ApiError> {
    let p = params.into_inner();
    let mut errors = Vec::new();
    if !inside_france(p.lat, p.lon) {
        errors.push(FieldError::new(
            "lat",
            "the point must be in France or an overseas territory",
        ));
    }
    let radius_km = p.radius_km.unwrap_or(DEFAULT_SEARCH_RADIUS_KM);
    if !(0.0..=MAX_SEARCH_RADIUS_KM).contains(&radius_km) {
        errors.push(FieldError::new(
            "radius_km",
            format!("must be between 0 and {MAX_SEARCH_RADIUS_KM}"),
        ));
    }
    let week = p.week.as_deref().and_then(|w| {
        IsoWeek::parse(w)
            .map_err(|e| errors.push(FieldError::new("week", e.to_string())))
            .ok()
    });
    let kind = p.kind.as_deref().and_then(|k| {
        OfferKind::parse(k)
            .map_err(|e| errors.push(FieldError::new("kind", e.to_string())))
            .ok()
    });
    let sector = p.sector.as_deref().and_then(|s| {
        Sector::parse(s)
            .map_err(|e| errors.push(FieldError::new("sector", e.to_string())))
            .ok()
    });
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let page = PageQuery {
        limit: p.limit,
        cursor: p.cursor,
    }
    .by_string()?;
    let offset: usize = match &page.after {
        Some(raw) => raw
            .parse()
            .map_err(|_| ApiError::field("cursor", "not a cursor returned by this API"))?,
        None => 0,
    };
    let found = state.search.search(&SearchQuery {
        point: matcher::GeoPoint::new(p.lat, p.lon),
        radius_km,
        week,
        kind,
        sector,
        offset,
        limit: page.limit as usize,
    });
    let next = offset + found.hits.len();
    let items: Vec<SearchHit> = found
        .hits
        .into_iter()
        .map(|(offer, d)| SearchHit {
            offer: (*offer).clone(),
            distance_km: (d * 1000.0).round() / 1000.0,
        })
        .collect();
    let next_cursor = found.more.then(|| encode_cursor(&next.to_string()));
    Ok(HttpResponse::Ok().json(Paginated { items, next_cursor }))
}
