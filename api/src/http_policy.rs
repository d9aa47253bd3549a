//! Rules every answer follows, whatever the route: a URL holding a NUL
//! character is refused before any handler, and the security headers
//! (`nosniff`, `no-store`, a strict CSP on HTML) are set on the way out.
use crate::error::ApiError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};

/// Open reference data, the same for everyone: the only answers a cache
/// may keep. Everything else may name a person or hold a secret (pupils,
/// mentees, mentors, placements, pairings, the State export, tokens).
const CACHEABLE_ROUTES: [&str; 5] = [
    "/v1/schools",
    "/v1/schools/{uai}",
    "/v1/communes/{insee}",
    "/v1/sectors",
    "/openapi.yaml",
];

/// The policy of every HTML answer: nothing loads, nothing frames it, its
/// forms post only to this origin.
pub const HTML_CSP: &str =
    "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// 400 for a path or query value holding a NUL character (`%00`): no
/// identifier, token or filter has one, PostgreSQL cannot store one in text,
/// and refusing it here covers every route, present and future.
pub async fn refuse_nul_in_url(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if let Some(problem) = nul_in_url(req.uri().path(), req.uri().query().unwrap_or("")) {
        let response = ApiError::BadRequest(problem).error_response();
        return Ok(req.into_response(response).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// Where a NUL sits in the URL, said for the client. `%00` is the only way a
/// NUL reaches a URL: the request line itself cannot carry one.
fn nul_in_url(path: &str, query: &str) -> Option<String> {
    if path.contains("%00") {
        return Some("the path contains a NUL character (%00)".into());
    }
    if !query.contains("%00") {
        return None;
    }
    let name = query
        .split('&')
        .find_map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (name.contains("%00") || value.contains("%00")).then_some(name)
        })
        .unwrap_or_default();
    Some(format!(
        "the query parameter '{}' contains a NUL character (%00)",
        name.replace("%00", "")
    ))
}

/// Security headers on every answer the application makes (actix's own
/// answers to unparsable requests come before any middleware).
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let cacheable = req
        .match_pattern()
        .is_some_and(|p| CACHEABLE_ROUTES.contains(&p.as_str()));
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !cacheable && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(HTML_CSP),
            );
        }
        // Pages such as the unsubscribe one carry a token in their URL; a
        // page that chose its own policy (the web pages: same-origin) keeps it.
        if !headers.contains_key(header::REFERRER_POLICY) {
            headers.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            );
        }
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::nul_in_url;

    #[test]
    fn names_where_the_nul_is() {
        assert_eq!(nul_in_url("/v1/schools", "departement=093"), None);
        assert_eq!(nul_in_url("/v1/schools", "departement=%2500"), None);
        assert_eq!(
            nul_in_url("/v1/schools", "limit=2&departement=9%003").as_deref(),
            Some("the query parameter 'departement' contains a NUL character (%00)")
        );
        assert!(nul_in_url("/v1/offers/external/a%00b", "").is_some());
    }
}
