//! CSV import of 100,000 pupils (BRIEF §5: "under 10 s on PostgreSQL").
//!
//! `cargo bench -p api --bench import_pupils`
//!
//! Generates a deterministic French-Excel file (`;`, French headers, real
//! commune codes) for a real collège, then times `api::import::pupils::import`
//! — the function `POST /v1/pupils/import` calls — on a fresh PostgreSQL
//! database (created for the run, dropped at the end) and on SQLite for
//! comparison: a first import (every row created) and the same file again
//! (every row recognised and updated).
//!
//! Environment: `BENCH_POSTGRES_URL` (server URL, default
//! `postgres://postgres@127.0.0.1:5432`; set it empty to skip PostgreSQL),
//! `BENCH_ROWS` (default 100000), `BENCH_SKIP_SQLITE=1`.
use api::configuration::Settings;
use api::import::ImportReport;
use api::reference::CommuneCache;
use api::startup::connect;
use api::store::organisations::{self, NewOrganisation};
use api::store::schools::{self, SchoolContext};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use secrecy::SecretString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Collège Jean Lurçat, Saint-Denis (93066), REP+.
const UAI: &str = "0930865K";
const TARGET: Duration = Duration::from_secs(10);

fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data")
}

/// A small deterministic generator (xorshift64*), so every run imports the
/// same file.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// Real INSEE codes: the communes of Seine-Saint-Denis, Paris, the Val-d'Oise
/// and the Creuse (FRR), where the collège's pupils would live.
fn commune_codes(dir: &Path) -> Vec<String> {
    let mut reader = csv::Reader::from_path(dir.join("communes_fr.csv")).expect("communes_fr.csv");
    let mut codes: Vec<String> = reader
        .records()
        .map(|r| r.expect("commune row"))
        .filter(|r| matches!(&r[4], "93" | "75" | "95" | "23"))
        .map(|r| r[0].to_owned())
        .collect();
    codes.sort();
    assert!(
        codes.len() > 300,
        "the communes file has the expected départements"
    );
    codes
}

/// The file a collège's office would export: `;`, French headers, dates as
/// `31/05/2012`, CRLF line ends, with a UTF-8 BOM.
fn generate_csv(rows: usize, communes: &[String]) -> Vec<u8> {
    const LAST: &[&str] = &[
        "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
        "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
        "Vincent", "Fournier", "Diallo", "Traoré", "Benali", "Nguyen", "Haddad", "Da Silva",
        "Kaya", "Mbappé", "Ferreira", "Cissé",
    ];
    const FIRST: &[&str] = &[
        "Emma", "Jade", "Louise", "Alice", "Chloé", "Lina", "Léa", "Rose", "Anna", "Inès",
        "Gabriel", "Léo", "Raphaël", "Arthur", "Louis", "Lucas", "Adam", "Jules", "Hugo", "Maël",
        "Yanis", "Aya", "Nour", "Sofiane",
    ];
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
    Migrator::up(db, None).await.expect("migrations");
    api::reference::import_dir(db, &reference_dir())
        .await
        .expect("reference import");
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

async fn count_pupils(db: &DatabaseConnection) -> i64 {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM pupil".to_owned(),
        ))
        .await
        .expect("count")
        .expect("a row");
    row.try_get("", "n").expect("n")
}

/// Times the import of the file twice and checks what it did.
async fn run(
    backend: &str,
    db: &DatabaseConnection,
    csv: &[u8],
    rows: usize,
) -> Vec<(String, f64)> {
    let (communes, school) = prepare(db).await;
    let mut timings = Vec::new();
    for (label, expect_created) in [("first import", rows as u64), ("same file again", 0)] {
        let started = Instant::now();
        let report: ImportReport = api::import::pupils::import(db, &communes, &school, csv, false)
            .await
            .expect("import");
        let elapsed = started.elapsed();
        assert_eq!(report.rows, rows as u64);
        assert_eq!(report.rejected, 0, "{:?}", report.errors.first());
        assert_eq!(report.created, expect_created);
        assert_eq!(report.created + report.updated, rows as u64);
        let secs = elapsed.as_secs_f64();
        println!(
            "  {backend:<10} {label:<16} {rows} rows in {secs:6.2} s = {:>8.0} rows/s (created {}, updated {}){}",
            rows as f64 / secs,
            report.created,
            report.updated,
            if backend == "PostgreSQL" && rows >= 100_000 {
                if elapsed < TARGET {
                    "  [< 10 s: OK]"
                } else {
                    "  [>= 10 s: TARGET MISSED]"
                }
            } else {
                ""
            }
        );
        timings.push((format!("{backend} {label}"), secs));
    }
    assert_eq!(
        count_pupils(db).await,
        rows as i64,
        "every pupil stored once"
    );
    timings
}

async fn postgres(server: &str, csv: &[u8], rows: usize) -> Vec<(String, f64)> {
    let server = server.trim_end_matches('/');
    let name = format!("tremplin_bench_import_{}", uuid::Uuid::now_v7().simple());
    let admin = Database::connect(format!("{server}/postgres"))
        .await
        .expect("connect to PostgreSQL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create database");
    let mut settings = Settings::defaults().expect("default settings");
    settings.database.url = SecretString::from(format!("{server}/{name}"));
    let db = connect(&settings.database)
        .await
        .expect("connect to the bench database");
    println!("PostgreSQL ({server}/{name}):");
    // Drop the database even when the run panics.
    let outcome = std::panic::AssertUnwindSafe(run("PostgreSQL", &db, csv, rows));
    let result = futures::FutureExt::catch_unwind(outcome).await;
    db.close().await.ok();
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .expect("drop database");
    admin.close().await.ok();
    result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

async fn sqlite(csv: &[u8], rows: usize) -> Vec<(String, f64)> {
    let path =
        std::env::temp_dir().join(format!("tremplin-bench-import-{}.db", uuid::Uuid::now_v7()));
    let mut settings = Settings::defaults().expect("default settings");
    settings.database.url = SecretString::from(format!("sqlite://{}?mode=rwc", path.display()));
    let db = connect(&settings.database)
        .await
        .expect("connect to SQLite");
    println!("SQLite ({}):", path.display());
    let outcome = std::panic::AssertUnwindSafe(run("SQLite", &db, csv, rows));
    let result = futures::FutureExt::catch_unwind(outcome).await;
    db.close().await.ok();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` does not, and
    // must not spend a minute here.
    if !std::env::args().any(|a| a == "--bench") {
        println!("run with `cargo bench -p api --bench import_pupils`");
        return;
    }
    let rows: usize = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let server = std::env::var("BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let communes = commune_codes(&reference_dir());
    let csv = generate_csv(rows, &communes);
    println!(
        "CSV import benchmark: {rows} rows, {:.1} MB, collège {UAI}, {} home communes",
        csv.len() as f64 / 1e6,
        communes.len()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut timings = Vec::new();
    runtime.block_on(async {
        if !server.is_empty() {
            timings.extend(postgres(&server, &csv, rows).await);
        }
        if std::env::var_os("BENCH_SKIP_SQLITE").is_none() {
            timings.extend(sqlite(&csv, rows).await);
        }
    });
    println!("summary (seconds):");
    for (label, secs) in timings {
        println!("  {label:<32} {secs:6.2}");
    }
}
