//! `tremplin demo`: the README's first command. On a fresh embedded
//! database it imports the reference data, seeds two contrasting
//! départements through the HTTP API of a server running in this process,
//! lets a mentoring structure in each pair and follow its young people
//! for seven months, runs a stage campaign in each, answers some
//! proposals, then prints the coordinators' reports and what the exact
//! engine gained over the greedy baseline, and draws a map.
//!
//! Every record is written by the same handlers real clients call: the
//! demo is a client of the API, not a second way into the database. It
//! reads the database only to draw the map.
mod client;
mod mentoring;
mod mentoring_people;
mod mentoring_report;
mod names;
mod plan;
mod report;
mod scenario;
mod seed;
mod svg;
mod workflow;

pub use mentoring::StructureOutcome;
pub use report::{DemoReport, DepartementReport, TierRow};
pub use scenario::Scale;

use crate::clock::Clock;
use crate::configuration::Settings;
use crate::reference;
use crate::startup::{Application, connect};
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use migration::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait;
use secrecy::SecretString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The ISO week every stage of the scenario takes place in.
pub const WEEK: &str = "2027-W05";

/// `tremplin demo` options.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Seed of the scenario and of the matching runs: same seed, same report.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Folder for the database and the map (the database is recreated).
    #[arg(long, default_value = "demo-out")]
    pub out: PathBuf,
    /// Folder holding colleges_fr.csv and communes_fr.csv.
    #[arg(long, default_value = "../shared/data")]
    pub data_dir: PathBuf,
    /// Scenario size: `normal` (a few thousand pupils) or `small` (tests).
    #[arg(long, value_enum, default_value_t = Scale::Normal)]
    pub scale: Scale,
}

/// Runs the whole demo. `database_url` replaces the fresh
/// `OUT/demo.db`; it should name an empty database.
pub async fn run(args: &DemoArgs, database_url: Option<&str>) -> anyhow::Result<DemoReport> {
    let started = Instant::now();
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let url = match database_url {
        Some(url) => url.to_owned(),
        None => fresh_sqlite(&args.out)?,
    };
    let settings = settings(&url, args)?;

    let step = spinner("Migrating and importing the reference data");
    let db = connect(&settings.database)
        .await
        .context("cannot connect to the database")?;
    if database_url.is_none() {
        // A throwaway file: trade durability for speed, or every one of the
        // demo's two thousand writes waits for the disk.
        db.execute_unprepared("PRAGMA journal_mode = WAL").await?;
        db.execute_unprepared("PRAGMA synchronous = NORMAL").await?;
    }
    Migrator::up(&db, None)
        .await
        .context("database migration failed")?;
    let imported = reference::import_dir(&db, &args.data_dir)
        .await
        .with_context(|| {
            format!(
                "importing reference data from {} (point --data-dir at the folder of colleges_fr.csv and communes_fr.csv)",
                args.data_dir.display()
            )
        })?;
    step.finish_with_message(format!(
        "Reference data: {} communes, {} collèges",
        imported.communes.imported, imported.colleges.imported
    ));

    let scenario = scenario::generate(&db, args.seed, args.scale).await?;
    // The mentoring part lives the last seven months on this clock, a week
    // at a time, up to today; then the stage campaign runs.
    let settings_clock = settings.clock.clone();
    let app = Application::build_with_db(settings, db.clone()).await?;
    let api = client::Api::new(format!("http://{}", app.address()));
    let server = tokio::spawn(app.run_until_stopped());

    let result = async {
        let seeded = seed::seed(&api, &db, &scenario).await?;
        let mentoring = mentoring::run(
            &api,
            &settings_clock,
            &scenario,
            &seeded,
            args.scale,
            args.seed,
        )
        .await?;
        let outcome = workflow::run(&api, &settings_clock, &seeded, args.seed).await?;
        let svg_path = args.out.join("demo-map.svg");
        let map = svg::draw(&db, &scenario).await?;
        std::fs::write(&svg_path, map)
            .with_context(|| format!("cannot write {}", svg_path.display()))?;
        Ok::<_, anyhow::Error>(DemoReport::new(
            args.seed,
            &scenario,
            &outcome,
            mentoring,
            svg_path,
            started.elapsed(),
        ))
    }
    .await;
    server.abort();
    result
}

/// Removes the previous run's database: every run starts from nothing.
fn fresh_sqlite(out: &Path) -> anyhow::Result<String> {
    let path = out.join("demo.db");
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        if file.exists() {
            std::fs::remove_file(&file)
                .with_context(|| format!("cannot remove {}", file.display()))?;
        }
    }
    Ok(format!("sqlite://{}?mode=rwc", path.display()))
}

/// The built-in defaults, on port 0, with no mail sent and a token limit
/// high enough for one client signing in a hundred users.
fn settings(url: &str, args: &DemoArgs) -> anyhow::Result<Settings> {
    let mut settings = Settings::defaults()?;
    settings.database.url = SecretString::from(url.to_owned());
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.workers = 2;
    settings.reference.dir = args.data_dir.clone();
    settings.auth.rate_limit_burst = 1_000_000;
    settings.email.sender_enabled = false;
    settings.email.outbox_dir = args.out.join("mail-out");
    settings.jobs.poll_interval_ms = 50;
    settings.clock = Clock::fixed(chrono::Utc::now() - mentoring::SPAN);
    settings.validate()?;
    Ok(settings)
}

pub(crate) fn spinner(message: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner().with_message(message.to_owned());
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

pub(crate) fn bar(len: u64, message: &str) -> ProgressBar {
    let bar = ProgressBar::new(len).with_message(message.to_owned());
    if let Ok(style) = ProgressStyle::with_template("{msg:<34} [{bar:30}] {pos}/{len} ({elapsed})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
