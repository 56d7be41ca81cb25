//! Table layout and migrations — the one place that names tables.
//!
//! SQL here is kept portable (standard types, `ON CONFLICT`, `RETURNING`, no
//! `WITHOUT ROWID`, JSON stored as TEXT) so that the PostgreSQL backend can reuse
//! it; SQLite-only settings (pragmas) live in `sqlite.rs`. (Migration 5 copies old tags
//! with SQLite's `json_group_array`; a new PostgreSQL store starts from the last shape.)
//!
//! ```text
//! schemes ─< concepts ─< concepts (broader)      entities ─┬─ organisations | actions | indicators | places | events
//!               │  ├─< concept_links (canton covers municipality)  ├─ concepts: its tags, a JSON array of concept ids
//!               │  └─< concept_members: bitmaps of the entities tagged, per block of 65,536 ids
//!               ├─< geometries                                       ├─< relations (subject, kind, object)
//!               └─< postal_codes                                     ├─< strategy_versions ─< strategy_edges
//!                                                                    └─ indicators ─< observations (>─ concepts: territory), targets
//! audit: one row per committed write
//! ```
//! `/*CLUSTERED*/` marks tables whose primary key should be their storage order: the
//! SQLite backend turns it into `WITHOUT ROWID` (one B-tree instead of two), others ignore
//! the comment.
//!
//! Every fact table carries provenance columns: `source`, `source_date`,
//! `inferred`, `demo` — entities as `source_id`, a row of `sources`, since most of a
//! bulk import's entities share one source text.

/// One schema change. Each is applied in its own transaction, in order.
pub struct Migration {
    pub version: i64,
    pub description: &'static str,
    pub sql: &'static str,
    /// The migration rebuilds tables that others reference (SQLite's "create, copy,
    /// drop, rename"), so it runs with foreign-key enforcement off — dropping the old
    /// table would otherwise cascade its deletes — and checks every key before it
    /// commits.
    pub rebuilds_tables: bool,
    /// Work done in code after the SQL, in the same transaction.
    pub then: Then,
}

/// The code step of a [`Migration`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Then {
    Nothing,
    /// Fill `concept_members` from `entities.concepts` (see `members.rs`).
    DeriveConceptMembers,
}

const fn sql(version: i64, description: &'static str, sql: &'static str) -> Migration {
    Migration {
        version,
        description,
        sql,
        rebuilds_tables: false,
        then: Then::Nothing,
    }
}

