//! Keyset pagination: `limit` and an opaque `cursor` (the last key seen),
//! answered as `{items, next_cursor}`. Stable under inserts and deletes.
use crate::error::ApiError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const DEFAULT_LIMIT: u64 = 20;
pub const MAX_LIMIT: u64 = 100;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PageQuery {
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// A validated page request over keys of type `K`.
#[derive(Debug, Clone)]
pub struct Page<K> {
    pub limit: u64,
    pub after: Option<K>,
}

impl PageQuery {
    fn limit(&self) -> Result<u64, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(l) if (1..=MAX_LIMIT).contains(&l) => Ok(l),
            Some(_) => Err(ApiError::field(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            )),
        }
    }

    fn raw_cursor(&self) -> Result<Option<String>, ApiError> {
        self.cursor
            .as_deref()
            .map(|c| {
                URL_SAFE_NO_PAD
                    .decode(c)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| ApiError::field("cursor", "not a cursor returned by this API"))
            })
            .transpose()
    }

    pub fn by_uuid(&self) -> Result<Page<Uuid>, ApiError> {
        let after = self
            .raw_cursor()?
            .map(|raw| {
                Uuid::parse_str(&raw)
                    .map_err(|_| ApiError::field("cursor", "not a cursor returned by this API"))
            })
            .transpose()?;
        Ok(Page {
            limit: self.limit()?,
            after,
        })
    }

    pub fn by_string(&self) -> Result<Page<String>, ApiError> {
        Ok(Page {
            limit: self.limit()?,
            after: self.raw_cursor()?,
        })
    }
}

#[derive(Debug, Serialize)]
pub struct Paginated<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Paginated<T> {
    /// Builds the answer from up to `limit + 1` rows fetched: the extra row
    /// only says that another page exists.
    pub fn from_rows<R>(
        mut rows: Vec<R>,
        limit: u64,
        key: impl Fn(&R) -> String,
        map: impl FnMut(R) -> T,
    ) -> Self {
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| encode_cursor(&key(r)))
        } else {
            None
        };
        Self {
            items: rows.into_iter().map(map).collect(),
            next_cursor,
        }
    }
}

/// The opaque form of a key, as found in `next_cursor`.
pub fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key)
}
