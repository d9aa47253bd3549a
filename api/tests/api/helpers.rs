//! Test harness: spawns the real server on port 0 against a fresh database.
// Not every test module uses every helper.
#![allow(dead_code)]

use api::auth::hash_password;
use api::configuration::Settings;
use api::startup::{Application, connect};
use api::store::users;
use migration::{Migrator, MigratorTrait};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use secrecy::SecretString;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use tokio::sync::OnceCell;
use uuid::Uuid;

/// Generates a test module running the body on SQLite and on PostgreSQL.
/// Without `TEST_DATABASE_URL` the PostgreSQL run says so and returns.
#[macro_export]
macro_rules! db_test {
    ($(#[$meta:meta])* async fn $name:ident($app:ident: TestApp $(,)?) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use $crate::helpers::*;

            async fn run($app: TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                run(TestApp::spawn(Backend::Sqlite).await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                match Backend::postgres() {
                    Some(backend) => run(TestApp::spawn(backend).await).await,
                    None => eprintln!("TEST_DATABASE_URL is not set: PostgreSQL run skipped"),
                }
            }
        }
    };
}

/// Generates a test module running the body with a `Backend` on SQLite, and
/// on PostgreSQL when `TEST_DATABASE_URL` is set, for tests that start their
/// servers themselves (settings of their own, several instances).
#[macro_export]
macro_rules! backend_test {
    ($(#[$meta:meta])* async fn $name:ident($backend:ident: Backend $(,)?) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use $crate::helpers::*;

            async fn run($backend: Backend) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                run(Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                match Backend::postgres() {
                    Some(backend) => run(backend).await,
                    None => eprintln!("TEST_DATABASE_URL is not set: PostgreSQL run skipped"),
                }
            }
        }
    };
}

/// The PostgreSQL backend of a PostgreSQL-only test (row locks, concurrent
/// sessions: SQLite has one writer), or returns from the test, saying so, when
/// `TEST_DATABASE_URL` is not set.
#[macro_export]
macro_rules! postgres_or_skip {
    () => {{
        let Some(backend) = $crate::helpers::Backend::postgres() else {
            eprintln!("TEST_DATABASE_URL is not set: PostgreSQL run skipped");
            return;
        };
        backend
    }};
}

#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    /// The server URL of TEST_DATABASE_URL (any database name in it is
    /// replaced by one of our own).
    Postgres(String),
}

impl Backend {
    pub fn postgres() -> Option<Self> {
        std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .map(Backend::Postgres)
    }
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn reference_dir() -> PathBuf {
    workspace_root().join("../shared/data")
}

fn with_database(server_url: &str, database: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (server_url, None),
    };
    let authority_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{database}?{q}"),
        None => format!("{host_part}/{database}"),
    }
}

/// A name that changes when the schema or the reference files change, so a
/// template built by an earlier run is reused only when still right.
fn template_key() -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for m in Migrator::migrations() {
        m.name().hash(&mut hasher);
    }
    for file in ["colleges_fr.csv", "communes_fr.csv"] {
        std::fs::metadata(reference_dir().join(file))
            .map(|m| m.len())
            .unwrap_or(0)
            .hash(&mut hasher);
    }
    format!("{:016x}", hasher.finish())
}

async fn migrate_and_import(url: &str) {
    let db = Database::connect(url).await.expect("connect to template");
    Migrator::up(&db, None).await.expect("migrate template");
    api::reference::import_dir(&db, &reference_dir())
        .await
        .expect("import reference data");
    db.close().await.expect("close template");
}

static SQLITE_TEMPLATE: OnceCell<PathBuf> = OnceCell::const_new();

async fn sqlite_template() -> PathBuf {
    SQLITE_TEMPLATE
        .get_or_init(|| async {
            let dir = std::env::temp_dir().join("tremplin-tests");
            std::fs::create_dir_all(&dir).expect("temp dir");
            let path = dir.join(format!("template-{}.db", template_key()));
            if !path.exists() {
                // Built aside, then renamed: concurrent runs never see half a file.
                let partial = dir.join(format!("template-{}.partial", Uuid::now_v7()));
                migrate_and_import(&format!("sqlite://{}?mode=rwc", partial.display())).await;
                std::fs::rename(&partial, &path).expect("publish template");
            }
            path
        })
        .await
        .clone()
}

static PG_TEMPLATE: OnceCell<String> = OnceCell::const_new();

