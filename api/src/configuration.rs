//! Settings, layered: built-in defaults → optional TOML file → environment
//! (`TREMPLIN__SECTION__KEY`, plus the conventional `DATABASE_URL`).
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Works out of the box: generated signing key, SQLite file database.
    Development,
    /// Refuses to start without explicit secrets.
    Production,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub profile: Profile,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub reference: ReferenceSettings,
    pub email: EmailSettings,
    pub jobs: JobSettings,
    pub mentoring: MentoringSettings,
    pub web: WebSettings,
    /// The system clock, unless a test sets one.
    #[serde(skip)]
    pub clock: crate::clock::Clock,
}

/// The background workers that run matches and expire placements.
#[derive(Debug, Clone, Deserialize)]
pub struct JobSettings {
    /// Whether this process runs workers (several processes may share a database).
    pub enabled: bool,
    pub poll_interval_ms: u64,
    /// A claimed job not finished within this time is claimed again.
    pub lease_secs: i64,
    pub max_attempts: i32,
    /// How long a proposal (then an acceptance) waits before it expires.
    pub placement_ttl_days: i64,
    /// Test hook: the worker stops dead between solving and committing, as a
    /// killed process would.
    #[serde(default)]
    pub crash_before_commit: bool,
}

/// Mentoring follow-up: alert thresholds, the yearly target, the export key.
#[derive(Debug, Clone, Deserialize)]
pub struct MentoringSettings {
    /// An active pair without a meeting for this many days (since its start
    /// when it has none) raises an alert.
    pub no_meeting_days: i64,
    /// A proposal unanswered for this many days raises an alert.
    pub proposal_unanswered_days: i64,
    /// A mentee without a proposed or running pairing for this many days.
    pub unpaired_days: i64,
    /// The programme's minimum duration, in months.
    pub minimum_months: u32,
    /// Pairs reaching the minimum within this many days, or having reached it
    /// this many days ago at most, are listed.
    pub minimum_window_days: i64,
    /// Pairs to start in a calendar year (the State's target).
    pub yearly_target: u64,
    /// Key of the pseudonyms in the State export; absent, one is generated
    /// and kept in the database, so pseudonyms stay stable per installation.
    pub export_secret: Option<SecretString>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub bind: String,
    /// Worker threads; 0 means one per core.
    pub workers: usize,
    /// Time a client has to send a request's line and headers (actix's
    /// `client_request_timeout`); past it the connection answers 408.
    pub request_head_timeout_ms: u64,
    /// Time a client has to send a whole request body once the handler
    /// reads it (JSON and CSV uploads); past it the answer is 408. actix
    /// bounds only the head: without this a body sent a byte at a time
    /// holds a connection and a worker's buffer forever.
    pub body_timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// May carry a password, hence secret.
    pub url: SecretString,
    pub max_connections: u32,
    pub acquire_timeout_ms: u64,
    /// How long SQLite waits for a lock before the request fails with 503.
    pub sqlite_busy_timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// HMAC key for access tokens; generated and stored in the database in
    /// the development profile when absent.
    pub jwt_secret: Option<SecretString>,
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_days: i64,
    pub invitation_ttl_hours: i64,
    /// Token-endpoint attempts per client IP: a burst, refilled one per period.
    pub rate_limit_burst: u32,
    pub rate_limit_period_ms: u64,
}

