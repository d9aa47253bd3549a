use sea_orm::entity::prelude::*;

/// A mentor and a mentee paired by their structure.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "pairing")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The mentoring structure.
    pub organisation_id: Uuid,
    pub mentee_id: Uuid,
    /// `None` once the mentor's profile was deleted.
    pub mentor_id: Option<Uuid>,
    /// `mentee_id` while open (draft, proposed, active, paused): unique.
    pub open_mentee_id: Option<Uuid>,
    /// `draft`, `proposed`, `active`, `paused`, `ended` or `declined`.
    pub status: String,
    /// `manual` or `match_run`.
    pub origin: String,
    /// The mentee's tier when paired, kept for statistics.
    pub priority: String,
    pub departement: String,
    pub distance_km: Option<f64>,
    /// Both accept remote mentoring: distance did not count.
    pub remote: bool,
    pub start_date: Option<Date>,
    pub end_date: Option<Date>,
    pub end_reason: Option<String>,
    pub closing_note: Option<String>,
    pub proposed_at: Option<ChronoDateTimeUtc>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
