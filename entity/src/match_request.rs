use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "match_request")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The requesting school organisation.
    pub organisation_id: Uuid,
    pub campaign_id: Option<Uuid>,
    pub kind: String,
    pub week_start: String,
    pub week_end: String,
    pub radius_km: Option<f64>,
    pub seed: i64,
    pub class_name: Option<String>,
    /// JSON array of the pupil ids the request covers.
    pub pupil_ids: Json,
    /// `queued`, `waiting_campaign`, `running`, `done`, `failed` or `cancelled`.
    pub status: String,
    pub metrics: Option<Json>,
    /// JSON array of `{pupil_id, reason}`.
    pub unmatched: Option<Json>,
    pub error: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
