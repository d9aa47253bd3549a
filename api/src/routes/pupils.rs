//! `/v1/pupils`: a collège's pupils, visible to its own staff only.
use crate::domain::{InseeCode, PupilStatus, Role, Sector, Track};
use crate::error::{ApiError, FieldError};
use crate::extract::{Caller, Upload, ValidatedJson, flatten};
use crate::import::{self, ImportReport};
use crate::pagination::{PageQuery, Paginated};
use crate::patch::Patch;
use crate::startup::AppState;
use crate::store::pupils::{self, PupilData, PupilFilter};
use crate::store::schools::{self, SchoolContext};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use entity::pupil;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

#[derive(Debug, Clone, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct PupilIn {
    #[validate(length(min = 1, max = 100))]
    first_name: String,
    #[validate(length(min = 1, max = 100))]
    last_name: String,
    birth_date: Option<NaiveDate>,
    #[validate(length(min = 1, max = 32))]
    class_name: String,
    track: Option<String>,
    home_commune_insee: Option<String>,
    #[serde(default)]
    #[validate(length(max = 14))]
    interests: Vec<String>,
    #[serde(default)]
    needs_accessibility: bool,
    #[serde(default)]
    qpv: bool,
    #[validate(length(min = 1, max = 64))]
    external_id: Option<String>,
}

/// A JSON merge patch (see `crate::patch`): left out keeps, `null` clears
/// an optional field (or puts back its default), a required one is a 422.
#[derive(Debug, Clone, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct PupilPatch {
    #[serde(default)]
    first_name: Patch<String>,
    #[serde(default)]
    last_name: Patch<String>,
    #[serde(default)]
    birth_date: Patch<NaiveDate>,
    #[serde(default)]
    class_name: Patch<String>,
    #[serde(default)]
    track: Patch<String>,
    #[serde(default)]
    home_commune_insee: Patch<String>,
    #[serde(default)]
    interests: Patch<Vec<String>>,
    #[serde(default)]
    needs_accessibility: Patch<bool>,
    #[serde(default)]
    qpv: Patch<bool>,
    #[serde(default)]
    external_id: Patch<String>,
}

