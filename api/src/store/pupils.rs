use super::identities;
use crate::auth::hash_secret;
use crate::domain::{InseeCode, PlacementStatus, Priority, PupilStatus, Sector, Track};
use crate::pagination::Page;
use chrono::{NaiveDate, Utc};
use entity::{placement, pupil};
use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::HashSet;
use uuid::Uuid;

/// The parsed content of a pupil record.
#[derive(Debug, Clone)]
pub struct PupilData {
    pub external_id: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub birth_date: Option<NaiveDate>,
    pub class_name: String,
    pub track: Track,
    pub home_commune_insee: Option<InseeCode>,
    pub interests: Vec<Sector>,
    pub needs_accessibility: bool,
    pub qpv: bool,
    pub priority: Priority,
}

/// A collège pupil's birth date: from 1990 (adults returning to school
/// included) to today. The API and the CSV import apply the same rule.
pub fn plausible_birth_date(date: NaiveDate) -> bool {
    NaiveDate::from_ymd_opt(1990, 1, 1).is_some_and(|min| min <= date)
        && date <= Utc::now().date_naive()
}

impl PupilData {
    /// Who this record is: the school's own id when given, otherwise class,
    /// names and birth date, normalised (case and spacing do not count).
    pub fn identity_hash(&self) -> String {
        match &self.external_id {
            // The school's own id is compared exactly, case included.
            Some(id) => hash_secret(&format!("ext\u{1f}{}", id.trim())),
            None => identities::identity_hash(
                "id",
                &[
                    &self.class_name,
                    &self.last_name,
                    &self.first_name,
                    &self.birth_date.map(|d| d.to_string()).unwrap_or_default(),
                ],
            ),
        }
    }

    fn interests_json(&self) -> serde_json::Value {
        serde_json::Value::from(
            self.interests
                .iter()
                .map(|s| s.code().to_string())
                .collect::<Vec<_>>(),
        )
    }
}

