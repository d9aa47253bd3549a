//! `/v1/pairings`: a structure's mentor–mentee pairs and their state
//! machine. Every change is a conditional update with a history row; an
//! activation locks the mentor so that his places are never overbooked.
use super::mentees::structure_of;
use crate::domain::{EndReason, PairingStatus};
use crate::error::{ApiError, FieldError};
use crate::extract::{Caller, ValidatedJson};
use crate::pagination::{PageQuery, Paginated};
use crate::startup::AppState;
use crate::store::meetings::{self, Figures};
use crate::store::pairings::{self, Move, NewPairing, PairingFilter};
use crate::store::{mentees, mentors};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use draft::edit_draft;
use entity::{mentee, mentor, pairing, pairing_event};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;
use validator::Validate;

mod draft;

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

#[derive(Debug, Serialize)]
pub struct PersonRef {
    id: Option<Uuid>,
    name: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct EventOut {
    at: DateTime<Utc>,
    actor_id: Option<Uuid>,
    from: Option<String>,
    to: String,
    reason: Option<String>,
    note: Option<String>,
}

impl From<pairing_event::Model> for EventOut {
    fn from(e: pairing_event::Model) -> Self {
        Self {
            at: e.at,
            actor_id: e.actor_id,
            from: e.from_status,
            to: e.to_status,
            reason: e.reason,
            note: e.note,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PairingOut {
    id: Uuid,
    mentee: PersonRef,
    mentor: PersonRef,
    status: String,
    /// The statuses a PATCH may move this pairing to.
    allowed_transitions: Vec<&'static str>,
    origin: String,
    /// The mentee's tier when paired.
    priority: String,
    departement: String,
    distance_km: Option<f64>,
    remote: bool,
    start_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
    end_reason: Option<String>,
    closing_note: Option<String>,
    proposed_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// Single-pairing answers only: every change, oldest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    history: Option<Vec<EventOut>>,
    /// Single-pairing answers only: meetings and months active.
    #[serde(skip_serializing_if = "Option::is_none")]
    figures: Option<Figures>,
}

fn allowed(status: &str) -> Vec<&'static str> {
    PairingStatus::parse(status)
        .map(|s| s.next().iter().map(|n| n.as_str()).collect())
        .unwrap_or_default()
}

/// Builds the answers with the names the coordinator knows.
async fn outs(
    db: &impl ConnectionTrait,
    rows: Vec<pairing::Model>,
    detail: Option<NaiveDate>,
) -> Result<Vec<PairingOut>, ApiError> {
    let mentee_ids: Vec<Uuid> = rows.iter().map(|p| p.mentee_id).collect();
    let mentor_ids: Vec<Uuid> = rows.iter().filter_map(|p| p.mentor_id).collect();
    let mentee_names: HashMap<Uuid, Option<String>> = mentee::Entity::find()
        .filter(mentee::Column::Id.is_in(mentee_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| {
            let name = m
                .first_name
                .zip(m.last_name)
                .map(|(f, l)| format!("{f} {l}"));
            (m.id, name)
        })
        .collect();
    let mentor_names: HashMap<Uuid, String> = mentor::Entity::find()
        .filter(mentor::Column::Id.is_in(mentor_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.display_name))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for p in rows {
        let (history, figures) = match detail {
            Some(today) => {
                let events = pairings::history(db, p.id).await?;
                let dates = meetings::dates(db, p.id).await?;
                (
                    Some(events.into_iter().map(EventOut::from).collect()),
                    Some(Figures::compute(p.start_date, p.end_date, today, &dates)),
                )
            }
            None => (None, None),
        };
        out.push(PairingOut {
            id: p.id,
            mentee: PersonRef {
                id: Some(p.mentee_id),
                name: mentee_names.get(&p.mentee_id).cloned().flatten(),
            },
            mentor: PersonRef {
                id: p.mentor_id,
                name: p.mentor_id.and_then(|id| mentor_names.get(&id).cloned()),
            },
            allowed_transitions: allowed(&p.status),
            status: p.status,
            origin: p.origin,
            priority: p.priority,
            departement: p.departement,
            distance_km: p.distance_km,
            remote: p.remote,
            start_date: p.start_date,
            end_date: p.end_date,
            end_reason: p.end_reason,
            closing_note: p.closing_note,
            proposed_at: p.proposed_at,
            created_at: p.created_at,
            updated_at: p.updated_at,
            history,
            figures,
        });
    }
    Ok(out)
}

async fn one(state: &AppState, org: Uuid, id: Uuid) -> Result<PairingOut, ApiError> {
    let found = pairings::find(&state.db, org, id)
        .await?
        .ok_or_else(|| ApiError::not_found("pairing"))?;
    outs(&state.db, vec![found], Some(state.clock.today()))
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found("pairing"))
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
    // Another structure's mentor is unknown here, as if it did not exist.
    if mentors::find(&txn, org, body.mentor_id).await?.is_none() {
        errors.push(FieldError::new(
            "mentor_id",
            "no such mentor in your structure",
        ));
    }
    let (Some(mentee), Some(status), true) = (mentee, status, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    if let Some(open) = pairings::open_of_mentee(&txn, mentee.id).await? {
        return Err(already_open(&open.status));
    }
    // A draft or a proposal holds one of the mentor's places, as in a match
    // run or a draft's change of mentor.
    pairings::check_free_place(&txn, body.mentor_id, None).await?;
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

/// The fields of a move, checked against the move and the pairing.
fn move_of(
    body: &PairingPatch,
    current: &pairing::Model,
    to: PairingStatus,
    today: NaiveDate,
) -> Result<Move, ApiError> {
    let mut errors = Vec::new();
    let only = |field: &str, when: &str, errors: &mut Vec<FieldError>| {
        errors.push(FieldError::new(field, format!("only when {when}")));
    };
    let ending = to == PairingStatus::Ended;
    let starting = to == PairingStatus::Active && current.start_date.is_none();
    if body.start_date.is_some() && !starting {
        only(
            "start_date",
            "a pairing becomes active for the first time",
            &mut errors,
        );
    }
    if !ending {
        for (field, given) in [
            ("end_date", body.end_date.is_some()),
            ("end_reason", body.end_reason.is_some()),
            ("closing_note", body.closing_note.is_some()),
        ] {
            if given {
                only(field, "the pairing ends", &mut errors);
            }
        }
    }
    if body.mentor_id.is_some() {
        errors.push(FieldError::new(
            "mentor_id",
            "the mentor of a draft changes without a change of status",
        ));
    }
    let mut change = Move {
        note: body.note.clone(),
        ..Move::default()
    };
    if starting {
        match body.start_date {
            None => errors.push(FieldError::new(
                "start_date",
                "required to make a pairing active",
            )),
            Some(date) if date > today => {
                errors.push(FieldError::new("start_date", "must not be in the future"))
            }
            Some(date) => change.start_date = Some(date),
        }
    }
    if ending {
        match body.end_reason.as_deref().map(EndReason::parse) {
            None => errors.push(FieldError::new("end_reason", "required to end a pairing")),
            Some(Err(e)) => errors.push(FieldError::new("end_reason", e.to_string())),
            Some(Ok(reason)) => change.end_reason = Some(reason),
        }
        let end = body.end_date.unwrap_or(today);
        if end > today {
            errors.push(FieldError::new("end_date", "must not be in the future"));
        } else if current.start_date.is_some_and(|start| end < start) {
            errors.push(FieldError::new(
                "end_date",
                "must not be before the start date",
            ));
        }
        change.end_date = Some(end);
        change.closing_note = body.closing_note.clone();
    }
    if errors.is_empty() {
        Ok(change)
    } else {
        errors.sort_by(|a, b| a.field.cmp(&b.field));
        Err(ApiError::Validation(errors))
    }
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
    if to == PairingStatus::Active {
        check_capacity(&txn, &current).await?;
    }
    if !pairings::transition(&txn, id, from, to, change, Some(caller.id), now).await? {
        return Err(ApiError::Conflict(
            "the pairing changed meanwhile; read it again".into(),
        ));
    }
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(one(&state, org, id).await?))
}

/// The mentor's places, counted under his lock.
async fn check_capacity(
    txn: &sea_orm::DatabaseTransaction,
    current: &pairing::Model,
) -> Result<(), ApiError> {
    let Some(mentor_id) = current.mentor_id else {
        return Err(ApiError::Conflict(
            "the mentor's profile was deleted; pair the mentee again".into(),
        ));
    };
    let mentor = pairings::lock_mentor(txn, mentor_id)
        .await?
        .ok_or_else(|| ApiError::Conflict("the mentor's profile was deleted".into()))?;
    let taken = pairings::places_taken(txn, mentor_id, current.id).await?;
    let capacity = u64::try_from(mentor.capacity).unwrap_or(0);
    if taken >= capacity {
        return Err(ApiError::Conflict(format!(
            "the mentor already accompanies {taken} mentee(s), his capacity is {capacity}"
        )));
    }
    Ok(())
}
