//! CSRF: every form that changes something carries a `csrf` token, checked
//! here, in the two form extractors, before the handler runs: a missing or
//! wrong token answers 403 and nothing is done. Signed-in forms check it
//! against their session's secret (synchronizer token); the two forms used
//! before sign-in (sign-in, invitation) against a random secret in a
//! cookie of their own. Each page gets the secret masked with a fresh
//! random pad, so a compressed page never repeats it (BREACH).
use super::cookie::PRE_SESSION_CSRF;
use super::error::PageError;
use super::session::{self, Found, Session};
use crate::auth::{constant_time_eq, new_secret};
use crate::startup::AppState;
use actix_web::dev::Payload;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::future::LocalBoxFuture;
use rand::RngCore;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The token for a form: `pad ‖ (pad ⊕ secret)`, base64url.
pub fn mask(secret: &str) -> String {
    let secret = URL_SAFE_NO_PAD.decode(secret).unwrap_or_default();
    let mut pad = vec![0u8; secret.len()];
    rand::rng().fill_bytes(&mut pad);
    let masked: Vec<u8> = pad.iter().zip(&secret).map(|(p, s)| p ^ s).collect();
    pad.extend(masked);
    URL_SAFE_NO_PAD.encode(pad)
}

/// Whether `token` unmasks to `secret`.
pub fn verify(secret: &str, token: &str) -> bool {
    let (Ok(secret), Ok(token)) = (
        URL_SAFE_NO_PAD.decode(secret),
        URL_SAFE_NO_PAD.decode(token.trim()),
    ) else {
        return false;
    };
    if secret.is_empty() || token.len() != 2 * secret.len() {
        return false;
    }
    let (pad, masked) = token.split_at(secret.len());
    let unmasked: Vec<u8> = pad.iter().zip(masked).map(|(p, m)| p ^ m).collect();
    constant_time_eq(&unmasked, &secret)
}

#[derive(Deserialize)]
struct TokenField {
    csrf: Option<String>,
}

fn checked<T: DeserializeOwned>(bytes: &[u8], secret: Option<&str>) -> Result<T, PageError> {
    let token = serde_urlencoded::from_bytes::<TokenField>(bytes)
        .ok()
        .and_then(|f| f.csrf);
    match (secret, token) {
        (Some(secret), Some(token)) if verify(secret, &token) => {}
        _ => return Err(PageError::CsrfRefused),
    }
    serde_urlencoded::from_bytes(bytes)
        .map_err(|e| PageError::BadRequest(format!("formulaire illisible : {e}")))
}

/// The form's body (actix's size limit applies).
fn read(
    req: &HttpRequest,
    payload: &mut Payload,
) -> impl std::future::Future<Output = Result<Bytes, PageError>> + 'static {
    let body = Bytes::from_request(req, payload);
    async move {
        body.await
            .map_err(|e| PageError::BadRequest(format!("formulaire illisible : {e}")))
    }
}

/// The pre-session secret of this browser, and the `Set-Cookie` that gives
/// it one when it has none yet: for the pages that show a pre-session form.
pub fn pre_session(state: &AppState, req: &HttpRequest) -> (String, Option<String>) {
    let cookies = state.web.cookies;
    match cookies.read(req, PRE_SESSION_CSRF) {
        Some(secret) if URL_SAFE_NO_PAD.decode(&secret).is_ok_and(|s| s.len() == 32) => {
            (secret, None)
        }
        _ => {
            let secret = new_secret();
            // As long as a session may last: a form left open stays usable.
            let max_age = state.web.absolute.num_seconds();
            let set = cookies.set(PRE_SESSION_CSRF, &secret, max_age);
            (secret, Some(set))
        }
    }
}

/// A form posted by a signed-in person, its token checked against the
/// session. Without a session: back to the sign-in page, nothing done.
pub struct SessionForm<T> {
    pub session: Session,
    pub form: T,
}

impl<T: DeserializeOwned + 'static> FromRequest for SessionForm<T> {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (req, body) = (req.clone(), read(req, payload));
        Box::pin(async move {
            let (bytes, state) = (body.await?, session::state(&req)?);
            let session = match session::find(&state, &req).await? {
                Found::Valid(session) => *session,
                found => {
                    return Err(PageError::SignInRequired {
                        retour: "/".to_owned(),
                        clear_cookie: matches!(found, Found::Ended)
                            .then(|| state.web.cookies.clear(super::cookie::SESSION)),
                        htmx: super::page::is_htmx(&req),
                    });
                }
            };
            let form = checked(&bytes, Some(session.csrf_secret()))?;
            Ok(SessionForm { session, form })
        })
    }
}

/// A form posted before sign-in, its token checked against the
/// pre-session cookie.
pub struct PreSessionForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for PreSessionForm<T> {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (req, body) = (req.clone(), read(req, payload));
        Box::pin(async move {
            let (bytes, state) = (body.await?, session::state(&req)?);
            let secret = state.web.cookies.read(&req, PRE_SESSION_CSRF);
            checked(&bytes, secret.as_deref()).map(PreSessionForm)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_token_verifies_and_differs_each_time() {
        let secret = new_secret();
        let (a, b) = (mask(&secret), mask(&secret));
        assert_ne!(a, b, "a fresh pad each time");
        assert!(verify(&secret, &a) && verify(&secret, &b));
        assert!(!verify(&new_secret(), &a), "another session's secret");
        assert!(!verify(&secret, &secret), "the bare secret is not a token");
        assert!(!verify(&secret, ""));
        assert!(!verify(&secret, "not base64 !"));
        let mut tampered = a.into_bytes();
        tampered[60] = if tampered[60] == b'A' { b'B' } else { b'A' };
        assert!(!verify(&secret, &String::from_utf8(tampered).unwrap()));
    }

    #[test]
    fn a_form_without_its_token_is_refused_before_it_is_read() {
        #[derive(Deserialize, Debug)]
        struct Form {
            #[allow(dead_code)]
            email: String,
        }
        let secret = new_secret();
        let token = mask(&secret);
        let ok = format!("email=a%40b.fr&csrf={token}");
        assert!(checked::<Form>(ok.as_bytes(), Some(&secret)).is_ok());
        for bad in ["email=a%40b.fr", "email=a%40b.fr&csrf=", "email=x&csrf=abc"] {
            let err = checked::<Form>(bad.as_bytes(), Some(&secret)).unwrap_err();
            assert!(matches!(err, PageError::CsrfRefused), "{bad}: {err:?}");
        }
        let no_cookie = checked::<Form>(ok.as_bytes(), None).unwrap_err();
        assert!(matches!(no_cookie, PageError::CsrfRefused));
    }
}
