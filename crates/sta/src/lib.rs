//! Territoria's OGC SensorThings API v1.1 model (issue 17, items 3 and 5), below HTTP.
//!
//! - **Entities** ([`model`]): Things, Locations, HistoricalLocations, Datastreams,
//!   Sensors, ObservedProperties and FeaturesOfInterest are rows of the store file's
//!   `sta_entities` (type, JSON body) and `sta_links` (migration 11), all held in memory
//!   as a [`model::Graph`]. A write clones the graph, changes clone and tables in one
//!   transaction, and swaps the clone in once committed: a refused write leaves both as
//!   they were.
//! - **Observations** are the time-series engine's ([`territoria_timeseries`]): a
//!   datastream's id keys its series; an observation's id is `"{datastream}_{t}"` (`t`
//!   in ms since the epoch; `_{k}` appended for the k-th duplicate of a time). Results
//!   are numbers; `phenomenonTime` is an instant and `resultTime` is the same. Every
//!   incoming observation is validated ([`validate`]) and stored with its flags; its
//!   `resultQuality` words them when read.
//! - **Requests** ([`Sta::get`], [`Sta::post`], [`Sta::patch`], [`Sta::delete`],
//!   [`Sta::create_observations`], [`Sta::batch`]) take a resource path and query string
//!   as the URL has them and answer JSON with `@iot.selfLink`s under the caller's base
//!   URL. Query options ([`query`]) are parsed with the parameter and character of each
//!   mistake.
//! - Ids are never reused (`AUTOINCREMENT`): a deleted datastream's observations stay in
//!   the engine (append-only) but no datastream reaches them again.

pub mod model;
pub mod query;
mod read;
pub mod time;
pub mod validate;
mod write;

use foldhash::HashMap;
use model::{Entity, Graph, Kind};
use rusqlite::Connection;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use territoria_timeseries::TimeSeries;

pub use query::{Options, QueryError};
pub use write::Created;

/// What a request can answer instead of a result.
#[derive(Debug, thiserror::Error)]
pub enum StaError {
    /// 400: a query option (which, where, what).
    #[error(transparent)]
    Query(#[from] QueryError),
    /// 400: the resource path.
    #[error("path `{path}`: {message}")]
    Path { path: String, message: String },
    /// 400: the request body (the field, as a JSON path, and what is wrong).
    #[error("field `{field}`: {message}")]
    Body { field: String, message: String },
    /// 404: no such entity.
    #[error("{0}")]
    NotFound(String),
    /// 405: the entity or collection does not take this method.
    #[error("{0}")]
    Method(String),
    /// 500: storage failed; the cause is for the logs.
    #[error("internal: {0}")]
    Internal(String),
}

impl StaError {
    pub(crate) fn body(field: impl Into<String>, message: impl Into<String>) -> Self {
        StaError::Body {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<rusqlite::Error> for StaError {
    fn from(e: rusqlite::Error) -> Self {
        StaError::Internal(format!("SensorThings storage: {e}"))
    }
}

impl From<territoria_timeseries::Error> for StaError {
    fn from(e: territoria_timeseries::Error) -> Self {
        StaError::Internal(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, StaError>;

/// The store schema version that brings `sta_entities` and `sta_links`.
pub const SCHEMA_VERSION: i64 = 11;

/// The SensorThings service over one store file.
pub struct Sta {
    graph: RwLock<Arc<Graph>>,
    /// The entity tables' writer (one write at a time).
    writer: Mutex<Connection>,
    /// Reads of the engine's block index (a datastream's first time).
    reader: Mutex<Connection>,
    ts: TimeSeries,
    /// Validation's memory of each datastream's newest observation.
    tails: Mutex<HashMap<i64, validate::Tail>>,
}

impl Sta {
    /// Opens the service (and the time-series engine) on a store file migrated to
    /// version 11 or later.
    pub fn open(path: &Path) -> Result<Sta> {
        let writer = Connection::open(path)?;
        writer.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
             PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
        )?;
        let version: i64 = writer
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                [],
                |r| r.get(0),
            )
            .unwrap_or(0);
        if version < SCHEMA_VERSION {
            return Err(StaError::Internal(format!(
                "the store {} is at schema version {version}; SensorThings needs version {SCHEMA_VERSION} (open it with the store first)",
                path.display()
            )));
        }
        let graph = load(&writer)?;
        let reader = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        reader.execute_batch("PRAGMA busy_timeout = 10000;")?;
        let ts = TimeSeries::open(path)?;
        Ok(Sta {
            graph: RwLock::new(Arc::new(graph)),
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            ts,
            tails: Mutex::new(HashMap::default()),
        })
    }

    /// The graph as of the last committed write.
    pub(crate) fn graph(&self) -> Arc<Graph> {
        self.graph.read().expect("graph poisoned").clone()
    }

    /// The time-series engine the observations live in.
    pub fn timeseries(&self) -> &TimeSeries {
        &self.ts
    }

    /// A datastream's first and last observation times, if it has any.
    pub(crate) fn extent(&self, ds: i64) -> Result<Option<(i64, i64)>> {
        let Some(last) = self.ts.latest(ds) else {
            return Ok(None);
        };
        let first: Option<i64> = self
            .reader
            .lock()
            .expect("reader poisoned")
            .prepare_cached("SELECT MIN(t_first) FROM ts_blocks WHERE datastream_id = ?1")?
            .query_row([ds], |r| r.get(0))?;
        Ok(Some((first.unwrap_or(last.t), last.t)))
    }
}

fn load(c: &Connection) -> Result<Graph> {
    let mut g = Graph::default();
    let mut st = c.prepare("SELECT id, kind, body FROM sta_entities")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let (id, kind, body): (i64, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let kind = Kind::from_name(&kind)
            .ok_or_else(|| StaError::Internal(format!("sta_entities {id}: unknown kind {kind}")))?;
        let body = match serde_json::from_str(&body) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => {
                return Err(StaError::Internal(format!(
                    "sta_entities {id}: a body that is not a JSON object"
                )));
            }
        };
        g.entities.insert(id, Entity { kind, body });
    }
    let mut st = c.prepare("SELECT from_id, rel, to_id FROM sta_links")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let rel: String = r.get(1)?;
        let rel = model::rel_name(&rel)
            .ok_or_else(|| StaError::Internal(format!("sta_links: unknown link {rel}")))?;
        g.link(r.get(0)?, rel, r.get(2)?);
    }
    Ok(g)
}
