//! The web pages, served by the same process as the API: server-rendered
//! from compile-time-checked templates (`api/templates/`), in French, each
//! working without JavaScript; htmx (vendored, pinned) only makes them
//! smoother. Pages call the same functions as the JSON routes (accounts,
//! stores, the routes' own scoping), never the API over HTTP.
//!
//! People sign in with a session cookie (`session`), never a bearer token;
//! every form that changes something is checked for its CSRF token (`csrf`).
mod assets;
mod cookie;
mod csrf;
mod docs;
mod error;
pub mod fr;
mod page;
mod public;
mod records;
mod retour;
mod session;
mod sign_in;

pub use assets::HTMX_SHA256;
pub use error::PageError;
pub use session::SessionConfig;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

/// The pages and their files. Each path is one resource, so a wrong
/// method answers 405 rather than falling through.
pub fn routes(cfg: &mut web::ServiceConfig) {
    let get = web::get;
    cfg.service(web::resource("/").route(get().to(public::home)))
        .service(
            web::resource("/connexion")
                .route(get().to(sign_in::form))
                .route(web::post().to(sign_in::submit)),
        )
        .service(web::resource("/deconnexion").route(web::post().to(sign_in::sign_out)))
        .service(
            web::resource("/invitation")
                .route(get().to(sign_in::invitation))
                .route(web::post().to(sign_in::accept)),
        )
        .service(web::resource("/placements/{id}").route(get().to(records::placement)))
        .service(web::resource("/pairings/{id}").route(get().to(records::pairing)))
        .service(web::resource("/mentorat").route(get().to(public::mentoring)))
        .service(web::resource("/accessibilite").route(get().to(public::accessibility)))
        .service(web::resource("/mentions-legales").route(get().to(public::legal)))
        .service(web::resource("/donnees-personnelles").route(get().to(public::privacy)))
        .service(web::resource("/docs").route(get().to(docs::reference)))
        .service(web::resource("/static/{version}/{name}").route(get().to(assets::serve)));
}

/// Unknown paths: a page for a browser, problem+json for the API and its
/// clients.
pub async fn fallback(req: HttpRequest) -> HttpResponse {
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if wants_html && !req.path().starts_with("/v1/") {
        PageError::NotFound.error_response()
    } else {
        crate::error::ApiError::NotFound("no resource at this path".into()).error_response()
    }
}

/// The fields a form refused, each with its message in French, in the
/// order of the form.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = &(&'static str, String)> {
        self.0.iter()
    }
}
