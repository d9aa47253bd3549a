//! `/v1/mentees`: the young people of a mentoring structure, visible to its
//! own coordinators only.
use crate::domain::{MenteeSituation, Priority, Role};
use crate::error::{ApiError, FieldError};
use crate::extract::{Caller, Upload, ValidatedJson, flatten};
use crate::import::{self, ImportReport};
use crate::pagination::{PageQuery, Paginated};
use crate::patch::Patch;
use crate::startup::AppState;
use crate::store::mentees::{self, Lookup, MenteeData, MenteeFilter, RawMentee};
use crate::store::pairings;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use entity::mentee;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

#[derive(Debug, Clone, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct MenteeIn {
    #[validate(length(min = 1, max = 100))]
    first_name: String,
    #[validate(length(min = 1, max = 100))]
    last_name: String,
    #[validate(length(max = 254))]
    email: Option<String>,
    birth_year: i32,
    situation: String,
    school_uai: Option<String>,
    commune_insee: String,
    #[serde(default)]
    qpv: bool,
    #[serde(default)]
    #[validate(length(max = 7))]
    needs: Vec<String>,
    #[serde(default)]
    #[validate(length(max = 14))]
    interests: Vec<String>,
    #[serde(default)]
    remote_ok: bool,
    available_from: Option<NaiveDate>,
}

/// A JSON merge patch (see `crate::patch`): left out keeps, `null` clears
/// an optional field (or puts back its default), a required one is a 422.
#[derive(Debug, Clone, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct MenteePatch {
    #[serde(default)]
    first_name: Patch<String>,
    #[serde(default)]
    last_name: Patch<String>,
    #[serde(default)]
    email: Patch<String>,
    #[serde(default)]
    birth_year: Patch<i32>,
    #[serde(default)]
    situation: Patch<String>,
    #[serde(default)]
    school_uai: Patch<String>,
    #[serde(default)]
    commune_insee: Patch<String>,
    #[serde(default)]
    qpv: Patch<bool>,
    #[serde(default)]
    needs: Patch<Vec<String>>,
    #[serde(default)]
    interests: Patch<Vec<String>>,
    #[serde(default)]
    remote_ok: Patch<bool>,
    #[serde(default)]
    available_from: Patch<NaiveDate>,
}

