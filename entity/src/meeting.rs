use sea_orm::entity::prelude::*;

/// A meeting of a mentor and a mentee, as the coordinator records it.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "meeting")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub pairing_id: Uuid,
    pub date: Date,
    pub duration_minutes: i32,
    /// `in_person`, `remote` or `phone`.
    pub mode: String,
    /// Free text; emptied when the mentee is erased.
    pub note: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
