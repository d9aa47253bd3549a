use sea_orm::entity::prelude::*;

/// A young person accompanied by a mentoring structure.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "mentee")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The mentoring structure the mentee belongs to.
    pub organisation_id: Uuid,
    /// SHA-256 of names and birth year, normalised: how a re-sent file is
    /// recognised.
    pub identity_hash: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub birth_year: Option<i32>,
    /// `collegien`, `lyceen`, `etudiant` or `en_insertion`.
    pub situation: String,
    pub school_uai: Option<String>,
    pub commune_insee: Option<String>,
    /// Kept after erasure, for statistics by département.
    pub departement: String,
    pub qpv: bool,
    /// JSON array of needs (`orientation`, `confiance`...).
    pub needs: Json,
    /// JSON array of sector letters.
    pub interests: Json,
    pub remote_ok: bool,
    pub available_from: Option<Date>,
    pub priority: String,
    pub erased_at: Option<ChronoDateTimeUtc>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
