//! Shared by the magnet and open-data benchmarks (included with `#[path]`): the setup of
//! their SQLite baseline, the conventional relational design — a junction table
//! `entity_concepts(entity_id, concept_id)` with an index by concept.
//!
//! The store keeps an entity's concepts in its row (`entities.concepts`, a JSON array),
//! so the junction table is built from it in a scratch database under the system temp
//! dir and attached to the baseline's read-only connection as `scratch`: nothing is
//! added to the store file, and the scratch file is deleted when the returned directory
//! drops. The build time is printed; it is setup, not part of any timed query.

use std::path::Path;
use std::time::Instant;

use rusqlite::Connection;

/// `file:` URI opening `path` read-only (`%`, `?` and `#` escaped).
fn read_only_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for c in path.to_string_lossy().chars() {
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            c => uri.push(c),
        }
    }
    uri.push_str("?mode=ro");
    uri
}

/// Builds the junction table from the store at `store` and attaches it to `conn` as
/// `scratch`, with a page cache of `cache_kib` KiB.
pub fn attach(conn: &Connection, store: &Path, cache_kib: i64) -> tempfile::TempDir {
    let started = Instant::now();
    let dir = tempfile::Builder::new()
        .prefix("territoria-bench-")
        .tempdir()
        .expect("scratch directory");
    let file = dir.path().join("entity_concepts.sqlite");
    let scratch = Connection::open(&file).expect("scratch database");
    scratch
        .execute_batch(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536;",
        )
        .expect("scratch pragmas");
    scratch
        .execute("ATTACH DATABASE ?1 AS store", [read_only_uri(store)])
        .expect("attach the store");
    let rows = scratch
        .execute_batch(
            "CREATE TABLE entity_concepts (
                 entity_id INTEGER NOT NULL,
                 concept_id INTEGER NOT NULL,
                 PRIMARY KEY (entity_id, concept_id)
             ) WITHOUT ROWID;",
        )
        .and_then(|()| {
            scratch.execute(
                "INSERT INTO main.entity_concepts (entity_id, concept_id)
                 SELECT e.id, j.value FROM store.entities e, json_each(e.concepts) j",
                [],
            )
        })
        .expect("fill the junction table");
    scratch
        .execute_batch(
            "CREATE INDEX entity_concepts_by_concept ON entity_concepts (concept_id, entity_id);
             DETACH DATABASE store;",
        )
        .expect("junction index");
    drop(scratch);
    conn.execute("ATTACH DATABASE ?1 AS scratch", [file.to_string_lossy()])
        .expect("attach the junction table");
    conn.execute_batch(&format!("PRAGMA scratch.cache_size = -{cache_kib};"))
        .expect("scratch cache");
    println!(
        "SQLite baseline setup: junction table entity_concepts ({rows} rows, both indexes) \
         built from entities.concepts in {:.2} s (not timed)",
        started.elapsed().as_secs_f64()
    );
    dir
}
