//! `/v1/match-requests` and `/v1/campaigns`: a school asks for placements;
//! a background worker answers with proposals (BRIEF §4).
use crate::domain::{IsoWeek, OfferKind, PupilStatus, Role};
use crate::error::{ApiError, FieldError};
use crate::extract::{Caller, ValidatedJson};
use crate::jobs;
use crate::pagination::{PageQuery, Paginated};
use crate::routes::pupils::school_of;
use crate::startup::AppState;
use crate::store::{jobs as queue, match_requests, placements, pupils};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use entity::{campaign, match_request, offer, offer_week, placement};
use sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;
use validator::Validate;

/// Longest prépa-métiers span (BRIEF §1: 1 to 4 consecutive weeks).
const MAX_SPAN_WEEKS: usize = 4;
const MAX_PUPILS: usize = 5000;

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct MatchRequestIn {
    kind: String,
    week: String,
    /// Last week of a prépa-métiers span (defaults to `week`).
    week_end: Option<String>,
    #[validate(length(min = 1, max = 5000))]
    pupil_ids: Option<Vec<Uuid>>,
    #[validate(length(min = 1, max = 32))]
    class_name: Option<String>,
    #[validate(range(min = 1.0, max = 60.0))]
    radius_km: Option<f64>,
    seed: Option<u32>,
    campaign_id: Option<Uuid>,
}

#[derive(Debug, Serialize)]
pub struct Proposal {
    placement_id: Uuid,
    pupil_id: Option<Uuid>,
    class_name: Option<String>,
    group_size: i32,
    offer_id: Uuid,
    offer_title: String,
    commune_insee: String,
    distance_km: f64,
    tier: String,
    interest_match: bool,
    status: String,
    expires_at: DateTime<Utc>,
    /// Why this proposal: tier, distance, interest.
    reason: String,
}

