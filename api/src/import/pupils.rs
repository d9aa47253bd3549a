//! `POST /v1/pupils/import`: a school's pupils from a spreadsheet export.
use super::records::{self, RecordKind};
use super::{Column, ColumnMap, ImportReport, RowError, normalise_header, parse_bool, parse_date};
use crate::domain::{InseeCode, Sector, Track};
use crate::error::ApiError;
use crate::reference::CommuneCache;
use crate::store::pupils::{self, PupilData};
use crate::store::schools::SchoolContext;
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};
use std::collections::{HashMap, HashSet};

/// Accepted columns; the README and openapi.yaml list the same.
pub const COLUMNS: &[Column] = &[
    Column {
        name: "last_name",
        aliases: &["nom", "nom_de_famille"],
        required: true,
    },
    Column {
        name: "first_name",
        aliases: &["prenom"],
        required: true,
    },
    Column {
        name: "birth_date",
        aliases: &["date_naissance", "date_de_naissance", "naissance"],
        required: false,
    },
    Column {
        name: "class_name",
        aliases: &["classe", "division"],
        required: true,
    },
    Column {
        name: "track",
        aliases: &["parcours", "filiere"],
        required: false,
    },
    Column {
        name: "home_commune_insee",
        aliases: &["commune_insee", "code_commune", "commune_residence"],
        required: false,
    },
    Column {
        name: "interests",
        aliases: &["interets", "secteurs"],
        required: false,
    },
    Column {
        name: "needs_accessibility",
        aliases: &["besoin_accessibilite", "accessibilite"],
        required: false,
    },
    Column {
        name: "qpv",
        aliases: &[],
        required: false,
    },
    Column {
        name: "external_id",
        aliases: &["id_externe", "identifiant"],
        required: false,
    },
];

/// `Générale`, `prépa-métiers`, `SEGPA`... as a track.
pub fn parse_track(raw: &str) -> Result<Track, String> {
    let folded = normalise_header(raw);
    let folded = match folded.as_str() {
        "prepa_metier" | "3e_prepa_metiers" | "3_prepa_metiers" | "prepa" => "prepa_metiers",
        "general" | "generale" | "" => "generale",
        other => other,
    };
    Track::parse(folded).map_err(|e| format!("'{raw}': {e}"))
}

/// Sector letters separated by `|`, `,`, `;` or spaces.
pub fn parse_sectors(raw: &str) -> Result<Vec<Sector>, String> {
    let mut sectors = Vec::new();
    for part in raw.split(['|', ',', ';', ' ']).filter(|p| !p.is_empty()) {
        let sector = Sector::parse(part).map_err(|e| format!("'{part}': {e}"))?;
        if !sectors.contains(&sector) {
            sectors.push(sector);
        }
    }
    sectors.sort();
    Ok(sectors)
}

