//! The PostgreSQL implementation of the store, for deployments past one machine.
//!
//! A pool of connections (r2d2); every read runs in a read-only repeatable-read
//! transaction (one snapshot, as SQLite's read transactions give), every write through
//! the same [`Writer`] as the embedded store, in one transaction that first takes an
//! exclusive lock on `audit` — writers queue, across every process on the database,
//! while readers go on — so that the audit id it reserves (`MAX(id) + 1`) is its own.
//! A committed write sends `NOTIFY territoria_audit, '<schema> <audit id>'`, so that
//! other processes can catch up without polling.
//!
//! Unlike the embedded store, a bulk write keeps its indexes: dropping one takes an
//! exclusive lock on its table, which would stop every other server's reads until the
//! write commits (SQLite's readers keep reading their snapshot).

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use postgres::{Client, Config, NoTls};
use r2d2_postgres::PostgresConnectionManager;
use territoria_model::{Entity, EntityKind, Observation, Relation};

use crate::read::*;
use crate::schema::{Migration, PG_MIGRATIONS, Then};
use crate::sql::pg::{PgConn, pg_error};
use crate::sql::{self, Conn, params};
use crate::{Record, Result, StoreError, WriteOptions, WriteReport};
use crate::{Store, members, query, views};

/// The channel a committed write notifies, with its audit id as payload.
pub const NOTIFY_CHANNEL: &str = "territoria_audit";

/// Held by every process while it migrates (`pg_advisory_lock`): two servers started
/// at once on an empty database do not both create the tables.
const MIGRATION_LOCK: i64 = 0x7465_7272_6974_6f72; // "territor"

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;

pub struct PgStore {
    pool: Pool,
    /// Writes of this process queue here rather than on the database lock, holding no
    /// pooled connection while they wait.
    writer: Mutex<()>,
    /// Where it is, for messages: host and database, never the password.
    place: String,
    /// How to connect, for the listener's own connection.
    config: Config,
    /// The schema holding the tables: notifications are per database, so each names the
    /// schema its write went to.
    schema: String,
}

fn place(config: &Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            postgres::config::Host::Tcp(h) => h.clone(),
            postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .collect();
    format!(
        "database `{}` on {}",
        config.get_dbname().unwrap_or("(default)"),
        if hosts.is_empty() {
            "the default host".to_owned()
        } else {
            hosts.join(", ")
        }
    )
}

/// A schema name PostgreSQL takes without quoting.
fn check_schema(schema: &str) -> Result<()> {
    let ok = !schema.is_empty()
        && schema.len() <= 63
        && schema.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(StoreError::Unusable(format!(
            "`{schema}` is not a usable schema name (lower-case letters, digits and _, at most 63)"
        )))
    }
}

impl PgStore {
    /// Opens the database at `url` (`postgres://user@host/db`, or libpq's `key=value`
    /// form), creating the tables or bringing them up to date.
    pub fn open(url: &str) -> Result<Self> {
        Self::open_config(parse(url)?, None)
    }

    /// [`PgStore::open`] with the store's tables in `schema` (created if missing): one
    /// database can hold several stores, e.g. one per test.
    pub fn open_in_schema(url: &str, schema: &str) -> Result<Self> {
        check_schema(schema)?;
        Self::open_config(parse(url)?, Some(schema))
    }

