//! Copies a whole store between backends, table by table: the PostgreSQL backup
//! (into a new embedded store) and `territoria migrate-store` (either way).
//!
//! Both dialects hold the same tables with the same columns at the same schema
//! version (`schema.rs`), so a copy moves every row as it is — ids, audit trail and
//! membership bitmaps included — in one transaction on the destination, from one
//! snapshot of the source. Nothing goes through the write path: there is nothing to
//! validate (the rows were validated when written) and the audit trail is copied, not
//! extended.

use std::path::Path;

use crate::sql::{self, Conn, Dialect, Value, params};
use crate::{PgStore, Result, SqliteStore, StoreError};

/// Every table of the store, each after the tables it references.
const TABLES: &[&str] = &[
    "schemes",
    "concepts",
    "concept_links",
    "geometries",
    "postal_codes",
    "sources",
    "entities",
    "organisations",
    "actions",
    "indicators",
    "places",
    "events",
    "concept_members",
    "relations",
    "strategy_versions",
    "strategy_edges",
    "observations",
    "targets",
    "audit",
    "magnets",
    "magnet_versions",
    "audit_changes",
    "users",
    "sessions",
    "api_tokens",
    "digiscore_assessments",
    "ts_blocks",
    "ts_latest",
    "sta_entities",
    "sta_links",
    "digiscore_support",
];

/// Tables whose `id` PostgreSQL generates: their sequences follow the copied ids.
const IDENTITY: &[&str] = &[
    "schemes",
    "concepts",
    "sources",
    "entities",
    "relations",
    "strategy_versions",
    "observations",
    "targets",
    "magnets",
    "audit_changes",
    "users",
    "api_tokens",
    "digiscore_assessments",
    "ts_blocks",
    "sta_entities",
];

fn columns(c: &dyn Conn, table: &str) -> Result<Vec<String>> {
    let q = match c.dialect() {
        Dialect::Sqlite => "SELECT name FROM pragma_table_info(?1) ORDER BY cid",
        Dialect::Postgres => {
            "SELECT column_name::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = ?1 ORDER BY ordinal_position"
        }
    };
    crate::query::collect(c, q, params![table], |r| r.get(0))
}

fn schema_version(c: &dyn Conn) -> Result<i64> {
    sql::one(
        c,
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        params![],
    )
}

