use crate::domain::{Email, InseeCode, IsoWeek, Location, OfferKind, OfferStatus, Sector, Track};
use crate::pagination::Page;
use chrono::Utc;
use entity::{offer, offer_week};
use sea_orm::sea_query::{Expr, LockType, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use std::collections::HashMap;
use uuid::Uuid;

/// The parsed content of an offer, as written by a create, patch or upsert.
#[derive(Debug, Clone)]
pub struct OfferData {
    pub kind: OfferKind,
    pub title: String,
    pub description: String,
    pub sector: Sector,
    pub address: String,
    pub commune_insee: InseeCode,
    pub location: Location,
    pub weeks: Vec<(IsoWeek, u32)>,
    pub tracks: Vec<Track>,
    pub reserved_for_priority: bool,
    pub group_size: Option<(u32, u32)>,
    pub accessible: bool,
    pub tutor_name: String,
    pub tutor_email: Email,
    pub status: OfferStatus,
}

impl OfferData {
    /// The seats offered on `week` (an ISO week as stored), 0 when the offer
    /// does not list it.
    pub fn seats(&self, week: &str) -> u32 {
        self.weeks
            .iter()
            .find(|(w, _)| w.to_string() == week)
            .map_or(0, |(_, s)| *s)
    }
}

/// An offer row with its weeks, ordered by week.
#[derive(Debug, Clone)]
pub struct OfferRecord {
    pub offer: offer::Model,
    pub weeks: Vec<offer_week::Model>,
}

#[derive(Debug, Default, Clone)]
pub struct OfferFilter {
    pub kind: Option<OfferKind>,
    pub status: Option<OfferStatus>,
    pub week: Option<IsoWeek>,
}

fn columns(data: &OfferData, model: &mut offer::ActiveModel) {
    model.kind = Set(data.kind.as_str().to_owned());
    model.title = Set(data.title.clone());
    model.description = Set(data.description.clone());
    model.sector = Set(data.sector.code().to_string());
    model.address = Set(data.address.clone());
    model.commune_insee = Set(data.commune_insee.as_str().to_owned());
    model.lat = Set(data.location.lat);
    model.lon = Set(data.location.lon);
    model.tracks = Set(serde_json::Value::from(
        data.tracks.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
    ));
    model.reserved_for_priority = Set(data.reserved_for_priority);
    model.group_min = Set(data.group_size.map(|g| g.0 as i32));
    model.group_max = Set(data.group_size.map(|g| g.1 as i32));
    model.accessible = Set(data.accessible);
    model.tutor_name = Set(data.tutor_name.clone());
    model.tutor_email = Set(data.tutor_email.as_str().to_owned());
    model.status = Set(data.status.as_str().to_owned());
    model.updated_at = Set(Utc::now());
}

fn week_rows(offer_id: Uuid, data: &OfferData) -> Vec<offer_week::Model> {
    let mut weeks: Vec<offer_week::Model> = data
        .weeks
        .iter()
        .map(|(week, seats)| offer_week::Model {
            offer_id,
            week: week.to_string(),
            seats: *seats as i32,
        })
        .collect();
    weeks.sort_by(|a, b| a.week.cmp(&b.week));
    weeks
}

async fn insert_weeks(db: &impl ConnectionTrait, weeks: &[offer_week::Model]) -> Result<(), DbErr> {
    if weeks.is_empty() {
        return Ok(());
    }
    offer_week::Entity::insert_many(weeks.iter().map(|w| offer_week::ActiveModel {
        offer_id: Set(w.offer_id),
        week: Set(w.week.clone()),
        seats: Set(w.seats),
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn insert(
    db: &DatabaseConnection,
    organisation_id: Uuid,
    remote_id: Option<String>,
    data: &OfferData,
) -> Result<OfferRecord, DbErr> {
    let id = Uuid::now_v7();
    let now = Utc::now();
    let mut model = offer::ActiveModel {
        id: Set(id),
        organisation_id: Set(organisation_id),
        remote_id: Set(remote_id),
        created_at: Set(now),
        ..Default::default()
    };
    columns(data, &mut model);
    let weeks = week_rows(id, data);
    let txn = db.begin().await?;
    let offer = offer::Entity::insert(model)
        .exec_with_returning(&txn)
        .await?;
    insert_weeks(&txn, &weeks).await?;
    txn.commit().await?;
    Ok(OfferRecord { offer, weeks })
}

/// Replaces an existing offer's content and weeks, in the caller's
/// transaction.
pub async fn update(
    txn: &DatabaseTransaction,
    existing: offer::Model,
    data: &OfferData,
) -> Result<OfferRecord, DbErr> {
    let id = existing.id;
    let mut model: offer::ActiveModel = existing.into();
    columns(data, &mut model);
    let weeks = week_rows(id, data);
    let offer = offer::Entity::update(model).exec(txn).await?;
    offer_week::Entity::delete_many()
        .filter(offer_week::Column::OfferId.eq(id))
        .exec(txn)
        .await?;
    insert_weeks(txn, &weeks).await?;
    Ok(OfferRecord { offer, weeks })
}

pub async fn find(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    id: Uuid,
) -> Result<Option<OfferRecord>, DbErr> {
    let Some(offer) = offer::Entity::find_by_id(id)
        .filter(offer::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let weeks = offer_week::Entity::find()
        .filter(offer_week::Column::OfferId.eq(id))
        .order_by_asc(offer_week::Column::Week)
        .all(db)
        .await?;
    Ok(Some(OfferRecord { offer, weeks }))
}

/// As [`find`], the offer's row locked until the transaction ends
/// (PostgreSQL; SQLite has one writer): a PATCH reads and writes it under
/// this lock, so two PATCHes never undo each other's fields nor a PATCH an
/// archive. `FOR NO KEY UPDATE`, the lock the write itself takes: a match
/// run inserting placements of this offer takes `KEY SHARE` on it while
/// holding the offer-weeks the PATCH rewrites, so `FOR UPDATE` could
/// deadlock with it.
///
/// Then the offer's weeks, `FOR UPDATE`: a match run locks the offer-weeks
/// it proposes on the same way before it counts their seats and inserts
/// placements, so once they are held here no run can add placements to
/// this offer until the transaction ends, and the seats held, counted after
/// this call, stay what the writer checks them against. The offer row alone
/// does not keep a run out: its `KEY SHARE` does not conflict with `NO KEY
/// UPDATE`.
///
/// No deadlock with a run: this takes the offer row, then its weeks by
/// week; a run takes offer-weeks by (offer, week), the same order for one
/// offer's weeks, and then only `KEY SHARE` on the offer, which never waits
/// for the `NO KEY UPDATE` held here. So a run may make this wait for its
/// weeks, but never waits for anything this holds before it has all the
/// weeks it needs. Two writers of the same offer queue on its row first.
pub async fn lock(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    id: Uuid,
) -> Result<Option<OfferRecord>, DbErr> {
    let query = offer::Entity::find_by_id(id)
        .select_only()
        .column(offer::Column::Id)
        .filter(offer::Column::OrganisationId.eq(organisation_id));
    let query = super::locked(db, query, LockType::NoKeyUpdate);
    if query.into_tuple::<Uuid>().one(db).await?.is_none() {
        return Ok(None);
    }
    let weeks = offer_week::Entity::find()
        .select_only()
        .column(offer_week::Column::Week)
        .filter(offer_week::Column::OfferId.eq(id))
        .order_by_asc(offer_week::Column::Week);
    super::locked(db, weeks, LockType::Update)
        .into_tuple::<String>()
        .all(db)
        .await?;
    find(db, organisation_id, id).await
}

pub async fn find_by_remote_id(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    remote_id: &str,
) -> Result<Option<offer::Model>, DbErr> {
    offer::Entity::find()
        .filter(offer::Column::OrganisationId.eq(organisation_id))
        .filter(offer::Column::RemoteId.eq(remote_id))
        .one(db)
        .await
}

pub async fn list(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    filter: &OfferFilter,
    page: &Page<Uuid>,
) -> Result<Vec<OfferRecord>, DbErr> {
    let mut query = offer::Entity::find()
        .filter(offer::Column::OrganisationId.eq(organisation_id))
        .order_by_asc(offer::Column::Id);
    if let Some(after) = page.after {
        query = query.filter(offer::Column::Id.gt(after));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(offer::Column::Kind.eq(kind.as_str()));
    }
    if let Some(status) = filter.status {
        query = query.filter(offer::Column::Status.eq(status.as_str()));
    }
    if let Some(week) = filter.week {
        query = query.filter(
            offer::Column::Id.in_subquery(
                Query::select()
                    .column(offer_week::Column::OfferId)
                    .from(offer_week::Entity)
                    .and_where(offer_week::Column::Week.eq(week.to_string()))
                    .to_owned(),
            ),
        );
    }
    let offers = query.limit(page.limit + 1).all(db).await?;
    with_weeks(db, offers).await
}

/// Attaches the weeks of many offers with one query.
pub async fn with_weeks(
    db: &impl ConnectionTrait,
    offers: Vec<offer::Model>,
) -> Result<Vec<OfferRecord>, DbErr> {
    if offers.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = offers.iter().map(|o| o.id).collect();
    let mut by_offer: HashMap<Uuid, Vec<offer_week::Model>> = HashMap::new();
    for week in offer_week::Entity::find()
        .filter(offer_week::Column::OfferId.is_in(ids))
        .order_by_asc(offer_week::Column::Week)
        .all(db)
        .await?
    {
        by_offer.entry(week.offer_id).or_default().push(week);
    }
    Ok(offers
        .into_iter()
        .map(|offer| {
            let weeks = by_offer.remove(&offer.id).unwrap_or_default();
            OfferRecord { offer, weeks }
        })
        .collect())
}

/// Sets the status to archived and returns when; `None` when the
/// organisation has no such offer.
pub async fn archive(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    id: Uuid,
) -> Result<Option<chrono::DateTime<Utc>>, DbErr> {
    let now = Utc::now();
    let result = offer::Entity::update_many()
        .col_expr(
            offer::Column::Status,
            Expr::value(OfferStatus::Archived.as_str()),
        )
        .col_expr(offer::Column::UpdatedAt, Expr::value(now))
        .filter(offer::Column::Id.eq(id))
        .filter(offer::Column::OrganisationId.eq(organisation_id))
        .exec(db)
        .await?;
    Ok((result.rows_affected == 1).then_some(now))
}

/// The ISO weeks an offer currently lists.
pub async fn week_names(db: &impl ConnectionTrait, offer_id: Uuid) -> Result<Vec<String>, DbErr> {
    Ok(offer_week::Entity::find()
        .filter(offer_week::Column::OfferId.eq(offer_id))
        .all(db)
        .await?
        .into_iter()
        .map(|w| w.week)
        .collect())
}

/// Seats held by active placements on each week the offer currently lists.
pub async fn held_seats(
    db: &impl ConnectionTrait,
    offer_id: Uuid,
) -> Result<HashMap<String, u32>, DbErr> {
    let weeks = week_names(db, offer_id).await?;
    Ok(super::placements::held_seats(db, &[offer_id], &weeks)
        .await?
        .into_iter()
        .map(|((_, week), n)| (week, n))
        .collect())
}
