//! Request extractors: validated JSON bodies, uploaded files and the
//! authenticated caller.
use crate::auth::SubjectKind;
use crate::domain::Role;
use crate::error::{ApiError, FieldError};
use crate::startup::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{FromRequest, HttpRequest};
use futures::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use std::future::{Future, Ready, ready};
use std::time::Duration;
use uuid::Uuid;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

/// Largest JSON body accepted.
const JSON_LIMIT: usize = 256 * 1024;

/// How long a client may take to send a request body once a handler reads
/// it (`server.body_timeout_ms`, installed as app data by `startup`).
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub Duration);

const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(60);

/// Reads a body within the request's `BodyTimeout`: a client trickling its
/// body would otherwise hold the connection forever (actix bounds only the
/// request head).
async fn within_body_timeout<T>(
    limit: Duration,
    read: impl Future<Output = Result<T, ApiError>>,
) -> Result<T, ApiError> {
    tokio::time::timeout(limit, read).await.map_err(|_| {
        ApiError::RequestTimeout(format!(
            "the request body did not arrive within {} ms",
            limit.as_millis()
        ))
    })?
}

fn body_timeout(req: &HttpRequest) -> Duration {
    req.app_data::<BodyTimeout>()
        .map_or(DEFAULT_BODY_TIMEOUT, |t| t.0)
}

/// `application/json` or a `+json` type (`application/merge-patch+json`),
/// whatever the parameters.
fn is_json_content_type(req: &HttpRequest) -> bool {
    let Some(value) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// A JSON body that deserialized and passed its `validator` rules. Another
/// content type answers 415; syntax errors 400; a wrong type, a missing
/// field, a NUL character in a string or a rule broken answer 422 with each
/// offending field named by its path.
#[derive(Debug)]
pub struct ValidatedJson<T>(pub T);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidatedJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if !is_json_content_type(req) {
            return Box::pin(ready(Err(ApiError::UnsupportedMediaType(
                "this endpoint takes a JSON body: send Content-Type: application/json".into(),
            ))));
        }
        let limit = body_timeout(req);
        let bytes = Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = within_body_timeout(limit, async {
                bytes.await.map_err(|e| {
                    ApiError::BadRequest(format!("the request body could not be read: {e}"))
                })
            })
            .await?;
            let value = parse_json::<T>(&bytes)?;
            value
                .validate()
                .map_err(|e| ApiError::Validation(flatten(&e)))?;
            Ok(ValidatedJson(value))
        })
    }
}

/// Deserializes with the path of the failing field kept for the 422 answer.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.len() > JSON_LIMIT {
        return Err(ApiError::BadRequest(format!(
            "the JSON body is larger than {JSON_LIMIT} bytes"
        )));
    }
    if let Some(fields) = nul_fields(bytes) {
        return Err(ApiError::Validation(fields));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize::<_, T>(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_data() {
            let message = strip_position(&inner.to_string());
            let mut field = if path == "." { String::new() } else { path };
            // serde names a missing or unknown field in its message; the path
            // stops at the enclosing object, except for an unknown key that
            // serde_path_to_error captured before the error (then it ends with it).
            if let Some(name) = ["missing field `", "unknown field `"]
                .iter()
                .find_map(|p| message.strip_prefix(p))
                .and_then(|rest| rest.split('`').next())
                && field != name
                && !field.ends_with(&format!(".{name}"))
            {
                field = if field.is_empty() {
                    name.to_owned()
                } else {
                    format!("{field}.{name}")
                };
            }
            ApiError::Validation(vec![FieldError::new(field, message)])
        } else {
            ApiError::BadRequest(format!("the body is not valid JSON: {inner}"))
        }
    })?;
    de.end()
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    Ok(value)
}

/// The strings (values or keys) of a JSON body that hold a NUL character,
/// by path. PostgreSQL cannot store NUL in text, and no name, title or token
/// has one: refusing it here covers every JSON endpoint. JSON carries NUL
/// only as the escape `\u0000` (a raw one is a syntax error), so bodies
/// without it cost one scan.
fn nul_fields(bytes: &[u8]) -> Option<Vec<FieldError>> {
    let escaped_nul = bytes.windows(6).enumerate().any(|(at, w)| {
        w == b"\\u0000"
            && bytes[..at]
                .iter()
                .rev()
                .take_while(|b| **b == b'\\')
                .count()
                % 2
                == 0
    });
    if !escaped_nul {
        return None;
    }
    // Malformed JSON is left to the typed parse and its 400.
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let mut fields = Vec::new();
    collect_nul(&value, "", &mut fields);
    (!fields.is_empty()).then_some(fields)
}