fn active_model(organisation_id: Uuid, data: &PupilData) -> pupil::ActiveModel {
    let now = Utc::now();
    pupil::ActiveModel {
        id: Set(Uuid::now_v7()),
        organisation_id: Set(organisation_id),
        external_id: Set(data.external_id.clone()),
        identity_hash: Set(Some(data.identity_hash())),
        first_name: Set(Some(data.first_name.clone())),
        last_name: Set(Some(data.last_name.clone())),
        birth_date: Set(data.birth_date),
        class_name: Set(data.class_name.clone()),
        track: Set(data.track.as_str().to_owned()),
        home_commune_insee: Set(data
            .home_commune_insee
            .as_ref()
            .map(|c| c.as_str().to_owned())),
        interests: Set(data.interests_json()),
        needs_accessibility: Set(data.needs_accessibility),
        qpv: Set(data.qpv),
        priority: Set(data.priority.as_str().to_owned()),
        status: Set(PupilStatus::Unplaced.as_str().to_owned()),
        erased_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

pub async fn insert(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    data: &PupilData,
) -> Result<pupil::Model, DbErr> {
    pupil::Entity::insert(active_model(organisation_id, data))
        .exec_with_returning(db)
        .await
}

/// Inserts the records, or updates those whose identity is already known
/// (a file sent twice stores every pupil once).
pub async fn upsert_many(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    batch: &[PupilData],
) -> Result<(), DbErr> {
    use pupil::Column as C;
    identities::upsert_many(
        db,
        batch
            .iter()
            .map(|d| active_model(organisation_id, d))
            .collect(),
        [C::OrganisationId, C::IdentityHash],
        &[
            C::FirstName,
            C::LastName,
            C::BirthDate,
            C::ClassName,
            C::Track,
            C::HomeCommuneInsee,
            C::Interests,
            C::NeedsAccessibility,
            C::Qpv,
            C::Priority,
            C::UpdatedAt,
        ],
    )
    .await
}

/// The identity hashes of all the school's pupils (see `identities::known`).
pub async fn known_identities(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
) -> Result<HashSet<String>, DbErr> {
    use pupil::Column as C;
    identities::known::<pupil::Entity>(db, C::OrganisationId, C::IdentityHash, organisation_id)
        .await
}

pub async fn update(
    db: &impl ConnectionTrait,
    existing: pupil::Model,
    data: &PupilData,
) -> Result<pupil::Model, DbErr> {
    let mut model: pupil::ActiveModel = existing.into();
    model.external_id = Set(data.external_id.clone());
    model.identity_hash = Set(Some(data.identity_hash()));
    model.first_name = Set(Some(data.first_name.clone()));
    model.last_name = Set(Some(data.last_name.clone()));
    model.birth_date = Set(data.birth_date);
    model.class_name = Set(data.class_name.clone());
    model.track = Set(data.track.as_str().to_owned());
    model.home_commune_insee = Set(data
        .home_commune_insee
        .as_ref()
        .map(|c| c.as_str().to_owned()));
    model.interests = Set(data.interests_json());
    model.needs_accessibility = Set(data.needs_accessibility);
    model.qpv = Set(data.qpv);
    model.priority = Set(data.priority.as_str().to_owned());
    model.updated_at = Set(Utc::now());
    pupil::Entity::update(model).exec(db).await
}

/// As [`find`], the row locked until the transaction ends (PostgreSQL;
/// SQLite has one writer): a PATCH reads and writes it under this lock, so
/// two PATCHes never undo each other's fields, and one that waited for an
/// erasure finds nothing to write back.
pub async fn lock(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    id: Uuid,
) -> Result<Option<pupil::Model>, DbErr> {
    let query = pupil::Entity::find_by_id(id)
        .filter(pupil::Column::OrganisationId.eq(organisation_id))
        .filter(pupil::Column::ErasedAt.is_null());
    super::locked(db, query, LockType::Update).one(db).await
}

/// A pupil of the school, unless erased.
pub async fn find(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    id: Uuid,
) -> Result<Option<pupil::Model>, DbErr> {
    pupil::Entity::find_by_id(id)
        .filter(pupil::Column::OrganisationId.eq(organisation_id))
        .filter(pupil::Column::ErasedAt.is_null())
        .one(db)
        .await
}

#[derive(Debug, Default, Clone)]
pub struct PupilFilter {
    pub class_name: Option<String>,
    pub track: Option<Track>,
    pub status: Option<PupilStatus>,
}

pub async fn list(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    filter: &PupilFilter,
    page: &Page<Uuid>,
) -> Result<Vec<pupil::Model>, DbErr> {
    let mut query = pupil::Entity::find()
        .filter(pupil::Column::OrganisationId.eq(organisation_id))
        .filter(pupil::Column::ErasedAt.is_null())
        .order_by_asc(pupil::Column::Id);
    if let Some(after) = page.after {
        query = query.filter(pupil::Column::Id.gt(after));
    }
    if let Some(class_name) = &filter.class_name {
        query = query.filter(pupil::Column::ClassName.eq(class_name.clone()));
    }
    if let Some(track) = filter.track {
        query = query.filter(pupil::Column::Track.eq(track.as_str()));
    }
    if let Some(status) = filter.status {
        query = query.filter(pupil::Column::Status.eq(status.as_str()));
    }
    query.limit(page.limit + 1).all(db).await
}

/// Pupils of the school by id (erased ones left out).
pub async fn find_many(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<pupil::Model>, DbErr> {
    pupil::Entity::find()
        .filter(pupil::Column::OrganisationId.eq(organisation_id))
        .filter(pupil::Column::ErasedAt.is_null())
        .filter(pupil::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await
}

/// Pupils of a class of the school (erased ones left out).
pub async fn in_class(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    class_name: &str,
) -> Result<Vec<pupil::Model>, DbErr> {
    pupil::Entity::find()
        .filter(pupil::Column::OrganisationId.eq(organisation_id))
        .filter(pupil::Column::ErasedAt.is_null())
        .filter(pupil::Column::ClassName.eq(class_name))
        .order_by_asc(pupil::Column::Id)
        .all(db)
        .await
}

/// Erases the person: every personal field is emptied, the seats held by
/// the pupil's active placements are released; tier, track and class stay
/// for anonymous statistics. Call inside a transaction.
pub async fn erase(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    id: Uuid,
) -> Result<bool, DbErr> {
    let now = Utc::now();
    let result = pupil::Entity::update_many()
        .col_expr(
            pupil::Column::ExternalId,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            pupil::Column::IdentityHash,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            pupil::Column::FirstName,
            Expr::value(Option::<String>::None),
        )
        .col_expr(pupil::Column::LastName, Expr::value(Option::<String>::None))
        .col_expr(
            pupil::Column::BirthDate,
            Expr::value(Option::<NaiveDate>::None),
        )
        .col_expr(
            pupil::Column::HomeCommuneInsee,
            Expr::value(Option::<String>::None),
        )
        .col_expr(pupil::Column::Interests, Expr::value(serde_json::json!([])))
        .col_expr(pupil::Column::NeedsAccessibility, Expr::value(false))
        .col_expr(pupil::Column::Qpv, Expr::value(false))
        .col_expr(
            pupil::Column::Status,
            Expr::value(PupilStatus::Erased.as_str()),
        )
        .col_expr(pupil::Column::ErasedAt, Expr::value(now))
        .col_expr(pupil::Column::UpdatedAt, Expr::value(now))
        .filter(pupil::Column::Id.eq(id))
        .filter(pupil::Column::OrganisationId.eq(organisation_id))
        .filter(pupil::Column::ErasedAt.is_null())
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Ok(false);
    }
    placement::Entity::update_many()
        .col_expr(
            placement::Column::Status,
            Expr::value(PlacementStatus::Cancelled.as_str()),
        )
        .col_expr(placement::Column::UpdatedAt, Expr::value(now))
        .filter(placement::Column::PupilId.eq(id))
        .filter(placement::Column::Status.is_in(PlacementStatus::ACTIVE.map(|s| s.as_str())))
        .exec(db)
        .await?;
    Ok(true)
}