/// Applied in order, each in its own transaction.
pub const MIGRATIONS: &[Migration] = &[
    sql(
        1,
        "initial schema",
        r#"
CREATE TABLE schemes (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '{}',
    source TEXT NOT NULL,
    source_date TEXT,
    inferred INTEGER NOT NULL DEFAULT 0,
    demo INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE concepts (
    id INTEGER PRIMARY KEY,
    scheme_id INTEGER NOT NULL REFERENCES schemes(id),
    notation TEXT NOT NULL,
    broader_id INTEGER REFERENCES concepts(id),
    labels TEXT NOT NULL,
    attributes TEXT NOT NULL DEFAULT '{}',
    source TEXT NOT NULL,
    source_date TEXT,
    inferred INTEGER NOT NULL DEFAULT 0,
    demo INTEGER NOT NULL DEFAULT 0,
    UNIQUE (scheme_id, notation)
);
CREATE INDEX concepts_broader ON concepts(broader_id);

CREATE TABLE concept_links (
    concept_id INTEGER NOT NULL REFERENCES concepts(id),
    kind TEXT NOT NULL,
    related_id INTEGER NOT NULL REFERENCES concepts(id),
    partial INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL,
    PRIMARY KEY (concept_id, kind, related_id)
);
CREATE INDEX concept_links_related ON concept_links(related_id);

CREATE TABLE geometries (
    concept_id INTEGER PRIMARY KEY REFERENCES concepts(id),
    geojson TEXT NOT NULL,
    source TEXT NOT NULL
);

CREATE TABLE postal_codes (
    postal_code TEXT NOT NULL,
    concept_id INTEGER NOT NULL REFERENCES concepts(id),
    source TEXT NOT NULL,
    PRIMARY KEY (postal_code, concept_id)
);

CREATE TABLE entities (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    labels TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '{}',
    attributes TEXT NOT NULL DEFAULT '{}',
    source TEXT NOT NULL,
    source_date TEXT,
    inferred INTEGER NOT NULL DEFAULT 0,
    demo INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    UNIQUE (kind, key)
);
CREATE INDEX entities_by_name ON entities(kind, name);

CREATE TABLE organisations (
    entity_id INTEGER PRIMARY KEY REFERENCES entities(id) ON DELETE CASCADE,
    kbo TEXT UNIQUE,
    founded TEXT,
    employees INTEGER,
    website TEXT
);

CREATE TABLE actions (
    entity_id INTEGER PRIMARY KEY REFERENCES entities(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    start_date TEXT,
    end_date TEXT,
    budget_eur REAL
);

CREATE TABLE indicators (
    entity_id INTEGER PRIMARY KEY REFERENCES entities(id) ON DELETE CASCADE,
    unit TEXT NOT NULL,
    kind TEXT NOT NULL,
    aggregation TEXT NOT NULL,
    measures_id INTEGER NOT NULL REFERENCES entities(id)
);
CREATE INDEX indicators_measures ON indicators(measures_id);

CREATE TABLE places (
    entity_id INTEGER PRIMARY KEY REFERENCES entities(id) ON DELETE CASCADE,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    address TEXT,
    postal_code TEXT
);

CREATE TABLE events (
    entity_id INTEGER PRIMARY KEY REFERENCES entities(id) ON DELETE CASCADE,
    start_date TEXT NOT NULL,
    end_date TEXT
);

-- The hottest table (a million organisations × ~6 tags) declares no foreign keys: each
-- would cost a B-tree probe per row (~20 % of a million-organisation load). The write path
-- is its only writer — it resolves every concept, and replaces an entity's tags with the
-- entity — and `check` verifies both sides. Concepts are never deleted.
CREATE TABLE entity_concepts (
    entity_id INTEGER NOT NULL,
    concept_id INTEGER NOT NULL,
    PRIMARY KEY (entity_id, concept_id)
) /*CLUSTERED*/;
CREATE INDEX entity_concepts_by_concept ON entity_concepts(concept_id, entity_id);

CREATE TABLE relations (
    id INTEGER PRIMARY KEY,
    subject_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    object_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    since TEXT,
    until TEXT,
    amount_eur REAL,
    source TEXT NOT NULL,
    source_date TEXT,
    inferred INTEGER NOT NULL DEFAULT 0,
    demo INTEGER NOT NULL DEFAULT 0,
    UNIQUE (subject_id, kind, object_id)
);
CREATE INDEX relations_object ON relations(object_id, kind);

CREATE TABLE strategy_versions (
    id INTEGER PRIMARY KEY,
    strategy_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    label TEXT NOT NULL,
    year INTEGER,
    note TEXT,
    position INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL,
    UNIQUE (strategy_id, slug)
);

CREATE TABLE strategy_edges (
    version_id INTEGER NOT NULL REFERENCES strategy_versions(id) ON DELETE CASCADE,
    parent_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    child_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    position INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL,
    source_date TEXT,
    inferred INTEGER NOT NULL DEFAULT 0,
    demo INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (version_id, parent_id, child_id)
);
CREATE INDEX strategy_edges_child ON strategy_edges(child_id);

CREATE TABLE observations (
    id INTEGER PRIMARY KEY,
    indicator_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    value REAL NOT NULL,
    qualifier TEXT,
    period_label TEXT,
    note TEXT,
    recorded_at TEXT NOT NULL,
    source TEXT NOT NULL,
    source_date TEXT,
    inferred INTEGER NOT NULL DEFAULT 0,
    demo INTEGER NOT NULL DEFAULT 0,
    UNIQUE (indicator_id, period_start, period_end)
);

CREATE TABLE targets (
    id INTEGER PRIMARY KEY,
    indicator_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    due TEXT NOT NULL,
    value REAL NOT NULL,
    source TEXT NOT NULL,
    source_date TEXT,
    inferred INTEGER NOT NULL DEFAULT 0,
    demo INTEGER NOT NULL DEFAULT 0,
    UNIQUE (indicator_id, due)
);

CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    operation TEXT NOT NULL,
    summary TEXT NOT NULL
);
"#,
    ),
    sql(
        2,
        "saved smart magnets",
        r#"
CREATE TABLE magnets (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE magnet_versions (
    magnet_id INTEGER NOT NULL REFERENCES magnets(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    query TEXT NOT NULL,
    actor TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (magnet_id, version)
);
"#,
    ),
    sql(
        3,
        "audit id on written rows, for derived indexes to catch up",
        r#"
ALTER TABLE entities ADD COLUMN audit_id INTEGER;
ALTER TABLE relations ADD COLUMN audit_id INTEGER;
ALTER TABLE concepts ADD COLUMN audit_id INTEGER;
"#,
    ),
    sql(
        4,
        "observations broken down by territory",
        r#"
CREATE TABLE observations_v4 (
    id INTEGER PRIMARY KEY,
    indicator_id INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    territory_id INTEGER REFERENCES concepts(id),
    value REAL NOT NULL,
    qualifier TEXT,
    period_label TEXT,
    note TEXT,
    recorded_at TEXT NOT NULL,
    source TEXT NOT NULL,
    source_date TEXT,
    inferred INTEGER NOT NULL DEFAULT 0,
    demo INTEGER NOT NULL DEFAULT 0
);
INSERT INTO observations_v4(id, indicator_id, period_start, period_end, value, qualifier,
    period_label, note, recorded_at, source, source_date, inferred, demo)
SELECT id, indicator_id, period_start, period_end, value, qualifier,
    period_label, note, recorded_at, source, source_date, inferred, demo
FROM observations;
DROP TABLE observations;
ALTER TABLE observations_v4 RENAME TO observations;
CREATE UNIQUE INDEX observations_key
    ON observations(indicator_id, period_start, period_end, COALESCE(territory_id, 0));
CREATE INDEX observations_by_territory
    ON observations(territory_id, indicator_id) WHERE territory_id IS NOT NULL;
"#,
    ),
    Migration {
        version: 5,
        description: "concepts inline in entities, concept membership as bitmaps, unique keys as named indexes, entity sources shared",
        rebuilds_tables: true,
        then: Then::DeriveConceptMembers,
        sql: r#"
-- An import's entities nearly all share one source text: each is stored once.
CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE
);
INSERT INTO sources(text) SELECT DISTINCT source FROM entities ORDER BY source;

CREATE TABLE entities_v5 (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    labels TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '{}',
    attributes TEXT NOT NULL DEFAULT '{}',
    concepts TEXT NOT NULL DEFAULT '[]',
    source_id INTEGER NOT NULL REFERENCES sources(id),
    source_date TEXT,
    inferred INTEGER NOT NULL DEFAULT 0,
    demo INTEGER NOT NULL DEFAULT 0,
    -- When and by whom the row was last written: the audit entry (`updated_at` was a copy
    -- of its time).
    audit_id INTEGER
);
INSERT INTO entities_v5(id, kind, key, name, labels, description, attributes, concepts,
    source_id, source_date, inferred, demo, audit_id)
SELECT e.id, e.kind, e.key, e.name, e.labels, e.description, e.attributes,
    -- Tags that name no concept (the old table declared no foreign key) are not carried.
    -- (EXISTS, not IN: with IN, SQLite probes every concept for every entity.)
    (SELECT json_group_array(t.concept_id) FROM (SELECT ec.concept_id FROM entity_concepts ec
       WHERE ec.entity_id = e.id AND EXISTS (SELECT 1 FROM concepts c WHERE c.id = ec.concept_id)
       ORDER BY ec.concept_id) t),
    (SELECT s.id FROM sources s WHERE s.text = e.source), e.source_date, e.inferred, e.demo,
    e.audit_id
FROM entities e;
DROP TABLE entities;
ALTER TABLE entities_v5 RENAME TO entities;
CREATE UNIQUE INDEX entities_key ON entities(kind, key);
CREATE INDEX entities_by_name ON entities(kind, name);

CREATE TABLE organisations_v5 (
    entity_id INTEGER PRIMARY KEY REFERENCES entities(id) ON DELETE CASCADE,
    kbo TEXT,
    founded TEXT,
    employees INTEGER,
    website TEXT
);
INSERT INTO organisations_v5 SELECT entity_id, kbo, founded, employees, website FROM organisations;
DROP TABLE organisations;
ALTER TABLE organisations_v5 RENAME TO organisations;
CREATE UNIQUE INDEX organisations_kbo ON organisations(kbo);

DROP TABLE entity_concepts;
CREATE TABLE concept_members (
    concept_id INTEGER NOT NULL REFERENCES concepts(id),
    block INTEGER NOT NULL,
    members BLOB NOT NULL,
    PRIMARY KEY (concept_id, block)
) /*CLUSTERED*/;
"#,
    },
    sql(
        6,
        "figures carry the source's sentence; targets and projections their qualifier and note",
        r#"
-- An observation whose source gives no period has period_start = period_end = ''
-- ("période non précisée"): it keeps its place in the unique key.
ALTER TABLE observations ADD COLUMN quote TEXT;
ALTER TABLE targets ADD COLUMN qualifier TEXT;
ALTER TABLE targets ADD COLUMN note TEXT;
ALTER TABLE targets ADD COLUMN quote TEXT;
"#,
    ),
    sql(
        7,
        "accounts, sessions, API tokens; the before and after of each edit",
        r#"
-- Hashes only: argon2id PHC strings for passwords, SHA-256 (hex) of session ids and
-- API token secrets.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT,
    password_hash TEXT,
    role TEXT NOT NULL CHECK (role IN ('partner', 'editor', 'admin')),
    organisation TEXT,
    strategy TEXT,
    oidc_subject TEXT UNIQUE,
    disabled INTEGER NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL,
    CHECK (role <> 'partner' OR organisation IS NOT NULL)
);
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions(user_id);
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT,
    last_used_at TEXT
);
CREATE INDEX api_tokens_by_user ON api_tokens(user_id);
-- One row per item an edit changed, written with the edit's audit row: the item as
-- JSON before (NULL: created) and after.
CREATE TABLE audit_changes (
    id INTEGER PRIMARY KEY,
    audit_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    item TEXT NOT NULL,
    detail TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE INDEX audit_changes_by_entity ON audit_changes(kind, key, audit_id);
CREATE INDEX audit_changes_by_audit ON audit_changes(audit_id);
"#,
    ),
    sql(
        8,
        "time series: compressed observation blocks per datastream and time range, the latest value of each",
        r#"
-- Written by crates/timeseries (its own batching writer, one transaction per group of
-- acknowledged batches). Times are milliseconds since 1970-01-01T00:00:00Z. A block
-- holds one datastream's observations over [t_first, t_last], sorted by time, encoded
-- by `codec` (see crates/timeseries/src/codec.rs); n, v_min, v_max, v_sum and flagged
-- (how many carry a quality flag) let a downsampling read skip decoding. Blocks of
-- one datastream may overlap (late data); a read merges them.
CREATE TABLE ts_blocks (
    id INTEGER PRIMARY KEY,
    datastream_id INTEGER NOT NULL,
    t_first INTEGER NOT NULL,
    t_last INTEGER NOT NULL,
    n INTEGER NOT NULL,
    v_min REAL NOT NULL,
    v_max REAL NOT NULL,
    v_sum REAL NOT NULL,
    flagged INTEGER NOT NULL,
    codec INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX ts_blocks_by_time ON ts_blocks(datastream_id, t_first, t_last, n);
-- The newest observation of each datastream, written in the same transaction as its
-- block; the engine loads it into memory when it opens.
CREATE TABLE ts_latest (
    datastream_id INTEGER PRIMARY KEY,
    t INTEGER NOT NULL,
    v REAL NOT NULL,
    flags INTEGER NOT NULL
);
"#,
    ),
    sql(
        9,
        "digital-maturity self-assessments (Digiscore), reached by the hash of a private link",
        r#"
-- One row per assessment. `link_hash` is the SHA-256 (hex) of the private link's secret:
-- the secret itself is never stored. `series` groups an organisation's reassessments
-- (T0, T1, ...): it is the link hash of the first assessment. Answers are a JSON object
-- (question id -> option id) for the exact questionnaire version; the scores are filled when
-- the questionnaire is complete. Individual rows never leave the store except to the holder
-- of the link; aggregates are computed with the anonymity rules of territoria-digiscore.
CREATE TABLE digiscore_assessments (
    id INTEGER PRIMARY KEY,
    link_hash TEXT NOT NULL UNIQUE,
    series TEXT NOT NULL,
    questionnaire TEXT NOT NULL,
    questionnaire_version INTEGER NOT NULL,
    kbo TEXT,
    nace_section TEXT NOT NULL,
    size_class TEXT NOT NULL,
    municipality TEXT,
    answers TEXT NOT NULL,
    overall REAL,
    axes TEXT,
    completed_at TEXT,
    demo INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX digiscore_assessments_by_peers
    ON digiscore_assessments(questionnaire, nace_section, size_class);
CREATE INDEX digiscore_assessments_by_series ON digiscore_assessments(series);
CREATE INDEX digiscore_assessments_by_update ON digiscore_assessments(updated_at);
"#,
    ),
    sql(
        10,
        "a target's baseline (the situation it starts from): date and value",
        r#"
ALTER TABLE targets ADD COLUMN baseline_date TEXT;
ALTER TABLE targets ADD COLUMN baseline_value REAL;
"#,
    ),
    sql(
        11,
        "SensorThings API entities (things, locations, datastreams, sensors, ...) and their links",
        r#"
-- Written by crates/sta (the SensorThings API v1.1 model; observations live in ts_blocks).
-- One row per entity of any SensorThings type: `kind` is the entity type's name
-- (Thing, Location, HistoricalLocation, Datastream, Sensor, ObservedProperty,
-- FeatureOfInterest), `body` a JSON object of its own properties. Ids are never reused
-- (AUTOINCREMENT): a datastream's id keys its observations in ts_blocks.
CREATE TABLE sta_entities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX sta_entities_by_kind ON sta_entities(kind, id);
-- Links between entities, named by the navigation property of `from_id`
-- (Datastream -Thing-> Thing, Thing -Locations-> Location, ...).
CREATE TABLE sta_links (
    from_id INTEGER NOT NULL REFERENCES sta_entities(id) ON DELETE CASCADE,
    rel TEXT NOT NULL,
    to_id INTEGER NOT NULL REFERENCES sta_entities(id) ON DELETE CASCADE,
    PRIMARY KEY (from_id, rel, to_id)
);
CREATE INDEX sta_links_to ON sta_links(to_id, rel);
"#,
    ),
    sql(
        12,
        "the Digiscore support catalogue (operators, aids, programmes with their conditions), versioned",
        r#"
-- Each save of the catalogue that Digiscore next steps are drawn from is a new version:
-- the TOML text (checked by territoria-digiscore before it is written), who saved it and
-- when. The latest version is the one in use; none means the built-in file
-- (data/digiscore/support.toml). Older versions stay: they are the catalogue's history.
CREATE TABLE digiscore_support (
    version INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    actor TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"#,
    ),
];

/// Indexes a bulk write drops and builds again at its end, inside its transaction
/// (see `write.rs`): `(name, CREATE statement)`. The unique ones back the entity key and
/// the enterprise number: while they are gone the write path checks both against keys
/// it loaded, and building them again would refuse any duplicate that slipped through.
pub const DEFERRABLE_INDEXES: &[(&str, &str)] = &[
    (
        "entities_key",
        "CREATE UNIQUE INDEX entities_key ON entities(kind, key)",
    ),
    (
        "entities_by_name",
        "CREATE INDEX entities_by_name ON entities(kind, name)",
    ),
    (
        "organisations_kbo",
        "CREATE UNIQUE INDEX organisations_kbo ON organisations(kbo)",
    ),
];

const fn pg(version: i64, description: &'static str, sql: &'static str) -> Migration {
    Migration {
        version,
        description,
        sql,
        rebuilds_tables: false,
        then: Then::Nothing,
    }
}

/// The same migrations in PostgreSQL's dialect: the same versions and descriptions
/// (a test holds them equal), each leaving the same tables, columns and named indexes
/// as its SQLite twin, so that every statement of the store runs on both. Integers are
/// `BIGINT` (flags too: `demo = 1` reads the same in both dialects), `REAL` is `DOUBLE
/// PRECISION`, `BLOB` is `BYTEA`, generated keys are identity columns. Where SQLite
/// rebuilds a table (4, 5), PostgreSQL alters it in place; constraints that a later
/// migration drops are named.
pub const PG_MIGRATIONS: &[Migration] = &[
    pg(
        1,
        "initial schema",
        r#"
CREATE TABLE schemes (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '{}',
    source TEXT NOT NULL,
    source_date TEXT,
    inferred BIGINT NOT NULL DEFAULT 0,
    demo BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE concepts (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    scheme_id BIGINT NOT NULL REFERENCES schemes(id),
    notation TEXT NOT NULL,
    broader_id BIGINT REFERENCES concepts(id),
    labels TEXT NOT NULL,
    attributes TEXT NOT NULL DEFAULT '{}',
    source TEXT NOT NULL,
    source_date TEXT,
    inferred BIGINT NOT NULL DEFAULT 0,
    demo BIGINT NOT NULL DEFAULT 0,
    UNIQUE (scheme_id, notation)
);
CREATE INDEX concepts_broader ON concepts(broader_id);

CREATE TABLE concept_links (
    concept_id BIGINT NOT NULL REFERENCES concepts(id),
    kind TEXT NOT NULL,
    related_id BIGINT NOT NULL REFERENCES concepts(id),
    partial BIGINT NOT NULL DEFAULT 0,
    source TEXT NOT NULL,
    PRIMARY KEY (concept_id, kind, related_id)
);
CREATE INDEX concept_links_related ON concept_links(related_id);

CREATE TABLE geometries (
    concept_id BIGINT PRIMARY KEY REFERENCES concepts(id),
    geojson TEXT NOT NULL,
    source TEXT NOT NULL
);

CREATE TABLE postal_codes (
    postal_code TEXT NOT NULL,
    concept_id BIGINT NOT NULL REFERENCES concepts(id),
    source TEXT NOT NULL,
    PRIMARY KEY (postal_code, concept_id)
);

CREATE TABLE entities (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    labels TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '{}',
    attributes TEXT NOT NULL DEFAULT '{}',
    source TEXT NOT NULL,
    source_date TEXT,
    inferred BIGINT NOT NULL DEFAULT 0,
    demo BIGINT NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    CONSTRAINT entities_kind_key UNIQUE (kind, key)
);
CREATE INDEX entities_by_name ON entities(kind, name);

CREATE TABLE organisations (
    entity_id BIGINT PRIMARY KEY REFERENCES entities(id) ON DELETE CASCADE,
    kbo TEXT CONSTRAINT organisations_kbo_key UNIQUE,
    founded TEXT,
    employees BIGINT,
    website TEXT
);

CREATE TABLE actions (
    entity_id BIGINT PRIMARY KEY REFERENCES entities(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    start_date TEXT,
    end_date TEXT,
    budget_eur DOUBLE PRECISION
);

CREATE TABLE indicators (
    entity_id BIGINT PRIMARY KEY REFERENCES entities(id) ON DELETE CASCADE,
    unit TEXT NOT NULL,
    kind TEXT NOT NULL,
    aggregation TEXT NOT NULL,
    measures_id BIGINT NOT NULL REFERENCES entities(id)
);
CREATE INDEX indicators_measures ON indicators(measures_id);

CREATE TABLE places (
    entity_id BIGINT PRIMARY KEY REFERENCES entities(id) ON DELETE CASCADE,
    lat DOUBLE PRECISION NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    address TEXT,
    postal_code TEXT
);

CREATE TABLE events (
    entity_id BIGINT PRIMARY KEY REFERENCES entities(id) ON DELETE CASCADE,
    start_date TEXT NOT NULL,
    end_date TEXT
);

CREATE TABLE entity_concepts (
    entity_id BIGINT NOT NULL,
    concept_id BIGINT NOT NULL,
    PRIMARY KEY (entity_id, concept_id)
);
CREATE INDEX entity_concepts_by_concept ON entity_concepts(concept_id, entity_id);

CREATE TABLE relations (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    subject_id BIGINT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    object_id BIGINT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    since TEXT,
    until TEXT,
    amount_eur DOUBLE PRECISION,
    source TEXT NOT NULL,
    source_date TEXT,
    inferred BIGINT NOT NULL DEFAULT 0,
    demo BIGINT NOT NULL DEFAULT 0,
    UNIQUE (subject_id, kind, object_id)
);
CREATE INDEX relations_object ON relations(object_id, kind);

CREATE TABLE strategy_versions (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    strategy_id BIGINT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    label TEXT NOT NULL,
    year BIGINT,
    note TEXT,
    position BIGINT NOT NULL DEFAULT 0,
    source TEXT NOT NULL,
    UNIQUE (strategy_id, slug)
);

CREATE TABLE strategy_edges (
    version_id BIGINT NOT NULL REFERENCES strategy_versions(id) ON DELETE CASCADE,
    parent_id BIGINT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    child_id BIGINT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    position BIGINT NOT NULL DEFAULT 0,
    source TEXT NOT NULL,
    source_date TEXT,
    inferred BIGINT NOT NULL DEFAULT 0,
    demo BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (version_id, parent_id, child_id)
);
CREATE INDEX strategy_edges_child ON strategy_edges(child_id);

CREATE TABLE observations (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    indicator_id BIGINT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    qualifier TEXT,
    period_label TEXT,
    note TEXT,
    recorded_at TEXT NOT NULL,
    source TEXT NOT NULL,
    source_date TEXT,
    inferred BIGINT NOT NULL DEFAULT 0,
    demo BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT observations_period UNIQUE (indicator_id, period_start, period_end)
);

CREATE TABLE targets (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    indicator_id BIGINT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    due TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    source TEXT NOT NULL,
    source_date TEXT,
    inferred BIGINT NOT NULL DEFAULT 0,
    demo BIGINT NOT NULL DEFAULT 0,
    UNIQUE (indicator_id, due)
);

CREATE TABLE audit (
    id BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    operation TEXT NOT NULL,
    summary TEXT NOT NULL
);
"#,
    ),
    pg(
        2,
        "saved smart magnets",
        r#"
CREATE TABLE magnets (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE magnet_versions (
    magnet_id BIGINT NOT NULL REFERENCES magnets(id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    query TEXT NOT NULL,
    actor TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (magnet_id, version)
);
"#,
    ),
    pg(
        3,
        "audit id on written rows, for derived indexes to catch up",
        r#"
ALTER TABLE entities ADD COLUMN audit_id BIGINT;
ALTER TABLE relations ADD COLUMN audit_id BIGINT;
ALTER TABLE concepts ADD COLUMN audit_id BIGINT;
"#,
    ),
    pg(
        4,
        "observations broken down by territory",
        r#"
ALTER TABLE observations ADD COLUMN territory_id BIGINT REFERENCES concepts(id);
ALTER TABLE observations DROP CONSTRAINT observations_period;
CREATE UNIQUE INDEX observations_key
    ON observations(indicator_id, period_start, period_end, COALESCE(territory_id, 0));
CREATE INDEX observations_by_territory
    ON observations(territory_id, indicator_id) WHERE territory_id IS NOT NULL;
"#,
    ),
    Migration {
        version: 5,
        description: "concepts inline in entities, concept membership as bitmaps, unique keys as named indexes, entity sources shared",
        rebuilds_tables: false,
        then: Then::DeriveConceptMembers,
        sql: r#"
CREATE TABLE sources (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    text TEXT NOT NULL UNIQUE
);
INSERT INTO sources(text) SELECT DISTINCT source FROM entities ORDER BY source;

ALTER TABLE entities ADD COLUMN concepts TEXT NOT NULL DEFAULT '[]';
ALTER TABLE entities ADD COLUMN source_id BIGINT REFERENCES sources(id);
UPDATE entities e SET source_id = s.id FROM sources s WHERE s.text = e.source;
-- Tags that name no concept (the old table declared no foreign key) are not carried.
UPDATE entities e SET concepts = t.ids
FROM (SELECT ec.entity_id, '[' || string_agg(ec.concept_id::text, ',' ORDER BY ec.concept_id) || ']' AS ids
      FROM entity_concepts ec JOIN concepts c ON c.id = ec.concept_id
      GROUP BY ec.entity_id) t
WHERE t.entity_id = e.id;
ALTER TABLE entities ALTER COLUMN source_id SET NOT NULL;
ALTER TABLE entities DROP COLUMN source;
ALTER TABLE entities DROP COLUMN updated_at;
ALTER TABLE entities DROP CONSTRAINT entities_kind_key;
CREATE UNIQUE INDEX entities_key ON entities(kind, key);

ALTER TABLE organisations DROP CONSTRAINT organisations_kbo_key;
CREATE UNIQUE INDEX organisations_kbo ON organisations(kbo);

DROP TABLE entity_concepts;
CREATE TABLE concept_members (
    concept_id BIGINT NOT NULL REFERENCES concepts(id),
    block BIGINT NOT NULL,
    members BYTEA NOT NULL,
    PRIMARY KEY (concept_id, block)
);
"#,
    },
    pg(
        6,
        "figures carry the source's sentence; targets and projections their qualifier and note",
        r#"
-- An observation whose source gives no period has period_start = period_end = ''
-- ("période non précisée"): it keeps its place in the unique key.
ALTER TABLE observations ADD COLUMN quote TEXT;
ALTER TABLE targets ADD COLUMN qualifier TEXT;
ALTER TABLE targets ADD COLUMN note TEXT;
ALTER TABLE targets ADD COLUMN quote TEXT;
"#,
    ),
    pg(
        7,
        "accounts, sessions, API tokens; the before and after of each edit",
        r#"
-- The same tables as SQLite's migration 7. Accounts are kept here too, although the
-- PostgreSQL backend does not serve sign-in yet (AccountStore is embedded-only).
CREATE TABLE users (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT,
    password_hash TEXT,
    role TEXT NOT NULL CHECK (role IN ('partner', 'editor', 'admin')),
    organisation TEXT,
    strategy TEXT,
    oidc_subject TEXT UNIQUE,
    disabled BIGINT NOT NULL DEFAULT 0,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL,
    CHECK (role <> 'partner' OR organisation IS NOT NULL)
);
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions(user_id);
CREATE TABLE api_tokens (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT,
    last_used_at TEXT
);
CREATE INDEX api_tokens_by_user ON api_tokens(user_id);
CREATE TABLE audit_changes (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    audit_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    item TEXT NOT NULL,
    detail TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE INDEX audit_changes_by_entity ON audit_changes(kind, key, audit_id);
CREATE INDEX audit_changes_by_audit ON audit_changes(audit_id);
"#,
    ),
    pg(
        8,
        "time series: compressed observation blocks per datastream and time range, the latest value of each",
        r#"
-- The same tables as SQLite's migration 8. The time-series engine (crates/timeseries)
-- reads and writes them on SQLite only for now.
CREATE TABLE ts_blocks (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    datastream_id BIGINT NOT NULL,
    t_first BIGINT NOT NULL,
    t_last BIGINT NOT NULL,
    n BIGINT NOT NULL,
    v_min DOUBLE PRECISION NOT NULL,
    v_max DOUBLE PRECISION NOT NULL,
    v_sum DOUBLE PRECISION NOT NULL,
    flagged BIGINT NOT NULL,
    codec BIGINT NOT NULL,
    data BYTEA NOT NULL
);
CREATE INDEX ts_blocks_by_time ON ts_blocks(datastream_id, t_first, t_last, n);
CREATE TABLE ts_latest (
    datastream_id BIGINT PRIMARY KEY,
    t BIGINT NOT NULL,
    v DOUBLE PRECISION NOT NULL,
    flags BIGINT NOT NULL
);
"#,
    ),
    pg(
        9,
        "digital-maturity self-assessments (Digiscore), reached by the hash of a private link",
        r#"
-- One row per assessment. `link_hash` is the SHA-256 (hex) of the private link's secret:
-- the secret itself is never stored. `series` groups an organisation's reassessments
-- (T0, T1, ...): it is the link hash of the first assessment. Answers are a JSON object
-- (question id -> option id) for the exact questionnaire version; the scores are filled when
-- the questionnaire is complete. Individual rows never leave the store except to the holder
-- of the link; aggregates are computed with the anonymity rules of territoria-digiscore.
CREATE TABLE digiscore_assessments (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    link_hash TEXT NOT NULL UNIQUE,
    series TEXT NOT NULL,
    questionnaire TEXT NOT NULL,
    questionnaire_version BIGINT NOT NULL,
    kbo TEXT,
    nace_section TEXT NOT NULL,
    size_class TEXT NOT NULL,
    municipality TEXT,
    answers TEXT NOT NULL,
    overall DOUBLE PRECISION,
    axes TEXT,
    completed_at TEXT,
    demo BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX digiscore_assessments_by_peers
    ON digiscore_assessments(questionnaire, nace_section, size_class);
CREATE INDEX digiscore_assessments_by_series ON digiscore_assessments(series);
CREATE INDEX digiscore_assessments_by_update ON digiscore_assessments(updated_at);
"#,
    ),
    pg(
        10,
        "a target's baseline (the situation it starts from): date and value",
        r#"
ALTER TABLE targets ADD COLUMN baseline_date TEXT;
ALTER TABLE targets ADD COLUMN baseline_value DOUBLE PRECISION;
"#,
    ),
    pg(
        11,
        "SensorThings API entities (things, locations, datastreams, sensors, ...) and their links",
        r#"
-- The same tables as SQLite's migration 11 (crates/sta runs on SQLite only for now).
CREATE TABLE sta_entities (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX sta_entities_by_kind ON sta_entities(kind, id);
CREATE TABLE sta_links (
    from_id BIGINT NOT NULL REFERENCES sta_entities(id) ON DELETE CASCADE,
    rel TEXT NOT NULL,
    to_id BIGINT NOT NULL REFERENCES sta_entities(id) ON DELETE CASCADE,
    PRIMARY KEY (from_id, rel, to_id)
);
CREATE INDEX sta_links_to ON sta_links(to_id, rel);
"#,
    ),
    pg(
        12,
        "the Digiscore support catalogue (operators, aids, programmes with their conditions), versioned",
        r#"
CREATE TABLE digiscore_support (
    version BIGINT PRIMARY KEY,
    body TEXT NOT NULL,
    actor TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"#,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_dialects_have_the_same_migrations() {
        let sqlite: Vec<_> = MIGRATIONS
            .iter()
            .map(|m| (m.version, m.description, m.then))
            .collect();
        let pg: Vec<_> = PG_MIGRATIONS
            .iter()
            .map(|m| (m.version, m.description, m.then))
            .collect();
        assert_eq!(sqlite, pg);
        assert!(PG_MIGRATIONS.iter().all(|m| !m.rebuilds_tables));
    }
}
