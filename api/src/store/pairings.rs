//! Pairings and their history. Every change of status is a conditional
//! update (from the status read) plus one history row, in the caller's
//! transaction; a proposal or a start also writes its e-mails there
//! (`notify::pairing`), whoever makes the change.
use crate::domain::{EndReason, PairingStatus};
use crate::pagination::Page;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{mentee, mentor, pairing, pairing_event};
use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

/// A new pairing, as the coordinator or a match run creates it.
#[derive(Debug, Clone)]
pub struct NewPairing<'a> {
    pub mentee: &'a mentee::Model,
    pub mentor_id: Uuid,
    pub status: PairingStatus,
    /// `manual` or `match_run`.
    pub origin: &'static str,
    pub distance_km: Option<f64>,
    pub remote: bool,
    pub actor_id: Option<Uuid>,
    pub note: Option<String>,
    /// The service clock's time of the change.
    pub at: DateTime<Utc>,
}

fn event(
    pairing_id: Uuid,
    actor_id: Option<Uuid>,
    from: Option<PairingStatus>,
    to: PairingStatus,
    reason: Option<EndReason>,
    note: Option<String>,
    at: DateTime<Utc>,
) -> pairing_event::ActiveModel {
    pairing_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        pairing_id: Set(pairing_id),
        actor_id: Set(actor_id),
        from_status: Set(from.map(|s| s.as_str().to_owned())),
        to_status: Set(to.as_str().to_owned()),
        reason: Set(reason.map(|r| r.as_str().to_owned())),
        note: Set(note),
        at: Set(at),
    }
}

