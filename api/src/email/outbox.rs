//! The outbox table: messages are enqueued in the transaction of the event
//! that causes them and claimed by the sender with a lease.
use crate::pagination::Page;
use chrono::{DateTime, Utc};
use entity::email_outbox::{self, Column};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait,
    Iterable, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use std::time::Duration;
use uuid::Uuid;

/// Stands in a non-essential message for its unsubscribe URL; the sender
/// replaces it at delivery, once the recipient's token exists.
pub const UNSUBSCRIBE_PLACEHOLDER: &str = "%%UNSUBSCRIBE_URL%%";

/// Stands for `email.public_base_url` in messages rendered where the setting
/// is out of reach (the pairing store, whichever path changes a pairing);
/// the sender replaces it at delivery.
pub const PUBLIC_BASE_URL_PLACEHOLDER: &str = "%%PUBLIC_BASE_URL%%";

/// Which template a message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailKind {
    Invitation,
    PlacementProposed,
    PlacementAccepted,
    PlacementConfirmed,
    PlacementDeclined,
    PlacementExpired,
    ProposalReminder,
    PairingProposed,
    PairingStarted,
    AlertsDigest,
    Test,
}

impl EmailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EmailKind::Invitation => "invitation",
            EmailKind::PlacementProposed => "placement_proposed",
            EmailKind::PlacementAccepted => "placement_accepted",
            EmailKind::PlacementConfirmed => "placement_confirmed",
            EmailKind::PlacementDeclined => "placement_declined",
            EmailKind::PlacementExpired => "placement_expired",
            EmailKind::ProposalReminder => "proposal_reminder",
            EmailKind::PairingProposed => "pairing_proposed",
            EmailKind::PairingStarted => "pairing_started",
            EmailKind::AlertsDigest => "alerts_digest",
            EmailKind::Test => "test",
        }
    }

    /// Essential mail goes out whatever the recipient's preferences;
    /// reminders and digests honour an unsubscribe.
    pub fn is_essential(self) -> bool {
        !matches!(self, EmailKind::ProposalReminder | EmailKind::AlertsDigest)
    }
}

/// A rendered message, ready to enqueue. Build one with the
/// [`Email`](super::Email) constructors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEmail {
    pub kind: EmailKind,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// A reminder waiting for its time on the service's clock (in
    /// `next_attempt_at`); the sender never claims it, the worker's
    /// maintenance queues it when that time comes.
    Scheduled,
    Queued,
    Sending,
    Sent,
    Failed,
    Suppressed,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Scheduled,
        Status::Queued,
        Status::Sending,
        Status::Sent,
        Status::Failed,
        Status::Suppressed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Scheduled => "scheduled",
            Status::Queued => "queued",
            Status::Sending => "sending",
            Status::Sent => "sent",
            Status::Failed => "failed",
            Status::Suppressed => "suppressed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// Writes the message to the outbox on `db`, which should be the transaction
/// of the event that causes it: the event and its e-mail commit together, and
/// the sender delivers it once committed.
pub async fn enqueue(db: &impl ConnectionTrait, msg: NewEmail) -> Result<(), DbErr> {
    insert(db, msg, Status::Queued, Utc::now(), None).await
}

/// Like [`enqueue`], for a message not to be sent before `not_before` on
/// the service's clock (a reminder), tagged with `reference`
/// (`placement:<id>`) so that the event that makes it pointless cancels it
/// with [`cancel_scheduled`]. It waits as `scheduled` until
/// [`release_scheduled`] is called with a time that reached `not_before`.
pub async fn enqueue_scheduled(
    db: &impl ConnectionTrait,
    msg: NewEmail,
    not_before: DateTime<Utc>,
    reference: &str,
) -> Result<(), DbErr> {
    insert(
        db,
        msg,
        Status::Scheduled,
        not_before,
        Some(reference.to_owned()),
    )
    .await
}

