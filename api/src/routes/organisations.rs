//! `/v1/organisations`: created by admins, with their users invited.
use crate::auth::{hash_secret, new_secret};
use crate::domain::{Email, OrganisationKind, Role, Siret, Uai};
use crate::email;
use crate::error::{ApiError, FieldError};
use crate::extract::{Caller, ValidatedJson};
use crate::pagination::{PageQuery, Paginated};
use crate::startup::AppState;
use crate::store::{organisations, reference, users};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use entity::organisation;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct OrganisationIn {
    kind: String,
    #[validate(length(min = 1, max = 200))]
    name: String,
    siret: Option<String>,
    uai: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct OrganisationOut {
    id: Uuid,
    kind: String,
    name: String,
    siret: Option<String>,
    uai: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<organisation::Model> for OrganisationOut {
    fn from(m: organisation::Model) -> Self {
        Self {
            id: m.id,
            kind: m.kind,
            name: m.name,
            siret: m.siret,
            uai: m.uai,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct UserIn {
    email: String,
    role: String,
}

#[derive(Debug, Serialize)]
pub struct Invitation {
    /// Shown once; the user sets a password with it at
    /// `POST /v1/auth/accept-invitation`.
    token: String,
    expires_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct UserOut {
    id: Uuid,
    email: String,
    role: String,
    organisation_id: Option<Uuid>,
    invitation: Invitation,
}

/// Parses the body into a kind and the one identifier that kind needs.
fn parse_organisation(
    body: &OrganisationIn,
) -> Result<(OrganisationKind, Option<Siret>, Option<Uai>), ApiError> {
    let mut errors = Vec::new();
    let kind = OrganisationKind::parse(&body.kind)
        .map_err(|e| errors.push(FieldError::new("kind", e.to_string())))
        .ok();
    let siret = body.siret.as_deref().and_then(|s| {
        Siret::parse(s)
            .map_err(|e| errors.push(FieldError::new("siret", e.to_string())))
            .ok()
    });
    let uai = body.uai.as_deref().and_then(|s| {
        Uai::parse(s)
            .map_err(|e| errors.push(FieldError::new("uai", e.to_string())))
            .ok()
    });
    match kind {
        Some(OrganisationKind::Company) => {
            if body.siret.is_none() {
                errors.push(FieldError::new("siret", "a company needs its SIRET"));
            }
            if body.uai.is_some() {
                errors.push(FieldError::new("uai", "only a school has a UAI"));
            }
        }
        Some(OrganisationKind::School) => {
            if body.uai.is_none() {
                errors.push(FieldError::new("uai", "a school needs its UAI"));
            }
            if body.siret.is_some() {
                errors.push(FieldError::new(
                    "siret",
                    "a school is identified by its UAI, not a SIRET",
                ));
            }
        }
        Some(OrganisationKind::MentoringStructure) if body.uai.is_some() => {
            errors.push(FieldError::new("uai", "only a school has a UAI"));
        }
        Some(OrganisationKind::MentoringStructure) => {}
        None => {}
    }
    match kind {
        Some(kind) if errors.is_empty() => Ok((kind, siret, uai)),
        _ => Err(ApiError::Validation(errors)),
    }
}

pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    ValidatedJson(body): ValidatedJson<OrganisationIn>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin])?;
    let (kind, siret, uai) = parse_organisation(&body)?;
    if let Some(uai) = &uai
        && reference::college(&state.db, uai.as_str()).await?.is_none()
    {
        return Err(ApiError::field(
            "uai",
            "no collège with this UAI in the reference data",
        ));
    }
    let created = organisations::insert(
        &state.db,
        organisations::NewOrganisation {
            kind: kind.as_str().to_owned(),
            name: body.name.trim().to_owned(),
            siret: siret.map(|s| s.as_str().to_owned()),
            uai: uai.map(|u| u.as_str().to_owned()),
        },
    )
    .await
    .map_err(|e| match ApiError::from(e) {
        ApiError::Conflict(_) => {
            ApiError::Conflict("an organisation with this SIRET or UAI already exists".into())
        }
        other => other,
    })?;
    Ok(HttpResponse::Created().json(OrganisationOut::from(created)))
}

pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin])?;
    let page = query.by_uuid()?;
    let rows = organisations::list(&state.db, &page).await?;
    Ok(HttpResponse::Ok().json(Paginated::from_rows(
        rows,
        page.limit,
        |o| o.id.to_string(),
        OrganisationOut::from,
    )))
}

pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    if caller.role != Role::Admin && caller.org != Some(id) {
        return Err(ApiError::not_found("organisation"));
    }
    let found = organisations::find(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("organisation"))?;
    Ok(HttpResponse::Ok().json(OrganisationOut::from(found)))
}

pub async fn invite_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    ValidatedJson(body): ValidatedJson<UserIn>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin])?;
    let org = organisations::find(&state.db, id.into_inner())
        .await?
        .ok_or_else(|| ApiError::not_found("organisation"))?;
    let kind = OrganisationKind::parse(&org.kind).map_err(|e| ApiError::Internal(e.into()))?;
    let mut errors = Vec::new();
    let email = Email::parse(&body.email)
        .map_err(|e| errors.push(FieldError::new("email", e.to_string())))
        .ok();
    let role = Role::parse(&body.role)
        .map_err(|e| errors.push(FieldError::new("role", e.to_string())))
        .ok();
    if let Some(role) = role
        && role != kind.member_role()
    {
        errors.push(FieldError::new(
            "role",
            format!(
                "a member of a {} organisation has the role {}",
                kind,
                kind.member_role()
            ),
        ));
    }
    let (Some(email), Some(role), true) = (email, role, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let token = new_secret();
    let expires_at = Utc::now() + chrono::Duration::hours(state.auth.invitation_ttl_hours);
    // The user and the invitation e-mail commit together: no invited user
    // without a message, no message for a user that does not exist.
    let txn = state.db.begin().await?;
    let user = users::insert(
        &txn,
        users::NewUser {
            organisation_id: Some(org.id),
            email: email.into_string(),
            role: role.as_str().to_owned(),
            password_hash: None,
            invitation_hash: Some(hash_secret(&token)),
            invitation_expires_at: Some(expires_at),
        },
    )
    .await
    .map_err(|e| match ApiError::from(e) {
        ApiError::Conflict(_) => {
            ApiError::Conflict("a user with this e-mail already exists".into())
        }
        other => other,
    })?;
    email::enqueue(
        &txn,
        email::Email::invitation(
            &state.email.public_base_url,
            &user.email,
            &org.name,
            &token,
            expires_at,
        ),
    )
    .await?;
    txn.commit().await?;
    // The token stays in the answer too: an admin can hand it over when
    // mail does not arrive, and the README's walkthrough uses it.
    Ok(HttpResponse::Created().json(UserOut {
        id: user.id,
        email: user.email,
        role: user.role,
        organisation_id: user.organisation_id,
        invitation: Invitation { token, expires_at },
    }))
}