    fn open_config(mut config: Config, schema: Option<&str>) -> Result<Self> {
        let place = place(&config);
        if config.get_application_name().is_none() {
            config.application_name("territoria");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if let Some(schema) = schema {
            let mut client = config.connect(NoTls).map_err(|e| unreachable(&place, e))?;
            client
                .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                .map_err(pg_error)?;
            config.options(&format!("-c search_path={schema}"));
        }
        let manager = PostgresConnectionManager::new(config.clone(), NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(16)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(30))
            .build(manager)
            .map_err(|e| {
                StoreError::Unusable(format!("cannot connect to PostgreSQL, {place}: {e}"))
            })?;
        let mut store = Self {
            pool,
            writer: Mutex::new(()),
            place,
            config,
            schema: String::new(),
        };
        store.migrate()?;
        store.schema = store.read(|c| sql::one(c, "SELECT current_schema()::text", params![]))?;
        Ok(store)
    }

    /// Calls `on_write(audit id)` after every write committed to this database, by any
    /// process (`LISTEN territoria_audit`), on a thread of its own with its own
    /// connection, for as long as the process lives. A lost connection is opened
    /// again (after a pause that doubles up to 30 s); writes committed meanwhile are
    /// not announced, so a caller also catches up from the audit log now and then.
    pub fn on_write(
        &self,
        mut on_write: impl FnMut(i64) + Send + 'static,
    ) -> Result<std::thread::JoinHandle<()>> {
        let config = self.config.clone();
        let place = self.place.clone();
        let schema = self.schema.clone();
        // The first connection is made here, so that a caller learns at once if it fails.
        let mut client = listen(&config).map_err(|e| unreachable(&place, e))?;
        std::thread::Builder::new()
            .name("territoria-listen".into())
            .spawn(move || {
                let mut pause = Duration::from_secs(1);
                loop {
                    {
                    let mut notes = client.notifications();
                    let mut it = notes.blocking_iter();
                    loop {
                        match postgres::fallible_iterator::FallibleIterator::next(&mut it) {
                            Ok(Some(n)) => {
                                pause = Duration::from_secs(1);
                                if let Some(id) = announced(n.payload(), &schema) {
                                    on_write(id);
                                }
                            }
                            Ok(None) => break,
                            Err(e) => {
                                tracing::warn!(error = %e, "the PostgreSQL listener lost its connection");
                                break;
                            }
                        }
                    }
                    }
                    loop {
                        std::thread::sleep(pause);
                        match listen(&config) {
                            Ok(c) => {
                                client = c;
                                break;
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "the PostgreSQL listener cannot connect again");
                                pause = (pause * 2).min(Duration::from_secs(30));
                            }
                        }
                    }
                }
            })
            .map_err(|e| StoreError::Internal(format!("starting the listener thread: {e}")))
    }

    /// Where the store is (host and database), for messages.
    pub fn place(&self) -> &str {
        &self.place
    }

    fn client(&self) -> Result<r2d2::PooledConnection<PostgresConnectionManager<NoTls>>> {
        self.pool.get().map_err(|e| {
            StoreError::Internal(format!(
                "no PostgreSQL connection free, {}: {e}",
                self.place
            ))
        })
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> Result<i64> {
        self.read(|c| sql::one(c, "SELECT MAX(version) FROM schema_migrations", params![]))
    }

    /// Runs `f` on a pooled connection in a read-only snapshot.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&dyn Conn) -> Result<T>) -> Result<T> {
        let mut client = self.client()?;
        client
            .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .map_err(pg_error)?;
        let out = f(&PgConn::new(&mut client));
        // Nothing was written: ending the transaction either way is the same.
        client.batch_execute("COMMIT").map_err(pg_error)?;
        out
    }

    /// Runs `f` in one read-write transaction: committed when it returns `Ok`, rolled
    /// back otherwise (and when the connection fails, by the server).
    fn transaction<T>(client: &mut Client, f: impl FnOnce(&dyn Conn) -> Result<T>) -> Result<T> {
        client.batch_execute("BEGIN").map_err(pg_error)?;
        let out = f(&PgConn::new(client));
        match out {
            Ok(v) => {
                client.batch_execute("COMMIT").map_err(pg_error)?;
                Ok(v)
            }
            Err(e) => {
                // A failed rollback leaves the connection broken; r2d2 checks it before
                // lending it again.
                let _ = client.batch_execute("ROLLBACK");
                Err(e)
            }
        }
    }

    fn migrate(&self) -> Result<()> {
        let mut client = self.client()?;
        client
            .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
            .map_err(pg_error)?;
        let out = migrate(&mut client);
        client
            .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
            .map_err(pg_error)?;
        out
    }

    /// Runs `f` in one write transaction that holds the writers' lock. Not the write
    /// path: for copies of a whole store only.
    pub(crate) fn write_raw<T>(&self, f: impl FnOnce(&dyn Conn) -> Result<T>) -> Result<T> {
        let _queue = self.writer.lock().expect("writer poisoned");
        let mut client = self.client()?;
        Self::transaction(&mut client, |c| {
            c.batch("LOCK TABLE audit IN EXCLUSIVE MODE")?;
            f(c)
        })
    }