async fn pg_template(server_url: &str) -> String {
    PG_TEMPLATE
        .get_or_init(|| async {
            let name = format!("tremplin_template_{}", template_key());
            let admin = Database::connect(with_database(server_url, "postgres"))
                .await
                .expect("connect to postgres");
            // One builder at a time across processes.
            admin
                .execute_unprepared("SELECT pg_advisory_lock(727272)")
                .await
                .expect("lock");
            let exists = admin
                .query_one_raw(sea_orm::Statement::from_string(
                    admin.get_database_backend(),
                    format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"),
                ))
                .await
                .expect("query pg_database")
                .is_some();
            if !exists {
                let partial = format!("tremplin_partial_{}", Uuid::now_v7().simple());
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {partial}"))
                    .await
                    .expect("create template");
                migrate_and_import(&with_database(server_url, &partial)).await;
                admin
                    .execute_unprepared(&format!("ALTER DATABASE {partial} RENAME TO {name}"))
                    .await
                    .expect("publish template");
            }
            admin
                .execute_unprepared("SELECT pg_advisory_unlock(727272)")
                .await
                .expect("unlock");
            admin.close().await.ok();
            name
        })
        .await
        .clone()
}

/// The running server and what a test needs to talk to it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// A connection of the test's own to the same database, for setup and
    /// for checking what the server wrote.
    pub db: DatabaseConnection,
    pub database_url: String,
    pub backend: Backend,
    cleanup: Option<Cleanup>,
}

enum Cleanup {
    File(PathBuf),
    Database { server_url: String, name: String },
}

impl Drop for TestApp {
    fn drop(&mut self) {
        match self.cleanup.take() {
            Some(Cleanup::File(path)) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Some(Cleanup::Database { server_url, name }) => {
                // Drop runs inside the test's runtime: do the async work on a
                // thread of its own.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .ok()?;
                    runtime.block_on(async {
                        let admin = Database::connect(with_database(&server_url, "postgres"))
                            .await
                            .ok()?;
                        admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await
                            .ok()?;
                        admin.close().await.ok()
                    })
                })
                .join();
            }
            None => {}
        }
    }
}

