//! `GET /v1/pairings/export.csv`: the structure's pairings in the form it
//! reports them to the State, streamed page by page from the database.
//!
//! Columns, in this order: `pairing_ref`, `mentee_ref`, `mentor_ref`,
//! `start_date`, `end_date`, `priority`, `departement`, `status`,
//! `end_reason`, `meetings`. The refs are pseudonyms: the first 96 bits of
//! HMAC-SHA256(installation key, `kind:uuid`), in hex. They are stable from
//! one export to the next (the State can follow a pair over time) but carry
//! no name, e-mail or birth year, and cannot be reversed without the key;
//! an erased mentee keeps his anonymous line.
use super::mentees::structure_of;
use crate::domain::PairingStatus;
use crate::error::ApiError;
use crate::extract::Caller;
use crate::startup::AppState;
use crate::store::pairing_export::{self, ExportFilter, ExportRow, pseudonym};
use crate::store::settings;
use actix_web::http::header::{CONTENT_DISPOSITION, ContentType};
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret;
use serde::Deserialize;
use uuid::Uuid;

pub const COLUMNS: [&str; 10] = [
    "pairing_ref",
    "mentee_ref",
    "mentor_ref",
    "start_date",
    "end_date",
    "priority",
    "departement",
    "status",
    "end_reason",
    "meetings",
];

/// Rows read per database round trip.
const PAGE: u64 = 500;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    status: Option<String>,
    started_from: Option<NaiveDate>,
    started_to: Option<NaiveDate>,
}

/// The configured key, or one generated once per installation and kept.
async fn pseudonym_key(state: &AppState) -> Result<Vec<u8>, ApiError> {
    if let Some(secret) = &state.mentoring.export_secret {
        return Ok(secret.expose_secret().as_bytes().to_vec());
    }
    let key = settings::get_or_create(&state.db, pairing_export::KEY_SETTING, || {
        format!("{}{}", crate::auth::new_secret(), crate::auth::new_secret())
    })
    .await?;
    Ok(key.into_bytes())
}

fn csv_error(e: impl std::error::Error + Send + Sync + 'static) -> ApiError {
    ApiError::Internal(anyhow::Error::new(e).context("writing the CSV export"))
}

fn render(header: bool, rows: &[ExportRow], key: &[u8]) -> Result<Bytes, ApiError> {
    let mut out = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 128 + 128));
    if header {
        out.write_record(COLUMNS).map_err(csv_error)?;
    }
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    for r in rows {
        out.write_record([
            pseudonym(key, "pairing", r.id),
            pseudonym(key, "mentee", r.mentee_id),
            r.mentor_id
                .map(|id| pseudonym(key, "mentor", id))
                .unwrap_or_default(),
            date(r.start_date),
            date(r.end_date),
            r.priority.clone(),
            r.departement.clone(),
            r.status.clone(),
            r.end_reason.clone().unwrap_or_default(),
            r.meetings.to_string(),
        ])
        .map_err(csv_error)?;
    }
    out.into_inner()
        .map(Bytes::from)
        .map_err(|e| csv_error(e.into_error()))
}

/// Where the stream is: the next page starts after `after`.
enum Step {
    Page { after: Option<Uuid>, first: bool },
    Done,
}

struct Export {
    db: DatabaseConnection,
    org: Uuid,
    filter: ExportFilter,
    key: Vec<u8>,
}

impl Export {
    async fn next(&self, after: Option<Uuid>, first: bool) -> Result<(Bytes, Step), ApiError> {
        let rows = pairing_export::page(&self.db, self.org, &self.filter, after, PAGE).await?;
        let step = match rows.last() {
            Some(last) if rows.len() as u64 == PAGE => Step::Page {
                after: Some(last.id),
                first: false,
            },
            _ => Step::Done,
        };
        Ok((render(first, &rows, &self.key)?, step))
    }
}

pub async fn export(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let org = structure_of(&caller)?;
    let q = query.into_inner();
    let status = q
        .status
        .as_deref()
        .map(|s| PairingStatus::parse(s).map_err(|e| ApiError::field("status", e.to_string())))
        .transpose()?;
    if let (Some(from), Some(to)) = (q.started_from, q.started_to)
        && from > to
    {
        return Err(ApiError::field(
            "started_to",
            "must not be before started_from",
        ));
    }
    let export = std::sync::Arc::new(Export {
        db: state.db.clone(),
        org,
        filter: ExportFilter {
            status: status.map(|s| s.as_str().to_owned()),
            started_from: q.started_from,
            started_to: q.started_to,
        },
        key: pseudonym_key(&state).await?,
    });
    // The first page is read before answering, so that a database failure
    // is still a clean problem+json; later ones fail the transfer.
    let (first, step) = export.next(None, true).await?;
    let rest = futures::stream::unfold(step, move |step| {
        let export = export.clone();
        async move {
            let Step::Page { after, first } = step else {
                return None;
            };
            match export.next(after, first).await {
                Ok((bytes, step)) => Some((Ok(bytes), step)),
                Err(e) => {
                    tracing::error!(error = ?e, "the CSV export stopped midway");
                    Some((Err(e), Step::Done))
                }
            }
        }
    });
    let body = futures::StreamExt::chain(
        futures::stream::once(async move { Ok::<_, ApiError>(first) }),
        rest,
    );
    let filename = format!("binomes-{}.csv", state.clock.today());
    Ok(HttpResponse::Ok()
        .content_type(ContentType(actix_web::mime::TEXT_CSV_UTF_8))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .streaming(body))
}
