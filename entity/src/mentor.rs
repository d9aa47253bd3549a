use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "mentor")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub display_name: String,
    pub email: String,
    /// JSON array of ROME grand-domaine letters.
    pub sectors: Json,
    pub commune_insee: String,
    pub lat: f64,
    pub lon: f64,
    pub max_distance_km: i32,
    pub remote_ok: bool,
    pub capacity: i32,
    pub available_from: Option<Date>,
    pub status: String,
    /// JSON array of mentee needs the mentor can help with (`None`: none
    /// declared).
    pub helps_with: Option<Json>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
