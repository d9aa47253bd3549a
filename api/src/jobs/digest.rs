//! The weekly alerts digest, run by every process's maintenance pass on the
//! service's clock: from Monday 06:00 in Paris (05:00 UTC in winter, 04:00
//! in summer), each mentoring structure's alerts are computed once for the
//! Paris ISO week and mailed to its coordinators. The `alerts_digest` row
//! (structure, week) is inserted in the transaction that writes the
//! messages: a second process, or a later pass, inserts nothing and sends
//! nothing. A structure without alerts gets its row too, so that its alerts
//! are not recomputed every pass.
use crate::notify;
use crate::store::alerts::{self, Scope, Thresholds};
use chrono::{DateTime, Datelike, Timelike, Utc, Weekday};
use chrono_tz::Europe::Paris;
use entity::{alerts_digest, organisation};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    QuerySelect, TransactionTrait,
};
use std::collections::HashSet;
use uuid::Uuid;

/// Digests go out from this hour on Monday, Paris time (the coordinators
/// are in France, and their morning moves with summer time): early, before
/// their week starts, after the weekend's night work.
pub const SEND_FROM_HOUR: u32 = 6;

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DigestPass {
    /// `2027-W10`, or `None` before Monday's sending hour.
    pub iso_week: Option<String>,
    /// Structures this pass handled (digest sent, or no alerts).
    pub structures: usize,
    /// Messages written to the outbox.
    pub messages: usize,
}

/// The ISO week whose digests are due at `now`, if their time has come:
/// the week and its Monday morning are those of Paris, whose offset from
/// UTC (one hour, two in summer) comes from the IANA rules of `chrono-tz`.
/// Between Monday 00:00 and 06:00 in Paris (still Sunday in UTC for the
/// first hour or two), nothing is due: last week's digests are done and
/// this week's wait for the morning.
pub fn due_week(now: DateTime<Utc>) -> Option<String> {
    let paris = now.with_timezone(&Paris);
    if paris.weekday() == Weekday::Mon && paris.hour() < SEND_FROM_HOUR {
        return None;
    }
    let week = paris.iso_week();
    Some(format!("{:04}-W{:02}", week.year(), week.week()))
}

/// Handles every structure whose digest of the week at `now` is not done.
pub async fn run(
    db: &DatabaseConnection,
    base_url: &str,
    thresholds: &Thresholds,
    now: DateTime<Utc>,
) -> Result<DigestPass, DbErr> {
    let Some(week) = due_week(now) else {
        return Ok(DigestPass::default());
    };
    let done: HashSet<Uuid> = alerts_digest::Entity::find()
        .select_only()
        .column(alerts_digest::Column::OrganisationId)
        .filter(alerts_digest::Column::IsoWeek.eq(week.as_str()))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let structures = organisation::Entity::find()
        .filter(organisation::Column::Kind.eq("mentoring_structure"))
        .all(db)
        .await?;
    let mut pass = DigestPass {
        iso_week: Some(week.clone()),
        ..DigestPass::default()
    };
    for structure in structures.into_iter().filter(|s| !done.contains(&s.id)) {
        if let Some(messages) =
            structure_digest(db, base_url, thresholds, now, &week, &structure).await?
        {
            pass.structures += 1;
            pass.messages += messages;
        }
    }
    Ok(pass)
}

/// One structure's digest, in one transaction with its row; `None` when
/// another pass had it already. The row is written first: the transaction
/// then holds the write lock from its first statement (SQLite cannot turn a
/// reading transaction into a writing one while another process reads), and
/// a concurrent pass on PostgreSQL waits on the key, then inserts nothing.
async fn structure_digest(
    db: &DatabaseConnection,
    base_url: &str,
    thresholds: &Thresholds,
    now: DateTime<Utc>,
    week: &str,
    structure: &organisation::Model,
) -> Result<Option<usize>, DbErr> {
    use alerts_digest::Column as C;
    let txn = db.begin().await?;
    let inserted = alerts_digest::Entity::insert(alerts_digest::ActiveModel {
        organisation_id: Set(structure.id),
        iso_week: Set(week.to_owned()),
        alerts: Set(0),
        recipients: Set(0),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([C::OrganisationId, C::IsoWeek])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted == 0 {
        txn.rollback().await?;
        return Ok(None);
    }
    let found = alerts::compute(&txn, Scope::Organisation(structure.id), thresholds, now).await?;
    if found.is_empty() {
        txn.commit().await?;
        return Ok(Some(0));
    }
    let to = notify::digest::recipients(&txn, structure.id).await?;
    notify::digest::enqueue(&txn, base_url, &to, &structure.name, week, &found).await?;
    alerts_digest::Entity::update_many()
        .col_expr(
            C::Alerts,
            Expr::value(i32::try_from(found.len()).unwrap_or(i32::MAX)),
        )
        .col_expr(
            C::Recipients,
            Expr::value(i32::try_from(to.len()).unwrap_or(i32::MAX)),
        )
        .filter(C::OrganisationId.eq(structure.id))
        .filter(C::IsoWeek.eq(week))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    tracing::info!(structure = %structure.id, week, alerts = found.len(), recipients = to.len(), "alerts digest queued");
    Ok(Some(to.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(raw: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(raw)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_week_is_due_from_monday_six_in_paris_until_its_sunday_night_in_paris() {
        for (now, due) in [
            // Winter (UTC+1): Monday 06:00 in Paris is 05:00 UTC.
            ("2027-03-08T04:59:59Z", None),
            ("2027-03-08T05:00:00Z", Some("2027-W10")),
            ("2027-03-08T05:30:00Z", Some("2027-W10")),
            // Sunday 23:59 in Paris: still that week's.
            ("2027-03-14T22:59:59Z", Some("2027-W10")),
            // Monday 00:00 in Paris, Sunday in UTC: the next week, not yet.
            ("2027-03-14T23:00:00Z", None),
            // Summer time began on Sunday 28 March: 06:00 is 04:00 UTC.
            ("2027-03-29T03:59:59Z", None),
            ("2027-03-29T04:00:00Z", Some("2027-W13")),
            ("2027-07-05T04:30:00Z", Some("2027-W27")),
            // Sunday 23:30 UTC in summer is Monday 01:30 in Paris.
            ("2027-07-04T23:30:00Z", None),
            ("2027-07-04T21:59:59Z", Some("2027-W26")),
            // Winter time again from Sunday 31 October.
            ("2027-11-01T04:30:00Z", None),
            ("2027-11-01T05:00:00Z", Some("2027-W44")),
            // ISO years: 1 January 2027 is a Friday of 2026-W53.
            ("2027-01-01T12:00:00Z", Some("2026-W53")),
            ("2027-01-03T22:59:59Z", Some("2026-W53")),
            ("2027-01-04T05:00:00Z", Some("2027-W01")),
        ] {
            assert_eq!(due_week(at(now)).as_deref(), due, "at {now}");
        }
    }
}
