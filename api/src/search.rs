//! Offer search around a point, served from memory: published offers in the
//! matcher's great-circle R-tree, kept in step with offer writes (a write is
//! visible to the next search in this process; writes of other processes
//! sharing the database arrive within the sync period).
use crate::domain::{IsoWeek, Location, OfferKind, OfferStatus, Sector};
use crate::store::offers::{OfferRecord, with_weeks};
use chrono::{DateTime, Duration, Utc};
use entity::offer;
use matcher::{GeoPoint, SpatialIndex};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use uuid::Uuid;

/// What a search answer shows of an offer: no tutor contact, no remote id.
#[derive(Debug, Clone, Serialize)]
pub struct OfferSummary {
    pub id: Uuid,
    pub kind: String,
    pub title: String,
    pub sector: String,
    pub commune_insee: String,
    pub location: Location,
    pub weeks: Vec<WeekSeats>,
    pub tracks: Vec<String>,
    pub reserved_for_priority: bool,
    pub accessible: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct WeekSeats {
    pub week: String,
    pub seats: u32,
}

struct Entry {
    point: GeoPoint,
    kind: Option<OfferKind>,
    sector: Option<Sector>,
    weeks: Vec<String>,
    summary: Arc<OfferSummary>,
}

#[derive(Default)]
struct Inner {
    index: SpatialIndex<Uuid>,
    entries: HashMap<Uuid, Entry>,
    /// `updated_at` of the last state applied per offer (removed ones too),
    /// so a sync that read an older state never overwrites a newer write.
    versions: HashMap<Uuid, DateTime<Utc>>,
}

/// Filters and page of a search.
#[derive(Debug, Clone)]
pub struct SearchQuery {
    pub point: GeoPoint,
    pub radius_km: f64,
    pub week: Option<IsoWeek>,
    pub kind: Option<OfferKind>,
    pub sector: Option<Sector>,
    pub offset: usize,
    pub limit: usize,
}

/// One page of results, nearest first, and whether more follow.
pub struct SearchPage {
    pub hits: Vec<(Arc<OfferSummary>, f64)>,
    pub more: bool,
}

#[derive(Clone, Default)]
pub struct OfferSearch {
    inner: Arc<RwLock<Inner>>,
    synced_until: Arc<RwLock<Option<DateTime<Utc>>>>,
}

fn entry(record: &OfferRecord) -> Entry {
    let o = &record.offer;
    let summary = OfferSummary {
        id: o.id,
        kind: o.kind.clone(),
        title: o.title.clone(),
        sector: o.sector.clone(),
        commune_insee: o.commune_insee.clone(),
        location: Location {
            lat: o.lat,
            lon: o.lon,
        },
        weeks: record
            .weeks
            .iter()
            .map(|w| WeekSeats {
                week: w.week.clone(),
                seats: w.seats.max(0) as u32,
            })
            .collect(),
        tracks: o
            .tracks
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        reserved_for_priority: o.reserved_for_priority,
        accessible: o.accessible,
    };
    Entry {
        point: GeoPoint::new(o.lat, o.lon),
        kind: OfferKind::parse(&o.kind).ok(),
        sector: Sector::parse(&o.sector).ok(),
        weeks: record.weeks.iter().map(|w| w.week.clone()).collect(),
        summary: Arc::new(summary),
    }
}

impl OfferSearch {
    /// Every published offer, loaded in one bulk build of the R-tree.
    pub async fn load(db: &impl ConnectionTrait) -> Result<Self, DbErr> {
        let started = Utc::now();
        let offers = offer::Entity::find()
            .filter(offer::Column::Status.eq(OfferStatus::Published.as_str()))
            .all(db)
            .await?;
        let mut records = Vec::with_capacity(offers.len());
        for chunk in offers.chunks(1000) {
            records.extend(with_weeks(db, chunk.to_vec()).await?);
        }
        let search = Self::from_records(&records);
        *search
            .synced_until
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Some(started);
        Ok(search)
    }

