use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "placement")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub match_request_id: Uuid,
    pub school_id: Uuid,
    pub company_id: Uuid,
    pub offer_id: Uuid,
    /// The pupil, or `None` for a `classe_entreprise` group.
    pub pupil_id: Option<Uuid>,
    /// The class of a group placement.
    pub class_name: Option<String>,
    pub group_size: i32,
    pub kind: String,
    pub week_start: String,
    pub week_end: String,
    pub priority: String,
    pub distance_km: f64,
    pub interest_match: bool,
    /// `proposed`, `accepted`, `confirmed`, `declined`, `cancelled` or `expired`.
    pub status: String,
    pub expires_at: ChronoDateTimeUtc,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
