//! Match runs: `POST /v1/mentoring/match-runs` and the runs' reading.
//!
//! A run is synchronous: a structure holds hundreds to a few thousand
//! mentees and a few hundred mentors, which the exact engine solves in
//! milliseconds; the answer then carries the metrics and the drafts, and the
//! coordinator reviews them at once. Its transaction locks the structure's
//! active mentors (PostgreSQL), so places are counted while no activation
//! nor concurrent run changes them; a mentee paired meanwhile hits the
//! one-open-pairing index and the run answers 409, writing nothing.
use super::unit_of;
use crate::domain::PairingStatus;
use crate::error::ApiError;
use crate::extract::{Caller, ValidatedJson};
use crate::jobs::match_run::metrics_json;
use crate::mentoring_match::{self, MentorPlaces};
use crate::pagination::{PageQuery, Paginated};
use crate::routes::mentees::structure_of;
use crate::startup::AppState;
use crate::store::mentoring as store;
use crate::store::pairings::{self, NewPairing};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use entity::mentoring_run;
use matcher::{MatchConfig, Problem};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use uuid::Uuid;
use validator::Validate;

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct MatchRunIn {
    #[validate(range(min = 1.0, max = 60.0))]
    max_distance_km: Option<f64>,
    available_by: Option<NaiveDate>,
    /// Tie-breaking order: same records and seed, same drafts.
    seed: Option<u32>,
}

#[derive(Debug, Serialize)]
pub(super) struct MatchRunOut {
    id: Uuid,
    seed: i64,
    max_distance_km: Option<f64>,
    available_by: NaiveDate,
    metrics: Value,
    unmatched: Value,
    /// The drafts the run wrote.
    pairing_ids: Vec<Uuid>,
    /// What those pairings are now (drafts edited, discarded, published).
    pairings_by_status: BTreeMap<&'static str, u64>,
    created_at: DateTime<Utc>,
    published_at: Option<DateTime<Utc>>,
}

pub(super) async fn run_out(
    db: &impl ConnectionTrait,
    run: mentoring_run::Model,
) -> Result<MatchRunOut, ApiError> {
    let ids = store::run_pairing_ids(&run);
    let mut by_status: BTreeMap<&'static str, u64> =
        PairingStatus::ALL.iter().map(|s| (s.as_str(), 0)).collect();
    for p in store::pairings_among(db, run.organisation_id, &ids).await? {
        if let Ok(status) = PairingStatus::parse(&p.status) {
            *by_status.entry(status.as_str()).or_default() += 1;
        }
    }
    Ok(MatchRunOut {
        id: run.id,
        seed: run.seed,
        max_distance_km: run.max_distance_km,
        available_by: run.available_by,
        metrics: run.metrics,
        unmatched: run.unmatched,
        pairing_ids: ids,
        pairings_by_status: by_status,
        created_at: run.created_at,
        published_at: run.published_at,
    })
}

fn paired_meanwhile(e: sea_orm::DbErr) -> ApiError {
    match ApiError::from(e) {
        ApiError::Conflict(_) => ApiError::Conflict(
            "a mentee was paired while the run was solving; nothing was written, run again".into(),
        ),
        other => other,
    }
}

pub async fn create_run(
    state: web::Data<AppState>,
    caller: Caller,
    ValidatedJson(body): ValidatedJson<MatchRunIn>,
) -> Result<HttpResponse, ApiError> {
    let org = structure_of(&caller)?;
    let by = body.available_by.unwrap_or_else(|| state.clock.today());
    let txn = state.db.begin().await?;
    store::lock_mentors(&txn, org).await?;
    let places: Vec<MentorPlaces> = store::mentor_places(&txn, org, by)
        .await?
        .into_iter()
        .filter(|p| p.free() > 0)
        .collect();
    let mentees = store::unpaired_mentees(&txn, org, by, None, None).await?;
    let mut units = Vec::with_capacity(mentees.len());
    let mut unmatched = Vec::new();
    for (i, m) in mentees.iter().enumerate() {
        match unit_of(&state, &txn, i as u64, m, body.max_distance_km).await? {
            Some(unit) => units.push(unit),
            None => unmatched
                .push(json!({"mentee_id": m.id, "priority": m.priority, "reason": "no_location"})),
        }
    }
    let problem = Problem {
        units,
        slots: places
            .iter()
            .enumerate()
            .map(|(i, p)| p.slot(i as u64))
            .collect(),
    };
    let seed = body.seed.unwrap_or(0);
    let config = MatchConfig {
        seed: u64::from(seed),
        ..MatchConfig::default()
    };
    let outcome = tokio::task::spawn_blocking(move || matcher::solve(&problem, &config))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("solver task failed: {e}")))?
        .map_err(|e| ApiError::Internal(e.into()))?;
    for u in &outcome.unmatched {
        let m = &mentees[u.unit as usize];
        unmatched.push(json!({
            "mentee_id": m.id,
            "priority": m.priority,
            "reason": mentoring_match::reason_name(u.reason),
        }));
    }
    let run_id = Uuid::now_v7();
    let now = state.clock.now();
    let mut ids = Vec::with_capacity(outcome.assignments.len());
    for a in &outcome.assignments {
        let created = pairings::insert(
            &txn,
            NewPairing {
                mentee: &mentees[a.unit as usize],
                mentor_id: places[a.slot as usize].mentor.id,
                status: PairingStatus::Draft,
                origin: "match_run",
                distance_km: Some((a.distance_km * 1000.0).round() / 1000.0),
                remote: a.remote,
                actor_id: Some(caller.id),
                note: Some(format!("match run {run_id}")),
                at: now,
            },
        )
        .await
        .map_err(paired_meanwhile)?;
        ids.push(created.id);
    }
    let run = mentoring_run::Model {
        id: run_id,
        organisation_id: org,
        actor_id: Some(caller.id),
        seed: i64::from(seed),
        max_distance_km: body.max_distance_km,
        available_by: by,
        metrics: metrics_json(&outcome),
        unmatched: Value::Array(unmatched),
        pairing_ids: json!(ids),
        created_at: now,
        published_at: None,
    };
    store::insert_run(&txn, run.clone()).await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(run_out(&state.db, run).await?))
}

pub async fn list_runs(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let org = structure_of(&caller)?;
    let page = query.into_inner().by_uuid()?;
    let rows = store::list_runs(&state.db, org, &page).await?;
    let page = Paginated::from_rows(rows, page.limit, |r| r.id.to_string(), |r| r);
    let mut items = Vec::with_capacity(page.items.len());
    for run in page.items {
        items.push(run_out(&state.db, run).await?);
    }
    Ok(HttpResponse::Ok().json(Paginated {
        items,
        next_cursor: page.next_cursor,
    }))
}

pub async fn get_run(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let org = structure_of(&caller)?;
    let run = store::find_run(&state.db, org, id.into_inner())
        .await?
        .ok_or_else(|| ApiError::not_found("match run"))?;
    Ok(HttpResponse::Ok().json(run_out(&state.db, run).await?))
}
