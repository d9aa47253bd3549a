//! Placement figures grouped in SQL: one query counts the placements of
//! each group, one the pupils (or groups) the requests that ran left
//! unmatched, and one the seats offered. Nothing is loaded row by row, so
//! the cost follows the number of groups, not of placements.
use super::alerts::statement;
use crate::domain::{PlacementStatus, departement_code};
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, QueryResult, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// Of the school's collège, in the INSEE form (`93`, `2A`, `971`) that
    /// the offers' communes use; `unknown` without a collège.
    Departement,
    /// The pupil's tier.
    Priority,
    /// Of the request; placements of a request that is not `done` fall
    /// under the empty group.
    Kind,
    /// First week of the request, likewise.
    Week,
}

impl GroupBy {
    pub const NAMES: [&'static str; 4] = ["departement", "priority", "kind", "week"];

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "departement" => GroupBy::Departement,
            "priority" => GroupBy::Priority,
            "kind" => GroupBy::Kind,
            "week" => GroupBy::Week,
            _ => return None,
        })
    }
}

/// The figures of one group; the endpoint derives the rates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    /// Proposals plus the pupils (or groups) left unmatched.
    pub demand: u64,
    pub proposals: u64,
    /// Proposals still holding a seat.
    pub active: u64,
    pub confirmed: u64,
    pub distance_sum_km: f64,
    /// Seats offered in the group, when seats belong to the grouping and
    /// the caller sees every school; `None` when no offer week falls in it.
    pub seats: Option<u64>,
}

/// Joins giving `dep.departement` for the school organisation in `school`
/// (a column); a school without a known collège has none.
fn departement_joins(school: &str) -> String {
    format!(
        "LEFT JOIN organisation so ON so.id = {school} AND so.kind = 'school'
         LEFT JOIN college dep ON dep.uai = so.uai"
    )
}

fn count(row: &QueryResult, column: &str) -> Result<u64, DbErr> {
    let n: Option<i64> = row.try_get("", column)?;
    Ok(u64::try_from(n.unwrap_or(0)).unwrap_or(0))
}

/// The group of a row. Collèges and communes write a département
/// differently (`093`, `93`): both sides are brought to the INSEE form here,
/// so that a collège's placements meet its département's seats. Several raw
/// codes could name one group, hence the callers add into the map.
fn group(row: &QueryResult, group_by: GroupBy) -> Result<String, DbErr> {
    let raw = row
        .try_get::<Option<String>>("", "grp")?
        .unwrap_or_default();
    Ok(if group_by == GroupBy::Departement {
        departement_code(&raw)
    } else {
        raw
    })
}

