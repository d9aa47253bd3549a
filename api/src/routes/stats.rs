//! `/v1/stats/placements`: demand, proposals and confirmations, grouped.
//! School users see their collège; admins see everything. The figures are
//! grouped in SQL by [`placement_stats`].
use crate::domain::Role;
use crate::error::ApiError;
use crate::extract::Caller;
use crate::startup::AppState;
use crate::store::placement_stats::{self, GroupBy};
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    group_by: String,
}

#[derive(Debug, Serialize)]
pub struct Row {
    /// The département in its INSEE form (`93`, `2A`, `971`, as in the
    /// mentoring figures), the tier, the kind or the week.
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
    let Some(grouping) = GroupBy::parse(&group_by) else {
        return Err(ApiError::field(
            "group_by",
            format!("must be one of: {}", GroupBy::NAMES.join(", ")),
        ));
    };
    let items = placement_stats::compute(&state.db, scope, grouping)
        .await?
        .into_iter()
        .map(|(group, c)| Row {
            group,
            demand: c.demand,
            proposals: c.proposals,
            active: c.active,
            confirmed: c.confirmed,
            match_rate: (c.demand > 0).then(|| c.proposals as f64 / c.demand as f64),
            fill_rate: c
                .seats
                .filter(|s| *s > 0)
                .map(|s| c.active as f64 / s as f64),
            mean_distance_km: (c.proposals > 0).then(|| c.distance_sum_km / c.proposals as f64),
        })
        .collect();
    Ok(HttpResponse::Ok().json(Stats { group_by, items }))
}
