//! People's accounts, for the token endpoint of the API and the web pages
//! alike: checking a password sign-in and accepting an invitation. One rule
//! for a password, one answer for a wrong one.
use crate::auth::{hash_password, hash_secret, verify_password};
use crate::domain::Email;
use crate::error::ApiError;
use crate::store::users;
use chrono::{DateTime, Utc};
use entity::user;
use sea_orm::{ConnectionTrait, DbErr};
use std::sync::LazyLock;

/// Length of a password, in characters (the CLI checks the same).
pub const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 12..=128;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must have 12 to 128 characters")]
    Length,
}

/// The password rule.
pub fn check_password(password: &str) -> Result<(), PasswordError> {
    if PASSWORD_CHARS.contains(&password.chars().count()) {
        Ok(())
    } else {
        Err(PasswordError::Length)
    }
}

/// The same rule as a `validator` custom check, for JSON bodies.
pub fn validate_password(password: &str) -> Result<(), validator::ValidationError> {
    check_password(password)
        .map_err(|e| validator::ValidationError::new("length").with_message(e.to_string().into()))
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// Unknown or already used: a used token is erased, so both look alike.
    #[error("the invitation is unknown, already used or expired")]
    InvitationUnknown,
    #[error("the invitation is unknown, already used or expired")]
    InvitationExpired { at: DateTime<Utc> },
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<AccountError> for ApiError {
    fn from(err: AccountError) -> Self {
        match err {
            AccountError::Password(e) => ApiError::field("password", e.to_string()),
            e @ (AccountError::InvitationUnknown | AccountError::InvitationExpired { .. }) => {
                ApiError::field("token", e.to_string())
            }
            AccountError::Db(e) => e.into(),
            AccountError::Internal(e) => ApiError::Internal(e),
        }
    }
}

/// Verifying against this when the e-mail is unknown keeps the answer time
/// the same, so timing does not reveal which e-mails have accounts.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("not-a-real-password-at-all").unwrap_or_default());

/// argon2 takes tens of milliseconds: off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AccountError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AccountError::Internal(e.into()))
}

/// The user with this e-mail and password, or `None` (unknown e-mail, wrong
/// password, invitation not accepted yet), in the same time either way.
pub async fn verify_sign_in(
    db: &impl ConnectionTrait,
    email: &str,
    password: String,
) -> Result<Option<user::Model>, AccountError> {
    let user = match Email::parse(email) {
        Ok(email) => users::find_by_email(db, email.as_str()).await?,
        Err(_) => None,
    };
    let stored = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| DUMMY_HASH.clone());
    let matches = blocking(move || verify_password(&password, &stored)).await?;
    Ok(user.filter(|u| matches && u.password_hash.is_some()))
}

/// The user a pending, unexpired invitation token belongs to.
pub async fn pending_invitation(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<user::Model, AccountError> {
    let user = users::find_by_invitation(db, &hash_secret(token))
        .await?
        .ok_or(AccountError::InvitationUnknown)?;
    match user.invitation_expires_at {
        Some(at) if at > now => Ok(user),
        Some(at) => Err(AccountError::InvitationExpired { at }),
        None => Err(AccountError::InvitationUnknown),
    }
}

/// Sets the password of an invited user and consumes the invitation; the
/// password is checked first, as a form shows that error at its field.
pub async fn accept_invitation(
    db: &impl ConnectionTrait,
    token: &str,
    password: String,
) -> Result<user::Model, AccountError> {
    check_password(&password)?;
    let user = pending_invitation(db, token, Utc::now()).await?;
    let hash = blocking(move || hash_password(&password)).await??;
    // A concurrent acceptance of the same token may have won meanwhile.
    if !users::set_password(db, user.clone(), hash).await? {
        return Err(AccountError::InvitationUnknown);
    }
    Ok(user)
}
