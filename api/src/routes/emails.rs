//! `/v1/admin/emails`: the outbox as admins see it (failed messages, retry);
//! `/v1/email/unsubscribe`: the public link of non-essential mail.
use crate::domain::Role;
use crate::email::{self, Status};
use crate::error::ApiError;
use crate::extract::Caller;
use crate::pagination::{PageQuery, Paginated};
use crate::startup::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use entity::email_outbox;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Deserialize)]
pub struct EmailQuery {
    status: Option<String>,
    limit: Option<u64>,
    cursor: Option<String>,
}

/// A message without its bodies: what an admin needs to act on it.
#[derive(Debug, Serialize)]
pub struct EmailOut {
    id: Uuid,
    kind: String,
    recipient: String,
    subject: String,
    status: String,
    attempts: i32,
    last_error: Option<String>,
    next_attempt_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
}

impl From<email_outbox::Model> for EmailOut {
    fn from(m: email_outbox::Model) -> Self {
        Self {
            id: m.id,
            kind: m.kind,
            recipient: m.recipient,
            subject: m.subject,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            next_attempt_at: m.next_attempt_at,
            created_at: m.created_at,
            sent_at: m.sent_at,
        }
    }
}

pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<EmailQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin])?;
    let query = query.into_inner();
    let status = query
        .status
        .as_deref()
        .map(|s| {
            Status::parse(s).ok_or_else(|| {
                ApiError::field(
                    "status",
                    format!(
                        "must be one of {}",
                        Status::ALL.map(Status::as_str).join(", ")
                    ),
                )
            })
        })
        .transpose()?;
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    }
    .by_uuid()?;
    let rows = email::list(&state.db, status, &page).await?;
    Ok(HttpResponse::Ok().json(Paginated::from_rows(
        rows,
        page.limit,
        |m| m.id.to_string(),
        EmailOut::from,
    )))
}

/// Re-queues a failed message; 409 for a message in any other state.
pub async fn retry(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&[Role::Admin])?;
    let id = id.into_inner();
    if !email::requeue_failed(&state.db, id).await? {
        return match email::find(&state.db, id).await? {
            None => Err(ApiError::not_found("e-mail")),
            Some(found) => Err(ApiError::Conflict(format!(
                "only a failed e-mail can be retried; this one is {}",
                found.status
            ))),
        };
    }
    let found = email::find(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("e-mail"))?;
    Ok(HttpResponse::Ok().json(EmailOut::from(found)))
}

#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    token: String,
}

#[derive(Debug, Serialize)]
struct UnsubscribeOut {
    unsubscribed: bool,
}

const UNKNOWN_LINK: &str = "this unsubscribe link is unknown";

/// The page the link in a message opens. It changes nothing: link scanners
/// follow links; only the POST (its button, or a mail client's one-click
/// request, RFC 8058) unsubscribes.
pub async fn unsubscribe_page(
    state: web::Data<AppState>,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, ApiError> {
    let found = email::find_preference_by_token(&state.db, &query.token)
        .await?
        .ok_or_else(|| ApiError::NotFound(UNKNOWN_LINK.into()))?;
    let body = if found.unsubscribed_at.is_some() {
        "<p>Vous ne recevez plus les rappels ni les récapitulatifs de Tremplin.</p>".to_owned()
    } else {
        format!(
            "<p>Ne plus recevoir les rappels ni les récapitulatifs de Tremplin ? \
             Les messages indispensables (invitations, décisions sur un stage ou un binôme) \
             continueront d'arriver.</p>\
             <form method=\"post\" action=\"?token={}\"><button type=\"submit\">Me désinscrire</button></form>",
            encode_query_value(&query.token)
        )
    };
    Ok(html_page(&body))
}

pub async fn unsubscribe(
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, ApiError> {
    email::unsubscribe(&state.db, &query.token)
        .await?
        .ok_or_else(|| ApiError::NotFound(UNKNOWN_LINK.into()))?;
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if wants_html {
        return Ok(html_page(
            "<p>C'est fait : vous ne recevrez plus les rappels ni les récapitulatifs de Tremplin.</p>",
        ));
    }
    Ok(HttpResponse::Ok().json(UnsubscribeOut { unsubscribed: true }))
}

fn html_page(body: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">\
             <title>Tremplin : préférences e-mail</title></head><body>{body}</body></html>\n"
        ))
}

/// Tokens are URL-safe base64; anything else is percent-encoded so that the
/// form cannot be turned into markup.
fn encode_query_value(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
