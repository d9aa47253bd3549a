//! Mentoring figures for the State's reporting, grouped in SQL: one query for
//! the counts of each group, one for the end reasons. Pairings keep their
//! tier and département when the mentee is erased, so erased mentees' pairs
//! are counted like any other.
use super::alerts::{Scope, statement};
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, QueryResult, Value};
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Departement,
    Priority,
    Status,
    Structure,
    /// Month of the start date (`YYYY-MM`); pairs not started have none.
    Month,
}

impl GroupBy {
    pub const NAMES: [&'static str; 5] =
        ["departement", "priority", "status", "structure", "month"];

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "departement" => GroupBy::Departement,
            "priority" => GroupBy::Priority,
            "status" => GroupBy::Status,
            "structure" => GroupBy::Structure,
            "month" => GroupBy::Month,
            _ => return None,
        })
    }

    fn expression(self, backend: DatabaseBackend) -> &'static str {
        match (self, backend) {
            (GroupBy::Departement, _) => "p.departement",
            (GroupBy::Priority, _) => "p.priority",
            (GroupBy::Status, _) => "p.status",
            (GroupBy::Structure, _) => "p.organisation_id",
            (GroupBy::Month, DatabaseBackend::Postgres) => "to_char(p.start_date, 'YYYY-MM')",
            // SQLite keeps dates as `YYYY-MM-DD` text.
            (GroupBy::Month, _) => "substr(p.start_date, 1, 7)",
        }
    }
}

/// `(year × 12 + month) × 100 + day` of a date expression: `n` full months
/// after a start are reached when this key grows by `100 × n`, the same
/// count as [`super::alerts::completes_months`].
fn month_key(backend: DatabaseBackend, date: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!(
            "((EXTRACT(YEAR FROM {date}) * 12 + EXTRACT(MONTH FROM {date})) * 100 \
             + EXTRACT(DAY FROM {date}))"
        ),
        _ => format!(
            "((CAST(substr({date}, 1, 4) AS INTEGER) * 12 + CAST(substr({date}, 6, 2) AS INTEGER)) \
             * 100 + CAST(substr({date}, 9, 2) AS INTEGER))"
        ),
    }
}

/// What the report is computed for.
#[derive(Debug, Clone, Copy)]
pub struct Period {
    /// Running pairs are counted up to this day.
    pub today: NaiveDate,
    /// Starts in this calendar year count towards the yearly target.
    pub year: i32,
    pub minimum_months: u32,
}

/// The counts of one group (the endpoint derives the shares).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Counts {
    /// Every pairing, drafts and declined ones included.
    pub pairings: u64,
    /// Pairings that became active (they have a start date).
    pub started: u64,
    /// Started in the report's year.
    pub started_in_year: u64,
    pub active: u64,
    pub paused: u64,
    pub ended: u64,
    pub ended_by_reason: BTreeMap<String, u64>,
    /// Started pairs whose outcome is known: ended, or running for the
    /// minimum duration already.
    pub settled: u64,
    /// Of those, the ones that lasted the minimum duration (to their end
    /// date, or to today while running).
    pub lasted_minimum: u64,
    /// Started pairs of a mentee of a priority tier (not `standard`).
    pub priority_started: u64,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.pairings += other.pairings;
        self.started += other.started;
        self.started_in_year += other.started_in_year;
        self.active += other.active;
        self.paused += other.paused;
        self.ended += other.ended;
        self.settled += other.settled;
        self.lasted_minimum += other.lasted_minimum;
        self.priority_started += other.priority_started;
        for (reason, n) in &other.ended_by_reason {
            *self.ended_by_reason.entry(reason.clone()).or_default() += n;
        }
    }

    /// The total of several groups.
    pub fn sum<'a>(all: impl IntoIterator<Item = &'a Counts>) -> Counts {
        let mut total = Counts::default();
        for c in all {
            total.add(c);
        }
        total
    }
}

/// A group's key: a value of the grouped column, or a structure's id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    Text(String),
    Structure(Uuid),
    /// No value (pairs not started, by month).
    None,
}

fn key_of(row: &QueryResult, group_by: GroupBy) -> Result<Key, DbErr> {
    Ok(match group_by {
        GroupBy::Structure => Key::Structure(row.try_get("", "grp")?),
        _ => row
            .try_get::<Option<String>>("", "grp")?
            .map_or(Key::None, Key::Text),
    })
}

