//! `/v1/api-clients`: machine credentials of a company (platform operators
//! pushing offers). The secret is shown once, at creation.
use crate::auth::{hash_secret, new_secret};
use crate::domain::Role;
use crate::error::ApiError;
use crate::extract::{Caller, ValidatedJson};
use crate::pagination::{PageQuery, Paginated};
use crate::startup::AppState;
use crate::store::api_clients;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use entity::api_client;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct ApiClientIn {
    #[validate(length(min = 1, max = 120))]
    name: String,
}

#[derive(Debug, Serialize)]
pub struct ApiClientOut {
    id: Uuid,
    name: String,
    client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<api_client::Model> for ApiClientOut {
    fn from(m: api_client::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            client_id: m.client_id,
            client_secret: None,
            created_at: m.created_at,
            revoked_at: m.revoked_at,
        }
    }
}

pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    ValidatedJson(body): ValidatedJson<ApiClientIn>,
) -> Result<HttpResponse, ApiError> {
    let org = caller.member_of(&[Role::Company])?;
    if caller.kind == crate::auth::SubjectKind::Client {
        return Err(ApiError::Forbidden(
            "an API client cannot create API clients".into(),
        ));
    }
    let client_id = format!("tpl_{}", Uuid::now_v7().simple());
    let secret = new_secret();
    let created = api_clients::insert(
        &state.db,
        org,
        body.name.trim().to_owned(),
        client_id,
        hash_secret(&secret),
        Role::Company.as_str(),
    )
    .await?;
    let mut out = ApiClientOut::from(created);
    out.client_secret = Some(secret);
    Ok(HttpResponse::Created().json(out))
}

pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let org = caller.member_of(&[Role::Company])?;
    let page = query.by_uuid()?;
    let rows = api_clients::list(&state.db, org, &page).await?;
    Ok(HttpResponse::Ok().json(Paginated::from_rows(
        rows,
        page.limit,
        |c| c.id.to_string(),
        ApiClientOut::from,
    )))
}

pub async fn revoke(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let org = caller.member_of(&[Role::Company])?;
    if api_clients::revoke(&state.db, org, id.into_inner()).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found("API client"))
    }
}
