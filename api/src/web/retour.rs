//! `?retour=`: the page to go back to after sign-in. Only a path of this
//! site is followed, so the sign-in page cannot be used to send someone to
//! another site (`//evil.example`, `/\evil.example`, `https://…`).
use actix_web::HttpRequest;
use actix_web::http::Method;

const MAX_LEN: usize = 2000;

/// Whether `path` is a relative path of this site worth going back to.
pub fn is_safe(path: &str) -> bool {
    path.len() <= MAX_LEN
        && path.starts_with('/')
        && !path.starts_with("//")
        && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
        && !["/connexion", "/deconnexion", "/static/"]
            .iter()
            .any(|p| path.starts_with(p))
}

/// `raw` if it is safe, else the home page.
pub fn sanitize(raw: Option<&str>) -> String {
    match raw {
        Some(path) if is_safe(path) => path.to_owned(),
        _ => "/".to_owned(),
    }
}

/// The page being asked for, to come back to (a form's target is not: the
/// form would be lost, so a POST comes back to the home page).
pub fn of_request(req: &HttpRequest) -> String {
    if req.method() != Method::GET {
        return "/".to_owned();
    }
    let uri = req.uri();
    sanitize(uri.path_and_query().map(|pq| pq.as_str()))
}

/// The sign-in page, with the page to come back to unless it is the home page.
pub fn sign_in_url(retour: &str) -> String {
    if retour == "/" || !is_safe(retour) {
        return "/connexion".to_owned();
    }
    match serde_urlencoded::to_string([("retour", retour)]) {
        Ok(query) => format!("/connexion?{query}"),
        Err(_) => "/connexion".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_followed() {
        for good in ["/", "/placements/0193", "/pairings/x?onglet=historique"] {
            assert!(is_safe(good), "{good}");
            assert_eq!(sanitize(Some(good)), good);
        }
        for bad in [
            "//evil.example/x",
            "/\\evil.example",
            "https://evil.example/",
            "evil",
            "",
            "/a b",
            "/a\nLocation: x",
            "/connexion?retour=/x",
            "/deconnexion",
        ] {
            assert!(!is_safe(bad), "{bad:?}");
            assert_eq!(sanitize(Some(bad)), "/");
        }
        assert_eq!(sanitize(None), "/");
        assert!(!is_safe(&format!("/{}", "a".repeat(MAX_LEN))));
    }

    #[test]
    fn the_sign_in_url_carries_the_page_encoded() {
        assert_eq!(sign_in_url("/"), "/connexion");
        assert_eq!(
            sign_in_url("/placements/42?x=1&y=2"),
            "/connexion?retour=%2Fplacements%2F42%3Fx%3D1%26y%3D2"
        );
        assert_eq!(sign_in_url("//evil.example"), "/connexion");
    }
}