/// Sessions of the web pages (people signed in with a browser).
#[derive(Debug, Clone, Deserialize)]
pub struct WebSettings {
    /// A session unused for this long ends.
    pub session_idle_minutes: i64,
    /// A session ends this long after its sign-in, however used.
    pub session_absolute_hours: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReferenceSettings {
    /// Folder with `colleges_fr.csv` and `communes_fr.csv`.
    pub dir: PathBuf,
}

/// Outgoing mail: the outbox sender and its transport.
#[derive(Debug, Clone, Deserialize)]
pub struct EmailSettings {
    /// lettre's URL form: `smtp://user:pass@host:587?tls=required`,
    /// `smtps://user:pass@host`, `smtp://127.0.0.1:2525` (plain). Absent:
    /// messages are written as `.eml` files to `outbox_dir`. Also read from
    /// the `SMTP_URL` environment variable. May carry a password, hence secret.
    pub smtp_url: Option<SecretString>,
    /// Sender mailbox, `Name <address>` or a bare address.
    pub from: String,
    /// The public origin links in messages point to: web pages
    /// (`/invitation?token=`, `/placements/{id}`, `/pairings/{id}`, and the
    /// public `/mentorat` page for mentors and mentees, who have no account)
    /// and the API under `/v1` (unsubscribe links), as behind one reverse proxy.
    pub public_base_url: String,
    /// Folder of the `.eml` files written without an SMTP server.
    pub outbox_dir: PathBuf,
    /// Run the background sender in this process.
    pub sender_enabled: bool,
    /// How often the sender looks for due messages when idle.
    pub poll_interval_ms: u64,
    /// Messages claimed per round.
    pub batch_size: u64,
    /// Attempts before a message that keeps failing transiently is marked failed.
    pub max_attempts: i32,
    /// Delay before the first retry, doubled at each attempt up to `retry_max_ms`.
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    /// How long a claim lasts: a message claimed by a process that died is
    /// retried after it. Must exceed the SMTP timeout so a live sender never
    /// loses its claim mid-send.
    pub lease_ms: u64,
    pub smtp_timeout_ms: u64,
    /// Pooled SMTP connections per process.
    pub smtp_pool_size: u32,
}

const DEFAULTS: &str = r#"
profile = "development"

[server]
bind = "127.0.0.1:8080"
workers = 0
request_head_timeout_ms = 5000
body_timeout_ms = 60000

[database]
url = "sqlite://tremplin.db?mode=rwc"
max_connections = 16
acquire_timeout_ms = 3000
sqlite_busy_timeout_ms = 5000

[auth]
access_token_ttl_secs = 900
refresh_token_ttl_days = 30
invitation_ttl_hours = 168
rate_limit_burst = 20
rate_limit_period_ms = 3000

[jobs]
enabled = true
poll_interval_ms = 500
lease_secs = 120
max_attempts = 5
placement_ttl_days = 7

[reference]
dir = "../shared/data"

[mentoring]
no_meeting_days = 30
proposal_unanswered_days = 14
unpaired_days = 30
minimum_months = 6
minimum_window_days = 14
yearly_target = 200000

[web]
session_idle_minutes = 60
session_absolute_hours = 12

[email]
from = "Tremplin <ne-pas-repondre@tremplin.localhost>"
public_base_url = "http://127.0.0.1:8080"
outbox_dir = "./mail-out"
sender_enabled = true
poll_interval_ms = 2000
batch_size = 20
max_attempts = 10
retry_base_ms = 30000
retry_max_ms = 3600000
lease_ms = 300000
smtp_timeout_ms = 30000
smtp_pool_size = 4
"#;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration could not be read: {0}")]
    Load(#[from] config::ConfigError),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Settings {
    /// Reads the layers; `file` is optional (a missing `tremplin.toml` is fine,
    /// a missing explicitly named file is not).
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        builder = match file {
            Some(path) => builder.add_source(config::File::from(path).required(true)),
            None => builder.add_source(config::File::with_name("tremplin.toml").required(false)),
        };
        builder = builder.add_source(
            config::Environment::with_prefix("TREMPLIN")
                .prefix_separator("__")
                .separator("__"),
        );
        if let Ok(url) = std::env::var("DATABASE_URL") {
            builder = builder.set_override("database.url", url)?;
        }
        if let Ok(url) = std::env::var("SMTP_URL") {
            builder = builder.set_override("email.smtp_url", url)?;
        }
        let settings: Settings = builder.build()?.try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    /// The built-in defaults alone, without file or environment: what tests
    /// and tools start from before setting what they need.
    pub fn defaults() -> Result<Self, ConfigError> {
        Ok(config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
            .build()?
            .try_deserialize()?)
    }

    /// Checks what serde cannot: coherent values and production secrets.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let url = self.database.url.expose_secret();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid(
                "database.url must start with sqlite:, postgres:// or postgresql://".into(),
            ));
        }
        if let Some(secret) = &self.auth.jwt_secret {
            if secret.expose_secret().len() < 32 {
                return Err(ConfigError::Invalid(
                    "auth.jwt_secret must be at least 32 characters".into(),
                ));
            }
        } else if self.profile == Profile::Production {
            return Err(ConfigError::Invalid(
                "the production profile needs an explicit JWT secret: set TREMPLIN__AUTH__JWT_SECRET (32+ characters)".into(),
            ));
        }
        if self.auth.access_token_ttl_secs <= 0 || self.auth.refresh_token_ttl_days <= 0 {
            return Err(ConfigError::Invalid(
                "token lifetimes must be positive".into(),
            ));
        }
        if self.server.request_head_timeout_ms == 0 || self.server.body_timeout_ms == 0 {
            return Err(ConfigError::Invalid(
                "server.request_head_timeout_ms and server.body_timeout_ms must be positive".into(),
            ));
        }
        if self.auth.rate_limit_burst == 0 || self.auth.rate_limit_period_ms == 0 {
            return Err(ConfigError::Invalid(
                "auth.rate_limit_burst and auth.rate_limit_period_ms must be positive".into(),
            ));
        }
        if self.web.session_idle_minutes <= 0 || self.web.session_absolute_hours <= 0 {
            return Err(ConfigError::Invalid(
                "web session lifetimes must be positive".into(),
            ));
        }
        if self.database.max_connections == 0 {
            return Err(ConfigError::Invalid(
                "database.max_connections must be positive".into(),
            ));
        }
        crate::email::check_settings(&self.email).map_err(ConfigError::Invalid)?;
        self.check_mentoring()?;
        Ok(())
    }

    fn check_mentoring(&self) -> Result<(), ConfigError> {
        let m = &self.mentoring;
        if [
            m.no_meeting_days,
            m.proposal_unanswered_days,
            m.unpaired_days,
        ]
        .iter()
        .any(|d| *d <= 0)
            || m.minimum_window_days < 0
            || m.minimum_months == 0
            || m.yearly_target == 0
        {
            return Err(ConfigError::Invalid(
                "mentoring thresholds and yearly_target must be positive".into(),
            ));
        }
        if m.export_secret
            .as_ref()
            .is_some_and(|s| s.expose_secret().len() < 32)
        {
            return Err(ConfigError::Invalid(
                "mentoring.export_secret must be at least 32 characters".into(),
            ));
        }
        Ok(())
    }

    pub fn is_sqlite(&self) -> bool {
        self.database.url.expose_secret().starts_with("sqlite:")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Settings {
        Settings::defaults().expect("built-in defaults deserialize")
    }

    #[test]
    fn defaults_are_valid_and_use_sqlite() {
        let settings = defaults();
        settings.validate().expect("defaults validate");
        assert!(settings.is_sqlite());
    }

    #[test]
    fn production_requires_a_jwt_secret() {
        let mut settings = defaults();
        settings.profile = Profile::Production;
        let err = settings.validate().unwrap_err().to_string();
        assert!(err.contains("TREMPLIN__AUTH__JWT_SECRET"), "{err}");
        settings.auth.jwt_secret = Some(SecretString::from("x".repeat(40)));
        settings.validate().expect("valid with a secret");
    }

    #[test]
    fn mentoring_thresholds_and_export_key_are_checked() {
        let mut settings = defaults();
        settings.mentoring.unpaired_days = 0;
        assert!(settings.validate().is_err());
        settings.mentoring.unpaired_days = 30;
        settings.mentoring.export_secret = Some(SecretString::from("short"));
        let err = settings.validate().unwrap_err().to_string();
        assert!(err.contains("mentoring.export_secret"), "{err}");
        settings.mentoring.export_secret = Some(SecretString::from("k".repeat(32)));
        settings.validate().expect("valid");
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let mut settings = defaults();
        settings.auth.jwt_secret = Some(SecretString::from("super-secret-signing-key-0123456789"));
        settings.database.url = SecretString::from("postgres://u:hunter2@db/x");
        settings.email.smtp_url = Some(SecretString::from("smtp://u:hunter3@mx:587"));
        let printed = format!("{settings:?}");
        assert!(!printed.contains("super-secret"));
        assert!(!printed.contains("hunter2"));
        assert!(!printed.contains("hunter3"));
    }
}
