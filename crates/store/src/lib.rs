//! Territoria's storage.
//!
//! * [`Store`] is the storage trait the rest of the product talks to. The SQLite
//!   implementation ([`SqliteStore`]) is the embedded default; a PostgreSQL one will
//!   implement the same trait (the SQL in [`schema`] and the queries is kept portable).
//! * The one write path is [`Store::apply`]: it takes a stream of [`Op`]s, validates each
//!   record (shape, references, duplicates), writes them in **one transaction** and
//!   appends one `audit` row (who, when, what changed). A record that fails refuses
//!   the whole batch unless `skip_invalid` is set, in which case valid records are
//!   committed and the rejected ones reported.
//! * Reads return plain serialisable read models ([`read`]).
//!
//! Architecture invariant: nothing here knows HTTP or file formats; rusqlite's types
//! never leave this crate.

mod error;
pub mod read;
pub mod schema;
mod sqlite;
mod write;

use std::path::Path;
use std::sync::Arc;

pub use error::{Location, RecordError, StoreError};
pub use read::*;
pub use sqlite::SqliteStore;
pub use write::{Op, SavedMagnet, StrategyVersion, WriteOptions, WriteReport};

use territoria_model::{EntityKind, Observation, Relation};

/// Maps a model field name (or a scheme id, for tags) to the 1-based column of the
/// source file it came from, so errors can name the column.
pub type ColumnOf = Arc<dyn Fn(&str) -> Option<u64> + Send + Sync>;

/// One operation with where it came from.
pub struct Located {
    pub op: Op,
    pub location: Option<Location>,
    pub column_of: Option<ColumnOf>,
}

impl From<Op> for Located {
    fn from(op: Op) -> Self {
        Located {
            op,
            location: None,
            column_of: None,
        }
    }
}

/// What a writer feeds the write path: an operation, or a record that could not
/// even be parsed (reported like any other invalid record).
pub type Record = Result<Located, RecordError>;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The storage trait: the only way the rest of Territoria reads or writes data.
pub trait Store: Send + Sync {
    /// The single write path. `progress` is called with the number of records seen.
    fn apply(
        &self,
        actor: &str,
        operation: &str,
        records: &mut dyn Iterator<Item = Record>,
        options: &WriteOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<WriteReport>;

    fn counts(&self) -> Result<Counts>;
    fn strategies(&self) -> Result<Vec<StrategySummary>>;
    fn strategy(&self, key: &str, version: Option<&str>) -> Result<Option<StrategyTree>>;
    fn schemes(&self) -> Result<Vec<SchemeSummary>>;
    fn concept(&self, scheme: &str, notation: &str) -> Result<Option<ConceptDetail>>;
    fn entities(&self, query: &EntityQuery) -> Result<Page<EntitySummary>>;
    fn entity(&self, kind: EntityKind, key: &str) -> Result<Option<EntityDetail>>;

    /// Streams every entity of a kind (sorted by key) with its outgoing relations.
    fn export_entities(
        &self,
        kind: EntityKind,
        visit: &mut dyn FnMut(territoria_model::Entity, Vec<Relation>) -> Result<()>,
    ) -> Result<u64>;
    /// Streams every observation (sorted by indicator key, period).
    fn export_observations(&self, visit: &mut dyn FnMut(Observation) -> Result<()>) -> Result<u64>;

    fn audit(&self, limit: u32) -> Result<Vec<AuditEntry>>;
    /// A consistent copy of the whole store, taken while it serves.
    fn backup(&self, destination: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<()>;
    /// Integrity and domain checks; an empty list means all is well.
    fn check(&self) -> Result<Vec<String>>;

    /// Saved smart magnets with their versions (latest last).
    fn magnets(&self) -> Result<Vec<MagnetRecord>>;
    fn magnet(&self, id: &str) -> Result<Option<MagnetRecord>>;

    /// Bulk scans for derived in-memory indexes (the facet engine), in id order. The
    /// numeric ids are the store's internal ones: they never leave such indexes.
    fn scan(&self, visit: &mut dyn FnMut(ScanItem) -> Result<()>) -> Result<()>;
}

/// One item of [`Store::scan`]: concepts first, then entities, tags, relations.
#[derive(Debug, Clone, PartialEq)]
pub enum ScanItem {
    Concept {
        id: i64,
        scheme: String,
        notation: String,
        broader: Option<i64>,
        labels: territoria_model::Labels,
    },
    Entity {
        id: i64,
        kind: EntityKind,
        key: String,
        name: territoria_model::Labels,
        description: territoria_model::Labels,
        demo: bool,
        /// Founding or start date (organisations, actions, events), ISO text.
        date: Option<String>,
        employees: Option<u32>,
    },
    Tag {
        entity: i64,
        concept: i64,
    },
    Relation {
        subject: i64,
        kind: String,
        object: i64,
        /// ISO date the relation started, when known.
        since: Option<String>,
    },
}