/// Queues, due at once, the scheduled messages whose time `now` (the
/// service's clock) has reached; returns how many. The workflow's dates run
/// on that clock, which a test or the demo moves, while the sender's
/// retries and leases run on the system's: a reminder crosses from one to
/// the other here, and from then on is an ordinary queued message.
pub async fn release_scheduled(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let due = || {
        Condition::all()
            .add(Column::Status.eq(Status::Scheduled.as_str()))
            .add(Column::NextAttemptAt.lte(now))
    };
    // Most passes find nothing: a read says so without taking SQLite's
    // write lock.
    let any_due = email_outbox::Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(due())
        .limit(1)
        .into_tuple::<Uuid>()
        .one(db)
        .await?;
    if any_due.is_none() {
        return Ok(0);
    }
    let sent_from = Utc::now();
    let result = email_outbox::Entity::update_many()
        .col_expr(Column::Status, Expr::value(Status::Queued.as_str()))
        .col_expr(Column::NextAttemptAt, Expr::value(sent_from))
        .col_expr(Column::UpdatedAt, Expr::value(sent_from))
        .filter(due())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Like [`enqueue`], tagged with `reference` (`mentee:<id>`) so that the
/// messages about a person can be found again, to erase them.
pub async fn enqueue_about(
    db: &impl ConnectionTrait,
    msg: NewEmail,
    reference: &str,
) -> Result<(), DbErr> {
    insert(
        db,
        msg,
        Status::Queued,
        Utc::now(),
        Some(reference.to_owned()),
    )
    .await
}

/// What an erased message says instead of its subject and text.
pub const ERASED: &str = "[effacé]";

/// Erases the messages tagged with one of `references`, in the caller's
/// transaction (a person's erasure): unsent ones are dropped; the others
/// keep their kind, status and dates, lose their subject and text, and
/// their recipient too when `recipient` (the erased person's own copies).
/// A failed one becomes suppressed, so that no retry sends it empty; so does
/// one a sender has claimed but not sent: the sender holds its text in
/// memory, and [`renew`], which it calls just before delivering, then finds
/// the claim gone. Only a message whose delivery was already under way when
/// the erasure committed can still go out.
pub async fn erase(
    db: &impl ConnectionTrait,
    references: &[String],
    recipient: bool,
) -> Result<(), DbErr> {
    if references.is_empty() {
        return Ok(());
    }
    let tagged = || Column::Reference.is_in(references.iter().cloned());
    email_outbox::Entity::delete_many()
        .filter(tagged())
        .filter(Column::Status.is_in(unsent()))
        .exec(db)
        .await?;
    email_outbox::Entity::update_many()
        .col_expr(Column::Status, Expr::value(Status::Suppressed.as_str()))
        .col_expr(Column::ClaimToken, Expr::value(Option::<Uuid>::None))
        .col_expr(
            Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(tagged())
        .filter(Column::Status.is_in([Status::Failed.as_str(), Status::Sending.as_str()]))
        .exec(db)
        .await?;
    let mut update = email_outbox::Entity::update_many()
        .col_expr(Column::Subject, Expr::value(ERASED))
        .col_expr(Column::TextBody, Expr::value(ERASED))
        .col_expr(Column::HtmlBody, Expr::value(ERASED))
        .col_expr(Column::LastError, Expr::value(Option::<String>::None))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()));
    if recipient {
        update = update.col_expr(Column::Recipient, Expr::value(ERASED));
    }
    update.filter(tagged()).exec(db).await?;
    Ok(())
}

