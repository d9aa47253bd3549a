//! Mentees of a mentoring structure: the rules a record must satisfy (shared
//! by the API and the CSV import) and the queries.
use super::identities;
use crate::domain::{
    Email, InseeCode, MenteeNeed, MenteeSituation, Priority, PrioritySources, Sector, Uai,
    priority_of,
};
use crate::error::FieldError;
use crate::pagination::Page;
use crate::reference::{CommuneCache, CommuneRef};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::{college, mentee};
use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Mentoring is for young people under 30 ("1 jeune, 1 mentor").
pub const MAX_AGE: i32 = 30;
/// The youngest mentees are collégiens.
pub const MIN_AGE: i32 = 10;

/// A mentee's fields as sent, before any check.
#[derive(Debug, Clone, Default)]
pub struct RawMentee {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub birth_year: i32,
    pub situation: String,
    pub school_uai: Option<String>,
    pub commune_insee: String,
    pub qpv: bool,
    pub needs: Vec<String>,
    pub interests: Vec<String>,
    pub remote_ok: bool,
    pub available_from: Option<NaiveDate>,
}

/// What the checks need from the reference tables, looked up by the caller.
#[derive(Debug, Clone, Default)]
pub struct References {
    /// The commune of `commune_insee`, when it exists.
    pub commune: Option<CommuneRef>,
    /// `Some(education_prioritaire)` when `school_uai` names a known collège
    /// (itself `None` when its status is unknown).
    pub school: Option<Option<String>>,
}

/// Looks the references of records up, each collège once.
pub struct Lookup<'a> {
    communes: &'a CommuneCache,
    colleges: HashMap<String, Option<Option<String>>>,
}

impl<'a> Lookup<'a> {
    pub fn new(communes: &'a CommuneCache) -> Self {
        Self {
            communes,
            colleges: HashMap::new(),
        }
    }

    pub async fn references(
        &mut self,
        db: &impl ConnectionTrait,
        raw: &RawMentee,
    ) -> Result<References, DbErr> {
        let (uai, insee) = raw.codes();
        let commune = match insee {
            Some(code) => self.communes.get(db, code.as_str()).await?,
            None => None,
        };
        let school = match uai {
            Some(uai) => match self.colleges.get(uai.as_str()) {
                Some(found) => found.clone(),
                None => {
                    let found = college::Entity::find_by_id(uai.as_str().to_owned())
                        .one(db)
                        .await?
                        .map(|c| c.education_prioritaire);
                    self.colleges.insert(uai.as_str().to_owned(), found.clone());
                    found
                }
            },
            None => None,
        };
        Ok(References { commune, school })
    }
}

/// The parsed content of a mentee record.
#[derive(Debug, Clone)]
pub struct MenteeData {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<Email>,
    pub birth_year: i32,
    pub situation: MenteeSituation,
    pub school_uai: Option<Uai>,
    pub commune_insee: InseeCode,
    pub departement: String,
    pub qpv: bool,
    pub needs: Vec<MenteeNeed>,
    pub interests: Vec<Sector>,
    pub remote_ok: bool,
    pub available_from: Option<NaiveDate>,
    pub priority: Priority,
}

/// Whether someone born in `year` can be a mentee in `current_year`. With
/// only the year known, someone born 30 years ago may still be 29: the
/// check refuses those who are surely 30 or older.
pub fn plausible_birth_year(year: i32, current_year: i32) -> Result<(), String> {
    if year < current_year - MAX_AGE {
        Err(format!(
            "a mentee must be under {MAX_AGE}: born in {year}, they are at least {}",
            current_year - year - 1
        ))
    } else if year > current_year - MIN_AGE {
        Err(format!("a mentee is at least {MIN_AGE} years old"))
    } else {
        Ok(())
    }
}

impl RawMentee {
    /// The school UAI and commune code as parsed, for the caller to look up.
    pub fn codes(&self) -> (Option<Uai>, Option<InseeCode>) {
        (
            self.school_uai.as_deref().and_then(|u| Uai::parse(u).ok()),
            InseeCode::parse(&self.commune_insee).ok(),
        )
    }

