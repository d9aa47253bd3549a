use crate::pagination::Page;
use entity::organisation;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

pub struct NewOrganisation {
    pub kind: String,
    pub name: String,
    pub siret: Option<String>,
    pub uai: Option<String>,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    new: NewOrganisation,
) -> Result<organisation::Model, DbErr> {
    let model = organisation::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(new.kind),
        name: Set(new.name),
        siret: Set(new.siret),
        uai: Set(new.uai),
        created_at: Set(chrono::Utc::now()),
    };
    organisation::Entity::insert(model)
        .exec_with_returning(db)
        .await
}

pub async fn find(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<organisation::Model>, DbErr> {
    organisation::Entity::find_by_id(id).one(db).await
}

pub async fn list(
    db: &impl ConnectionTrait,
    page: &Page<Uuid>,
) -> Result<Vec<organisation::Model>, DbErr> {
    let mut query = organisation::Entity::find().order_by_asc(organisation::Column::Id);
    if let Some(after) = page.after {
        query = query.filter(organisation::Column::Id.gt(after));
    }
    query.limit(page.limit + 1).all(db).await
}