#[derive(Debug, Serialize)]
pub struct MatchRequestOut {
    id: Uuid,
    kind: String,
    week: String,
    week_end: String,
    status: String,
    class_name: Option<String>,
    pupil_count: usize,
    campaign_id: Option<Uuid>,
    radius_km: Option<f64>,
    seed: i64,
    metrics: Option<Value>,
    proposals: Vec<Proposal>,
    unmatched: Value,
    error: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn summary(r: match_request::Model, proposals: Vec<Proposal>) -> MatchRequestOut {
    MatchRequestOut {
        pupil_count: match_requests::pupil_ids(&r).len(),
        id: r.id,
        kind: r.kind,
        week: r.week_start,
        week_end: r.week_end,
        status: r.status,
        class_name: r.class_name,
        campaign_id: r.campaign_id,
        radius_km: r.radius_km,
        seed: r.seed,
        metrics: r.metrics,
        proposals,
        unmatched: r.unmatched.unwrap_or(Value::Array(Vec::new())),
        error: r.error,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

fn reason(p: &placement::Model) -> String {
    let tier = match p.priority.as_str() {
        "rep_plus" => "REP+",
        "rep" => "REP",
        "rural" => "rural (FRR)",
        "qpv" => "QPV",
        _ => "standard",
    };
    let mut parts = vec![
        format!("{tier} tier"),
        format!("{:.1} km away", p.distance_km),
    ];
    if p.interest_match {
        parts.push("in a sector of interest".into());
    }
    parts.join(", ")
}

async fn proposals(state: &AppState, request_id: Uuid) -> Result<Vec<Proposal>, ApiError> {
    let rows = placements::of_request(&state.db, request_id).await?;
    let offer_ids: Vec<Uuid> = rows
        .iter()
        .map(|p| p.offer_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let offers: HashMap<Uuid, offer::Model> = offer::Entity::find()
        .filter(offer::Column::Id.is_in(offer_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    Ok(rows
        .into_iter()
        .map(|p| {
            let o = offers.get(&p.offer_id);
            Proposal {
                reason: reason(&p),
                placement_id: p.id,
                pupil_id: p.pupil_id,
                class_name: p.class_name,
                group_size: p.group_size,
                offer_id: p.offer_id,
                offer_title: o.map(|o| o.title.clone()).unwrap_or_default(),
                commune_insee: o.map(|o| o.commune_insee.clone()).unwrap_or_default(),
                distance_km: p.distance_km,
                tier: p.priority,
                interest_match: p.interest_match,
                status: p.status,
                expires_at: p.expires_at,
            }
        })
        .collect())
}

pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    ValidatedJson(body): ValidatedJson<MatchRequestIn>,
) -> Result<HttpResponse, ApiError> {
    let school = school_of(&state, &caller).await?;
    let org = school.organisation_id;
    let mut errors = Vec::new();
    let kind = OfferKind::parse(&body.kind)
        .map_err(|e| errors.push(FieldError::new("kind", e.to_string())))
        .ok();
    let week = IsoWeek::parse(&body.week)
        .map_err(|e| errors.push(FieldError::new("week", e.to_string())))
        .ok();
    let week_end = match &body.week_end {
        Some(w) => IsoWeek::parse(w)
            .map_err(|e| errors.push(FieldError::new("week_end", e.to_string())))
            .ok(),
        None => week,
    };
    if let (Some(kind), Some(start), Some(end)) = (kind, week, week_end) {
        if end < start {
            errors.push(FieldError::new("week_end", "must not be before week"));
        } else if start != end && kind != OfferKind::PrepaMetiers {
            errors.push(FieldError::new(
                "week_end",
                "only a prepa_metiers request spans several weeks",
            ));
        } else if jobs::match_run::weeks_between(&start.to_string(), &end.to_string())
            .map_or(0, |w| w.len())
            > MAX_SPAN_WEEKS
        {
            errors.push(FieldError::new(
                "week_end",
                format!("a span has at most {MAX_SPAN_WEEKS} weeks"),
            ));
        }
    }
    match (&body.pupil_ids, &body.class_name, kind) {
        (Some(_), Some(_), _) | (None, None, _) => errors.push(FieldError::new(
            "pupil_ids",
            "give either pupil_ids or class_name",
        )),
        (Some(_), None, Some(OfferKind::ClasseEntreprise)) => errors.push(FieldError::new(
            "class_name",
            "a classe_entreprise request names the class, matched as one group",
        )),
        _ => {}
    }
    let (Some(kind), Some(week), Some(week_end), true) = (kind, week, week_end, errors.is_empty())
    else {
        return Err(ApiError::Validation(errors));
    };

    // One active run per pupil: a second request for the same pupils waits
    // for the first to finish. Everything the checks below read is read
    // under the school's lock, so that the checks and the insert are one
    // step for concurrent requests of the school; the pending requests
    // before the pupils, so that a run finishing meanwhile (its request done,
    // its pupils proposed, in one commit) is seen by one read or the other.
    let txn = state.db.begin().await?;
    match_requests::lock_school(&txn, org).await?;
    let busy: HashSet<Uuid> = match_requests::pending_of(&txn, org)
        .await?
        .iter()
        .flat_map(match_requests::pupil_ids)
        .collect();

    // The pupils: the school's own, not yet placed.
    let chosen = match (&body.pupil_ids, &body.class_name) {
        (Some(ids), _) => {
            let unique: Vec<Uuid> = ids
                .iter()
                .copied()
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            let found = pupils::find_many(&txn, org, &unique).await?;
            if found.len() != unique.len() {
                let known: HashSet<Uuid> = found.iter().map(|p| p.id).collect();
                let unknown: Vec<String> = unique
                    .iter()
                    .filter(|id| !known.contains(id))
                    .map(|id| id.to_string())
                    .collect();
                return Err(ApiError::field(
                    "pupil_ids",
                    format!("unknown pupils: {}", unknown.join(", ")),
                ));
            }
            found
        }
        (None, Some(class)) => {
            let found = pupils::in_class(&txn, org, &class.trim().to_uppercase()).await?;
            if found.is_empty() {
                return Err(ApiError::field("class_name", "no pupil in this class"));
            }
            found
        }
        (None, None) => Vec::new(),
    };
    if chosen.len() > MAX_PUPILS {
        return Err(ApiError::field(
            "pupil_ids",
            format!("at most {MAX_PUPILS} pupils per request"),
        ));
    }
    let not_free: Vec<String> = chosen
        .iter()
        .filter(|p| p.status != PupilStatus::Unplaced.as_str())
        .map(|p| p.id.to_string())
        .collect();
    if !not_free.is_empty() && body.pupil_ids.is_some() {
        return Err(ApiError::Conflict(format!(
            "these pupils already have a placement proposed, accepted or confirmed: {}",
            not_free.join(", ")
        )));
    }
    let ids: Vec<Uuid> = chosen.iter().map(|p| p.id).collect();

    // A week nobody offers is a mistake worth telling at once.
    let offered = offer_week::Entity::find()
        .inner_join(offer::Entity)
        .filter(offer_week::Column::Week.eq(week.to_string()))
        .filter(offer::Column::Kind.eq(kind.as_str()))
        .filter(offer::Column::Status.eq("published"))
        .limit(1)
        .count(&txn)
        .await?;
    if offered == 0 {
        return Err(ApiError::field(
            "week",
            format!("no published {kind} offer has seats in {week}"),
        ));
    }

    let mut status = "queued";
    if let Some(campaign_id) = body.campaign_id {
        let c = match_requests::campaign(&txn, campaign_id)
            .await?
            .ok_or_else(|| ApiError::field("campaign_id", "unknown campaign"))?;
        if c.kind != kind.as_str() || c.week != week.to_string() || week != week_end {
            return Err(ApiError::field(
                "campaign_id",
                format!("the campaign is for {} in {}", c.kind, c.week),
            ));
        }
        if c.departement != school.departement {
            return Err(ApiError::field(
                "campaign_id",
                format!("the campaign is for département {}", c.departement),
            ));
        }
        if c.status != "open" {
            return Err(ApiError::Conflict(format!(
                "the campaign is {}; requests can no longer join",
                c.status
            )));
        }
        status = "waiting_campaign";
    }

    let overlapping: Vec<String> = ids
        .iter()
        .filter(|id| busy.contains(id))
        .map(|id| id.to_string())
        .collect();
    if !overlapping.is_empty() {
        return Err(ApiError::Conflict(format!(
            "another request for these pupils is queued or running: {}",
            overlapping.join(", ")
        )));
    }
    let request = match_requests::insert(
        &txn,
        match_requests::NewRequest {
            organisation_id: org,
            campaign_id: body.campaign_id,
            kind: kind.as_str().to_owned(),
            week_start: week.to_string(),
            week_end: week_end.to_string(),
            radius_km: body.radius_km,
            seed: i64::from(body.seed.unwrap_or_else(rand::random)),
            class_name: body.class_name.as_ref().map(|c| c.trim().to_uppercase()),
            pupil_ids: ids,
            status,
        },
        state.clock.now(),
    )
    .await?;
    if status == "queued" {
        queue::enqueue(&txn, queue::MATCH_REQUEST, request.id).await?;
    }
    txn.commit().await?;
    Ok(HttpResponse::Accepted()
        .insert_header(("Location", format!("/v1/match-requests/{}", request.id)))
        .json(summary(request, Vec::new())))
}

pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let org = caller.member_of(&[Role::School])?;
    let request = match_requests::find(&state.db, org, id.into_inner())
        .await?
        .ok_or_else(|| ApiError::not_found("match request"))?;
    let proposals = proposals(&state, request.id).await?;
    Ok(HttpResponse::Ok().json(summary(request, proposals)))
}

pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let org = caller.member_of(&[Role::School])?;
    let page = query.by_uuid()?;
    let rows = match_requests::list(&state.db, org, &page).await?;
    Ok(HttpResponse::Ok().json(Paginated::from_rows(
        rows,
        page.limit,
        |r| r.id.to_string(),
        |r| summary(r, Vec::new()),
    )))
}

/// Cancels a request not yet done: a queued one never runs, a running one
/// writes nothing (its worker sees the cancellation before committing).
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let org = caller.member_of(&[Role::School])?;
    let request = match_requests::find(&state.db, org, id.into_inner())
        .await?
        .ok_or_else(|| ApiError::not_found("match request"))?;
    let txn = state.db.begin().await?;
    if !match_requests::set_status(
        &txn,
        request.id,
        &match_requests::PENDING,
        "cancelled",
        None,
        state.clock.now(),
    )
    .await?
    {
        return Err(ApiError::Conflict(format!(
            "the request is {}; only a queued, waiting or running request can be cancelled",
            request.status
        )));
    }
    queue::cancel_for(&txn, request.id).await?;
    txn.commit().await?;
    let request = match_requests::find(&state.db, org, request.id)
        .await?
        .ok_or_else(|| ApiError::not_found("match request"))?;
    Ok(HttpResponse::Ok().json(summary(request, Vec::new())))
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct CampaignIn {
    departement: String,
    kind: String,
    week: String,
    deadline: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct CampaignOut {
    id: Uuid,
    departement: String,
    kind: String,
    week: String,
    deadline: DateTime<Utc>,
    status: String,
    requests: u64,
    metrics: Option<Value>,
    created_at: DateTime<Utc>,
}

async fn campaign_out(state: &AppState, c: campaign::Model) -> Result<CampaignOut, ApiError> {
    let requests = match_request::Entity::find()
        .filter(match_request::Column::CampaignId.eq(c.id))
        .count(&state.db)
        .await?;
    Ok(CampaignOut {
        id: c.id,
        departement: c.departement,
        kind: c.kind,
        week: c.week,
        deadline: c.deadline,
        status: c.status,
        requests,
        metrics: c.metrics,
        created_at: c.created_at,
    })
}

pub async fn create_campaign(
    state: web::Data<AppState>,
    caller: Caller,
    ValidatedJson(body): ValidatedJson<CampaignIn>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin])?;
    let mut errors = Vec::new();
    let kind = OfferKind::parse(&body.kind)
        .map_err(|e| errors.push(FieldError::new("kind", e.to_string())))
        .ok();
    if kind == Some(OfferKind::PrepaMetiers) {
        errors.push(FieldError::new(
            "kind",
            "campaigns match one week: stage_3e or classe_entreprise",
        ));
    }
    let week = IsoWeek::parse(&body.week)
        .map_err(|e| errors.push(FieldError::new("week", e.to_string())))
        .ok();
    // Either form (93 or 093): stored as the collèges write it, which is
    // what a school's own département is compared with.
    let departement = crate::domain::college_departement(&body.departement);
    let known = entity::college::Entity::find()
        .filter(entity::college::Column::Departement.eq(departement.clone()))
        .count(&state.db)
        .await?;
    if known == 0 {
        errors.push(FieldError::new(
            "departement",
            "no collège in this département (codes look like 93 or 093, 2A, 974)",
        ));
    }
    let (Some(kind), Some(week), true) = (kind, week, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let created = match_requests::insert_campaign(
        &state.db,
        match_requests::NewCampaign {
            departement,
            kind: kind.as_str().to_owned(),
            week: week.to_string(),
            deadline: body.deadline,
        },
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(campaign_out(&state, created).await?))
}

pub async fn list_campaigns(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin, Role::School])?;
    let page = query.by_uuid()?;
    let rows = match_requests::campaigns(&state.db, &page).await?;
    let paginated = Paginated::from_rows(rows, page.limit, |c| c.id.to_string(), |c| c);
    let mut items = Vec::new();
    for c in paginated.items {
        items.push(campaign_out(&state, c).await?);
    }
    Ok(HttpResponse::Ok().json(Paginated {
        items,
        next_cursor: paginated.next_cursor,
    }))
}

pub async fn get_campaign(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin, Role::School])?;
    let c = match_requests::campaign(&state.db, id.into_inner())
        .await?
        .ok_or_else(|| ApiError::not_found("campaign"))?;
    Ok(HttpResponse::Ok().json(campaign_out(&state, c).await?))
}

/// Runs the campaign now instead of at its deadline.
pub async fn run_campaign(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin])?;
    let c = match_requests::campaign(&state.db, id.into_inner())
        .await?
        .ok_or_else(|| ApiError::not_found("campaign"))?;
    if !jobs::start_campaign(&state.db, c.id, state.clock.now()).await? {
        return Err(ApiError::Conflict(format!(
            "the campaign is {}; it runs once",
            c.status
        )));
    }
    let c = match_requests::campaign(&state.db, c.id)
        .await?
        .ok_or_else(|| ApiError::not_found("campaign"))?;
    Ok(HttpResponse::Accepted().json(campaign_out(&state, c).await?))
}
