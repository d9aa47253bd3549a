//! The HTTP surface. Every endpoint is declared once in [`table`]; the same
//! table installs the routes and lists them for the OpenAPI contract test.
mod api_clients;
mod auth;
mod emails;
mod match_requests;
mod meetings;
pub(crate) mod mentees;
mod mentoring;
mod mentoring_stats;
mod mentors;
mod offers;
mod ops;
mod organisations;
mod pairing_alerts;
mod pairing_export;
pub(crate) mod pairings;
pub(crate) mod placements;
pub(crate) mod pupils;
mod reference;
mod stats;

use crate::error::ApiError;
use actix_web::dev::HttpServiceFactory;
use actix_web::http::Method;
use actix_web::{FromRequest, Handler, Responder, Route, web};

/// Routes grouped by path, in registration order (more specific paths first).
#[derive(Default)]
pub struct RouteTable {
    resources: Vec<(&'static str, Vec<(Method, Route)>)>,
}

impl RouteTable {
    pub fn add<F, Args>(&mut self, method: Method, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let route = web::method(method.clone()).to(handler);
        match self.resources.iter_mut().find(|(p, _)| *p == path) {
            Some((_, routes)) => routes.push((method, route)),
            None => self.resources.push((path, vec![(method, route)])),
        }
        self
    }

    /// `(method, path)` of every endpoint, paths in OpenAPI template form.
    pub fn endpoints(&self) -> Vec<(String, String)> {
        self.resources
            .iter()
            .flat_map(|(path, routes)| {
                routes
                    .iter()
                    .map(move |(m, _)| (m.as_str().to_owned(), (*path).to_owned()))
            })
            .collect()
    }

