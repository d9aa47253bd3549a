//! `GET /v1/stats/mentoring`: pairs started, running and ended, how many
//! lasted the programme's minimum, the share of priority mentees and the
//! progress towards the yearly target, grouped. Coordinators see their
//! structure, admins everything (or one structure).
use super::pairing_alerts::scope_of;
use crate::error::ApiError;
use crate::extract::Caller;
use crate::startup::AppState;
use crate::store::mentoring_stats::{self, Counts, GroupBy, Key, Period};
use actix_web::{HttpResponse, web};
use chrono::Datelike;
use entity::organisation;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MentoringStatsQuery {
    group_by: String,
    /// The calendar year of the target (this year by default).
    year: Option<i32>,
    /// Admins: one structure only.
    organisation_id: Option<Uuid>,
}

#[derive(Debug, Serialize)]
pub struct Row {
    /// The group's value; `null` for pairs not started, by month.
    group: Option<String>,
    /// The structure's name, by structure.
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    #[serde(flatten)]
    counts: Counts,
    /// `lasted_minimum / settled`.
    lasting_share: Option<f64>,
    /// `priority_started / started`.
    priority_share: Option<f64>,
    /// `started_in_year / yearly_target`.
    target_progress: f64,
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn row(group: Option<String>, label: Option<String>, counts: Counts, target: u64) -> Row {
    Row {
        group,
        label,
        lasting_share: ratio(counts.lasted_minimum, counts.settled),
        priority_share: ratio(counts.priority_started, counts.started),
        target_progress: counts.started_in_year as f64 / target.max(1) as f64,
        counts,
    }
}

pub async fn mentoring(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<MentoringStatsQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let scope = scope_of(&caller, q.organisation_id)?;
    let group_by = GroupBy::parse(&q.group_by).ok_or_else(|| {
        ApiError::field(
            "group_by",
            format!("must be one of: {}", GroupBy::NAMES.join(", ")),
        )
    })?;
    let today = state.clock.today();
    let year = q.year.unwrap_or(today.year());
    if !(2000..=2100).contains(&year) {
        return Err(ApiError::field("year", "must be between 2000 and 2100"));
    }
    let settings = &state.mentoring;
    let period = Period {
        today,
        year,
        minimum_months: settings.minimum_months,
    };
    let groups = mentoring_stats::compute(&state.db, scope, group_by, period).await?;
    let structures: Vec<Uuid> = groups
        .iter()
        .filter_map(|(k, _)| match k {
            Key::Structure(id) => Some(*id),
            _ => None,
        })
        .collect();
    let names: HashMap<Uuid, String> = if structures.is_empty() {
        HashMap::new()
    } else {
        organisation::Entity::find()
            .filter(organisation::Column::Id.is_in(structures))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect()
    };
    let target = settings.yearly_target;
    let total = Counts::sum(groups.iter().map(|(_, c)| c));
    let items: Vec<Row> = groups
        .into_iter()
        .map(|(key, counts)| match key {
            Key::Text(value) => row(Some(value), None, counts, target),
            Key::Structure(id) => row(
                Some(id.to_string()),
                names.get(&id).cloned(),
                counts,
                target,
            ),
            Key::None => row(None, None, counts, target),
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "group_by": q.group_by,
        "as_of": today,
        "year": year,
        "yearly_target": target,
        "minimum_months": settings.minimum_months,
        "items": items,
        "total": row(None, None, total, target),
    })))
}
