//! `POST /v1/mentees/import`: a structure's mentees from the spreadsheet it
//! kept so far. Same guarantees as the pupils' import: a bad row is reported
//! and loses no good row; a good row is written whole or not at all.
use super::{
    Column, ColumnMap, ImportReport, RowError, decode, delimiter, normalise_header, parse_bool,
    parse_date,
};
use crate::error::ApiError;
use crate::reference::CommuneCache;
use crate::store::mentees::{self, Lookup, MenteeData, RawMentee};
use chrono::{Datelike, Utc};
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};
use std::collections::HashMap;
use uuid::Uuid;

/// Accepted columns; openapi.yaml lists the same.
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
        name: "birth_year",
        aliases: &[
            "annee_naissance",
            "annee_de_naissance",
            "date_naissance",
            "date_de_naissance",
            "naissance",
        ],
        required: true,
    },
    Column {
        name: "situation",
        aliases: &["statut"],
        required: true,
    },
    Column {
        name: "commune_insee",
        aliases: &["code_commune", "commune", "commune_residence"],
        required: true,
    },
    Column {
        name: "school_uai",
        aliases: &["uai", "college", "etablissement"],
        required: false,
    },
    Column {
        name: "qpv",
        aliases: &[],
        required: false,
    },
    Column {
        name: "needs",
        aliases: &["besoins"],
        required: false,
    },
    Column {
        name: "interests",
        aliases: &["interets", "secteurs"],
        required: false,
    },
    Column {
        name: "remote_ok",
        aliases: &["distanciel", "a_distance"],
        required: false,
    },
    Column {
        name: "available_from",
        aliases: &["disponible_le", "disponibilite"],
        required: false,
    },
    Column {
        name: "email",
        aliases: &["courriel", "mail", "e_mail"],
        required: false,
    },
];

const BATCH: usize = 1000;

/// `2003` or a full birth date (`2003-05-31`, `31/05/2003`).
fn parse_birth_year(raw: &str) -> Result<i32, String> {
    if raw.len() == 4 && raw.bytes().all(|b| b.is_ascii_digit()) {
        return raw.parse().map_err(|_| format!("'{raw}' is not a year"));
    }
    parse_date(raw)
        .map(|d| d.year())
        .map_err(|_| format!("'{raw}' is not a year such as 2004 or a date such as 31/05/2004"))
}

/// Items separated by `|`, `,` or `;`, spelled as people write them
/// (`Insertion professionnelle`, `scolarité`).
fn parse_list(raw: &str) -> Vec<String> {
    raw.split(['|', ',', ';'])
        .map(normalise_header)
        .filter(|p| !p.is_empty())
        .collect()
}

