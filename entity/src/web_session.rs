use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "web_session")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// SHA-256 of the cookie's session id; the id itself is never stored.
    pub token_hash: String,
    pub user_id: Uuid,
    /// What the CSRF tokens of this session's forms are checked against.
    pub csrf_secret: String,
    pub created_at: ChronoDateTimeUtc,
    /// Moved forward as the session is used (at most once a minute): the
    /// idle expiry counts from here.
    pub last_seen_at: ChronoDateTimeUtc,
    /// The absolute end, whatever the use.
    pub expires_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
