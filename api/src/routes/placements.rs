//! `/v1/placements`: proposals and their answers. A school accepts or
//! declines for its pupils; the company confirms or declines on its offers.
use crate::domain::{PlacementStatus, Role};
use crate::error::{ApiError, FieldError};
use crate::extract::Caller;
use crate::notify;
use crate::pagination::{PageQuery, Paginated};
use crate::startup::AppState;
use crate::store::placements::{self, PlacementFilter, Viewer};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use entity::{college, offer, organisation, placement, pupil};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Serialize)]
pub struct OfferRef {
    id: Uuid,
    title: String,
    commune_insee: String,
}

#[derive(Debug, Serialize)]
pub struct SchoolRef {
    uai: String,
    name: String,
}

/// What a company may know of the pupil: first name, class, school.
#[derive(Debug, Serialize)]
pub struct PupilRef {
    first_name: Option<String>,
    class_name: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct PlacementOut {
    id: Uuid,
    match_request_id: Uuid,
    offer: OfferRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pupil_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pupil: Option<PupilRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    school: Option<SchoolRef>,
    class_name: Option<String>,
    group_size: i32,
    kind: String,
    week_start: String,
    week_end: String,
    /// School view only: the tier and distance that explain the proposal.
    #[serde(skip_serializing_if = "Option::is_none")]
    tier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    distance_km: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    interest_match: Option<bool>,
    status: String,
    expires_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

pub(crate) fn viewer(caller: &Caller) -> Result<Viewer, ApiError> {
    match caller.role {
        Role::School => Ok(Viewer::School(caller.organisation()?)),
        Role::Company => Ok(Viewer::Company(caller.organisation()?)),
        _ => Err(ApiError::Forbidden(
            "placements are for school and company users".into(),
        )),
    }
}

/// Builds the answers, each side seeing only what it needs.
pub(crate) async fn outs(
    state: &AppState,
    viewer: Viewer,
    rows: Vec<placement::Model>,
) -> Result<Vec<PlacementOut>, ApiError> {
    let offer_ids: Vec<Uuid> = rows.iter().map(|p| p.offer_id).collect();
    let offers: HashMap<Uuid, offer::Model> = offer::Entity::find()
        .filter(offer::Column::Id.is_in(offer_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let (mut first_names, mut schools) = (HashMap::new(), HashMap::new());
    if let Viewer::Company(_) = viewer {
        let pupil_ids: Vec<Uuid> = rows.iter().filter_map(|p| p.pupil_id).collect();
        for p in pupil::Entity::find()
            .filter(pupil::Column::Id.is_in(pupil_ids))
            .all(&state.db)
            .await?
        {
            first_names.insert(p.id, p.first_name);
        }
        let school_ids: Vec<Uuid> = rows.iter().map(|p| p.school_id).collect();
        let orgs = organisation::Entity::find()
            .filter(organisation::Column::Id.is_in(school_ids))
            .all(&state.db)
            .await?;
        let uais: Vec<String> = orgs.iter().filter_map(|o| o.uai.clone()).collect();
        let names: HashMap<String, String> = college::Entity::find()
            .filter(college::Column::Uai.is_in(uais))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|c| (c.uai, c.name))
            .collect();
        for o in orgs {
            if let Some(uai) = o.uai {
                let name = names.get(&uai).cloned().unwrap_or(o.name);
                schools.insert(o.id, SchoolRef { uai, name });
            }
        }
    }
    Ok(rows
        .into_iter()
        .map(|p| {
            let o = offers.get(&p.offer_id);
            let offer = OfferRef {
                id: p.offer_id,
                title: o.map(|o| o.title.clone()).unwrap_or_default(),
                commune_insee: o.map(|o| o.commune_insee.clone()).unwrap_or_default(),
            };
            let school_view = matches!(viewer, Viewer::School(_));
            PlacementOut {
                id: p.id,
                match_request_id: p.match_request_id,
                offer,
                pupil_id: if school_view { p.pupil_id } else { None },
                pupil: (!school_view).then(|| PupilRef {
                    first_name: p
                        .pupil_id
                        .and_then(|id| first_names.get(&id).cloned().flatten()),
                    class_name: p.class_name.clone(),
                }),
                school: if school_view {
                    None
                } else {
                    schools.remove(&p.school_id)
                },
                class_name: p.class_name,
                group_size: p.group_size,
                kind: p.kind,
                week_start: p.week_start,
                week_end: p.week_end,
                tier: school_view.then_some(p.priority),
                distance_km: school_view.then_some(p.distance_km),
                interest_match: school_view.then_some(p.interest_match),
                status: p.status,
                expires_at: p.expires_at,
                created_at: p.created_at,
                updated_at: p.updated_at,
            }
        })
        .collect())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlacementQuery {
    status: Option<String>,
    offer_id: Option<Uuid>,
    match_request_id: Option<Uuid>,
    limit: Option<u64>,
    cursor: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<PlacementQuery>,
) -> Result<HttpResponse, ApiError> {
    let viewer = viewer(&caller)?;
    let q = query.into_inner();
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .by_uuid()?;
    let status = q
        .status
        .as_deref()
        .map(|s| {
            PlacementStatus::parse(s)
                .map_err(|e| ApiError::Validation(vec![FieldError::new("status", e.to_string())]))
        })
        .transpose()?;
    let filter = PlacementFilter {
        status,
        offer_id: q.offer_id,
        match_request_id: q.match_request_id,
    };
    let rows = placements::list(&state.db, viewer, &filter, &page).await?;
    let paginated = Paginated::from_rows(rows, page.limit, |p| p.id.to_string(), |p| p);
    let items = outs(&state, viewer, paginated.items).await?;
    Ok(HttpResponse::Ok().json(Paginated {
        items,
        next_cursor: paginated.next_cursor,
    }))
}

pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let viewer = viewer(&caller)?;
    let found = placements::find(&state.db, viewer, id.into_inner())
        .await?
        .ok_or_else(|| ApiError::not_found("placement"))?;
    let mut out = outs(&state, viewer, vec![found]).await?;
    Ok(HttpResponse::Ok().json(out.pop()))
}

/// Which moves each side may make, from which statuses.
fn allowed(role: Role, action: &str) -> Option<(&'static [PlacementStatus], PlacementStatus)> {
    use PlacementStatus::*;
    match (role, action) {
        (Role::School, "accept") => Some((&[Proposed], Accepted)),
        (Role::School, "decline") => Some((&[Proposed, Accepted], Declined)),
        (Role::Company, "confirm") => Some((&[Accepted], Confirmed)),
        (Role::Company, "decline") => Some((&[Proposed, Accepted], Declined)),
        _ => None,
    }
}

async fn act(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    action: &'static str,
) -> Result<HttpResponse, ApiError> {
    let viewer = viewer(caller)?;
    let Some((from, to)) = allowed(caller.role, action) else {
        return Err(ApiError::Forbidden(format!(
            "a {} user cannot {action} a placement",
            caller.role
        )));
    };
    let txn = state.db.begin().await?;
    let current = placements::find(&txn, viewer, id)
        .await?
        .ok_or_else(|| ApiError::not_found("placement"))?;
    let status =
        PlacementStatus::parse(&current.status).map_err(|e| ApiError::Internal(e.into()))?;
    // Deadlines run on the service's clock, like the sweep that expires them.
    let now = state.clock.now();
    let expired = current.expires_at <= now
        && matches!(
            status,
            PlacementStatus::Proposed | PlacementStatus::Accepted
        );
    if expired {
        return Err(ApiError::Conflict(
            "the placement has expired; its seat was released".into(),
        ));
    }
    if !from.contains(&status) {
        let allowed: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
        return Err(ApiError::Conflict(format!(
            "cannot {action} a {} placement (only from: {})",
            status.as_str(),
            allowed.join(", ")
        )));
    }
    let new_expiry = (to == PlacementStatus::Accepted)
        .then(|| now + chrono::Duration::days(state.jobs.placement_ttl_days));
    if !placements::transition(&txn, &current, status, to, new_expiry, now).await? {
        return Err(ApiError::Conflict(
            "the placement changed meanwhile; read it again".into(),
        ));
    }
    let directory = notify::Directory::load(&txn, std::slice::from_ref(&current)).await?;
    let expires_at = new_expiry.unwrap_or(current.expires_at);
    notify::changed(
        &txn,
        &state.email.public_base_url,
        &directory,
        &current,
        to,
        expires_at,
        now,
    )
    .await?;
    txn.commit().await?;
    let updated = placements::find(&state.db, viewer, id)
        .await?
        .ok_or_else(|| ApiError::not_found("placement"))?;
    let mut out = outs(state, viewer, vec![updated]).await?;
    Ok(HttpResponse::Ok().json(out.pop()))
}

pub async fn accept(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    act(&state, &caller, id.into_inner(), "accept").await
}

pub async fn confirm(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    act(&state, &caller, id.into_inner(), "confirm").await
}

pub async fn decline(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    act(&state, &caller, id.into_inner(), "decline").await
}
