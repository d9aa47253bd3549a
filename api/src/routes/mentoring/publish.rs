//! `POST /v1/mentoring/match-runs/{id}/publish`: a run's drafts proposed,
//! all or nothing.
use super::runs::{MatchRunOut, run_out};
use crate::domain::{MentorStatus, PairingStatus};
use crate::error::ApiError;
use crate::extract::Caller;
use crate::routes::mentees::structure_of;
use crate::startup::AppState;
use crate::store::mentoring as store;
use crate::store::pairings::{self, Move};
use actix_web::{HttpResponse, web};
use entity::{mentor, mentoring_run, pairing};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

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
            mail_by_caller: true,
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
    crate::notify::pairing::moved_ids(
        &txn,
        &published,
        Some(PairingStatus::Draft),
        PairingStatus::Proposed,
    )
    .await?;
    store::mark_published(&txn, run.id, now).await?;
    txn.commit().await?;
    let run = mentoring_run::Model {
        published_at: Some(now),
        ..run
    };
    let run = run_out(&state.db, run).await?;
    Ok(HttpResponse::Ok().json(PublishOut { published, run }))
}
