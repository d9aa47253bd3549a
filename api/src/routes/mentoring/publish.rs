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

/// How many times a publication starts over when a draft of the run was
/// given another mentor while it took the mentors' locks (see
/// [`locked_drafts`]), before it answers 409 asking to publish again.
const ATTEMPTS: usize = 3;

/// The run's drafts to propose (still drafts, with a mentor) and their
/// mentors, all locked until the transaction ends: the mentors first, in id
/// order as a run takes them, then the drafts, in id order as they are
/// moved (mentor then pairing, as every writer of a pairing takes them).
///
/// The mentors to lock are those of the drafts as first read; a draft given
/// another mentor before its own lock is taken would then be checked
/// against the wrong one. So the drafts are read again under their locks,
/// and if one now has a mentor that was not locked, `None`: the caller
/// rolls back (freeing every lock) and starts over with the mentors as they
/// are, rather than take that mentor's lock now, after pairing locks and
/// out of id order. Under both locks nothing can change any more: a pause
/// of a locked mentor waits for the commit, and so does a change of mentor
/// (it writes the locked draft).
async fn locked_drafts(
    txn: &impl ConnectionTrait,
    org: Uuid,
    ids: &[Uuid],
) -> Result<Option<(Vec<pairing::Model>, HashMap<Uuid, mentor::Model>)>, ApiError> {
    let is_draft = |p: &pairing::Model| p.status == PairingStatus::Draft.as_str();
    let read: Vec<pairing::Model> = store::pairings_among(txn, org, ids)
        .await?
        .into_iter()
        .filter(is_draft)
        .collect();
    let mentor_ids: Vec<Uuid> = read.iter().filter_map(|p| p.mentor_id).collect();
    let mentors: HashMap<Uuid, mentor::Model> = store::lock_mentors_among(txn, org, &mentor_ids)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    // A pairing no longer a draft never becomes one again: only those read
    // as drafts (a draft without a mentor too: it may have been given one).
    let read_ids: Vec<Uuid> = read.iter().map(|p| p.id).collect();
    let drafts: Vec<pairing::Model> = store::lock_pairings_among(txn, org, &read_ids)
        .await?
        .into_iter()
        // Proposed or declined meanwhile: left as it is. A draft whose
        // mentor's profile was deleted has no one to propose to.
        .filter(|p| is_draft(p) && p.mentor_id.is_some())
        .collect();
    if drafts
        .iter()
        .any(|p| p.mentor_id.is_some_and(|id| !mentors.contains_key(&id)))
    {
        return Ok(None);
    }
    Ok(Some((drafts, mentors)))
}

/// The drafts whose mentor is no longer `active`, as `pairing (mentor is
/// status)`, from the mentors read under their locks ([`locked_drafts`]),
/// so that no pause slips in before the drafts are proposed.
fn drafts_without_active_mentor(
    drafts: &[pairing::Model],
    mentors: &HashMap<Uuid, mentor::Model>,
) -> Vec<String> {
    drafts
        .iter()
        .filter_map(|p| {
            let m = mentors.get(&p.mentor_id?)?;
            (m.status != MentorStatus::Active.as_str())
                .then(|| format!("{} (mentor {} is {})", p.id, m.id, m.status))
        })
        .collect()
}

/// Every draft of the run still a draft becomes `proposed`, each through
/// the pairing state machine (its history row); their e-mails are written
/// together after the moves, in the same transaction, with what they need
/// read once for the run (`notify::pairing::moved_ids`). Drafts the
/// coordinator discarded or moved by hand stay as they are.
///
/// All or nothing: when a draft's mentor was paused or made inactive since
/// the run, nothing is proposed (409 naming those drafts), so that the
/// coordinator gives them another mentor or declines them and publishes
/// again, rather than half a run going out with some mentees left aside.
///
/// A draft given another mentor while the publication waits for the
/// mentors' locks goes out to that mentor if he is active (and stops all
/// of it if he is not, as above): the publication starts over with him
/// rather than answer 409 for a change the coordinator meant, and only
/// after [`ATTEMPTS`] such changes in a row asks to publish again.
pub async fn publish_run(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let org = structure_of(&caller)?;
    let id = id.into_inner();
    for _ in 0..ATTEMPTS {
        if let Some(out) = publish_once(&state, &caller, org, id).await? {
            return Ok(HttpResponse::Ok().json(out));
        }
    }
    Err(ApiError::Conflict(
        "nothing was published: drafts of the run kept being given other mentors while it \
         was being published; publish again"
            .into(),
    ))
}

/// One try at [`publish_run`]: `None` (nothing written) when a draft
/// changed mentor meanwhile.
async fn publish_once(
    state: &AppState,
    caller: &Caller,
    org: Uuid,
    id: Uuid,
) -> Result<Option<PublishOut>, ApiError> {
    let txn = state.db.begin().await?;
    let run = store::find_run(&txn, org, id)
        .await?
        .ok_or_else(|| ApiError::not_found("match run"))?;
    let ids = store::run_pairing_ids(&run);
    let now = state.clock.now();
    let Some((drafts, mentors)) = locked_drafts(&txn, org, &ids).await? else {
        txn.rollback().await?;
        return Ok(None);
    };
    let stale = drafts_without_active_mentor(&drafts, &mentors);
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
    Ok(Some(PublishOut { published, run }))
}
