use entity::commune;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// What the write paths need of a commune, kept in memory: 35,000 entries
/// are a few megabytes and save a query on every offer write.
#[derive(Debug, Clone)]
pub struct CommuneRef {
    pub lat: f64,
    pub lon: f64,
    pub frr: bool,
    pub departement: String,
}

impl From<&commune::Model> for CommuneRef {
    fn from(c: &commune::Model) -> Self {
        Self {
            lat: c.lat,
            lon: c.lon,
            frr: c.frr,
            departement: c.departement.clone(),
        }
    }
}

#[derive(Clone, Default)]
pub struct CommuneCache {
    inner: Arc<RwLock<HashMap<String, CommuneRef>>>,
}

impl CommuneCache {
    pub async fn load(db: &impl ConnectionTrait) -> Result<Self, DbErr> {
        let cache = Self::default();
        cache.reload(db).await?;
        Ok(cache)
    }

    pub async fn reload(&self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        let map: HashMap<String, CommuneRef> = commune::Entity::find()
            .all(db)
            .await?
            .iter()
            .map(|c| (c.insee.clone(), CommuneRef::from(c)))
            .collect();
        if let Ok(mut guard) = self.inner.write() {
            *guard = map;
        }
        Ok(())
    }

    /// The commune, from memory, or from the database when another process
    /// imported it after this one started.
    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        insee: &str,
    ) -> Result<Option<CommuneRef>, DbErr> {
        if let Some(found) = self.inner.read().ok().and_then(|m| m.get(insee).cloned()) {
            return Ok(Some(found));
        }
        let found = commune::Entity::find_by_id(insee.to_owned())
            .one(db)
            .await?;
        let found = found.as_ref().map(CommuneRef::from);
        if let (Some(c), Ok(mut guard)) = (&found, self.inner.write()) {
            guard.insert(insee.to_owned(), c.clone());
        }
        Ok(found)
    }
}
