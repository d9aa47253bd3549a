use crate::domain::{PlacementStatus, PupilStatus};
use crate::pagination::Page;
use chrono::{DateTime, Utc};
use entity::{placement, pupil};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::HashMap;
use uuid::Uuid;

fn active() -> [&'static str; 3] {
    PlacementStatus::ACTIVE.map(|s| s.as_str())
}

/// Seats held per `(offer, week)` for the given offers: the active
/// placements whose weeks cover the week. A run counts them on every offer
/// it reaches or takes, tens of thousands nationally: the offers go in IN
/// lists of [`super::IN_LIST`].
pub async fn held_seats(
    db: &impl ConnectionTrait,
    offer_ids: &[Uuid],
    weeks: &[String],
) -> Result<HashMap<(Uuid, String), u32>, DbErr> {
    let mut held = HashMap::new();
    if offer_ids.is_empty() {
        return Ok(held);
    }
    let (Some(first), Some(last)) = (weeks.iter().min(), weeks.iter().max()) else {
        return Ok(held);
    };
    for chunk in offer_ids.chunks(super::IN_LIST) {
        let rows: Vec<(Uuid, String, String)> = placement::Entity::find()
            .select_only()
            .column(placement::Column::OfferId)
            .column(placement::Column::WeekStart)
            .column(placement::Column::WeekEnd)
            .filter(placement::Column::OfferId.is_in(chunk.iter().copied()))
            .filter(placement::Column::Status.is_in(active()))
            .filter(placement::Column::WeekStart.lte(last.clone()))
            .filter(placement::Column::WeekEnd.gte(first.clone()))
            .into_tuple()
            .all(db)
            .await?;
        for (offer, start, end) in rows {
            for week in weeks {
                // ISO week strings of one format sort like the weeks themselves.
                if &start <= week && week <= &end {
                    *held.entry((offer, week.clone())).or_insert(0) += 1;
                }
            }
        }
    }
    Ok(held)
}

/// Placements visible to an organisation: a school sees those of its
/// pupils, a company those on its offers.
#[derive(Debug, Clone, Copy)]
pub enum Viewer {
    School(Uuid),
    Company(Uuid),
}

impl Viewer {
    fn condition(self) -> Condition {
        match self {
            Viewer::School(id) => Condition::all().add(placement::Column::SchoolId.eq(id)),
            Viewer::Company(id) => Condition::all().add(placement::Column::CompanyId.eq(id)),
        }
    }
}

pub async fn find(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    id: Uuid,
) -> Result<Option<placement::Model>, DbErr> {
    placement::Entity::find_by_id(id)
        .filter(viewer.condition())
        .one(db)
        .await
}

#[derive(Debug, Default, Clone)]
pub struct PlacementFilter {
    pub status: Option<PlacementStatus>,
    pub offer_id: Option<Uuid>,
    pub match_request_id: Option<Uuid>,
}

pub async fn list(
    db: &impl ConnectionTrait,
    viewer: Viewer,
    filter: &PlacementFilter,
    page: &Page<Uuid>,
) -> Result<Vec<placement::Model>, DbErr> {
    let mut query = placement::Entity::find()
        .filter(viewer.condition())
        .order_by_asc(placement::Column::Id);
    if let Some(after) = page.after {
        query = query.filter(placement::Column::Id.gt(after));
    }
    if let Some(status) = filter.status {
        query = query.filter(placement::Column::Status.eq(status.as_str()));
    }
    if let Some(offer) = filter.offer_id {
        query = query.filter(placement::Column::OfferId.eq(offer));
    }
    if let Some(request) = filter.match_request_id {
        query = query.filter(placement::Column::MatchRequestId.eq(request));
    }
    query.limit(page.limit + 1).all(db).await
}

pub async fn of_request(
    db: &impl ConnectionTrait,
    request_id: Uuid,
) -> Result<Vec<placement::Model>, DbErr> {
    placement::Entity::find()
        .filter(placement::Column::MatchRequestId.eq(request_id))
        .order_by_asc(placement::Column::Id)
        .all(db)
        .await
}

/// Moves a placement from `from` to `to` if it is still in `from` and not
/// expired at `now` (the service's clock); the pupil's status follows.
/// `false` when it was not (raced, expired, or already decided).
pub async fn transition(
    db: &impl ConnectionTrait,
    placement: &placement::Model,
    from: PlacementStatus,
    to: PlacementStatus,
    new_expiry: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut update = placement::Entity::update_many()
        .col_expr(placement::Column::Status, Expr::value(to.as_str()))
        .col_expr(placement::Column::UpdatedAt, Expr::value(now))
        .filter(placement::Column::Id.eq(placement.id))
        .filter(placement::Column::Status.eq(from.as_str()))
        .filter(placement::Column::ExpiresAt.gt(now));
    if let Some(expiry) = new_expiry {
        update = update.col_expr(placement::Column::ExpiresAt, Expr::value(expiry));
    }
    if update.exec(db).await?.rows_affected != 1 {
        return Ok(false);
    }
    let pupil_status = match to {
        PlacementStatus::Proposed => PupilStatus::Proposed,
        PlacementStatus::Accepted => PupilStatus::Accepted,
        PlacementStatus::Confirmed => PupilStatus::Placed,
        PlacementStatus::Declined | PlacementStatus::Cancelled | PlacementStatus::Expired => {
            PupilStatus::Unplaced
        }
    };
    set_pupil_status(db, placement, pupil_status, now).await?;
    Ok(true)
}

async fn set_pupil_status(
    db: &impl ConnectionTrait,
    placement: &placement::Model,
    status: PupilStatus,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let condition = match placement.pupil_id {
        Some(pupil_id) => Condition::all().add(pupil::Column::Id.eq(pupil_id)),
        None => match &placement.class_name {
            // A group placement moves the class's pupils together.
            Some(class) => Condition::all()
                .add(pupil::Column::OrganisationId.eq(placement.school_id))
                .add(pupil::Column::ClassName.eq(class.clone())),
            None => return Ok(()),
        },
    };
    pupil::Entity::update_many()
        .col_expr(pupil::Column::Status, Expr::value(status.as_str()))
        .col_expr(pupil::Column::UpdatedAt, Expr::value(now))
        .filter(condition)
        .filter(pupil::Column::ErasedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Expires the proposals and acceptances whose deadline `now` (the
/// service's clock) has reached, releasing their seats; returns them (for
/// notifications).
pub async fn expire_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Vec<placement::Model>, DbErr> {
    let due = placement::Entity::find()
        .filter(placement::Column::Status.is_in([
            PlacementStatus::Proposed.as_str(),
            PlacementStatus::Accepted.as_str(),
        ]))
        .filter(placement::Column::ExpiresAt.lte(now))
        .all(db)
        .await?;
    let mut expired = Vec::new();
    for p in due {
        let updated = placement::Entity::update_many()
            .col_expr(
                placement::Column::Status,
                Expr::value(PlacementStatus::Expired.as_str()),
            )
            .col_expr(placement::Column::UpdatedAt, Expr::value(now))
            .filter(placement::Column::Id.eq(p.id))
            .filter(placement::Column::Status.eq(p.status.clone()))
            .exec(db)
            .await?;
        if updated.rows_affected == 1 {
            set_pupil_status(db, &p, PupilStatus::Unplaced, now).await?;
            expired.push(p);
        }
    }
    Ok(expired)
}
