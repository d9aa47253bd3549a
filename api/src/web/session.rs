//! Sessions of people using the pages: a random id in an HttpOnly cookie,
//! its SHA-256 digest in `web_session` with the user, the CSRF secret, an
//! idle and an absolute expiry. The bearer API never reads this cookie and
//! the pages never read a bearer token: the two stay apart.
use super::cookie::{CookiePolicy, SESSION};
use super::error::PageError;
use crate::auth::{SubjectKind, hash_secret, new_secret};
use crate::configuration::{Profile, Settings};
use crate::domain::Role;
use crate::extract::Caller;
use crate::startup::AppState;
use crate::store::web_sessions::{self, NewSession};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use chrono::{Duration, Utc};
use entity::user;
use futures::future::LocalBoxFuture;
use uuid::Uuid;

/// How long `last_seen_at` may lag: the idle expiry is this coarse, and a
/// busy page costs no write per request.
const TOUCH_EVERY: Duration = Duration::minutes(1);

#[derive(Debug, Clone)]
pub struct SessionConfig {
    pub idle: Duration,
    pub absolute: Duration,
    pub cookies: CookiePolicy,
}

impl SessionConfig {
    /// Cookies are `Secure` in production and whenever the public address
    /// is HTTPS (behind a proxy that ends TLS, the server itself sees HTTP).
    pub fn new(settings: &Settings) -> Self {
        let https = settings
            .email
            .public_base_url
            .to_ascii_lowercase()
            .starts_with("https://");
        Self {
            idle: Duration::minutes(settings.web.session_idle_minutes),
            absolute: Duration::hours(settings.web.session_absolute_hours),
            cookies: CookiePolicy {
                secure: https || settings.profile == Profile::Production,
            },
        }
    }
}

/// A signed-in person, as read from the database at this request: a role
/// or organisation changed since sign-in applies at once.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: Uuid,
    pub user: user::Model,
    pub role: Role,
    csrf_secret: String,
}

impl Session {
    /// The same caller the API would see with this person's token, for the
    /// same scoping.
    pub fn caller(&self) -> Caller {
        Caller {
            id: self.user.id,
            role: self.role,
            org: self.user.organisation_id,
            kind: SubjectKind::User,
        }
    }

    /// A fresh (masked) token for this session's forms.
    pub fn csrf_token(&self) -> String {
        super::csrf::mask(&self.csrf_secret)
    }

    pub(super) fn csrf_secret(&self) -> &str {
        &self.csrf_secret
    }
}

pub(super) enum Found {
    /// No session cookie.
    None,
    /// A cookie whose session ended (expired, signed out, user deleted).
    Ended,
    Valid(Box<Session>),
}

pub(super) fn state(req: &HttpRequest) -> Result<web::Data<AppState>, PageError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| PageError::Internal(anyhow::anyhow!("application state missing")))
}

pub(super) async fn find(state: &AppState, req: &HttpRequest) -> Result<Found, PageError> {
    let Some(id) = state.web.cookies.read(req, SESSION) else {
        return Ok(Found::None);
    };
    let Some((row, user)) = web_sessions::find(&state.db, &hash_secret(&id)).await? else {
        return Ok(Found::Ended);
    };
    let now = Utc::now();
    if row.expires_at <= now || row.last_seen_at + state.web.idle <= now {
        web_sessions::delete(&state.db, row.id).await?;
        return Ok(Found::Ended);
    }
    let role = Role::parse(&user.role).map_err(|e| PageError::Internal(e.into()))?;
    web_sessions::touch(&state.db, row.id, now, now - TOUCH_EVERY).await?;
    Ok(Found::Valid(Box::new(Session {
        id: row.id,
        user,
        role,
        csrf_secret: row.csrf_secret,
    })))
}

/// Opens a session for `user` and answers its `Set-Cookie`. A session the
/// browser had before is ended first: an id set before sign-in (by anyone)
/// never becomes a signed-in one.
pub async fn open(
    state: &AppState,
    req: &HttpRequest,
    user: &user::Model,
) -> Result<String, PageError> {
    let cfg = &state.web;
    if let Some(previous) = cfg.cookies.read(req, SESSION) {
        web_sessions::delete_by_hash(&state.db, &hash_secret(&previous)).await?;
    }
    let now = Utc::now();
    web_sessions::delete_expired(&state.db, now, now - cfg.idle).await?;
    let id = new_secret();
    web_sessions::insert(
        &state.db,
        NewSession {
            token_hash: hash_secret(&id),
            user_id: user.id,
            csrf_secret: new_secret(),
            now,
            expires_at: now + cfg.absolute,
        },
    )
    .await?;
    Ok(cfg.cookies.set(SESSION, &id, cfg.absolute.num_seconds()))
}

/// Ends the session server-side and answers the `Set-Cookie` that drops it.
pub async fn close(state: &AppState, session: &Session) -> Result<String, PageError> {
    web_sessions::delete(&state.db, session.id).await?;
    Ok(state.web.cookies.clear(SESSION))
}

/// Whoever is visiting: signed in or not (an ended session counts as not).
pub struct Visitor(pub Option<Session>);

impl FromRequest for Visitor {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = state(&req)?;
            match find(&state, &req).await? {
                Found::Valid(session) => Ok(Visitor(Some(*session))),
                Found::None | Found::Ended => Ok(Visitor(None)),
            }
        })
    }
}

/// A signed-in person; anyone else is sent to the sign-in page, which
/// brings them back here afterwards.
pub struct SignedIn(pub Session);

impl FromRequest for SignedIn {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = state(&req)?;
            match find(&state, &req).await? {
                Found::Valid(session) => Ok(SignedIn(*session)),
                found => Err(PageError::SignInRequired {
                    retour: super::retour::of_request(&req),
                    clear_cookie: matches!(found, Found::Ended)
                        .then(|| state.web.cookies.clear(SESSION)),
                    htmx: super::page::is_htmx(&req),
                }),
            }
        })
    }
}
