//! Streams `communes_fr.csv` then `colleges_fr.csv` into the reference
//! tables. Re-importing updates rows in place (upsert on the code), so it is
//! idempotent; odd rows are reported, never fatal.
use crate::domain::{InseeCode, Uai, distance_km};
use entity::{college, commune};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, TransactionTrait,
};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;

const BATCH: usize = 500;
/// A collège farther than this from its commune's centroid is reported.
const FAR_FROM_COMMUNE_KM: f64 = 50.0;
/// Per-row notes printed in full; beyond this only counts are kept.
const MAX_NOTES: usize = 200;

#[derive(Debug, Default)]
pub struct FileReport {
    pub rows: usize,
    pub imported: usize,
    pub skipped: usize,
    pub missing_coordinates: usize,
    pub unknown_commune: usize,
    pub far_from_commune: usize,
    /// `(line, message)` for skipped or odd rows, the first `MAX_NOTES`.
    pub notes: Vec<(u64, String)>,
}

impl FileReport {
    fn note(&mut self, line: u64, message: String) {
        if self.notes.len() < MAX_NOTES {
            self.notes.push((line, message));
        }
    }
}

#[derive(Debug, Default)]
pub struct ImportReport {
    pub communes: FileReport,
    pub colleges: FileReport,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.communes;
        writeln!(
            f,
            "communes: {} rows, {} imported, {} skipped",
            c.rows, c.imported, c.skipped
        )?;
        let k = &self.colleges;
        writeln!(
            f,
            "collèges: {} rows, {} imported, {} skipped, {} without coordinates, {} with a commune code not in the commune list, {} more than {FAR_FROM_COMMUNE_KM} km from their commune",
            k.rows,
            k.imported,
            k.skipped,
            k.missing_coordinates,
            k.unknown_commune,
            k.far_from_commune
        )?;
        for (file, report) in [("communes_fr.csv", c), ("colleges_fr.csv", k)] {
            for (line, message) in &report.notes {
                writeln!(f, "  {file}:{line}: {message}")?;
            }
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Open { path: String, source: csv::Error },
    #[error("{path}: missing column(s) {columns}")]
    Columns { path: String, columns: String },
    #[error("database error during import: {0}")]
    Db(#[from] sea_orm::DbErr),
}

#[derive(Deserialize)]
struct CommuneRow {
    code_insee: String,
    #[serde(rename = "type")]
    kind: String,
    commune_parente: String,
    nom: String,
    departement: String,
    region: String,
    zone: String,
    population: Option<i64>,
    codes_postaux: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
    frr_code: Option<i16>,
    frr_ou_frr_plus: Option<u8>,
}

#[derive(Deserialize)]
struct CollegeRow {
    uai: String,
    nom: String,
    secteur: String,
    code_commune: String,
    commune: String,
    code_departement: String,
    code_region: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
    education_prioritaire: String,
    ips: Option<f64>,
    etat: String,
}

pub async fn import_dir(db: &DatabaseConnection, dir: &Path) -> Result<ImportReport, ImportError> {
    let (communes, centroids) = import_communes(db, &dir.join("communes_fr.csv")).await?;
    let colleges = import_colleges(db, &dir.join("colleges_fr.csv"), &centroids).await?;
    Ok(ImportReport { communes, colleges })
}

fn open(path: &Path, required: &[&str]) -> Result<csv::Reader<std::fs::File>, ImportError> {
    let display = path.display().to_string();
    let mut reader = csv::ReaderBuilder::new()
        .from_path(path)
        .map_err(|source| ImportError::Open {
            path: display.clone(),
            source,
        })?;
    let headers = reader
        .headers()
        .map_err(|source| ImportError::Open {
            path: display.clone(),
            source,
        })?
        .clone();
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|c| !headers.iter().any(|h| h == *c))
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::Columns {
            path: display,
            columns: missing.join(", "),
        });
    }
    Ok(reader)
}

async fn import_communes(
    db: &DatabaseConnection,
    path: &Path,
) -> Result<(FileReport, HashMap<String, (f64, f64)>), ImportError> {
    let mut reader = open(
        path,
        &[
            "code_insee",
            "type",
            "nom",
            "departement",
            "latitude",
            "longitude",
            "frr_ou_frr_plus",
        ],
    )?;
    let mut report = FileReport::default();
    let mut centroids = HashMap::new();
    let txn = db.begin().await?;
    let mut batch = Vec::with_capacity(BATCH);
    for (index, record) in reader.deserialize::<CommuneRow>().enumerate() {
        let line = index as u64 + 2;
        report.rows += 1;
        let row = match record {
            Ok(row) => row,
            Err(e) => {
                report.skipped += 1;
                report.note(line, format!("unreadable row: {e}"));
                continue;
            }
        };
        let code = match InseeCode::parse(&row.code_insee) {
            Ok(code) => code,
            Err(e) => {
                report.skipped += 1;
                report.note(line, format!("{}: {e}", row.code_insee));
                continue;
            }
        };
        let (Some(lat), Some(lon)) = (row.latitude, row.longitude) else {
            report.skipped += 1;
            report.missing_coordinates += 1;
            report.note(line, format!("{code}: no coordinates"));
            continue;
        };
        centroids.insert(code.as_str().to_owned(), (lat, lon));
        batch.push(commune::ActiveModel {
            insee: Set(code.as_str().to_owned()),
            kind: Set(row.kind),
            parent: Set(Some(row.commune_parente).filter(|p| !p.is_empty())),
            name: Set(row.nom),
            departement: Set(row.departement),
            region: Set(row.region),
            zone: Set(row.zone),
            population: Set(row.population.unwrap_or(0).clamp(0, i64::from(i32::MAX)) as i32),
            postcodes: Set(row.codes_postaux),
            lat: Set(lat),
            lon: Set(lon),
            frr_code: Set(row.frr_code.unwrap_or(0)),
            frr: Set(row.frr_ou_frr_plus == Some(1)),
        });
        if batch.len() == BATCH {
            report.imported += upsert_communes(&txn, std::mem::take(&mut batch)).await?;
        }
    }
    report.imported += upsert_communes(&txn, batch).await?;
    txn.commit().await?;
    Ok((report, centroids))
}

