//! Background work shared by every `tremplin serve` process through the
//! job table: match runs (one request, or a whole campaign), placement
//! expiry, campaigns reaching their deadline, and the weekly alerts digest.
pub mod digest;
pub mod match_run;

use crate::configuration::JobSettings;
use crate::domain::PlacementStatus;
use crate::reference::CommuneCache;
use crate::store::{jobs, match_requests, placements};
use chrono::{DateTime, Utc};
use entity::job;
use match_run::RunError;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, TransactionTrait};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A matching run that keeps meeting concurrent writes gives up after this
/// many solves and is retried later as a failed attempt.
const SOLVES_PER_ATTEMPT: usize = 5;
const MAINTENANCE_EVERY: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct JobContext {
    pub db: DatabaseConnection,
    pub communes: CommuneCache,
    pub settings: JobSettings,
    pub worker: String,
    /// Links in the workflow's e-mails start here.
    pub public_base_url: String,
    /// Alert thresholds of the weekly digest.
    pub mentoring: crate::configuration::MentoringSettings,
    /// What "now" is for the workflows' dates (proposals, their expiry and
    /// reminders, requests' stamps, campaigns' deadlines, the weekly
    /// digest): the system's, or a test's. Leases and retries of jobs stay
    /// on the system's.
    pub clock: crate::clock::Clock,
}

/// Starts this process's worker.
pub fn spawn(ctx: JobContext) {
    if ctx.settings.enabled {
        tokio::spawn(worker(ctx));
    }
}

async fn worker(ctx: JobContext) {
    let poll = Duration::from_millis(ctx.settings.poll_interval_ms.max(10));
    let lease = chrono::Duration::seconds(ctx.settings.lease_secs.max(1));
    let mut last_maintenance: Option<Instant> = None;
    loop {
        if last_maintenance.is_none_or(|t| t.elapsed() >= MAINTENANCE_EVERY) {
            if let Err(e) = maintenance(&ctx).await {
                tracing::warn!(error = %e, "job maintenance failed; will retry");
            }
            last_maintenance = Some(Instant::now());
        }
        match jobs::claim(&ctx.db, &ctx.worker, lease).await {
            Ok(Some(job)) => match process(&ctx, &job).await {
                Ok(()) => {}
                Err(RunError::Crash) => {
                    tracing::error!(job = %job.id, "worker stopped before commit (test hook)");
                    return;
                }
                Err(e) => record_failure(&ctx, &job, e).await,
            },
            Ok(None) => tokio::time::sleep(poll).await,
            Err(e) => {
                tracing::warn!(error = %e, "cannot claim jobs; will retry");
                tokio::time::sleep(poll).await;
            }
        }
    }
}

/// Expires placements past their deadline, queues the reminders whose time
/// has come, starts due campaigns and sends the weekly digest. Deadlines and
/// reminders are read on the service's clock, once for the pass.
pub async fn maintenance(ctx: &JobContext) -> Result<(), DbErr> {
    let now = ctx.clock.now();
    let txn = ctx.db.begin().await?;
    let expired = placements::expire_due(&txn, now).await?;
    if !expired.is_empty() {
        let directory = crate::notify::Directory::load(&txn, &expired).await?;
        for p in &expired {
            crate::notify::changed(
                &txn,
                &ctx.public_base_url,
                &directory,
                p,
                PlacementStatus::Expired,
                p.expires_at,
                now,
            )
            .await?;
        }
    }
    txn.commit().await?;
    if !expired.is_empty() {
        tracing::info!(count = expired.len(), "placements expired");
    }
    let reminders = crate::email::release_scheduled(&ctx.db, now).await?;
    if reminders > 0 {
        tracing::info!(count = reminders, "scheduled reminders queued");
    }
    for campaign in match_requests::due_campaigns(&ctx.db, now).await? {
        start_campaign(&ctx.db, campaign.id, now).await?;
    }
    digest::run(&ctx.db, &ctx.public_base_url, &(&ctx.mentoring).into(), now).await?;
    Ok(())
}

/// Queues the campaign's run, once, whoever calls first; `now` is the
/// service's clock.
pub async fn start_campaign(
    db: &DatabaseConnection,
    campaign_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let txn = db.begin().await?;
    if !match_requests::set_campaign_status(&txn, campaign_id, &["open"], "running", now).await? {
        txn.rollback().await?;
        return Ok(false);
    }
    jobs::enqueue(&txn, jobs::CAMPAIGN, campaign_id).await?;
    txn.commit().await?;
    Ok(true)
}

