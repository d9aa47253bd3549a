//! The demo's scenario: real collèges and communes of two contrasting
//! départements, with invented but plausible pupils and offers, drawn from
//! one seeded generator so a seed always gives the same world.
use super::WEEK;
use super::names::{FIRST_NAMES, LAST_NAMES, STREETS, TRADES};
use super::plan::{Plan, plans};
use crate::domain::distance_km;
use entity::{college, commune};
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

/// How big the scenario is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// About a hundred pupils: for tests.
    Small,
    /// About two thousand pupils.
    Normal,
}

pub struct Scenario {
    pub departements: Vec<Departement>,
}

pub struct Departement {
    /// Collège-style code, `093`.
    pub code: &'static str,
    pub name: &'static str,
    /// Families accept a proposal within this distance and let a farther
    /// one wait.
    pub accept_within_km: f64,
    pub schools: Vec<School>,
    pub companies: Vec<Company>,
}

pub struct School {
    pub uai: String,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub classes: Vec<Class>,
}

pub struct Class {
    pub name: String,
    /// Hosted together by a company (`classe_entreprise`) rather than each
    /// pupil on a `stage_3e`.
    pub group: bool,
    pub pupils: Vec<Pupil>,
}

pub struct Pupil {
    pub external_id: String,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub birth_date: String,
    pub track: &'static str,
    pub home_commune: Option<String>,
    pub interests: Vec<char>,
    pub needs_accessibility: bool,
    pub qpv: bool,
}

pub struct Company {
    pub name: String,
    pub siret: String,
    pub offers: Vec<Offer>,
}

pub struct Offer {
    pub kind: &'static str,
    pub title: String,
    pub sector: char,
    pub commune_insee: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub week: &'static str,
    pub seats: u32,
    pub accessible: bool,
    pub reserved_for_priority: bool,
    pub generale_only: bool,
    pub group_size: Option<(u32, u32)>,
}

pub async fn generate(
    db: &DatabaseConnection,
    seed: u64,
    scale: Scale,
) -> anyhow::Result<Scenario> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut departements = Vec::new();
    for plan in plans(scale) {
        let colleges = college::Entity::find()
            .filter(college::Column::Departement.eq(plan.code))
            .order_by_asc(college::Column::Uai)
            .all(db)
            .await?;
        let communes = commune::Entity::find()
            .filter(commune::Column::Departement.eq(plan.commune_departement))
            .filter(commune::Column::Kind.eq("COM"))
            .order_by_asc(commune::Column::Insee)
            .all(db)
            .await?;
        anyhow::ensure!(
            !colleges.is_empty() && !communes.is_empty(),
            "the reference data has no collège or commune in {} ({})",
            plan.name,
            plan.code
        );
        departements.push(departement(&plan, &colleges, &communes, &mut rng)?);
    }
    Ok(Scenario { departements })
}

fn departement(
    plan: &Plan,
    colleges: &[college::Model],
    communes: &[commune::Model],
    rng: &mut StdRng,
) -> anyhow::Result<Departement> {
    let mut schools = Vec::new();
    for (status, count) in plan.schools {
        let mut candidates: Vec<&college::Model> = colleges
            .iter()
            .filter(|c| c.education_prioritaire.as_deref() == Some(status))
            .filter(|c| c.etat == "OUVERT" && c.lat.is_some() && c.lon.is_some())
            .collect();
        candidates.shuffle(rng);
        for c in candidates.into_iter().take(*count) {
            let (lat, lon) = (c.lat.unwrap_or_default(), c.lon.unwrap_or_default());
            schools.push(School {
                uai: c.uai.clone(),
                name: c.name.clone(),
                lat,
                lon,
                classes: Vec::new(),
            });
        }
    }
    let mut groups_left = plan.group_classes;
    for school in &mut schools {
        let classes = rng.random_range(plan.classes.0..=plan.classes.1);
        for c in 0..classes {
            let name = format!("3{}", (b'A' + c as u8) as char);
            let size = rng.random_range(plan.class_size.0..=plan.class_size.1);
            let pupils = pupils(plan, school, &name, size, communes, rng);
            school.classes.push(Class {
                name,
                group: false,
                pupils,
            });
        }
        // The first collèges (REP+ ones in Seine-Saint-Denis) also send a
        // class to a company for its classe entreprise.
        if groups_left > 0 {
            groups_left -= 1;
            let size = rng.random_range(12..=18);
            let pupils = pupils(plan, school, "3E", size, communes, rng);
            school.classes.push(Class {
                name: "3E".into(),
                group: true,
                pupils,
            });
        }
    }
    let demand: usize = schools
        .iter()
        .flat_map(|s| &s.classes)
        .filter(|c| !c.group)
        .map(|c| c.pupils.len())
        .sum();
    let companies = companies(plan, demand, communes, rng)?;
    Ok(Departement {
        code: plan.code,
        name: plan.name,
        accept_within_km: plan.accept_within_km,
        schools,
        companies,
    })
}

