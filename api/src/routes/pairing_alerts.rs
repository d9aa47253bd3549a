//! `GET /v1/pairings/alerts`: what a mentoring structure should look at
//! today. The computation lives in `store::alerts` (the weekly digest uses it
//! too); this handler only scopes it and applies the kind filter.
use super::mentees::structure_of;
use crate::domain::Role;
use crate::error::ApiError;
use crate::extract::Caller;
use crate::startup::AppState;
use crate::store::alerts::{self, AlertKind, Scope, Thresholds};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    /// Admins: one structure only (all by default). Coordinators: their own.
    organisation_id: Option<Uuid>,
    kind: Option<String>,
}

/// Coordinators see their structure; admins every structure, or one.
pub fn scope_of(caller: &Caller, organisation_id: Option<Uuid>) -> Result<Scope, ApiError> {
    if caller.role == Role::Admin {
        return Ok(organisation_id.map_or(Scope::All, Scope::Organisation));
    }
    let org = structure_of(caller)?;
    match organisation_id {
        Some(other) if other != org => Err(ApiError::not_found("organisation")),
        _ => Ok(Scope::Organisation(org)),
    }
}

pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<AlertQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let scope = scope_of(&caller, q.organisation_id)?;
    let kind = q
        .kind
        .as_deref()
        .map(|raw| {
            AlertKind::parse(raw).ok_or_else(|| {
                let names: Vec<&str> = AlertKind::ALL.iter().map(|k| k.as_str()).collect();
                ApiError::field("kind", format!("must be one of: {}", names.join(", ")))
            })
        })
        .transpose()?;
    let thresholds = Thresholds::from(&state.mentoring);
    let now = state.clock.now();
    let mut items = alerts::compute(&state.db, scope, &thresholds, now).await?;
    if let Some(kind) = kind {
        items.retain(|a| a.kind == kind);
    }
    Ok(HttpResponse::Ok().json(json!({
        "as_of": now.date_naive(),
        "thresholds": thresholds,
        "items": items,
    })))
}
