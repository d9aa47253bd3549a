//! Reference data: collèges, communes and sectors. Open data, so readable
//! without a token.
use crate::domain::{InseeCode, PrioritySources, SECTORS, Uai, inside_france, priority_of};
use crate::error::ApiError;
use crate::pagination::{PageQuery, Paginated, encode_cursor};
use crate::startup::AppState;
use crate::store::reference;
use actix_web::{HttpResponse, web};
use entity::{college, commune};
use serde::{Deserialize, Serialize};

const DEFAULT_RADIUS_KM: f64 = 10.0;
const MAX_RADIUS_KM: f64 = 100.0;

#[derive(Debug, Serialize)]
pub struct SchoolOut {
    uai: String,
    name: String,
    sector: String,
    commune_insee: String,
    commune_name: String,
    departement: String,
    region: String,
    location: Option<crate::domain::Location>,
    /// `REP+`, `REP`, `HORS_EP`, or null when unknown.
    education_prioritaire: Option<String>,
    /// Tier of a pupil of this school living in the school's commune.
    priority: &'static str,
    ips: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    distance_km: Option<f64>,
}

async fn school_out(
    state: &AppState,
    c: college::Model,
    distance_km: Option<f64>,
) -> Result<SchoolOut, ApiError> {
    let frr = state
        .communes
        .get(&state.db, &c.commune_insee)
        .await?
        .map(|c| c.frr);
    let priority = priority_of(PrioritySources {
        school_education_prioritaire: c.education_prioritaire.as_deref(),
        home_commune_frr: None,
        school_commune_frr: frr,
        qpv: false,
    });
    Ok(SchoolOut {
        location: c
            .lat
            .zip(c.lon)
            .map(|(lat, lon)| crate::domain::Location { lat, lon }),
        uai: c.uai,
        name: c.name,
        sector: c.sector,
        commune_insee: c.commune_insee,
        commune_name: c.commune_name,
        departement: c.departement,
        region: c.region,
        education_prioritaire: c.education_prioritaire,
        priority: priority.as_str(),
        ips: c.ips,
        distance_km: distance_km.map(|d| (d * 1000.0).round() / 1000.0),
    })
}

pub async fn school(
    state: web::Data<AppState>,
    uai: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let uai = Uai::parse(&uai).map_err(|_| ApiError::not_found("school"))?;
    let found = reference::college(&state.db, uai.as_str())
        .await?
        .ok_or_else(|| ApiError::not_found("school"))?;
    Ok(HttpResponse::Ok().json(school_out(&state, found, None).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchoolQuery {
    /// `lat,lon`
    near: Option<String>,
    radius_km: Option<f64>,
    departement: Option<String>,
    limit: Option<u64>,
    cursor: Option<String>,
}

fn parse_near(raw: &str) -> Result<(f64, f64), ApiError> {
    let err = || ApiError::field("near", "expected 'lat,lon' in degrees, in France");
    let (lat, lon) = raw.split_once(',').ok_or_else(err)?;
    let lat: f64 = lat.trim().parse().map_err(|_| err())?;
    let lon: f64 = lon.trim().parse().map_err(|_| err())?;
    if !inside_france(lat, lon) {
        return Err(err());
    }
    Ok((lat, lon))
}

pub async fn schools(
    state: web::Data<AppState>,
    query: web::Query<SchoolQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let page_query = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    match (q.near.as_deref(), q.departement.as_deref()) {
        (Some(near), None) => {
            let (lat, lon) = parse_near(near)?;
            let radius = q.radius_km.unwrap_or(DEFAULT_RADIUS_KM);
            if !(0.0..=MAX_RADIUS_KM).contains(&radius) {
                return Err(ApiError::field(
                    "radius_km",
                    format!("must be between 0 and {MAX_RADIUS_KM}"),
                ));
            }
            let page = page_query.by_string()?;
            let offset: usize = match &page.after {
                Some(raw) => raw
                    .parse()
                    .map_err(|_| ApiError::field("cursor", "not a cursor returned by this API"))?,
                None => 0,
            };
            let found = reference::colleges_near(&state.db, lat, lon, radius).await?;
            let rows: Vec<(usize, college::Model, f64)> = found
                .into_iter()
                .enumerate()
                .skip(offset)
                .take(page.limit as usize + 1)
                .map(|(i, (c, d))| (i + 1, c, d))
                .collect();
            let more = rows.len() as u64 > page.limit;
            let mut items = Vec::new();
            let mut last = offset;
            for (position, c, d) in rows.into_iter().take(page.limit as usize) {
                last = position;
                items.push(school_out(&state, c, Some(d)).await?);
            }
            let next_cursor = more.then(|| encode_cursor(&last.to_string()));
            Ok(HttpResponse::Ok().json(Paginated { items, next_cursor }))
        }
        (None, Some(departement)) => {
            let page = page_query.by_string()?;
            let rows = reference::colleges_in_departement(&state.db, departement, &page).await?;
            let paginated = Paginated::from_rows(rows, page.limit, |c| c.uai.clone(), |c| c);
            let mut items = Vec::with_capacity(paginated.items.len());
            for c in paginated.items {
                items.push(school_out(&state, c, None).await?);
            }
            Ok(HttpResponse::Ok().json(Paginated {
                items,
                next_cursor: paginated.next_cursor,
            }))
        }
        _ => Err(ApiError::Validation(vec![crate::error::FieldError::new(
            "near",
            "give either near=lat,lon (with optional radius_km) or departement",
        )])),
    }
}

#[derive(Debug, Serialize)]
pub struct CommuneOut {
    insee: String,
    kind: String,
    parent: Option<String>,
    name: String,
    departement: String,
    region: String,
    zone: String,
    population: i32,
    postcodes: Vec<String>,
    location: crate::domain::Location,
    frr_code: i16,
    /// Classified FRR or FRR+: pupils living here have the `rural` tier.
    rural: bool,
}

impl From<commune::Model> for CommuneOut {
    fn from(c: commune::Model) -> Self {
        Self {
            postcodes: c
                .postcodes
                .split('|')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
            insee: c.insee,
            kind: c.kind,
            parent: c.parent,
            name: c.name,
            departement: c.departement,
            region: c.region,
            zone: c.zone,
            population: c.population,
            location: crate::domain::Location {
                lat: c.lat,
                lon: c.lon,
            },
            frr_code: c.frr_code,
            rural: c.frr,
        }
    }
}

pub async fn commune(
    state: web::Data<AppState>,
    insee: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = InseeCode::parse(&insee).map_err(|_| ApiError::not_found("commune"))?;
    let found = reference::commune(&state.db, code.as_str())
        .await?
        .ok_or_else(|| ApiError::not_found("commune"))?;
    Ok(HttpResponse::Ok().json(CommuneOut::from(found)))
}

#[derive(Serialize)]
struct SectorOut {
    code: String,
    label: &'static str,
}

pub async fn sectors() -> HttpResponse {
    let items: Vec<SectorOut> = SECTORS
        .iter()
        .map(|(code, label)| SectorOut {
            code: code.to_string(),
            label,
        })
        .collect();
    HttpResponse::Ok().json(Paginated {
        items,
        next_cursor: None,
    })
}
