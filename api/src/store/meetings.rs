//! Meetings of a pairing, and the figures the coordinator follows.
use crate::domain::MeetingMode;
use crate::pagination::Page;
use chrono::{DateTime, NaiveDate, Utc};
use entity::meeting;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use uuid::Uuid;

/// A checked meeting.
#[derive(Debug, Clone)]
pub struct MeetingData {
    pub date: NaiveDate,
    pub duration_minutes: u32,
    pub mode: MeetingMode,
    pub note: Option<String>,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    pairing_id: Uuid,
    data: &MeetingData,
    created_by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<meeting::Model, DbErr> {
    meeting::Entity::insert(meeting::ActiveModel {
        id: Set(Uuid::now_v7()),
        pairing_id: Set(pairing_id),
        date: Set(data.date),
        duration_minutes: Set(i32::try_from(data.duration_minutes).unwrap_or(i32::MAX)),
        mode: Set(data.mode.as_str().to_owned()),
        note: Set(data.note.clone()),
        created_by: Set(created_by),
        created_at: Set(now),
    })
    .exec_with_returning(db)
    .await
}

pub async fn list(
    db: &impl ConnectionTrait,
    pairing_id: Uuid,
    page: &Page<Uuid>,
) -> Result<Vec<meeting::Model>, DbErr> {
    let mut query = meeting::Entity::find()
        .filter(meeting::Column::PairingId.eq(pairing_id))
        .order_by_asc(meeting::Column::Id);
    if let Some(after) = page.after {
        query = query.filter(meeting::Column::Id.gt(after));
    }
    query.limit(page.limit + 1).all(db).await
}

/// The dates of every meeting of a pairing.
pub async fn dates(db: &impl ConnectionTrait, pairing_id: Uuid) -> Result<Vec<NaiveDate>, DbErr> {
    meeting::Entity::find()
        .select_only()
        .column(meeting::Column::Date)
        .filter(meeting::Column::PairingId.eq(pairing_id))
        .into_tuple()
        .all(db)
        .await
}

/// Empties the notes of the meetings of these pairings (erasure).
pub async fn forget_notes(db: &impl ConnectionTrait, pairing_ids: &[Uuid]) -> Result<(), DbErr> {
    meeting::Entity::update_many()
        .col_expr(meeting::Column::Note, Expr::value(Option::<String>::None))
        .filter(meeting::Column::PairingId.is_in(pairing_ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// What a coordinator follows on a pairing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub meetings: u64,
    /// Months from the start to the end (or today), one decimal.
    pub months_active: Option<f64>,
    /// Meetings divided by the months active, counted as at least one.
    pub meetings_per_month: Option<f64>,
    /// Days from the last meeting to the end (or today).
    pub days_since_last_meeting: Option<i64>,
}

/// Average length of a month in days (365.25 / 12).
const MONTH_DAYS: f64 = 30.4375;

fn one_decimal(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

impl Figures {
    pub fn compute(
        start: Option<NaiveDate>,
        end: Option<NaiveDate>,
        today: NaiveDate,
        dates: &[NaiveDate],
    ) -> Self {
        let until = end.unwrap_or(today);
        let months = start.map(|s| ((until - s).num_days().max(0) as f64) / MONTH_DAYS);
        let meetings = dates.len() as u64;
        Figures {
            meetings,
            months_active: months.map(one_decimal),
            meetings_per_month: months.map(|m| one_decimal(meetings as f64 / m.max(1.0))),
            days_since_last_meeting: dates
                .iter()
                .max()
                .map(|last| (until - *last).num_days().max(0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn figures_count_from_the_start_to_the_end_or_today() {
        let dates = [d("2027-01-10"), d("2027-02-01"), d("2027-03-01")];
        let f = Figures::compute(Some(d("2027-01-04")), None, d("2027-04-05"), &dates);
        assert_eq!(f.meetings, 3);
        assert_eq!(f.months_active, Some(3.0));
        assert_eq!(f.meetings_per_month, Some(1.0));
        assert_eq!(f.days_since_last_meeting, Some(35));
        // Ended: counted to the end date; a first month counts as one.
        let f = Figures::compute(
            Some(d("2027-01-04")),
            Some(d("2027-01-20")),
            d("2027-06-01"),
            &dates[..1],
        );
        assert_eq!(f.months_active, Some(0.5));
        assert_eq!(f.meetings_per_month, Some(1.0));
        assert_eq!(f.days_since_last_meeting, Some(10));
        let f = Figures::compute(None, None, d("2027-06-01"), &[]);
        assert_eq!(
            (
                f.months_active,
                f.meetings_per_month,
                f.days_since_last_meeting
            ),
            (None, None, None)
        );
    }
}