    /// The single write path (see [`crate::Store::apply`]).
    fn write(
        &self,
        actor: &str,
        operation: &str,
        records: &mut dyn Iterator<Item = Record>,
        options: &WriteOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<WriteReport> {
        let _queue = self.writer.lock().expect("writer poisoned");
        let mut client = self.client()?;
        Self::transaction(&mut client, |c| {
            c.batch("LOCK TABLE audit IN EXCLUSIVE MODE")?;
            let report = crate::edit::run_write(c, actor, operation, records, options, progress)?;
            if options.dry_run {
                // What the write would do, then none of it: an empty transaction commits.
                c.batch("ROLLBACK; BEGIN")?;
                return Ok(report);
            }
            if let Some(id) = report.audit_id {
                c.execute(
                    "SELECT pg_notify(?1, current_schema() || ' ' || ?2)",
                    params![NOTIFY_CHANNEL, id.to_string()],
                )?;
            }
            Ok(report)
        })
    }
}

impl crate::accounts_sql::AccountTx for PgStore {
    fn accounts_read<T>(&self, f: impl FnOnce(&dyn Conn) -> Result<T>) -> Result<T> {
        let mut client = self.client()?;
        f(&PgConn::new(&mut client))
    }

    fn accounts_write<T>(&self, f: impl FnOnce(&dyn Conn) -> Result<T>) -> Result<T> {
        let _queue = self.writer.lock().expect("writer poisoned");
        let mut client = self.client()?;
        Self::transaction(&mut client, |c| {
            // The audit id is the next one: other processes' writers wait.
            c.batch("LOCK TABLE audit IN EXCLUSIVE MODE")?;
            f(c)
        })
    }
}

impl Store for PgStore {
    fn apply(
        &self,
        actor: &str,
        operation: &str,
        records: &mut dyn Iterator<Item = Record>,
        options: &WriteOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<WriteReport> {
        self.write(actor, operation, records, options, progress)
    }

    fn counts(&self) -> Result<Counts> {
        self.read(query::counts)
    }

    fn entity_version(&self, kind: EntityKind, key: &str) -> Result<Option<i64>> {
        self.read(|c| crate::edit::version(c, kind, key))
    }

    fn history(&self, kind: EntityKind, key: &str, limit: u32) -> Result<Vec<crate::HistoryEntry>> {
        self.read(|c| crate::edit::history(c, kind, key, limit))
    }

    fn concept_version(&self, scheme: &str, notation: &str) -> Result<Option<i64>> {
        self.read(|c| crate::edit::concept_version(c, scheme, notation))
    }

    fn concept_record(
        &self,
        scheme: &str,
        notation: &str,
    ) -> Result<Option<territoria_model::Concept>> {
        self.read(|c| crate::edit::concept(c, scheme, notation))
    }

    fn concept_history(
        &self,
        scheme: &str,
        notation: &str,
        limit: u32,
    ) -> Result<Vec<crate::ConceptChange>> {
        self.read(|c| crate::edit::concept_history(c, scheme, notation, limit))
    }

    fn concept_changes_of(&self, audit_id: i64) -> Result<Vec<crate::ConceptChange>> {
        self.read(|c| crate::edit::concept_changes_of(c, audit_id))
    }

    fn changes_of(&self, audit_id: i64) -> Result<Vec<crate::Change>> {
        self.read(|c| crate::edit::changes_of(c, audit_id))
    }

    fn recent_changes(&self, since: &str, limit: u32) -> Result<Vec<crate::HistoryEntry>> {
        self.read(|c| crate::edit::recent_changes(c, since, limit))
    }

    fn export_targets(
        &self,
        visit: &mut dyn FnMut(territoria_model::Target) -> Result<()>,
    ) -> Result<u64> {
        self.read(|c| crate::edit::export_targets(c, visit))
    }

    fn strategies(&self) -> Result<Vec<StrategySummary>> {
        self.read(views::strategies)
    }

    fn strategy(&self, key: &str, version: Option<&str>) -> Result<Option<StrategyTree>> {
        self.read(|c| views::strategy(c, key, version))
    }

    fn schemes(&self) -> Result<Vec<SchemeSummary>> {
        self.read(views::schemes)
    }

    fn concept(&self, scheme: &str, notation: &str) -> Result<Option<ConceptDetail>> {
        self.read(|c| views::concept(c, scheme, notation))
    }

    fn entities(&self, q: &EntityQuery) -> Result<Page<EntitySummary>> {
        self.read(|c| entities(c, q))
    }

    fn entity(&self, kind: EntityKind, key: &str) -> Result<Option<EntityDetail>> {
        self.read(|c| views::entity(c, kind, key))
    }

    fn export_entities(
        &self,
        kind: EntityKind,
        visit: &mut dyn FnMut(Entity, Vec<Relation>) -> Result<()>,
    ) -> Result<u64> {
        self.read(|c| views::export_entities(c, kind, visit))
    }

    fn export_observations(&self, visit: &mut dyn FnMut(Observation) -> Result<()>) -> Result<u64> {
        self.read(|c| views::export_observations(c, visit))
    }

    fn territorial_indicators(&self) -> Result<Vec<TerritorialIndicator>> {
        self.read(views::territorial_indicators)
    }

    fn territorial_observations(
        &self,
        indicator: &str,
    ) -> Result<Option<Vec<TerritorialObservation>>> {
        self.read(|c| views::territorial_observations(c, indicator))
    }

    fn audit(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        self.read(|c| query::audit(c, limit))
    }

    fn restore(&self, backup: &Path, _actor: &str) -> Result<crate::Restored> {
        Err(StoreError::Unusable(format!(
            "{}: a PostgreSQL store is restored into an empty database with `territoria migrate-store --from BACKUP.sqlite --to postgres://…` (or pg_restore of its own dumps), not in place",
            backup.display()
        )))
    }

    fn backup(&self, destination: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<()> {
        crate::copy::backup_to_sqlite(self, destination, progress)
    }

    fn check(&self) -> Result<Vec<String>> {
        self.read(|c| {
            let mut problems = Vec::new();
            // The foreign keys SQLite's `foreign_key_check` verifies, PostgreSQL enforces
            // itself; the tags' table declares none (see schema.rs): both sides are in
            // `views::check`.
            problems.extend(views::check(c)?);
            Ok(problems)
        })
    }

    fn digiscore_assessment(&self, x: &str) -> Result<Option<StoredAssessment>> {
        self.read(|c| query::digiscore_assessment(c, x))
    }

    fn digiscore_series(&self, x: &str) -> Result<Vec<StoredAssessment>> {
        self.read(|c| query::digiscore_series(c, x))
    }

    fn digiscore_completed(&self, x: &str) -> Result<Vec<StoredAssessment>> {
        self.read(|c| query::digiscore_completed(c, x))
    }

    fn digiscore_support(&self) -> Result<Vec<SupportVersion>> {
        self.read(query::digiscore_support)
    }

    fn magnets(&self) -> Result<Vec<MagnetRecord>> {
        self.read(query::magnets)
    }

    fn magnet(&self, id: &str) -> Result<Option<MagnetRecord>> {
        self.read(|c| query::magnet(c, id))
    }

    fn scan_parts(
        &self,
        parts: crate::ScanParts,
        visit: &mut dyn FnMut(crate::ScanItem) -> Result<()>,
    ) -> Result<()> {
        self.read(|c| query::scan_parts(c, parts, visit))
    }

    fn changes_since(&self, after: i64) -> Result<crate::Changes> {
        self.read(|c| query::changes_since(c, after))
    }

    fn scan_entities(
        &self,
        ids: &[i64],
        visit: &mut dyn FnMut(crate::ScanItem) -> Result<()>,
    ) -> Result<()> {
        self.read(|c| query::scan_entities(c, ids, visit))
    }
}

/// A page of entities: SQLite's page (`sqlite.rs`) in PostgreSQL's terms. The concept
/// filters are bitmaps of entity ids intersected here; the rows are joined to them as
/// an array (`unnest`), which PostgreSQL hashes however large it is. Text matches
/// ignore case, as SQLite's `LIKE` does.
fn entities(c: &dyn Conn, q: &EntityQuery) -> Result<Page<EntitySummary>> {
    let mut wheres = vec!["e.kind = ?".to_owned()];
    let mut texts: Vec<String> = Vec::new();
    if let Some(text) = q.text.as_deref().filter(|t| !t.trim().is_empty()) {
        wheres.push("(e.labels ILIKE ? ESCAPE '\\' OR e.key ILIKE ? ESCAPE '\\')".into());
        let escaped = text
            .trim()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        texts.push(format!("%{escaped}%"));
        texts.push(format!("%{escaped}%"));
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
    let order = format!(
        "ORDER BY e.name, e.key LIMIT {} OFFSET {}",
        q.limit, q.offset
    );
    let mut tagged: Option<roaring::RoaringBitmap> = None;
    for concept in &q.concepts {
        let set = members::of(
            c,
            &views::descendants(c, &concept.scheme, &concept.notation)?,
        )?;
        tagged = Some(match tagged {
            Some(t) => t & set,
            None => set,
        });
    }
    let ids: Vec<i64> = match &tagged {
        Some(t) if t.is_empty() => return Ok(page(0, Vec::new())),
        Some(t) => t.iter().map(i64::from).collect(),
        None => Vec::new(),
    };
    let kind = q.kind.as_str();
    let mut args: Vec<&dyn sql::ToParam> = Vec::new();
    let from = if tagged.is_some() {
        args.push(&ids);
        "FROM unnest(CAST(? AS bigint[])) AS m(value) JOIN entities e ON e.id = m.value"
    } else {
        "FROM entities e"
    };
    args.push(&kind);
    for t in &texts {
        args.push(t);
    }
    let total: u64 = sql::one(c, &format!("SELECT COUNT(*) {from} WHERE {filter}"), &args)?;
    let items = query::collect(
        c,
        &format!("SELECT e.kind, e.key, e.labels, e.demo {from} WHERE {filter} {order}"),
        &args,
        |r| {
            Ok(EntitySummary {
                kind: query::kind_of(r.text(0)?),
                id: r.get(1)?,
                name: query::labels(r.text(2)?)?,
                demo: r.get(3)?,
            })
        },
    )?;
    Ok(page(total, items))
}

fn parse(url: &str) -> Result<Config> {
    url.parse::<Config>().map_err(|e| {
        StoreError::Unusable(format!(
            "the database address is not a PostgreSQL URL (postgres://user@host/database): {e}"
        ))
    })
}

/// The audit id of a notification (`"<schema> <audit id>"`) about `schema`.
fn announced(payload: &str, schema: &str) -> Option<i64> {
    let (s, id) = payload.rsplit_once(' ')?;
    (s == schema).then(|| id.parse().ok()).flatten()
}

fn listen(config: &Config) -> Result<Client, postgres::Error> {
    let mut client = config.connect(NoTls)?;
    client.batch_execute(&format!("LISTEN {NOTIFY_CHANNEL}"))?;
    Ok(client)
}

fn unreachable(place: &str, e: postgres::Error) -> StoreError {
    StoreError::Unusable(format!("cannot connect to PostgreSQL, {place}: {e}"))
}

fn migrate(client: &mut Client) -> Result<()> {
    // (Looked up first: `CREATE TABLE IF NOT EXISTS` on an existing table sends a
    // notice, which the driver logs on every start.)
    let exists: bool = client
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
        .map_err(pg_error)?
        .get(0);
    if !exists {
        client
            .batch_execute(
                "CREATE TABLE schema_migrations (
                    version BIGINT PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)",
            )
            .map_err(pg_error)?;
    }
    let current: i64 = client
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .map_err(pg_error)?
        .get(0);
    let latest = PG_MIGRATIONS.last().map_or(0, |m| m.version);
    if current > latest {
        return Err(StoreError::Unusable(format!(
            "this store is at schema version {current}, newer than this program knows ({latest}): upgrade Territoria"
        )));
    }
    for m in PG_MIGRATIONS.iter().filter(|m| m.version > current) {
        PgStore::transaction(client, |c| apply_migration(c, m))?;
        let (version, description) = (m.version, m.description);
        tracing::info!(version, description, "applied migration (PostgreSQL)");
    }
    Ok(())
}

fn apply_migration(c: &dyn Conn, m: &Migration) -> Result<()> {
    c.batch(m.sql)?;
    match m.then {
        Then::Nothing => {}
        Then::DeriveConceptMembers => crate::members::rebuild(c)?,
    }
    c.execute(
        "INSERT INTO schema_migrations(version, description, applied_at) VALUES (?1, ?2, ?3)",
        params![m.version, m.description, chrono::Utc::now().to_rfc3339()],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_notification_counts_for_its_own_schema_only() {
        assert_eq!(super::announced("public 42", "public"), Some(42));
        assert_eq!(super::announced("t_1_x 42", "public"), None);
        assert_eq!(super::announced("public x", "public"), None);
        assert_eq!(super::announced("42", "public"), None);
    }
}
