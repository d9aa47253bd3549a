//! CSV imports sent by people from spreadsheets: UTF-8 or Windows-1252,
//! `;` or `,`, French or English header names. A bad row is reported with
//! its number and field and never stops the good ones.
pub mod mentees;
pub mod pupils;
mod records;

use crate::error::{ApiError, FieldError};
use chrono::NaiveDate;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::HashMap;

/// Largest file accepted (100,000 pupils take about 8 MB).
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;

/// One problem in one row; row 1 is the header, so data starts at row 2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub row: u64,
    pub field: String,
    pub message: String,
}

/// What an import did, or would do in a dry run.
#[derive(Debug, Default, Serialize)]
pub struct ImportReport {
    pub dry_run: bool,
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    /// Rows naming the same person as a later row of the same file.
    pub duplicates: u64,
    pub rejected: u64,
    /// The first `MAX_REPORTED_ERRORS` errors, in row order.
    pub errors: Vec<RowError>,
    /// Every error found, reported or not: a file of bad rows would
    /// otherwise make an answer (and a memory peak) many times its size.
    pub errors_total: u64,
}

/// Errors an import report lists; `errors_total` counts them all.
pub const MAX_REPORTED_ERRORS: usize = 1000;

impl ImportReport {
    /// Counts the error, and keeps it while the list has room.
    pub fn push_error(&mut self, error: RowError) {
        self.errors_total += 1;
        if self.errors.len() < MAX_REPORTED_ERRORS {
            self.errors.push(error);
        }
    }
}

/// The file as text: UTF-8 (with or without BOM) or Windows-1252. Text with
/// C1 control characters once decoded is neither, and is refused; so is text
/// with NUL or other C0 controls (a UTF-16 export without BOM is valid UTF-8
/// full of NULs, which PostgreSQL cannot store).
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, ApiError> {
    let not_text = || {
        ApiError::field(
            "file",
            "the file is neither UTF-8 nor Windows-1252 text; export it again as CSV UTF-8",
        )
    };
    let control = |c: char| c < ' ' && !matches!(c, '\t' | '\n' | '\r');
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        if text.bytes().any(|b| control(b as char)) {
            return Err(not_text());
        }
        return Ok(Cow::Borrowed(text));
    }
    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
    if text
        .chars()
        .any(|c| control(c) || ('\u{80}'..='\u{9f}').contains(&c))
    {
        return Err(not_text());
    }
    Ok(text)
}

/// `;` when the header line has more semicolons than commas (French Excel).
pub fn delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or_default();
    if header.matches(';').count() > header.matches(',').count() {
        b';'
    } else {
        b','
    }
}

/// Header names compared without case, accents, spaces or dashes.
pub fn normalise_header(raw: &str) -> String {
    raw.trim()
        .chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'À' | 'Â' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' => 'e',
            'î' | 'ï' | 'Î' => 'i',
            'ô' | 'ö' | 'Ô' => 'o',
            'ù' | 'û' | 'ü' | 'Û' => 'u',
            'ç' | 'Ç' => 'c',
            ' ' | '-' | '.' => '_',
            other => other.to_ascii_lowercase(),
        })
        .collect()
}

/// A column the import knows, with the header names it accepts.
pub struct Column {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub required: bool,
}

/// Where each known column is in this file.
pub struct ColumnMap(HashMap<&'static str, usize>);

impl ColumnMap {
    /// Maps the header; a missing required column is a 422 listing them all.
    pub fn new(headers: &csv::StringRecord, columns: &[Column]) -> Result<Self, ApiError> {
        let normalised: Vec<String> = headers.iter().map(normalise_header).collect();
        let mut map = HashMap::new();
        let mut missing = Vec::new();
        for column in columns {
            let found = normalised
                .iter()
                .position(|h| h == column.name || column.aliases.contains(&h.as_str()));
            match found {
                Some(index) => {
                    map.insert(column.name, index);
                }
                None if column.required => missing.push(FieldError::new(
                    column.name,
                    format!(
                        "missing column (accepted headers: {})",
                        std::iter::once(column.name)
                            .chain(column.aliases.iter().copied())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )),
                None => {}
            }
        }
        if missing.is_empty() {
            Ok(Self(map))
        } else {
            Err(ApiError::Validation(missing))
        }
    }

    /// The trimmed cell, `None` when the column is absent or the cell empty.
    pub fn get<'r>(&self, record: &'r csv::StringRecord, name: &str) -> Option<&'r str> {
        self.0
            .get(name)
            .and_then(|i| record.get(*i))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }
}

pub fn parse_bool(raw: &str) -> Result<bool, String> {
    match normalise_header(raw).as_str() {
        "1" | "oui" | "o" | "yes" | "y" | "true" | "vrai" | "x" => Ok(true),
        "0" | "non" | "n" | "no" | "false" | "faux" => Ok(false),
        _ => Err(format!("'{raw}' is not oui/non")),
    }
}

/// `2012-05-31` or `31/05/2012`.
pub fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(raw, "%d/%m/%Y"))
        .map_err(|_| format!("'{raw}' is not a date such as 2012-05-31 or 31/05/2012"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_utf8_with_bom_and_windows_1252() {
        assert_eq!(
            decode(b"\xEF\xBB\xBFnom;pr\xC3\xA9nom").unwrap(),
            "nom;prénom"
        );
        assert_eq!(decode(b"nom;pr\xE9nom").unwrap(), "nom;prénom");
        assert!(decode(b"nom;\x81\x8d").is_err());
        assert!(decode(b"n\0o\0m\0;\0").is_err());
        assert!(decode(b"nom;pr\xE9nom\0").is_err());
        assert_eq!(decode(b"nom;\tx\r\n").unwrap(), "nom;\tx\r\n");
    }

    #[test]
    fn sniffs_the_delimiter_and_normalises_headers() {
        assert_eq!(delimiter("nom;prénom;classe\nA;B;C"), b';');
        assert_eq!(delimiter("last_name,first_name\n"), b',');
        assert_eq!(normalise_header(" Date de naissance "), "date_de_naissance");
        assert_eq!(normalise_header("Prénom"), "prenom");
    }

    #[test]
    fn parses_french_booleans_and_dates() {
        assert_eq!(parse_bool("Oui"), Ok(true));
        assert_eq!(parse_bool("non"), Ok(false));
        assert!(parse_bool("peut-être").is_err());
        assert_eq!(parse_date("31/05/2012").unwrap().to_string(), "2012-05-31");
        assert!(parse_date("2012-13-01").is_err());
    }
}
