//! What the in-process HTTP test binaries share: a real store on disk, filled with the
//! reference data, the strategy and a seeded synthetic demo, behind an [`AppState`].

use std::path::PathBuf;
use std::sync::Arc;

use tempfile::TempDir;
use territoria_refdata::demo::DemoOptions;
use territoria_server::AppState;
use territoria_store::SqliteStore;

pub struct Demo {
    /// Removed with the fixture.
    pub _dir: TempDir,
    /// The store file, for a second handle (another process's view).
    #[allow(dead_code)]
    pub path: PathBuf,
    pub state: AppState,
}

/// A fresh store with `organisations` demo organisations from `seed`, every record valid.
pub fn demo(seed: u64, organisations: usize) -> Demo {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("territoria.sqlite");
    let store = SqliteStore::open(&path).expect("open store");
    let ops = territoria_refdata::bootstrap_ops(Some(&DemoOptions {
        seed,
        organisations,
    }));
    let report = territoria_refdata::load(&store, "test", ops, &mut |_| {}).expect("bootstrap");
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let store = Arc::new(store);
    let accounts: Arc<dyn territoria_store::AccountStore> = store.clone();
    Demo {
        _dir: dir,
        path,
        state: AppState::new(store)
            .expect("magnet index")
            .with_accounts(accounts),
    }
}
