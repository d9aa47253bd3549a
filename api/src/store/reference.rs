use crate::domain::distance_km;
use crate::pagination::Page;
use entity::{college, commune};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

pub async fn commune(
    db: &impl ConnectionTrait,
    insee: &str,
) -> Result<Option<commune::Model>, DbErr> {
    commune::Entity::find_by_id(insee.to_owned()).one(db).await
}

pub async fn college(
    db: &impl ConnectionTrait,
    uai: &str,
) -> Result<Option<college::Model>, DbErr> {
    college::Entity::find_by_id(uai.to_owned()).one(db).await
}

pub async fn commune_count(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    commune::Entity::find().count(db).await
}

pub async fn college_count(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    college::Entity::find().count(db).await
}

pub async fn colleges_in_departement(
    db: &impl ConnectionTrait,
    departement: &str,
    page: &Page<String>,
) -> Result<Vec<college::Model>, DbErr> {
    let mut query = college::Entity::find()
        .filter(college::Column::Departement.eq(departement))
        .order_by_asc(college::Column::Uai);
    if let Some(after) = &page.after {
        query = query.filter(college::Column::Uai.gt(after.clone()));
    }
    query.limit(page.limit + 1).all(db).await
}

/// Collèges within `radius_km` (great-circle) of a point, nearest first.
/// A latitude/longitude box that surely contains the circle narrows the SQL
/// query; the exact distance then filters and sorts.
pub async fn colleges_near(
    db: &impl ConnectionTrait,
    lat: f64,
    lon: f64,
    radius_km: f64,
) -> Result<Vec<(college::Model, f64)>, DbErr> {
    const KM_PER_DEGREE: f64 = 111.19;
    let dlat = radius_km / KM_PER_DEGREE;
    let mut query = college::Entity::find()
        .filter(college::Column::Lat.between(lat - dlat, lat + dlat))
        .filter(college::Column::Lon.is_not_null());
    let max_lat = (lat.abs() + dlat).min(89.9);
    let dlon = dlat / max_lat.to_radians().cos();
    if lon - dlon > -180.0 && lon + dlon < 180.0 {
        query = query.filter(college::Column::Lon.between(lon - dlon, lon + dlon));
    }
    let mut found: Vec<(college::Model, f64)> = query
        .all(db)
        .await?
        .into_iter()
        .filter_map(|c| {
            let d = distance_km(lat, lon, c.lat?, c.lon?);
            (d <= radius_km).then_some((c, d))
        })
        .collect();
    found.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.uai.cmp(&b.0.uai)));
    Ok(found)
}