fn collect_nul(value: &serde_json::Value, path: &str, out: &mut Vec<FieldError>) {
    const MESSAGE: &str = "must not contain the NUL character (\\u0000)";
    match value {
        serde_json::Value::String(s) if s.contains('\0') => {
            out.push(FieldError::new(path, MESSAGE));
        }
        serde_json::Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                collect_nul(item, &format!("{path}[{index}]"), out);
            }
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                let inner = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                if key.contains('\0') {
                    out.push(FieldError::new(inner.replace('\0', "\\u0000"), MESSAGE));
                } else {
                    collect_nul(item, &inner, out);
                }
            }
        }
        _ => {}
    }
}

/// A raw request body (the CSV imports), read chunk by chunk up to
/// `import::MAX_FILE_BYTES` and within the request's `BodyTimeout`.
#[derive(Debug)]
pub struct Upload(pub Vec<u8>);

impl FromRequest for Upload {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        use futures::StreamExt;
        let limit = body_timeout(req);
        let mut payload = payload.take();
        let max = crate::import::MAX_FILE_BYTES;
        Box::pin(within_body_timeout(limit, async move {
            let mut body = Vec::new();
            while let Some(chunk) = payload.next().await {
                let chunk =
                    chunk.map_err(|e| ApiError::BadRequest(format!("the upload failed: {e}")))?;
                if body.len() + chunk.len() > max {
                    return Err(ApiError::BadRequest(format!(
                        "the file is larger than {} MB",
                        max / (1024 * 1024)
                    )));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Upload(body))
        }))
    }
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// validator's nested errors as a flat, sorted list of `path: message`.
pub fn flatten(errors: &ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    walk(errors, "", &mut out);
    out.sort_by(|a, b| a.field.cmp(&b.field));
    out
}

fn walk(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let message = e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| describe(e));
                    out.push(FieldError::new(path.clone(), message));
                }
            }
            ValidationErrorsKind::Struct(inner) => walk(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    walk(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

fn describe(error: &validator::ValidationError) -> String {
    let param = |name: &str| error.params.get(name).map(|v| v.to_string());
    match error.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("length must be between {min} and {max}"),
            (Some(min), None) => format!("length must be at least {min}"),
            (None, Some(max)) => format!("length must be at most {max}"),
            _ => "invalid length".to_owned(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "out of range".to_owned(),
        },
        "email" => "not a valid e-mail address".to_owned(),
        code => code.replace('_', " "),
    }
}

/// Who is calling, from a verified bearer token.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    pub id: Uuid,
    pub role: Role,
    pub org: Option<Uuid>,
    pub kind: SubjectKind,
}

impl Caller {
    /// 403 unless the caller holds one of the roles.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this action needs the role {}",
                roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )))
        }
    }

    /// The caller's organisation, for the roles that belong to one.
    pub fn organisation(&self) -> Result<Uuid, ApiError> {
        self.org.ok_or_else(|| {
            ApiError::Forbidden("this action needs a member of an organisation".into())
        })
    }

    /// The caller's organisation after checking the role.
    pub fn member_of(&self, roles: &[Role]) -> Result<Uuid, ApiError> {
        self.require(roles)?;
        self.organisation()
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<Caller, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state missing")))?;
    let keys = &state.jwt;
    let header_value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized("a bearer token is required".into()))?;
    let token = header_value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .ok_or_else(|| {
            ApiError::Unauthorized("the Authorization header must be 'Bearer <token>'".into())
        })?;
    let claims = keys
        .decode(token.trim())
        .map_err(|_| ApiError::Unauthorized("the access token is invalid or expired".into()))?;
    let role = Role::parse(&claims.role)
        .map_err(|_| ApiError::Unauthorized("the access token is invalid or expired".into()))?;
    Ok(Caller {
        id: claims.sub,
        role,
        org: claims.org,
        kind: claims.kind,
    })
}

/// actix's own extractor rejections as problem+json.
pub fn json_error(err: actix_web::error::JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    ApiError::BadRequest(format!("the body is not valid JSON: {err}")).into()
}

pub fn query_error(err: actix_web::error::QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    ApiError::BadRequest(format!("invalid query string: {err}")).into()
}

pub fn path_error(_: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    ApiError::NotFound("no resource at this path".into()).into()
}