    /// An index over the given offers (published ones only).
    pub fn from_records(records: &[OfferRecord]) -> Self {
        let entries: HashMap<Uuid, Entry> = records
            .iter()
            .filter(|r| r.offer.status == OfferStatus::Published.as_str())
            .map(|r| (r.offer.id, entry(r)))
            .collect();
        let index = SpatialIndex::bulk_load(entries.iter().map(|(id, e)| (*id, e.point)).collect());
        let versions = records
            .iter()
            .map(|r| (r.offer.id, r.offer.updated_at))
            .collect();
        Self {
            inner: Arc::new(RwLock::new(Inner {
                index,
                entries,
                versions,
            })),
            synced_until: Arc::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.inner.read().map(|i| i.entries.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Puts the offer's state in the index: present when published, absent
    /// otherwise; ignored when an equally recent or newer state was applied.
    pub fn upsert(&self, record: &OfferRecord) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let id = record.offer.id;
        if inner
            .versions
            .get(&id)
            .is_some_and(|v| *v > record.offer.updated_at)
        {
            return;
        }
        inner.versions.insert(id, record.offer.updated_at);
        if let Some(old) = inner.entries.remove(&id) {
            inner.index.remove(id, old.point);
        }
        if record.offer.status == OfferStatus::Published.as_str() {
            let e = entry(record);
            inner.index.insert(id, e.point);
            inner.entries.insert(id, e);
        }
    }

    /// Removes an offer archived at `at`.
    pub fn remove(&self, id: Uuid, at: DateTime<Utc>) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        inner.versions.insert(id, at);
        if let Some(old) = inner.entries.remove(&id) {
            inner.index.remove(id, old.point);
        }
    }

    /// Offers within the radius matching the filters, nearest first.
    pub fn search(&self, query: &SearchQuery) -> SearchPage {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let week = query.week.map(|w| w.to_string());
        let wanted = query.offset + query.limit + 1;
        let mut matched = Vec::with_capacity(wanted.min(1024));
        for (id, distance) in inner.index.iter_by_distance(query.point) {
            if distance > query.radius_km {
                break;
            }
            let Some(e) = inner.entries.get(&id) else {
                continue;
            };
            if query.kind.is_some_and(|k| e.kind != Some(k))
                || query.sector.is_some_and(|s| e.sector != Some(s))
                || week.as_ref().is_some_and(|w| !e.weeks.contains(w))
            {
                continue;
            }
            matched.push((Arc::clone(&e.summary), distance));
            if matched.len() == wanted {
                break;
            }
        }
        let more = matched.len() > query.offset + query.limit;
        let hits = matched
            .into_iter()
            .skip(query.offset)
            .take(query.limit)
            .collect();
        SearchPage { hits, more }
    }

    /// Applies offers written since the last sync, by this process or any
    /// other sharing the database. The window overlaps the previous one so a
    /// write committed during the last sync is not missed.
    pub async fn sync(&self, db: &impl ConnectionTrait) -> Result<usize, DbErr> {
        let now = Utc::now();
        let since = self
            .synced_until
            .read()
            .map(|s| *s)
            .unwrap_or(None)
            .unwrap_or(now)
            - Duration::seconds(5);
        // Ids and versions first: this process's own writes are already in
        // the index, so only other processes' changes are read in full.
        let changed: Vec<(Uuid, DateTime<Utc>)> = offer::Entity::find()
            .select_only()
            .column(offer::Column::Id)
            .column(offer::Column::UpdatedAt)
            .filter(offer::Column::UpdatedAt.gte(since))
            .into_tuple()
            .all(db)
            .await?;
        let unseen: Vec<Uuid> = {
            let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
            changed
                .into_iter()
                .filter(|(id, at)| inner.versions.get(id).is_none_or(|v| v < at))
                .map(|(id, _)| id)
                .collect()
        };
        let n = unseen.len();
        for chunk in unseen.chunks(1000) {
            let offers = offer::Entity::find()
                .filter(offer::Column::Id.is_in(chunk.iter().copied()))
                .all(db)
                .await?;
            for record in with_weeks(db, offers).await? {
                self.upsert(&record);
            }
        }
        *self.synced_until.write().unwrap_or_else(|e| e.into_inner()) = Some(now);
        Ok(n)
    }
}
