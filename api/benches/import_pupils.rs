//! CSV import of 100,000 pupils (BRIEF §5: "under 10 s on PostgreSQL").
//!
//! `cargo bench -p api --bench import_pupils`
//!
//! Generates a deterministic French-Excel file (`;`, French headers, real
//! commune codes) for a real collège, then times `api::import::pupils::import`
//! — the function `POST /v1/pupils/import` calls — on a fresh PostgreSQL
//! database (created for the run, dropped at the end) and on SQLite for
//! comparison: a first import (every row created) and the same file again
//! (every row recognised and updated). Environment: see `common/mod.rs`.
mod common;

use api::reference::CommuneCache;
use api::store::organisations::{self, NewOrganisation};
use api::store::schools::{self, SchoolContext};
use common::{FIRST, LAST, Rng};
use sea_orm::DatabaseConnection;
use std::time::Instant;

/// Collège Jean Lurçat, Saint-Denis (93066), REP+.
const UAI: &str = "0930865K";

/// The file a collège's office would export: `;`, French headers, dates as
/// `31/05/2012`, CRLF line ends, with a UTF-8 BOM.
fn generate_csv(rows: usize, communes: &[String]) -> Vec<u8> {
    const TRACKS: &[&str] = &[
        "Générale",
        "Générale",
        "Générale",
        "Générale",
        "Prépa-métiers",
        "SEGPA",
        "ULIS",
    ];
    const INTERESTS: &[&str] = &["", "", "M", "E|N", "A", "B|C|D", "H", "J|K", "L"];
    let mut rng = Rng(0x7265_6d70_6c69_6e21);
    let mut out = String::with_capacity(rows * 80);
    out.push('\u{feff}');
    out.push_str("nom;prénom;date de naissance;classe;parcours;commune_insee;intérêts;besoin accessibilité;qpv\r\n");
    for i in 0..rows {
        let day = 1 + rng.next() % 28;
        let month = 1 + rng.next() % 12;
        let year = 2011 + rng.next() % 3;
        // The row number keeps every pupil a different person.
        out.push_str(&format!(
            "{} {};{};{day:02}/{month:02}/{year};3e {};{};{};{};{};{}\r\n",
            rng.pick(LAST),
            i,
            rng.pick(FIRST),
            (b'A' + (i % 12) as u8) as char,
            rng.pick(TRACKS),
            if rng.next().is_multiple_of(10) {
                ""
            } else {
                rng.pick(communes).as_str()
            },
            rng.pick(INTERESTS),
            if rng.next().is_multiple_of(50) {
                "oui"
            } else {
                "non"
            },
            if rng.next().is_multiple_of(4) {
                "oui"
            } else {
                "non"
            },
        ));
    }
    out.into_bytes()
}

async fn prepare(db: &DatabaseConnection) -> (CommuneCache, SchoolContext) {
    let started = Instant::now();
    common::migrate_with_reference(db).await;
    let communes = CommuneCache::load(db).await.expect("commune cache");
    let organisation = organisations::insert(
        db,
        NewOrganisation {
            kind: "school".into(),
            name: "Collège Jean Lurçat".into(),
            siret: None,
            uai: Some(UAI.into()),
        },
    )
    .await
    .expect("school organisation");
    let school = schools::context(db, &communes, organisation.id)
        .await
        .expect("school context")
        .expect("the collège is in the reference data");
    println!(
        "  schema and reference data ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    (communes, school)
}

fn main() {
    let Some((rows, server)) = common::options("import_pupils") else {
        return;
    };
    let communes = common::commune_codes();
    let csv = generate_csv(rows, &communes);
    println!(
        "CSV import benchmark: {rows} rows, {:.1} MB, collège {UAI}, {} home communes",
        csv.len() as f64 / 1e6,
        communes.len()
    );
    common::run_both(&server, async |backend, db| {
        let (communes, school) = prepare(db).await;
        common::twice(backend, db, "pupil", rows, async || {
            api::import::pupils::import(db, &communes, &school, &csv, false)
                .await
                .expect("import")
        })
        .await
    });
}