/// The figures of each group of the scope (one school, or every school
/// when `None`), in the order of the group names.
pub async fn compute(
    db: &impl ConnectionTrait,
    school: Option<Uuid>,
    group_by: GroupBy,
) -> Result<Vec<(String, Counts)>, DbErr> {
    let backend = db.get_database_backend();
    let values: Vec<Value> = school.into_iter().map(Value::from).collect();
    let mut groups: BTreeMap<String, Counts> = BTreeMap::new();

    // Placements: each is one unit of demand and one proposal.
    let request_scope = if school.is_some() {
        "AND r.organisation_id = $1"
    } else {
        ""
    };
    let (joins, key) = match group_by {
        GroupBy::Departement => (
            departement_joins("p.school_id"),
            "COALESCE(dep.departement, 'unknown')",
        ),
        GroupBy::Priority => (String::new(), "p.priority"),
        GroupBy::Kind | GroupBy::Week => (
            format!(
                "LEFT JOIN match_request r ON r.id = p.match_request_id AND r.status = 'done' \
                 {request_scope}"
            ),
            if group_by == GroupBy::Kind {
                "COALESCE(r.kind, '')"
            } else {
                "COALESCE(r.week_start, '')"
            },
        ),
    };
    let active = PlacementStatus::ACTIVE
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let confirmed = PlacementStatus::Confirmed.as_str();
    let scoped = if school.is_some() {
        "WHERE p.school_id = $1"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {key} AS grp, COUNT(*) AS proposals,
            SUM(CASE WHEN p.status IN ({active}) THEN 1 ELSE 0 END) AS active,
            SUM(CASE WHEN p.status = '{confirmed}' THEN 1 ELSE 0 END) AS confirmed,
            SUM(p.distance_km) AS km
         FROM placement p {joins} {scoped}
         GROUP BY {key}"
    );
    for row in db
        .query_all_raw(statement(backend, &sql, values.clone()))
        .await?
    {
        let proposals = count(&row, "proposals")?;
        let counts = groups.entry(group(&row, group_by)?).or_default();
        counts.demand += proposals;
        counts.proposals += proposals;
        counts.active += count(&row, "active")?;
        counts.confirmed += count(&row, "confirmed")?;
        counts.distance_sum_km += row.try_get::<Option<f64>>("", "km")?.unwrap_or(0.0);
    }

    // The units the requests that ran left unmatched (`unmatched` is a JSON
    // list of `{pupil_id | class_name, tier, reason}`).
    let sql = unmatched_sql(backend, group_by, school.is_some());
    for row in db.query_all_raw(statement(backend, &sql, values)).await? {
        let n = count(&row, "n")?;
        if n > 0 {
            groups.entry(group(&row, group_by)?).or_default().demand += n;
        }
    }

    // Seats belong to offers, not to tiers; and a school's fill rate would
    // mix in other schools' placements.
    if school.is_none() && group_by != GroupBy::Priority {
        let (joins, key) = match group_by {
            GroupBy::Departement => (
                "LEFT JOIN commune c ON c.insee = o.commune_insee",
                "COALESCE(c.departement, '')",
            ),
            GroupBy::Kind => ("", "o.kind"),
            _ => ("", "w.week"),
        };
        let sql = format!(
            "SELECT {key} AS grp, SUM(CASE WHEN w.seats > 0 THEN w.seats ELSE 0 END) AS seats
             FROM offer_week w JOIN offer o ON o.id = w.offer_id {joins}
             WHERE o.status <> 'draft'
             GROUP BY {key}"
        );
        for row in db
            .query_all_raw(statement(backend, &sql, Vec::new()))
            .await?
        {
            if let Some(counts) = groups.get_mut(&group(&row, group_by)?) {
                counts.seats = Some(counts.seats.unwrap_or(0) + count(&row, "seats")?);
            }
        }
    }
    Ok(groups.into_iter().collect())
}

/// Counts the elements of the `done` requests' `unmatched` lists per group;
/// anything but a list counts none, and an element without a textual
/// `tier` counts as `standard`.
fn unmatched_sql(backend: DatabaseBackend, group_by: GroupBy, scoped: bool) -> String {
    let scope = if scoped {
        "AND r.organisation_id = $1"
    } else {
        ""
    };
    let postgres = backend == DatabaseBackend::Postgres;
    if group_by == GroupBy::Priority {
        let (elements, tier) = if postgres {
            (
                "CROSS JOIN LATERAL json_array_elements(CASE WHEN json_typeof(r.unmatched) = 'array' \
                 THEN r.unmatched ELSE '[]'::json END) AS e(value)",
                "CASE WHEN json_typeof(e.value -> 'tier') = 'string' THEN e.value ->> 'tier' \
                 ELSE 'standard' END",
            )
        } else {
            // `->` would fail on an element that is not itself JSON text
            // (a bare string), hence the type check first; no `$` paths, as
            // `$` marks the placeholders.
            (
                "JOIN json_each(CASE WHEN json_type(r.unmatched) = 'array' \
                 THEN r.unmatched ELSE '[]' END) e",
                "CASE WHEN e.type <> 'object' THEN 'standard' \
                 WHEN json_type(e.value -> 'tier') = 'text' THEN e.value ->> 'tier' \
                 ELSE 'standard' END",
            )
        };
        return format!(
            "SELECT {tier} AS grp, COUNT(*) AS n
             FROM match_request r {elements}
             WHERE r.status = 'done' {scope}
             GROUP BY {tier}"
        );
    }
    let length = if postgres {
        "CASE WHEN json_typeof(r.unmatched) = 'array' THEN json_array_length(r.unmatched) ELSE 0 END"
    } else {
        "CASE WHEN json_type(r.unmatched) = 'array' THEN json_array_length(r.unmatched) ELSE 0 END"
    };
    let (joins, key) = match group_by {
        GroupBy::Departement => (
            departement_joins("r.organisation_id"),
            "COALESCE(dep.departement, 'unknown')",
        ),
        GroupBy::Kind => (String::new(), "r.kind"),
        _ => (String::new(), "r.week_start"),
    };
    format!(
        "SELECT {key} AS grp, SUM({length}) AS n
         FROM match_request r {joins}
         WHERE r.status = 'done' {scope}
         GROUP BY {key}"
    )
}