pub struct Response {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Response {
    async fn read(request: reqwest::RequestBuilder) -> Self {
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body read");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Response {
            status,
            headers,
            body,
            text,
        }
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected answer: {}",
            self.text
        );
        self.body
    }

    /// The field names of a 422 answer.
    pub fn invalid_fields(&self) -> Vec<String> {
        assert_eq!(
            self.status.as_u16(),
            422,
            "expected a 422, got: {}",
            self.text
        );
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A signed-in user of an organisation.
#[derive(Debug, Clone)]
pub struct Member {
    pub organisation_id: String,
    pub token: String,
    pub email: String,
}

/// The settings every test server starts from.
fn base_settings(database_url: &str) -> Settings {
    let mut settings = Settings::defaults().expect("defaults");
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.workers = 2;
    settings.database.url = SecretString::from(database_url.to_owned());
    settings.database.max_connections = 8;
    settings.reference.dir = reference_dir();
    settings.auth.rate_limit_burst = 1000;
    // Without an SMTP server the sender writes .eml files: keep them out of the tree.
    settings.email.outbox_dir = std::env::temp_dir().join("tremplin-tests/mail-out");
    settings.jobs.poll_interval_ms = 50;
    // CI runs tests in parallel on 2 cores: a single SQLite connection may
    // wait long for its turn without the database being unavailable.
    settings.database.acquire_timeout_ms = 30_000;
    settings.database.sqlite_busy_timeout_ms = 30_000;
    settings
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> Self {
        if std::env::var_os("TEST_LOG").is_some() {
            api::telemetry::init("info,sqlx=warn");
        }
        let (database_url, cleanup) = match &backend {
            Backend::Sqlite => {
                let template = sqlite_template().await;
                let path = template.with_file_name(format!("test-{}.db", Uuid::now_v7()));
                std::fs::copy(&template, &path).expect("copy template database");
                (
                    format!("sqlite://{}?mode=rwc", path.display()),
                    Cleanup::File(path),
                )
            }
            Backend::Postgres(server_url) => {
                let template = pg_template(server_url).await;
                let name = format!("tremplin_test_{}", Uuid::now_v7().simple());
                let admin = Database::connect(with_database(server_url, "postgres"))
                    .await
                    .expect("connect to postgres");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                (
                    with_database(server_url, &name),
                    Cleanup::Database {
                        server_url: server_url.clone(),
                        name,
                    },
                )
            }
        };
        let mut settings = base_settings(&database_url);
        configure(&mut settings);
        let db = connect(&settings.database).await.expect("test connection");
        let app = Application::build(settings)
            .await
            .expect("build application");
        let address = format!("http://{}", app.address());
        tokio::spawn(app.run_until_stopped());
        Self {
            address,
            client: reqwest::Client::new(),
            db,
            database_url,
            backend,
            cleanup: Some(cleanup),
        }
    }

    /// Another server process on the same database (as a second `tremplin
    /// serve` would be); the database stays this app's to clean up.
    pub async fn sibling(&self, configure: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = base_settings(&self.database_url);
        configure(&mut settings);
        let db = connect(&settings.database).await.expect("test connection");
        let app = Application::build(settings)
            .await
            .expect("build application");
        let address = format!("http://{}", app.address());
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address,
            client: reqwest::Client::new(),
            db,
            database_url: self.database_url.clone(),
            backend: self.backend.clone(),
            cleanup: None,
        }
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut request = self
            .client
            .request(method, format!("{}{}", self.address, path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        Response::read(request).await
    }

    /// `POST` of a raw `text/csv` body (the import endpoints).
    pub async fn post_csv(&self, path: &str, token: &str, body: impl Into<Vec<u8>>) -> Response {
        let request = self
            .client
            .post(format!("{}{}", self.address, path))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .body(body.into());
        Response::read(request).await
    }

    /// Where `needle` (ASCII, case-insensitive) appears in any column of any
    /// row of any table, as `table.column`: how erasure tests prove that no
    /// personal data is left anywhere.
    pub async fn search_database(&self, needle: &str) -> Vec<String> {
        assert!(needle.is_ascii() && !needle.contains('\''));
        let backend = self.db.get_database_backend();
        let tables = self.columns().await;
        for expected in ["pupil", "mentee"] {
            assert!(
                tables.iter().any(|(t, _)| t.contains(expected)),
                "{tables:?}"
            );
        }
        let needle = needle.to_lowercase();
        let mut found = Vec::new();
        for (table, cols) in &tables {
            for column in cols {
                let sql = format!(
                    "SELECT COUNT(*) AS n FROM {table} \
                     WHERE LOWER(CAST(\"{column}\" AS TEXT)) LIKE '%{needle}%'"
                );
                let row = self
                    .db
                    .query_one_raw(Statement::from_string(backend, sql.clone()))
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
                    .expect("a count");
                let n: i64 = row.try_get("", "n").unwrap();
                if n > 0 {
                    found.push(format!("{table}.{column}"));
                }
            }
        }
        found
    }

    /// Every table and its columns, read from the database's catalogue.
    async fn columns(&self) -> Vec<(String, Vec<String>)> {
        let db = &self.db;
        let backend = db.get_database_backend();
        let query = |sql: String| db.query_all_raw(Statement::from_string(backend, sql));
        let mut out = Vec::new();
        match backend {
            DbBackend::Sqlite => {
                let tables = query(
                    "SELECT name FROM sqlite_master WHERE type = 'table' \
                     AND name NOT LIKE 'sqlite_%' ORDER BY name"
                        .into(),
                )
                .await
                .unwrap();
                for t in tables {
                    let table: String = t.try_get("", "name").unwrap();
                    let cols: Vec<String> =
                        query(format!("SELECT name FROM pragma_table_info('{table}')"))
                            .await
                            .unwrap()
                            .iter()
                            .map(|c| c.try_get::<String>("", "name").unwrap())
                            .collect();
                    out.push((format!("\"{table}\""), cols));
                }
            }
            _ => {
                let rows = query(
                    "SELECT c.table_schema, c.table_name, c.column_name \
                     FROM information_schema.columns c \
                     JOIN information_schema.tables t \
                       ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
                     WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema') \
                       AND t.table_type = 'BASE TABLE' \
                     ORDER BY c.table_schema, c.table_name, c.ordinal_position"
                        .into(),
                )
                .await
                .unwrap();
                for r in rows {
                    let schema: String = r.try_get("", "table_schema").unwrap();
                    let table: String = r.try_get("", "table_name").unwrap();
                    let column: String = r.try_get("", "column_name").unwrap();
                    let table = format!("\"{schema}\".\"{table}\"");
                    match out.last_mut() {
                        Some((t, cols)) if *t == table => cols.push(column),
                        _ => out.push((table, vec![column])),
                    }
                }
            }
        }
        out
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::PUT, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.request(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::DELETE, path, token, None).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post(
            "/v1/auth/token",
            None,
            &json!({"grant_type": "password", "email": email, "password": password}),
        )
        .await
    }

    /// Creates an admin directly in the database (as `tremplin admin
    /// create-user` does) and signs in through the API.
    pub async fn admin(&self) -> String {
        let email = format!("admin-{}@tremplin.test", Uuid::now_v7().simple());
        let password = "admin password 123";
        users::insert(
            &self.db,
            users::NewUser {
                organisation_id: None,
                email: email.clone(),
                role: "admin".into(),
                password_hash: Some(hash_password(password).expect("hash")),
                invitation_hash: None,
                invitation_expires_at: None,
            },
        )
        .await
        .expect("insert admin");
        self.login(&email, password).await.expect(200)["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    pub async fn create_organisation(&self, admin: &str, body: Value) -> Value {
        self.post("/v1/organisations", Some(admin), &body)
            .await
            .expect(201)
    }

    /// Invites a user, accepts the invitation and signs in.
    pub async fn member(&self, admin: &str, organisation_id: &str, role: &str) -> Member {
        let email = format!("{role}-{}@tremplin.test", Uuid::now_v7().simple());
        let invited = self
            .post(
                &format!("/v1/organisations/{organisation_id}/users"),
                Some(admin),
                &json!({"email": email, "role": role}),
            )
            .await
            .expect(201);
        let password = "a long enough password";
        self.post(
            "/v1/auth/accept-invitation",
            None,
            &json!({"token": invited["invitation"]["token"], "password": password}),
        )
        .await
        .expect(204);
        let token = self.login(&email, password).await.expect(200)["access_token"]
            .as_str()
            .expect("token")
            .to_owned();
        Member {
            organisation_id: organisation_id.to_owned(),
            token,
            email,
        }
    }

    /// A new company (random valid SIRET) with one signed-in user.
    pub async fn company(&self, admin: &str) -> Member {
        let org = self
            .create_organisation(
                admin,
                json!({"kind": "company", "name": "Entreprise test", "siret": siret()}),
            )
            .await;
        self.member(admin, org["id"].as_str().expect("id"), "company")
            .await
    }

    pub async fn coordinator(&self, admin: &str) -> Member {
        let org = self
            .create_organisation(
                admin,
                json!({"kind": "mentoring_structure", "name": "Association test"}),
            )
            .await;
        self.member(admin, org["id"].as_str().expect("id"), "coordinator")
            .await
    }

    /// A school organisation for the collège `uai`, with one user.
    pub async fn school(&self, admin: &str, uai: &str) -> Member {
        let org = self
            .create_organisation(
                admin,
                json!({"kind": "school", "name": "Collège test", "uai": uai}),
            )
            .await;
        self.member(admin, org["id"].as_str().expect("id"), "school")
            .await
    }
}

/// A random SIRET with a valid Luhn checksum (never La Poste's SIREN).
pub fn siret() -> String {
    let seed = Uuid::now_v7().as_u128() ^ Uuid::new_v4().as_u128();
    let mut digits: Vec<u32> = (0..13).map(|i| ((seed >> (i * 4)) % 10) as u32).collect();
    digits[0] = 1 + digits[0] % 8;
    for check in 0..10 {
        let mut all = digits.clone();
        all.push(check);
        let sum: u32 = all
            .iter()
            .rev()
            .enumerate()
            .map(|(i, d)| {
                if i % 2 == 1 {
                    let x = d * 2;
                    if x > 9 { x - 9 } else { x }
                } else {
                    *d
                }
            })
            .sum();
        if sum.is_multiple_of(10) {
            return all
                .iter()
                .map(|d| char::from_digit(*d, 10).expect("digit"))
                .collect();
        }
    }
    unreachable!("one check digit always fits")
}

/// A valid offer body; tests change what they check.
pub fn offer_body() -> Value {
    json!({
        "kind": "stage_3e",
        "title": "Découverte des métiers de la logistique",
        "description": "Une semaine avec nos équipes d'entrepôt.",
        "sector": "N",
        "address": "12 rue de la Gare",
        "commune_insee": "93066",
        "weeks": [{"week": "2027-W03", "seats": 2}, {"week": "2027-W04", "seats": 1}],
        "tutor": {"name": "Camille Martin", "email": "camille.martin@example.fr"}
    })
}

pub fn mentor_body() -> Value {
    json!({
        "display_name": "Sami B.",
        "email": "sami@example.fr",
        "sectors": ["M", "E"],
        "commune_insee": "23096",
        "max_distance_km": 30,
        "remote_ok": true,
        "capacity": 2,
        "available_from": "2027-01-04"
    })
}

/// `(row, field)` of each error of an import report, in report order; every
/// error must carry a message.
pub fn row_errors(report: &Value) -> Vec<(u64, String)> {
    report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            assert!(
                e["message"].as_str().is_some_and(|m| !m.is_empty()),
                "every error has a message: {e}"
            );
            (
                e["row"].as_u64().expect("row"),
                e["field"].as_str().expect("field").to_owned(),
            )
        })
        .collect()
}

/// Waits until a session of the test's database waits for a row lock
/// (PostgreSQL).
pub async fn wait_for_a_lock_waiter(app: &TestApp) {
    let query = Statement::from_string(
        DbBackend::Postgres,
        "SELECT count(*) AS waiting FROM pg_stat_activity \
         WHERE datname = current_database() AND wait_event_type = 'Lock'",
    );
    for _ in 0..400 {
        let row = app.db.query_one_raw(query.clone()).await.unwrap().unwrap();
        if row.try_get::<i64>("", "waiting").unwrap() > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("no session waited for a row lock");
}

/// Sends `request` while `holder` has written and not committed, and
/// commits `holder` once the request waits for a row lock.
pub async fn committed_while_waiting(
    app: &TestApp,
    holder: sea_orm::DatabaseTransaction,
    request: impl std::future::Future<Output = Response>,
) -> Response {
    let meanwhile = async {
        wait_for_a_lock_waiter(app).await;
        holder.commit().await.unwrap();
    };
    let (answer, ()) = tokio::join!(request, meanwhile);
    answer
}

/// Sends `request` while another session has made `write` and not committed
/// it, and commits it once the request waits for a row lock: the request
/// must then work on the row as written, not as it was before.
pub async fn written_meanwhile<E: sea_orm::EntityTrait>(
    app: &TestApp,
    write: sea_orm::UpdateMany<E>,
    request: impl std::future::Future<Output = Response>,
) -> Response {
    use sea_orm::TransactionTrait;
    let holder = app.db.begin().await.unwrap();
    write.exec(&holder).await.unwrap();
    committed_while_waiting(app, holder, request).await
}

/// A collège of Seine-Saint-Denis (from the reference data): UAI, lat, lon.
pub fn college_093() -> (String, f64, f64) {
    let data = std::fs::read_to_string(reference_dir().join("colleges_fr.csv")).unwrap();
    data.lines()
        .map(|l| l.split(',').map(str::to_owned).collect::<Vec<_>>())
        .find(|f| f.len() > 9 && f[5] == "093" && !f[7].is_empty())
        .map(|f| (f[0].clone(), f[7].parse().unwrap(), f[8].parse().unwrap()))
        .expect("a collège of Seine-Saint-Denis")
}

/// An administrator, a company with one `stage_3e` seat in `week` at a
/// collège of Seine-Saint-Denis, that collège's school and one of its pupils
/// (`first_name`): returns the admin's token, the school, the company and
/// the pupil's id.
pub async fn one_seat_and_one_pupil(
    app: &TestApp,
    week: &str,
    first_name: &str,
) -> (String, Member, Member, String) {
    let (uai, lat, lon) = college_093();
    let admin = app.admin().await;
    let company = app.company(&admin).await;
    let school = app.school(&admin, &uai).await;
    let mut offer = offer_body();
    offer["weeks"] = json!([{"week": week, "seats": 1}]);
    offer["location"] = json!({"lat": lat, "lon": lon});
    app.post("/v1/offers", Some(&company.token), &offer)
        .await
        .expect(201);
    let body = json!({
        "first_name": first_name,
        "last_name": "Test",
        "birth_date": "2012-03-04",
        "class_name": "3A",
    });
    let pupil = app
        .post("/v1/pupils", Some(&school.token), &body)
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (admin, school, company, pupil)
}
