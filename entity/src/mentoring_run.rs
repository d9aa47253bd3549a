use sea_orm::entity::prelude::*;

/// One mentoring match run of a structure: its settings, metrics and the
/// draft pairings it wrote, kept so the coordinator can review and publish.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "mentoring_run")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The mentoring structure.
    pub organisation_id: Uuid,
    /// The coordinator who ran it.
    pub actor_id: Option<Uuid>,
    pub seed: i64,
    pub max_distance_km: Option<f64>,
    /// Mentees and mentors available after this date were left out.
    pub available_by: Date,
    pub metrics: Json,
    /// JSON array of `{mentee_id, priority, reason}`.
    pub unmatched: Json,
    /// JSON array of the ids of the drafts written.
    pub pairing_ids: Json,
    pub created_at: ChronoDateTimeUtc,
    pub published_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
