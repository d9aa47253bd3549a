use crate::pagination::Page;
use chrono::{DateTime, Utc};
use entity::{campaign, match_request, organisation};
use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

/// Statuses of a request whose pupils are spoken for.
pub const PENDING: [&str; 3] = ["queued", "waiting_campaign", "running"];

pub struct NewRequest {
    pub organisation_id: Uuid,
    pub campaign_id: Option<Uuid>,
    pub kind: String,
    pub week_start: String,
    pub week_end: String,
    pub radius_km: Option<f64>,
    pub seed: i64,
    pub class_name: Option<String>,
    pub pupil_ids: Vec<Uuid>,
    pub status: &'static str,
}

/// `now` is the service's clock: a request is workflow, dated like the
/// placements its run proposes.
pub async fn insert(
    db: &impl ConnectionTrait,
    new: NewRequest,
    now: DateTime<Utc>,
) -> Result<match_request::Model, DbErr> {
    match_request::Entity::insert(match_request::ActiveModel {
        id: Set(Uuid::now_v7()),
        organisation_id: Set(new.organisation_id),
        campaign_id: Set(new.campaign_id),
        kind: Set(new.kind),
        week_start: Set(new.week_start),
        week_end: Set(new.week_end),
        radius_km: Set(new.radius_km),
        seed: Set(new.seed),
        class_name: Set(new.class_name),
        pupil_ids: Set(serde_json::Value::from(
            new.pupil_ids
                .iter()
                .map(|id| id.to_string())
                .collect::<Vec<_>>(),
        )),
        status: Set(new.status.to_owned()),
        metrics: Set(None),
        unmatched: Set(None),
        error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_with_returning(db)
    .await
}

pub fn pupil_ids(request: &match_request::Model) -> Vec<Uuid> {
    request
        .pupil_ids
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().and_then(|s| Uuid::parse_str(s).ok()))
                .collect()
        })
        .unwrap_or_default()
}

pub async fn find(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    id: Uuid,
) -> Result<Option<match_request::Model>, DbErr> {
    match_request::Entity::find_by_id(id)
        .filter(match_request::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await
}

pub async fn list(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    page: &Page<Uuid>,
) -> Result<Vec<match_request::Model>, DbErr> {
    let mut query = match_request::Entity::find()
        .filter(match_request::Column::OrganisationId.eq(organisation_id))
        .order_by_asc(match_request::Column::Id);
    if let Some(after) = page.after {
        query = query.filter(match_request::Column::Id.gt(after));
    }
    query.limit(page.limit + 1).all(db).await
}

/// Locks the school's row until the transaction ends, so that its requests
/// read the pending ones and their pupils' statuses, and insert themselves,
/// one after the other: without it two requests for the same pupils, each
/// reading before the other's insert, both passed on PostgreSQL. (SQLite
/// runs on one connection, one transaction at a time.) Locking the school
/// rather than its pupils keeps the lock order trivial; a school sends few
/// requests.
pub async fn lock_school(db: &impl ConnectionTrait, organisation_id: Uuid) -> Result<(), DbErr> {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        organisation::Entity::find_by_id(organisation_id)
            .select_only()
            .column(organisation::Column::Id)
            .lock(LockType::Update)
            .into_tuple::<Uuid>()
            .one(db)
            .await?;
    }
    Ok(())
}

/// The school's requests still waiting or running.
pub async fn pending_of(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
) -> Result<Vec<match_request::Model>, DbErr> {
    match_request::Entity::find()
        .filter(match_request::Column::OrganisationId.eq(organisation_id))
        .filter(match_request::Column::Status.is_in(PENDING))
        .all(db)
        .await
}

pub async fn attached_to(
    db: &impl ConnectionTrait,
    campaign_id: Uuid,
) -> Result<Vec<match_request::Model>, DbErr> {
    match_request::Entity::find()
        .filter(match_request::Column::CampaignId.eq(campaign_id))
        .filter(match_request::Column::Status.is_in(["waiting_campaign", "running"]))
        .order_by_asc(match_request::Column::Id)
        .all(db)
        .await
}

/// Sets the status if the request is in one of `from`; returns whether it was.
pub async fn set_status(
    db: &impl ConnectionTrait,
    id: Uuid,
    from: &[&str],
    to: &str,
    error: Option<String>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = match_request::Entity::update_many()
        .col_expr(match_request::Column::Status, Expr::value(to))
        .col_expr(match_request::Column::Error, Expr::value(error))
        .col_expr(match_request::Column::UpdatedAt, Expr::value(now))
        .filter(match_request::Column::Id.eq(id))
        .filter(match_request::Column::Status.is_in(from.iter().copied()))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn record_results(
    db: &impl ConnectionTrait,
    id: Uuid,
    metrics: serde_json::Value,
    unmatched: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    match_request::Entity::update_many()
        .col_expr(match_request::Column::Status, Expr::value("done"))
        .col_expr(match_request::Column::Metrics, Expr::value(metrics))
        .col_expr(match_request::Column::Unmatched, Expr::value(unmatched))
        .col_expr(match_request::Column::UpdatedAt, Expr::value(now))
        .filter(match_request::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub struct NewCampaign {
    pub departement: String,
    pub kind: String,
    pub week: String,
    pub deadline: DateTime<Utc>,
}

pub async fn insert_campaign(
    db: &impl ConnectionTrait,
    new: NewCampaign,
    now: DateTime<Utc>,
) -> Result<campaign::Model, DbErr> {
    campaign::Entity::insert(campaign::ActiveModel {
        id: Set(Uuid::now_v7()),
        departement: Set(new.departement),
        kind: Set(new.kind),
        week: Set(new.week),
        deadline: Set(new.deadline),
        status: Set("open".into()),
        metrics: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_with_returning(db)
    .await
}

pub async fn campaign(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<campaign::Model>, DbErr> {
    campaign::Entity::find_by_id(id).one(db).await
}

pub async fn campaigns(
    db: &impl ConnectionTrait,
    page: &Page<Uuid>,
) -> Result<Vec<campaign::Model>, DbErr> {
    let mut query = campaign::Entity::find().order_by_asc(campaign::Column::Id);
    if let Some(after) = page.after {
        query = query.filter(campaign::Column::Id.gt(after));
    }
    query.limit(page.limit + 1).all(db).await
}

/// Open campaigns whose deadline has passed at `now`, the service's clock.
pub async fn due_campaigns(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Vec<campaign::Model>, DbErr> {
    campaign::Entity::find()
        .filter(campaign::Column::Status.eq("open"))
        .filter(campaign::Column::Deadline.lte(now))
        .all(db)
        .await
}

pub async fn set_campaign_status(
    db: &impl ConnectionTrait,
    id: Uuid,
    from: &[&str],
    to: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = campaign::Entity::update_many()
        .col_expr(campaign::Column::Status, Expr::value(to))
        .col_expr(campaign::Column::UpdatedAt, Expr::value(now))
        .filter(campaign::Column::Id.eq(id))
        .filter(campaign::Column::Status.is_in(from.iter().copied()))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn record_campaign_metrics(
    db: &impl ConnectionTrait,
    id: Uuid,
    metrics: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    campaign::Entity::update_many()
        .col_expr(campaign::Column::Status, Expr::value("done"))
        .col_expr(campaign::Column::Metrics, Expr::value(metrics))
        .col_expr(campaign::Column::UpdatedAt, Expr::value(now))
        .filter(campaign::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
