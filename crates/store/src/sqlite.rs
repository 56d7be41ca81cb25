//! The embedded SQLite implementation of [`Store`].
//!
//! One file, WAL mode (readers never block the writer), foreign keys on,
//! `synchronous = NORMAL` (a committed transaction survives a process crash; a power
//! loss may lose the last commits but never corrupts the file). One writer
//! connection behind a mutex — the single write path — and a small pool of readers.
//!
//! The reads and the write path are shared with the PostgreSQL backend (`views.rs`,
//! `query.rs`, `write.rs`); what stays here is SQLite's own: the connection setup,
//! migrations with table rebuilds, the entity page's bitmap join (`rarray`), the
//! online backup and `PRAGMA integrity_check`.

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Mutex;

use rusqlite::functions::FunctionFlags;
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, params, params_from_iter};
use territoria_model::{Entity, EntityKind, Labels, Observation, Relation};

use crate::read::*;
use crate::schema::{MIGRATIONS, Migration, Then};
use crate::sql::sqlite::SqliteConn;
use crate::{Record, Result, Store, StoreError, WriteOptions, WriteReport};
use crate::{members, query, views};

pub struct SqliteStore {
    path: PathBuf,
    pub(crate) writer: Mutex<Connection>,
    pub(crate) readers: Mutex<Vec<Connection>>,
}

const READ_POOL: usize = 8;

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Unusable(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let mut conn = Connection::open(path).map_err(|e| {
            StoreError::Unusable(format!("cannot open the store {}: {e}", path.display()))
        })?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 10000;
             PRAGMA cache_size = -1048576;
             PRAGMA temp_store = MEMORY;",
        )?;
        // Index builds (a bulk write builds its deferred indexes before committing) may
        // sort on helper threads.
        let helpers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        conn.pragma_update(None, "threads", helpers as i64)?;
        migrate(&mut conn)?;
        Ok(Self {
            path: path.to_owned(),
            writer: Mutex::new(conn),
            readers: Mutex::new(Vec::new()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version the file is at.
    pub fn schema_version(&self) -> Result<i64> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
                    r.get(0)
                })?,
            )
        })
    }

    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.readers.lock().expect("reader pool poisoned").pop();
        let conn = match conn {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                c.execute_batch("PRAGMA busy_timeout = 10000; PRAGMA cache_size = -65536;")?;
                rusqlite::vtab::array::load_module(&c)?;
                c
            }
        };
        let out = f(&conn);
        // A read that went through many pages (a bulk scan: the open-data catalogue, the
        // magnet index) leaves up to `cache_size` of them in the connection's cache. A
        // pooled connection keeps at most 8 MiB between reads, so a long-lived pool does
        // not hold 64 MiB per connection for a scan that is over; small reads keep their
        // warm pages.
        shrink_cache(&conn, 8 << 20);
        let mut pool = self.readers.lock().expect("reader pool poisoned");
        if pool.len() < READ_POOL {
            pool.push(conn);
        }
        out
    }
}

/// Frees the connection's unused cached pages (`sqlite3_db_release_memory`) when they
/// weigh more than `keep` bytes; best effort.
fn shrink_cache(conn: &Connection, keep: i32) {
    let (mut used, mut highwater) = (0, 0);
    // SAFETY: the handle is valid while `conn` lives and is used by this thread only;
    // sqlite3_db_status reads the connection's counters.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_db_status(
            conn.handle(),
            rusqlite::ffi::SQLITE_DBSTATUS_CACHE_USED,
            &mut used,
            &mut highwater,
            0,
        )
    };
    if rc == rusqlite::ffi::SQLITE_OK && used > keep {
        let _ = conn.release_memory();
    }
}

fn migrate(conn: &mut Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )?;
    let current: i64 = conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )?;
    let latest = MIGRATIONS.last().map(|m| m.version).unwrap_or(0);
    if current > latest {
        return Err(StoreError::Unusable(format!(
            "this store is at schema version {current}, newer than this program knows ({latest}): upgrade Territoria"
        )));
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        // The pragma is a no-op inside a transaction: it is set around it.
        if m.rebuilds_tables {
            conn.execute_batch("PRAGMA foreign_keys = OFF")?;
        }
        let applied = apply_migration(conn, m);
        if m.rebuilds_tables {
            conn.execute_batch("PRAGMA foreign_keys = ON")?;
        }
        applied?;
        let (version, description) = (m.version, m.description);
        tracing::info!(version, description, "applied migration");
    }
    Ok(())
}

