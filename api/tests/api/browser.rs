//! A browser as far as the page tests need one: it keeps its cookies, sends
//! forms, and follows no redirect (the tests check each one).
use crate::helpers::TestApp;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use std::collections::BTreeMap;

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Page {
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn location(&self) -> String {
        self.header("location")
    }

    /// The `Set-Cookie` line of `name`, if the answer has one.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }

    /// The value of the first `name="csrf"` field of the page.
    pub fn csrf(&self) -> String {
        self.field_value("csrf")
            .unwrap_or_else(|| panic!("no csrf field in: {}", self.text))
    }

    pub fn field_value(&self, name: &str) -> Option<String> {
        let at = self.text.find(&format!("name=\"{name}\" value=\""))?;
        let rest = &self.text[at + name.len() + 15..];
        Some(
            rest[..rest.find('"')?]
                .replace("&#x2f;", "/")
                .replace("&#47;", "/"),
        )
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        self
    }
}

pub struct Browser {
    address: String,
    client: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self {
            address: app.address.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let request = match self.cookies.is_empty() {
            true => request,
            false => request.header("cookie", self.cookie_header()),
        };
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let headers = response.headers().clone();
        for line in headers.get_all("set-cookie").iter() {
            let line = line.to_str().expect("ascii cookie");
            let (pair, attributes) = line.split_once(';').unwrap_or((line, ""));
            let (name, value) = pair.split_once('=').expect("name=value");
            if attributes.contains("Max-Age=0") || value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let text = response.text().await.expect("body");
        Page {
            status,
            headers,
            text,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.get_with(path, &[]).await
    }

    pub async fn get_with(&mut self, path: &str, headers: &[(&str, &str)]) -> Page {
        let mut request = self
            .client
            .get(format!("{}{path}", self.address))
            .header("accept", "text/html");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded::to_string(form).expect("form");
        let request = self
            .client
            .post(format!("{}{path}", self.address))
            .header("accept", "text/html")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(request).await
    }

    /// Opens the sign-in page and posts it: the answer to the post.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        let form = self.get("/connexion").await.expect(200);
        let csrf = form.csrf();
        self.post(
            "/connexion",
            &[("csrf", &csrf), ("email", email), ("password", password)],
        )
        .await
    }

    /// The session cookie's value (plain or `__Host-`).
    pub fn session(&self) -> Option<String> {
        self.cookies
            .iter()
            .find(|(k, _)| k.ends_with("tremplin_session"))
            .map(|(_, v)| v.clone())
    }
}

/// The password every helper member has.
pub const PASSWORD: &str = "a long enough password";
