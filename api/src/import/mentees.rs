//! `POST /v1/mentees/import`: a structure's mentees from the spreadsheet it
//! kept so far. Same guarantees as the pupils' import: a bad row is reported
//! and loses no good row; a good row is written whole or not at all.
use super::records::{self, RecordKind};
use super::{Column, ColumnMap, ImportReport, RowError, normalise_header, parse_bool, parse_date};
use crate::error::ApiError;
use crate::reference::CommuneCache;
use crate::store::mentees::{self, Lookup, MenteeData, RawMentee};
use chrono::{DateTime, Datelike, Utc};
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};
use std::collections::HashSet;
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

struct Mentees<'a> {
    lookup: Lookup<'a>,
    organisation_id: Uuid,
    now: DateTime<Utc>,
}

impl RecordKind for Mentees<'_> {
    type Record = MenteeData;
    const NOUN: &'static str = "mentee";

    async fn parse(
        &mut self,
        txn: &DatabaseTransaction,
        record: &csv::StringRecord,
        columns: &ColumnMap,
        row: u64,
        errors: &mut Vec<RowError>,
    ) -> Result<Option<MenteeData>, ApiError> {
        parse_row(txn, &mut self.lookup, record, columns, row, errors).await
    }

    fn identity_hash(record: &MenteeData) -> String {
        record.identity_hash()
    }

    async fn known(&self, txn: &DatabaseTransaction) -> Result<HashSet<String>, DbErr> {
        mentees::known_identities(txn, self.organisation_id).await
    }

    async fn store(&self, txn: &DatabaseTransaction, batch: &[MenteeData]) -> Result<(), DbErr> {
        mentees::upsert_many(txn, self.organisation_id, batch, self.now).await
    }
}

/// Imports a CSV file for the structure (see `records::import`).
pub async fn import(
    db: &DatabaseConnection,
    communes: &CommuneCache,
    organisation_id: Uuid,
    bytes: &[u8],
    dry_run: bool,
    now: DateTime<Utc>,
) -> Result<ImportReport, ApiError> {
    let mut kind = Mentees {
        lookup: Lookup::new(communes),
        organisation_id,
        now,
    };
    records::import(db, &mut kind, COLUMNS, bytes, dry_run).await
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