pub(crate) async fn finish_job(db: &impl ConnectionTrait, job_id: Uuid) -> Result<(), DbErr> {
    jobs::finish(db, job_id, "done", None).await
}

async fn process(ctx: &JobContext, job: &job::Model) -> Result<(), RunError> {
    let (requests, campaign) = match job.kind.as_str() {
        jobs::MATCH_REQUEST => {
            let Some(request) = entity::match_request::Entity::find_by_id(job.target_id)
                .one(&ctx.db)
                .await?
            else {
                jobs::finish(&ctx.db, job.id, "cancelled", Some("request deleted".into())).await?;
                return Ok(());
            };
            (vec![request], None)
        }
        jobs::CAMPAIGN => {
            let requests = match_requests::attached_to(&ctx.db, job.target_id).await?;
            (requests, Some(job.target_id))
        }
        other => return Err(RunError::Invalid(format!("unknown job kind {other}"))),
    };
    let mut runnable = Vec::new();
    for request in requests {
        let from: &[&str] = &["queued", "waiting_campaign", "running"];
        if match_requests::set_status(&ctx.db, request.id, from, "running", None, ctx.clock.now())
            .await?
        {
            let mut request = request;
            request.status = "running".into();
            runnable.push(request);
        }
    }
    if runnable.is_empty() {
        let txn = ctx.db.begin().await?;
        if let Some(id) = campaign {
            match_requests::record_campaign_metrics(
                &txn,
                id,
                serde_json::json!({"units": 0, "matched": 0}),
                ctx.clock.now(),
            )
            .await?;
        }
        jobs::finish(
            &txn,
            job.id,
            "cancelled",
            Some("nothing left to run".into()),
        )
        .await?;
        txn.commit().await?;
        return Ok(());
    }
    let seed = runnable[0].seed as u64;
    for attempt in 1..=SOLVES_PER_ATTEMPT {
        match match_run::run_once(ctx, &runnable, seed, job.id, campaign.is_some()).await {
            Ok(summary) => {
                if let Some(id) = campaign {
                    match_requests::record_campaign_metrics(
                        &ctx.db,
                        id,
                        summary.metrics.clone(),
                        ctx.clock.now(),
                    )
                    .await?;
                }
                tracing::info!(job = %job.id, units = summary.units, matched = summary.matched, "match run committed");
                return Ok(());
            }
            Err(RunError::Stale) => {
                tracing::info!(job = %job.id, attempt, "seats, pupils or offers changed during the run; solving again");
            }
            Err(RunError::Cancelled) => {
                jobs::finish(&ctx.db, job.id, "cancelled", None).await?;
                return Ok(());
            }
            Err(other) => return Err(other),
        }
    }
    Err(RunError::Invalid(
        "the data kept changing during the run".into(),
    ))
}

async fn record_failure(ctx: &JobContext, job: &job::Model, error: RunError) {
    tracing::warn!(job = %job.id, attempt = job.attempts, error = %error, "match run failed");
    let message = error.to_string();
    let now = ctx.clock.now();
    let result = if job.attempts >= ctx.settings.max_attempts {
        let txn = async {
            let txn = ctx.db.begin().await?;
            jobs::finish(&txn, job.id, "failed", Some(message.clone())).await?;
            let targets = match job.kind.as_str() {
                jobs::CAMPAIGN => {
                    match_requests::set_campaign_status(
                        &txn,
                        job.target_id,
                        &["running"],
                        "failed",
                        now,
                    )
                    .await?;
                    match_requests::attached_to(&txn, job.target_id)
                        .await?
                        .into_iter()
                        .map(|r| r.id)
                        .collect()
                }
                _ => vec![job.target_id],
            };
            for id in targets {
                match_requests::set_status(
                    &txn,
                    id,
                    &["queued", "waiting_campaign", "running"],
                    "failed",
                    Some(message.clone()),
                    now,
                )
                .await?;
            }
            txn.commit().await
        };
        txn.await
    } else {
        let backoff = chrono::Duration::seconds(2i64.pow(job.attempts.clamp(0, 10) as u32));
        jobs::retry_later(&ctx.db, job.id, backoff, message).await
    };
    if let Err(e) = result {
        tracing::error!(job = %job.id, error = %e, "cannot record the job failure; its lease will expire and it will be claimed again");
    }
}
