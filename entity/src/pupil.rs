use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "pupil")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The school organisation the pupil belongs to.
    pub organisation_id: Uuid,
    pub external_id: Option<String>,
    /// SHA-256 of class, names and birth date, normalised: the identity a
    /// re-sent file is recognised by.
    pub identity_hash: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub birth_date: Option<Date>,
    pub class_name: String,
    pub track: String,
    pub home_commune_insee: Option<String>,
    /// JSON array of sector letters.
    pub interests: Json,
    pub needs_accessibility: bool,
    pub qpv: bool,
    pub priority: String,
    /// `unplaced`, `proposed`, `accepted`, `placed`, or `erased`.
    pub status: String,
    pub erased_at: Option<ChronoDateTimeUtc>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
