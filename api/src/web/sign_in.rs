//! `/connexion`, `/deconnexion` and `/invitation`: the same password check,
//! password rule, invitation rules and rate limit as `POST /v1/auth/token`
//! and `POST /v1/auth/accept-invitation` (the `account` module), with a
//! session cookie instead of tokens.
use super::csrf::{self, PreSessionForm, SessionForm};
use super::error::PageError;
use super::page::{Chrome, page, see_other};
use super::retour;
use super::session::{self, Visitor};
use super::{FieldErrors, fr};
use crate::account::{self, AccountError};
use crate::startup::AppState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

fn rate_limit(state: &AppState, req: &HttpRequest) -> Result<(), PageError> {
    let Some(ip) = req.peer_addr().map(|a| a.ip()) else {
        return Ok(());
    };
    state
        .limiter
        .check(ip)
        .map_err(|retry_after_secs| PageError::RateLimited { retry_after_secs })
}

/// Sets the pre-session cookie on a form page that needed one.
fn with_cookie(mut response: HttpResponse, cookie: Option<String>) -> HttpResponse {
    if let Some(cookie) = cookie
        && let Ok(value) = header::HeaderValue::from_str(&cookie)
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[derive(Template)]
#[template(path = "sign_in_partial.html")]
struct SignInPartial<'a> {
    csrf: String,
    retour: &'a str,
    email: &'a str,
    errors: FieldErrors,
    /// Wrong e-mail or password: said once, for both fields.
    refused: bool,
    signed_out: bool,
}

#[derive(Deserialize)]
pub struct SignInQuery {
    retour: Option<String>,
    etat: Option<String>,
}

pub async fn form(
    state: web::Data<AppState>,
    req: HttpRequest,
    Visitor(visitor): Visitor,
    query: web::Query<SignInQuery>,
) -> Result<HttpResponse, PageError> {
    let retour = retour::sanitize(query.retour.as_deref());
    if visitor.is_some() {
        return Ok(see_other(&retour, &[]));
    }
    let (secret, cookie) = csrf::pre_session(&state, &req);
    let partial = SignInPartial {
        csrf: csrf::mask(&secret),
        retour: &retour,
        email: "",
        errors: FieldErrors::default(),
        refused: false,
        signed_out: query.etat.as_deref() == Some("deconnecte"),
    };
    let chrome = Chrome::new(None, "/connexion");
    let response = page(&req, StatusCode::OK, &chrome, "Connexion", &partial)?;
    Ok(with_cookie(response, cookie))
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    retour: Option<String>,
}

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    PreSessionForm(form): PreSessionForm<SignInForm>,
) -> Result<HttpResponse, PageError> {
    rate_limit(&state, &req)?;
    let retour = retour::sanitize(form.retour.as_deref());
    let email = form.email.trim();
    let mut errors = FieldErrors::default();
    if email.is_empty() {
        errors.add("email", "Saisissez votre adresse e-mail.");
    }
    if form.password.is_empty() {
        errors.add("password", "Saisissez votre mot de passe.");
    }
    let user = if errors.is_empty() {
        account::verify_sign_in(&state.db, email, form.password).await?
    } else {
        None
    };
    let Some(user) = user else {
        let status = if errors.is_empty() {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let (secret, cookie) = csrf::pre_session(&state, &req);
        let partial = SignInPartial {
            csrf: csrf::mask(&secret),
            retour: &retour,
            email,
            refused: errors.is_empty(),
            errors,
            signed_out: false,
        };
        let chrome = Chrome::new(None, "/connexion");
        let response = page(&req, status, &chrome, "Connexion", &partial)?;
        return Ok(with_cookie(response, cookie));
    };
    let cookie = session::open(&state, &req, &user).await?;
    Ok(see_other(&retour, &[cookie]))
}

#[derive(Deserialize)]
pub struct NoFields {}

pub async fn sign_out(
    state: web::Data<AppState>,
    SessionForm {
        session,
        form: NoFields {},
    }: SessionForm<NoFields>,
) -> Result<HttpResponse, PageError> {
    let cookie = session::close(&state, &session).await?;
    Ok(see_other("/connexion?etat=deconnecte", &[cookie]))
}

#[derive(Template)]
#[template(path = "invitation_partial.html")]
struct InvitationPartial<'a> {
    csrf: String,
    token: &'a str,
    email: &'a str,
    errors: FieldErrors,
}

