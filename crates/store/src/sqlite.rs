//! The embedded SQLite implementation of [`Store`].
//!
//! One file, WAL mode (readers never block the writer), foreign keys on,
//! `synchronous = NORMAL` (a committed transaction survives a process crash; a power
//! loss may lose the last commits but never corrupts the file). One writer
//! connection behind a mutex — the single write path — and a small pool of readers.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Mutex;

use chrono::NaiveDate;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params, params_from_iter};
use territoria_model::entity::{Details, EntityRef};
use territoria_model::{
    Action, ActionStatus, Aggregation, ConceptRef, Entity, EntityKind, Event, Indicator,
    IndicatorKind, Labels, Observation, Organisation, Period, Place, Provenance, Relation,
    RelationKind,
};

use crate::read::*;
use crate::schema::{MIGRATIONS, Migration, Then};
use crate::sql::sqlite::SqliteConn;
use crate::write::Writer;
use crate::{Record, Result, Store, StoreError, WriteOptions, WriteReport};
use crate::{members, query};

pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
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

    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
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

fn object(s: String) -> rusqlite::Result<serde_json::Map<String, serde_json::Value>> {
    serde_json::from_str(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// A stored period with its written form (`2024` for a calendar year); a period the
/// source does not give is stored as two empty texts and written `unspecified`.
fn period_view(start: String, end: String) -> PeriodView {
    let period = match (date(Some(start.clone())), date(Some(end.clone()))) {
        (Some(s), Some(e)) => Period { start: s, end: e }.to_string(),
        _ if start.is_empty() && end.is_empty() => territoria_model::UNSPECIFIED.to_owned(),
        _ => format!("{start}/{end}"),
    };
    PeriodView { start, end, period }
}

/// The stored period of an observation: `None` when the source gives none.
fn stored_period(start: &str, end: &str) -> Result<Option<Period>, StoreError> {
    if start.is_empty() && end.is_empty() {
        return Ok(None);
    }
    match (date(Some(start.to_owned())), date(Some(end.to_owned()))) {
        (Some(start), Some(end)) => Ok(Some(Period { start, end })),
        _ => Err(StoreError::Internal(
            "observation with an unreadable period".into(),
        )),
    }
}

fn date(s: Option<String>) -> Option<NaiveDate> {
    s.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
}

/// Reads `source, source_date, inferred, demo` starting at column `i`.
fn provenance(r: &Row, i: usize) -> rusqlite::Result<Provenance> {
    Ok(Provenance {
        source: r.get(i)?,
        date: date(r.get(i + 1)?),
        inferred: r.get(i + 2)?,
        demo: r.get(i + 3)?,
    })
}

fn kind_of(s: &str) -> EntityKind {
    EntityKind::parse(s).unwrap_or(EntityKind::Organisation)
}

const ENTITY_COLS: &str = "e.id, e.kind, e.key, e.labels, e.description, e.attributes,
    (SELECT text FROM sources WHERE id = e.source_id), e.source_date, e.inferred, e.demo";

fn entity_row(r: &Row) -> rusqlite::Result<(i64, Entity)> {
    let kind = kind_of(&r.get::<_, String>(1)?);
    let mut e = Entity::new(
        kind,
        r.get::<_, String>(2)?,
        labels(r.get(3)?)?,
        provenance(r, 6)?,
    );
    e.description = labels(r.get(4)?)?;
    e.attributes = object(r.get(5)?)?;
    Ok((r.get(0)?, e))
}

fn brief(r: &Row, i: usize) -> rusqlite::Result<EntityBrief> {
    Ok(EntityBrief {
        kind: kind_of(&r.get::<_, String>(i)?),
        id: r.get(i + 1)?,
        name: labels(r.get(i + 2)?)?,
    })
}

/// Loads tags and typed details of an entity.
fn complete(c: &Connection, id: i64, e: &mut Entity) -> Result<()> {
    let mut st = c.prepare_cached(
        "SELECT s.slug, c.notation FROM entities e, json_each(e.concepts) t
         JOIN concepts c ON c.id = t.value JOIN schemes s ON s.id = c.scheme_id
         WHERE e.id = ?1 ORDER BY s.slug, c.notation",
    )?;
    e.tags = st
        .query_map([id], |r| {
            Ok(ConceptRef::new(
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    e.details = match e.kind {
        EntityKind::Organisation => c
            .prepare_cached(
                "SELECT kbo, founded, employees, website FROM organisations WHERE entity_id = ?1",
            )?
            .query_row([id], |r| {
                Ok(Details::Organisation(Organisation {
                    kbo: r.get::<_, Option<String>>(0)?.and_then(|k| k.parse().ok()),
                    founded: date(r.get(1)?),
                    employees: r.get(2)?,
                    website: r.get(3)?,
                }))
            })
            .optional()?
            .unwrap_or_default(),
        EntityKind::Action => c
            .prepare_cached(
                "SELECT status, start_date, end_date, budget_eur FROM actions WHERE entity_id = ?1",
            )?
            .query_row([id], |r| {
                Ok(Details::Action(Action {
                    status: ActionStatus::parse(&r.get::<_, String>(0)?)
                        .unwrap_or(ActionStatus::Planned),
                    start: date(r.get(1)?),
                    end: date(r.get(2)?),
                    budget_eur: r.get(3)?,
                }))
            })
            .optional()?
            .unwrap_or_default(),
        EntityKind::Indicator => c
            .prepare_cached(
                "SELECT i.unit, i.kind, i.aggregation, m.kind, m.key FROM indicators i
                 JOIN entities m ON m.id = i.measures_id WHERE i.entity_id = ?1",
            )?
            .query_row([id], |r| {
                Ok(Details::Indicator(Indicator {
                    unit: r.get(0)?,
                    kind: IndicatorKind::parse(&r.get::<_, String>(1)?)
                        .unwrap_or(IndicatorKind::Output),
                    aggregation: Aggregation::parse(&r.get::<_, String>(2)?)
                        .unwrap_or(Aggregation::Sum),
                    measures: EntityRef::new(
                        kind_of(&r.get::<_, String>(3)?),
                        r.get::<_, String>(4)?,
                    ),
                }))
            })
            .optional()?
            .unwrap_or_default(),
        EntityKind::Place => c
            .prepare_cached(
                "SELECT lat, lon, address, postal_code FROM places WHERE entity_id = ?1",
            )?
            .query_row([id], |r| {
                Ok(Details::Place(Place {
                    lat: r.get(0)?,
                    lon: r.get(1)?,
                    address: r.get(2)?,
                    postal_code: r.get(3)?,
                }))
            })
            .optional()?
            .unwrap_or_default(),
        EntityKind::Event => c
            .prepare_cached("SELECT start_date, end_date FROM events WHERE entity_id = ?1")?
            .query_row([id], |r| {
                let end = date(r.get(1)?);
                Ok(date(r.get(0)?).map(|start| Details::Event(Event { start, end })))
            })
            .optional()?
            .flatten()
            .unwrap_or_default(),
        _ => Details::None,
    };
    Ok(())
}

fn relations_of(c: &Connection, id: i64, inverse: bool) -> Result<Vec<RelationView>> {
    let sql = if inverse {
        "SELECT r.kind, e.kind, e.key, e.labels, r.since, r.until, r.amount_eur, r.source, r.source_date, r.inferred, r.demo
         FROM relations r JOIN entities e ON e.id = r.subject_id WHERE r.object_id = ?1
         ORDER BY r.kind, e.kind, e.name LIMIT 500"
    } else {
        "SELECT r.kind, e.kind, e.key, e.labels, r.since, r.until, r.amount_eur, r.source, r.source_date, r.inferred, r.demo
         FROM relations r JOIN entities e ON e.id = r.object_id WHERE r.subject_id = ?1
         ORDER BY r.kind, e.kind, e.name"
    };
    let mut st = c.prepare_cached(sql)?;
    let rows = st.query_map([id], |r| {
        Ok(RelationView {
            kind: r.get(0)?,
            entity: brief(r, 1)?,
            since: r.get(4)?,
            until: r.get(5)?,
            amount_eur: r.get(6)?,
            provenance: provenance(r, 7)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Indicators measuring any of `ids`, with observations and targets.
fn indicators_of(c: &Connection, ids: &[i64]) -> Result<HashMap<i64, Vec<IndicatorView>>> {
    let mut out: HashMap<i64, Vec<IndicatorView>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut by_indicator: HashMap<i64, (i64, IndicatorView)> = HashMap::new();
    let mut order = Vec::new();
    for chunk in ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(",");
        let sql = format!(
            "SELECT e.id, i.measures_id, e.key, e.labels, i.unit, i.kind, i.aggregation,
               (SELECT text FROM sources WHERE id = e.source_id), e.source_date, e.inferred, e.demo
             FROM indicators i JOIN entities e ON e.id = i.entity_id
             WHERE i.measures_id IN ({marks}) ORDER BY e.id"
        );
        let mut st = c.prepare(&sql)?;
        let rows = st.query_map(params_from_iter(chunk.iter()), |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                IndicatorView {
                    id: r.get(2)?,
                    name: labels(r.get(3)?)?,
                    unit: r.get(4)?,
                    kind: r.get(5)?,
                    aggregation: r.get(6)?,
                    provenance: provenance(r, 7)?,
                    observations: Vec::new(),
                    targets: Vec::new(),
                },
            ))
        })?;
        for row in rows {
            let (iid, mid, view) = row?;
            order.push(iid);
            by_indicator.insert(iid, (mid, view));
        }
    }
    let iids: Vec<i64> = order.clone();
    for chunk in iids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(",");
        let sql = format!(
            "SELECT indicator_id, period_start, period_end, value, qualifier, period_label, note, recorded_at,
                    source, source_date, inferred, demo, quote
             FROM observations WHERE indicator_id IN ({marks}) AND territory_id IS NULL
             ORDER BY indicator_id, period_end, period_start"
        );
        let mut st = c.prepare(&sql)?;
        let rows = st.query_map(params_from_iter(chunk.iter()), |r| {
            let PeriodView { start, end, period } = period_view(r.get(1)?, r.get(2)?);
            let stated = !(start.is_empty() && end.is_empty());
            Ok((
                r.get::<_, i64>(0)?,
                ObservationView {
                    period: stated.then_some(period),
                    start: stated.then_some(start),
                    end: stated.then_some(end),
                    value: r.get(3)?,
                    qualifier: r.get(4)?,
                    period_label: r.get(5)?,
                    note: r.get(6)?,
                    quote: r.get(12)?,
                    recorded_at: r.get(7)?,
                    provenance: provenance(r, 8)?,
                },
            ))
        })?;
        for row in rows {
            let (iid, o) = row?;
            if let Some((_, v)) = by_indicator.get_mut(&iid) {
                v.observations.push(o);
            }
        }
        let sql = format!(
            "SELECT indicator_id, due, value, source, source_date, inferred, demo, qualifier, note, quote
             FROM targets WHERE indicator_id IN ({marks}) ORDER BY indicator_id, due"
        );
        let mut st = c.prepare(&sql)?;
        let rows = st.query_map(params_from_iter(chunk.iter()), |r| {
            Ok((
                r.get::<_, i64>(0)?,
                TargetView {
                    due: r.get(1)?,
                    value: r.get(2)?,
                    qualifier: r.get(7)?,
                    note: r.get(8)?,
                    quote: r.get(9)?,
                    provenance: provenance(r, 3)?,
                },
            ))
        })?;
        for row in rows {
            let (iid, t) = row?;
            if let Some((_, v)) = by_indicator.get_mut(&iid) {
                v.targets.push(t);
            }
        }
    }
    for iid in order {
        if let Some((mid, v)) = by_indicator.remove(&iid) {
            out.entry(mid).or_default().push(v);
        }
    }
    Ok(out)
}

fn versions_of(c: &Connection, strategy_id: i64) -> Result<Vec<(i64, VersionSummary)>> {
    let mut st = c.prepare_cached(
        "SELECT id, slug, label, year, note, source FROM strategy_versions
         WHERE strategy_id = ?1 ORDER BY position, year, slug",
    )?;
    let rows = st.query_map([strategy_id], |r| {
        Ok((
            r.get(0)?,
            VersionSummary {
                id: r.get(1)?,
                label: labels(r.get(2)?)?,
                year: r.get(3)?,
                note: r.get(4)?,
                source: r.get(5)?,
            },
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn concept_brief(r: &Row, i: usize) -> rusqlite::Result<ConceptBrief> {
    Ok(ConceptBrief {
        scheme: r.get(i)?,
        notation: r.get(i + 1)?,
        labels: labels(r.get(i + 2)?)?,
    })
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

/// The ids of a concept and all its narrower concepts (none when it does not exist).
fn descendants(c: &Connection, scheme: &str, notation: &str) -> Result<Vec<i64>> {
    let mut st = c.prepare_cached(&format!("{DESCENDANTS} SELECT id FROM sub"))?;
    let ids = st
        .query_map([scheme, notation], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(ids)
}

/// The SQL that selects the ids of a concept and all its narrower concepts.
const DESCENDANTS: &str = "WITH RECURSIVE sub(id) AS (
        SELECT c.id FROM concepts c JOIN schemes s ON s.id = c.scheme_id WHERE s.slug = ? AND c.notation = ?
        UNION SELECT c.id FROM concepts c JOIN sub ON c.broader_id = sub.id)";

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
            let writer = Writer::new(&conn)?;
            writer.run(actor, operation, records, options.skip_invalid, progress)?
        };
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
        self.read(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {ENTITY_COLS} FROM entities e WHERE e.kind = 'strategy' ORDER BY e.name"
            ))?;
            let rows: Vec<(i64, Entity)> = st
                .query_map([], entity_row)?
                .collect::<rusqlite::Result<_>>()?;
            rows.into_iter()
                .map(|(id, e)| {
                    Ok(StrategySummary {
                        id: e.key,
                        name: e.name,
                        description: e.description,
                        versions: versions_of(c, id)?.into_iter().map(|v| v.1).collect(),
                        provenance: e.provenance,
                    })
                })
                .collect()
        })
    }

    fn strategy(&self, key: &str, version: Option<&str>) -> Result<Option<StrategyTree>> {
        self.read(|c| {
            let found = c
                .prepare(&format!(
                    "SELECT {ENTITY_COLS} FROM entities e WHERE e.kind = 'strategy' AND e.key = ?1"
                ))?
                .query_row([key], entity_row)
                .optional()?;
            let Some((sid, s)) = found else {
                return Ok(None);
            };
            let versions = versions_of(c, sid)?;
            // Default: the latest version.
            let chosen = match version {
                Some(v) => versions.iter().find(|x| x.1.id == v),
                None => versions.last(),
            };
            let Some((vid, vsum)) = chosen.cloned() else {
                return Ok(None);
            };
            // All edges of this version.
            let mut st = c.prepare(
                "SELECT parent_id, child_id, position, source, source_date, inferred, demo
                 FROM strategy_edges WHERE version_id = ?1 ORDER BY parent_id, position, child_id",
            )?;
            let mut children: HashMap<i64, Vec<(i64, Provenance)>> = HashMap::new();
            let mut ids = vec![];
            for row in st.query_map([vid], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, provenance(r, 3)?))
            })? {
                let (p, ch, prov) = row?;
                ids.push(ch);
                children.entry(p).or_default().push((ch, prov));
            }
            let mut entities: HashMap<i64, Entity> = HashMap::new();
            for chunk in ids.chunks(500) {
                let marks = vec!["?"; chunk.len()].join(",");
                let mut st = c.prepare(&format!(
                    "SELECT {ENTITY_COLS} FROM entities e WHERE e.id IN ({marks})"
                ))?;
                for row in st.query_map(params_from_iter(chunk.iter()), entity_row)? {
                    let (id, e) = row?;
                    entities.insert(id, e);
                }
            }
            let mut measured = ids.clone();
            measured.push(sid);
            let mut indicators = indicators_of(c, &measured)?;
            let mut node_counts: BTreeMap<String, u64> = BTreeMap::new();
            // Entities may carry a name per version (`names_by_version`), e.g. an ambition
            // renamed in the 2024-2029 restatement.
            for e in entities.values_mut() {
                if let Some(n) = e
                    .attributes
                    .get("names_by_version")
                    .and_then(|m| m.get(&vsum.id))
                    .and_then(|v| serde_json::from_value::<Labels>(v.clone()).ok())
                {
                    e.name = n;
                }
            }
            fn build(
                id: i64,
                link: Provenance,
                children: &HashMap<i64, Vec<(i64, Provenance)>>,
                entities: &HashMap<i64, Entity>,
                indicators: &mut HashMap<i64, Vec<IndicatorView>>,
                counts: &mut BTreeMap<String, u64>,
                depth: usize,
            ) -> Option<Node> {
                let e = entities.get(&id)?;
                *counts.entry(e.kind.as_str().to_owned()).or_default() += 1;
                let kids = if depth < 16 {
                    children
                        .get(&id)
                        .map(|v| {
                            v.iter()
                                .filter_map(|(ch, p)| {
                                    build(
                                        *ch,
                                        p.clone(),
                                        children,
                                        entities,
                                        indicators,
                                        counts,
                                        depth + 1,
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default()
                } else {
                    Vec::new()
                };
                Some(Node {
                    kind: e.kind,
                    id: e.key.clone(),
                    name: e.name.clone(),
                    description: e.description.clone(),
                    attributes: e.attributes.clone(),
                    provenance: e.provenance.clone(),
                    link,
                    indicators: indicators.remove(&id).unwrap_or_default(),
                    children: kids,
                })
            }
            let top: Vec<Node> = children
                .get(&sid)
                .map(|v| {
                    v.iter()
                        .filter_map(|(ch, p)| {
                            build(
                                *ch,
                                p.clone(),
                                &children,
                                &entities,
                                &mut indicators,
                                &mut node_counts,
                                0,
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            Ok(Some(StrategyTree {
                id: s.key,
                name: s.name,
                description: s.description,
                attributes: s.attributes,
                provenance: s.provenance,
                version: vsum,
                versions: versions.into_iter().map(|v| v.1).collect(),
                node_counts,
                children: top,
            }))
        })
    }

    fn schemes(&self) -> Result<Vec<SchemeSummary>> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT s.slug, s.title, s.description, s.source, s.source_date, s.inferred, s.demo,
                        (SELECT COUNT(*) FROM concepts c WHERE c.scheme_id = s.id)
                 FROM schemes s ORDER BY s.slug",
            )?;
            let rows = st.query_map([], |r| {
                Ok(SchemeSummary {
                    id: r.get(0)?,
                    title: labels(r.get(1)?)?,
                    description: labels(r.get(2)?)?,
                    provenance: provenance(r, 3)?,
                    concepts: r.get(7)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    fn concept(&self, scheme: &str, notation: &str) -> Result<Option<ConceptDetail>> {
        self.read(|c| {
            let found = c
                .prepare_cached(
                    "SELECT c.id, c.broader_id, c.labels, c.attributes, c.source, c.source_date, c.inferred, c.demo
                     FROM concepts c JOIN schemes s ON s.id = c.scheme_id WHERE s.slug = ?1 AND c.notation = ?2",
                )?
                .query_row([scheme, notation], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, Option<i64>>(1)?,
                        labels(r.get(2)?)?,
                        object(r.get(3)?)?,
                        provenance(r, 4)?,
                    ))
                })
                .optional()?;
            let Some((id, mut up, labels_, attributes, prov)) = found else { return Ok(None) };
            let mut broader = Vec::new();
            let mut guard = 0;
            while let Some(b) = up {
                guard += 1;
                if guard > 32 {
                    break;
                }
                let (next, brief) = c
                    .prepare_cached(
                        "SELECT c.broader_id, s.slug, c.notation, c.labels FROM concepts c
                         JOIN schemes s ON s.id = c.scheme_id WHERE c.id = ?1",
                    )?
                    .query_row([b], |r| Ok((r.get::<_, Option<i64>>(0)?, concept_brief(r, 1)?)))?;
                broader.push(brief);
                up = next;
            }
            let narrower = c
                .prepare_cached(
                    "SELECT s.slug, c.notation, c.labels FROM concepts c JOIN schemes s ON s.id = c.scheme_id
                     WHERE c.broader_id = ?1 ORDER BY c.notation",
                )?
                .query_map([id], |r| concept_brief(r, 0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut links = Vec::new();
            for (sql, direction) in [
                ("SELECT l.kind, s.slug, c.notation, c.labels, l.partial FROM concept_links l
                  JOIN concepts c ON c.id = l.related_id JOIN schemes s ON s.id = c.scheme_id
                  WHERE l.concept_id = ?1 ORDER BY l.kind, c.notation", "out"),
                ("SELECT l.kind, s.slug, c.notation, c.labels, l.partial FROM concept_links l
                  JOIN concepts c ON c.id = l.concept_id JOIN schemes s ON s.id = c.scheme_id
                  WHERE l.related_id = ?1 ORDER BY l.kind, c.notation", "in"),
            ] {
                let mut st = c.prepare_cached(sql)?;
                for row in st.query_map([id], |r| {
                    Ok(ConceptLinkView {
                        kind: r.get(0)?,
                        direction,
                        concept: concept_brief(r, 1)?,
                        partial: r.get(4)?,
                    })
                })? {
                    links.push(row?);
                }
            }
            let postal_codes = c
                .prepare_cached("SELECT postal_code FROM postal_codes WHERE concept_id = ?1 ORDER BY postal_code")?
                .query_map([id], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            let geometry: Option<String> = c
                .prepare_cached("SELECT geojson FROM geometries WHERE concept_id = ?1")?
                .query_row([id], |r| r.get(0))
                .optional()?;
            let tagged_entities = members::of(&SqliteConn::new(c), &descendants(c, scheme, notation)?)?.len();
            Ok(Some(ConceptDetail {
                scheme: scheme.to_owned(),
                notation: notation.to_owned(),
                labels: labels_,
                attributes,
                provenance: prov,
                broader,
                narrower,
                links,
                postal_codes,
                geometry: geometry.map(|g| serde_json::from_str(&g)).transpose()?,
                tagged_entities,
            }))
        })
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
                let set = members::of(&SqliteConn::new(c), &descendants(c, &concept.scheme, &concept.notation)?)?;
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
        self.read(|c| {
            let found = c
                .prepare_cached(&format!(
                    "SELECT {ENTITY_COLS} FROM entities e WHERE e.kind = ?1 AND e.key = ?2"
                ))?
                .query_row([kind.as_str(), key], entity_row)
                .optional()?;
            let Some((id, mut e)) = found else { return Ok(None) };
            complete(c, id, &mut e)?;
            let concepts = c
                .prepare_cached(
                    "SELECT s.slug, c.notation, c.labels FROM entities e, json_each(e.concepts) t
                     JOIN concepts c ON c.id = t.value JOIN schemes s ON s.id = c.scheme_id
                     WHERE e.id = ?1 ORDER BY s.slug, c.notation",
                )?
                .query_map([id], |r| concept_brief(r, 0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let placements = c
                .prepare_cached(
                    "SELECT s.key, v.slug, p.kind, p.key, p.labels, ed.source, ed.source_date, ed.inferred, ed.demo
                     FROM strategy_edges ed JOIN strategy_versions v ON v.id = ed.version_id
                     JOIN entities s ON s.id = v.strategy_id JOIN entities p ON p.id = ed.parent_id
                     WHERE ed.child_id = ?1 ORDER BY s.key, v.position, p.name",
                )?
                .query_map([id], |r| {
                    Ok(PlacementView {
                        strategy: r.get(0)?,
                        version: r.get(1)?,
                        parent: brief(r, 2)?,
                        link: provenance(r, 5)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let indicators = indicators_of(c, &[id])?.remove(&id).unwrap_or_default();
            Ok(Some(EntityDetail {
                entity: e,
                concepts,
                relations: relations_of(c, id, false)?,
                inverse_relations: relations_of(c, id, true)?,
                placements,
                indicators,
            }))
        })
    }

    fn export_entities(
        &self,
        kind: EntityKind,
        visit: &mut dyn FnMut(Entity, Vec<Relation>) -> Result<()>,
    ) -> Result<u64> {
        self.read(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {ENTITY_COLS} FROM entities e WHERE e.kind = ?1 ORDER BY e.key"
            ))?;
            let mut rel = c.prepare(
                "SELECT r.kind, o.kind, o.key, r.since, r.until, r.amount_eur, r.source, r.source_date, r.inferred, r.demo
                 FROM relations r JOIN entities o ON o.id = r.object_id WHERE r.subject_id = ?1
                 ORDER BY r.kind, o.kind, o.key",
            )?;
            let mut rows = st.query([kind.as_str()])?;
            let mut n = 0;
            while let Some(row) = rows.next()? {
                let (id, mut e) = entity_row(row)?;
                complete(c, id, &mut e)?;
                let subject = e.reference();
                let relations = rel
                    .query_map([id], |r| {
                        Ok(Relation {
                            subject: subject.clone(),
                            kind: RelationKind::parse(&r.get::<_, String>(0)?)
                                .unwrap_or(RelationKind::PartOf),
                            object: EntityRef::new(kind_of(&r.get::<_, String>(1)?), r.get::<_, String>(2)?),
                            since: date(r.get(3)?),
                            until: date(r.get(4)?),
                            amount_eur: r.get(5)?,
                            provenance: provenance(r, 6)?,
                        })
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                visit(e, relations)?;
                n += 1;
            }
            Ok(n)
        })
    }

    fn export_observations(&self, visit: &mut dyn FnMut(Observation) -> Result<()>) -> Result<u64> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT e.key, o.period_start, o.period_end, o.value, o.qualifier, o.period_label, o.note,
                        o.source, o.source_date, o.inferred, o.demo, t.notation, o.quote
                 FROM observations o JOIN entities e ON e.id = o.indicator_id
                 LEFT JOIN concepts t ON t.id = o.territory_id
                 ORDER BY e.key, o.period_start, o.period_end, t.notation IS NOT NULL, t.notation",
            )?;
            let mut rows = st.query([])?;
            let mut n = 0;
            while let Some(r) = rows.next()? {
                let start: String = r.get(1)?;
                let end: String = r.get(2)?;
                visit(Observation {
                    indicator: r.get(0)?,
                    period: stored_period(&start, &end)?,
                    territory: r.get(11)?,
                    value: r.get(3)?,
                    qualifier: r.get(4)?,
                    period_label: r.get(5)?,
                    note: r.get(6)?,
                    quote: r.get(12)?,
                    provenance: provenance(r, 7)?,
                })?;
                n += 1;
            }
            Ok(n)
        })
    }

    fn territorial_indicators(&self) -> Result<Vec<TerritorialIndicator>> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT e.key, e.labels, i.unit, i.aggregation, p.period_start, p.period_end,
                        w.value, w.qualifier, w.source, w.source_date, w.inferred, w.demo
                 FROM (SELECT DISTINCT indicator_id, period_start, period_end FROM observations
                       WHERE territory_id IS NOT NULL) p
                 JOIN entities e ON e.id = p.indicator_id
                 JOIN indicators i ON i.entity_id = p.indicator_id
                 LEFT JOIN observations w ON w.indicator_id = p.indicator_id
                   AND w.period_start = p.period_start AND w.period_end = p.period_end
                   AND w.territory_id IS NULL
                 ORDER BY e.key, p.period_end, p.period_start",
            )?;
            let mut rows = st.query([])?;
            let mut out: Vec<TerritorialIndicator> = Vec::new();
            while let Some(r) = rows.next()? {
                let key: String = r.get(0)?;
                let whole = match r.get::<_, Option<f64>>(6)? {
                    Some(value) => Some(WholeFigure {
                        value,
                        qualifier: r.get(7)?,
                        provenance: provenance(r, 8)?,
                    }),
                    None => None,
                };
                let period = TerritorialPeriod {
                    period: period_view(r.get(4)?, r.get(5)?),
                    whole,
                };
                match out.last_mut() {
                    Some(last) if last.id == key => last.periods.push(period),
                    _ => out.push(TerritorialIndicator {
                        id: key,
                        name: labels(r.get(1)?)?,
                        unit: r.get(2)?,
                        aggregation: r.get(3)?,
                        periods: vec![period],
                    }),
                }
            }
            Ok(out)
        })
    }

    fn territorial_observations(
        &self,
        indicator: &str,
    ) -> Result<Option<Vec<TerritorialObservation>>> {
        self.read(|c| {
            let id: Option<i64> = c
                .query_row(
                    "SELECT id FROM entities WHERE kind = 'indicator' AND key = ?1",
                    [indicator],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(id) = id else { return Ok(None) };
            let mut st = c.prepare(
                "SELECT t.notation, o.period_start, o.period_end, o.value, o.qualifier,
                        o.source, o.source_date, o.inferred, o.demo
                 FROM observations o JOIN concepts t ON t.id = o.territory_id
                 WHERE o.indicator_id = ?1
                 ORDER BY o.period_end, o.period_start, t.notation",
            )?;
            let rows = st.query_map([id], |r| {
                Ok(TerritorialObservation {
                    territory: r.get(0)?,
                    period: period_view(r.get(1)?, r.get(2)?),
                    value: r.get(3)?,
                    qualifier: r.get(4)?,
                    provenance: provenance(r, 5)?,
                })
            })?;
            Ok(Some(rows.collect::<rusqlite::Result<Vec<_>>>()?))
        })
    }

    fn audit(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        self.read(|c| query::audit(&SqliteConn::new(c), limit))
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
        self.read(|c| in_snapshot(c, || {
            let mut problems = Vec::new();
            let mut st = c.prepare("PRAGMA integrity_check")?;
            for row in st.query_map([], |r| r.get::<_, String>(0))? {
                let row = row?;
                if row != "ok" {
                    problems.push(format!("integrity: {row}"));
                }
            }
            let mut st = c.prepare("PRAGMA foreign_key_check")?;
            for row in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
                let (table, rowid) = row?;
                problems.push(format!("foreign key: row {rowid} of {table} points to nothing"));
            }
            problems.extend(members::verify(&SqliteConn::new(c))?);
            let mut st = c.prepare(
                "SELECT e.key, o.kbo FROM organisations o JOIN entities e ON e.id = o.entity_id WHERE o.kbo IS NOT NULL",
            )?;
            for row in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
                let (key, kbo) = row?;
                if territoria_model::Kbo::parse(&kbo).is_err() {
                    problems.push(format!("organisation/{key}: invalid enterprise number {kbo}"));
                }
            }
            let orphans: u64 = c.query_row(
                "SELECT COUNT(*) FROM entities e WHERE
                   (e.kind = 'organisation' AND NOT EXISTS (SELECT 1 FROM organisations o WHERE o.entity_id = e.id))
                   OR (e.kind = 'action' AND NOT EXISTS (SELECT 1 FROM actions a WHERE a.entity_id = e.id))
                   OR (e.kind = 'indicator' AND NOT EXISTS (SELECT 1 FROM indicators i WHERE i.entity_id = e.id))",
                [],
                |r| r.get(0),
            )?;
            if orphans > 0 {
                problems.push(format!("{orphans} organisations, actions or indicators lack their typed details"));
            }
            let cycles: u64 = c.query_row(
                "WITH RECURSIVE up(start, id, depth) AS (
                    SELECT id, broader_id, 1 FROM concepts WHERE broader_id IS NOT NULL
                    UNION ALL SELECT up.start, c.broader_id, up.depth + 1 FROM up JOIN concepts c ON c.id = up.id
                    WHERE c.broader_id IS NOT NULL AND up.depth < 40)
                 SELECT COUNT(DISTINCT start) FROM up WHERE depth >= 40 OR id = start",
                [],
                |r| r.get(0),
            )?;
            if cycles > 0 {
                problems.push(format!("{cycles} concepts are in a broader/narrower cycle"));
            }
            let unsourced: u64 = c.query_row(
                "SELECT (SELECT COUNT(*) FROM entities e JOIN sources s ON s.id = e.source_id
                         WHERE TRIM(s.text) = '')
                      + (SELECT COUNT(*) FROM relations WHERE TRIM(source) = '')
                      + (SELECT COUNT(*) FROM observations WHERE TRIM(source) = '')",
                [],
                |r| r.get(0),
            )?;
            if unsourced > 0 {
                problems.push(format!("{unsourced} facts have no source"));
            }
            Ok(problems)
        }))
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
