use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "offer")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub remote_id: Option<String>,
    pub kind: String,
    pub title: String,
    pub description: String,
    pub sector: String,
    pub address: String,
    pub commune_insee: String,
    pub lat: f64,
    pub lon: f64,
    /// JSON array of track names.
    pub tracks: Json,
    pub reserved_for_priority: bool,
    pub group_min: Option<i32>,
    pub group_max: Option<i32>,
    pub accessible: bool,
    pub tutor_name: String,
    pub tutor_email: String,
    pub status: String,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::offer_week::Entity")]
    OfferWeek,
}

impl Related<super::offer_week::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OfferWeek.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