/// Why an invitation link no longer works, in plain words.
#[derive(Template)]
#[template(path = "invitation_invalid_partial.html")]
struct InvitationInvalid {
    expired_at: Option<String>,
}

fn invalid(
    req: &HttpRequest,
    visitor: Option<&session::Session>,
    err: AccountError,
) -> Result<HttpResponse, PageError> {
    let expired_at = match err {
        AccountError::InvitationExpired { at } => Some(fr::date_time(at)),
        AccountError::InvitationUnknown => None,
        other => return Err(other.into()),
    };
    let chrome = Chrome::new(visitor, "/invitation");
    let partial = InvitationInvalid { expired_at };
    page(
        req,
        StatusCode::GONE,
        &chrome,
        "Lien d'invitation",
        &partial,
    )
}

#[derive(Deserialize)]
pub struct InvitationQuery {
    token: Option<String>,
}

pub async fn invitation(
    state: web::Data<AppState>,
    req: HttpRequest,
    Visitor(visitor): Visitor,
    query: web::Query<InvitationQuery>,
) -> Result<HttpResponse, PageError> {
    let token = query.token.as_deref().unwrap_or_default();
    let user = match account::pending_invitation(&state.db, token, chrono::Utc::now()).await {
        Ok(user) => user,
        Err(err) => return invalid(&req, visitor.as_ref(), err),
    };
    let (secret, cookie) = csrf::pre_session(&state, &req);
    let partial = InvitationPartial {
        csrf: csrf::mask(&secret),
        token,
        email: &user.email,
        errors: FieldErrors::default(),
    };
    let chrome = Chrome::new(visitor.as_ref(), "/invitation");
    let response = page(
        &req,
        StatusCode::OK,
        &chrome,
        "Choisir votre mot de passe",
        &partial,
    )?;
    Ok(with_cookie(response, cookie))
}

#[derive(Deserialize)]
pub struct InvitationForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirmation: String,
}

pub async fn accept(
    state: web::Data<AppState>,
    req: HttpRequest,
    PreSessionForm(form): PreSessionForm<InvitationForm>,
) -> Result<HttpResponse, PageError> {
    rate_limit(&state, &req)?;
    let mut errors = FieldErrors::default();
    if let Err(e) = account::check_password(&form.password) {
        errors.add("password", fr::password_error(e));
    } else if form.password != form.confirmation {
        errors.add(
            "confirmation",
            "Les deux mots de passe saisis sont différents.",
        );
    }
    if errors.is_empty() {
        match account::accept_invitation(&state.db, &form.token, form.password).await {
            Ok(user) => {
                let cookie = session::open(&state, &req, &user).await?;
                return Ok(see_other("/", &[cookie]));
            }
            Err(
                err @ (AccountError::InvitationUnknown | AccountError::InvitationExpired { .. }),
            ) => {
                return invalid(&req, None, err);
            }
            Err(other) => return Err(other.into()),
        }
    }
    let user = match account::pending_invitation(&state.db, &form.token, chrono::Utc::now()).await {
        Ok(user) => user,
        Err(err) => return invalid(&req, None, err),
    };
    let (secret, cookie) = csrf::pre_session(&state, &req);
    let partial = InvitationPartial {
        csrf: csrf::mask(&secret),
        token: &form.token,
        email: &user.email,
        errors,
    };
    let chrome = Chrome::new(None, "/invitation");
    let response = page(
        &req,
        StatusCode::UNPROCESSABLE_ENTITY,
        &chrome,
        "Choisir votre mot de passe",
        &partial,
    )?;
    Ok(with_cookie(response, cookie))
}