/// Inserts the pairing and its first history row. A mentee who already has
/// an open pairing makes this fail with a unique violation.
pub async fn insert(
    db: &impl ConnectionTrait,
    new: NewPairing<'_>,
) -> Result<pairing::Model, DbErr> {
    let now = new.at;
    let model = pairing::ActiveModel {
        id: Set(Uuid::now_v7()),
        organisation_id: Set(new.mentee.organisation_id),
        mentee_id: Set(new.mentee.id),
        mentor_id: Set(Some(new.mentor_id)),
        open_mentee_id: Set(Some(new.mentee.id)),
        status: Set(new.status.as_str().to_owned()),
        origin: Set(new.origin.to_owned()),
        priority: Set(new.mentee.priority.clone()),
        departement: Set(new.mentee.departement.clone()),
        distance_km: Set(new.distance_km),
        remote: Set(new.remote),
        start_date: Set(None),
        end_date: Set(None),
        end_reason: Set(None),
        closing_note: Set(None),
        proposed_at: Set((new.status == PairingStatus::Proposed).then_some(now)),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let created = pairing::Entity::insert(model)
        .exec_with_returning(db)
        .await?;
    pairing_event::Entity::insert(event(
        created.id,
        new.actor_id,
        None,
        new.status,
        None,
        new.note,
        now,
    ))
    .exec_without_returning(db)
    .await?;
    crate::notify::pairing::moved(db, &created, None, new.status).await?;
    Ok(created)
}

pub async fn find(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    id: Uuid,
) -> Result<Option<pairing::Model>, DbErr> {
    pairing::Entity::find_by_id(id)
        .filter(pairing::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await
}

/// The open pairing of a mentee, if any.
pub async fn open_of_mentee(
    db: &impl ConnectionTrait,
    mentee_id: Uuid,
) -> Result<Option<pairing::Model>, DbErr> {
    pairing::Entity::find()
        .filter(pairing::Column::OpenMenteeId.eq(mentee_id))
        .one(db)
        .await
}

#[derive(Debug, Default, Clone)]
pub struct PairingFilter {
    pub status: Option<PairingStatus>,
    pub mentee_id: Option<Uuid>,
    pub mentor_id: Option<Uuid>,
}

pub async fn list(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    filter: &PairingFilter,
    page: &Page<Uuid>,
) -> Result<Vec<pairing::Model>, DbErr> {
    let mut query = pairing::Entity::find()
        .filter(pairing::Column::OrganisationId.eq(organisation_id))
        .order_by_asc(pairing::Column::Id);
    if let Some(after) = page.after {
        query = query.filter(pairing::Column::Id.gt(after));
    }
    if let Some(status) = filter.status {
        query = query.filter(pairing::Column::Status.eq(status.as_str()));
    }
    if let Some(id) = filter.mentee_id {
        query = query.filter(pairing::Column::MenteeId.eq(id));
    }
    if let Some(id) = filter.mentor_id {
        query = query.filter(pairing::Column::MentorId.eq(id));
    }
    query.limit(page.limit + 1).all(db).await
}

/// The history of a pairing, oldest first.
pub async fn history(
    db: &impl ConnectionTrait,
    pairing_id: Uuid,
) -> Result<Vec<pairing_event::Model>, DbErr> {
    pairing_event::Entity::find()
        .filter(pairing_event::Column::PairingId.eq(pairing_id))
        .order_by_asc(pairing_event::Column::At)
        .order_by_asc(pairing_event::Column::Id)
        .all(db)
        .await
}

/// The structure's mentor, his row locked until the transaction ends
/// (PostgreSQL; SQLite has one writer). What is read here stays true until
/// the caller's pairing is written: two activations of the same mentor
/// count his places one after the other, and a pause of the mentor waits
/// for the pairing (or the pairing reads the pause); a PATCH of the profile
/// reads and writes it under this lock, so two PATCHes never undo each
/// other's fields. Another structure's mentor is `None`, as if he did not
/// exist.
pub async fn lock_mentor(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    mentor_id: Uuid,
) -> Result<Option<mentor::Model>, DbErr> {
    let query = mentor::Entity::find_by_id(mentor_id)
        .filter(mentor::Column::OrganisationId.eq(organisation_id));
    super::locked(db, query, LockType::Update).one(db).await
}

/// The structure's pairing, its row locked until the transaction ends
/// (PostgreSQL; SQLite has one writer): its status and its mentor stay what
/// is read here until the caller's move is written, so a draft cannot be
/// given another mentor in between. Taken after the lock of the mentor it
/// is checked against ([`lock_mentor`]), never before: whoever writes a
/// pairing under a mentor's lock (a new pairing, a draft's change of mentor,
/// a move, a run, its publication, the mentor's deletion) takes the mentor
/// first. `FOR NO KEY UPDATE`, as the move's own update: rows that only
/// refer to the pairing (its history, its meetings) are not held up.
pub async fn lock(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    id: Uuid,
) -> Result<Option<pairing::Model>, DbErr> {
    let query =
        pairing::Entity::find_by_id(id).filter(pairing::Column::OrganisationId.eq(organisation_id));
    super::locked(db, query, LockType::NoKeyUpdate)
        .one(db)
        .await
}

/// How many of the mentor's places are taken (active or paused pairings),
/// leaving one pairing out.
pub async fn places_taken(
    db: &impl ConnectionTrait,
    mentor_id: Uuid,
    except: Uuid,
) -> Result<u64, DbErr> {
    pairing::Entity::find()
        .filter(pairing::Column::MentorId.eq(mentor_id))
        .filter(pairing::Column::Id.ne(except))
        .filter(pairing::Column::Status.is_in(PairingStatus::HOLDING.map(|s| s.as_str())))
        .count(db)
        .await
}

/// Why a mentor cannot take one more open pairing.
#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    #[error(
        "the mentor has no free place: capacity {capacity}, {taken} taken by open \
         pairings (draft, proposed, active or paused)"
    )]
    Full { capacity: u64, taken: u64 },
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Checks that the mentor has a free place as a match run counts them:
/// capacity minus his open pairings (draft, proposed, active, paused),
/// `except` left out (the draft that changes mentor, which may keep its
/// own). `mentor` comes from [`lock_mentor`] in the same transaction, so
/// that two callers cannot both take his last place.
pub async fn check_free_place(
    db: &impl ConnectionTrait,
    mentor: &mentor::Model,
    except: Option<Uuid>,
) -> Result<(), PlaceError> {
    let mut open = pairing::Entity::find()
        .filter(pairing::Column::MentorId.eq(mentor.id))
        .filter(pairing::Column::OpenMenteeId.is_not_null());
    if let Some(except) = except {
        open = open.filter(pairing::Column::Id.ne(except));
    }
    let taken = open.count(db).await?;
    let capacity = u64::try_from(mentor.capacity).unwrap_or(0);
    if taken >= capacity {
        return Err(PlaceError::Full { capacity, taken });
    }
    Ok(())
}

/// A change of status and the fields that go with it.
#[derive(Debug, Clone, Default)]
pub struct Move {
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub end_reason: Option<EndReason>,
    pub closing_note: Option<String>,
    pub note: Option<String>,
    /// The caller writes the e-mails of a batch of moves at once
    /// (`notify::pairing::moved_ids`, one read for the batch): skip them here.
    pub mail_by_caller: bool,
}

