//! Builds the application: database, migrations, reference data, keys, and
//! the HTTP server bound to its listener (port 0 works: tests use it).
use crate::auth::{JwtKeys, RateLimiter, new_secret};
use crate::configuration::{AuthSettings, DatabaseSettings, EmailSettings, JobSettings, Settings};
use crate::extract::{BodyTimeout, json_error, path_error, query_error};
use crate::http_policy;
use crate::jobs::{self, JobContext};
use crate::metrics::{self, Metrics};
use crate::reference::{self, CommuneCache};
use crate::routes;
use crate::search::OfferSearch;
use crate::store;
use crate::telemetry::RequestSpan;
use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use secrecy::ExposeSecret;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;
use tracing_actix_web::TracingLogger;
use uuid::Uuid;

/// Shared by every request handler.
pub struct AppState {
    pub db: DatabaseConnection,
    pub jwt: JwtKeys,
    pub auth: AuthSettings,
    pub limiter: RateLimiter,
    pub communes: CommuneCache,
    pub search: OfferSearch,
    /// Links in e-mails use `email.public_base_url`.
    pub email: EmailSettings,
    pub jobs: JobSettings,
    pub mentoring: crate::configuration::MentoringSettings,
    /// What "now" and "today" are: the system clock, or a test's.
    pub clock: crate::clock::Clock,
    /// Sessions and cookies of the web pages.
    pub web: crate::web::SessionConfig,
}

/// How often offers written by other processes reach this one's search index.
const SEARCH_SYNC_PERIOD: Duration = Duration::from_secs(2);

/// Opens the pool. SQLite gets a single connection: the embedded default
/// then never fails a request on a lock held by one of its own connections.
pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    let url = settings.url.expose_secret().to_owned();
    let sqlite = url.starts_with("sqlite:");
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(if sqlite { 1 } else { settings.max_connections })
        .min_connections(if sqlite { 1 } else { 2 })
        .acquire_timeout(Duration::from_millis(settings.acquire_timeout_ms))
        .sqlx_logging(false);
    let busy = Duration::from_millis(settings.sqlite_busy_timeout_ms);
    options.map_sqlx_sqlite_opts(move |o| o.busy_timeout(busy).foreign_keys(true));
    Database::connect(options).await
}

/// Connects and brings the schema up to date.
pub async fn connect_and_migrate(
    settings: &DatabaseSettings,
) -> anyhow::Result<DatabaseConnection> {
    let db = connect(settings)
        .await
        .context("cannot connect to the database")?;
    Migrator::up(&db, None)
        .await
        .context("database migration failed")?;
    Ok(db)
}

/// The JWT key: configured, or generated once and kept in the database.
async fn signing_key(settings: &Settings, db: &DatabaseConnection) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = &settings.auth.jwt_secret {
        return Ok(secret.expose_secret().as_bytes().to_vec());
    }
    let generated = store::settings::get_or_create(db, "jwt_secret", || {
        format!("{}{}", new_secret(), new_secret())
    })
    .await?;
    Ok(generated.into_bytes())
}

/// Imports the reference files on a database that has none yet.
async fn ensure_reference(settings: &Settings, db: &DatabaseConnection) -> anyhow::Result<()> {
    if store::reference::commune_count(db).await? > 0 {
        return Ok(());
    }
    let dir = &settings.reference.dir;
    if !dir.join("communes_fr.csv").exists() {
        tracing::warn!(dir = %dir.display(), "no reference data loaded and none found; run `tremplin import-reference --dir DIR`");
        return Ok(());
    }
    let report = reference::import_dir(db, dir).await?;
    tracing::info!(
        communes = report.communes.imported,
        colleges = report.colleges.imported,
        "reference data imported"
    );
    Ok(())
}

async fn keep_in_sync(search: OfferSearch, db: DatabaseConnection) {
    let mut tick = tokio::time::interval(SEARCH_SYNC_PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = search.sync(&db).await {
            tracing::warn!(error = %e, "offer search sync failed; will retry");
        }
    }
}

pub struct Application {
    address: SocketAddr,
    server: Server,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = connect_and_migrate(&settings.database).await?;
        Self::build_with_db(settings, db).await
    }

    pub async fn build_with_db(settings: Settings, db: DatabaseConnection) -> anyhow::Result<Self> {
        ensure_reference(&settings, &db).await?;
        let key = signing_key(&settings, &db).await?;
        let listener = TcpListener::bind(&settings.server.bind)
            .with_context(|| format!("cannot listen on {}", settings.server.bind))?;
        let address = listener.local_addr()?;
        let search = OfferSearch::load(&db).await?;
        tokio::spawn(keep_in_sync(search.clone(), db.clone()));
        crate::email::spawn(db.clone(), &settings.email).map_err(anyhow::Error::msg)?;
        let communes = CommuneCache::load(&db).await?;
        jobs::spawn(JobContext {
            db: db.clone(),
            communes: communes.clone(),
            settings: settings.jobs.clone(),
            worker: format!("{}-{}", std::process::id(), Uuid::now_v7().simple()),
            public_base_url: settings.email.public_base_url.clone(),
            mentoring: settings.mentoring.clone(),
            clock: settings.clock.clone(),
        });
        let state = web::Data::new(AppState {
            web: crate::web::SessionConfig::new(&settings),
            jobs: settings.jobs.clone(),
            mentoring: settings.mentoring.clone(),
            clock: settings.clock.clone(),
            search,
            communes,
            jwt: JwtKeys::new(&key, settings.auth.access_token_ttl_secs)?,
            limiter: RateLimiter::new(
                settings.auth.rate_limit_burst,
                Duration::from_millis(settings.auth.rate_limit_period_ms),
            ),
            auth: settings.auth.clone(),
            email: settings.email.clone(),
            db,
        });
        let metrics = web::Data::new(Metrics::new()?);
        let body_timeout = BodyTimeout(Duration::from_millis(settings.server.body_timeout_ms));
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(http_policy::refuse_nul_in_url))
                .wrap(from_fn(http_policy::security_headers))
                .wrap(from_fn(metrics::record))
                .wrap(Compress::default())
                .wrap(TracingLogger::<RequestSpan>::new())
                .app_data(state.clone())
                .app_data(metrics.clone())
                .app_data(body_timeout)
                .app_data(web::JsonConfig::default().error_handler(json_error))
                .app_data(web::QueryConfig::default().error_handler(query_error))
                .app_data(web::PathConfig::default().error_handler(path_error))
                .service(routes::table().into_services())
                .configure(crate::web::routes)
                .default_service(web::to(crate::web::fallback))
        })
        .client_request_timeout(Duration::from_millis(
            settings.server.request_head_timeout_ms,
        ))
        .listen(listener)?;
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        Ok(Self {
            address,
            server: server.run(),
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
