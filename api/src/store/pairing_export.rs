//! The pairings of a structure for the State export, a keyset page at a
//! time with each pairing's meeting count, so that an export of any size
//! streams in bounded memory, and the pseudonyms that stand for its ids.
use super::alerts::statement;
use chrono::NaiveDate;
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Value};
use sha2::Sha256;
use uuid::Uuid;

/// What the export keeps of a pairing: no names, no contact, no note.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct ExportRow {
    pub id: Uuid,
    pub mentee_id: Uuid,
    pub mentor_id: Option<Uuid>,
    pub status: String,
    pub priority: String,
    pub departement: String,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub end_reason: Option<String>,
    pub meetings: i64,
}

#[derive(Debug, Clone, Default)]
pub struct ExportFilter {
    pub status: Option<String>,
    /// Started on or after this day (pairs never started are left out).
    pub started_from: Option<NaiveDate>,
    /// Started on or before this day.
    pub started_to: Option<NaiveDate>,
}

/// Up to `limit` pairings of the structure after `after`, in id order.
pub async fn page(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    filter: &ExportFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<ExportRow>, DbErr> {
    let mut values: Vec<Value> = vec![organisation_id.into()];
    let mut conditions = String::new();
    let mut and = |condition: &str, value: Value, values: &mut Vec<Value>| {
        values.push(value);
        conditions.push_str(&format!(" AND {condition} ${}", values.len()));
    };
    if let Some(after) = after {
        and("p.id >", after.into(), &mut values);
    }
    if let Some(status) = &filter.status {
        and("p.status =", status.clone().into(), &mut values);
    }
    if let Some(from) = filter.started_from {
        and("p.start_date >=", from.into(), &mut values);
    }
    if let Some(to) = filter.started_to {
        and("p.start_date <=", to.into(), &mut values);
    }
    values.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
    let sql = format!(
        "SELECT p.id, p.mentee_id, p.mentor_id, p.status, p.priority, p.departement,
                p.start_date, p.end_date, p.end_reason,
                (SELECT COUNT(*) FROM meeting m WHERE m.pairing_id = p.id) AS meetings
         FROM pairing p
         WHERE p.organisation_id = $1{conditions}
         ORDER BY p.id
         LIMIT ${}",
        values.len()
    );
    ExportRow::find_by_statement(statement(db.get_database_backend(), &sql, values))
        .all(db)
        .await
}

/// HMAC-SHA256 (RFC 2104), by the `hmac` crate jsonwebtoken already brings.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// The `setting` row holding the generated pseudonym key, when none is
/// configured.
pub const KEY_SETTING: &str = "export_pseudonym_key";

/// The stable pseudonym of a record of `kind` (`pairing`, `mentee`,
/// `mentor`): the first 96 bits of HMAC-SHA256(key, `kind:uuid`), in hex.
pub fn pseudonym(key: &[u8], kind: &str, id: Uuid) -> String {
    hex::encode(&hmac_sha256(key, format!("{kind}:{id}").as_bytes())[..12])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2 of RFC 4231.
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block is hashed first.
        let mac = hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(
            hex::encode(mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn pseudonyms_depend_on_the_key_and_the_kind() {
        let id = Uuid::now_v7();
        let a = pseudonym(b"key one", "mentee", id);
        assert_eq!(a.len(), 24);
        assert_eq!(a, pseudonym(b"key one", "mentee", id));
        assert_ne!(a, pseudonym(b"key two", "mentee", id));
        assert_ne!(a, pseudonym(b"key one", "pairing", id));
    }
}