fn count(row: &QueryResult, column: &str) -> Result<u64, DbErr> {
    let n: Option<i64> = row.try_get("", column)?;
    Ok(u64::try_from(n.unwrap_or(0)).unwrap_or(0))
}

/// The counts of each group, in key order (no value last).
pub async fn compute(
    db: &impl ConnectionTrait,
    scope: Scope,
    group_by: GroupBy,
    period: Period,
) -> Result<Vec<(Key, Counts)>, DbErr> {
    let backend = db.get_database_backend();
    let group = group_by.expression(backend);
    let year_start = NaiveDate::from_ymd_opt(period.year, 1, 1).unwrap_or(NaiveDate::MIN);
    let year_end = NaiveDate::from_ymd_opt(period.year, 12, 31).unwrap_or(NaiveDate::MAX);
    let mut values: Vec<Value> = vec![
        period.today.into(),
        year_start.into(),
        year_end.into(),
        i64::from(period.minimum_months * 100).into(),
    ];
    let scoped = match scope {
        Scope::Organisation(org) => {
            values.push(org.into());
            format!("WHERE p.organisation_id = ${}", values.len())
        }
        Scope::All => String::new(),
    };
    let reached = format!(
        "p.start_date IS NOT NULL AND {} >= {} + $4",
        month_key(backend, "COALESCE(p.end_date, $1)"),
        month_key(backend, "p.start_date")
    );
    let sql = format!(
        "SELECT {group} AS grp, COUNT(*) AS pairings,
            SUM(CASE WHEN p.start_date IS NOT NULL THEN 1 ELSE 0 END) AS started,
            SUM(CASE WHEN p.start_date >= $2 AND p.start_date <= $3 THEN 1 ELSE 0 END)
                AS started_in_year,
            SUM(CASE WHEN p.status = 'active' THEN 1 ELSE 0 END) AS active,
            SUM(CASE WHEN p.status = 'paused' THEN 1 ELSE 0 END) AS paused,
            SUM(CASE WHEN p.status = 'ended' THEN 1 ELSE 0 END) AS ended,
            SUM(CASE WHEN {reached} THEN 1 ELSE 0 END) AS lasted_minimum,
            SUM(CASE WHEN p.start_date IS NOT NULL AND (p.status = 'ended' OR ({reached}))
                THEN 1 ELSE 0 END) AS settled,
            SUM(CASE WHEN p.start_date IS NOT NULL AND p.priority <> 'standard' THEN 1 ELSE 0 END)
                AS priority_started
         FROM pairing p {scoped}
         GROUP BY {group}"
    );
    let mut groups: BTreeMap<Key, Counts> = BTreeMap::new();
    for row in db
        .query_all_raw(statement(backend, &sql, values.clone()))
        .await?
    {
        groups.insert(
            key_of(&row, group_by)?,
            Counts {
                pairings: count(&row, "pairings")?,
                started: count(&row, "started")?,
                started_in_year: count(&row, "started_in_year")?,
                active: count(&row, "active")?,
                paused: count(&row, "paused")?,
                ended: count(&row, "ended")?,
                ended_by_reason: BTreeMap::new(),
                settled: count(&row, "settled")?,
                lasted_minimum: count(&row, "lasted_minimum")?,
                priority_started: count(&row, "priority_started")?,
            },
        );
    }
    // The scope is the last value when there is one; the reasons need only it.
    let scope_values: Vec<Value> = match scope {
        Scope::Organisation(org) => vec![org.into()],
        Scope::All => Vec::new(),
    };
    let scoped = if scope_values.is_empty() {
        ""
    } else {
        "AND p.organisation_id = $1"
    };
    let sql = format!(
        "SELECT {group} AS grp, p.end_reason AS reason, COUNT(*) AS n
         FROM pairing p WHERE p.status = 'ended' {scoped}
         GROUP BY {group}, p.end_reason"
    );
    for row in db
        .query_all_raw(statement(backend, &sql, scope_values))
        .await?
    {
        let reason: Option<String> = row.try_get("", "reason")?;
        let n = count(&row, "n")?;
        *groups
            .entry(key_of(&row, group_by)?)
            .or_default()
            .ended_by_reason
            .entry(reason.unwrap_or_else(|| "unknown".into()))
            .or_default() += n;
    }
    Ok(groups.into_iter().collect())
}