/// Moves the pairing from `from` to `to` if it is still `from`; `false`
/// when it changed meanwhile (nothing written then).
pub async fn transition(
    db: &impl ConnectionTrait,
    id: Uuid,
    from: PairingStatus,
    to: PairingStatus,
    change: Move,
    actor_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    use pairing::Column as C;
    let mut update = pairing::Entity::update_many()
        .col_expr(C::Status, Expr::value(to.as_str()))
        .col_expr(C::UpdatedAt, Expr::value(now));
    if !to.is_open() {
        update = update.col_expr(C::OpenMenteeId, Expr::value(Option::<Uuid>::None));
    }
    if to == PairingStatus::Proposed {
        update = update.col_expr(C::ProposedAt, Expr::value(now));
    }
    if let Some(date) = change.start_date {
        update = update.col_expr(C::StartDate, Expr::value(date));
    }
    if let Some(date) = change.end_date {
        update = update.col_expr(C::EndDate, Expr::value(date));
    }
    if let Some(reason) = change.end_reason {
        update = update.col_expr(C::EndReason, Expr::value(reason.as_str()));
    }
    if let Some(note) = &change.closing_note {
        update = update.col_expr(C::ClosingNote, Expr::value(note.clone()));
    }
    let result = update
        .filter(C::Id.eq(id))
        .filter(C::Status.eq(from.as_str()))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Ok(false);
    }
    pairing_event::Entity::insert(event(
        id,
        actor_id,
        Some(from),
        to,
        change.end_reason,
        change.note,
        now,
    ))
    .exec_without_returning(db)
    .await?;
    if !change.mail_by_caller
        && crate::notify::pairing::notifies(Some(from), to)
        && let Some(moved) = pairing::Entity::find_by_id(id).one(db).await?
    {
        crate::notify::pairing::moved(db, &moved, Some(from), to).await?;
    }
    Ok(true)
}

/// Changes the mentor of a draft; `false` when it is no longer a draft.
pub async fn set_mentor(
    db: &impl ConnectionTrait,
    id: Uuid,
    mentor_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = pairing::Entity::update_many()
        .col_expr(pairing::Column::MentorId, Expr::value(mentor_id))
        .col_expr(
            pairing::Column::DistanceKm,
            Expr::value(Option::<f64>::None),
        )
        .col_expr(pairing::Column::Remote, Expr::value(false))
        .col_expr(pairing::Column::UpdatedAt, Expr::value(now))
        .filter(pairing::Column::Id.eq(id))
        .filter(pairing::Column::Status.eq(PairingStatus::Draft.as_str()))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// A mentee is erased: open pairings close (drafts and proposals declined,
/// running ones ended as `mentee_withdrew`), and the free texts that may
/// name them are emptied. Dates, statuses and reasons stay, anonymous.
pub async fn forget_mentee(
    db: &impl ConnectionTrait,
    mentee_id: Uuid,
    actor_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let today = now.date_naive();
    let open = pairing::Entity::find()
        .filter(pairing::Column::MenteeId.eq(mentee_id))
        .filter(pairing::Column::OpenMenteeId.is_not_null())
        .all(db)
        .await?;
    for p in open {
        let Ok(from) = PairingStatus::parse(&p.status) else {
            continue;
        };
        let (to, change) = if PairingStatus::HOLDING.contains(&from) {
            (
                PairingStatus::Ended,
                Move {
                    end_date: Some(today.max(p.start_date.unwrap_or(today))),
                    end_reason: Some(EndReason::MenteeWithdrew),
                    ..Move::default()
                },
            )
        } else {
            (PairingStatus::Declined, Move::default())
        };
        transition(db, p.id, from, to, change, actor_id, now).await?;
    }
    let ids: Vec<Uuid> = pairing::Entity::find()
        .select_only()
        .column(pairing::Column::Id)
        .filter(pairing::Column::MenteeId.eq(mentee_id))
        .into_tuple()
        .all(db)
        .await?;
    pairing::Entity::update_many()
        .col_expr(
            pairing::Column::ClosingNote,
            Expr::value(Option::<String>::None),
        )
        .filter(pairing::Column::MenteeId.eq(mentee_id))
        .exec(db)
        .await?;
    pairing_event::Entity::update_many()
        .col_expr(
            pairing_event::Column::Note,
            Expr::value(Option::<String>::None),
        )
        .filter(pairing_event::Column::PairingId.is_in(ids.clone()))
        .exec(db)
        .await?;
    super::meetings::forget_notes(db, &ids).await?;
    crate::notify::pairing::forget_mentee(db, mentee_id, &ids).await
}
