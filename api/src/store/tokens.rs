//! Refresh tokens with rotation: each use marks the token used and issues a
//! successor in the same family; presenting a used token again means it was
//! stolen, so the whole family is revoked.
use crate::auth::{hash_secret, new_secret};
use chrono::{DateTime, Duration, Utc};
use entity::refresh_token;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

/// What presenting a refresh token led to.
pub enum Rotation {
    /// The token was valid: here is its successor (plain text) for `user_id`.
    Rotated { user_id: Uuid, token: String },
    /// Unknown, expired or revoked.
    Invalid,
    /// Already used: the family is now revoked.
    Reused,
}

pub async fn issue(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    family_id: Uuid,
    ttl: Duration,
) -> Result<String, DbErr> {
    let token = new_secret();
    let now = Utc::now();
    refresh_token::Entity::insert(refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        family_id: Set(family_id),
        token_hash: Set(hash_secret(&token)),
        expires_at: Set(now + ttl),
        used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(token)
}

/// Call inside a transaction: the conditional update makes two concurrent
/// uses of one token end with one success and one `Reused`.
pub async fn rotate(
    db: &impl ConnectionTrait,
    token: &str,
    ttl: Duration,
) -> Result<Rotation, DbErr> {
    let now = Utc::now();
    let Some(row) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_secret(token)))
        .one(db)
        .await?
    else {
        return Ok(Rotation::Invalid);
    };
    if row.revoked_at.is_some() || row.expires_at <= now {
        return Ok(Rotation::Invalid);
    }
    let claimed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(row.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    if row.used_at.is_some() || claimed.rows_affected == 0 {
        revoke_family(db, row.family_id, now).await?;
        return Ok(Rotation::Reused);
    }
    let token = issue(db, row.user_id, row.family_id, ttl).await?;
    Ok(Rotation::Rotated {
        user_id: row.user_id,
        token,
    })
}

/// Revokes the family the token belongs to; unknown tokens are ignored.
pub async fn revoke_by_token(db: &impl ConnectionTrait, token: &str) -> Result<(), DbErr> {
    if let Some(row) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_secret(token)))
        .one(db)
        .await?
    {
        revoke_family(db, row.family_id, Utc::now()).await?;
    }
    Ok(())
}

async fn revoke_family(
    db: &impl ConnectionTrait,
    family_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}
