//! `GET /v1/offers/search`: published offers of every company around a
//! point, from the in-memory index.
use crate::domain::{IsoWeek, OfferKind, Sector, inside_france};
use crate::error::{ApiError, FieldError};
use crate::extract::Caller;
use crate::pagination::{PageQuery, Paginated, encode_cursor};
use crate::search::{OfferSummary, SearchQuery};
use crate::startup::AppState;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

const DEFAULT_SEARCH_RADIUS_KM: f64 = 10.0;
const MAX_SEARCH_RADIUS_KM: f64 = 200.0;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    lat: f64,
    lon: f64,
    radius_km: Option<f64>,
    week: Option<String>,
    kind: Option<String>,
    sector: Option<String>,
    limit: Option<u64>,
    cursor: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SearchHit {
    #[serde(flatten)]
    offer: OfferSummary,
    distance_km: f64,
}

/// Published offers of every company around a point, nearest first, from
/// the in-memory index. Any signed-in user may search.
pub async fn search(
    state: web::Data<AppState>,
    _caller: Caller,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, ApiError> {
    let p = params.into_inner();
    let mut errors = Vec::new();
    if !inside_france(p.lat, p.lon) {
        errors.push(FieldError::new(
            "lat",
            "the point must be in France or an overseas territory",
        ));
    }
    let radius_km = p.radius_km.unwrap_or(DEFAULT_SEARCH_RADIUS_KM);
    if !(0.0..=MAX_SEARCH_RADIUS_KM).contains(&radius_km) {
        errors.push(FieldError::new(
            "radius_km",
            format!("must be between 0 and {MAX_SEARCH_RADIUS_KM}"),
        ));
    }
    let week = p.week.as_deref().and_then(|w| {
        IsoWeek::parse(w)
            .map_err(|e| errors.push(FieldError::new("week", e.to_string())))
            .ok()
    });
    let kind = p.kind.as_deref().and_then(|k| {
        OfferKind::parse(k)
            .map_err(|e| errors.push(FieldError::new("kind", e.to_string())))
            .ok()
    });
    let sector = p.sector.as_deref().and_then(|s| {
        Sector::parse(s)
            .map_err(|e| errors.push(FieldError::new("sector", e.to_string())))
            .ok()
    });
    ApiError::check(errors)?;
    let page = PageQuery {
        limit: p.limit,
        cursor: p.cursor,
    }
    .by_string()?;
    let offset: usize = match &page.after {
        Some(raw) => raw
            .parse()
            .map_err(|_| ApiError::field("cursor", "not a cursor returned by this API"))?,
        None => 0,
    };
    let found = state.search.search(&SearchQuery {
        point: matcher::GeoPoint::new(p.lat, p.lon),
        radius_km,
        week,
        kind,
        sector,
        offset,
        limit: page.limit as usize,
    });
    let next = offset + found.hits.len();
    let items: Vec<SearchHit> = found
        .hits
        .into_iter()
        .map(|(offer, d)| SearchHit {
            offer: (*offer).clone(),
            distance_km: (d * 1000.0).round() / 1000.0,
        })
        .collect();
    let next_cursor = found.more.then(|| encode_cursor(&next.to_string()));
    Ok(HttpResponse::Ok().json(Paginated { items, next_cursor }))
}
