//! What mentoring suggestions and match runs read (unpaired mentees, mentors
//! and their open pairings) and the runs they keep for review.
use crate::mentoring_match::MentorPlaces;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{mentee, mentor, mentoring_run, pairing};
use sea_orm::sea_query::{Expr, LockType, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use std::collections::HashMap;
use uuid::Uuid;

/// `available_from` unset or not after `by`.
fn available(column: impl ColumnTrait, by: NaiveDate) -> Condition {
    Condition::any().add(column.is_null()).add(column.lte(by))
}

/// Locks the structure's active mentors until the transaction ends
/// (PostgreSQL; SQLite has one writer): a run then counts their places while
/// no activation nor other run of the same mentors can change them.
///
/// By id: without an order the rows come in the scan's order, which is where
/// they lie in the table (concurrent creations, rewritten rows and reused
/// space put them out of id order), so two transactions could each hold a
/// mentor the other waits for. Whoever locks several mentors takes them in
/// this order.
pub async fn lock_mentors(db: &impl ConnectionTrait, organisation_id: Uuid) -> Result<(), DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    mentor::Entity::find()
        .select_only()
        .column(mentor::Column::Id)
        .filter(mentor::Column::OrganisationId.eq(organisation_id))
        .filter(mentor::Column::Status.eq("active"))
        .order_by_asc(mentor::Column::Id)
        .lock(LockType::Update)
        .into_tuple::<Uuid>()
        .all(db)
        .await?;
    Ok(())
}

/// The structure's mentors among `ids`, by id, each locked until the
/// transaction ends (PostgreSQL; SQLite has one writer), in id order as
/// [`lock_mentors`] takes them: their status stays what is read here until
/// the caller commits.
pub async fn lock_mentors_among(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<mentor::Model>, DbErr> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut rows = Vec::with_capacity(ids.len());
    // Bounded IN lists, chunks in id order: the whole stays in id order.
    for chunk in ids.chunks(500) {
        let query = mentor::Entity::find()
            .filter(mentor::Column::OrganisationId.eq(organisation_id))
            .filter(mentor::Column::Id.is_in(chunk.iter().copied()))
            .order_by_asc(mentor::Column::Id);
        rows.extend(super::locked(db, query, LockType::Update).all(db).await?);
    }
    Ok(rows)
}

/// The structure's active mentors available by `by`, with their open
/// pairings counted, by id (full ones included: callers filter).
pub async fn mentor_places(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    by: NaiveDate,
) -> Result<Vec<MentorPlaces>, DbErr> {
    let mentors = mentor::Entity::find()
        .filter(mentor::Column::OrganisationId.eq(organisation_id))
        .filter(mentor::Column::Status.eq("active"))
        .filter(available(mentor::Column::AvailableFrom, by))
        .order_by_asc(mentor::Column::Id)
        .all(db)
        .await?;
    let counts: HashMap<Uuid, i64> = pairing::Entity::find()
        .select_only()
        .column(pairing::Column::MentorId)
        .column_as(pairing::Column::Id.count(), "open")
        .filter(pairing::Column::OrganisationId.eq(organisation_id))
        .filter(pairing::Column::OpenMenteeId.is_not_null())
        .filter(pairing::Column::MentorId.is_not_null())
        .group_by(pairing::Column::MentorId)
        .into_tuple::<(Option<Uuid>, i64)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(id, n)| id.map(|id| (id, n)))
        .collect();
    Ok(mentors
        .into_iter()
        .map(|mentor| {
            let open = counts.get(&mentor.id).copied().unwrap_or(0);
            MentorPlaces {
                open: u32::try_from(open).unwrap_or(u32::MAX),
                mentor,
            }
        })
        .collect())
}

