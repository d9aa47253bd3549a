use crate::pagination::Page;
use chrono::Utc;
use entity::api_client;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

pub async fn insert(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    name: String,
    client_id: String,
    secret_hash: String,
    role: &str,
) -> Result<api_client::Model, DbErr> {
    api_client::Entity::insert(api_client::ActiveModel {
        id: Set(Uuid::now_v7()),
        organisation_id: Set(organisation_id),
        name: Set(name),
        client_id: Set(client_id),
        secret_hash: Set(secret_hash),
        role: Set(role.to_owned()),
        created_at: Set(Utc::now()),
        revoked_at: Set(None),
    })
    .exec_with_returning(db)
    .await
}

pub async fn find_active_by_client_id(
    db: &impl ConnectionTrait,
    client_id: &str,
) -> Result<Option<api_client::Model>, DbErr> {
    api_client::Entity::find()
        .filter(api_client::Column::ClientId.eq(client_id))
        .filter(api_client::Column::RevokedAt.is_null())
        .one(db)
        .await
}

pub async fn list(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    page: &Page<Uuid>,
) -> Result<Vec<api_client::Model>, DbErr> {
    let mut query = api_client::Entity::find()
        .filter(api_client::Column::OrganisationId.eq(organisation_id))
        .order_by_asc(api_client::Column::Id);
    if let Some(after) = page.after {
        query = query.filter(api_client::Column::Id.gt(after));
    }
    query.limit(page.limit + 1).all(db).await
}

/// Revokes a client of the organisation; `false` when there is none.
pub async fn revoke(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    id: Uuid,
) -> Result<bool, DbErr> {
    let result = api_client::Entity::update_many()
        .col_expr(api_client::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(api_client::Column::Id.eq(id))
        .filter(api_client::Column::OrganisationId.eq(organisation_id))
        .filter(api_client::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
