use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "commune")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub insee: String,
    pub kind: String,
    pub parent: Option<String>,
    pub name: String,
    pub departement: String,
    pub region: String,
    pub zone: String,
    pub population: i32,
    pub postcodes: String,
    pub lat: f64,
    pub lon: f64,
    pub frr_code: i16,
    pub frr: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
