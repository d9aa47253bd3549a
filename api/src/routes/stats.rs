//! `/v1/stats/placements`: demand, proposals and confirmations, grouped.
//! School users see their collège; admins see everything.
use crate::domain::{PlacementStatus, Role};
use crate::error::ApiError;
use crate::extract::Caller;
use crate::startup::AppState;
use actix_web::{HttpResponse, web};
use entity::{college, match_request, offer, offer_week, organisation, placement};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    group_by: String,
}

#[derive(Debug, Default, Serialize)]
pub struct Row {
    group: String,
    /// Pupils (or groups) in the requests that ran.
    demand: u64,
    /// Proposals made, whatever became of them.
    proposals: u64,
    /// Proposals still holding a seat (proposed, accepted, confirmed).
    active: u64,
    confirmed: u64,
    /// `proposals / demand`.
    match_rate: Option<f64>,
    /// Active placements over the seats offered in the group; absent when
    /// seats do not belong to the group (priority tiers).
    fill_rate: Option<f64>,
    mean_distance_km: Option<f64>,
    #[serde(skip)]
    distance_sum: f64,
    #[serde(skip)]
    seats: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct Stats {
    group_by: String,
    items: Vec<Row>,
}

pub async fn placements(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin, Role::School])?;
    let scope = (caller.role == Role::School)
        .then(|| caller.organisation())
        .transpose()?;
    let group_by = query.into_inner().group_by;
    if !["departement", "priority", "kind", "week"].contains(&group_by.as_str()) {
        return Err(ApiError::field(
            "group_by",
            "must be one of: departement, priority, kind, week",
        ));
    }
    let db = &state.db;
    let mut requests =
        match_request::Entity::find().filter(match_request::Column::Status.eq("done"));
    let mut placement_rows = placement::Entity::find();
    if let Some(org) = scope {
        requests = requests.filter(match_request::Column::OrganisationId.eq(org));
        placement_rows = placement_rows.filter(placement::Column::SchoolId.eq(org));
    }
    let requests = requests.all(db).await?;
    let placement_rows = placement_rows.all(db).await?;

    // Département of each school organisation, from its collège.
    let departements: HashMap<Uuid, String> = if group_by == "departement" {
        let orgs = organisation::Entity::find()
            .filter(organisation::Column::Kind.eq("school"))
            .all(db)
            .await?;
        let colleges: HashMap<String, String> = college::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.uai, c.departement))
            .collect();
        orgs.into_iter()
            .filter_map(|o| {
                o.uai
                    .and_then(|u| colleges.get(&u).cloned())
                    .map(|d| (o.id, d))
            })
            .collect()
    } else {
        HashMap::new()
    };
    let request_by_id: HashMap<Uuid, &match_request::Model> =
        requests.iter().map(|r| (r.id, r)).collect();
    let key = |request: Option<&match_request::Model>, school: Uuid, tier: &str| -> String {
        match group_by.as_str() {
            "departement" => departements
                .get(&school)
                .cloned()
                .unwrap_or_else(|| "unknown".into()),
            "priority" => tier.to_owned(),
            "kind" => request.map(|r| r.kind.clone()).unwrap_or_default(),
            _ => request.map(|r| r.week_start.clone()).unwrap_or_default(),
        }
    };
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    for p in &placement_rows {
        let request = request_by_id.get(&p.match_request_id).copied();
        let row = rows
            .entry(key(request, p.school_id, &p.priority))
            .or_default();
        row.demand += 1;
        row.proposals += 1;
        row.distance_sum += p.distance_km;
        let status = PlacementStatus::parse(&p.status).ok();
        if status.is_some_and(|s| PlacementStatus::ACTIVE.contains(&s)) {
            row.active += 1;
        }
        if status == Some(PlacementStatus::Confirmed) {
            row.confirmed += 1;
        }
    }
    for r in &requests {
        for u in r
            .unmatched
            .as_ref()
            .and_then(|u| u.as_array())
            .into_iter()
            .flatten()
        {
            let tier = u["tier"].as_str().unwrap_or("standard");
            rows.entry(key(Some(r), r.organisation_id, tier))
                .or_default()
                .demand += 1;
        }
    }
    // Seats offered, for the dimensions seats belong to (admins only: a
    // school's fill rate would mix in other schools' placements).
    if scope.is_none() && group_by != "priority" {
        let offers: HashMap<Uuid, offer::Model> = offer::Entity::find()
            .filter(offer::Column::Status.ne("draft"))
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.id, o))
            .collect();
        let communes = &state.communes;
        for w in offer_week::Entity::find().all(db).await? {
            let Some(o) = offers.get(&w.offer_id) else {
                continue;
            };
            let group = match group_by.as_str() {
                "departement" => communes
                    .get(db, &o.commune_insee)
                    .await?
                    .map(|c| c.departement)
                    .unwrap_or_default(),
                "kind" => o.kind.clone(),
                _ => w.week.clone(),
            };
            if let Some(row) = rows.get_mut(&group) {
                *row.seats.get_or_insert(0) += w.seats.max(0) as u64;
            }
        }
    }
    let items = rows
        .into_iter()
        .map(|(group, mut row)| {
            row.group = group;
            row.match_rate = (row.demand > 0).then(|| row.proposals as f64 / row.demand as f64);
            row.mean_distance_km =
                (row.proposals > 0).then(|| row.distance_sum / row.proposals as f64);
            row.fill_rate = row
                .seats
                .filter(|s| *s > 0)
                .map(|s| row.active as f64 / s as f64);
            row
        })
        .collect();
    Ok(HttpResponse::Ok().json(Stats { group_by, items }))
}
