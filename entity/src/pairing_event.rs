use sea_orm::entity::prelude::*;

/// One change of a pairing's status: who, when, from, to, why.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "pairing_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub pairing_id: Uuid,
    /// The user who made the change (`None` for the system).
    pub actor_id: Option<Uuid>,
    /// `None` for the creation.
    pub from_status: Option<String>,
    pub to_status: String,
    /// The end reason, for an ending.
    pub reason: Option<String>,
    /// Free text by the coordinator; emptied when the mentee is erased.
    pub note: Option<String>,
    pub at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
