use sea_orm::entity::prelude::*;

/// A mentoring structure's weekly alerts digest, handled once per ISO week.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts_digest")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organisation_id: Uuid,
    /// `2027-W10`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub iso_week: String,
    /// Alerts the digest listed (0: none that week, nothing sent).
    pub alerts: i32,
    /// Coordinators it was written to.
    pub recipients: i32,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
