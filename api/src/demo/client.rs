//! A small JSON client for the API the demo runs in its own process.
use anyhow::{Context, bail};
use reqwest::{Method, RequestBuilder};
use serde_json::Value;

pub struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    pub fn new(base: String) -> Self {
        Self {
            base,
            http: reqwest::Client::new(),
        }
    }

    fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.base));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// Sends and reads a JSON answer; any non-2xx answer is an error that
    /// carries the problem+json body, so a failing step says why.
    async fn send(&self, what: String, request: RequestBuilder) -> anyhow::Result<Value> {
        let text = self.send_text(&what, request).await?;
        if text.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).with_context(|| format!("{what}: the answer is not JSON"))
    }

    pub async fn get(&self, path: &str, token: &str) -> anyhow::Result<Value> {
        let request = self.request(Method::GET, path, Some(token));
        self.send(format!("GET {path}"), request).await
    }

    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> anyhow::Result<Value> {
        let request = self.request(Method::POST, path, token).json(body);
        self.send(format!("POST {path}"), request).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> anyhow::Result<Value> {
        let request = self.request(Method::PATCH, path, Some(token)).json(body);
        self.send(format!("PATCH {path}"), request).await
    }

    /// A non-JSON answer (a CSV export) as text.
    pub async fn get_text(&self, path: &str, token: &str) -> anyhow::Result<String> {
        let request = self.request(Method::GET, path, Some(token));
        self.send_text(&format!("GET {path}"), request).await
    }

    /// The answer's body; any non-2xx answer is an error carrying it.
    async fn send_text(&self, what: &str, request: RequestBuilder) -> anyhow::Result<String> {
        let response = request.send().await.with_context(|| what.to_owned())?;
        let status = response.status();
        let text = response.text().await.with_context(|| what.to_owned())?;
        if !status.is_success() {
            bail!("{what}: the API answered {status}: {text}");
        }
        Ok(text)
    }

    pub async fn post_csv(&self, path: &str, token: &str, csv: String) -> anyhow::Result<Value> {
        let request = self
            .request(Method::POST, path, Some(token))
            .header(reqwest::header::CONTENT_TYPE, "text/csv; charset=utf-8")
            .body(csv);
        self.send(format!("POST {path}"), request).await
    }

    /// Every item of a paginated list.
    pub async fn all(&self, path: &str, token: &str) -> anyhow::Result<Vec<Value>> {
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = match &cursor {
                Some(c) => format!("{path}{separator}limit=100&cursor={c}"),
                None => format!("{path}{separator}limit=100"),
            };
            let body = self.get(&page, token).await?;
            items.extend(body["items"].as_array().cloned().unwrap_or_default());
            match body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return Ok(items),
            }
        }
    }

    /// Signs in with a password; the access token.
    pub async fn sign_in(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let body =
            serde_json::json!({"grant_type": "password", "email": email, "password": password});
        let answer = self.post("/v1/auth/token", None, &body).await?;
        answer["access_token"]
            .as_str()
            .map(str::to_owned)
            .context("the token answer has no access_token")
    }
}
