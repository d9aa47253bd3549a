//! `/v1/pairings/{id}/meetings`: what the pair did, dated between the start
//! of the pairing and today (or its end).
use super::mentees::structure_of;
use crate::domain::MeetingMode;
use crate::error::{ApiError, FieldError};
use crate::extract::{Caller, ValidatedJson};
use crate::pagination::{PageQuery, Paginated};
use crate::startup::AppState;
use crate::store::meetings::{self, MeetingData};
use crate::store::pairings;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use entity::meeting;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct MeetingIn {
    date: NaiveDate,
    #[validate(range(min = 5, max = 600, message = "a meeting lasts 5 to 600 minutes"))]
    duration_minutes: u32,
    mode: String,
    #[validate(length(max = 2000))]
    note: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MeetingOut {
    id: Uuid,
    pairing_id: Uuid,
    date: NaiveDate,
    duration_minutes: i32,
    mode: String,
    note: Option<String>,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
}

impl From<meeting::Model> for MeetingOut {
    fn from(m: meeting::Model) -> Self {
        Self {
            id: m.id,
            pairing_id: m.pairing_id,
            date: m.date,
            duration_minutes: m.duration_minutes,
            mode: m.mode,
            note: m.note,
            created_by: m.created_by,
            created_at: m.created_at,
        }
    }
}

pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    ValidatedJson(body): ValidatedJson<MeetingIn>,
) -> Result<HttpResponse, ApiError> {
    let org = structure_of(&caller)?;
    let pairing = pairings::find(&state.db, org, id.into_inner())
        .await?
        .ok_or_else(|| ApiError::not_found("pairing"))?;
    let Some(start) = pairing.start_date else {
        return Err(ApiError::Conflict(format!(
            "a {} pairing has not started: meetings are recorded once it is active",
            pairing.status
        )));
    };
    let mut errors = Vec::new();
    let mode = MeetingMode::parse(&body.mode)
        .map_err(|e| errors.push(FieldError::new("mode", e.to_string())))
        .ok();
    let today = state.clock.today();
    if body.date > today {
        errors.push(FieldError::new("date", "must not be in the future"));
    } else if body.date < start {
        errors.push(FieldError::new(
            "date",
            format!("must not be before the pairing started ({start})"),
        ));
    } else if let Some(end) = pairing.end_date.filter(|end| body.date > *end) {
        errors.push(FieldError::new(
            "date",
            format!("must not be after the pairing ended ({end})"),
        ));
    }
    let (Some(mode), true) = (mode, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let data = MeetingData {
        date: body.date,
        duration_minutes: body.duration_minutes,
        mode,
        note: body.note.filter(|n| !n.trim().is_empty()),
    };
    let created = meetings::insert(
        &state.db,
        pairing.id,
        &data,
        Some(caller.id),
        state.clock.now(),
    )
    .await?;
    Ok(HttpResponse::Created().json(MeetingOut::from(created)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeetingQuery {
    limit: Option<u64>,
    cursor: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: web::Query<MeetingQuery>,
) -> Result<HttpResponse, ApiError> {
    let org = structure_of(&caller)?;
    let pairing = pairings::find(&state.db, org, id.into_inner())
        .await?
        .ok_or_else(|| ApiError::not_found("pairing"))?;
    let q = query.into_inner();
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .by_uuid()?;
    let rows = meetings::list(&state.db, pairing.id, &page).await?;
    Ok(HttpResponse::Ok().json(Paginated::from_rows(
        rows,
        page.limit,
        |m| m.id.to_string(),
        MeetingOut::from,
    )))
}