async fn upsert_communes(
    db: &impl ConnectionTrait,
    batch: Vec<commune::ActiveModel>,
) -> Result<usize, ImportError> {
    use commune::Column as C;
    let n = batch.len();
    if n == 0 {
        return Ok(0);
    }
    commune::Entity::insert_many(batch)
        .on_conflict(
            OnConflict::column(C::Insee)
                .update_columns([
                    C::Kind,
                    C::Parent,
                    C::Name,
                    C::Departement,
                    C::Region,
                    C::Zone,
                    C::Population,
                    C::Postcodes,
                    C::Lat,
                    C::Lon,
                    C::FrrCode,
                    C::Frr,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(n)
}

async fn import_colleges(
    db: &DatabaseConnection,
    path: &Path,
    centroids: &HashMap<String, (f64, f64)>,
) -> Result<FileReport, ImportError> {
    let mut reader = open(
        path,
        &[
            "uai",
            "nom",
            "code_commune",
            "code_departement",
            "latitude",
            "longitude",
            "education_prioritaire",
        ],
    )?;
    let mut report = FileReport::default();
    let txn = db.begin().await?;
    let mut batch = Vec::with_capacity(BATCH);
    for (index, record) in reader.deserialize::<CollegeRow>().enumerate() {
        let line = index as u64 + 2;
        report.rows += 1;
        let row = match record {
            Ok(row) => row,
            Err(e) => {
                report.skipped += 1;
                report.note(line, format!("unreadable row: {e}"));
                continue;
            }
        };
        let uai = match Uai::parse(&row.uai) {
            Ok(uai) => uai,
            Err(e) => {
                report.skipped += 1;
                report.note(line, format!("{}: {e}", row.uai));
                continue;
            }
        };
        let position = row.latitude.zip(row.longitude);
        match (position, centroids.get(&row.code_commune)) {
            (None, _) => {
                report.missing_coordinates += 1;
                report.note(line, format!("{uai}: no coordinates"));
            }
            (Some((lat, lon)), Some(&(clat, clon))) => {
                let d = distance_km(lat, lon, clat, clon);
                if d > FAR_FROM_COMMUNE_KM {
                    report.far_from_commune += 1;
                    report.note(
                        line,
                        format!(
                            "{uai}: located {d:.0} km from the centroid of its commune {}",
                            row.code_commune
                        ),
                    );
                }
            }
            (Some(_), None) => {}
        }
        if !centroids.contains_key(&row.code_commune) {
            report.unknown_commune += 1;
            report.note(
                line,
                format!(
                    "{uai}: commune code {} is not in the commune list (merged commune?)",
                    row.code_commune
                ),
            );
        }
        let education_prioritaire = match row.education_prioritaire.as_str() {
            "" => None,
            other => Some(other.to_owned()),
        };
        batch.push(college::ActiveModel {
            uai: Set(uai.as_str().to_owned()),
            name: Set(row.nom),
            sector: Set(row.secteur),
            commune_insee: Set(row.code_commune),
            commune_name: Set(row.commune),
            departement: Set(row.code_departement),
            region: Set(row.code_region),
            lat: Set(position.map(|p| p.0)),
            lon: Set(position.map(|p| p.1)),
            education_prioritaire: Set(education_prioritaire),
            ips: Set(row.ips),
            etat: Set(row.etat),
        });
        if batch.len() == BATCH {
            report.imported += upsert_colleges(&txn, std::mem::take(&mut batch)).await?;
        }
    }
    report.imported += upsert_colleges(&txn, batch).await?;
    txn.commit().await?;
    Ok(report)
}

async fn upsert_colleges(
    db: &impl ConnectionTrait,
    batch: Vec<college::ActiveModel>,
) -> Result<usize, ImportError> {
    use college::Column as C;
    let n = batch.len();
    if n == 0 {
        return Ok(0);
    }
    college::Entity::insert_many(batch)
        .on_conflict(
            OnConflict::column(C::Uai)
                .update_columns([
                    C::Name,
                    C::Sector,
                    C::CommuneInsee,
                    C::CommuneName,
                    C::Departement,
                    C::Region,
                    C::Lat,
                    C::Lon,
                    C::EducationPrioritaire,
                    C::Ips,
                    C::Etat,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(n)
}
