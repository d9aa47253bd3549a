//! `/v1/mentoring`: mentor suggestions per mentee, and match runs that write
//! draft pairings the coordinator reviews and publishes.
//!
//! A run is synchronous: a structure holds hundreds to a few thousand
//! mentees and a few hundred mentors, which the exact engine solves in
//! milliseconds; the answer then carries the metrics and the drafts, and the
//! coordinator reviews them at once. Its transaction locks the structure's
//! active mentors (PostgreSQL), so places are counted while no activation
//! nor concurrent run changes them; a mentee paired meanwhile hits the
//! one-open-pairing index and the run answers 409, writing nothing.
use super::mentees::structure_of;
use crate::domain::{MentorStatus, PairingStatus};
use crate::error::ApiError;
use crate::extract::{Caller, ValidatedJson};
use crate::jobs::match_run::metrics_json;
use crate::mentoring_match::{self, MentorPlaces, Suggestion};
use crate::pagination::{PageQuery, Paginated};
use crate::startup::AppState;
use crate::store::mentoring as store;
use crate::store::pairings::{self, Move, NewPairing};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{mentee, mentor, mentoring_run, pairing};
use matcher::{MatchConfig, Problem};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;
use validator::Validate;

/// Mentees per page of suggestions when none are named.
const MENTEES_PER_PAGE: u64 = 50;
const DEFAULT_SUGGESTIONS: usize = 5;

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct SuggestionsIn {
    #[validate(length(min = 1, max = 100))]
    mentee_ids: Option<Vec<Uuid>>,
    /// Widens the mentees' radius (10 km, rural 30 km) up to this, ≤ 60 km.
    #[validate(range(min = 1.0, max = 60.0))]
    max_distance_km: Option<f64>,
    /// Mentors per mentee.
    #[validate(range(min = 1, max = 20))]
    limit: Option<u32>,
    /// Leaves out mentors (and unnamed mentees) available only later.
    available_by: Option<NaiveDate>,
    /// The `next_cursor` of the previous page, when no mentee is named.
    cursor: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MenteeSuggestions {
    mentee_id: Uuid,
    priority: String,
    remote_ok: bool,
    suggestions: Vec<Suggestion>,
    /// Why `suggestions` is empty.
    no_suggestion_reason: Option<&'static str>,
}

async fn unit_of(
    state: &AppState,
    db: &impl ConnectionTrait,
    index: u64,
    mentee: &mentee::Model,
    radius: Option<f64>,
) -> Result<Option<matcher::Unit>, ApiError> {
    let commune = match &mentee.commune_insee {
        Some(code) => state.communes.get(db, code).await?,
        None => None,
    };
    Ok(mentoring_match::unit(
        index,
        mentee,
        commune.as_ref(),
        radius,
    ))
}

/// The named mentees, in the order given; one unknown is a 404 (another
/// structure's mentee is unknown here).
async fn named(state: &AppState, org: Uuid, ids: &[Uuid]) -> Result<Vec<mentee::Model>, ApiError> {
    let mut seen = HashSet::new();
    let ids: Vec<Uuid> = ids.iter().copied().filter(|id| seen.insert(*id)).collect();
    let found = store::mentees_among(&state.db, org, &ids).await?;
    ids.iter()
        .map(|id| {
            found
                .iter()
                .find(|m| m.id == *id)
                .cloned()
                .ok_or_else(|| ApiError::NotFound(format!("mentee {id} not found")))
        })
        .collect()
}

pub async fn suggestions(
    state: web::Data<AppState>,
    caller: Caller,
    ValidatedJson(body): ValidatedJson<SuggestionsIn>,
) -> Result<HttpResponse, ApiError> {
    let org = structure_of(&caller)?;
    let by = body.available_by.unwrap_or_else(|| state.clock.today());
    let (mentees, next_cursor) = match &body.mentee_ids {
        Some(_) if body.cursor.is_some() => {
            return Err(ApiError::field(
                "cursor",
                "pages are for unpaired mentees; not with mentee_ids",
            ));
        }
        Some(ids) => (named(&state, org, ids).await?, None),
        None => {
            let page = PageQuery {
                limit: Some(MENTEES_PER_PAGE),
                cursor: body.cursor.clone(),
            }
            .by_uuid()?;
            let rows =
                store::unpaired_mentees(&state.db, org, by, page.after, Some(page.limit + 1))
                    .await?;
            let page = Paginated::from_rows(rows, page.limit, |m| m.id.to_string(), |m| m);
            (page.items, page.next_cursor)
        }
    };
    let places = store::mentor_places(&state.db, org, by).await?;
    let config = MatchConfig::default();
    let limit = body.limit.map_or(DEFAULT_SUGGESTIONS, |l| l as usize);
    let mut items = Vec::with_capacity(mentees.len());
    for m in &mentees {
        let found = match unit_of(&state, &state.db, 0, m, body.max_distance_km).await? {
            Some(unit) => {
                let needs = mentoring_match::needs_of(m);
                mentoring_match::suggest(&unit, &needs, &places, &config, limit)
            }
            None => Err("no_location"),
        };
        let (suggestions, no_suggestion_reason) = match found {
            Ok(list) => (list, None),
            Err(reason) => (Vec::new(), Some(reason)),
        };
        items.push(MenteeSuggestions {
            mentee_id: m.id,
            priority: m.priority.clone(),
            remote_ok: m.remote_ok,
            suggestions,
            no_suggestion_reason,
        });
    }
    Ok(HttpResponse::Ok().json(Paginated { items, next_cursor }))
}

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
pub struct MatchRunOut {
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

async fn run_out(
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

#[derive(Debug, Serialize)]
pub struct PublishOut {
    /// The drafts moved to `proposed` by this call.
    published: Vec<Uuid>,
    run: MatchRunOut,
}

/// The drafts whose mentor is no longer `active`, as `pairing (mentor is
/// status)`, read under the mentors' locks (in id order, as a run takes
/// them) so that no pause slips in before the drafts are proposed.
async fn drafts_without_active_mentor(
    txn: &impl ConnectionTrait,
    org: Uuid,
    drafts: &[pairing::Model],
) -> Result<Vec<String>, ApiError> {
    let ids: Vec<Uuid> = drafts.iter().filter_map(|p| p.mentor_id).collect();
    let mentors: HashMap<Uuid, mentor::Model> = store::lock_mentors_among(txn, org, &ids)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    Ok(drafts
        .iter()
        .filter_map(|p| {
            let m = mentors.get(&p.mentor_id?)?;
            (m.status != MentorStatus::Active.as_str())
                .then(|| format!("{} (mentor {} is {})", p.id, m.id, m.status))
        })
        .collect())
}

/// Every draft of the run still a draft becomes `proposed`, each through
/// the pairing state machine (history row, and whatever the move triggers);
/// drafts the coordinator discarded or moved by hand stay as they are.
///
/// All or nothing: when a draft's mentor was paused or made inactive since
/// the run, nothing is proposed (409 naming those drafts), so that the
/// coordinator gives them another mentor or declines them and publishes
/// again, rather than half a run going out with some mentees left aside.
pub async fn publish_run(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let org = structure_of(&caller)?;
    let txn = state.db.begin().await?;
    let run = store::find_run(&txn, org, id.into_inner())
        .await?
        .ok_or_else(|| ApiError::not_found("match run"))?;
    let ids = store::run_pairing_ids(&run);
    let now = state.clock.now();
    let drafts: Vec<pairing::Model> = store::pairings_among(&txn, org, &ids)
        .await?
        .into_iter()
        // A draft whose mentor's profile was deleted has no one to propose to.
        .filter(|p| p.status == PairingStatus::Draft.as_str() && p.mentor_id.is_some())
        .collect();
    let stale = drafts_without_active_mentor(&txn, org, &drafts).await?;
    if !stale.is_empty() {
        return Err(ApiError::Conflict(format!(
            "nothing was published: the mentor of {} draft(s) is no longer active: {}; \
             give each another mentor (PATCH /v1/pairings/{{id}} with mentor_id) or \
             decline it, then publish again",
            stale.len(),
            stale.join(", ")
        )));
    }
    let mut published = Vec::new();
    for p in drafts {
        let change = Move {
            note: Some(format!("published with match run {}", run.id)),
            ..Move::default()
        };
        let moved = pairings::transition(
            &txn,
            p.id,
            PairingStatus::Draft,
            PairingStatus::Proposed,
            change,
            Some(caller.id),
            now,
        )
        .await?;
        if moved {
            published.push(p.id);
        }
    }
    store::mark_published(&txn, run.id, now).await?;
    txn.commit().await?;
    let run = mentoring_run::Model {
        published_at: Some(now),
        ..run
    };
    let run = run_out(&state.db, run).await?;
    Ok(HttpResponse::Ok().json(PublishOut { published, run }))
}
