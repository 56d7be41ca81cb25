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

mod accounts;
mod accounts_sql;
#[cfg(feature = "postgres")]
mod copy;
mod edit;
mod error;
mod members;
#[cfg(feature = "postgres")]
mod pg;
mod query;
pub mod read;
mod restore;
pub use restore::Restored;
pub mod schema;
mod sql;
mod sqlite;
mod views;
mod write;

use std::path::Path;
use std::sync::Arc;

pub use accounts::{AccountStore, ApiToken, Credentials, NewUser, Role, Session, User, UserChange};
#[cfg(feature = "postgres")]
pub use copy::{postgres_to_sqlite, sqlite_to_postgres};
pub use edit::{
    Change, ConceptChange, ConceptExpectation, EdgeRecord, Expectation, HistoryEntry, revert_ops,
};
pub use error::{Location, RecordError, StoreError};
#[cfg(feature = "postgres")]
pub use pg::{NOTIFY_CHANNEL, PgStore};
pub use read::*;
pub use sqlite::SqliteStore;
pub use write::{DigiscoreRecord, Op, SavedMagnet, StrategyVersion, WriteOptions, WriteReport};

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

impl std::fmt::Debug for Located {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Located")
            .field("op", &self.op)
            .field("location", &self.location)
            .finish()
    }
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

/// The storage trait: the only way the rest of Territoria reads or writes data. Every
/// backend keeps accounts too ([`AccountStore`], written once for both).
pub trait Store: AccountStore + Send + Sync {
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
    /// Streams every observation (sorted by indicator key, period, then the whole
    /// before its breakdown by territory).
    fn export_observations(&self, visit: &mut dyn FnMut(Observation) -> Result<()>) -> Result<u64>;
    /// Streams every target (sorted by indicator key, then due date).
    fn export_targets(
        &self,
        visit: &mut dyn FnMut(territoria_model::Target) -> Result<()>,
    ) -> Result<u64>;

    /// Indicators with observations broken down by territory (for maps), by key.
    fn territorial_indicators(&self) -> Result<Vec<TerritorialIndicator>>;
    /// The breakdown by territory of one indicator, by period then territory. `None`
    /// when there is no such indicator.
    fn territorial_observations(
        &self,
        indicator: &str,
    ) -> Result<Option<Vec<TerritorialObservation>>>;

    fn audit(&self, limit: u32) -> Result<Vec<AuditEntry>>;
    /// The version of an entity: the audit entry that last wrote it (`None`: no such
    /// entity). An edit names it in [`WriteOptions::expect`].
    fn entity_version(&self, kind: EntityKind, key: &str) -> Result<Option<i64>>;
    /// The recorded changes of an entity, its observations and targets, newest first.
    fn history(&self, kind: EntityKind, key: &str, limit: u32) -> Result<Vec<HistoryEntry>>;
    /// The changes recorded with one audit entry (empty when it recorded none).
    fn changes_of(&self, audit_id: i64) -> Result<Vec<Change>>;
    /// The version of a concept (the audit entry that last wrote it; `None`: no such
    /// concept). An edit names it in [`WriteOptions::expect_concepts`].
    fn concept_version(&self, scheme: &str, notation: &str) -> Result<Option<i64>>;
    /// A concept as it is written (labels, broader, attributes, provenance).
    fn concept_record(
        &self,
        scheme: &str,
        notation: &str,
    ) -> Result<Option<territoria_model::Concept>>;
    /// The recorded changes of a concept, newest first.
    fn concept_history(
        &self,
        scheme: &str,
        notation: &str,
        limit: u32,
    ) -> Result<Vec<ConceptChange>>;
    /// The concept changes recorded with one audit entry.
    fn concept_changes_of(&self, audit_id: i64) -> Result<Vec<ConceptChange>>;
    /// Every recorded change made at or after `since` (RFC 3339 or a date, UTC), newest
    /// first, at most `limit`: what a "changes since" view lists with who and when.
    fn recent_changes(&self, since: &str, limit: u32) -> Result<Vec<HistoryEntry>>;
    /// A consistent copy of the whole store, taken while it serves.
    fn backup(&self, destination: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<()>;
    /// Replaces the content with a verified backup (an embedded-store file, as
    /// [`Store::backup`] writes), audited as `actor`. PostgreSQL refuses: it restores
    /// with `migrate-store` into an empty database, or its own tools.
    fn restore(&self, backup: &Path, actor: &str) -> Result<Restored>;
    /// Integrity and domain checks; an empty list means all is well.
    fn check(&self) -> Result<Vec<String>>;

    /// Saved smart magnets with their versions (latest last).
    fn magnets(&self) -> Result<Vec<MagnetRecord>>;
    fn magnet(&self, id: &str) -> Result<Option<MagnetRecord>>;

    /// The assessment reached by a private link's hash (`None` for an unknown or
    /// tampered link). Only the link's holder may be shown it.
    fn digiscore_assessment(&self, link_hash: &str) -> Result<Option<StoredAssessment>>;
    /// The assessments of a series (an organisation's T0, T1, …), oldest first.
    fn digiscore_series(&self, series: &str) -> Result<Vec<StoredAssessment>>;
    /// The completed assessments of a questionnaire (every version), for peers and
    /// aggregates — never to be published row by row.
    fn digiscore_completed(&self, questionnaire: &str) -> Result<Vec<StoredAssessment>>;
    /// Every saved version of the Digiscore support catalogue, oldest first (empty: the
    /// built-in file is in use).
    fn digiscore_support(&self) -> Result<Vec<SupportVersion>>;

    /// Bulk scans for derived in-memory indexes (the facet engine): concepts and
    /// entities in id order, then tags in (concept, entity) order, then relations. The
    /// numeric ids are the store's internal ones: they never leave such indexes.
    fn scan(&self, visit: &mut dyn FnMut(ScanItem) -> Result<()>) -> Result<()> {
        self.scan_parts(ScanParts::ALL, visit)
    }

    /// [`Store::scan`] of some parts only, so that a caller can read the tags (by far
    /// the largest part) on another thread, from another connection, at the same time.
    fn scan_parts(
        &self,
        parts: ScanParts,
        visit: &mut dyn FnMut(ScanItem) -> Result<()>,
    ) -> Result<()>;

    /// What the writes after audit entry `after` changed, up to the latest entry. A
    /// derived index remembers [`Changes::upto`] and asks again from there.
    fn changes_since(&self, after: i64) -> Result<Changes>;

    /// [`Store::scan`] restricted to some entities: their `Entity` items, then their
    /// tags, then their outgoing relations (no concepts), in id order.
    fn scan_entities(
        &self,
        ids: &[i64],
        visit: &mut dyn FnMut(ScanItem) -> Result<()>,
    ) -> Result<()>;
}

/// Which parts a [`Store::scan_parts`] visits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanParts {
    /// Concepts, entities and relations.
    pub items: bool,
    /// Tags (in concept, then entity order).
    pub tags: bool,
}

impl ScanParts {
    pub const ALL: ScanParts = ScanParts {
        items: true,
        tags: true,
    };
    pub const TAGS: ScanParts = ScanParts {
        items: false,
        tags: true,
    };
    pub const ITEMS: ScanParts = ScanParts {
        items: true,
        tags: false,
    };
}

/// The result of [`Store::changes_since`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// The latest audit entry covered.
    pub upto: i64,
    /// Entities whose row, tags or outgoing relations were written (sorted, unique).
    pub entities: Vec<i64>,
    /// Whether any concept was written (its hierarchy or labels may have changed).
    pub concepts: bool,
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
