//! A change of status: the fields it takes and, for a proposal or an
//! activation, the mentor: still active, and a free place to start.
use super::PairingPatch;
use crate::domain::{EndReason, PairingStatus};
use crate::error::{ApiError, FieldError};
use crate::store::pairings::{self, Move};
use chrono::NaiveDate;
use entity::pairing;

/// The fields of a move, checked against the move and the pairing.
pub(super) fn move_of(
    body: &PairingPatch,
    current: &pairing::Model,
    to: PairingStatus,
    today: NaiveDate,
) -> Result<Move, ApiError> {
    let mut errors = Vec::new();
    let only = |field: &str, when: &str, errors: &mut Vec<FieldError>| {
        errors.push(FieldError::new(field, format!("only when {when}")));
    };
    let ending = to == PairingStatus::Ended;
    let starting = to == PairingStatus::Active && current.start_date.is_none();
    if body.start_date.is_some() && !starting {
        only(
            "start_date",
            "a pairing becomes active for the first time",
            &mut errors,
        );
    }
    if !ending {
        for (field, given) in [
            ("end_date", body.end_date.is_some()),
            ("end_reason", body.end_reason.is_some()),
            ("closing_note", body.closing_note.is_some()),
        ] {
            if given {
                only(field, "the pairing ends", &mut errors);
            }
        }
    }
    if body.mentor_id.is_some() {
        errors.push(FieldError::new(
            "mentor_id",
            "the mentor of a draft changes without a change of status",
        ));
    }
    let mut change = Move {
        note: body.note.clone(),
        ..Move::default()
    };
    if starting {
        match body.start_date {
            None => errors.push(FieldError::new(
                "start_date",
                "required to make a pairing active",
            )),
            Some(date) if date > today => {
                errors.push(FieldError::new("start_date", "must not be in the future"))
            }
            Some(date) => change.start_date = Some(date),
        }
    }
    if ending {
        match body.end_reason.as_deref().map(EndReason::parse) {
            None => errors.push(FieldError::new("end_reason", "required to end a pairing")),
            Some(Err(e)) => errors.push(FieldError::new("end_reason", e.to_string())),
            Some(Ok(reason)) => change.end_reason = Some(reason),
        }
        let end = body.end_date.unwrap_or(today);
        if end > today {
            errors.push(FieldError::new("end_date", "must not be in the future"));
        } else if current.start_date.is_some_and(|start| end < start) {
            errors.push(FieldError::new(
                "end_date",
                "must not be before the start date",
            ));
        }
        change.end_date = Some(end);
        change.closing_note = body.closing_note.clone();
    }
    if errors.is_empty() {
        Ok(change)
    } else {
        errors.sort_by(|a, b| a.field.cmp(&b.field));
        Err(ApiError::Validation(errors))
    }
}

/// The pairing's mentor before it is proposed or becomes active (again),
/// read under his lock: he must still be `active` (a mentor paused or
/// inactive since the draft is refused as for a new pairing, 422 on
/// `mentor_id`), and an activation needs one of his places.
///
/// `current` was read before any lock, and a draft's mentor may change
/// until the draft's own row is locked: so the mentor it names is locked
/// first, then the pairing (mentor then pairing, as every writer of a
/// pairing takes them), and if the pairing changed in between (another
/// status, another mentor) the move answers 409 to read it again, rather
/// than check one mentor and propose the draft to another. Under both locks
/// neither the mentor's status nor the draft's mentor can change before the
/// move commits.
pub(super) async fn check_mentor(
    txn: &sea_orm::DatabaseTransaction,
    current: &pairing::Model,
    to: PairingStatus,
) -> Result<(), ApiError> {
    let org = current.organisation_id;
    let mentor = match current.mentor_id {
        Some(id) => pairings::lock_mentor(txn, org, id).await?,
        None => None,
    };
    let locked = pairings::lock(txn, org, current.id)
        .await?
        .ok_or_else(|| ApiError::not_found("pairing"))?;
    // A mentor deleted before or meanwhile leaves the pairing without one
    // (`mentor_id` set to null with the profile): refused below.
    if locked.status != current.status
        || locked
            .mentor_id
            .is_some_and(|id| Some(id) != current.mentor_id)
    {
        return Err(ApiError::Conflict(
            "the pairing changed meanwhile; read it again".into(),
        ));
    }
    let (Some(mentor_id), Some(mentor)) = (locked.mentor_id, mentor) else {
        return Err(no_mentor(to));
    };
    ApiError::check(super::unpairable(Some(&mentor)).into_iter().collect())?;
    if to != PairingStatus::Active {
        return Ok(());
    }
    let taken = pairings::places_taken(txn, mentor_id, current.id).await?;
    let capacity = u64::try_from(mentor.capacity).unwrap_or(0);
    if taken >= capacity {
        return Err(ApiError::Conflict(format!(
            "the mentor already accompanies {taken} mentee(s), his capacity is {capacity}"
        )));
    }
    Ok(())
}

/// A pairing whose mentor's profile was deleted: a draft cannot be proposed
/// to no one (422 on `mentor_id`: a draft may be given another mentor), a
/// proposal or a paused pairing cannot start again (409: its mentor cannot
/// change any more).
fn no_mentor(to: PairingStatus) -> ApiError {
    if to == PairingStatus::Proposed {
        return ApiError::field(
            "mentor_id",
            "the draft has no mentor (his profile was deleted): give it one first \
             (PATCH with mentor_id alone), then propose it",
        );
    }
    ApiError::Conflict("the mentor's profile was deleted; pair the mentee again".into())
}
