use crate::domain::{Email, InseeCode, Location, MenteeNeed, MentorStatus, Sector};
use crate::pagination::Page;
use chrono::{DateTime, NaiveDate, Utc};
use entity::mentor;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::HashMap;
use uuid::Uuid;

/// The parsed content of a mentor profile.
#[derive(Debug, Clone)]
pub struct MentorData {
    pub display_name: String,
    pub email: Email,
    pub sectors: Vec<Sector>,
    pub commune_insee: InseeCode,
    pub location: Location,
    pub max_distance_km: u32,
    pub remote_ok: bool,
    pub capacity: u32,
    pub available_from: Option<NaiveDate>,
    pub status: MentorStatus,
    pub helps_with: Vec<MenteeNeed>,
}

fn columns(data: &MentorData, model: &mut mentor::ActiveModel, now: DateTime<Utc>) {
    model.display_name = Set(data.display_name.clone());
    model.email = Set(data.email.as_str().to_owned());
    model.sectors = Set(serde_json::Value::from(
        data.sectors
            .iter()
            .map(|s| s.code().to_string())
            .collect::<Vec<_>>(),
    ));
    model.commune_insee = Set(data.commune_insee.as_str().to_owned());
    model.lat = Set(data.location.lat);
    model.lon = Set(data.location.lon);
    model.max_distance_km = Set(data.max_distance_km as i32);
    model.remote_ok = Set(data.remote_ok);
    model.capacity = Set(data.capacity as i32);
    model.available_from = Set(data.available_from);
    model.status = Set(data.status.as_str().to_owned());
    model.helps_with = Set(Some(serde_json::Value::from(
        data.helps_with
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>(),
    )));
    model.updated_at = Set(now);
}

pub async fn insert(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    data: &MentorData,
    now: DateTime<Utc>,
) -> Result<mentor::Model, DbErr> {
    let mut model = mentor::ActiveModel {
        id: Set(Uuid::now_v7()),
        organisation_id: Set(organisation_id),
        created_at: Set(now),
        ..Default::default()
    };
    columns(data, &mut model, now);
    mentor::Entity::insert(model).exec_with_returning(db).await
}

pub async fn update(
    db: &impl ConnectionTrait,
    existing: mentor::Model,
    data: &MentorData,
    now: DateTime<Utc>,
) -> Result<mentor::Model, DbErr> {
    let mut model: mentor::ActiveModel = existing.into();
    columns(data, &mut model, now);
    mentor::Entity::update(model).exec(db).await
}

pub async fn find(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    id: Uuid,
) -> Result<Option<mentor::Model>, DbErr> {
    mentor::Entity::find_by_id(id)
        .filter(mentor::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await
}

pub async fn list(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    status: Option<MentorStatus>,
    page: &Page<Uuid>,
) -> Result<Vec<mentor::Model>, DbErr> {
    let mut query = mentor::Entity::find()
        .filter(mentor::Column::OrganisationId.eq(organisation_id))
        .order_by_asc(mentor::Column::Id);
    if let Some(after) = page.after {
        query = query.filter(mentor::Column::Id.gt(after));
    }
    if let Some(status) = status {
        query = query.filter(mentor::Column::Status.eq(status.as_str()));
    }
    query.limit(page.limit + 1).all(db).await
}

/// Deletes the profile (a mentor's personal data goes with it).
pub async fn delete(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    id: Uuid,
) -> Result<bool, DbErr> {
    let result = mentor::Entity::delete_many()
        .filter(mentor::Column::Id.eq(id))
        .filter(mentor::Column::OrganisationId.eq(organisation_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The display names of these mentors, by id.
pub async fn display_names(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, DbErr> {
    Ok(mentor::Entity::find()
        .filter(mentor::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.display_name))
        .collect())
}