/// Drops the still-unsent (scheduled or queued) messages of `kind` tagged
/// `reference`, in the caller's transaction (a proposal answered before its
/// reminder). A message already being sent or sent stays. Returns how many
/// were dropped.
pub async fn cancel_scheduled(
    db: &impl ConnectionTrait,
    reference: &str,
    kind: EmailKind,
) -> Result<u64, DbErr> {
    let result = email_outbox::Entity::delete_many()
        .filter(Column::Reference.eq(reference))
        .filter(Column::Kind.eq(kind.as_str()))
        .filter(Column::Status.is_in(unsent()))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Messages no sender has touched yet.
fn unsent() -> [&'static str; 2] {
    [Status::Scheduled.as_str(), Status::Queued.as_str()]
}

async fn insert(
    db: &impl ConnectionTrait,
    msg: NewEmail,
    status: Status,
    not_before: DateTime<Utc>,
    reference: Option<String>,
) -> Result<(), DbErr> {
    email_outbox::Entity::insert(row(msg, status, not_before, reference))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The outbox row of a new message; its id, a UUIDv7, orders the rows as
/// they were made.
fn row(
    msg: NewEmail,
    status: Status,
    not_before: DateTime<Utc>,
    reference: Option<String>,
) -> email_outbox::ActiveModel {
    let now = Utc::now();
    email_outbox::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(msg.kind.as_str().to_owned()),
        recipient: Set(msg.to),
        subject: Set(msg.subject),
        text_body: Set(msg.text),
        html_body: Set(msg.html),
        essential: Set(msg.kind.is_essential()),
        status: Set(status.as_str().to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(not_before),
        locked_until: Set(None),
        claim_token: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        sent_at: Set(None),
        reference: Set(reference),
    }
}

/// Messages made one by one and written together with [`enqueue_many`]:
/// the same rows, in the same order, as [`enqueue`] and
/// [`enqueue_scheduled`] called in turn, in a few multi-row INSERTs instead
/// of one statement each. A national campaign run proposes tens of
/// thousands of placements, each with its tutor's e-mail: one round trip per
/// message took half of its commit.
#[derive(Default)]
pub struct Batch {
    rows: Vec<email_outbox::ActiveModel>,
}

impl Batch {
    /// As [`enqueue`].
    pub fn enqueue(&mut self, msg: NewEmail) {
        self.rows.push(row(msg, Status::Queued, Utc::now(), None));
    }

    /// As [`enqueue_scheduled`].
    pub fn enqueue_scheduled(&mut self, msg: NewEmail, not_before: DateTime<Utc>, reference: &str) {
        self.rows.push(row(
            msg,
            Status::Scheduled,
            not_before,
            Some(reference.to_owned()),
        ));
    }
}

/// Bound parameters one statement may carry on both databases: the SQLite
/// that sqlx bundles refuses more than 32,766 (its default
/// `SQLITE_MAX_VARIABLE_NUMBER`), PostgreSQL more than 65,535 (see
/// [`crate::store::IN_LIST`]).
const MAX_PARAMS: usize = 32_766;

/// Rows per INSERT of [`enqueue_many`]: every column of a row is a bound
/// parameter (17 today, so 1,927 rows and 32,759 parameters), and an INSERT
/// binds nothing else. Counted from the entity, so a new column shrinks the
/// chunks instead of making them fail.
fn rows_per_insert() -> usize {
    (MAX_PARAMS / <Column as Iterable>::iter().count()).max(1)
}

/// Writes the messages of `batch` on `db`, which should be the transaction
/// of the event that causes them (see [`enqueue`]), in order, in chunks of
/// [`rows_per_insert`].
pub async fn enqueue_many(db: &impl ConnectionTrait, batch: Batch) -> Result<(), DbErr> {
    let mut rows = batch.rows.into_iter().peekable();
    let per_insert = rows_per_insert();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(per_insert).collect();
        email_outbox::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// One claim: the messages and the token that proves the claim.
pub struct Claim {
    pub token: Uuid,
    pub messages: Vec<email_outbox::Model>,
}

/// Claims up to `limit` due messages for `lease`: queued ones whose time has
/// come, and those whose previous claimant's lease ran out (it crashed).
/// One statement, so two processes never claim the same row: PostgreSQL
/// locks the chosen rows and skips those another claim holds; SQLite runs it
/// under its single database write lock.
pub async fn claim(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u64,
) -> Result<Claim, DbErr> {
    let token = Uuid::now_v7();
    // Most polls find nothing: a read says so without taking SQLite's write
    // lock or writing a PostgreSQL row version.
    let due = Condition::any()
        .add(
            Condition::all()
                .add(Column::Status.eq(Status::Queued.as_str()))
                .add(Column::NextAttemptAt.lte(now)),
        )
        .add(
            Condition::all()
                .add(Column::Status.eq(Status::Sending.as_str()))
                .add(Column::LockedUntil.lte(now)),
        );
    let any_due = email_outbox::Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(due)
        .limit(1)
        .into_tuple::<Uuid>()
        .one(db)
        .await?;
    if any_due.is_none() {
        return Ok(Claim {
            token,
            messages: Vec::new(),
        });
    }
    let lease_end = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "WITH due AS (
                SELECT id FROM email_outbox
                WHERE (status = 'queued' AND next_attempt_at <= $1)
                   OR (status = 'sending' AND locked_until <= $1)
                ORDER BY next_attempt_at
                LIMIT $2
                FOR UPDATE SKIP LOCKED
            )
            UPDATE email_outbox o
            SET status = 'sending', locked_until = $3, claim_token = $4,
                attempts = o.attempts + 1, updated_at = $1
            FROM due WHERE o.id = due.id
            RETURNING o.*"
        }
        _ => {
            "UPDATE email_outbox
            SET status = 'sending', locked_until = ?3, claim_token = ?4,
                attempts = attempts + 1, updated_at = ?1
            WHERE id IN (
                SELECT id FROM email_outbox
                WHERE (status = 'queued' AND next_attempt_at <= ?1)
                   OR (status = 'sending' AND locked_until <= ?1)
                ORDER BY next_attempt_at
                LIMIT ?2
            )
            RETURNING *"
        }
    };
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let statement = Statement::from_sql_and_values(
        backend,
        sql,
        [now.into(), limit.into(), lease_end.into(), token.into()],
    );
    let messages = email_outbox::Entity::find()
        .from_raw_sql(statement)
        .all(db)
        .await?;
    Ok(Claim { token, messages })
}

