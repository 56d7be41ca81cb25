//! The backends a store test runs on: always an embedded store in a temporary
//! directory, and — with the `postgres` feature and `TERRITORIA_TEST_DATABASE` set (see
//! `.ci/postgres.sh`) — a PostgreSQL store in a fresh schema, dropped at the end.
//! `TERRITORIA_TEST_REQUIRE_DATABASE` turns a missing database into a failure, so that
//! CI cannot pass on SQLite alone.
#![allow(dead_code)]

use std::path::PathBuf;

use territoria_store::{SqliteStore, Store};

pub struct Backend {
    pub name: &'static str,
    pub store: Box<dyn Store>,
    /// The file of an embedded store, for the tests that look under the trait.
    pub sqlite_path: Option<PathBuf>,
    _dir: Option<tempfile::TempDir>,
    #[cfg(feature = "postgres")]
    pg: Option<(String, String)>,
}

#[cfg(feature = "postgres")]
impl Drop for Backend {
    fn drop(&mut self) {
        if let Some((url, schema)) = &self.pg {
            if let Ok(mut c) = postgres::Client::connect(url, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
    }
}

pub fn sqlite() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    Backend {
        name: "sqlite",
        store: Box::new(SqliteStore::open(&path).unwrap()),
        sqlite_path: Some(path),
        _dir: Some(dir),
        #[cfg(feature = "postgres")]
        pg: None,
    }
}

/// The database URL for PostgreSQL tests, if any.
pub fn database_url() -> Option<String> {
    match std::env::var("TERRITORIA_TEST_DATABASE") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var_os("TERRITORIA_TEST_REQUIRE_DATABASE").is_none(),
                "TERRITORIA_TEST_REQUIRE_DATABASE is set but TERRITORIA_TEST_DATABASE is not"
            );
            None
        }
    }
}

/// A PostgreSQL store in a fresh schema, when a database is configured.
#[cfg(feature = "postgres")]
pub fn postgres(test: &str) -> Option<Backend> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let url = database_url()?;
    let schema = format!(
        "t_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        test.chars().take(40).collect::<String>()
    );
    let store = territoria_store::PgStore::open_in_schema(&url, &schema).unwrap();
    Some(Backend {
        name: "postgres",
        store: Box::new(store),
        sqlite_path: None,
        _dir: None,
        pg: Some((url, schema)),
    })
}

#[cfg(not(feature = "postgres"))]
pub fn postgres(_test: &str) -> Option<Backend> {
    None
}

/// Every backend this run can test, SQLite first.
pub fn backends(test: &str) -> Vec<Backend> {
    let mut out = vec![sqlite()];
    out.extend(postgres(test));
    out
}
