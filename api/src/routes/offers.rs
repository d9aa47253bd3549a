//! `/v1/offers`: a company's placement offers, written by its users and its
//! API clients, always scoped to the caller's organisation.
use crate::domain::{IsoWeek, OfferKind, OfferStatus, Role};
use crate::error::{ApiError, FieldError};
use crate::extract::{Caller, ValidatedJson, flatten};
use crate::pagination::{PageQuery, Paginated};
use crate::startup::AppState;
use crate::store::offers::{self, OfferData, OfferFilter, OfferRecord};
use actix_web::{HttpResponse, web};
use dto::{OfferIn, OfferOut, OfferPatch};
use parse::offer_data;
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde::Deserialize;
use uuid::Uuid;
use validator::Validate;

mod dto;
mod external;
mod parse;
mod search;

pub use external::upsert_external;
pub use search::search;

fn company(caller: &Caller) -> Result<Uuid, ApiError> {
    caller.member_of(&[Role::Company])
}

pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    ValidatedJson(body): ValidatedJson<OfferIn>,
) -> Result<HttpResponse, ApiError> {
    let org = company(&caller)?;
    let data = offer_data(&state, &state.db, &body).await?;
    let record = offers::insert(&state.db, org, None, &data).await?;
    state.search.upsert(&record);
    Ok(HttpResponse::Created().json(OfferOut::from(record)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferListQuery {
    kind: Option<String>,
    status: Option<String>,
    week: Option<String>,
    limit: Option<u64>,
    cursor: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<OfferListQuery>,
) -> Result<HttpResponse, ApiError> {
    let org = company(&caller)?;
    let q = query.into_inner();
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .by_uuid()?;
    let mut errors = Vec::new();
    let filter = OfferFilter {
        kind: q.kind.as_deref().and_then(|k| {
            OfferKind::parse(k)
                .map_err(|e| errors.push(FieldError::new("kind", e.to_string())))
                .ok()
        }),
        status: q.status.as_deref().and_then(|s| {
            OfferStatus::parse(s)
                .map_err(|e| errors.push(FieldError::new("status", e.to_string())))
                .ok()
        }),
        week: q.week.as_deref().and_then(|w| {
            IsoWeek::parse(w)
                .map_err(|e| errors.push(FieldError::new("week", e.to_string())))
                .ok()
        }),
    };
    ApiError::check(errors)?;
    let rows = offers::list(&state.db, org, &filter, &page).await?;
    Ok(HttpResponse::Ok().json(Paginated::from_rows(
        rows,
        page.limit,
        |r| r.offer.id.to_string(),
        OfferOut::from,
    )))
}

pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let org = company(&caller)?;
    let record = offers::find(&state.db, org, id.into_inner())
        .await?
        .ok_or_else(|| ApiError::not_found("offer"))?;
    Ok(HttpResponse::Ok().json(OfferOut::from(record)))
}

pub async fn patch(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    ValidatedJson(patch): ValidatedJson<OfferPatch>,
) -> Result<HttpResponse, ApiError> {
    let org = company(&caller)?;
    // Read and written under the row's lock: two PATCHes of different
    // fields each keep the other's, and an archive is not undone (lookups
    // go through `txn` too, see `mentors::patch`). The weeks are locked too,
    // so no match run adds placements between the seats' count and the write.
    let txn = state.db.begin().await?;
    let record = offers::lock(&txn, org, id.into_inner())
        .await?
        .ok_or_else(|| ApiError::not_found("offer"))?;
    not_archived(&record)?;
    let existing = record.offer.clone();
    let mut merged = OfferIn::from_out(OfferOut::from(record));
    merged.apply(patch)?;
    merged
        .validate()
        .map_err(|e| ApiError::Validation(flatten(&e)))?;
    let data = offer_data(&state, &txn, &merged).await?;
    seats_still_cover_placements(&txn, existing.id, &data).await?;
    let updated = offers::update(&txn, existing, &data).await?;
    txn.commit().await?;
    state.search.upsert(&updated);
    Ok(HttpResponse::Ok().json(OfferOut::from(updated)))
}

/// An archived offer is frozen: neither a PATCH nor an operator's PUT of
/// the same remote id may change it, which would also bring it back into
/// search (a routine re-sync must not undo the company's archive). Checked
/// on the record [`offers::lock`] read, so an archive that committed while
/// the writer waited for the lock is seen.
fn not_archived(record: &OfferRecord) -> Result<(), ApiError> {
    if record.offer.status == OfferStatus::Archived.as_str() {
        return Err(ApiError::Conflict(
            "an archived offer cannot be changed".into(),
        ));
    }
    Ok(())
}

/// A company may change its weeks and seats, but never below the seats its
/// proposed, accepted or confirmed placements hold.
async fn seats_still_cover_placements(
    db: &impl ConnectionTrait,
    offer_id: Uuid,
    data: &OfferData,
) -> Result<(), ApiError> {
    for (week, n) in offers::held_seats(db, offer_id).await? {
        if data.seats(&week) < n {
            return Err(ApiError::Conflict(format!(
                "{n} seat(s) of {week} are held by placements; decline them before lowering the seats"
            )));
        }
    }
    Ok(())
}

pub async fn archive(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let org = company(&caller)?;
    let id = id.into_inner();
    // Counted and archived under the offer's lock and its weeks' (see
    // `offers::lock`): no match run adds placements in between.
    let txn = state.db.begin().await?;
    if offers::lock(&txn, org, id).await?.is_some()
        && offers::held_seats(&txn, id).await?.values().any(|n| *n > 0)
    {
        return Err(ApiError::Conflict(
            "placements still hold seats on this offer; decline them before archiving it".into(),
        ));
    }
    let at = offers::archive(&txn, org, id)
        .await?
        .ok_or_else(|| ApiError::not_found("offer"))?;
    txn.commit().await?;
    state.search.remove(id, at);
    Ok(HttpResponse::NoContent().finish())
}
