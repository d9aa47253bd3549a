//! The `tremplin` command line.
use crate::auth::hash_password;
use crate::configuration::Settings;
use crate::domain::{Email, Role};
use crate::reference;
use crate::startup::{Application, connect_and_migrate};
use crate::store::{organisations, users};
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use secrecy::SecretString;
use std::io::BufRead;
use std::path::PathBuf;
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(
    name = "tremplin",
    version,
    about = "Fair placement and mentoring matches for French collège pupils"
)]
pub struct Cli {
    /// TOML configuration file (default: ./tremplin.toml when present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Database URL, overriding the configuration (sqlite://... or postgres://...).
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate the database, load reference data if missing, and serve the API.
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port).
        #[arg(long)]
        bind: Option<String>,
    },
    /// Bring the database schema up to date.
    Migrate,
    /// Administration tasks.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Import (or re-import) the collèges and communes reference files.
    ImportReference {
        /// Folder holding colleges_fr.csv and communes_fr.csv.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Seed two départements on a fresh SQLite database through the API,
    /// run a campaign in each and report exact engine vs greedy baseline.
    Demo(crate::demo::DemoArgs),
    /// Benchmarks of the matching engine and of the offer search.
    #[command(subcommand)]
    Bench(crate::bench::BenchCommand),
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create a user with a password (read from stdin unless --password).
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "admin")]
        role: String,
        /// Organisation of a non-admin user.
        #[arg(long)]
        organisation: Option<Uuid>,
        /// Password; prefer stdin so it stays out of the shell history.
        #[arg(long)]
        password: Option<String>,
    },
    /// Send a test e-mail now with the configured transport (not through
    /// the outbox), and explain what to fix when it fails.
    SendTestEmail {
        /// Recipient address.
        #[arg(long)]
        to: String,
    },
}

impl Cli {
    fn settings(&self) -> anyhow::Result<Settings> {
        let mut settings = Settings::load(self.config.as_deref())?;
        if let Some(url) = &self.database_url {
            settings.database.url = SecretString::from(url.clone());
            settings.validate()?;
        }
        Ok(settings)
    }

    /// The log filter when `RUST_LOG` is unset: the demo's report and
    /// progress bars are not to drown in request logs.
    pub fn default_log_filter(&self) -> &'static str {
        match self.command {
            Command::Demo(_) => "warn",
            _ => "info,sqlx=warn,sea_orm=warn",
        }
    }

    pub async fn run(self) -> anyhow::Result<()> {
        let this = match self.command {
            // Benchmarks read no configuration: they build their own data.
            Command::Bench(command) => return crate::bench::run(command).await,
            command => Cli { command, ..self },
        };
        this.run_configured().await
    }

    async fn run_configured(self) -> anyhow::Result<()> {
        if let Command::Demo(args) = &self.command {
            let report = crate::demo::run(args, self.database_url.as_deref()).await?;
            println!("{report}");
            return Ok(());
        }
        let mut settings = self.settings()?;
        match self.command {
            // Run above, before any configuration file is read.
            Command::Demo(_) | Command::Bench(_) => {}
            Command::Serve { bind } => {
                if let Some(bind) = bind {
                    settings.server.bind = bind;
                }
                let app = Application::build(settings).await?;
                println!("listening on http://{}", app.address());
                app.run_until_stopped().await?;
            }
            Command::Migrate => {
                connect_and_migrate(&settings.database).await?;
                println!("database schema is up to date");
            }
            Command::ImportReference { dir } => {
                let dir = dir.unwrap_or(settings.reference.dir.clone());
                let db = connect_and_migrate(&settings.database).await?;
                let report = reference::import_dir(&db, &dir)
                    .await
                    .with_context(|| format!("importing reference data from {}", dir.display()))?;
                print!("{report}");
            }
            Command::Admin(AdminCommand::SendTestEmail { to }) => {
                let to = Email::parse(&to).map_err(|e| anyhow::anyhow!("--to: {e}"))?;
                match crate::email::send_test_email(&settings.email, to.as_str()).await {
                    Ok(done) => println!("test e-mail to {to}: {done}"),
                    Err(explained) => bail!("the test e-mail to {to} was not sent: {explained}"),
                }
            }
            Command::Admin(AdminCommand::CreateUser {
                email,
                role,
                organisation,
                password,
            }) => {
                let db = connect_and_migrate(&settings.database).await?;
                let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
                let role = Role::parse(&role).map_err(|e| anyhow::anyhow!("--role: {e}"))?;
                match (role, organisation) {
                    (Role::Admin, Some(_)) => bail!("an admin belongs to no organisation"),
                    (Role::Admin, None) => {}
                    (_, None) => bail!("a {role} user needs --organisation ID"),
                    (_, Some(id)) => {
                        let org = organisations::find(&db, id)
                            .await?
                            .with_context(|| format!("no organisation {id}"))?;
                        let kind = crate::domain::OrganisationKind::parse(&org.kind)?;
                        if kind.member_role() != role {
                            bail!(
                                "a member of a {kind} organisation has the role {}",
                                kind.member_role()
                            );
                        }
                    }
                }
                let password = match password {
                    Some(p) => p,
                    None => {
                        eprintln!("password (one line on stdin):");
                        let mut line = String::new();
                        std::io::stdin().lock().read_line(&mut line)?;
                        line.trim_end_matches(['\r', '\n']).to_owned()
                    }
                };
                crate::account::check_password(&password)?;
                let user = users::insert(
                    &db,
                    users::NewUser {
                        organisation_id: organisation,
                        email: email.into_string(),
                        role: role.as_str().to_owned(),
                        password_hash: Some(hash_password(&password)?),
                        invitation_hash: None,
                        invitation_expires_at: None,
                    },
                )
                .await
                .map_err(|e| match e.sql_err() {
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                        anyhow::anyhow!("a user with this e-mail already exists")
                    }
                    _ => e.into(),
                })?;
                println!("created {} user {} ({})", user.role, user.email, user.id);
            }
        }
        Ok(())
    }
}
