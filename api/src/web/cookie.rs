//! The two cookies of the pages, read and written by hand (actix's cookie
//! feature would bring the `cookie` and `time` crates for two headers).
use actix_web::HttpRequest;
use actix_web::http::header;

/// Which cookies, and how they are marked.
#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    /// `Secure`, and the `__Host-` prefix that pins a cookie to this exact
    /// origin (no `Domain`, path `/`, HTTPS only).
    pub secure: bool,
}

/// The session id (server side: its digest).
pub const SESSION: &str = "tremplin_session";
/// The CSRF secret of a visitor not signed in yet (sign-in and invitation forms).
pub const PRE_SESSION_CSRF: &str = "tremplin_csrf";

impl CookiePolicy {
    pub fn name(self, base: &str) -> String {
        if self.secure {
            format!("__Host-{base}")
        } else {
            base.to_owned()
        }
    }

    /// A `Set-Cookie` value: HttpOnly, SameSite=Lax, path `/`, for `max_age_secs`.
    pub fn set(self, base: &str, value: &str, max_age_secs: i64) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!(
            "{}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}",
            self.name(base)
        )
    }

    /// A `Set-Cookie` value that removes the cookie.
    pub fn clear(self, base: &str) -> String {
        self.set(base, "", 0)
    }

    /// The cookie's value in the request, if present and not empty.
    pub fn read(self, req: &HttpRequest, base: &str) -> Option<String> {
        let name = self.name(base);
        req.headers()
            .get_all(header::COOKIE)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, v)| *k == name && !v.is_empty())
            .map(|(_, v)| v.trim_matches('"').to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn reads_its_cookie_among_others() {
        let req = TestRequest::default()
            .insert_header((header::COOKIE, "a=1; tremplin_session=abc; b=2"))
            .to_http_request();
        let plain = CookiePolicy { secure: false };
        assert_eq!(plain.read(&req, SESSION).as_deref(), Some("abc"));
        assert_eq!(plain.read(&req, PRE_SESSION_CSRF), None);
        // A secure deployment only trusts its __Host- cookie.
        assert_eq!(CookiePolicy { secure: true }.read(&req, SESSION), None);
    }

    #[test]
    fn writes_http_only_lax_cookies_secure_when_asked() {
        let plain = CookiePolicy { secure: false }.set(SESSION, "v", 60);
        assert_eq!(
            plain,
            "tremplin_session=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax"
        );
        let secure = CookiePolicy { secure: true }.clear(SESSION);
        assert_eq!(
            secure,
            "__Host-tremplin_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure"
        );
    }
}