/// Copies every row of `from` into `to`, which must be at the same schema version and
/// hold nothing yet. `progress(rows copied, rows in all)`. Returns the rows copied.
pub(crate) fn copy_rows(
    from: &dyn Conn,
    to: &dyn Conn,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<u64> {
    let (v_from, v_to) = (schema_version(from)?, schema_version(to)?);
    if v_from != v_to {
        return Err(StoreError::Unusable(format!(
            "the source is at schema version {v_from} and the destination at {v_to}: open both with the same Territoria first"
        )));
    }
    for t in ["entities", "schemes", "audit", "magnets"] {
        let n: i64 = sql::one(to, &format!("SELECT COUNT(*) FROM {t}"), params![])?;
        if n > 0 {
            return Err(StoreError::Unusable(format!(
                "the destination already holds data ({n} rows in {t}): copy into an empty store"
            )));
        }
    }
    let mut total = 0u64;
    for t in TABLES {
        total += sql::one::<u64>(from, &format!("SELECT COUNT(*) FROM {t}"), params![])?;
    }
    let mut done = 0u64;
    for table in TABLES {
        let cols = columns(from, table)?;
        let to_cols = columns(to, table)?;
        let mut missing: Vec<&String> = cols.iter().filter(|c| !to_cols.contains(c)).collect();
        missing.extend(to_cols.iter().filter(|c| !cols.contains(c)));
        if !missing.is_empty() {
            return Err(StoreError::Internal(format!(
                "{table} differs between the two stores in columns {missing:?}"
            )));
        }
        // A concept may name a broader concept written after it: PostgreSQL checks
        // each row's reference at once, so the hierarchy is set in a second pass.
        let later_broader = *table == "concepts" && to.dialect() == Dialect::Postgres;
        let list = cols.join(", ");
        let broader_at = cols.iter().position(|c| c == "broader_id");
        let order = if cols.iter().any(|c| c == "id") {
            " ORDER BY id"
        } else {
            ""
        };
        let mut hierarchy: Vec<(i64, i64)> = Vec::new();
        let mut rows: Vec<Vec<Value>> = Vec::new();
        // In pages, so that no query of the source stays open while the destination is
        // written (and memory stays bounded).
        let page = 10_000usize;
        let mut offset = 0usize;
        loop {
            rows.clear();
            from.query(
                &format!("SELECT {list} FROM {table}{order} LIMIT {page} OFFSET {offset}"),
                params![],
                &mut |r| {
                    rows.push(r.0.clone());
                    Ok(())
                },
            )?;
            for row in &mut rows {
                if let (true, Some(b)) = (later_broader, broader_at) {
                    if let (Value::Int(broader), Value::Int(id)) = (&row[b], &row[0]) {
                        hierarchy.push((*id, *broader));
                        row[b] = Value::Null;
                    }
                }
            }
            // PostgreSQL: one COPY per page (bulk load); SQLite: its held INSERT.
            to.copy_in(table, &cols, &rows)?;
            done += rows.len() as u64;
            progress(done, total);
            if rows.len() < page {
                break;
            }
            offset += page;
        }
        for (id, broader) in hierarchy {
            to.execute(
                "UPDATE concepts SET broader_id = ?2 WHERE id = ?1",
                params![id, broader],
            )?;
        }
    }
    if to.dialect() == Dialect::Postgres {
        for t in IDENTITY {
            to.execute(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{t}', 'id'), COALESCE((SELECT MAX(id) FROM {t}), 0) + 1, false)"
                ),
                params![],
            )?;
        }
    }
    Ok(done)
}

/// Copies the embedded store `from` into the PostgreSQL store `to`.
pub fn sqlite_to_postgres(
    from: &SqliteStore,
    to: &PgStore,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<u64> {
    from.read_snapshot(|src| to.write_raw(|dst| copy_rows(src, dst, progress)))
}

/// Copies the PostgreSQL store `from` into the embedded store `to`.
pub fn postgres_to_sqlite(
    from: &PgStore,
    to: &SqliteStore,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<u64> {
    from.read(|src| to.write_raw(|dst| copy_rows(src, dst, progress)))
}

/// A PostgreSQL store's consistent copy as a new embedded store at `destination`.
pub(crate) fn backup_to_sqlite(
    from: &PgStore,
    destination: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<()> {
    if destination.exists() {
        return Err(StoreError::Unusable(format!(
            "{} already exists: choose a new file name",
            destination.display()
        )));
    }
    let partial = destination.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    {
        // Closed before the rename: its last connection folds the WAL into the file.
        let to = SqliteStore::open(&partial)?;
        postgres_to_sqlite(from, &to, progress)?;
    }
    // Only a complete copy takes the final name.
    std::fs::rename(&partial, destination)
        .map_err(|e| StoreError::Internal(format!("renaming the backup: {e}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::TABLES;

    /// A table the copy does not know would be lost by `migrate-store` and the
    /// PostgreSQL backup: every table of the schema is in the list.
    #[test]
    fn every_table_of_the_schema_is_copied() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::SqliteStore::open(&dir.path().join("s.sqlite")).unwrap();
        let tables: Vec<String> = store
            .read(|c| {
                let mut st = c.prepare(
                    "SELECT name FROM sqlite_master WHERE type = 'table'
                     AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name",
                )?;
                let rows = st.query_map([], |r| r.get(0))?;
                Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
            })
            .unwrap();
        let missing: Vec<&String> = tables
            .iter()
            .filter(|t| !TABLES.contains(&t.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "tables the copy leaves out: {missing:?}"
        );
    }
}