#[derive(Debug, Serialize)]
pub struct MenteeOut {
    id: Uuid,
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    birth_year: Option<i32>,
    situation: String,
    school_uai: Option<String>,
    commune_insee: Option<String>,
    departement: String,
    qpv: bool,
    needs: Vec<String>,
    interests: Vec<String>,
    remote_ok: bool,
    available_from: Option<NaiveDate>,
    /// Computed: `rep_plus`, `rep`, `rural`, `qpv` or `standard`.
    priority: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

impl From<mentee::Model> for MenteeOut {
    fn from(m: mentee::Model) -> Self {
        Self {
            id: m.id,
            first_name: m.first_name,
            last_name: m.last_name,
            email: m.email,
            birth_year: m.birth_year,
            situation: m.situation,
            school_uai: m.school_uai,
            commune_insee: m.commune_insee,
            departement: m.departement,
            qpv: m.qpv,
            needs: strings(&m.needs),
            interests: strings(&m.interests),
            remote_ok: m.remote_ok,
            available_from: m.available_from,
            priority: m.priority,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

impl MenteeIn {
    fn from_out(out: MenteeOut) -> Self {
        Self {
            first_name: out.first_name.unwrap_or_default(),
            last_name: out.last_name.unwrap_or_default(),
            email: out.email,
            birth_year: out.birth_year.unwrap_or_default(),
            situation: out.situation,
            school_uai: out.school_uai,
            commune_insee: out.commune_insee.unwrap_or_default(),
            qpv: out.qpv,
            needs: out.needs,
            interests: out.interests,
            remote_ok: out.remote_ok,
            available_from: out.available_from,
        }
    }

    fn apply(&mut self, patch: MenteePatch) -> Result<(), ApiError> {
        let mut errors = Vec::new();
        patch
            .first_name
            .apply_required("first_name", &mut self.first_name, &mut errors);
        patch
            .last_name
            .apply_required("last_name", &mut self.last_name, &mut errors);
        patch
            .birth_year
            .apply_required("birth_year", &mut self.birth_year, &mut errors);
        patch
            .situation
            .apply_required("situation", &mut self.situation, &mut errors);
        patch
            .commune_insee
            .apply_required("commune_insee", &mut self.commune_insee, &mut errors);
        patch.qpv.apply_or_default(&mut self.qpv);
        patch.needs.apply_or_default(&mut self.needs);
        patch.interests.apply_or_default(&mut self.interests);
        patch.remote_ok.apply_or_default(&mut self.remote_ok);
        patch.email.apply(&mut self.email);
        patch.school_uai.apply(&mut self.school_uai);
        patch.available_from.apply(&mut self.available_from);
        // An empty string still removes an optional text field: clients
        // written before `null` could clear one rely on it.
        for field in [&mut self.email, &mut self.school_uai] {
            if field.as_deref().is_some_and(|v| v.trim().is_empty()) {
                *field = None;
            }
        }
        ApiError::check(errors)
    }

    fn raw(&self) -> RawMentee {
        RawMentee {
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            email: self.email.clone(),
            birth_year: self.birth_year,
            situation: self.situation.clone(),
            school_uai: self.school_uai.clone(),
            commune_insee: self.commune_insee.clone(),
            qpv: self.qpv,
            needs: self.needs.clone(),
            interests: self.interests.clone(),
            remote_ok: self.remote_ok,
            available_from: self.available_from,
        }
    }
}

async fn mentee_data(
    state: &AppState,
    db: &impl ConnectionTrait,
    body: &MenteeIn,
) -> Result<MenteeData, ApiError> {
    let raw = body.raw();
    let refs = Lookup::new(&state.communes).references(db, &raw).await?;
    raw.check(&refs).map_err(ApiError::Validation)
}

/// The caller's mentoring structure: coordinators only.
pub fn structure_of(caller: &Caller) -> Result<Uuid, ApiError> {
    caller.member_of(&[Role::Coordinator])
}

fn duplicate(e: sea_orm::DbErr) -> ApiError {
    match ApiError::from(e) {
        ApiError::Conflict(_) => {
            ApiError::Conflict("a mentee with the same names and birth year already exists".into())
        }
        other => other,
    }
}

pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    ValidatedJson(body): ValidatedJson<MenteeIn>,
) -> Result<HttpResponse, ApiError> {
    let org = structure_of(&caller)?;
    let data = mentee_data(&state, &state.db, &body).await?;
    let created = mentees::insert(&state.db, org, &data, state.clock.now())
        .await
        .map_err(duplicate)?;
    Ok(HttpResponse::Created().json(MenteeOut::from(created)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MenteeListQuery {
    situation: Option<String>,
    priority: Option<String>,
    limit: Option<u64>,
    cursor: Option<String>,
}

fn parse_priority(raw: &str) -> Result<Priority, String> {
    [
        Priority::RepPlus,
        Priority::Rep,
        Priority::Rural,
        Priority::Qpv,
        Priority::Standard,
    ]
    .into_iter()
    .find(|p| p.as_str() == raw)
    .ok_or_else(|| "must be one of: rep_plus, rep, rural, qpv, standard".to_owned())
}

pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<MenteeListQuery>,
) -> Result<HttpResponse, ApiError> {
    let org = structure_of(&caller)?;
    let q = query.into_inner();
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .by_uuid()?;
    let mut errors = Vec::new();
    let filter = MenteeFilter {
        situation: q.situation.as_deref().and_then(|s| {
            MenteeSituation::parse(s)
                .map_err(|e| errors.push(FieldError::new("situation", e.to_string())))
                .ok()
        }),
        priority: q.priority.as_deref().and_then(|p| {
            parse_priority(p)
                .map_err(|m| errors.push(FieldError::new("priority", m)))
                .ok()
        }),
    };
    ApiError::check(errors)?;
    let rows = mentees::list(&state.db, org, &filter, &page).await?;
    Ok(HttpResponse::Ok().json(Paginated::from_rows(
        rows,
        page.limit,
        |m| m.id.to_string(),
        MenteeOut::from,
    )))
}

pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let org = structure_of(&caller)?;
    let found = mentees::find(&state.db, org, id.into_inner())
        .await?
        .ok_or_else(|| ApiError::not_found("mentee"))?;
    Ok(HttpResponse::Ok().json(MenteeOut::from(found)))
}

pub async fn patch(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    ValidatedJson(patch): ValidatedJson<MenteePatch>,
) -> Result<HttpResponse, ApiError> {
    let org = structure_of(&caller)?;
    // Under the row's lock, lookups included (see `mentors::patch`).
    let txn = state.db.begin().await?;
    let existing = mentees::lock(&txn, org, id.into_inner())
        .await?
        .ok_or_else(|| ApiError::not_found("mentee"))?;
    let mut merged = MenteeIn::from_out(MenteeOut::from(existing.clone()));
    merged.apply(patch)?;
    merged
        .validate()
        .map_err(|e| ApiError::Validation(flatten(&e)))?;
    let data = mentee_data(&state, &txn, &merged).await?;
    let updated = mentees::update(&txn, existing, &data, state.clock.now())
        .await
        .map_err(duplicate)?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(MenteeOut::from(updated)))
}

/// Erases the mentee (GDPR): personal fields are emptied everywhere, open
/// pairings close; the anonymous records stay for the statistics.
pub async fn erase(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let org = structure_of(&caller)?;
    let txn = state.db.begin().await?;
    let id = id.into_inner();
    let now = state.clock.now();
    let erased = mentees::erase(&txn, org, id, now).await?;
    if erased {
        pairings::forget_mentee(&txn, id, Some(caller.id), now).await?;
    }
    txn.commit().await?;
    if erased {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("mentee"))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    #[serde(default)]
    dry_run: bool,
}

/// CSV upload (`text/csv` body): see `import::mentees::COLUMNS`.
pub async fn import_csv(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ImportQuery>,
    Upload(bytes): Upload,
) -> Result<HttpResponse, ApiError> {
    let org = structure_of(&caller)?;
    if bytes.is_empty() {
        return Err(ApiError::field("file", "the file is empty"));
    }
    let report: ImportReport = import::mentees::import(
        &state.db,
        &state.communes,
        org,
        &bytes,
        query.dry_run,
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(report))
}