fn parse_row(
    record: &csv::StringRecord,
    columns: &ColumnMap,
    school: &SchoolContext,
    communes: &HashMap<String, Option<bool>>,
    row: u64,
    errors: &mut Vec<RowError>,
) -> Option<PupilData> {
    let before = errors.len();
    let mut fail = |field: &str, message: String| {
        errors.push(RowError {
            row,
            field: field.to_owned(),
            message,
        });
    };
    let text = |name: &str, max: usize, fail: &mut dyn FnMut(&str, String)| -> Option<String> {
        match columns.get(record, name) {
            Some(v) if v.chars().count() <= max => Some(v.to_owned()),
            Some(_) => {
                fail(name, format!("longer than {max} characters"));
                None
            }
            None => None,
        }
    };
    let last_name = text("last_name", 100, &mut fail);
    let first_name = text("first_name", 100, &mut fail);
    let class_name = text("class_name", 32, &mut fail);
    let external_id = text("external_id", 64, &mut fail);
    for (name, value) in [
        ("last_name", &last_name),
        ("first_name", &first_name),
        ("class_name", &class_name),
    ] {
        if value.is_none() && columns.get(record, name).is_none() {
            fail(name, "required".into());
        }
    }
    let birth_date = columns.get(record, "birth_date").and_then(|v| {
        parse_date(v)
            .and_then(|d| {
                if pupils::plausible_birth_date(d) {
                    Ok(d)
                } else {
                    Err(format!("'{v}' is not a plausible birth date"))
                }
            })
            .map_err(|m| fail("birth_date", m))
            .ok()
    });
    if birth_date.is_none() && external_id.is_none() && columns.get(record, "birth_date").is_none()
    {
        fail(
            "birth_date",
            "required unless the row has an external_id".into(),
        );
    }
    let track = columns
        .get(record, "track")
        .map_or(Ok(Track::Generale), parse_track)
        .map_err(|m| fail("track", m))
        .ok();
    let home = match columns.get(record, "home_commune_insee") {
        None => Some((None, None)),
        Some(raw) => match InseeCode::parse(raw) {
            Ok(code) => match communes.get(code.as_str()) {
                Some(frr) => Some((Some(code), *frr)),
                None => {
                    fail("home_commune_insee", format!("unknown commune code {raw}"));
                    None
                }
            },
            Err(e) => {
                fail("home_commune_insee", e.to_string());
                None
            }
        },
    };
    let interests = columns
        .get(record, "interests")
        .map_or(Ok(Vec::new()), parse_sectors)
        .map_err(|m| fail("interests", m))
        .ok();
    let needs_accessibility = columns
        .get(record, "needs_accessibility")
        .map_or(Ok(false), parse_bool)
        .map_err(|m| fail("needs_accessibility", m))
        .ok();
    let qpv = columns
        .get(record, "qpv")
        .map_or(Ok(false), parse_bool)
        .map_err(|m| fail("qpv", m))
        .ok();
    if errors.len() > before {
        return None;
    }
    let (home_commune_insee, home_frr) = home?;
    let qpv = qpv?;
    Some(PupilData {
        external_id,
        first_name: first_name?,
        last_name: last_name?,
        birth_date,
        class_name: class_name?.to_uppercase(),
        track: track?,
        home_commune_insee,
        interests: interests?,
        needs_accessibility: needs_accessibility?,
        qpv,
        priority: school.priority(home_frr, qpv),
    })
}

struct Pupils<'a> {
    communes: &'a CommuneCache,
    school: &'a SchoolContext,
    /// The FRR flag of each commune met so far (`None`: not classified).
    frr: HashMap<String, Option<bool>>,
}

impl RecordKind for Pupils<'_> {
    type Record = PupilData;
    const NOUN: &'static str = "pupil";

    async fn parse(
        &mut self,
        txn: &DatabaseTransaction,
        record: &csv::StringRecord,
        columns: &ColumnMap,
        row: u64,
        errors: &mut Vec<RowError>,
    ) -> Result<Option<PupilData>, ApiError> {
        if let Some(raw) = columns.get(record, "home_commune_insee")
            && let Ok(code) = InseeCode::parse(raw)
            && !self.frr.contains_key(code.as_str())
            && let Some(c) = self.communes.get(txn, code.as_str()).await?
        {
            self.frr.insert(code.as_str().to_owned(), Some(c.frr));
        }
        Ok(parse_row(
            record,
            columns,
            self.school,
            &self.frr,
            row,
            errors,
        ))
    }

    fn identity_hash(record: &PupilData) -> String {
        record.identity_hash()
    }

    async fn known(&self, txn: &DatabaseTransaction) -> Result<HashSet<String>, DbErr> {
        pupils::known_identities(txn, self.school.organisation_id).await
    }

    async fn store(&self, txn: &DatabaseTransaction, batch: &[PupilData]) -> Result<(), DbErr> {
        pupils::upsert_many(txn, self.school.organisation_id, batch).await
    }
}

/// Imports a CSV file for the school (see `records::import`).
pub async fn import(
    db: &DatabaseConnection,
    communes: &CommuneCache,
    school: &SchoolContext,
    bytes: &[u8],
    dry_run: bool,
) -> Result<ImportReport, ApiError> {
    let mut kind = Pupils {
        communes,
        school,
        frr: HashMap::new(),
    };
    records::import(db, &mut kind, COLUMNS, bytes, dry_run).await
}