fn pupils(
    plan: &Plan,
    school: &School,
    class: &str,
    size: usize,
    communes: &[commune::Model],
    rng: &mut StdRng,
) -> Vec<Pupil> {
    // Home communes near the collège, the more populated the likelier.
    let near: Vec<&commune::Model> = communes
        .iter()
        .filter(|c| distance_km(school.lat, school.lon, c.lat, c.lon) <= plan.home_radius_km)
        .collect();
    let weights = WeightedIndex::new(near.iter().map(|c| f64::from(c.population.max(1)))).ok();
    (0..size)
        .map(|n| {
            let home = match &weights {
                Some(w) if rng.random_bool(plan.home_share) => {
                    Some(near[w.sample(rng)].insee.clone())
                }
                _ => None,
            };
            let roll: f64 = rng.random();
            let track = if roll < 0.06 {
                "segpa"
            } else if roll < 0.09 {
                "ulis"
            } else {
                "generale"
            };
            let mut interests: Vec<char> = (0..rng.random_range(0..=2))
                .filter_map(|_| TRADES.choose(rng).map(|t| t.0))
                .collect();
            interests.sort_unstable();
            interests.dedup();
            Pupil {
                external_id: format!("{}-{class}-{n:03}", school.uai),
                first_name: FIRST_NAMES.choose(rng).copied().unwrap_or("Alex"),
                last_name: LAST_NAMES.choose(rng).copied().unwrap_or("Martin"),
                birth_date: format!(
                    "2012-{:02}-{:02}",
                    rng.random_range(1..=12),
                    rng.random_range(1..=28)
                ),
                track,
                home_commune: home,
                interests,
                needs_accessibility: rng.random_bool(0.02),
                qpv: rng.random_bool(plan.qpv_share),
            }
        })
        .collect()
}

fn companies(
    plan: &Plan,
    demand: usize,
    communes: &[commune::Model],
    rng: &mut StdRng,
) -> anyhow::Result<Vec<Company>> {
    let weights = WeightedIndex::new(communes.iter().map(|c| f64::from(c.population.max(1))))?;
    let mut companies = Vec::new();
    for i in 0..plan.companies {
        let commune = &communes[weights.sample(rng)];
        let (lat, lon) = jitter(commune.lat, commune.lon, plan.spread_km, rng);
        let &(sector, trade, _) = TRADES.choose(rng).unwrap_or(&TRADES[0]);
        companies.push((
            Company {
                name: format!("{trade} {} {}", commune.name, i + 1),
                siret: siret(rng),
                offers: Vec::new(),
            },
            commune,
            sector,
            (lat, lon),
        ));
    }
    // Seats go to companies in turn until the département's share is met.
    let target = (demand as f64 * plan.seat_ratio).round() as u32;
    let mut seats = 0;
    let mut turn = 0;
    while seats < target && !companies.is_empty() {
        let (company, commune, sector, (lat, lon)) = &mut companies[turn % plan.companies];
        let n = rng
            .random_range(plan.seats_per_offer.0..=plan.seats_per_offer.1)
            .min(target - seats);
        seats += n;
        // One establishment, several offers: mostly its own trade.
        let sector = if rng.random_bool(0.7) {
            *sector
        } else {
            TRADES.choose(rng).map_or('D', |t| t.0)
        };
        let offer = offer("stage_3e", sector, commune, (*lat, *lon), n, None, rng);
        company.offers.push(offer);
        turn += 1;
    }
    for g in 0..plan.group_offers {
        let (company, commune, sector, position) = &mut companies[g % plan.companies];
        let group = Some((10, 30));
        let mut offer = offer(
            "classe_entreprise",
            *sector,
            commune,
            *position,
            1,
            group,
            rng,
        );
        // Hosting a whole class takes premises open to every pupil.
        offer.accessible = true;
        company.offers.push(offer);
    }
    Ok(companies.into_iter().map(|c| c.0).collect())
}

fn offer(
    kind: &'static str,
    sector: char,
    commune: &commune::Model,
    (lat, lon): (f64, f64),
    seats: u32,
    group_size: Option<(u32, u32)>,
    rng: &mut StdRng,
) -> Offer {
    let field = TRADES
        .iter()
        .find(|t| t.0 == sector)
        .map_or("le monde du travail", |t| t.2);
    let title = match kind {
        "classe_entreprise" => format!("Une journée de classe dans {field}"),
        _ => format!("Découvrir {field}"),
    };
    Offer {
        kind,
        title,
        sector,
        commune_insee: commune.insee.clone(),
        address: format!(
            "{} {}",
            rng.random_range(1..=120),
            STREETS.choose(rng).copied().unwrap_or("rue de la Gare")
        ),
        lat: (lat * 1e5).round() / 1e5,
        lon: (lon * 1e5).round() / 1e5,
        week: WEEK,
        seats,
        accessible: rng.random_bool(0.35),
        reserved_for_priority: rng.random_bool(0.1),
        generale_only: rng.random_bool(0.08),
        group_size,
    }
}

/// A point up to `km` from the given one, uniformly over the disc.
fn jitter(lat: f64, lon: f64, km: f64, rng: &mut StdRng) -> (f64, f64) {
    let r = km * rng.random::<f64>().sqrt();
    let angle = rng.random::<f64>() * std::f64::consts::TAU;
    let dlat = r * angle.sin() / 111.2;
    let dlon = r * angle.cos() / (111.2 * lat.to_radians().cos());
    (lat + dlat, lon + dlon)
}

/// A SIRET with a valid Luhn checksum, never starting with La Poste's SIREN.
fn siret(rng: &mut StdRng) -> String {
    let mut digits: Vec<u32> = (0..13).map(|_| rng.random_range(0..10)).collect();
    digits[0] = rng.random_range(4..9);
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            // The check digit will sit at the right: these shift by one.
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                *d
            }
        })
        .sum();
    digits.push((10 - sum % 10) % 10);
    digits
        .iter()
        .filter_map(|d| char::from_digit(*d, 10))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Siret;

    #[test]
    fn generated_sirets_pass_the_luhn_check() {
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..200 {
            let s = siret(&mut rng);
            assert!(Siret::parse(&s).is_ok(), "{s}");
        }
    }
}
