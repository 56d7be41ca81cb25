//! What the pages read again and again — strategy trees, the ~400 actions, the
//! places, which indicator feeds which — kept in memory and thrown away as soon as the
//! magnet index has caught up with a newer write (the index's audit position is the
//! version of the data). Reference geography, which only a reload of the reference
//! data changes, is kept per store (see [`super::geo`]).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use territoria_model::{Entity, EntityKind};
use territoria_store::{
    Counts, SchemeSummary, Store, StrategySummary, StrategyTree, TerritorialIndicator,
};

use crate::AppState;
use crate::api::with_store;
use crate::error::ApiError;

type Slot<T> = Mutex<Option<Arc<T>>>;
/// Strategy trees by (strategy, version); `None` when there is no such tree.
type Trees = Mutex<HashMap<(String, String), Arc<Option<StrategyTree>>>>;

/// The cached reads of one version of the data.
#[derive(Default)]
pub struct Snapshot {
    upto: i64,
    strategies: Slot<Vec<StrategySummary>>,
    schemes: Slot<Vec<SchemeSummary>>,
    trees: Trees,
    actions: Slot<Vec<Entity>>,
    places: Slot<Vec<Entity>>,
    /// Indicator key → the indicator it contributes to.
    contributions: Slot<HashMap<String, String>>,
    /// What the store holds (the home page's "open data and API" table).
    counts: Slot<Counts>,
    /// Indicators broken down by territory (the map's indicator layers).
    territorial: Slot<Vec<TerritorialIndicator>>,
    /// Organisations by key and the names of organisations and labels (the
    /// explorer's member table).
    directory: Slot<Directory>,
    /// The instant of the last audited write ("mis à jour le").
    updated: Slot<Option<String>>,
}

static SNAPSHOTS: LazyLock<Mutex<HashMap<usize, Arc<Snapshot>>>> = LazyLock::new(Default::default);

/// An identity for the store behind `state` (several stores live side by side in tests).
pub fn store_key(state: &AppState) -> usize {
    Arc::as_ptr(&state.store) as *const () as usize
}

/// Organisations by key, and names by key of organisations and labels.
#[derive(Default)]
pub struct Directory {
    /// Each organisation with the relations it is the subject of.
    pub organisations: HashMap<String, (Entity, Vec<territoria_model::Relation>)>,
    pub names: HashMap<String, String>,
}

/// The snapshot of the data as the magnet index sees them now.
pub fn snapshot(state: &AppState) -> Arc<Snapshot> {
    let upto = state.magnets.read().upto();
    let key = store_key(state);
    let mut all = SNAPSHOTS.lock().unwrap_or_else(|e| e.into_inner());
    match all.get(&key) {
        Some(s) if s.upto == upto => s.clone(),
        _ => {
            let s = Arc::new(Snapshot {
                upto,
                ..Snapshot::default()
            });
            all.insert(key, s.clone());
            s
        }
    }
}

async fn get_or_load<T, F>(state: &AppState, slot: &Slot<T>, load: F) -> Result<Arc<T>, ApiError>
where
    T: Send + Sync + 'static,
    F: FnOnce(&dyn Store) -> Result<T, ApiError> + Send + 'static,
{
    if let Some(v) = slot.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
        return Ok(v.clone());
    }
    // Two readers may load at once; both get the same data, the last one stays.
    let v = Arc::new(with_store(state, load).await?);
    *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(v.clone());
    Ok(v)
}

fn all_of(s: &dyn Store, kind: EntityKind) -> Result<Vec<Entity>, ApiError> {
    let mut out = Vec::new();
    s.export_entities(kind, &mut |e, _| {
        out.push(e);
        Ok(())
    })?;
    Ok(out)
}

impl Snapshot {
    pub async fn strategies(
        &self,
        state: &AppState,
    ) -> Result<Arc<Vec<StrategySummary>>, ApiError> {
        get_or_load(state, &self.strategies, |s| Ok(s.strategies()?)).await
    }

    pub async fn schemes(&self, state: &AppState) -> Result<Arc<Vec<SchemeSummary>>, ApiError> {
        get_or_load(state, &self.schemes, |s| Ok(s.schemes()?)).await
    }

    /// The tree of a strategy version (`None` when there is no such strategy or version).
    pub async fn tree(
        &self,
        state: &AppState,
        strategy: &str,
        version: &str,
    ) -> Result<Arc<Option<StrategyTree>>, ApiError> {
        let key = (strategy.to_owned(), version.to_owned());
        if let Some(t) = self
            .trees
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(t.clone());
        }
        let (id, v) = key.clone();
        let tree = Arc::new(with_store(state, move |s| Ok(s.strategy(&id, Some(&v))?)).await?);
        self.trees
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, tree.clone());
        Ok(tree)
    }

    /// Every action, with its typed details and tags, sorted by key.
    pub async fn actions(&self, state: &AppState) -> Result<Arc<Vec<Entity>>, ApiError> {
        get_or_load(state, &self.actions, |s| all_of(s, EntityKind::Action)).await
    }

    /// How many records of each sort the store holds.
    pub async fn counts(&self, state: &AppState) -> Result<Arc<Counts>, ApiError> {
        get_or_load(state, &self.counts, |s| Ok(s.counts()?)).await
    }

    /// Every place (EPN, support actors' offices), sorted by key.
    pub async fn directory(&self, state: &AppState) -> Result<Arc<Directory>, ApiError> {
        get_or_load(state, &self.directory, |s| {
            let mut d = Directory::default();
            for e in all_of(s, EntityKind::Label)? {
                d.names.insert(e.key.clone(), e.name.main().to_owned());
            }
            s.export_entities(EntityKind::Organisation, &mut |e, rels| {
                d.names.insert(e.key.clone(), e.name.main().to_owned());
                d.organisations.insert(e.key.clone(), (e, rels));
                Ok(())
            })?;
            Ok(d)
        })
        .await
    }

    /// When the data were last written (the newest audit entry), if ever.
    pub async fn updated(&self, state: &AppState) -> Option<String> {
        get_or_load(state, &self.updated, |s| {
            Ok(s.audit(1)?.into_iter().next().map(|a| a.at))
        })
        .await
        .ok()
        .and_then(|v| v.as_ref().clone())
    }

    pub async fn places(&self, state: &AppState) -> Result<Arc<Vec<Entity>>, ApiError> {
        get_or_load(state, &self.places, |s| all_of(s, EntityKind::Place)).await
    }

    /// Indicators with observations broken down by territory, by key.
    pub async fn territorial(
        &self,
        state: &AppState,
    ) -> Result<Arc<Vec<TerritorialIndicator>>, ApiError> {
        get_or_load(
            state,
            &self.territorial,
            |s| Ok(s.territorial_indicators()?),
        )
        .await
    }

    /// Which indicator each indicator contributes to (`contributes_to` relations).
    pub async fn contributions(
        &self,
        state: &AppState,
    ) -> Result<Arc<HashMap<String, String>>, ApiError> {
        get_or_load(state, &self.contributions, |s| {
            Ok(super::status_data::contributions(s)?)
        })
        .await
    }
}
