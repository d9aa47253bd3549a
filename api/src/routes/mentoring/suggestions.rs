//! `POST /v1/mentoring/suggestions`: per mentee, the best mentors of the
//! structure with a free place, each with a score and its reasons.
use super::unit_of;
use crate::error::ApiError;
use crate::extract::{Caller, ValidatedJson};
use crate::mentoring_match::{self, Suggestion};
use crate::pagination::{PageQuery, Paginated};
use crate::routes::mentees::structure_of;
use crate::startup::AppState;
use crate::store::mentoring as store;
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use entity::mentee;
use matcher::MatchConfig;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use uuid::Uuid;
use validator::Validate;

/// Mentees per page of suggestions when none are named.
const MENTEES_PER_PAGE: u64 = 50;
const DEFAULT_SUGGESTIONS: usize = 5;

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct SuggestionsIn {
    #[validate(length(min = 1, max = 100))]
    mentee_ids: Option<Vec<Uuid>>,
    /// Widens the mentees' radius (10 km, rural 30 km) up to this, ≤ 60 km.
    #[validate(range(min = 1.0, max = 60.0))]
    max_distance_km: Option<f64>,
    /// Mentors per mentee.
    #[validate(range(min = 1, max = 20))]
    limit: Option<u32>,
    /// Leaves out mentors (and unnamed mentees) available only later.
    available_by: Option<NaiveDate>,
    /// The `next_cursor` of the previous page, when no mentee is named.
    cursor: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MenteeSuggestions {
    mentee_id: Uuid,
    priority: String,
    remote_ok: bool,
    suggestions: Vec<Suggestion>,
    /// Why `suggestions` is empty.
    no_suggestion_reason: Option<&'static str>,
}

/// The named mentees, in the order given; one unknown is a 404 (another
/// structure's mentee is unknown here).
async fn named(state: &AppState, org: Uuid, ids: &[Uuid]) -> Result<Vec<mentee::Model>, ApiError> {
    let mut seen = HashSet::new();
    let ids: Vec<Uuid> = ids.iter().copied().filter(|id| seen.insert(*id)).collect();
    let found = store::mentees_among(&state.db, org, &ids).await?;
    ids.iter()
        .map(|id| {
            found
                .iter()
                .find(|m| m.id == *id)
                .cloned()
                .ok_or_else(|| ApiError::NotFound(format!("mentee {id} not found")))
        })
        .collect()
}

pub async fn suggestions(
    state: web::Data<AppState>,
    caller: Caller,
    ValidatedJson(body): ValidatedJson<SuggestionsIn>,
) -> Result<HttpResponse, ApiError> {
    let org = structure_of(&caller)?;
    let by = body.available_by.unwrap_or_else(|| state.clock.today());
    let (mentees, next_cursor) = match &body.mentee_ids {
        Some(_) if body.cursor.is_some() => {
            return Err(ApiError::field(
                "cursor",
                "pages are for unpaired mentees; not with mentee_ids",
            ));
        }
        Some(ids) => (named(&state, org, ids).await?, None),
        None => {
            let page = PageQuery {
                limit: Some(MENTEES_PER_PAGE),
                cursor: body.cursor.clone(),
            }
            .by_uuid()?;
            let rows =
                store::unpaired_mentees(&state.db, org, by, page.after, Some(page.limit + 1))
                    .await?;
            let page = Paginated::from_rows(rows, page.limit, |m| m.id.to_string(), |m| m);
            (page.items, page.next_cursor)
        }
    };
    let places = store::mentor_places(&state.db, org, by).await?;
    let config = MatchConfig::default();
    let limit = body.limit.map_or(DEFAULT_SUGGESTIONS, |l| l as usize);
    let mut items = Vec::with_capacity(mentees.len());
    for m in &mentees {
        let found = match unit_of(&state, &state.db, 0, m, body.max_distance_km).await? {
            Some(unit) => {
                let needs = mentoring_match::needs_of(m);
                mentoring_match::suggest(&unit, &needs, &places, &config, limit)
            }
            None => Err("no_location"),
        };
        let (suggestions, no_suggestion_reason) = match found {
            Ok(list) => (list, None),
            Err(reason) => (Vec::new(), Some(reason)),
        };
        items.push(MenteeSuggestions {
            mentee_id: m.id,
            priority: m.priority.clone(),
            remote_ok: m.remote_ok,
            suggestions,
            no_suggestion_reason,
        });
    }
    Ok(HttpResponse::Ok().json(Paginated { items, next_cursor }))
}
