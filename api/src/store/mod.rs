//! Database queries, one module per resource. Every function that reads or
//! writes an organisation's records takes the organisation id and filters on
//! it, so another organisation's record is simply not found.
use sea_orm::sea_query::LockType;
use sea_orm::{ConnectionTrait, DatabaseBackend, QuerySelect};

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

/// `query` taking row locks of `kind` on PostgreSQL; unchanged on SQLite, which
/// has no row locks and runs one writing transaction at a time.
pub fn locked<Q: QuerySelect>(db: &impl ConnectionTrait, query: Q, kind: LockType) -> Q {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        query.lock(kind)
    } else {
        query
    }
}
