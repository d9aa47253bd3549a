//! `PUT /v1/offers/external/{remote_id}`: an operator's offers, written
//! under the operator's own ids.
use super::dto::{OfferIn, OfferOut};
use super::parse::offer_data;
use super::{company, not_archived, seats_still_cover_placements};
use crate::error::ApiError;
use crate::extract::{Caller, ValidatedJson};
use crate::startup::AppState;
use crate::store::offers;
use actix_web::{HttpResponse, web};
use sea_orm::TransactionTrait;

fn valid_remote_id(remote_id: &str) -> bool {
    (1..=128).contains(&remote_id.len())
        && remote_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Idempotent upsert keyed by the operator's own id: 201 when created, 200
/// when an existing offer was replaced, 409 when that offer is archived (as
/// PATCH: an operator's re-sync must not bring back an offer the company
/// archived). Sending the same body twice leaves one offer with that content.
pub async fn upsert_external(
    state: web::Data<AppState>,
    caller: Caller,
    remote_id: web::Path<String>,
    ValidatedJson(body): ValidatedJson<OfferIn>,
) -> Result<HttpResponse, ApiError> {
    let org = company(&caller)?;
    let remote_id = remote_id.into_inner();
    if !valid_remote_id(&remote_id) {
        return Err(ApiError::field(
            "remote_id",
            "1 to 128 characters among letters, digits, '-', '_', '.', ':'",
        ));
    }
    let data = offer_data(&state, &state.db, &body).await?;
    // Two attempts: a concurrent PUT may insert between our lookup and our
    // insert; the unique index turns that into a conflict, and the second
    // attempt finds the row and updates it.
    for _ in 0..2 {
        if let Some(existing) = offers::find_by_remote_id(&state.db, org, &remote_id).await? {
            // Under the offer's lock and its weeks' (see `offers::lock`): no
            // match run adds placements between the count and the write, and
            // an archive that committed while we waited is seen.
            let txn = state.db.begin().await?;
            let locked = offers::lock(&txn, org, existing.id)
                .await?
                .ok_or_else(|| ApiError::not_found("offer"))?;
            not_archived(&locked)?;
            seats_still_cover_placements(&txn, existing.id, &data).await?;
            let record = offers::update(&txn, locked.offer, &data).await?;
            txn.commit().await?;
            state.search.upsert(&record);
            return Ok(HttpResponse::Ok().json(OfferOut::from(record)));
        }
        match offers::insert(&state.db, org, Some(remote_id.clone()), &data).await {
            Ok(record) => {
                state.search.upsert(&record);
                return Ok(HttpResponse::Created().json(OfferOut::from(record)));
            }
            Err(e) => match ApiError::from(e) {
                ApiError::Conflict(_) => continue,
                other => return Err(other),
            },
        }
    }
    Err(ApiError::Conflict(
        "the offer is being written concurrently; retry".into(),
    ))
}
