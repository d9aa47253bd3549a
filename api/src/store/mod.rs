//! Database queries, one module per resource. Every function that reads or
//! writes an organisation's records takes the organisation id and filters on
//! it, so another organisation's record is simply not found.
use sea_orm::sea_query::LockType;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, QueryFilter, QuerySelect,
    Select, Value,
};
use std::collections::BTreeSet;

pub mod alerts;
pub mod api_clients;
pub mod identities;
pub mod jobs;
pub mod match_requests;
pub mod meetings;
pub mod mentees;
pub mod mentoring;
pub mod mentoring_stats;
pub mod mentors;
pub mod offers;
pub mod organisations;
pub mod pairing_export;
pub mod pairings;
pub mod placement_stats;
pub mod placements;
pub mod pupils;
pub mod reference;
pub mod schools;
pub mod settings;
pub mod tokens;
pub mod users;
pub mod web_sessions;

/// `query` taking row locks of `kind` on PostgreSQL; unchanged on SQLite, which
/// has no row locks and runs one writing transaction at a time.
pub fn locked<Q: QuerySelect>(db: &impl ConnectionTrait, query: Q, kind: LockType) -> Q {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        query.lock(kind)
    } else {
        query
    }
}

/// Values per `IN (...)` list when a statement filters on a list of ids that
/// grows with the data, such as the offers a national campaign run takes
/// (tens of thousands): PostgreSQL refuses a statement of more than 65,535
/// bound parameters, and the SQLite sqlx bundles (3.51) more than 32,766
/// (its default `SQLITE_MAX_VARIABLE_NUMBER`). Such a list goes in chunks of
/// this many, which leaves room for the statement's other parameters on
/// either database and costs one round trip per 500 ids.
pub const IN_LIST: usize = 500;

/// The rows of `E` whose `column` is one of `ids`, in IN lists of
/// [`IN_LIST`].
pub async fn find_in<E: EntityTrait>(
    db: &impl ConnectionTrait,
    column: E::Column,
    ids: BTreeSet<impl Into<Value> + Clone + Ord>,
) -> Result<Vec<E::Model>, DbErr> {
    let ids: Vec<_> = ids.into_iter().collect();
    find_in_chunks(db, E::find(), column, &ids).await
}

/// The rows of `query` whose `column` is one of `ids`, in IN lists of
/// [`IN_LIST`] run one after the other in the order of `ids`. So with `ids`
/// sorted and `query` ordered by `column` first, the rows come, and a
/// locking `query` takes its row locks, in that order across the chunks as
/// one statement would.
pub async fn find_in_chunks<E: EntityTrait, V: Into<Value> + Clone>(
    db: &impl ConnectionTrait,
    query: Select<E>,
    column: E::Column,
    ids: &[V],
) -> Result<Vec<E::Model>, DbErr> {
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IN_LIST) {
        rows.extend(
            query
                .clone()
                .filter(column.is_in(chunk.iter().cloned()))
                .all(db)
                .await?,
        );
    }
    Ok(rows)
}
