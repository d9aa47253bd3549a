//! Sessions of the web pages: one row per signed-in browser, found by the
//! digest of its cookie. Queries only; what a session may do is `web::session`'s.
use chrono::{DateTime, Utc};
use entity::{user, web_session};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
};
use uuid::Uuid;

pub struct NewSession {
    pub token_hash: String,
    pub user_id: Uuid,
    pub csrf_secret: String,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    new: NewSession,
) -> Result<web_session::Model, DbErr> {
    web_session::Entity::insert(web_session::ActiveModel {
        id: Set(Uuid::now_v7()),
        token_hash: Set(new.token_hash),
        user_id: Set(new.user_id),
        csrf_secret: Set(new.csrf_secret),
        created_at: Set(new.now),
        last_seen_at: Set(new.now),
        expires_at: Set(new.expires_at),
    })
    .exec_with_returning(db)
    .await
}

/// The session of this digest and its user, if both exist: a deleted user
/// has no session (his rows also go with him).
pub async fn find(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<(web_session::Model, user::Model)>, DbErr> {
    let Some(session) = web_session::Entity::find()
        .filter(web_session::Column::TokenHash.eq(token_hash))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let user = user::Entity::find_by_id(session.user_id).one(db).await?;
    Ok(user.map(|user| (session, user)))
}

/// Moves `last_seen_at` to `now` unless it is already after `since`: one
/// write a minute at most, not one per page.
pub async fn touch(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
    since: DateTime<Utc>,
) -> Result<(), DbErr> {
    web_session::Entity::update_many()
        .col_expr(web_session::Column::LastSeenAt, Expr::value(now))
        .filter(web_session::Column::Id.eq(id))
        .filter(web_session::Column::LastSeenAt.lt(since))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn delete(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    web_session::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

pub async fn delete_by_hash(db: &impl ConnectionTrait, token_hash: &str) -> Result<(), DbErr> {
    web_session::Entity::delete_many()
        .filter(web_session::Column::TokenHash.eq(token_hash))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes every session past its absolute end or idle since `idle_before`.
pub async fn delete_expired(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    idle_before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let done = web_session::Entity::delete_many()
        .filter(
            Condition::any()
                .add(web_session::Column::ExpiresAt.lte(now))
                .add(web_session::Column::LastSeenAt.lte(idle_before)),
        )
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}