#[derive(Debug, Serialize)]
pub struct PupilOut {
    id: Uuid,
    external_id: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    birth_date: Option<NaiveDate>,
    class_name: String,
    track: String,
    home_commune_insee: Option<String>,
    interests: Vec<String>,
    needs_accessibility: bool,
    qpv: bool,
    /// Computed: `rep_plus`, `rep`, `rural`, `qpv` or `standard`.
    priority: String,
    status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<pupil::Model> for PupilOut {
    fn from(p: pupil::Model) -> Self {
        Self {
            id: p.id,
            external_id: p.external_id,
            first_name: p.first_name,
            last_name: p.last_name,
            birth_date: p.birth_date,
            class_name: p.class_name,
            track: p.track,
            home_commune_insee: p.home_commune_insee,
            interests: p
                .interests
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            needs_accessibility: p.needs_accessibility,
            qpv: p.qpv,
            priority: p.priority,
            status: p.status,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

impl PupilIn {
    fn from_out(out: PupilOut) -> Self {
        Self {
            first_name: out.first_name.unwrap_or_default(),
            last_name: out.last_name.unwrap_or_default(),
            birth_date: out.birth_date,
            class_name: out.class_name,
            track: Some(out.track),
            home_commune_insee: out.home_commune_insee,
            interests: out.interests,
            needs_accessibility: out.needs_accessibility,
            qpv: out.qpv,
            external_id: out.external_id,
        }
    }

    fn apply(&mut self, patch: PupilPatch) -> Result<(), ApiError> {
        let mut errors = Vec::new();
        patch
            .first_name
            .apply_required("first_name", &mut self.first_name, &mut errors);
        patch
            .last_name
            .apply_required("last_name", &mut self.last_name, &mut errors);
        patch
            .class_name
            .apply_required("class_name", &mut self.class_name, &mut errors);
        patch.interests.apply_or_default(&mut self.interests);
        patch
            .needs_accessibility
            .apply_or_default(&mut self.needs_accessibility);
        patch.qpv.apply_or_default(&mut self.qpv);
        // A cleared track is the default one, `generale`, as on creation.
        patch.track.apply(&mut self.track);
        patch.birth_date.apply(&mut self.birth_date);
        patch.home_commune_insee.apply(&mut self.home_commune_insee);
        patch.external_id.apply(&mut self.external_id);
        ApiError::check(errors)
    }
}

/// Parses the body; the tier comes from the school, the home commune and the
/// declared QPV flag.
async fn pupil_data(
    state: &AppState,
    db: &impl ConnectionTrait,
    school: &SchoolContext,
    body: &PupilIn,
) -> Result<PupilData, ApiError> {
    let mut errors = Vec::new();
    for (field, value) in [
        ("first_name", &body.first_name),
        ("last_name", &body.last_name),
        ("class_name", &body.class_name),
    ] {
        if value.trim().is_empty() {
            errors.push(FieldError::new(field, "must not be blank"));
        }
    }
    let track = match &body.track {
        Some(t) => Track::parse(t)
            .map_err(|e| errors.push(FieldError::new("track", e.to_string())))
            .ok(),
        None => Some(Track::Generale),
    };
    let mut interests = Vec::new();
    for (i, s) in body.interests.iter().enumerate() {
        match Sector::parse(s) {
            Ok(sector) if !interests.contains(&sector) => interests.push(sector),
            Ok(_) => {}
            Err(e) => errors.push(FieldError::new(format!("interests[{i}]"), e.to_string())),
        }
    }
    interests.sort();
    let mut home = (None, None);
    if let Some(raw) = &body.home_commune_insee {
        match InseeCode::parse(raw) {
            Ok(code) => match state.communes.get(db, code.as_str()).await? {
                Some(c) => home = (Some(code), Some(c.frr)),
                None => errors.push(FieldError::new(
                    "home_commune_insee",
                    "unknown commune code",
                )),
            },
            Err(e) => errors.push(FieldError::new("home_commune_insee", e.to_string())),
        }
    }
    if body.birth_date.is_none() && body.external_id.is_none() {
        errors.push(FieldError::new(
            "birth_date",
            "required unless an external_id identifies the pupil",
        ));
    }
    if let Some(date) = body.birth_date
        && !pupils::plausible_birth_date(date)
    {
        errors.push(FieldError::new("birth_date", "not a plausible birth date"));
    }
    match track {
        Some(track) if errors.is_empty() => Ok(PupilData {
            external_id: body.external_id.clone(),
            first_name: body.first_name.trim().to_owned(),
            last_name: body.last_name.trim().to_owned(),
            birth_date: body.birth_date,
            class_name: body.class_name.trim().to_uppercase(),
            track,
            home_commune_insee: home.0,
            interests,
            needs_accessibility: body.needs_accessibility,
            qpv: body.qpv,
            priority: school.priority(home.1, body.qpv),
        }),
        _ => {
            errors.sort_by(|a, b| a.field.cmp(&b.field));
            Err(ApiError::Validation(errors))
        }
    }
}

/// The caller's collège: school users only.
pub async fn school_of(state: &AppState, caller: &Caller) -> Result<SchoolContext, ApiError> {
    let org = caller.member_of(&[Role::School])?;
    schools::context(&state.db, &state.communes, org)
        .await?
        .ok_or_else(|| {
            ApiError::Forbidden("your organisation's collège is not in the reference data".into())
        })
}

fn duplicate(e: sea_orm::DbErr) -> ApiError {
    match ApiError::from(e) {
        ApiError::Conflict(_) => ApiError::Conflict(
            "a pupil with the same class, names and birth date (or external id) already exists"
                .into(),
        ),
        other => other,
    }
}

pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    ValidatedJson(body): ValidatedJson<PupilIn>,
) -> Result<HttpResponse, ApiError> {
    let school = school_of(&state, &caller).await?;
    let data = pupil_data(&state, &state.db, &school, &body).await?;
    let created = pupils::insert(&state.db, school.organisation_id, &data)
        .await
        .map_err(duplicate)?;
    Ok(HttpResponse::Created().json(PupilOut::from(created)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PupilListQuery {
    class_name: Option<String>,
    track: Option<String>,
    status: Option<String>,
    limit: Option<u64>,
    cursor: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<PupilListQuery>,
) -> Result<HttpResponse, ApiError> {
    let org = caller.member_of(&[Role::School])?;
    let q = query.into_inner();
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .by_uuid()?;
    let mut errors = Vec::new();
    let filter = PupilFilter {
        class_name: q.class_name.map(|c| c.trim().to_uppercase()),
        track: q.track.as_deref().and_then(|t| {
            Track::parse(t)
                .map_err(|e| errors.push(FieldError::new("track", e.to_string())))
                .ok()
        }),
        status: q.status.as_deref().and_then(|s| {
            PupilStatus::parse(s)
                .map_err(|e| errors.push(FieldError::new("status", e.to_string())))
                .ok()
        }),
    };
    ApiError::check(errors)?;
    let rows = pupils::list(&state.db, org, &filter, &page).await?;
    Ok(HttpResponse::Ok().json(Paginated::from_rows(
        rows,
        page.limit,
        |p| p.id.to_string(),
        PupilOut::from,
    )))
}

pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let org = caller.member_of(&[Role::School])?;
    let found = pupils::find(&state.db, org, id.into_inner())
        .await?
        .ok_or_else(|| ApiError::not_found("pupil"))?;
    Ok(HttpResponse::Ok().json(PupilOut::from(found)))
}

pub async fn patch(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    ValidatedJson(patch): ValidatedJson<PupilPatch>,
) -> Result<HttpResponse, ApiError> {
    let school = school_of(&state, &caller).await?;
    // Under the row's lock, lookups included (see `mentors::patch`).
    let txn = state.db.begin().await?;
    let existing = pupils::lock(&txn, school.organisation_id, id.into_inner())
        .await?
        .ok_or_else(|| ApiError::not_found("pupil"))?;
    let mut merged = PupilIn::from_out(PupilOut::from(existing.clone()));
    merged.apply(patch)?;
    merged
        .validate()
        .map_err(|e| ApiError::Validation(flatten(&e)))?;
    let data = pupil_data(&state, &txn, &school, &merged).await?;
    let updated = pupils::update(&txn, existing, &data)
        .await
        .map_err(duplicate)?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(PupilOut::from(updated)))
}

/// Erases the pupil (GDPR): personal fields are emptied everywhere and the
/// seats their placements held are released.
pub async fn erase(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let org = caller.member_of(&[Role::School])?;
    let txn = state.db.begin().await?;
    let erased = pupils::erase(&txn, org, id.into_inner()).await?;
    txn.commit().await?;
    if erased {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("pupil"))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    #[serde(default)]
    dry_run: bool,
}

/// CSV upload (`text/csv` body): see `import::pupils::COLUMNS`.
pub async fn import_csv(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ImportQuery>,
    Upload(bytes): Upload,
) -> Result<HttpResponse, ApiError> {
    let school = school_of(&state, &caller).await?;
    if bytes.is_empty() {
        return Err(ApiError::field("file", "the file is empty"));
    }
    let report: ImportReport =
        import::pupils::import(&state.db, &state.communes, &school, &bytes, query.dry_run).await?;
    Ok(HttpResponse::Ok().json(report))
}
