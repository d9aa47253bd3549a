//! `GET /v1/pairings/alerts`: what a mentoring structure should look at
//! today. The computation lives in `store::alerts` (the weekly digest uses it
//! too); this handler only scopes it, applies the kind filter and pages it.
//! The alerts are computed afresh on each call, so the cursor is the last
//! alert's sort key (not a row id): pages stay stable while the clock does
//! not move.
use super::mentees::structure_of;
use crate::domain::Role;
use crate::error::ApiError;
use crate::extract::Caller;
use crate::pagination::{PageQuery, Paginated};
use crate::startup::AppState;
use crate::store::alerts::{self, Alert, AlertKind, OrderKey, Scope, Thresholds};
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use std::cmp::Reverse;
use uuid::Uuid;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    /// Admins: one structure only (all by default). Coordinators: their own.
    organisation_id: Option<Uuid>,
    kind: Option<String>,
    limit: Option<u64>,
    cursor: Option<String>,
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
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .by_string()?;
    let after = page.after.as_deref().map(parse_key).transpose()?;
    let mut items = alerts::compute(&state.db, scope, &thresholds, now).await?;
    items.retain(|a| {
        kind.is_none_or(|k| a.kind == k)
            && after.as_ref().is_none_or(|key| alerts::order_key(a) > *key)
    });
    items.truncate(page.limit as usize + 1);
    let page = Paginated::from_rows(items, page.limit, key_of, |a| a);
    Ok(HttpResponse::Ok().json(json!({
        "as_of": now.date_naive(),
        "thresholds": thresholds,
        "items": page.items,
        "next_cursor": page.next_cursor,
    })))
}

/// The sort key as text: `kind|value|since|pairing|mentee|mentor`, an
/// absent id left empty.
fn key_of(a: &Alert) -> String {
    let id = |v: Option<Uuid>| v.map(|u| u.to_string()).unwrap_or_default();
    format!(
        "{}|{}|{}|{}|{}|{}",
        a.kind.as_str(),
        a.value,
        a.since,
        id(a.pairing_id),
        id(a.mentee_id),
        id(a.mentor_id)
    )
}

fn parse_key(raw: &str) -> Result<OrderKey, ApiError> {
    let bad = || ApiError::field("cursor", "not a cursor returned by this API");
    let id = |s: &str| -> Result<Option<Uuid>, ApiError> {
        match s {
            "" => Ok(None),
            s => Uuid::parse_str(s).map(Some).map_err(|_| bad()),
        }
    };
    let parts: Vec<&str> = raw.split('|').collect();
    let [kind, value, since, pairing, mentee, mentor] = parts[..] else {
        return Err(bad());
    };
    Ok((
        AlertKind::parse(kind).ok_or_else(bad)?,
        Reverse(value.parse::<i64>().map_err(|_| bad())?),
        since.parse::<NaiveDate>().map_err(|_| bad())?,
        id(pairing)?,
        id(mentee)?,
        id(mentor)?,
    ))
}
