use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "college")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub uai: String,
    pub name: String,
    pub sector: String,
    pub commune_insee: String,
    pub commune_name: String,
    pub departement: String,
    pub region: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// `REP+`, `REP`, `HORS_EP`, or `None` when unknown.
    pub education_prioritaire: Option<String>,
    pub ips: Option<f64>,
    pub etat: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