    /// Every rule of a mentee record; errors name each bad field. The tier
    /// comes from the collège (REP+/REP), the commune (FRR) and `qpv`.
    pub fn check(self, refs: &References) -> Result<MenteeData, Vec<FieldError>> {
        let mut errors = Vec::new();
        for (field, value) in [
            ("first_name", &self.first_name),
            ("last_name", &self.last_name),
        ] {
            if value.trim().is_empty() {
                errors.push(FieldError::new(field, "must not be blank"));
            } else if value.trim().chars().count() > 100 {
                errors.push(FieldError::new(field, "longer than 100 characters"));
            }
        }
        if let Err(m) = plausible_birth_year(self.birth_year, Utc::now().year()) {
            errors.push(FieldError::new("birth_year", m));
        }
        let email = match self.email.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Email::parse(raw)
                .map_err(|e| errors.push(FieldError::new("email", e.to_string())))
                .ok(),
        };
        let situation = MenteeSituation::parse(self.situation.trim())
            .map_err(|e| errors.push(FieldError::new("situation", e.to_string())))
            .ok();
        let school_uai = match self.school_uai.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => match (Uai::parse(raw), &refs.school) {
                (Ok(uai), Some(_)) => Some(uai),
                (Ok(_), None) => {
                    errors.push(FieldError::new("school_uai", "unknown collège"));
                    None
                }
                (Err(e), _) => {
                    errors.push(FieldError::new("school_uai", e.to_string()));
                    None
                }
            },
        };
        let commune_insee = match (InseeCode::parse(&self.commune_insee), &refs.commune) {
            (Ok(code), Some(_)) => Some(code),
            (Ok(_), None) => {
                errors.push(FieldError::new("commune_insee", "unknown commune code"));
                None
            }
            (Err(e), _) => {
                errors.push(FieldError::new("commune_insee", e.to_string()));
                None
            }
        };
        let mut needs = Vec::new();
        for (i, n) in self.needs.iter().enumerate() {
            match MenteeNeed::parse(n.trim()) {
                Ok(need) if !needs.contains(&need) => needs.push(need),
                Ok(_) => {}
                Err(e) => errors.push(FieldError::new(format!("needs[{i}]"), e.to_string())),
            }
        }
        needs.sort();
        let mut interests = Vec::new();
        for (i, s) in self.interests.iter().enumerate() {
            match Sector::parse(s) {
                Ok(sector) if !interests.contains(&sector) => interests.push(sector),
                Ok(_) => {}
                Err(e) => errors.push(FieldError::new(format!("interests[{i}]"), e.to_string())),
            }
        }
        interests.sort();
        match (situation, commune_insee, &refs.commune) {
            (Some(situation), Some(commune_insee), Some(commune)) if errors.is_empty() => {
                let school_ep = refs.school.clone().flatten();
                let priority = priority_of(PrioritySources {
                    school_education_prioritaire: school_ep.as_deref(),
                    home_commune_frr: Some(commune.frr),
                    school_commune_frr: None,
                    qpv: self.qpv,
                });
                Ok(MenteeData {
                    first_name: self.first_name.trim().to_owned(),
                    last_name: self.last_name.trim().to_owned(),
                    email,
                    birth_year: self.birth_year,
                    situation,
                    school_uai,
                    commune_insee,
                    departement: commune.departement.clone(),
                    qpv: self.qpv,
                    needs,
                    interests,
                    remote_ok: self.remote_ok,
                    available_from: self.available_from,
                    priority,
                })
            }
            _ => {
                errors.sort_by(|a, b| a.field.cmp(&b.field));
                Err(errors)
            }
        }
    }
}

impl MenteeData {
    /// Who this record is: names and birth year, normalised (case and
    /// spacing do not count).
    pub fn identity_hash(&self) -> String {
        identities::identity_hash(
            "mentee",
            &[
                &self.last_name,
                &self.first_name,
                &self.birth_year.to_string(),
            ],
        )
    }
}

fn codes_json<T>(values: &[T], code: impl Fn(&T) -> String) -> serde_json::Value {
    serde_json::Value::from(values.iter().map(code).collect::<Vec<_>>())
}

fn columns(data: &MenteeData, model: &mut mentee::ActiveModel, now: DateTime<Utc>) {
    model.identity_hash = Set(Some(data.identity_hash()));
    model.first_name = Set(Some(data.first_name.clone()));
    model.last_name = Set(Some(data.last_name.clone()));
    model.email = Set(data.email.as_ref().map(|e| e.as_str().to_owned()));
    model.birth_year = Set(Some(data.birth_year));
    model.situation = Set(data.situation.as_str().to_owned());
    model.school_uai = Set(data.school_uai.as_ref().map(|u| u.as_str().to_owned()));
    model.commune_insee = Set(Some(data.commune_insee.as_str().to_owned()));
    model.departement = Set(data.departement.clone());
    model.qpv = Set(data.qpv);
    model.needs = Set(codes_json(&data.needs, |n| n.as_str().to_owned()));
    model.interests = Set(codes_json(&data.interests, |s| s.code().to_string()));
    model.remote_ok = Set(data.remote_ok);
    model.available_from = Set(data.available_from);
    model.priority = Set(data.priority.as_str().to_owned());
    model.updated_at = Set(now);
}

fn active_model(
    organisation_id: Uuid,
    data: &MenteeData,
    now: DateTime<Utc>,
) -> mentee::ActiveModel {
    let mut model = mentee::ActiveModel {
        id: Set(Uuid::now_v7()),
        organisation_id: Set(organisation_id),
        erased_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    };
    columns(data, &mut model, now);
    model
}

pub async fn insert(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    data: &MenteeData,
    now: DateTime<Utc>,
) -> Result<mentee::Model, DbErr> {
    mentee::Entity::insert(active_model(organisation_id, data, now))
        .exec_with_returning(db)
        .await
}

