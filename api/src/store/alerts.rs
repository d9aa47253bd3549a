//! Follow-up alerts of mentoring structures: pairs that stopped meeting,
//! proposals nobody answered, young people left waiting, pairs reaching the
//! programme's minimum duration, mentors carrying more than they said.
//!
//! [`compute`] takes the time it runs at (the service's clock, or a test's)
//! and needs no HTTP: the endpoint and the weekly digest both call it. Each
//! kind is one bounded query (aggregates and thresholds in SQL); only the
//! month arithmetic of the minimum duration is finished here.
use crate::configuration::MentoringSettings;
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use entity::pairing;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, QueryFilter, Statement,
    Value,
};
use serde::Serialize;
use std::cmp::Reverse;
use uuid::Uuid;

/// Whose alerts: one structure's, or every structure's (admins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Organisation(Uuid),
    All,
}

/// The limits alerts are raised at; see [`MentoringSettings`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Thresholds {
    pub no_meeting_days: i64,
    pub proposal_unanswered_days: i64,
    pub unpaired_days: i64,
    pub minimum_months: u32,
    pub minimum_window_days: i64,
}

impl From<&MentoringSettings> for Thresholds {
    fn from(s: &MentoringSettings) -> Self {
        Self {
            no_meeting_days: s.no_meeting_days,
            proposal_unanswered_days: s.proposal_unanswered_days,
            unpaired_days: s.unpaired_days,
            minimum_months: s.minimum_months,
            minimum_window_days: s.minimum_window_days,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// An active pair whose last meeting (or start, without any) is
    /// `no_meeting_days` old or more.
    NoRecentMeeting,
    /// A proposal unanswered for `proposal_unanswered_days` or more.
    ProposalUnanswered,
    /// A mentee (not erased) without a proposed, active or paused pairing
    /// for `unpaired_days` or more, counted from his creation or the closing
    /// of his last pairing. A draft does not count as paired: nothing was
    /// proposed to anyone yet.
    MenteeUnpaired,
    /// An active or paused pair whose minimum duration falls within
    /// `minimum_window_days` either side of today.
    MinimumDuration,
    /// A mentor with more active or paused pairings than his capacity (it
    /// was lowered after they started).
    MentorOverCapacity,
}

impl AlertKind {
    pub const ALL: [AlertKind; 5] = [
        AlertKind::NoRecentMeeting,
        AlertKind::ProposalUnanswered,
        AlertKind::MenteeUnpaired,
        AlertKind::MinimumDuration,
        AlertKind::MentorOverCapacity,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::NoRecentMeeting => "no_recent_meeting",
            AlertKind::ProposalUnanswered => "proposal_unanswered",
            AlertKind::MenteeUnpaired => "mentee_unpaired",
            AlertKind::MinimumDuration => "minimum_duration",
            AlertKind::MentorOverCapacity => "mentor_over_capacity",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Days,
    Pairings,
}

/// One thing a coordinator should look at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub kind: AlertKind,
    pub organisation_id: Uuid,
    pub pairing_id: Option<Uuid>,
    pub mentee_id: Option<Uuid>,
    pub mentor_id: Option<Uuid>,
    /// Days since `since` (for the minimum duration: days since the start);
    /// running pairings for a mentor over capacity.
    pub value: i64,
    pub unit: Unit,
    /// What `value` is compared with: the configured days, the days from
    /// the start to `due`, or the mentor's capacity.
    pub threshold: i64,
    /// Last meeting (or start), proposal, creation or last closing, start,
    /// or the latest of the mentor's starts and profile change.
    pub since: NaiveDate,
    /// Minimum duration only: the day it is reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due: Option<NaiveDate>,
}

/// A raw statement written with `$1`-style placeholders, which SQLite reads
/// as `?1`.
pub(crate) fn statement(backend: DatabaseBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = match backend {
        DatabaseBackend::Postgres => sql.to_owned(),
        _ => sql.replace('$', "?"),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// The day a pair started on `start` completes `months` full calendar
/// months: the same day of the month, or the first of the next month when
/// that month is too short (a start on 31 August completes six months on
/// 1 March). The statistics count months the same way.
pub fn completes_months(start: NaiveDate, months: u32) -> NaiveDate {
    let first = start.with_day(1).unwrap_or(start);
    let target_first = first
        .checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX);
    target_first
        .with_day(start.day())
        .or_else(|| target_first.checked_add_months(Months::new(1)))
        .unwrap_or(NaiveDate::MAX)
}

/// Every alert of the scope at `now`, by kind then most urgent first.
pub async fn compute(
    db: &impl ConnectionTrait,
    scope: Scope,
    thresholds: &Thresholds,
    now: DateTime<Utc>,
) -> Result<Vec<Alert>, DbErr> {
    let mut alerts = Vec::new();
    alerts.extend(no_recent_meeting(db, scope, thresholds, now).await?);
    alerts.extend(proposal_unanswered(db, scope, thresholds, now).await?);
    alerts.extend(mentee_unpaired(db, scope, thresholds, now).await?);
    alerts.extend(minimum_duration(db, scope, thresholds, now).await?);
    alerts.extend(mentor_over_capacity(db, scope, now).await?);
    alerts.sort_by_key(order_key);
    Ok(alerts)
}

/// The key alerts are sorted by: kind, biggest figure first, oldest `since`,
/// then the records' ids, which no two alerts share, so the order is total
/// and the endpoint can page over it with this key as its cursor.
pub type OrderKey = (
    AlertKind,
    Reverse<i64>,
    NaiveDate,
    Option<Uuid>,
    Option<Uuid>,
    Option<Uuid>,
);

pub fn order_key(a: &Alert) -> OrderKey {
    (
        a.kind,
        Reverse(a.value),
        a.since,
        a.pairing_id,
        a.mentee_id,
        a.mentor_id,
    )
}

/// `AND <column> = $n` when scoped to a structure, with its value.
fn scope_clause(scope: Scope, column: &str, values: &mut Vec<Value>) -> String {
    match scope {
        Scope::Organisation(org) => {
            values.push(org.into());
            format!(" AND {column} = ${}", values.len())
        }
        Scope::All => String::new(),
    }
}

fn days(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

async fn no_recent_meeting(
    db: &impl ConnectionTrait,
    scope: Scope,
    t: &Thresholds,
    now: DateTime<Utc>,
) -> Result<Vec<Alert>, DbErr> {
    let today = now.date_naive();
    let cutoff = today - Duration::days(t.no_meeting_days);
    let mut values: Vec<Value> = vec![cutoff.into()];
    let scoped = scope_clause(scope, "p.organisation_id", &mut values);
    let sql = format!(
        "SELECT p.id, p.organisation_id, p.mentee_id, p.mentor_id,
                COALESCE(MAX(m.date), p.start_date) AS since
         FROM pairing p LEFT JOIN meeting m ON m.pairing_id = p.id
         WHERE p.status = 'active' AND p.start_date <= $1{scoped}
         GROUP BY p.id, p.organisation_id, p.mentee_id, p.mentor_id, p.start_date
         HAVING COALESCE(MAX(m.date), p.start_date) <= $1"
    );
    let rows = db
        .query_all_raw(statement(db.get_database_backend(), &sql, values))
        .await?;
    rows.iter()
        .map(|row| {
            let since: NaiveDate = row.try_get("", "since")?;
            Ok(Alert {
                kind: AlertKind::NoRecentMeeting,
                organisation_id: row.try_get("", "organisation_id")?,
                pairing_id: Some(row.try_get("", "id")?),
                mentee_id: Some(row.try_get("", "mentee_id")?),
                mentor_id: row.try_get("", "mentor_id")?,
                value: days(since, today),
                unit: Unit::Days,
                threshold: t.no_meeting_days,
                since,
                due: None,
            })
        })
        .collect()
}

fn scoped_pairings(scope: Scope) -> sea_orm::Select<pairing::Entity> {
    let query = pairing::Entity::find();
    match scope {
        Scope::Organisation(org) => query.filter(pairing::Column::OrganisationId.eq(org)),
        Scope::All => query,
    }
}

async fn proposal_unanswered(
    db: &impl ConnectionTrait,
    scope: Scope,
    t: &Thresholds,
    now: DateTime<Utc>,
) -> Result<Vec<Alert>, DbErr> {
    let cutoff = now - Duration::days(t.proposal_unanswered_days);
    let rows = scoped_pairings(scope)
        .filter(pairing::Column::Status.eq("proposed"))
        .filter(pairing::Column::ProposedAt.lte(cutoff))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|p| {
            let at = p.proposed_at?;
            Some(Alert {
                kind: AlertKind::ProposalUnanswered,
                organisation_id: p.organisation_id,
                pairing_id: Some(p.id),
                mentee_id: Some(p.mentee_id),
                mentor_id: p.mentor_id,
                value: (now - at).num_days(),
                unit: Unit::Days,
                threshold: t.proposal_unanswered_days,
                since: at.date_naive(),
                due: None,
            })
        })
        .collect())
}

async fn mentee_unpaired(
    db: &impl ConnectionTrait,
    scope: Scope,
    t: &Thresholds,
    now: DateTime<Utc>,
) -> Result<Vec<Alert>, DbErr> {
    let cutoff = now - Duration::days(t.unpaired_days);
    let mut values: Vec<Value> = vec![cutoff.into()];
    let scoped = scope_clause(scope, "m.organisation_id", &mut values);
    // Waiting since the later of the creation and the last closing; a
    // closing after the cutoff means not waiting long enough yet.
    let sql = format!(
        "SELECT m.id, m.organisation_id, m.created_at,
                (SELECT MAX(c.updated_at) FROM pairing c
                 WHERE c.mentee_id = m.id AND c.status IN ('ended', 'declined')) AS last_closed
         FROM mentee m
         WHERE m.erased_at IS NULL AND m.created_at <= $1{scoped}
           AND NOT EXISTS (SELECT 1 FROM pairing o WHERE o.mentee_id = m.id
                           AND o.status IN ('proposed', 'active', 'paused'))
           AND NOT EXISTS (SELECT 1 FROM pairing c WHERE c.mentee_id = m.id
                           AND c.status IN ('ended', 'declined') AND c.updated_at > $1)"
    );
    let rows = db
        .query_all_raw(statement(db.get_database_backend(), &sql, values))
        .await?;
    rows.iter()
        .map(|row| {
            let created: DateTime<Utc> = row.try_get("", "created_at")?;
            let closed: Option<DateTime<Utc>> = row.try_get("", "last_closed")?;
            let since = closed.map_or(created, |c| c.max(created));
            Ok(Alert {
                kind: AlertKind::MenteeUnpaired,
                organisation_id: row.try_get("", "organisation_id")?,
                pairing_id: None,
                mentee_id: Some(row.try_get("", "id")?),
                mentor_id: None,
                value: (now - since).num_days(),
                unit: Unit::Days,
                threshold: t.unpaired_days,
                since: since.date_naive(),
                due: None,
            })
        })
        .collect()
}

async fn minimum_duration(
    db: &impl ConnectionTrait,
    scope: Scope,
    t: &Thresholds,
    now: DateTime<Utc>,
) -> Result<Vec<Alert>, DbErr> {
    let today = now.date_naive();
    let window = Duration::days(t.minimum_window_days);
    let months = Months::new(t.minimum_months);
    // Starts whose due day may fall in the window, a few days wider for the
    // months too short to hold the start's day; the exact test follows.
    let slack = Duration::days(4);
    let (Some(lo), Some(hi)) = (
        (today - window - slack).checked_sub_months(months),
        (today + window + slack).checked_sub_months(months),
    ) else {
        return Ok(Vec::new());
    };
    let rows = scoped_pairings(scope)
        .filter(pairing::Column::Status.is_in(["active", "paused"]))
        .filter(pairing::Column::StartDate.between(lo, hi))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|p| {
            let start = p.start_date?;
            let due = completes_months(start, t.minimum_months);
            (due.signed_duration_since(today).num_days().abs() <= t.minimum_window_days).then(
                || Alert {
                    kind: AlertKind::MinimumDuration,
                    organisation_id: p.organisation_id,
                    pairing_id: Some(p.id),
                    mentee_id: Some(p.mentee_id),
                    mentor_id: p.mentor_id,
                    value: days(start, today),
                    unit: Unit::Days,
                    threshold: days(start, due),
                    since: start,
                    due: Some(due),
                },
            )
        })
        .collect())
}

