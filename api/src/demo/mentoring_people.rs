//! The people of the demo's mentoring part: company employees who
//! volunteer as mentors, and the young people a structure has on its
//! spreadsheet, drawn from the scenario's collèges and communes.
use super::names::{FIRST_NAMES, LAST_NAMES};
use super::scenario::Departement;
use anyhow::Context;
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use serde_json::{Value, json};

const NEEDS: &[&str] = &[
    "orientation",
    "scolarite",
    "insertion_professionnelle",
    "confiance",
    "reseau",
    "mobilite",
    "ouverture_culturelle",
];

/// A company employee volunteering, located at one of the département's
/// offers.
pub(super) fn mentor_body(d: &Departement, i: usize, rng: &mut StdRng) -> anyhow::Result<Value> {
    let offers: Vec<_> = d.companies.iter().flat_map(|c| &c.offers).collect();
    let offer = offers
        .choose(rng)
        .with_context(|| format!("no offer in {} to place mentors at", d.name))?;
    let first = FIRST_NAMES.choose(rng).copied().unwrap_or("Claire");
    let last = LAST_NAMES.choose(rng).copied().unwrap_or("Martin");
    let mut sectors = vec![offer.sector.to_string()];
    if rng.random_range(0..2) == 0 {
        let other = ['A', 'D', 'H', 'J', 'K', 'M', 'N']
            .choose(rng)
            .copied()
            .unwrap_or('M');
        if other != offer.sector {
            sectors.push(other.to_string());
        }
    }
    Ok(json!({
        "display_name": format!("{first} {}.", last.chars().next().unwrap_or('X')),
        "email": format!("mentor-{}-{}@demo.tremplin.test", d.code, i + 1),
        "sectors": sectors,
        "commune_insee": offer.commune_insee,
        "location": {"lat": offer.lat, "lon": offer.lon},
        "max_distance_km": 20,
        "remote_ok": rng.random_range(0..100) < 40,
        "capacity": rng.random_range(1..=3),
        "status": "active",
    }))
}

/// The structure's spreadsheet: collégiens of the département's collèges
/// (their REP/REP+ status makes their tier), lycéens, students and young
/// people in insertion living in the communes where its pupils live.
pub(super) fn mentees_csv(
    d: &Departement,
    count: usize,
    year: i32,
    rng: &mut StdRng,
) -> anyhow::Result<String> {
    let homes: Vec<(&str, &str)> = d
        .schools
        .iter()
        .flat_map(|s| {
            s.classes
                .iter()
                .flat_map(|c| &c.pupils)
                .filter_map(move |p| p.home_commune.as_deref().map(|h| (s.uai.as_str(), h)))
        })
        .collect();
    anyhow::ensure!(!homes.is_empty(), "no pupil home commune in {}", d.name);
    let mut csv = String::from(
        "last_name,first_name,birth_year,situation,commune_insee,school_uai,qpv,needs,interests,remote_ok,email\n",
    );
    for i in 0..count {
        let (uai, home) = homes.choose(rng).copied().unwrap_or(homes[0]);
        let (situation, age, school) = match rng.random_range(0..10) {
            0..4 => ("collegien", rng.random_range(13..=15), uai),
            4..7 => ("lyceen", rng.random_range(15..=18), ""),
            7..9 => ("etudiant", rng.random_range(18..=24), ""),
            _ => ("en_insertion", rng.random_range(17..=27), ""),
        };
        let (n_needs, n_interests) = (rng.random_range(1..=2), rng.random_range(1..=2));
        let needs: Vec<&str> = NEEDS.choose_multiple(rng, n_needs).copied().collect();
        let interests: Vec<String> = ['A', 'D', 'F', 'H', 'J', 'K', 'M', 'N']
            .choose_multiple(rng, n_interests)
            .map(char::to_string)
            .collect();
        let email = if situation == "collegien" || rng.random_range(0..2) == 0 {
            String::new()
        } else {
            format!("jeune-{}-{}@demo.tremplin.test", d.code, i + 1)
        };
        csv.push_str(&format!(
            "{},{},{},{situation},{home},{school},{},{},{},{},{email}\n",
            LAST_NAMES.choose(rng).copied().unwrap_or("Martin"),
            FIRST_NAMES.choose(rng).copied().unwrap_or("Léa"),
            year - age,
            if rng.random_range(0..5) == 0 {
                "oui"
            } else {
                "non"
            },
            needs.join("|"),
            interests.join("|"),
            if rng.random_range(0..2) == 0 {
                "oui"
            } else {
                "non"
            },
        ));
    }
    Ok(csv)
}
