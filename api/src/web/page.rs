//! How every page is answered: the whole page, or only its `*_partial`
//! fragment when htmx asks (`HX-Request`), with `Vary: HX-Request` either
//! way so that no cache mixes the two; security headers on each; the
//! header, navigation and footer (the chrome) around the content.
use super::assets::{self, HTMX, STYLESHEET};
use super::error::PageError;
use super::fr;
use super::session::Session;
use crate::domain::Role;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

/// Scripts and styles only from this origin, no frames, forms only to here.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

pub struct Badge {
    pub email: String,
    pub role: &'static str,
}

/// What surrounds every page.
pub struct Chrome {
    pub user: Option<Badge>,
    pub nav: Vec<NavLink>,
    /// The sign-out form's token.
    pub csrf: String,
    pub css: String,
    pub js: String,
}

/// The links of a role's navigation: only pages that exist.
fn links(role: Option<Role>) -> Vec<(&'static str, &'static str)> {
    let mut links = vec![("/", "Accueil")];
    match role {
        Some(Role::Coordinator) => links.push(("/mentorat", "Le programme de mentorat")),
        Some(Role::Company | Role::Admin) => links.push(("/docs", "Documentation de l'API")),
        Some(Role::School) | None => {}
    }
    links
}

impl Chrome {
    /// For a visitor on `path`.
    pub fn new(session: Option<&Session>, path: &str) -> Self {
        let nav = links(session.map(|s| s.role))
            .into_iter()
            .map(|(href, label)| NavLink {
                href,
                label,
                current: href == path,
            })
            .collect();
        Self {
            user: session.map(|s| Badge {
                email: s.user.email.clone(),
                role: fr::role(s.role),
            }),
            nav,
            csrf: session.map(Session::csrf_token).unwrap_or_default(),
            css: assets::url(STYLESHEET),
            js: assets::url(HTMX),
        }
    }

    /// For pages drawn without knowing the visitor (errors).
    pub fn anonymous() -> Self {
        Self::new(None, "")
    }
}

#[derive(Template)]
#[template(path = "layout.html")]
struct Layout<'a> {
    title: &'a str,
    chrome: &'a Chrome,
    content: &'a str,
}

/// What htmx swaps in: the fragment, and a `<title>` htmx moves to the document.
#[derive(Template)]
#[template(path = "fragment.html")]
struct Fragment<'a> {
    title: &'a str,
    content: &'a str,
}

pub(super) fn is_htmx(req: &HttpRequest) -> bool {
    req.headers()
        .get("hx-request")
        .is_some_and(|v| v.as_bytes() == b"true")
}

fn respond(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::VARY, "HX-Request"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        // An invitation token in a URL never leaves in a Referer.
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .body(body)
}

/// The whole page, whoever asks.
pub fn html(
    status: StatusCode,
    chrome: &Chrome,
    title: &str,
    partial: &impl Template,
) -> Result<HttpResponse, PageError> {
    let content = partial.render()?;
    let body = Layout {
        title,
        chrome,
        content: &content,
    }
    .render()?;
    Ok(respond(status, body))
}

/// The page, or its fragment for htmx.
pub fn page(
    req: &HttpRequest,
    status: StatusCode,
    chrome: &Chrome,
    title: &str,
    partial: &impl Template,
) -> Result<HttpResponse, PageError> {
    if !is_htmx(req) {
        return html(status, chrome, title, partial);
    }
    let content = partial.render()?;
    let body = Fragment {
        title,
        content: &content,
    }
    .render()?;
    Ok(respond(status, body))
}

/// A 303 to `location` (after a form), with cookies to set.
pub fn see_other(location: &str, cookies: &[String]) -> HttpResponse {
    let mut response = HttpResponse::SeeOther();
    response
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    for cookie in cookies {
        response.append_header((header::SET_COOKIE, cookie.as_str()));
    }
    response.finish()
}