async fn mentor_over_capacity(
    db: &impl ConnectionTrait,
    scope: Scope,
    now: DateTime<Utc>,
) -> Result<Vec<Alert>, DbErr> {
    let mut values: Vec<Value> = Vec::new();
    let scoped = scope_clause(scope, "t.organisation_id", &mut values);
    let sql = format!(
        "SELECT t.id, t.organisation_id, t.capacity, t.updated_at,
                COUNT(p.id) AS running, MAX(p.start_date) AS last_start
         FROM mentor t JOIN pairing p ON p.mentor_id = t.id
         WHERE p.status IN ('active', 'paused'){scoped}
         GROUP BY t.id, t.organisation_id, t.capacity, t.updated_at
         HAVING COUNT(p.id) > t.capacity"
    );
    let rows = db
        .query_all_raw(statement(db.get_database_backend(), &sql, values))
        .await?;
    rows.iter()
        .map(|row| {
            let changed: DateTime<Utc> = row.try_get("", "updated_at")?;
            let last_start: Option<NaiveDate> = row.try_get("", "last_start")?;
            let since = last_start.map_or(changed.date_naive(), |s| s.max(changed.date_naive()));
            let capacity: i32 = row.try_get("", "capacity")?;
            let running: i64 = row.try_get("", "running")?;
            Ok(Alert {
                kind: AlertKind::MentorOverCapacity,
                organisation_id: row.try_get("", "organisation_id")?,
                pairing_id: None,
                mentee_id: None,
                mentor_id: Some(row.try_get("", "id")?),
                value: running,
                unit: Unit::Pairings,
                threshold: i64::from(capacity),
                since: since.min(now.date_naive()),
                due: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn full_months_end_on_the_same_day_or_the_first_of_the_next_month() {
        assert_eq!(completes_months(d("2027-01-04"), 6), d("2027-07-04"));
        assert_eq!(completes_months(d("2026-08-31"), 6), d("2027-03-01"));
        assert_eq!(completes_months(d("2027-08-29"), 6), d("2028-02-29"));
        assert_eq!(completes_months(d("2026-12-31"), 6), d("2027-07-01"));
    }

    #[test]
    fn kinds_parse_back_from_their_names() {
        for kind in AlertKind::ALL {
            assert_eq!(AlertKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(AlertKind::parse("late"), None);
    }

    #[test]
    fn sqlite_reads_numbered_placeholders() {
        let s = statement(
            DatabaseBackend::Sqlite,
            "a = $1 AND b = $2",
            vec![1.into(), 2.into()],
        );
        assert_eq!(s.sql, "a = ?1 AND b = ?2");
        let s = statement(DatabaseBackend::Postgres, "a = $1", vec![1.into()]);
        assert_eq!(s.sql, "a = $1");
    }
}
