//! What a page answers when it cannot show what was asked: a page in
//! French, never a problem+json body, never a stack trace.
use super::page::{Chrome, html};
use crate::error::ApiError;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// Also another organisation's record: nothing says it exists.
    #[error("not found")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// A form without its token, or with a wrong one: nothing was done.
    #[error("CSRF token missing or wrong")]
    CsrfRefused,
    /// Not signed in (or the session ended): to the sign-in page, then back.
    #[error("sign-in required")]
    SignInRequired {
        retour: String,
        /// Drops the cookie of an ended session.
        clear_cookie: Option<String>,
        /// htmx follows a 303 inside the page: it is told to leave the page
        /// instead (`HX-Redirect` on a 401).
        htmx: bool,
    },
    #[error("too many attempts")]
    RateLimited { retry_after_secs: u64 },
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("database unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl From<ApiError> for PageError {
    fn from(err: ApiError) -> Self {
        match err {
            ApiError::NotFound(_) => PageError::NotFound,
            ApiError::Forbidden(_) => {
                PageError::Forbidden("Cette page n'est pas ouverte à votre rôle.".into())
            }
            ApiError::RateLimited { retry_after_secs } => {
                PageError::RateLimited { retry_after_secs }
            }
            ApiError::Unavailable => PageError::Unavailable,
            ApiError::Internal(e) => PageError::Internal(e),
            other => PageError::BadRequest(other.to_string()),
        }
    }
}

impl From<sea_orm::DbErr> for PageError {
    fn from(err: sea_orm::DbErr) -> Self {
        ApiError::from(err).into()
    }
}

impl From<askama::Error> for PageError {
    fn from(err: askama::Error) -> Self {
        PageError::Internal(err.into())
    }
}

impl From<crate::account::AccountError> for PageError {
    fn from(err: crate::account::AccountError) -> Self {
        ApiError::from(err).into()
    }
}

#[derive(Template)]
#[template(path = "error_partial.html")]
struct ErrorPartial<'a> {
    heading: &'a str,
    message: &'a str,
}

impl PageError {
    fn words(&self) -> (&'static str, String) {
        match self {
            PageError::NotFound => (
                "Page introuvable",
                "Cette page n'existe pas, ou elle ne concerne pas votre organisation. \
                 Vérifiez l'adresse, ou repartez de l'accueil."
                    .into(),
            ),
            PageError::Forbidden(message) => ("Accès refusé", message.clone()),
            PageError::CsrfRefused => (
                "Formulaire expiré",
                "Ce formulaire a expiré ou ne vient pas de Tremplin : rien n'a été enregistré. \
                 Revenez à la page précédente, rechargez-la, puis recommencez."
                    .into(),
            ),
            PageError::SignInRequired { .. } => (
                "Connexion nécessaire",
                "Connectez-vous pour voir cette page.".into(),
            ),
            PageError::RateLimited { retry_after_secs } => (
                "Trop de tentatives",
                format!(
                    "Trop de tentatives depuis votre connexion. Attendez {retry_after_secs} \
                     seconde{} avant de réessayer.",
                    if *retry_after_secs > 1 { "s" } else { "" }
                ),
            ),
            PageError::BadRequest(_) => (
                "Demande illisible",
                "La demande envoyée n'a pas pu être lue. Revenez à la page précédente et \
                 recommencez."
                    .into(),
            ),
            PageError::Unavailable => (
                "Service momentanément indisponible",
                "Le service ne peut pas répondre pour l'instant. Réessayez dans quelques instants."
                    .into(),
            ),
            PageError::Internal(_) => (
                "Erreur du service",
                "Une erreur inattendue s'est produite ; elle a été enregistrée. \
                 Réessayez dans un moment."
                    .into(),
            ),
        }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::Forbidden(_) | PageError::CsrfRefused => StatusCode::FORBIDDEN,
            PageError::SignInRequired { htmx: true, .. } => StatusCode::UNAUTHORIZED,
            PageError::SignInRequired { .. } => StatusCode::SEE_OTHER,
            PageError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            PageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PageError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            PageError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            PageError::Internal(err) => tracing::error!(error = ?err, "page failed"),
            PageError::CsrfRefused => tracing::warn!("form refused: CSRF token missing or wrong"),
            _ => {}
        }
        if let PageError::SignInRequired {
            retour,
            clear_cookie,
            htmx,
        } = self
        {
            let target = super::retour::sign_in_url(retour);
            let mut response = if *htmx {
                let mut r = HttpResponse::Unauthorized();
                r.insert_header(("HX-Redirect", target));
                r
            } else {
                let mut r = HttpResponse::SeeOther();
                r.insert_header((header::LOCATION, target));
                r
            };
            response.insert_header((header::CACHE_CONTROL, "no-store"));
            if let Some(cookie) = clear_cookie {
                response.insert_header((header::SET_COOKIE, cookie.as_str()));
            }
            return response.finish();
        }
        let (heading, message) = self.words();
        let partial = ErrorPartial {
            heading,
            message: &message,
        };
        let mut response = match html(self.status_code(), &Chrome::anonymous(), heading, &partial) {
            Ok(response) => response,
            // The page could not be drawn: say it plainly.
            Err(_) => HttpResponse::build(self.status_code())
                .content_type("text/plain; charset=utf-8")
                .body(message),
        };
        let retry_after = match self {
            PageError::RateLimited { retry_after_secs } => Some(retry_after_secs.to_string()),
            PageError::Unavailable => Some("5".to_owned()),
            _ => None,
        };
        if let Some(seconds) = retry_after
            && let Ok(value) = header::HeaderValue::from_str(&seconds)
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}
