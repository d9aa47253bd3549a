//! CSV import of 100,000 mentees (issue 6: "the same guarantees as the
//! pupils' import", whose target is 100,000 rows under 10 s on PostgreSQL).
//!
//! `cargo bench -p api --bench import_mentees`
//!
//! Generates a deterministic file as a mentoring structure keeps it (`;`,
//! French headers, real commune codes and collèges, e-mails for some), then
//! times `api::import::mentees::import` — the function
//! `POST /v1/mentees/import` calls — on a fresh PostgreSQL database and on
//! SQLite: a first import (every row created) and the same file again (every
//! row recognised and updated). Environment: see `common/mod.rs`.
mod common;

use api::reference::CommuneCache;
use api::store::organisations::{self, NewOrganisation};
use chrono::Datelike;
use common::{FIRST, LAST, Rng};
use sea_orm::DatabaseConnection;
use std::time::Instant;
use uuid::Uuid;

/// REP+, REP and ordinary collèges of Seine-Saint-Denis and Paris, and none.
const COLLEGES: &[&str] = &["0930865K", "0930611J", "0750362L", "", "", ""];
const SITUATIONS: &[&str] = &["collégien", "Lycéen", "étudiant", "en insertion"];
const NEEDS: &[&str] = &[
    "",
    "orientation",
    "Scolarité",
    "insertion professionnelle|confiance",
];

/// The spreadsheet a structure keeps: `;`, French headers, birth years or
/// full dates, CRLF line ends, with a UTF-8 BOM.
fn generate_csv(rows: usize, communes: &[String]) -> Vec<u8> {
    const INTERESTS: &[&str] = &["", "", "M", "E|N", "A", "B|C|D", "H", "J|K", "L"];
    let this_year = chrono::Utc::now().year() as u64;
    let mut rng = Rng(0x6d65_6e74_6f72_6174);
    let mut out = String::with_capacity(rows * 120);
    out.push('\u{feff}');
    out.push_str("nom;prénom;année de naissance;statut;commune_insee;collège;qpv;besoins;intérêts;distanciel;disponible le;courriel\r\n");
    for i in 0..rows {
        // 12 to 28 years old: always a valid mentee.
        let year = this_year - 12 - rng.next() % 17;
        let birth = if rng.next().is_multiple_of(3) {
            format!(
                "{:02}/{:02}/{year}",
                1 + rng.next() % 28,
                1 + rng.next() % 12
            )
        } else {
            year.to_string()
        };
        let last = rng.pick(LAST);
        // The row number keeps every mentee a different person.
        out.push_str(&format!(
            "{last} {i};{};{birth};{};{};{};{};{};{};{};{};{}\r\n",
            rng.pick(FIRST),
            rng.pick(SITUATIONS),
            rng.pick(communes),
            rng.pick(COLLEGES),
            if rng.next().is_multiple_of(4) {
                "oui"
            } else {
                "non"
            },
            rng.pick(NEEDS),
            rng.pick(INTERESTS),
            if rng.next().is_multiple_of(2) {
                "oui"
            } else {
                "non"
            },
            if rng.next().is_multiple_of(5) {
                "01/09/2027"
            } else {
                ""
            },
            if rng.next().is_multiple_of(3) {
                format!("jeune.{i}@exemple.fr")
            } else {
                String::new()
            },
        ));
    }
    out.into_bytes()
}

async fn prepare(db: &DatabaseConnection) -> (CommuneCache, Uuid) {
    let started = Instant::now();
    common::migrate_with_reference(db).await;
    let communes = CommuneCache::load(db).await.expect("commune cache");
    let organisation = organisations::insert(
        db,
        NewOrganisation {
            kind: "mentoring_structure".into(),
            name: "Association Tremplin Mentorat".into(),
            siret: None,
            uai: None,
        },
    )
    .await
    .expect("structure organisation");
    println!(
        "  schema and reference data ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    (communes, organisation.id)
}

fn main() {
    let Some((rows, server)) = common::options("import_mentees") else {
        return;
    };
    let communes = common::commune_codes();
    let csv = generate_csv(rows, &communes);
    println!(
        "CSV import benchmark: {rows} mentees, {:.1} MB, {} communes",
        csv.len() as f64 / 1e6,
        communes.len()
    );
    common::run_both(&server, async |backend, db| {
        let (communes, organisation_id) = prepare(db).await;
        common::twice(backend, db, "mentee", rows, async || {
            api::import::mentees::import(
                db,
                &communes,
                organisation_id,
                &csv,
                false,
                chrono::Utc::now(),
            )
            .await
            .expect("import")
        })
        .await
    });
}
