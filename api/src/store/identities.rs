//! Records stored once per person (a school's pupils, a structure's
//! mentees): each row holds a hash of who the person is, unique per
//! organisation, so a file sent twice updates its rows instead of adding them.
//! Pupils and mentees go through these functions, so an import behaves and
//! performs the same for both.
use crate::auth::hash_secret;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
};
use std::collections::HashSet;
use uuid::Uuid;

/// The hash of the `\u{1f}`-joined parts (a character nobody types), each
/// folded so that case and spacing do not count.
pub fn identity_hash(prefix: &str, parts: &[&str]) -> String {
    let mut joined = prefix.to_owned();
    for part in parts {
        joined.push('\u{1f}');
        joined.push_str(&fold(part));
    }
    hash_secret(&joined)
}

fn fold(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The identity hashes of all the organisation's records, in one query: an
/// import compares its rows with them in memory. (Asking per batch with an
/// `IN` list made PostgreSQL scan the table growing inside the import's
/// transaction, which it plans as empty: quadratic, 250 s for 100,000 rows.)
pub async fn known<E: EntityTrait>(
    db: &impl ConnectionTrait,
    organisation: E::Column,
    identity: E::Column,
    organisation_id: Uuid,
) -> Result<HashSet<String>, DbErr> {
    let found: Vec<Option<String>> = E::find()
        .select_only()
        .column(identity)
        .filter(organisation.eq(organisation_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(found.into_iter().flatten().collect())
}

/// Inserts the rows, or updates the `update` columns of those whose
/// `(organisation, identity)` key is already stored, in one statement.
pub async fn upsert_many<A: ActiveModelTrait>(
    db: &impl ConnectionTrait,
    rows: Vec<A>,
    key: [<A::Entity as EntityTrait>::Column; 2],
    update: &[<A::Entity as EntityTrait>::Column],
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    A::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns(key)
                .update_columns(update.iter().copied())
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_spacing_do_not_change_who_someone_is() {
        let a = identity_hash("id", &["3E A", "Da  Silva", "Léa", "2012-05-31"]);
        let b = identity_hash("id", &["3e a", " da silva ", "LÉA", "2012-05-31"]);
        assert_eq!(a, b);
        assert_ne!(a, identity_hash("id", &["3E A", "Da Silva", "Léa", ""]));
        assert_ne!(
            a,
            identity_hash("ext", &["3E A", "Da Silva", "Léa", "2012-05-31"])
        );
        // The separator keeps parts apart: "ab"+"c" is not "a"+"bc".
        assert_ne!(
            identity_hash("x", &["ab", "c"]),
            identity_hash("x", &["a", "bc"])
        );
    }
}
