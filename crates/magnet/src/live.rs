//! The index as the server holds it: shared by readers, kept current with the store.

use std::sync::{Mutex, RwLock, RwLockReadGuard};

use territoria_store::{ScanItem, Store, StoreError};

use crate::Index;

/// Above this share of the entities changed (in one go, or in place since the last
/// build), a rebuild is cheaper than applying the changes one by one, and keeps the
/// map of changed entities' concepts small.
const REBUILD_SHARE: usize = 10;
/// Up to this many entities changed since the build are always applied in place.
const ALWAYS_IN_PLACE: usize = 10_000;

/// Whether a refresh rebuilds the index rather than updating it in place: new concepts
/// (their numbering is fixed at build time), or too many entities changed since the
/// build — `overridden` already, `changed` now — out of `len`.
fn rebuilds(concepts: bool, changed: usize, overridden: usize, len: usize) -> bool {
    let grown = overridden + changed;
    concepts || (grown > ALWAYS_IN_PLACE && grown > len / REBUILD_SHARE)
}

/// An [`Index`] behind a read–write lock, caught up with the store's writes by
/// [`Live::refresh`] — which any writer may call, and the server calls periodically
/// and after its own writes, so writes by other processes (a `territoria import`
/// next to a running server) are seen too.
pub struct Live {
    index: RwLock<Index>,
    /// One refresh at a time.
    refreshing: Mutex<()>,
}

/// What a [`Live::refresh`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refreshed {
    /// Nothing was written since the last refresh.
    Unchanged,
    /// The changed entities were applied in place.
    Updated { entities: usize },
    /// Concepts changed, or too many entities: the index was rebuilt and swapped in.
    Rebuilt,
}

impl Live {
    pub fn build(store: &dyn Store) -> Result<Live, StoreError> {
        Ok(Live::new(Index::build(store)?))
    }

    pub fn new(index: Index) -> Live {
        Live {
            index: RwLock::new(index),
            refreshing: Mutex::new(()),
        }
    }

    /// The current index. Hold the guard only for one query: a refresh waits for it.
    pub fn read(&self) -> RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Catches up with the writes made since the index was last brought up to date.
    /// The store is read without holding the index lock; only the in-memory update
    /// (or the swap of a rebuilt index) excludes readers.
    pub fn refresh(&self, store: &dyn Store) -> Result<Refreshed, StoreError> {
        let _one = self.refreshing.lock().unwrap_or_else(|e| e.into_inner());
        let (upto, len, overridden) = {
            let idx = self.read();
            (idx.upto(), idx.len(), idx.overridden())
        };
        let changes = store.changes_since(upto)?;
        if changes.upto <= upto {
            return Ok(Refreshed::Unchanged);
        }
        let n = changes.entities.len();
        if rebuilds(changes.concepts, n, overridden, len) {
            let fresh = Index::build(store)?;
            *self.index.write().unwrap_or_else(|e| e.into_inner()) = fresh;
            return Ok(Refreshed::Rebuilt);
        }
        let mut items: Vec<ScanItem> = Vec::new();
        store.scan_entities(&changes.entities, &mut |item| {
            items.push(item);
            Ok(())
        })?;
        self.index
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .apply(&changes, items);
        Ok(Refreshed::Updated { entities: n })
    }
}

#[cfg(test)]
mod tests {
    use super::rebuilds;

    #[test]
    fn many_small_writes_end_in_a_rebuild_like_one_big_one() {
        let len = 1_000_000;
        assert!(
            !rebuilds(false, 500, 0, len),
            "a small write is applied in place"
        );
        assert!(rebuilds(false, 150_000, 0, len), "a big write rebuilds");
        assert!(
            rebuilds(false, 500, 99_800, len),
            "small writes add up: the overrides stay under a tenth"
        );
        assert!(
            !rebuilds(false, 500, 9_000, 20_000),
            "small stores stay in place"
        );
        assert!(rebuilds(true, 1, 0, len), "new concepts always rebuild");
    }
}