/// Sector letters separated by `|`, `,`, `;` or spaces.
fn parse_letters(raw: &str) -> Vec<String> {
    raw.split(['|', ',', ';', ' '])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The row as a record, or its errors. The API's own checks run on it, so
/// both paths apply the same rules.
async fn parse_row(
    txn: &DatabaseTransaction,
    lookup: &mut Lookup<'_>,
    record: &csv::StringRecord,
    columns: &ColumnMap,
    row: u64,
    errors: &mut Vec<RowError>,
) -> Result<Option<MenteeData>, ApiError> {
    let mut found: Vec<RowError> = Vec::new();
    let mut fail = |field: &str, message: String| {
        if !found.iter().any(|e| e.field == field) {
            found.push(RowError {
                row,
                field: field.to_owned(),
                message,
            });
        }
    };
    let cell = |name: &str| columns.get(record, name);
    for name in [
        "last_name",
        "first_name",
        "birth_year",
        "situation",
        "commune_insee",
    ] {
        if cell(name).is_none() {
            fail(name, "required".into());
        }
    }
    let birth_year = cell("birth_year")
        .map(parse_birth_year)
        .transpose()
        .map_err(|m| fail("birth_year", m))
        .ok()
        .flatten()
        // A placeholder that passes, so the other checks still run.
        .unwrap_or(Utc::now().year() - 20);
    let mut flag = |name: &str| {
        cell(name)
            .map_or(Ok(false), parse_bool)
            .unwrap_or_else(|m| {
                fail(name, m);
                false
            })
    };
    let qpv = flag("qpv");
    let remote_ok = flag("remote_ok");
    let available_from = cell("available_from")
        .map(parse_date)
        .transpose()
        .map_err(|m| fail("available_from", m))
        .ok()
        .flatten();
    let raw = RawMentee {
        first_name: cell("first_name").unwrap_or_default().to_owned(),
        last_name: cell("last_name").unwrap_or_default().to_owned(),
        email: cell("email").map(str::to_owned),
        birth_year,
        situation: cell("situation").map(normalise_header).unwrap_or_default(),
        school_uai: cell("school_uai").map(str::to_owned),
        commune_insee: cell("commune_insee").unwrap_or_default().to_owned(),
        qpv,
        needs: cell("needs").map(parse_list).unwrap_or_default(),
        interests: cell("interests").map(parse_letters).unwrap_or_default(),
        remote_ok,
        available_from,
    };
    let refs = lookup.references(txn, &raw).await?;
    let checked = raw.check(&refs);
    if let Err(field_errors) = &checked {
        for e in field_errors {
            // `needs[2]` in the API is the `needs` cell here.
            let field = e.field.split('[').next().unwrap_or_default();
            fail(field, e.message.clone());
        }
    }
    if found.is_empty() {
        Ok(checked.ok())
    } else {
        found.sort_by(|a, b| a.field.cmp(&b.field));
        errors.extend(found);
        Ok(None)
    }
}

/// Imports a CSV file for the structure, in one transaction: every good row
/// is written (once, even when the file is sent again), every bad row
/// reported; a failure of the database leaves nothing half done. A dry run
/// writes nothing and reports what would happen.
pub async fn import(
    db: &DatabaseConnection,
    communes: &CommuneCache,
    organisation_id: Uuid,
    bytes: &[u8],
    dry_run: bool,
) -> Result<ImportReport, ApiError> {
    let text = decode(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(&text))
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ApiError::field("file", format!("the header row cannot be read: {e}")))?
        .clone();
    let columns = ColumnMap::new(&headers, COLUMNS)?;
    let mut report = ImportReport {
        dry_run,
        ..ImportReport::default()
    };
    let mut lookup = Lookup::new(communes);
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut batch: Vec<MenteeData> = Vec::with_capacity(BATCH);
    let txn = db.begin().await?;
    let mut record = csv::StringRecord::new();
    let mut row = 1u64;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                row += 1;
                report.rows += 1;
                report.rejected += 1;
                report.errors.push(RowError {
                    row,
                    field: String::new(),
                    message: format!("unreadable row: {e}"),
                });
                continue;
            }
        }
        row += 1;
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        report.rows += 1;
        let parsed = parse_row(
            &txn,
            &mut lookup,
            &record,
            &columns,
            row,
            &mut report.errors,
        )
        .await?;
        let Some(data) = parsed else {
            report.rejected += 1;
            continue;
        };
        let identity = data.identity_hash();
        if let Some(first) = seen.get(&identity) {
            report.duplicates += 1;
            report.errors.push(RowError {
                row,
                field: String::new(),
                message: format!("same mentee as row {first}: this row is ignored"),
            });
            continue;
        }
        seen.insert(identity, row);
        batch.push(data);
        if batch.len() == BATCH {
            flush(&txn, organisation_id, &mut batch, dry_run, &mut report).await?;
        }
    }
    flush(&txn, organisation_id, &mut batch, dry_run, &mut report).await?;
    if dry_run {
        txn.rollback().await?;
    } else {
        txn.commit().await?;
    }
    Ok(report)
}

async fn flush(
    txn: &DatabaseTransaction,
    organisation_id: Uuid,
    batch: &mut Vec<MenteeData>,
    dry_run: bool,
    report: &mut ImportReport,
) -> Result<(), ApiError> {
    let created = if dry_run {
        batch.len()
            - mentees::existing_identities(txn, organisation_id, batch)
                .await?
                .len()
    } else {
        mentees::upsert_many(txn, organisation_id, batch).await?
    };
    report.created += created as u64;
    report.updated += (batch.len() - created) as u64;
    batch.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_years_dates_and_lists_as_people_write_them() {
        assert_eq!(parse_birth_year("2004"), Ok(2004));
        assert_eq!(parse_birth_year("31/05/2004"), Ok(2004));
        assert!(parse_birth_year("04").is_err());
        assert_eq!(
            parse_list("Insertion professionnelle | scolarité"),
            vec!["insertion_professionnelle", "scolarite"]
        );
        assert_eq!(parse_letters("A M,h"), vec!["A", "M", "h"]);
    }
}
