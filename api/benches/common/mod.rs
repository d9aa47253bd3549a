//! What the CSV import benchmarks share: a deterministic generator, real
//! commune codes, a migrated database with the reference data (a fresh
//! PostgreSQL database dropped at the end, a temporary SQLite file), and the
//! timing of a first import and of the same file again.
//!
//! Environment: `BENCH_POSTGRES_URL` (server URL, default
//! `postgres://postgres@127.0.0.1:5432`; set it empty to skip PostgreSQL),
//! `BENCH_ROWS` (default 100000), `BENCH_SKIP_SQLITE=1`.
use api::configuration::Settings;
use api::import::ImportReport;
use api::startup::connect;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use secrecy::SecretString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// BRIEF §5 and issue 4: 100,000 rows under 10 s on PostgreSQL.
pub const TARGET: Duration = Duration::from_secs(10);

pub fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data")
}

/// A small deterministic generator (xorshift64*), so every run imports the
/// same file.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

pub const LAST: &[&str] = &[
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Diallo", "Traoré", "Benali", "Nguyen", "Haddad", "Da Silva", "Kaya",
    "Mbappé", "Ferreira", "Cissé",
];

pub const FIRST: &[&str] = &[
    "Emma", "Jade", "Louise", "Alice", "Chloé", "Lina", "Léa", "Rose", "Anna", "Inès", "Gabriel",
    "Léo", "Raphaël", "Arthur", "Louis", "Lucas", "Adam", "Jules", "Hugo", "Maël", "Yanis", "Aya",
    "Nour", "Sofiane",
];

/// Real INSEE codes: the communes of Seine-Saint-Denis, Paris, the Val-d'Oise
/// and the Creuse (FRR).
pub fn commune_codes() -> Vec<String> {
    let path = reference_dir().join("communes_fr.csv");
    let mut reader = csv::Reader::from_path(path).expect("communes_fr.csv");
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

/// Migrates the database and imports the reference data.
pub async fn migrate_with_reference(db: &DatabaseConnection) {
    Migrator::up(db, None).await.expect("migrations");
    api::reference::import_dir(db, &reference_dir())
        .await
        .expect("reference import");
}

pub async fn count(db: &DatabaseConnection, table: &str) -> i64 {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .expect("count")
        .expect("a row");
    row.try_get("", "n").expect("n")
}

/// Checks an import's report and prints its timing; returns the seconds.
pub fn check_and_print(
    backend: &str,
    label: &str,
    rows: usize,
    expect_created: u64,
    report: &ImportReport,
    elapsed: Duration,
) -> f64 {
    assert_eq!(report.rows, rows as u64);
    assert_eq!(report.rejected, 0, "{:?}", report.errors.first());
    assert_eq!(report.created, expect_created);
    assert_eq!(report.created + report.updated, rows as u64);
    let secs = elapsed.as_secs_f64();
    let verdict = match (backend, rows >= 100_000, elapsed < TARGET) {
        ("PostgreSQL", true, true) => "  [< 10 s: OK]",
        ("PostgreSQL", true, false) => "  [>= 10 s: TARGET MISSED]",
        _ => "",
    };
    println!(
        "  {backend:<10} {label:<16} {rows} rows in {secs:6.2} s = {:>8.0} rows/s (created {}, updated {}){verdict}",
        rows as f64 / secs,
        report.created,
        report.updated,
    );
    secs
}

/// Runs `bench` on a fresh PostgreSQL database, dropped afterwards even when
/// the run panics.
pub async fn on_postgres<T>(server: &str, bench: impl AsyncFnOnce(&DatabaseConnection) -> T) -> T {
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
    let outcome = std::panic::AssertUnwindSafe(bench(&db));
    let result = futures::FutureExt::catch_unwind(outcome).await;
    db.close().await.ok();
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .expect("drop database");
    admin.close().await.ok();
    result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Runs `bench` on a temporary SQLite file, removed afterwards.
pub async fn on_sqlite<T>(bench: impl AsyncFnOnce(&DatabaseConnection) -> T) -> T {
    let path =
        std::env::temp_dir().join(format!("tremplin-bench-import-{}.db", uuid::Uuid::now_v7()));
    let mut settings = Settings::defaults().expect("default settings");
    settings.database.url = SecretString::from(format!("sqlite://{}?mode=rwc", path.display()));
    let db = connect(&settings.database)
        .await
        .expect("connect to SQLite");
    println!("SQLite ({}):", path.display());
    let outcome = std::panic::AssertUnwindSafe(bench(&db));
    let result = futures::FutureExt::catch_unwind(outcome).await;
    db.close().await.ok();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// The bench's command line: `None` unless run by `cargo bench` (which
/// passes `--bench`; `cargo test --all-targets` does not, and must not
/// spend a minute here). Otherwise the row count and the PostgreSQL server.
pub fn options(bench: &str) -> Option<(usize, String)> {
    if !std::env::args().any(|a| a == "--bench") {
        println!("run with `cargo bench -p api --bench {bench}`");
        return None;
    }
    let rows = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let server = std::env::var("BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    Some((rows, server))
}

/// Runs `bench` on PostgreSQL (unless `BENCH_POSTGRES_URL` is empty) and on
/// SQLite (unless `BENCH_SKIP_SQLITE`), then prints the summary.
pub fn run_both<F>(server: &str, bench: F)
where
    F: AsyncFn(&str, &DatabaseConnection) -> Vec<(String, f64)>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut timings = Vec::new();
    runtime.block_on(async {
        if !server.is_empty() {
            timings.extend(on_postgres(server, async |db| bench("PostgreSQL", db).await).await);
        }
        if std::env::var_os("BENCH_SKIP_SQLITE").is_none() {
            timings.extend(on_sqlite(async |db| bench("SQLite", db).await).await);
        }
    });
    println!("summary (seconds):");
    for (label, secs) in timings {
        println!("  {label:<32} {secs:6.2}");
    }
}

/// Imports the file twice with `import` (a first import creating every row,
/// then the same file updating every row) and checks `table` holds each
/// person once.
pub async fn twice<F>(
    backend: &str,
    db: &DatabaseConnection,
    table: &str,
    rows: usize,
    import: F,
) -> Vec<(String, f64)>
where
    F: AsyncFn() -> ImportReport,
{
    let mut timings = Vec::new();
    for (label, expect_created) in [("first import", rows as u64), ("same file again", 0)] {
        let started = Instant::now();
        let report = import().await;
        let secs = check_and_print(
            backend,
            label,
            rows,
            expect_created,
            &report,
            started.elapsed(),
        );
        timings.push((format!("{backend} {label}"), secs));
    }
    assert_eq!(
        count(db, table).await,
        rows as i64,
        "every {table} stored once"
    );
    timings
}