    /// One resource per path; a known path with another method answers 405.
    pub fn into_services(self) -> Vec<impl HttpServiceFactory> {
        self.resources
            .into_iter()
            .map(|(path, routes)| {
                let allowed: Vec<Method> = routes.iter().map(|(m, _)| m.clone()).collect();
                let mut resource = web::resource(path);
                for (_, route) in routes {
                    resource = resource.route(route);
                }
                resource.default_service(web::to(move || {
                    let allowed = allowed.clone();
                    async move { Err::<actix_web::HttpResponse, _>(ApiError::MethodNotAllowed(allowed)) }
                }))
            })
            .collect()
    }
}

/// Every endpoint of the service.
pub fn table() -> RouteTable {
    let mut t = RouteTable::default();
    t.add(Method::GET, "/health/live", ops::live)
        .add(Method::GET, "/health/ready", ops::ready)
        .add(Method::GET, "/metrics", ops::metrics)
        .add(Method::GET, "/openapi.yaml", ops::openapi)
        .add(Method::POST, "/v1/auth/token", auth::token)
        .add(Method::POST, "/v1/auth/refresh", auth::refresh)
        .add(Method::POST, "/v1/auth/logout", auth::logout)
        .add(
            Method::POST,
            "/v1/auth/accept-invitation",
            auth::accept_invitation,
        )
        .add(Method::POST, "/v1/organisations", organisations::create)
        .add(Method::GET, "/v1/organisations", organisations::list)
        .add(Method::GET, "/v1/organisations/{id}", organisations::get)
        .add(
            Method::POST,
            "/v1/organisations/{id}/users",
            organisations::invite_user,
        )
        .add(Method::POST, "/v1/api-clients", api_clients::create)
        .add(Method::GET, "/v1/api-clients", api_clients::list)
        .add(Method::DELETE, "/v1/api-clients/{id}", api_clients::revoke)
        .add(Method::POST, "/v1/offers", offers::create)
        .add(Method::GET, "/v1/offers", offers::list)
        .add(Method::GET, "/v1/offers/search", offers::search)
        .add(
            Method::PUT,
            "/v1/offers/external/{remote_id}",
            offers::upsert_external,
        )
        .add(Method::GET, "/v1/offers/{id}", offers::get)
        .add(Method::PATCH, "/v1/offers/{id}", offers::patch)
        .add(Method::DELETE, "/v1/offers/{id}", offers::archive)
        .add(Method::POST, "/v1/mentors", mentors::create)
        .add(Method::GET, "/v1/mentors", mentors::list)
        .add(Method::GET, "/v1/mentors/{id}", mentors::get)
        .add(Method::PATCH, "/v1/mentors/{id}", mentors::patch)
        .add(Method::DELETE, "/v1/mentors/{id}", mentors::delete)
        .add(Method::POST, "/v1/mentees", mentees::create)
        .add(Method::GET, "/v1/mentees", mentees::list)
        .add(Method::POST, "/v1/mentees/import", mentees::import_csv)
        .add(Method::GET, "/v1/mentees/{id}", mentees::get)
        .add(Method::PATCH, "/v1/mentees/{id}", mentees::patch)
        .add(Method::DELETE, "/v1/mentees/{id}", mentees::erase)
        .add(
            Method::POST,
            "/v1/mentoring/suggestions",
            mentoring::suggestions,
        )
        .add(
            Method::POST,
            "/v1/mentoring/match-runs",
            mentoring::create_run,
        )
        .add(
            Method::GET,
            "/v1/mentoring/match-runs",
            mentoring::list_runs,
        )
        .add(
            Method::GET,
            "/v1/mentoring/match-runs/{id}",
            mentoring::get_run,
        )
        .add(
            Method::POST,
            "/v1/mentoring/match-runs/{id}/publish",
            mentoring::publish_run,
        )
        .add(Method::POST, "/v1/pairings", pairings::create)
        .add(Method::GET, "/v1/pairings", pairings::list)
        .add(Method::GET, "/v1/pairings/alerts", pairing_alerts::list)
        .add(
            Method::GET,
            "/v1/pairings/export.csv",
            pairing_export::export,
        )
        .add(Method::GET, "/v1/pairings/{id}", pairings::get)
        .add(Method::PATCH, "/v1/pairings/{id}", pairings::patch)
        .add(Method::POST, "/v1/pairings/{id}/meetings", meetings::create)
        .add(Method::GET, "/v1/pairings/{id}/meetings", meetings::list)
        .add(Method::POST, "/v1/pupils", pupils::create)
        .add(Method::GET, "/v1/pupils", pupils::list)
        .add(Method::POST, "/v1/pupils/import", pupils::import_csv)
        .add(Method::GET, "/v1/pupils/{id}", pupils::get)
        .add(Method::PATCH, "/v1/pupils/{id}", pupils::patch)
        .add(Method::DELETE, "/v1/pupils/{id}", pupils::erase)
        .add(Method::POST, "/v1/match-requests", match_requests::create)
        .add(Method::GET, "/v1/match-requests", match_requests::list)
        .add(Method::GET, "/v1/match-requests/{id}", match_requests::get)
        .add(
            Method::POST,
            "/v1/match-requests/{id}/cancel",
            match_requests::cancel,
        )
        .add(
            Method::POST,
            "/v1/campaigns",
            match_requests::create_campaign,
        )
        .add(Method::GET, "/v1/campaigns", match_requests::list_campaigns)
        .add(
            Method::GET,
            "/v1/campaigns/{id}",
            match_requests::get_campaign,
        )
        .add(
            Method::POST,
            "/v1/campaigns/{id}/run",
            match_requests::run_campaign,
        )
        .add(Method::GET, "/v1/placements", placements::list)
        .add(Method::GET, "/v1/placements/{id}", placements::get)
        .add(
            Method::POST,
            "/v1/placements/{id}/accept",
            placements::accept,
        )
        .add(
            Method::POST,
            "/v1/placements/{id}/confirm",
            placements::confirm,
        )
        .add(
            Method::POST,
            "/v1/placements/{id}/decline",
            placements::decline,
        )
        .add(Method::GET, "/v1/stats/placements", stats::placements)
        .add(
            Method::GET,
            "/v1/stats/mentoring",
            mentoring_stats::mentoring,
        )
        .add(Method::GET, "/v1/schools", reference::schools)
        .add(Method::GET, "/v1/schools/{uai}", reference::school)
        .add(Method::GET, "/v1/communes/{insee}", reference::commune)
        .add(Method::GET, "/v1/sectors", reference::sectors)
        .add(Method::GET, "/v1/admin/emails", emails::list)
        .add(Method::POST, "/v1/admin/emails/{id}/retry", emails::retry)
        .add(
            Method::GET,
            "/v1/email/unsubscribe",
            emails::unsubscribe_page,
        )
        .add(Method::POST, "/v1/email/unsubscribe", emails::unsubscribe);
    t
}
