//! The part every record import shares (pupils, mentees): read the file row
//! by row, report bad rows, drop rows naming the same person twice, and
//! upsert the good ones by batches in one transaction, comparing them with
//! the organisation's identities read once.
use super::{Column, ColumnMap, ImportReport, RowError, decode, delimiter};
use crate::error::ApiError;
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr, TransactionTrait};
use std::collections::{HashMap, HashSet};

/// Rows written per statement: well under the bind-parameter limits of
/// SQLite (32,766) and PostgreSQL (65,535) at about 20 columns a row.
const BATCH: usize = 1000;

/// What differs from one kind of record to the next.
pub(crate) trait RecordKind {
    type Record;
    /// How the report names one record ("pupil").
    const NOUN: &'static str;

    /// The row as a record; `None` after pushing its errors.
    async fn parse(
        &mut self,
        txn: &DatabaseTransaction,
        record: &csv::StringRecord,
        columns: &ColumnMap,
        row: u64,
        errors: &mut Vec<RowError>,
    ) -> Result<Option<Self::Record>, ApiError>;

    /// Who the record is (see `store::identities`).
    fn identity_hash(record: &Self::Record) -> String;

    /// The identity hashes already stored for the organisation.
    async fn known(&self, txn: &DatabaseTransaction) -> Result<HashSet<String>, DbErr>;

    /// Inserts the records, or updates those already stored.
    async fn store(&self, txn: &DatabaseTransaction, batch: &[Self::Record]) -> Result<(), DbErr>;
}

/// Imports a CSV file in one transaction: every good row is written (once,
/// even when the file is sent again), every bad row reported; a failure of
/// the database leaves nothing half done. A dry run writes nothing and
/// reports what would happen.
pub(crate) async fn import<K: RecordKind>(
    db: &DatabaseConnection,
    kind: &mut K,
    known_columns: &[Column],
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
    let columns = ColumnMap::new(&headers, known_columns)?;
    let mut report = ImportReport {
        dry_run,
        ..ImportReport::default()
    };
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut batch: Vec<K::Record> = Vec::with_capacity(BATCH);
    let txn = db.begin().await?;
    let mut known = kind.known(&txn).await?;
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
                report.push_error(RowError {
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
        // The row's own errors, then into the report's bounded list.
        let mut row_errors = Vec::new();
        let parsed = kind
            .parse(&txn, &record, &columns, row, &mut row_errors)
            .await?;
        for error in row_errors {
            report.push_error(error);
        }
        let Some(data) = parsed else {
            report.rejected += 1;
            continue;
        };
        let identity = K::identity_hash(&data);
        if let Some(first) = seen.get(&identity) {
            report.duplicates += 1;
            report.push_error(RowError {
                row,
                field: String::new(),
                message: format!("same {} as row {first}: this row is ignored", K::NOUN),
            });
            continue;
        }
        seen.insert(identity, row);
        batch.push(data);
        if batch.len() == BATCH {
            flush(&txn, kind, &mut batch, &mut known, dry_run, &mut report).await?;
        }
    }
    flush(&txn, kind, &mut batch, &mut known, dry_run, &mut report).await?;
    if dry_run {
        txn.rollback().await?;
    } else {
        txn.commit().await?;
    }
    Ok(report)
}

async fn flush<K: RecordKind>(
    txn: &DatabaseTransaction,
    kind: &K,
    batch: &mut Vec<K::Record>,
    known: &mut HashSet<String>,
    dry_run: bool,
    report: &mut ImportReport,
) -> Result<(), ApiError> {
    // Rows of one file are distinct people (`seen`), so a hash new to
    // `known` is a record the upsert creates.
    let created = batch
        .iter()
        .filter(|d| known.insert(K::identity_hash(d)))
        .count();
    if !dry_run {
        kind.store(txn, batch).await?;
    }
    report.created += created as u64;
    report.updated += (batch.len() - created) as u64;
    batch.clear();
    Ok(())
}
