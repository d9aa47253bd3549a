//! `/v1/auth/*`: token issuance (password and client credentials), refresh
//! with rotation, logout, and invitation acceptance.
use crate::account;
use crate::auth::{SubjectKind, constant_time_eq, hash_secret};
use crate::domain::Role;
use crate::error::ApiError;
use crate::extract::ValidatedJson;
use crate::startup::AppState;
use crate::store::{api_clients, tokens, users};
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    grant_type: String,
    email: Option<String>,
    #[validate(length(max = 1024))]
    password: Option<String>,
    client_id: Option<String>,
    #[validate(length(max = 1024))]
    client_secret: Option<String>,
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[validate(length(min = 1, max = 256))]
    refresh_token: String,
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    #[validate(length(min = 1, max = 256))]
    token: String,
    #[validate(custom(function = "account::validate_password"))]
    password: String,
}

#[derive(Debug, Serialize)]
pub struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
}

fn rate_limit(state: &AppState, req: &HttpRequest) -> Result<(), ApiError> {
    let Some(ip) = req.peer_addr().map(|a| a.ip()) else {
        return Ok(());
    };
    state
        .limiter
        .check(ip)
        .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })
}

fn invalid_credentials() -> ApiError {
    ApiError::Unauthorized("invalid credentials".into())
}

fn respond(body: TokenResponse) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

pub async fn token(
    state: web::Data<AppState>,
    req: HttpRequest,
    ValidatedJson(body): ValidatedJson<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    rate_limit(&state, &req)?;
    match body.grant_type.as_str() {
        "password" => {
            let (Some(email), Some(password)) = (body.email, body.password) else {
                return Err(missing(&["email", "password"]));
            };
            password_grant(&state, &email, password).await.map(respond)
        }
        "client_credentials" => {
            let (Some(client_id), Some(secret)) = (body.client_id, body.client_secret) else {
                return Err(missing(&["client_id", "client_secret"]));
            };
            client_grant(&state, &client_id, &secret).await.map(respond)
        }
        _ => Err(ApiError::field(
            "grant_type",
            "must be one of: password, client_credentials",
        )),
    }
}

fn missing(fields: &[&str]) -> ApiError {
    ApiError::Validation(
        fields
            .iter()
            .map(|f| crate::error::FieldError::new(*f, "required for this grant type"))
            .collect(),
    )
}

async fn password_grant(
    state: &AppState,
    email: &str,
    password: String,
) -> Result<TokenResponse, ApiError> {
    let user = account::verify_sign_in(&state.db, email, password)
        .await?
        .ok_or_else(invalid_credentials)?;
    let role = Role::parse(&user.role).map_err(|e| ApiError::Internal(e.into()))?;
    let refresh = tokens::issue(
        &state.db,
        user.id,
        Uuid::now_v7(),
        chrono::Duration::days(state.auth.refresh_token_ttl_days),
    )
    .await?;
    access_response(
        state,
        user.id,
        role,
        user.organisation_id,
        SubjectKind::User,
        Some(refresh),
    )
}

async fn client_grant(
    state: &AppState,
    client_id: &str,
    secret: &str,
) -> Result<TokenResponse, ApiError> {
    let client = api_clients::find_active_by_client_id(&state.db, client_id)
        .await?
        .filter(|c| constant_time_eq(c.secret_hash.as_bytes(), hash_secret(secret).as_bytes()))
        .ok_or_else(invalid_credentials)?;
    let role = Role::parse(&client.role).map_err(|e| ApiError::Internal(e.into()))?;
    access_response(
        state,
        client.id,
        role,
        Some(client.organisation_id),
        SubjectKind::Client,
        None,
    )
}

fn access_response(
    state: &AppState,
    sub: Uuid,
    role: Role,
    org: Option<Uuid>,
    kind: SubjectKind,
    refresh_token: Option<String>,
) -> Result<TokenResponse, ApiError> {
    let access_token = state
        .jwt
        .issue(sub, role, org, kind)
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: state.jwt.ttl_secs(),
        refresh_token,
    })
}

pub async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
    ValidatedJson(body): ValidatedJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    rate_limit(&state, &req)?;
    let ttl = chrono::Duration::days(state.auth.refresh_token_ttl_days);
    let txn = state.db.begin().await?;
    let rotation = tokens::rotate(&txn, &body.refresh_token, ttl).await?;
    txn.commit().await?;
    let (user_id, token) = match rotation {
        tokens::Rotation::Rotated { user_id, token } => (user_id, token),
        tokens::Rotation::Invalid => {
            return Err(ApiError::Unauthorized(
                "the refresh token is invalid or expired".into(),
            ));
        }
        tokens::Rotation::Reused => {
            tracing::warn!("refresh token reused: its family is revoked");
            return Err(ApiError::Unauthorized(
                "the refresh token was already used; all sessions from it are revoked".into(),
            ));
        }
    };
    let user = users::find(&state.db, user_id)
        .await?
        .ok_or_else(invalid_credentials)?;
    let role = Role::parse(&user.role).map_err(|e| ApiError::Internal(e.into()))?;
    access_response(
        &state,
        user.id,
        role,
        user.organisation_id,
        SubjectKind::User,
        Some(token),
    )
    .map(respond)
}

pub async fn logout(
    state: web::Data<AppState>,
    ValidatedJson(body): ValidatedJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    tokens::revoke_by_token(&state.db, &body.refresh_token).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn accept_invitation(
    state: web::Data<AppState>,
    req: HttpRequest,
    ValidatedJson(body): ValidatedJson<AcceptInvitation>,
) -> Result<HttpResponse, ApiError> {
    rate_limit(&state, &req)?;
    account::accept_invitation(&state.db, &body.token, body.password).await?;
    Ok(HttpResponse::NoContent().finish())
}
