//! Unsubscribe state per address, for non-essential mail (reminders, digests).
//!
//! The token of the link is random and stored as is: the sender must put it
//! in every later message, and all it can do is stop reminders.
use crate::auth::new_secret;
use chrono::Utc;
use entity::email_preference::{self, Column};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

fn normalise(email: &str) -> String {
    email.trim().to_lowercase()
}

pub async fn find(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<email_preference::Model>, DbErr> {
    email_preference::Entity::find_by_id(normalise(email))
        .one(db)
        .await
}

/// The address's preferences, created (subscribed, with a new token) on
/// first use. Two senders racing agree on one row.
pub async fn get_or_create(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<email_preference::Model, DbErr> {
    let email = normalise(email);
    if let Some(found) = find(db, &email).await? {
        return Ok(found);
    }
    email_preference::Entity::insert(email_preference::ActiveModel {
        email: Set(email.clone()),
        token: Set(new_secret()),
        unsubscribed_at: Set(None),
        created_at: Set(Utc::now()),
    })
    .on_conflict(OnConflict::column(Column::Email).do_nothing().to_owned())
    .exec_without_returning(db)
    .await?;
    find(db, &email)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("email preference of {email}")))
}

pub async fn find_by_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<email_preference::Model>, DbErr> {
    email_preference::Entity::find()
        .filter(Column::Token.eq(token))
        .one(db)
        .await
}

/// Unsubscribes the address of `token`; idempotent. `None`: unknown token.
pub async fn unsubscribe(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<email_preference::Model>, DbErr> {
    let Some(found) = find_by_token(db, token).await? else {
        return Ok(None);
    };
    if found.unsubscribed_at.is_some() {
        return Ok(Some(found));
    }
    let now = Utc::now();
    email_preference::Entity::update_many()
        .col_expr(
            Column::UnsubscribedAt,
            sea_orm::sea_query::Expr::value(Some(now)),
        )
        .filter(Column::Email.eq(found.email.clone()))
        .exec(db)
        .await?;
    Ok(Some(email_preference::Model {
        unsubscribed_at: Some(now),
        ..found
    }))
}
