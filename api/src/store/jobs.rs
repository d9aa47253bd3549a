//! The job queue: rows claimed by any worker of any process. PostgreSQL
//! claims with `FOR UPDATE SKIP LOCKED`; SQLite has one writer at a time,
//! which makes the same select-then-update safe there.
use chrono::{DateTime, Duration, Utc};
use entity::job;
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use uuid::Uuid;

pub const MATCH_REQUEST: &str = "match_request";
pub const CAMPAIGN: &str = "campaign";

pub async fn enqueue(
    db: &impl ConnectionTrait,
    kind: &str,
    target_id: Uuid,
) -> Result<Uuid, DbErr> {
    let now = Utc::now();
    let id = Uuid::now_v7();
    job::Entity::insert(job::ActiveModel {
        id: Set(id),
        kind: Set(kind.to_owned()),
        target_id: Set(target_id),
        status: Set("queued".into()),
        attempts: Set(0),
        run_after: Set(now),
        locked_until: Set(None),
        locked_by: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}

/// Takes the next due job (queued, or running with an expired lease: its
/// worker died) for `lease`.
pub async fn claim(
    db: &DatabaseConnection,
    worker: &str,
    lease: Duration,
) -> Result<Option<job::Model>, DbErr> {
    let now = Utc::now();
    let txn = db.begin().await?;
    let mut query = job::Entity::find()
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(job::Column::Status.eq("queued"))
                        .add(job::Column::RunAfter.lte(now)),
                )
                .add(
                    Condition::all()
                        .add(job::Column::Status.eq("running"))
                        .add(job::Column::LockedUntil.lt(now)),
                ),
        )
        .order_by_asc(job::Column::RunAfter)
        .limit(1);
    if db.get_database_backend() == DatabaseBackend::Postgres {
        query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let Some(found) = query.one(&txn).await? else {
        txn.commit().await?;
        return Ok(None);
    };
    let claimed = job::Entity::update(job::ActiveModel {
        id: Set(found.id),
        status: Set("running".into()),
        attempts: Set(found.attempts + 1),
        locked_until: Set(Some(now + lease)),
        locked_by: Set(Some(worker.to_owned())),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    txn.commit().await?;
    Ok(Some(claimed))
}

/// Marks the job finished, inside the transaction that wrote its results.
pub async fn finish(
    db: &impl ConnectionTrait,
    id: Uuid,
    status: &str,
    error: Option<String>,
) -> Result<(), DbErr> {
    job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(status))
        .col_expr(job::Column::LastError, Expr::value(error))
        .col_expr(
            job::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(job::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Puts a failed attempt back in the queue after `delay`.
pub async fn retry_later(
    db: &impl ConnectionTrait,
    id: Uuid,
    delay: Duration,
    error: String,
) -> Result<(), DbErr> {
    job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value("queued"))
        .col_expr(job::Column::RunAfter, Expr::value(Utc::now() + delay))
        .col_expr(job::Column::LastError, Expr::value(Some(error)))
        .col_expr(
            job::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(job::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Cancels the queued or running jobs of a target.
pub async fn cancel_for(db: &impl ConnectionTrait, target_id: Uuid) -> Result<(), DbErr> {
    job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value("cancelled"))
        .col_expr(job::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(job::Column::TargetId.eq(target_id))
        .filter(job::Column::Status.is_in(["queued", "running"]))
        .exec(db)
        .await?;
    Ok(())
}