/// Mentees of the structure without an open pairing, available by `by`, by
/// id after `after`; at most `limit` of them when given.
pub async fn unpaired_mentees(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    by: NaiveDate,
    after: Option<Uuid>,
    limit: Option<u64>,
) -> Result<Vec<mentee::Model>, DbErr> {
    let open = Query::select()
        .column(pairing::Column::OpenMenteeId)
        .from(pairing::Entity)
        .and_where(pairing::Column::OrganisationId.eq(organisation_id))
        .and_where(pairing::Column::OpenMenteeId.is_not_null())
        .to_owned();
    let mut query = mentee::Entity::find()
        .filter(mentee::Column::OrganisationId.eq(organisation_id))
        .filter(mentee::Column::ErasedAt.is_null())
        .filter(available(mentee::Column::AvailableFrom, by))
        .filter(mentee::Column::Id.not_in_subquery(open))
        .order_by_asc(mentee::Column::Id);
    if let Some(after) = after {
        query = query.filter(mentee::Column::Id.gt(after));
    }
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    query.all(db).await
}

/// The structure's mentees among `ids` (erased ones are unknown).
pub async fn mentees_among(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<mentee::Model>, DbErr> {
    mentee::Entity::find()
        .filter(mentee::Column::OrganisationId.eq(organisation_id))
        .filter(mentee::Column::ErasedAt.is_null())
        .filter(mentee::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await
}

pub async fn insert_run(db: &impl ConnectionTrait, run: mentoring_run::Model) -> Result<(), DbErr> {
    mentoring_run::Entity::insert(mentoring_run::ActiveModel::from(run))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn find_run(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    id: Uuid,
) -> Result<Option<mentoring_run::Model>, DbErr> {
    mentoring_run::Entity::find_by_id(id)
        .filter(mentoring_run::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await
}

/// The structure's runs, newest first (ids are time-ordered UUIDv7).
pub async fn list_runs(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    page: &crate::pagination::Page<Uuid>,
) -> Result<Vec<mentoring_run::Model>, DbErr> {
    let mut query = mentoring_run::Entity::find()
        .filter(mentoring_run::Column::OrganisationId.eq(organisation_id))
        .order_by_desc(mentoring_run::Column::Id);
    if let Some(before) = page.after {
        query = query.filter(mentoring_run::Column::Id.lt(before));
    }
    query.limit(page.limit + 1).all(db).await
}

pub async fn mark_published(
    db: &impl ConnectionTrait,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    mentoring_run::Entity::update_many()
        .col_expr(mentoring_run::Column::PublishedAt, Expr::value(at))
        .filter(mentoring_run::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The ids of the drafts a run wrote.
pub fn run_pairing_ids(run: &mentoring_run::Model) -> Vec<Uuid> {
    run.pairing_ids
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().and_then(|s| Uuid::parse_str(s).ok()))
        .collect()
}

/// The structure's pairings among `ids`, by id.
pub async fn pairings_among(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<pairing::Model>, DbErr> {
    among(db, organisation_id, ids, false).await
}

/// [`pairings_among`], each row locked until the transaction ends
/// (PostgreSQL; SQLite has one writer), in id order as a publication moves
/// them: their status and mentor stay what is read here until the caller
/// commits. Take their mentors' locks first ([`lock_mentors_among`]), as
/// whoever writes a pairing under a mentor's lock does.
pub async fn lock_pairings_among(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<pairing::Model>, DbErr> {
    among(db, organisation_id, ids, true).await
}

async fn among(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    ids: &[Uuid],
    lock: bool,
) -> Result<Vec<pairing::Model>, DbErr> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut rows = Vec::with_capacity(ids.len());
    // Bounded IN lists (SQLite and PostgreSQL both cap bound parameters),
    // chunks in id order: the whole stays in id order.
    for chunk in ids.chunks(500) {
        let query = pairing::Entity::find()
            .filter(pairing::Column::OrganisationId.eq(organisation_id))
            .filter(pairing::Column::Id.is_in(chunk.iter().copied()))
            .order_by_asc(pairing::Column::Id);
        let query = if lock {
            super::locked(db, query, LockType::NoKeyUpdate)
        } else {
            query
        };
        rows.extend(query.all(db).await?);
    }
    Ok(rows)
}