/// Extends the lease of a claimed message to `until`, just before it is
/// sent, so that messages late in a batch are not taken over by another
/// process while this one still means to send them. Returns whether the
/// claim is still ours (if not, the message must not be sent).
pub async fn renew(
    db: &impl ConnectionTrait,
    id: Uuid,
    token: Uuid,
    until: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = email_outbox::Entity::update_many()
        .col_expr(Column::LockedUntil, Expr::value(Some(until)))
        .filter(Column::Id.eq(id))
        .filter(Column::ClaimToken.eq(token))
        .filter(Column::Status.eq(Status::Sending.as_str()))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// What became of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Try again at the given time.
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    Failed {
        error: String,
    },
    Suppressed,
}

/// Records the outcome, only while the claim is still ours: a sender that
/// overran its lease must not overwrite the result of the one that took over.
/// Returns whether it was.
pub async fn settle(
    db: &impl ConnectionTrait,
    id: Uuid,
    token: Uuid,
    outcome: Outcome,
) -> Result<bool, DbErr> {
    let now = Utc::now();
    let mut update = email_outbox::Entity::update_many()
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .col_expr(
            Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(Column::ClaimToken, Expr::value(Option::<Uuid>::None));
    update = match outcome {
        Outcome::Sent => update
            .col_expr(Column::Status, Expr::value(Status::Sent.as_str()))
            .col_expr(Column::SentAt, Expr::value(Some(now)))
            .col_expr(Column::LastError, Expr::value(Option::<String>::None)),
        Outcome::Retry { at, error } => update
            .col_expr(Column::Status, Expr::value(Status::Queued.as_str()))
            .col_expr(Column::NextAttemptAt, Expr::value(at))
            .col_expr(Column::LastError, Expr::value(Some(error))),
        Outcome::Failed { error } => update
            .col_expr(Column::Status, Expr::value(Status::Failed.as_str()))
            .col_expr(Column::LastError, Expr::value(Some(error))),
        Outcome::Suppressed => {
            update.col_expr(Column::Status, Expr::value(Status::Suppressed.as_str()))
        }
    };
    let result = update
        .filter(Column::Id.eq(id))
        .filter(Column::ClaimToken.eq(token))
        .filter(Column::Status.eq(Status::Sending.as_str()))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Messages, oldest first, optionally of one status: limit + 1 rows.
pub async fn list(
    db: &impl ConnectionTrait,
    status: Option<Status>,
    page: &Page<Uuid>,
) -> Result<Vec<email_outbox::Model>, DbErr> {
    let mut query = email_outbox::Entity::find().order_by_asc(Column::Id);
    if let Some(status) = status {
        query = query.filter(Column::Status.eq(status.as_str()));
    }
    if let Some(after) = page.after {
        query = query.filter(Column::Id.gt(after));
    }
    query.limit(page.limit + 1).all(db).await
}

pub async fn find(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<email_outbox::Model>, DbErr> {
    email_outbox::Entity::find_by_id(id).one(db).await
}

/// Puts a failed message back in the queue, due now, with fresh attempts.
/// Returns whether it was failed (and so re-queued).
pub async fn requeue_failed(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    let now = Utc::now();
    let result = email_outbox::Entity::update_many()
        .col_expr(Column::Status, Expr::value(Status::Queued.as_str()))
        .col_expr(Column::Attempts, Expr::value(0))
        .col_expr(Column::NextAttemptAt, Expr::value(now))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .col_expr(Column::LastError, Expr::value(Option::<String>::None))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(Status::Failed.as_str()))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
