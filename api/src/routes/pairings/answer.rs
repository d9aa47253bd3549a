//! A pairing as answered: its parties by name, the statuses it may move
//! to and, for a single pairing, its history and figures.
use crate::domain::PairingStatus;
use crate::error::ApiError;
use crate::startup::AppState;
use crate::store::meetings::{self, Figures};
use crate::store::{mentees, mentors, pairings};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{pairing, pairing_event};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use uuid::Uuid;

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

pub(super) fn allowed(status: &str) -> Vec<&'static str> {
    PairingStatus::parse(status)
        .map(|s| s.next().iter().map(|n| n.as_str()).collect())
        .unwrap_or_default()
}

/// Builds the answers with the names the coordinator knows.
pub(super) async fn outs(
    db: &impl ConnectionTrait,
    rows: Vec<pairing::Model>,
    detail: Option<NaiveDate>,
) -> Result<Vec<PairingOut>, ApiError> {
    let mentee_ids: Vec<Uuid> = rows.iter().map(|p| p.mentee_id).collect();
    let mentor_ids: Vec<Uuid> = rows.iter().filter_map(|p| p.mentor_id).collect();
    let mentee_names = mentees::full_names(db, &mentee_ids).await?;
    let mentor_names = mentors::display_names(db, &mentor_ids).await?;
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

pub(crate) async fn one(state: &AppState, org: Uuid, id: Uuid) -> Result<PairingOut, ApiError> {
    let found = pairings::find(&state.db, org, id)
        .await?
        .ok_or_else(|| ApiError::not_found("pairing"))?;
    outs(&state.db, vec![found], Some(state.clock.today()))
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found("pairing"))
}
