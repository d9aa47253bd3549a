//! `/v1/pairings`: a structure's mentor–mentee pairs and their state
//! machine. Every change is a conditional update with a history row; an
//! activation locks the mentor so that his places are never overbooked.
use super::mentees::structure_of;
use crate::domain::{MentorStatus, PairingStatus};
use crate::error::{ApiError, FieldError};
use crate::extract::{Caller, ValidatedJson};
use crate::pagination::{PageQuery, Paginated};
use crate::startup::AppState;
use crate::store::mentees;
use crate::store::pairings::{self, NewPairing, PairingFilter};
use actix_web::{HttpResponse, web};
use answer::{allowed, one, outs};
use chrono::NaiveDate;
use draft::edit_draft;
use entity::mentor;
use sea_orm::TransactionTrait;
use serde::Deserialize;
use transition::{check_mentor, move_of};
use uuid::Uuid;
use validator::Validate;

pub(crate) mod answer;
mod draft;
mod transition;

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct PairingIn {
    mentee_id: Uuid,
    mentor_id: Uuid,
    /// `draft` (default) or `proposed`.
    status: Option<String>,
    #[validate(length(max = 2000))]
    note: Option<String>,
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct PairingPatch {
    status: Option<String>,
    /// Drafts only: another mentor of the structure.
    mentor_id: Option<Uuid>,
    start_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
    end_reason: Option<String>,
    #[validate(length(max = 2000))]
    closing_note: Option<String>,
    /// Why the status changes, kept in the history.
    #[validate(length(max = 2000))]
    note: Option<String>,
}

/// Why a mentor cannot be given a pairing, on `mentor_id`: another
/// structure's mentor is unknown here, as if he did not exist; a paused or
/// inactive one takes no new mentee, as match runs and suggestions only use
/// active mentors.
fn unpairable(mentor: Option<&mentor::Model>) -> Option<FieldError> {
    match mentor {
        None => Some(FieldError::new(
            "mentor_id",
            "no such mentor in your structure",
        )),
        Some(m) if m.status != MentorStatus::Active.as_str() => Some(FieldError::new(
            "mentor_id",
            format!(
                "the mentor is {}; only an active mentor can be paired",
                m.status
            ),
        )),
        Some(_) => None,
    }
}

fn already_open(status: &str) -> ApiError {
    ApiError::Conflict(format!(
        "the mentee already has an open pairing ({status}); end or decline it first"
    ))
}

pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    ValidatedJson(body): ValidatedJson<PairingIn>,
) -> Result<HttpResponse, ApiError> {
    let org = structure_of(&caller)?;
    let mut errors = Vec::new();
    let status = match body.status.as_deref() {
        None => Some(PairingStatus::Draft),
        Some(s) => match PairingStatus::parse(s) {
            Ok(s @ (PairingStatus::Draft | PairingStatus::Proposed)) => Some(s),
            Ok(_) => {
                errors.push(FieldError::new(
                    "status",
                    "a pairing starts as draft or proposed",
                ));
                None
            }
            Err(e) => {
                errors.push(FieldError::new("status", e.to_string()));
                None
            }
        },
    };
    let txn = state.db.begin().await?;
    let mentee = mentees::find(&txn, org, body.mentee_id).await?;
    if mentee.is_none() {
        errors.push(FieldError::new(
            "mentee_id",
            "no such mentee in your structure",
        ));
    }
    // Read under the mentor's lock, as his places are: a pause committed
    // meanwhile is seen here, one committed later waits for this pairing.
    let mentor = pairings::lock_mentor(&txn, org, body.mentor_id).await?;
    errors.extend(unpairable(mentor.as_ref()));
    let (Some(mentee), Some(mentor), Some(status), true) =
        (mentee, mentor, status, errors.is_empty())
    else {
        return Err(ApiError::Validation(errors));
    };
    if let Some(open) = pairings::open_of_mentee(&txn, mentee.id).await? {
        return Err(already_open(&open.status));
    }
    // A draft or a proposal holds one of the mentor's places, as in a match
    // run or a draft's change of mentor.
    pairings::check_free_place(&txn, &mentor, None).await?;
    let created = pairings::insert(
        &txn,
        NewPairing {
            mentee: &mentee,
            mentor_id: body.mentor_id,
            status,
            origin: "manual",
            distance_km: None,
            remote: false,
            actor_id: Some(caller.id),
            note: body.note,
            at: state.clock.now(),
        },
    )
    .await
    .map_err(|e| match ApiError::from(e) {
        // Another request opened one meanwhile.
        ApiError::Conflict(_) => already_open("open"),
        other => other,
    })?;
    txn.commit().await?;
    let out = one(&state, org, created.id).await?;
    Ok(HttpResponse::Created().json(out))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairingQuery {
    status: Option<String>,
    mentee_id: Option<Uuid>,
    mentor_id: Option<Uuid>,
    limit: Option<u64>,
    cursor: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<PairingQuery>,
) -> Result<HttpResponse, ApiError> {
    let org = structure_of(&caller)?;
    let q = query.into_inner();
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .by_uuid()?;
    let status = q
        .status
        .as_deref()
        .map(|s| PairingStatus::parse(s).map_err(|e| ApiError::field("status", e.to_string())))
        .transpose()?;
    let filter = PairingFilter {
        status,
        mentee_id: q.mentee_id,
        mentor_id: q.mentor_id,
    };
    let rows = pairings::list(&state.db, org, &filter, &page).await?;
    let paginated = Paginated::from_rows(rows, page.limit, |p| p.id.to_string(), |p| p);
    let items = outs(&state.db, paginated.items, None).await?;
    Ok(HttpResponse::Ok().json(Paginated {
        items,
        next_cursor: paginated.next_cursor,
    }))
}

pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let org = structure_of(&caller)?;
    Ok(HttpResponse::Ok().json(one(&state, org, id.into_inner()).await?))
}

/// The status change, or the draft's new mentor.
pub async fn patch(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    ValidatedJson(body): ValidatedJson<PairingPatch>,
) -> Result<HttpResponse, ApiError> {
    let org = structure_of(&caller)?;
    let id = id.into_inner();
    let txn = state.db.begin().await?;
    let current = pairings::find(&txn, org, id)
        .await?
        .ok_or_else(|| ApiError::not_found("pairing"))?;
    let from = PairingStatus::parse(&current.status).map_err(|e| ApiError::Internal(e.into()))?;
    let Some(raw) = body.status.as_deref() else {
        edit_draft(state.clock.now(), &txn, org, &current, from, &body).await?;
        txn.commit().await?;
        return Ok(HttpResponse::Ok().json(one(&state, org, id).await?));
    };
    let to = PairingStatus::parse(raw).map_err(|e| ApiError::field("status", e.to_string()))?;
    if !from.next().contains(&to) {
        let allowed = allowed(&current.status);
        return Err(ApiError::Conflict(format!(
            "a {from} pairing cannot become {to}; allowed: {}",
            if allowed.is_empty() {
                "none (it is closed)".to_owned()
            } else {
                allowed.join(", ")
            }
        )));
    }
    let now = state.clock.now();
    let change = move_of(&body, &current, to, now.date_naive())?;
    if matches!(to, PairingStatus::Proposed | PairingStatus::Active) {
        check_mentor(&txn, &current, to).await?;
    }
    if !pairings::transition(&txn, id, from, to, change, Some(caller.id), now).await? {
        return Err(ApiError::Conflict(
            "the pairing changed meanwhile; read it again".into(),
        ));
    }
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(one(&state, org, id).await?))
}
