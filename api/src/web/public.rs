//! The home page (a welcome for each role for now; the dashboards come
//! next) and the public pages: the mentoring programme, accessibility,
//! legal notice, personal data. No personal data on the public pages.
use super::error::PageError;
use super::page::{Chrome, page};
use super::session::Visitor;
use crate::domain::Role;
use crate::startup::AppState;
use crate::store::organisations;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

#[derive(Template)]
#[template(path = "welcome_partial.html")]
struct WelcomePartial;

#[derive(Template)]
#[template(path = "home_partial.html")]
struct HomePartial {
    role: Role,
    organisation: Option<String>,
}

pub async fn home(
    state: web::Data<AppState>,
    req: HttpRequest,
    Visitor(visitor): Visitor,
) -> Result<HttpResponse, PageError> {
    let chrome = Chrome::new(visitor.as_ref(), "/");
    let Some(session) = visitor else {
        return page(&req, StatusCode::OK, &chrome, "Accueil", &WelcomePartial);
    };
    let organisation = match session.user.organisation_id {
        Some(id) => organisations::find(&state.db, id).await?.map(|o| o.name),
        None => None,
    };
    let partial = HomePartial {
        role: session.role,
        organisation,
    };
    page(&req, StatusCode::OK, &chrome, "Accueil", &partial)
}

#[derive(Template)]
#[template(path = "mentoring_partial.html")]
struct MentoringPartial {
    no_meeting_days: i64,
    minimum_months: u32,
}

pub async fn mentoring(
    state: web::Data<AppState>,
    req: HttpRequest,
    Visitor(visitor): Visitor,
) -> Result<HttpResponse, PageError> {
    let chrome = Chrome::new(visitor.as_ref(), "/mentorat");
    let partial = MentoringPartial {
        no_meeting_days: state.mentoring.no_meeting_days,
        minimum_months: state.mentoring.minimum_months,
    };
    page(
        &req,
        StatusCode::OK,
        &chrome,
        "Le programme « 1 jeune, 1 mentor »",
        &partial,
    )
}

#[derive(Template)]
#[template(path = "accessibility_partial.html")]
struct AccessibilityPartial;

pub async fn accessibility(
    req: HttpRequest,
    Visitor(visitor): Visitor,
) -> Result<HttpResponse, PageError> {
    let chrome = Chrome::new(visitor.as_ref(), "/accessibilite");
    page(
        &req,
        StatusCode::OK,
        &chrome,
        "Déclaration d'accessibilité",
        &AccessibilityPartial,
    )
}

#[derive(Template)]
#[template(path = "legal_partial.html")]
struct LegalPartial;

pub async fn legal(req: HttpRequest, Visitor(visitor): Visitor) -> Result<HttpResponse, PageError> {
    let chrome = Chrome::new(visitor.as_ref(), "/mentions-legales");
    page(
        &req,
        StatusCode::OK,
        &chrome,
        "Mentions légales",
        &LegalPartial,
    )
}

#[derive(Template)]
#[template(path = "privacy_partial.html")]
struct PrivacyPartial {
    idle_minutes: i64,
    absolute_hours: i64,
}

pub async fn privacy(
    state: web::Data<AppState>,
    req: HttpRequest,
    Visitor(visitor): Visitor,
) -> Result<HttpResponse, PageError> {
    let chrome = Chrome::new(visitor.as_ref(), "/donnees-personnelles");
    let partial = PrivacyPartial {
        idle_minutes: state.web.idle.num_minutes(),
        absolute_hours: state.web.absolute.num_hours(),
    };
    page(
        &req,
        StatusCode::OK,
        &chrome,
        "Données personnelles",
        &partial,
    )
}