fn apply_migration(conn: &mut Connection, m: &Migration) -> Result<()> {
    let tx = conn.transaction()?;
    tx.execute_batch(&m.sql.replace("/*CLUSTERED*/", "WITHOUT ROWID"))?;
    match m.then {
        Then::Nothing => {}
        Then::DeriveConceptMembers => crate::members::rebuild(&SqliteConn::new(&tx))?,
    }
    if m.rebuilds_tables {
        let broken: Vec<String> = tx
            .prepare(
                "SELECT \"table\" || ' (' || COUNT(*) || ' rows)' FROM pragma_foreign_key_check
                 GROUP BY \"table\" ORDER BY \"table\"",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if !broken.is_empty() {
            return Err(StoreError::Unusable(format!(
                "migration {} would leave rows pointing to nothing in {}; the store was left as it was \
                 (an older Territoria can still open it: export its data, then import into a new store)",
                m.version,
                broken.join(", ")
            )));
        }
    }
    tx.execute(
        "INSERT INTO schema_migrations(version, description, applied_at) VALUES (?1, ?2, ?3)",
        params![m.version, m.description, chrono::Utc::now().to_rfc3339()],
    )?;
    tx.commit()?;
    Ok(())
}

fn labels(s: String) -> rusqlite::Result<Labels> {
    serde_json::from_str(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn kind_of(s: &str) -> EntityKind {
    EntityKind::parse(s).unwrap_or(EntityKind::Organisation)
}

/// Runs `f` in one read transaction, so that its queries see the same state of the
/// store (ended whether `f` succeeds or not).
fn in_snapshot<T>(c: &Connection, f: impl FnOnce() -> Result<T>) -> Result<T> {
    c.execute_batch("BEGIN")?;
    let out = f();
    let end = c.execute_batch("COMMIT");
    let out = out?;
    end?;
    Ok(out)
}

/// Runs a `SELECT e.kind, e.key, e.labels, e.demo …` into summaries.
fn summaries(
    c: &Connection,
    sql: &str,
    args: &[Box<dyn rusqlite::ToSql>],
) -> Result<Vec<EntitySummary>> {
    let mut st = c.prepare(sql)?;
    let items = st
        .query_map(params_from_iter(args.iter()), |r| {
            Ok(EntitySummary {
                kind: kind_of(&r.get::<_, String>(0)?),
                id: r.get(1)?,
                name: labels(r.get(2)?)?,
                demo: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(items)
}

#[cfg(feature = "postgres")]
impl SqliteStore {
    /// Runs `f` on a reader in one read transaction.
    pub(crate) fn read_snapshot<T>(
        &self,
        f: impl FnOnce(&dyn crate::sql::Conn) -> Result<T>,
    ) -> Result<T> {
        self.read(|c| in_snapshot(c, || f(&SqliteConn::new(c))))
    }

    /// Runs `f` in one write transaction with foreign keys unchecked row by row, then
    /// checked as a whole before the commit (a copy of a store writes rows in table
    /// order, not in reference order). Not the write path: for copies of a whole store
    /// only.
    pub(crate) fn write_raw<T>(
        &self,
        f: impl FnOnce(&dyn crate::sql::Conn) -> Result<T>,
    ) -> Result<T> {
        let mut conn = self.writer.lock().expect("writer poisoned");
        conn.execute_batch("PRAGMA foreign_keys = OFF")?;
        let out = (|| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let out = f(&SqliteConn::new(&tx))?;
            let broken: i64 =
                tx.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
                    r.get(0)
                })?;
            if broken > 0 {
                return Err(StoreError::Internal(format!(
                    "{broken} copied rows point to nothing; nothing was written"
                )));
            }
            tx.commit()?;
            Ok(out)
        })();
        conn.execute_batch("PRAGMA foreign_keys = ON")?;
        out
    }
}

impl crate::accounts_sql::AccountTx for SqliteStore {
    fn accounts_read<T>(&self, f: impl FnOnce(&dyn crate::sql::Conn) -> Result<T>) -> Result<T> {
        self.read(|c| f(&SqliteConn::new(c)))
    }

    fn accounts_write<T>(&self, f: impl FnOnce(&dyn crate::sql::Conn) -> Result<T>) -> Result<T> {
        let mut conn = self.writer.lock().expect("writer poisoned");
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = f(&SqliteConn::new(&tx))?;
        tx.commit()?;
        Ok(out)
    }
}

impl Store for SqliteStore {
    fn apply(
        &self,
        actor: &str,
        operation: &str,
        records: &mut dyn Iterator<Item = Record>,
        options: &WriteOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<WriteReport> {
        let mut conn = self.writer.lock().expect("writer poisoned");
        // Immediate: take the write lock now, so the audit id the writer reserves
        // cannot be taken by another process's write.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let report = {
            let conn = SqliteConn::new(&tx);
            crate::edit::run_write(&conn, actor, operation, records, options, progress)?
        };
        if options.dry_run {
            tx.rollback()?;
            return Ok(report);
        }
        let t = std::time::Instant::now();
        tx.commit()?;
        tracing::debug!(elapsed = ?t.elapsed(), "write committed");
        // A bulk write fills the writer's cache (up to 1 GiB, which the write needs);
        // once committed those pages are clean, and a serving process need not keep
        // them resident until the next write.
        shrink_cache(&conn, 64 << 20);
        Ok(report)
    }

    fn counts(&self) -> Result<Counts> {
        self.read(|c| in_snapshot(c, || query::counts(&SqliteConn::new(c))))
    }

    fn strategies(&self) -> Result<Vec<StrategySummary>> {
        self.read(|c| in_snapshot(c, || views::strategies(&SqliteConn::new(c))))
    }

    fn strategy(&self, key: &str, version: Option<&str>) -> Result<Option<StrategyTree>> {
        self.read(|c| in_snapshot(c, || views::strategy(&SqliteConn::new(c), key, version)))
    }

    fn schemes(&self) -> Result<Vec<SchemeSummary>> {
        self.read(|c| views::schemes(&SqliteConn::new(c)))
    }

    fn concept(&self, scheme: &str, notation: &str) -> Result<Option<ConceptDetail>> {
        self.read(|c| in_snapshot(c, || views::concept(&SqliteConn::new(c), scheme, notation)))
    }

    fn entities(&self, q: &EntityQuery) -> Result<Page<EntitySummary>> {
        // One snapshot: the bitmaps and the rows they point to.
        self.read(|c| in_snapshot(c, || {
            let mut wheres = vec!["e.kind = ?".to_owned()];
            let mut args: Vec<Box<dyn rusqlite::ToSql>> = vec![Box::new(q.kind.as_str())];
            if let Some(text) = q.text.as_deref().filter(|t| !t.trim().is_empty()) {
                wheres.push("(e.labels LIKE ? ESCAPE '\\' OR e.key LIKE ? ESCAPE '\\')".into());
                let escaped = text
                    .trim()
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                args.push(Box::new(format!("%{escaped}%")));
                args.push(Box::new(format!("%{escaped}%")));
            }
            if let Some(d) = q.demo {
                wheres.push(format!("e.demo = {}", i32::from(d)));
            }
            let filter = wheres.join(" AND ");
            let page = |total: u64, items: Vec<EntitySummary>| Page {
                total,
                limit: q.limit,
                offset: q.offset,
                items,
            };
            let select = "SELECT e.kind, e.key, e.labels, e.demo";
            let order = format!("ORDER BY e.name, e.key LIMIT {} OFFSET {}", q.limit, q.offset);
            // Each concept filter (with its narrower concepts) is a bitmap of entity ids;
            // the entities must be in all of them.
            let mut tagged: Option<roaring::RoaringBitmap> = None;
            for concept in &q.concepts {
                let set = {
                    let conn = SqliteConn::new(c);
                    members::of(&conn, &views::descendants(&conn, &concept.scheme, &concept.notation)?)?
                };
                tagged = Some(match tagged {
                    Some(t) => t & set,
                    None => set,
                });
            }
            let Some(tagged) = tagged else {
                let total: u64 = c.query_row(
                    &format!("SELECT COUNT(*) FROM entities e WHERE {filter}"),
                    params_from_iter(args.iter()),
                    |r| r.get(0),
                )?;
                let items = summaries(c, &format!("{select} FROM entities e WHERE {filter} {order}"), &args)?;
                return Ok(page(total, items));
            };
            if tagged.is_empty() {
                return Ok(page(0, Vec::new()));
            }
            // The total looks each member up by id. The page either sorts the members
            // (when they are few) or walks the entities by name, testing each against the
            // bitmap, until the page is full: a few rows per result when most entities
            // match, never a sort of a million.
            let ids: Vec<Value> = tagged.iter().map(|id| Value::Integer(i64::from(id))).collect();
            let mut with_ids: Vec<Box<dyn rusqlite::ToSql>> = vec![Box::new(Rc::new(ids))];
            with_ids.append(&mut args);
            let members = "FROM rarray(?) AS m CROSS JOIN entities e ON e.id = m.value";
            let total: u64 = c.query_row(
                &format!("SELECT COUNT(*) {members} WHERE {filter}"),
                params_from_iter(with_ids.iter()),
                |r| r.get(0),
            )?;
            let items = if tagged.len() <= 20_000 {
                summaries(c, &format!("{select} {members} WHERE {filter} {order}"), &with_ids)?
            } else {
                let set = std::sync::Arc::new(tagged);
                c.create_scalar_function(
                    "territoria_member",
                    1,
                    FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
                    move |ctx| {
                        let id: i64 = ctx.get(0)?;
                        Ok(u32::try_from(id).is_ok_and(|id| set.contains(id)))
                    },
                )?;
                let items = summaries(
                    c,
                    &format!("{select} FROM entities e WHERE {filter} AND territoria_member(e.id) {order}"),
                    &with_ids[1..],
                );
                c.remove_function("territoria_member", 1)?;
                items?
            };
            Ok(page(total, items))
        }))
    }

    fn entity(&self, kind: EntityKind, key: &str) -> Result<Option<EntityDetail>> {
        self.read(|c| in_snapshot(c, || views::entity(&SqliteConn::new(c), kind, key)))
    }

    fn export_entities(
        &self,
        kind: EntityKind,
        visit: &mut dyn FnMut(Entity, Vec<Relation>) -> Result<()>,
    ) -> Result<u64> {
        self.read(|c| {
            in_snapshot(c, || {
                views::export_entities(&SqliteConn::new(c), kind, visit)
            })
        })
    }

    fn export_observations(&self, visit: &mut dyn FnMut(Observation) -> Result<()>) -> Result<u64> {
        self.read(|c| views::export_observations(&SqliteConn::new(c), visit))
    }

    fn export_targets(
        &self,
        visit: &mut dyn FnMut(territoria_model::Target) -> Result<()>,
    ) -> Result<u64> {
        self.read(|c| crate::edit::export_targets(&SqliteConn::new(c), visit))
    }

    fn territorial_indicators(&self) -> Result<Vec<TerritorialIndicator>> {
        self.read(|c| views::territorial_indicators(&SqliteConn::new(c)))
    }

    fn territorial_observations(
        &self,
        indicator: &str,
    ) -> Result<Option<Vec<TerritorialObservation>>> {
        self.read(|c| {
            in_snapshot(c, || {
                views::territorial_observations(&SqliteConn::new(c), indicator)
            })
        })
    }

    fn entity_version(&self, kind: EntityKind, key: &str) -> Result<Option<i64>> {
        self.read(|c| crate::edit::version(&SqliteConn::new(c), kind, key))
    }

    fn history(&self, kind: EntityKind, key: &str, limit: u32) -> Result<Vec<crate::HistoryEntry>> {
        self.read(|c| crate::edit::history(&SqliteConn::new(c), kind, key, limit))
    }

    fn concept_version(&self, scheme: &str, notation: &str) -> Result<Option<i64>> {
        self.read(|c| crate::edit::concept_version(&SqliteConn::new(c), scheme, notation))
    }

    fn concept_record(
        &self,
        scheme: &str,
        notation: &str,
    ) -> Result<Option<territoria_model::Concept>> {
        self.read(|c| crate::edit::concept(&SqliteConn::new(c), scheme, notation))
    }

    fn concept_history(
        &self,
        scheme: &str,
        notation: &str,
        limit: u32,
    ) -> Result<Vec<crate::ConceptChange>> {
        self.read(|c| crate::edit::concept_history(&SqliteConn::new(c), scheme, notation, limit))
    }

    fn concept_changes_of(&self, audit_id: i64) -> Result<Vec<crate::ConceptChange>> {
        self.read(|c| crate::edit::concept_changes_of(&SqliteConn::new(c), audit_id))
    }

    fn changes_of(&self, audit_id: i64) -> Result<Vec<crate::Change>> {
        self.read(|c| crate::edit::changes_of(&SqliteConn::new(c), audit_id))
    }

    fn recent_changes(&self, since: &str, limit: u32) -> Result<Vec<crate::HistoryEntry>> {
        self.read(|c| crate::edit::recent_changes(&SqliteConn::new(c), since, limit))
    }

    fn audit(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        self.read(|c| query::audit(&SqliteConn::new(c), limit))
    }

    fn restore(&self, backup: &Path, actor: &str) -> Result<crate::Restored> {
        self.restore_backup(backup, actor)
    }

    fn backup(&self, destination: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<()> {
        if destination.exists() {
            return Err(StoreError::Unusable(format!(
                "{} already exists: choose a new file name",
                destination.display()
            )));
        }
        let partial = destination.with_extension("partial");
        let _ = std::fs::remove_file(&partial);
        let src = Connection::open_with_flags(&self.path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        {
            let mut dst = Connection::open(&partial)?;
            let b = rusqlite::backup::Backup::new(&src, &mut dst)?;
            loop {
                let step = b.step(256)?;
                let p = b.progress();
                progress(
                    (p.pagecount - p.remaining) as u64,
                    p.pagecount.max(1) as u64,
                );
                match step {
                    rusqlite::backup::StepResult::Done => break,
                    rusqlite::backup::StepResult::More => {}
                    rusqlite::backup::StepResult::Busy | rusqlite::backup::StepResult::Locked => {
                        std::thread::yield_now()
                    }
                    _ => {}
                }
            }
        }
        // Only a complete copy takes the final name.
        std::fs::rename(&partial, destination)
            .map_err(|e| StoreError::Internal(format!("renaming the backup: {e}")))?;
        Ok(())
    }

    fn check(&self) -> Result<Vec<String>> {
        // One snapshot: the tags and the bitmaps compared must come from the same state.
        self.read(|c| {
            in_snapshot(c, || {
                let mut problems = Vec::new();
                let mut st = c.prepare("PRAGMA integrity_check")?;
                for row in st.query_map([], |r| r.get::<_, String>(0))? {
                    let row = row?;
                    if row != "ok" {
                        problems.push(format!("integrity: {row}"));
                    }
                }
                let mut st = c.prepare("PRAGMA foreign_key_check")?;
                for row in
                    st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
                {
                    let (table, rowid) = row?;
                    problems.push(format!(
                        "foreign key: row {rowid} of {table} points to nothing"
                    ));
                }
                problems.extend(views::check(&SqliteConn::new(c))?);
                Ok(problems)
            })
        })
    }

    fn digiscore_assessment(&self, x: &str) -> Result<Option<StoredAssessment>> {
        self.read(|c| in_snapshot(c, || query::digiscore_assessment(&SqliteConn::new(c), x)))
    }

    fn digiscore_series(&self, x: &str) -> Result<Vec<StoredAssessment>> {
        self.read(|c| in_snapshot(c, || query::digiscore_series(&SqliteConn::new(c), x)))
    }

    fn digiscore_completed(&self, x: &str) -> Result<Vec<StoredAssessment>> {
        self.read(|c| in_snapshot(c, || query::digiscore_completed(&SqliteConn::new(c), x)))
    }

    fn digiscore_support(&self) -> Result<Vec<SupportVersion>> {
        self.read(|c| in_snapshot(c, || query::digiscore_support(&SqliteConn::new(c))))
    }

    fn magnets(&self) -> Result<Vec<MagnetRecord>> {
        self.read(|c| in_snapshot(c, || query::magnets(&SqliteConn::new(c))))
    }

    fn magnet(&self, id: &str) -> Result<Option<MagnetRecord>> {
        self.read(|c| in_snapshot(c, || query::magnet(&SqliteConn::new(c), id)))
    }

    fn scan_parts(
        &self,
        parts: crate::ScanParts,
        visit: &mut dyn FnMut(crate::ScanItem) -> Result<()>,
    ) -> Result<()> {
        self.read(|c| query::scan_parts(&SqliteConn::new(c), parts, visit))
    }

    fn changes_since(&self, after: i64) -> Result<crate::Changes> {
        // One read transaction: the three answers describe the same snapshot.
        self.read(|c| in_snapshot(c, || query::changes_since(&SqliteConn::new(c), after)))
    }

    fn scan_entities(
        &self,
        ids: &[i64],
        visit: &mut dyn FnMut(crate::ScanItem) -> Result<()>,
    ) -> Result<()> {
        self.read(|c| in_snapshot(c, || query::scan_entities(&SqliteConn::new(c), ids, visit)))
    }
}
