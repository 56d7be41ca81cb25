//! Restoring the embedded store from a backup (`territoria restore`).
//!
//! The backup is verified before anything is touched: copied beside the store, brought
//! to the current schema and checked ([`Store::check`]); only a copy without problems
//! replaces the store's content, through SQLite's online backup API into the open
//! store, which a serving process sees as one write. The restore is itself audited,
//! with an audit id above every id the store had before, so that derived indexes
//! (the magnet index of a server on the same file) notice it and rebuild.

use std::path::Path;

use rusqlite::{MAIN_DB, params};

use crate::{Result, SqliteStore, Store, StoreError};

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The audit entry that records the restore.
    pub audit_id: i64,
    /// The schema version the backup was at before it was brought up to date.
    pub backup_schema_version: i64,
}

impl SqliteStore {
    /// Replaces the store's content with the backup at `backup`, after verifying it.
    /// Refuses a backup that is not a Territoria store or that `check` finds problems
    /// in, and leaves the store unchanged then.
    pub fn restore_backup(&self, backup: &Path, actor: &str) -> Result<Restored> {
        if !backup.is_file() {
            return Err(StoreError::Unusable(format!(
                "{}: no such backup file",
                backup.display()
            )));
        }
        let staging = self.path().with_extension("restoring");
        remove_with_journal(&staging);
        std::fs::copy(backup, &staging)
            .map_err(|e| StoreError::Unusable(format!("cannot copy {}: {e}", backup.display())))?;
        let verified = verify(backup, &staging);
        let backup_schema_version = match verified {
            Ok(v) => v,
            Err(e) => {
                remove_with_journal(&staging);
                return Err(e);
            }
        };
        let before: i64 = self.read_max_audit()?;
        let result = (|| -> Result<Restored> {
            let mut conn = self.writer.lock().expect("writer poisoned");
            conn.restore(MAIN_DB, &staging, None::<fn(rusqlite::backup::Progress)>)?;
            let restored_max: i64 =
                conn.query_row("SELECT COALESCE(MAX(id), 0) FROM audit", [], |r| r.get(0))?;
            let id = before.max(restored_max) + 1;
            let tx = conn.transaction()?;
            let summary = serde_json::json!({
                "restored_from": backup.display().to_string(),
                "backup_schema_version": backup_schema_version,
            });
            tx.execute(
                "INSERT INTO audit(id, at, actor, operation, summary) VALUES (?1, ?2, ?3, 'restore', ?4)",
                params![id, chrono::Utc::now().to_rfc3339(), actor, summary.to_string()],
            )?;
            // Every row was rewritten: say so where derived indexes look (a concept
            // written makes them rebuild from scratch).
            tx.execute("UPDATE concepts SET audit_id = ?1", [id])?;
            tx.commit()?;
            Ok(Restored {
                audit_id: id,
                backup_schema_version,
            })
        })();
        // Pooled readers may hold pages of the old content in their caches.
        self.readers.lock().expect("reader pool poisoned").clear();
        remove_with_journal(&staging);
        result
    }

    fn read_max_audit(&self) -> Result<i64> {
        Ok(self.audit(1)?.first().map(|e| e.id).unwrap_or_default())
    }
}

/// Opens the staged copy (bringing it to the current schema) and checks it.
fn verify(backup: &Path, staging: &Path) -> Result<i64> {
    let version: i64 = {
        let c = rusqlite::Connection::open_with_flags(
            staging,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?;
        c.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )
        .map_err(|_| {
            StoreError::Unusable(format!(
                "{} is not a Territoria store (no schema version): choose a file written by `territoria backup`",
                backup.display()
            ))
        })?
    };
    let store = SqliteStore::open(staging)?;
    let problems = store.check()?;
    if !problems.is_empty() {
        return Err(StoreError::Unusable(format!(
            "{} fails the store check ({} problem(s), first: {}); nothing was restored",
            backup.display(),
            problems.len(),
            problems[0]
        )));
    }
    Ok(version)
}

fn remove_with_journal(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(std::path::PathBuf::from(p));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Located, Op, Record, WriteOptions};
    use territoria_model::{Labels, Provenance, Scheme};

    fn scheme(id: &str) -> Op {
        Op::Scheme(Scheme {
            id: id.into(),
            title: Labels::fr(id),
            description: Labels::default(),
            provenance: Provenance::stated("test"),
        })
    }

    fn write(store: &SqliteStore, op: Op) {
        let mut records = std::iter::once(Ok(Located::from(op)) as Record);
        store
            .apply(
                "t",
                "t",
                &mut records,
                &WriteOptions::default(),
                &mut |_| {},
            )
            .unwrap();
    }

    #[test]
    fn restore_brings_back_the_backup_and_audits_itself() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("s.sqlite")).unwrap();
        write(&store, scheme("first"));
        let copy = dir.path().join("copy.sqlite");
        store.backup(&copy, &mut |_, _| {}).unwrap();
        write(&store, scheme("second"));
        assert_eq!(store.schemes().unwrap().len(), 2);
        let before = store.audit(1).unwrap()[0].id;
        let r = store.restore(&copy, "admin").unwrap();
        let ids: Vec<String> = store.schemes().unwrap().into_iter().map(|s| s.id).collect();
        assert_eq!(ids, ["first"]);
        assert!(r.audit_id > before, "derived indexes see the restore");
        assert_eq!(store.audit(1).unwrap()[0].operation, "restore");
        assert!(store.check().unwrap().is_empty());
        assert_eq!(store.changes_since(before).unwrap().upto, r.audit_id);
    }

    #[test]
    fn a_file_that_is_not_a_store_is_refused_and_nothing_changes() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("s.sqlite")).unwrap();
        write(&store, scheme("kept"));
        let junk = dir.path().join("junk.sqlite");
        std::fs::write(&junk, b"not a database at all").unwrap();
        let err = store.restore(&junk, "admin").unwrap_err();
        assert!(err.to_string().contains("junk.sqlite"), "{err}");
        let missing = store
            .restore(&dir.path().join("none.sqlite"), "admin")
            .unwrap_err();
        assert!(missing.to_string().contains("no such backup"), "{missing}");
        assert_eq!(store.schemes().unwrap().len(), 1);
        assert!(!dir.path().join("s.restoring").exists());
    }
}
