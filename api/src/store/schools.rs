use crate::domain::{Location, Priority, PrioritySources, priority_of};
use crate::reference::CommuneCache;
use entity::{college, organisation};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};
use uuid::Uuid;

/// What the pupil workflows need of the caller's collège.
#[derive(Debug, Clone)]
pub struct SchoolContext {
    pub organisation_id: Uuid,
    pub uai: String,
    pub name: String,
    pub departement: String,
    pub education_prioritaire: Option<String>,
    pub commune_insee: String,
    pub commune_frr: Option<bool>,
    /// The collège's position, or its commune's centroid when it has none.
    pub location: Option<Location>,
}

impl SchoolContext {
    /// The tier of a pupil of this school (BRIEF §1).
    pub fn priority(&self, home_commune_frr: Option<bool>, qpv: bool) -> Priority {
        priority_of(PrioritySources {
            school_education_prioritaire: self.education_prioritaire.as_deref(),
            home_commune_frr,
            school_commune_frr: self.commune_frr,
            qpv,
        })
    }
}

/// The context of a school organisation; `None` when the organisation is not
/// a school or its collège is not in the reference data.
pub async fn context(
    db: &impl ConnectionTrait,
    communes: &CommuneCache,
    organisation_id: Uuid,
) -> Result<Option<SchoolContext>, DbErr> {
    let Some(org) = organisation::Entity::find_by_id(organisation_id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(uai) = org.uai else {
        return Ok(None);
    };
    let Some(college) = college::Entity::find_by_id(uai.clone()).one(db).await? else {
        return Ok(None);
    };
    let commune = communes.get(db, &college.commune_insee).await?;
    let location = match (college.lat, college.lon, &commune) {
        (Some(lat), Some(lon), _) => Some(Location { lat, lon }),
        (_, _, Some(c)) => Some(Location {
            lat: c.lat,
            lon: c.lon,
        }),
        _ => None,
    };
    Ok(Some(SchoolContext {
        organisation_id,
        uai,
        name: college.name,
        departement: college.departement,
        education_prioritaire: college.education_prioritaire,
        commune_insee: college.commune_insee,
        commune_frr: commune.map(|c| c.frr),
        location,
    }))
}
