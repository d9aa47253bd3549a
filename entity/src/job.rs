use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "job")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `match_request` or `campaign`.
    pub kind: String,
    pub target_id: Uuid,
    /// `queued`, `running`, `done`, `failed` or `cancelled`.
    pub status: String,
    pub attempts: i32,
    pub run_after: ChronoDateTimeUtc,
    pub locked_until: Option<ChronoDateTimeUtc>,
    pub locked_by: Option<String>,
    pub last_error: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
