//! A draft pairing's edit: its mentor changes, without a change of status.
use super::PairingPatch;
use crate::domain::PairingStatus;
use crate::error::{ApiError, FieldError};
use crate::store::pairings;
use chrono::{DateTime, Utc};
use entity::pairing;
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

pub(super) async fn edit_draft(
    now: DateTime<Utc>,
    txn: &DatabaseTransaction,
    org: Uuid,
    current: &pairing::Model,
    from: PairingStatus,
    body: &PairingPatch,
) -> Result<(), ApiError> {
    let Some(mentor_id) = body.mentor_id else {
        return Err(ApiError::field(
            "status",
            "give a status to move the pairing, or a mentor_id to change a draft's mentor",
        ));
    };
    let mut errors = Vec::new();
    for (field, given) in [
        ("start_date", body.start_date.is_some()),
        ("end_date", body.end_date.is_some()),
        ("end_reason", body.end_reason.is_some()),
        ("closing_note", body.closing_note.is_some()),
    ] {
        if given {
            errors.push(FieldError::new(field, "only with a change of status"));
        }
    }
    // Read under the mentor's lock, as his places are (see `create`).
    let mentor = pairings::lock_mentor(txn, org, mentor_id).await?;
    errors.extend(super::unpairable(mentor.as_ref()));
    ApiError::check(errors)?;
    if let (PairingStatus::Draft, Some(mentor)) = (from, &mentor) {
        // A draft holds a place as a match run counts them.
        pairings::check_free_place(txn, mentor, Some(current.id)).await?;
    }
    if from != PairingStatus::Draft
        || !pairings::set_mentor(txn, current.id, mentor_id, now).await?
    {
        return Err(ApiError::Conflict(format!(
            "only a draft's mentor can change; this pairing is {from}"
        )));
    }
    Ok(())
}