/// Inserts the records, or updates those whose identity is already known
/// (a file sent twice stores every mentee once).
pub async fn upsert_many(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    batch: &[MenteeData],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use mentee::Column as C;
    identities::upsert_many(
        db,
        batch
            .iter()
            .map(|d| active_model(organisation_id, d, now))
            .collect(),
        [C::OrganisationId, C::IdentityHash],
        &[
            C::FirstName,
            C::LastName,
            C::Email,
            C::Situation,
            C::SchoolUai,
            C::CommuneInsee,
            C::Departement,
            C::Qpv,
            C::Needs,
            C::Interests,
            C::RemoteOk,
            C::AvailableFrom,
            C::Priority,
            C::UpdatedAt,
        ],
    )
    .await
}

/// The identity hashes of all the structure's mentees (see
/// `identities::known`).
pub async fn known_identities(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
) -> Result<HashSet<String>, DbErr> {
    use mentee::Column as C;
    identities::known::<mentee::Entity>(db, C::OrganisationId, C::IdentityHash, organisation_id)
        .await
}

pub async fn update(
    db: &impl ConnectionTrait,
    existing: mentee::Model,
    data: &MenteeData,
    now: DateTime<Utc>,
) -> Result<mentee::Model, DbErr> {
    let mut model: mentee::ActiveModel = existing.into();
    columns(data, &mut model, now);
    mentee::Entity::update(model).exec(db).await
}

/// As [`find`], the row locked until the transaction ends (PostgreSQL;
/// SQLite has one writer): a PATCH reads and writes it under this lock, so
/// two PATCHes never undo each other's fields, and one that waited for an
/// erasure finds nothing to write back.
pub async fn lock(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    id: Uuid,
) -> Result<Option<mentee::Model>, DbErr> {
    let query = mentee::Entity::find_by_id(id)
        .filter(mentee::Column::OrganisationId.eq(organisation_id))
        .filter(mentee::Column::ErasedAt.is_null());
    super::locked(db, query, LockType::Update).one(db).await
}

/// A mentee of the structure, unless erased.
pub async fn find(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    id: Uuid,
) -> Result<Option<mentee::Model>, DbErr> {
    mentee::Entity::find_by_id(id)
        .filter(mentee::Column::OrganisationId.eq(organisation_id))
        .filter(mentee::Column::ErasedAt.is_null())
        .one(db)
        .await
}

/// The full names of these mentees, by id; `None` for one whose name is not
/// known (erased).
pub async fn full_names(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Option<String>>, DbErr> {
    Ok(mentee::Entity::find()
        .filter(mentee::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|m| {
            let name = m
                .first_name
                .zip(m.last_name)
                .map(|(f, l)| format!("{f} {l}"));
            (m.id, name)
        })
        .collect())
}

#[derive(Debug, Default, Clone)]
pub struct MenteeFilter {
    pub situation: Option<MenteeSituation>,
    pub priority: Option<Priority>,
}

pub async fn list(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    filter: &MenteeFilter,
    page: &Page<Uuid>,
) -> Result<Vec<mentee::Model>, DbErr> {
    let mut query = mentee::Entity::find()
        .filter(mentee::Column::OrganisationId.eq(organisation_id))
        .filter(mentee::Column::ErasedAt.is_null())
        .order_by_asc(mentee::Column::Id);
    if let Some(after) = page.after {
        query = query.filter(mentee::Column::Id.gt(after));
    }
    if let Some(situation) = filter.situation {
        query = query.filter(mentee::Column::Situation.eq(situation.as_str()));
    }
    if let Some(priority) = filter.priority {
        query = query.filter(mentee::Column::Priority.eq(priority.as_str()));
    }
    query.limit(page.limit + 1).all(db).await
}

/// Erases the person: every personal field is emptied; situation, tier and
/// département stay for anonymous statistics. Call inside a transaction
/// (pairings clear their own personal notes in the same one).
pub async fn erase(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let none = || Expr::value(Option::<String>::None);
    use mentee::Column as C;
    let result = mentee::Entity::update_many()
        .col_expr(C::IdentityHash, none())
        .col_expr(C::FirstName, none())
        .col_expr(C::LastName, none())
        .col_expr(C::Email, none())
        .col_expr(C::BirthYear, Expr::value(Option::<i32>::None))
        .col_expr(C::SchoolUai, none())
        .col_expr(C::CommuneInsee, none())
        .col_expr(C::Qpv, Expr::value(false))
        .col_expr(C::Needs, Expr::value(serde_json::json!([])))
        .col_expr(C::Interests, Expr::value(serde_json::json!([])))
        .col_expr(C::RemoteOk, Expr::value(false))
        .col_expr(C::AvailableFrom, Expr::value(Option::<NaiveDate>::None))
        .col_expr(C::ErasedAt, Expr::value(now))
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::Id.eq(id))
        .filter(C::OrganisationId.eq(organisation_id))
        .filter(C::ErasedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_people_surely_30_or_older_are_refused() {
        assert!(plausible_birth_year(1996, 2026).is_ok());
        assert!(plausible_birth_year(1997, 2026).is_ok());
        assert!(plausible_birth_year(1995, 2026).is_err());
        assert!(plausible_birth_year(2016, 2026).is_ok());
        assert!(plausible_birth_year(2017, 2026).is_err());
    }
}
