//! The single write path: validate, write in one transaction, append the audit row.

use std::collections::BTreeMap;
use std::rc::Rc;

use chrono::{Datelike, NaiveDate, Utc};
use serde::Serialize;
use territoria_model::entity::{Details, EntityRef};
use territoria_model::{
    Concept, ConceptRef, Entity, EntityKind, FieldError, Kbo, Labels, Observation, Provenance,
    Relation, Scheme, Target, ValidationErrors, suggest,
};

use crate::members::{self, Deltas};
use crate::sql::{self, Conn, EntityRow, params};

// The writer's look-ups (concept codes, keys, enterprise numbers) run several times per
// record: a fast hash rather than the default SipHash (a third of a bulk import's
// look-up time).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
use crate::{Record, RecordError, Result, StoreError, schema};

/// One change to the store.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Scheme(Scheme),
    Concept(Concept),
    /// A typed link between two concepts, e.g. a judicial canton `covers` a municipality.
    ConceptLink {
        from: ConceptRef,
        kind: String,
        to: ConceptRef,
        partial: bool,
        source: String,
    },
    /// The outline of a concept (a canton, an arrondissement) as a GeoJSON geometry.
    Geometry {
        concept: ConceptRef,
        geojson: String,
        source: String,
    },
    PostalCode {
        postal_code: String,
        municipality: ConceptRef,
        source: String,
    },
    Entity(Box<Entity>),
    Relation(Relation),
    StrategyVersion(StrategyVersion),
    /// `parent → child` in one version of a strategy's tree.
    Edge {
        strategy: String,
        version: String,
        parent: EntityRef,
        child: EntityRef,
        position: i64,
        provenance: Provenance,
    },
    /// Removes `parent → child` from one version of a strategy's tree (the child entity
    /// stays). Refused when there is no such edge, or when the child still has children
    /// in that version: a subtree is taken apart from its leaves, so that nothing is
    /// left unreachable.
    EdgeRemove {
        strategy: String,
        version: String,
        parent: EntityRef,
        child: EntityRef,
    },
    Observation(Observation),
    Target(Target),
    /// Removes the stated figures of an indicator — its observations as a whole (not
    /// its breakdowns by territory) and its targets, demo ones excepted — so that a
    /// source file loaded again replaces them instead of adding to them (a figure
    /// whose period was corrected must not stay beside the old one).
    ClearStatedFigures {
        indicator: String,
    },
    /// Saves a smart magnet; a changed query becomes a new version.
    Magnet(SavedMagnet),
    /// Creates or updates (same `link_hash`) a digital-maturity self-assessment.
    DigiscoreAssessment(Box<DigiscoreRecord>),
    /// Deletes the assessment reached by a private link's hash (an unknown hash is refused).
    DigiscoreDelete {
        link_hash: String,
    },
    /// Deletes every assessment last updated before `before` (retention), demo ones excepted.
    DigiscorePurge {
        before: String,
    },
    /// Saves a new version of the Digiscore support catalogue (TOML, checked by the
    /// caller, which knows its shape) when the latest saved version is still `base`
    /// (`None`: none saved yet, the built-in file is in use); otherwise the write is
    /// refused with [`StoreError::Conflict`] naming the version now.
    DigiscoreSupport {
        base: Option<i64>,
        body: String,
    },
}

/// A digital-maturity self-assessment as stored (see migration 9). The caller
/// (`territoria-digiscore`, through the server) validates answers and computes scores;
/// the store checks the shapes.
#[derive(Debug, Clone, PartialEq)]
pub struct DigiscoreRecord {
    /// SHA-256 (64 lowercase hex digits) of the private link's secret.
    pub link_hash: String,
    /// The link hash of the series' first assessment (itself for a first assessment).
    pub series: String,
    pub questionnaire: String,
    pub questionnaire_version: i64,
    pub kbo: Option<String>,
    pub nace_section: String,
    pub size_class: String,
    pub municipality: Option<String>,
    /// JSON object: question id → option id.
    pub answers: String,
    pub overall: Option<f64>,
    /// JSON array of axis scores, when complete.
    pub axes: Option<String>,
    pub completed_at: Option<String>,
    pub demo: bool,
}

/// A named, shareable smart magnet. `query` is its canonical text form (checked by the
/// caller, which knows the query language).
#[derive(Debug, Clone, PartialEq)]
pub struct SavedMagnet {
    pub id: String,
    pub name: Labels,
    pub kind: EntityKind,
    pub query: String,
    pub source: String,
}

/// A version of a strategy (Digital Wallonia V3, 2024-2029): each has its own tree.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyVersion {
    pub strategy: String,
    pub id: String,
    pub label: Labels,
    pub year: Option<i64>,
    pub note: Option<String>,
    pub position: i64,
    pub source: String,
}

#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// Commit the valid records and report the rejected ones, instead of refusing all.
    pub skip_invalid: bool,
    /// Versions the write starts from (optimistic concurrency): a stale one refuses
    /// the whole write with [`StoreError::Conflict`].
    pub expect: Vec<crate::Expectation>,
    /// The same for concepts (taxonomy terms) an edit starts from.
    pub expect_concepts: Vec<crate::ConceptExpectation>,
    /// Record the before and after of each entity, observation and target written
    /// (an edit's history, see `edit.rs`).
    pub record_changes: bool,
    /// Validate and write inside the transaction, then roll it back: the report says
    /// what the write would do (with `skip_invalid`, every rejected record and why).
    pub dry_run: bool,
}

/// What a committed write did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WriteReport {
    pub audit_id: Option<i64>,
    pub records: u64,
    pub inserted: BTreeMap<String, u64>,
    pub updated: BTreeMap<String, u64>,
    #[serde(skip)]
    pub rejected: Vec<RecordError>,
    /// Ids of the entities written, for derived indexes to catch up.
    #[serde(skip)]
    pub changed_entities: Vec<i64>,
}

const MAX_REPORTED_ERRORS: usize = 100;

struct SchemeCache {
    id: i64,
    concepts: HashMap<String, i64>,
}

pub(crate) struct Writer<'t> {
    tx: &'t dyn Conn,
    now: String,
    /// The id this write's audit row will take (the transaction holds the write lock,
    /// so it is `MAX(id) + 1`). Every entity, relation and concept written carries it,
    /// which lets derived indexes find what changed since an audit entry they saw.
    audit_id: i64,
    schemes: HashMap<String, SchemeCache>,
    /// Keys given in this input (one shared copy of each key serves the maps below).
    seen_entities: HashMap<EntityKind, HashSet<Rc<str>>>,
    seen_kbo: HashMap<Kbo, Rc<str>>,
    versions: HashMap<(String, String), i64>,
    /// False while the store holds no enterprise number at all (a fresh store): then
    /// only duplicates inside the batch are possible and the per-row probe is skipped.
    kbo_in_store: bool,
    /// Set after a refusal (without skip_invalid): records are still validated, to
    /// report more problems, but nothing more is written.
    validate_only: bool,
    actor: String,
    report: WriteReport,
    changed_keys: Vec<String>,
    /// Entities in the store when this write began (the largest id).
    entities_before: i64,
    /// Entities this write inserted so far.
    entities_inserted: i64,
    /// Whether [`schema::DEFERRABLE_INDEXES`] are dropped, to be built at the end.
    indexes_deferred: bool,
    /// While the unique indexes are dropped: every entity key of the store (and of this
    /// write) with its id, and every enterprise number with its holder's key.
    keys: Option<HashMap<EntityKind, HashMap<Rc<str>, i64>>>,
    store_kbo: HashMap<Kbo, String>,
    /// Concept membership changes, applied before the commit.
    members: Deltas,
    /// Source texts seen in this write, with their ids in `sources`.
    sources: HashMap<String, i64>,
}

/// A write that inserts this many entities, and at least a quarter of what the store
/// held, drops the deferrable indexes and builds them again at its end: one sort
/// instead of a B-tree insert per row. Its key checks then use keys loaded in memory,
/// whose size this ratio bounds.
const BULK_ENTITIES: i64 = 5_000;

impl<'t> Writer<'t> {
    pub(crate) fn new(tx: &'t dyn Conn) -> Result<Self> {
        let mut schemes: HashMap<String, SchemeCache> = HashMap::default();
        let mut by_id: HashMap<i64, String> = HashMap::default();
        tx.query("SELECT id, slug FROM schemes", params![], &mut |r| {
            let (id, slug): (i64, String) = (r.get(0)?, r.get(1)?);
            by_id.insert(id, slug.clone());
            schemes.insert(
                slug,
                SchemeCache {
                    id,
                    concepts: HashMap::default(),
                },
            );
            Ok(())
        })?;
        tx.query(
            "SELECT scheme_id, notation, id FROM concepts",
            params![],
            &mut |r| {
                let sid: i64 = r.get(0)?;
                if let Some(s) = by_id.get(&sid).and_then(|slug| schemes.get_mut(slug)) {
                    s.concepts.insert(r.get(1)?, r.get(2)?);
                }
                Ok(())
            },
        )?;
        Ok(Self {
            tx,
            now: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            audit_id: sql::one(tx, "SELECT COALESCE(MAX(id), 0) + 1 FROM audit", params![])?,
            schemes,
            seen_entities: HashMap::default(),
            seen_kbo: HashMap::default(),
            versions: HashMap::default(),
            kbo_in_store: sql::one(
                tx,
                "SELECT EXISTS (SELECT 1 FROM organisations WHERE kbo IS NOT NULL)",
                params![],
            )?,
            validate_only: false,
            actor: String::new(),
            report: WriteReport::default(),
            changed_keys: Vec::new(),
            entities_before: sql::one(tx, "SELECT COALESCE(MAX(id), 0) FROM entities", params![])?,
            entities_inserted: 0,
            indexes_deferred: false,
            keys: None,
            store_kbo: HashMap::default(),
            members: Deltas::default(),
            sources: HashMap::default(),
        })
    }

    /// Feeds every record through validation and, when valid, the write. Returns the
    /// report, or the refusal when a record is invalid and `skip_invalid` is off.
    pub(crate) fn run(
        mut self,
        actor: &str,
        operation: &str,
        records: &mut dyn Iterator<Item = Record>,
        skip_invalid: bool,
        progress: &mut dyn FnMut(u64),
    ) -> Result<WriteReport> {
        self.actor = actor.to_owned();
        let mut refused: Vec<RecordError> = Vec::new();
        let started = std::time::Instant::now();
        for record in records {
            self.report.records += 1;
            if self.report.records % 10_000 == 0 {
                progress(self.report.records);
            }
            let located = match record {
                Ok(l) => l,
                Err(e) => {
                    refused.push(e);
                    if !skip_invalid && refused.len() >= MAX_REPORTED_ERRORS {
                        break;
                    }
                    continue;
                }
            };
            // After the first refusal (without skip_invalid) we only validate, to
            // report as many problems as is useful, and write nothing.
            let write = skip_invalid || refused.is_empty();
            self.validate_only = !write;
            if let Err(errors) = self.one(&located.op, write)? {
                let mut errors = errors;
                let mut location = located.location.clone();
                if let (Some(loc), Some(col)) = (&mut location, &located.column_of) {
                    if loc.column.is_none() {
                        loc.column = errors.0.first().and_then(|e| col(&e.field));
                    }
                }
                errors.0.truncate(20);
                refused.push(RecordError {
                    location,
                    record: describe(&located.op),
                    errors,
                });
                if !skip_invalid && refused.len() >= MAX_REPORTED_ERRORS {
                    break;
                }
            }
        }
        progress(self.report.records);
        tracing::debug!(records = self.report.records, elapsed = ?started.elapsed(), "records validated and written");
        if !refused.is_empty() && !skip_invalid {
            return Err(StoreError::Invalid(refused));
        }
        self.report.rejected = refused;
        let t = std::time::Instant::now();
        std::mem::take(&mut self.members).apply(self.tx)?;
        tracing::debug!(elapsed = ?t.elapsed(), "concept membership written");
        if self.indexes_deferred {
            for (name, create) in schema::DEFERRABLE_INDEXES {
                let t = std::time::Instant::now();
                self.tx.batch(create)?;
                tracing::debug!(index = name, elapsed = ?t.elapsed(), "deferred index built");
            }
        }
        let summary = serde_json::json!({
            "records": self.report.records,
            "inserted": self.report.inserted,
            "updated": self.report.updated,
            "rejected": self.report.rejected.len(),
            "changed": self.changed_keys,
            "changed_total": self.report.changed_entities.len(),
        });
        self.tx.execute(
            "INSERT INTO audit(id, at, actor, operation, summary) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                self.audit_id,
                self.now,
                actor,
                operation,
                summary.to_string()
            ],
        )?;
        self.report.audit_id = Some(self.audit_id);
        Ok(self.report)
    }

    fn count(&mut self, what: &str, inserted: bool) {
        let map = if inserted {
            &mut self.report.inserted
        } else {
            &mut self.report.updated
        };
        *map.entry(what.to_owned()).or_default() += 1;
    }

    /// Validates one op and, if `write`, applies it. The outer error is an internal
    /// failure, which aborts the whole write; the inner one, the record's refusal.
    /// Every write of a record happens after all of its validation, so a refused
    /// record leaves nothing behind even when `skip_invalid` commits the others.
    fn one(&mut self, op: &Op, write: bool) -> Result<Result<(), ValidationErrors>> {
        match self.try_one(op, write) {
            Ok(()) => Ok(Ok(())),
            Err(Fail::Invalid(e)) => Ok(Err(e)),
            Err(Fail::Internal(e)) => Err(e),
        }
    }

    fn concept_id(&self, field: &str, c: &ConceptRef) -> Result<i64, FieldError> {
        let Some(scheme) = self.schemes.get(&c.scheme) else {
            let names: Vec<&str> = self.schemes.keys().map(String::as_str).collect();
            return Err(
                FieldError::new(field, format!("unknown scheme `{}`", c.scheme))
                    .suggest(suggest::closest(&c.scheme, names, 3)),
            );
        };
        scheme.concepts.get(&c.notation).copied().ok_or_else(|| {
            FieldError::new(
                field,
                format!("unknown code `{}` in scheme `{}`", c.notation, c.scheme),
            )
            .suggest(suggest::closest(
                &c.notation,
                scheme.concepts.keys().map(String::as_str),
                3,
            ))
        })
    }

    /// The id of an entity of the store (or written earlier in this write).
    fn lookup(&self, kind: EntityKind, key: &str) -> Result<Option<i64>> {
        if let Some(keys) = &self.keys {
            return Ok(keys.get(&kind).and_then(|m| m.get(key)).copied());
        }
        sql::opt(
            self.tx,
            "SELECT id FROM entities WHERE kind = ?1 AND key = ?2",
            params![kind.as_str(), key],
        )
    }

    /// Whether `ancestor` is above `node` in version `vid`'s tree. A leaf (the usual
    /// new child) costs one index look-up.
    fn is_ancestor(&self, vid: i64, ancestor: i64, node: i64) -> Result<bool> {
        let has_children: Option<i64> = sql::opt(
            self.tx,
            "SELECT 1 FROM strategy_edges WHERE version_id = ?1 AND parent_id = ?2 LIMIT 1",
            params![vid, ancestor],
        )?;
        if has_children.is_none() {
            return Ok(false);
        }
        let found: Option<i64> = sql::opt(
            self.tx,
            "WITH RECURSIVE up(id) AS (
                 SELECT CAST(?2 AS BIGINT)
                 UNION
                 SELECT e.parent_id FROM strategy_edges e JOIN up ON e.child_id = up.id
                 WHERE e.version_id = ?1)
             SELECT 1 FROM up WHERE id = ?3 LIMIT 1",
            params![vid, node, ancestor],
        )?;
        Ok(found.is_some())
    }

    /// The id of version `version` of strategy `strategy` (written earlier in this
    /// write, or in the store).
    fn version_id(&mut self, strategy: &str, version: &str) -> Result<i64, Fail> {
        if let Some(v) = self
            .versions
            .get(&(strategy.to_owned(), version.to_owned()))
        {
            return Ok(*v);
        }
        let v: Option<i64> = match self.lookup(EntityKind::Strategy, strategy)? {
            None => None,
            Some(sid) => sql::opt(
                self.tx,
                "SELECT id FROM strategy_versions WHERE strategy_id = ?1 AND slug = ?2",
                params![sid, version],
            )?,
        };
        let v = v.ok_or_else(|| {
            Fail::field(
                "version",
                format!("strategy `{strategy}` has no version `{version}`"),
            )
        })?;
        self.versions
            .insert((strategy.to_owned(), version.to_owned()), v);
        Ok(v)
    }

    fn entity_id(&self, field: &str, r: &EntityRef) -> Result<i64, Fail> {
        match self.lookup(r.kind, &r.key)? {
            Some(id) => Ok(id),
            // While only validating, an entity given earlier in this input counts as
            // known: it was not written, but it would have been.
            None if self.validate_only
                && self
                    .seen_entities
                    .get(&r.kind)
                    .is_some_and(|s| s.contains(r.key.as_str())) =>
            {
                Ok(0)
            }
            None => Err(Fail::field(field, format!("unknown {r}: create it first"))),
        }
    }

    fn try_one(&mut self, op: &Op, write: bool) -> Result<(), Fail> {
        match op {
            Op::Scheme(s) => self.scheme(s, write),
            Op::Concept(c) => self.concept(c, write),
            Op::ConceptLink {
                from,
                kind,
                to,
                partial,
                source,
            } => {
                let a = self.concept_id("from", from)?;
                let b = self.concept_id("to", to)?;
                if write {
                    self.tx.execute(
                        "INSERT INTO concept_links(concept_id, kind, related_id, partial, source)
                             VALUES (?1, ?2, ?3, ?4, ?5)
                             ON CONFLICT (concept_id, kind, related_id)
                             DO UPDATE SET partial = excluded.partial, source = excluded.source",
                        params![a, kind, b, partial, source],
                    )?;
                    self.count("concept_link", true);
                }
                Ok(())
            }
            Op::Geometry {
                concept,
                geojson,
                source,
            } => {
                let id = self.concept_id("concept", concept)?;
                let v: serde_json::Value = serde_json::from_str(geojson)
                    .map_err(|e| Fail::field("geometry", format!("not GeoJSON: {e}")))?;
                if !v.get("type").is_some_and(|t| t.is_string()) {
                    return Err(Fail::field("geometry", "a GeoJSON geometry needs a type"));
                }
                if write {
                    self.tx
                        .execute("INSERT INTO geometries(concept_id, geojson, source) VALUES (?1, ?2, ?3)
                             ON CONFLICT (concept_id) DO UPDATE SET geojson = excluded.geojson, source = excluded.source", params![id, geojson, source])?;
                    self.count("geometry", true);
                }
                Ok(())
            }
            Op::PostalCode {
                postal_code,
                municipality,
                source,
            } => {
                if postal_code.len() != 4 || !postal_code.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(Fail::field(
                        "postal_code",
                        format!("`{postal_code}` is not a Belgian postal code (4 digits)"),
                    ));
                }
                let id = self.concept_id("municipality", municipality)?;
                if write {
                    self.tx
                        .execute("INSERT INTO postal_codes(postal_code, concept_id, source) VALUES (?1, ?2, ?3)
                             ON CONFLICT (postal_code, concept_id) DO UPDATE SET source = excluded.source", params![postal_code, id, source])?;
                    self.count("postal_code", true);
                }
                Ok(())
            }
            Op::Entity(e) => self.entity(e, write),
            Op::Relation(r) => {
                r.validate()?;
                let s = self.entity_id("subject", &r.subject)?;
                let o = self.entity_id("object", &r.object)?;
                if write {
                    let p = &r.provenance;
                    let n = self
                        .tx
                        .execute("INSERT INTO relations(subject_id, kind, object_id, since, until, amount_eur, source, source_date, inferred, demo, audit_id)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                             ON CONFLICT (subject_id, kind, object_id) DO UPDATE SET
                               since = excluded.since, until = excluded.until, amount_eur = excluded.amount_eur,
                               source = excluded.source, source_date = excluded.source_date,
                               inferred = excluded.inferred, demo = excluded.demo, audit_id = excluded.audit_id", params![
                            s,
                            r.kind.as_str(),
                            o,
                            r.since.map(iso),
                            r.until.map(iso),
                            r.amount_eur,
                            p.source,
                            p.date.map(iso),
                            p.inferred,
                            p.demo,
                            self.audit_id
                        ])?;
                    debug_assert_eq!(n, 1);
                    self.count("relation", true);
                }
                Ok(())
            }
            Op::StrategyVersion(v) => {
                let sid = self.entity_id(
                    "strategy",
                    &EntityRef::new(EntityKind::Strategy, v.strategy.clone()),
                )?;
                territoria_model::entity::check_key("version", &v.id)?;
                if write {
                    let id: i64 = sql::one(self.tx, "INSERT INTO strategy_versions(strategy_id, slug, label, year, note, position, source)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                             ON CONFLICT (strategy_id, slug) DO UPDATE SET label = excluded.label,
                               year = excluded.year, note = excluded.note, position = excluded.position,
                               source = excluded.source
                             RETURNING id", 
                            params![
                                sid,
                                v.id,
                                serde_json::to_string(&v.label).map_err(StoreError::from)?,
                                v.year,
                                v.note,
                                v.position,
                                v.source
                            ])?;
                    self.versions.insert((v.strategy.clone(), v.id.clone()), id);
                    self.count("strategy_version", true);
                }
                Ok(())
            }
            Op::Edge {
                strategy,
                version,
                parent,
                child,
                position,
                provenance,
            } => {
                let vid = self.version_id(strategy, version)?;
                let p = self.entity_id("parent", parent)?;
                let c = self.entity_id("child", child)?;
                if p == c {
                    return Err(Fail::field("child", "an entity cannot be its own child"));
                }
                if !self.validate_only && self.is_ancestor(vid, c, p)? {
                    return Err(Fail::field(
                        "child",
                        format!(
                            "{child} is above {parent} in {strategy} {version}: this link would make a cycle"
                        ),
                    ));
                }
                if write {
                    self.tx
                        .execute("INSERT INTO strategy_edges(version_id, parent_id, child_id, position, source, source_date, inferred, demo)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                             ON CONFLICT (version_id, parent_id, child_id) DO UPDATE SET position = excluded.position,
                               source = excluded.source, source_date = excluded.source_date,
                               inferred = excluded.inferred, demo = excluded.demo", params![
                            vid,
                            p,
                            c,
                            position,
                            provenance.source,
                            provenance.date.map(iso),
                            provenance.inferred,
                            provenance.demo
                        ])?;
                    self.count("strategy_edge", true);
                }
                Ok(())
            }
            Op::EdgeRemove {
                strategy,
                version,
                parent,
                child,
            } => {
                let vid = self.version_id(strategy, version)?;
                let p = self.entity_id("parent", parent)?;
                let c = self.entity_id("child", child)?;
                let exists: Option<i64> = sql::opt(
                    self.tx,
                    "SELECT 1 FROM strategy_edges WHERE version_id = ?1 AND parent_id = ?2 AND child_id = ?3",
                    params![vid, p, c],
                )?;
                if exists.is_none() && !self.validate_only {
                    return Err(Fail::field(
                        "child",
                        format!("{child} is not under {parent} in {strategy} {version}"),
                    ));
                }
                let below: i64 = sql::opt(
                    self.tx,
                    "SELECT COUNT(*) FROM strategy_edges WHERE version_id = ?1 AND parent_id = ?2",
                    params![vid, c],
                )?
                .unwrap_or(0);
                if below > 0 {
                    return Err(Fail::field(
                        "child",
                        format!(
                            "{child} still has {below} element(s) under it in {strategy} {version}: remove them first"
                        ),
                    ));
                }
                if write {
                    self.tx.execute(
                        "DELETE FROM strategy_edges WHERE version_id = ?1 AND parent_id = ?2 AND child_id = ?3",
                        params![vid, p, c],
                    )?;
                    self.count("strategy_edge_removed", false);
                }
                Ok(())
            }
            Op::Observation(o) => {
                o.validate()?;
                let id = self.entity_id(
                    "indicator",
                    &EntityRef::new(EntityKind::Indicator, o.indicator.clone()),
                )?;
                let territory = match &o.territory {
                    Some(t) => Some(
                        self.concept_id(
                            "territory",
                            &ConceptRef::new(territoria_model::schemes::TERRITORY, t.clone()),
                        )
                        .map_err(Fail::from)?,
                    ),
                    None => None,
                };
                if write {
                    let p = &o.provenance;
                    // A period the source does not give is stored as two empty texts
                    // (see `schema.rs`), so that it keeps its place in the unique key.
                    let (start, end) = o.period.map_or((String::new(), String::new()), |p| {
                        (p.start.to_string(), p.end.to_string())
                    });
                    // One row per (indicator, period, territory); the whole has no
                    // territory. An explicit look-up, then an update or an insert,
                    // because the unique key is an expression over a nullable column.
                    let existing: Option<i64> = sql::opt(
                        self.tx,
                        "SELECT id FROM observations WHERE indicator_id = ?1 AND period_start = ?2
                               AND period_end = ?3 AND COALESCE(territory_id, 0) = COALESCE(?4, 0)",
                        params![id, start, end, territory],
                    )?;
                    let source_date = p.date.map(iso);
                    if let Some(row) = existing {
                        self.tx.execute(
                            "UPDATE observations SET value = ?2, qualifier = ?3, period_label = ?4,
                                   note = ?5, recorded_at = ?6, source = ?7, source_date = ?8,
                                   inferred = ?9, demo = ?10, quote = ?11
                                 WHERE id = ?1",
                            params![
                                row,
                                o.value,
                                o.qualifier,
                                o.period_label,
                                o.note,
                                self.now,
                                p.source,
                                source_date,
                                p.inferred,
                                p.demo,
                                o.quote
                            ],
                        )?;
                    } else {
                        self.tx
                            .execute("INSERT INTO observations(indicator_id, period_start, period_end, territory_id,
                                   value, qualifier, period_label, note, recorded_at, source, source_date,
                                   inferred, demo, quote)
                                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)", params![
                                id,
                                start,
                                end,
                                territory,
                                o.value,
                                o.qualifier,
                                o.period_label,
                                o.note,
                                self.now,
                                p.source,
                                source_date,
                                p.inferred,
                                p.demo,
                                o.quote
                            ])?;
                    }
                    self.count("observation", existing.is_none());
                }
                Ok(())
            }
            Op::Magnet(m) => {
                territoria_model::entity::check_key("id", &m.id)?;
                if m.name.is_empty() {
                    return Err(Fail::field("name", "a saved magnet needs a name"));
                }
                if m.query.chars().count() > 65_536 {
                    return Err(Fail::field("query", "the query is too long"));
                }
                if write {
                    let mid: i64 = sql::one(self.tx, "INSERT INTO magnets(slug, name, kind, source, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                             ON CONFLICT (slug) DO UPDATE SET name = excluded.name, kind = excluded.kind,
                               source = excluded.source
                             RETURNING id", 
                            params![m.id, json(&m.name)?, m.kind.as_str(), m.source, self.now])?;
                    let last: Option<(i64, String)> = match self.tx.query_row(
                        "SELECT version, query FROM magnet_versions WHERE magnet_id = ?1
                         ORDER BY version DESC LIMIT 1",
                        params![mid],
                    )? {
                        Some(r) => Some((r.get(0)?, r.get(1)?)),
                        None => None,
                    };
                    if last.as_ref().map(|l| l.1.as_str()) != Some(m.query.as_str()) {
                        let version = last.map_or(1, |l| l.0 + 1);
                        self.tx
                            .execute("INSERT INTO magnet_versions(magnet_id, version, query, actor, created_at)
                                 VALUES (?1, ?2, ?3, ?4, ?5)", params![mid, version, m.query, self.actor, self.now])?;
                        self.count("magnet_version", true);
                    }
                }
                Ok(())
            }
            Op::DigiscoreAssessment(a) => {
                let hex64 = |v: &str| {
                    v.len() == 64
                        && v.bytes()
                            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                };
                if !hex64(&a.link_hash) {
                    return Err(Fail::field(
                        "link_hash",
                        "must be a SHA-256 digest (64 lowercase hex digits)",
                    ));
                }
                if !hex64(&a.series) {
                    return Err(Fail::field(
                        "series",
                        "must be a SHA-256 digest (64 lowercase hex digits)",
                    ));
                }
                if a.questionnaire.is_empty() || a.questionnaire_version < 1 {
                    return Err(Fail::field(
                        "questionnaire",
                        "needs an id and a version ≥ 1",
                    ));
                }
                if a.nace_section.len() != 1
                    || !"ABCDEFGHIJKLMNOPQRSTU".contains(a.nace_section.as_str())
                {
                    return Err(Fail::field(
                        "nace_section",
                        "must be a NACE Rev. 2 section letter A–U",
                    ));
                }
                if !["self-employed", "micro", "small", "medium", "large"]
                    .contains(&a.size_class.as_str())
                {
                    return Err(Fail::field(
                        "size_class",
                        "must be self-employed, micro, small, medium or large",
                    ));
                }
                if a.kbo
                    .as_ref()
                    .is_some_and(|k| k.len() != 10 || !k.bytes().all(|b| b.is_ascii_digit()))
                {
                    return Err(Fail::field(
                        "kbo",
                        "must be the 10 digits of a KBO/BCE number",
                    ));
                }
                if !serde_json::from_str::<serde_json::Value>(&a.answers)
                    .is_ok_and(|v| v.is_object())
                {
                    return Err(Fail::field("answers", "must be a JSON object"));
                }
                if a.overall.is_some_and(|o| !(0.0..=100.0).contains(&o)) {
                    return Err(Fail::field("overall", "must lie in 0..=100"));
                }
                if a.axes.as_ref().is_some_and(|x| {
                    !serde_json::from_str::<serde_json::Value>(x).is_ok_and(|v| v.is_array())
                }) {
                    return Err(Fail::field("axes", "must be a JSON array"));
                }
                if a.overall.is_some() != a.completed_at.is_some() {
                    return Err(Fail::field(
                        "completed_at",
                        "a completed assessment has both its scores and its completion date",
                    ));
                }
                if write {
                    let existed = self
                        .tx
                        .query_row(
                            "SELECT id FROM digiscore_assessments WHERE link_hash = ?1",
                            params![a.link_hash],
                        )?
                        .is_some();
                    self.tx.execute(
                        "INSERT INTO digiscore_assessments(link_hash, series, questionnaire, questionnaire_version, kbo,
                           nace_section, size_class, municipality, answers, overall, axes, completed_at, demo,
                           created_at, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)
                         ON CONFLICT (link_hash) DO UPDATE SET series = excluded.series,
                           questionnaire = excluded.questionnaire,
                           questionnaire_version = excluded.questionnaire_version, kbo = excluded.kbo,
                           nace_section = excluded.nace_section, size_class = excluded.size_class,
                           municipality = excluded.municipality, answers = excluded.answers,
                           overall = excluded.overall, axes = excluded.axes,
                           completed_at = excluded.completed_at, demo = excluded.demo,
                           updated_at = excluded.updated_at",
                        params![
                            a.link_hash,
                            a.series,
                            a.questionnaire,
                            a.questionnaire_version,
                            a.kbo,
                            a.nace_section,
                            a.size_class,
                            a.municipality,
                            a.answers,
                            a.overall,
                            a.axes,
                            a.completed_at,
                            a.demo,
                            self.now
                        ],
                    )?;
                    self.count("digiscore_assessment", !existed);
                }
                Ok(())
            }
            Op::DigiscoreDelete { link_hash } => {
                let found = self
                    .tx
                    .query_row(
                        "SELECT id FROM digiscore_assessments WHERE link_hash = ?1",
                        params![link_hash],
                    )?
                    .is_some();
                if !found {
                    return Err(Fail::field(
                        "link_hash",
                        "no assessment has this private link",
                    ));
                }
                if write {
                    self.tx.execute(
                        "DELETE FROM digiscore_assessments WHERE link_hash = ?1",
                        params![link_hash],
                    )?;
                    self.count("digiscore_assessment_deleted", false);
                }
                Ok(())
            }
            Op::DigiscorePurge { before } => {
                if before.is_empty() {
                    return Err(Fail::field("before", "needs a date"));
                }
                if write {
                    let n = self.tx.execute(
                        "DELETE FROM digiscore_assessments WHERE updated_at < ?1 AND demo = 0",
                        params![before],
                    )?;
                    for _ in 0..n {
                        self.count("digiscore_assessment_purged", false);
                    }
                }
                Ok(())
            }
            Op::DigiscoreSupport { base, body } => {
                if body.trim().is_empty() {
                    return Err(Fail::field("body", "the catalogue is empty"));
                }
                let current: Option<i64> = match self
                    .tx
                    .query_row("SELECT MAX(version) FROM digiscore_support", params![])?
                {
                    Some(r) => r.get(0)?,
                    None => None,
                };
                if current != *base {
                    return Err(Fail::Internal(StoreError::Conflict {
                        entity: "digiscore/support".to_owned(),
                        current,
                    }));
                }
                if write {
                    self.tx.execute(
                        "INSERT INTO digiscore_support(version, body, actor, created_at)
                         VALUES (?1, ?2, ?3, ?4)",
                        params![current.unwrap_or(0) + 1, body, self.actor, self.now],
                    )?;
                    self.count("digiscore_support_version", true);
                }
                Ok(())
            }
            Op::Target(t) => {
                t.validate()?;
                let id = self.entity_id(
                    "indicator",
                    &EntityRef::new(EntityKind::Indicator, t.indicator.clone()),
                )?;
                if write {
                    let p = &t.provenance;
                    self.tx
                        .execute("INSERT INTO targets(indicator_id, due, value, source, source_date, inferred, demo,
                               qualifier, note, quote, baseline_date, baseline_value)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                             ON CONFLICT (indicator_id, due) DO UPDATE SET value = excluded.value,
                               source = excluded.source, source_date = excluded.source_date,
                               inferred = excluded.inferred, demo = excluded.demo,
                               qualifier = excluded.qualifier, note = excluded.note,
                               quote = excluded.quote, baseline_date = excluded.baseline_date,
                               baseline_value = excluded.baseline_value", params![
                            id,
                            iso(t.due),
                            t.value,
                            p.source,
                            p.date.map(iso),
                            p.inferred,
                            p.demo,
                            t.qualifier,
                            t.note,
                            t.quote,
                            t.baseline.map(|b| iso(b.date)),
                            t.baseline.map(|b| b.value)
                        ])?;
                    self.count("target", true);
                }
                Ok(())
            }
            Op::ClearStatedFigures { indicator } => {
                let id = self.entity_id(
                    "indicator",
                    &EntityRef::new(EntityKind::Indicator, indicator.clone()),
                )?;
                if write {
                    let n = self.tx.execute(
                        "DELETE FROM observations
                             WHERE indicator_id = ?1 AND territory_id IS NULL AND demo = 0",
                        params![id],
                    )? + self.tx.execute(
                        "DELETE FROM targets WHERE indicator_id = ?1 AND demo = 0",
                        params![id],
                    )?;
                    if n > 0 {
                        *self
                            .report
                            .updated
                            .entry("figure_removed".into())
                            .or_default() += n;
                    }
                }
                Ok(())
            }
        }
    }

    fn scheme(&mut self, s: &Scheme, write: bool) -> Result<(), Fail> {
        territoria_model::entity::check_key("id", &s.id)?;
        if s.title.is_empty() {
            return Err(Fail::field("title", "a scheme needs a title"));
        }
        if write {
            let p = &s.provenance;
            let id: i64 = sql::one(self.tx, "INSERT INTO schemes(slug, title, description, source, source_date, inferred, demo)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (slug) DO UPDATE SET title = excluded.title, description = excluded.description,
                       source = excluded.source, source_date = excluded.source_date,
                       inferred = excluded.inferred, demo = excluded.demo
                     RETURNING id", 
                    params![
                        s.id,
                        json(&s.title)?,
                        json(&s.description)?,
                        p.source,
                        p.date.map(iso),
                        p.inferred,
                        p.demo
                    ])?;
            let inserted = !self.schemes.contains_key(&s.id);
            self.schemes.entry(s.id.clone()).or_insert(SchemeCache {
                id,
                concepts: HashMap::default(),
            });
            self.count("scheme", inserted);
        }
        Ok(())
    }

    fn concept(&mut self, c: &Concept, write: bool) -> Result<(), Fail> {
        let Some(scheme) = self.schemes.get(&c.scheme) else {
            let names: Vec<&str> = self.schemes.keys().map(String::as_str).collect();
            return Err(Fail::Invalid(
                FieldError::new("scheme", format!("unknown scheme `{}`", c.scheme))
                    .suggest(suggest::closest(&c.scheme, names, 3))
                    .into(),
            ));
        };
        if c.notation.trim().is_empty() || c.notation.contains(':') {
            return Err(Fail::field(
                "notation",
                format!("`{}` is not a valid notation", c.notation),
            ));
        }
        if c.labels.is_empty() {
            return Err(Fail::field("labels", "a concept needs a label"));
        }
        let broader = match &c.broader {
            Some(b) if b == &c.notation => {
                return Err(Fail::field(
                    "broader",
                    "a concept cannot be its own broader",
                ));
            }
            Some(b) => {
                Some(self.concept_id("broader", &ConceptRef::new(c.scheme.clone(), b.clone()))?)
            }
            None => None,
        };
        if write {
            let scheme_id = scheme.id;
            let p = &c.provenance;
            let id: i64 = sql::one(self.tx, "INSERT INTO concepts(scheme_id, notation, broader_id, labels, attributes, source, source_date, inferred, demo, audit_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                     ON CONFLICT (scheme_id, notation) DO UPDATE SET broader_id = excluded.broader_id,
                       labels = excluded.labels, attributes = excluded.attributes, source = excluded.source,
                       source_date = excluded.source_date, inferred = excluded.inferred, demo = excluded.demo,
                       audit_id = excluded.audit_id
                     RETURNING id", 
                    params![
                        scheme_id,
                        c.notation,
                        broader,
                        json(&c.labels)?,
                        serde_json::Value::Object(c.attributes.clone()).to_string(),
                        p.source,
                        p.date.map(iso),
                        p.inferred,
                        p.demo,
                        self.audit_id
                    ])?;
            let cache = self.schemes.get_mut(&c.scheme).expect("checked above");
            let inserted = cache.concepts.insert(c.notation.clone(), id).is_none();
            self.count("concept", inserted);
        }
        Ok(())
    }

    /// The id of a source text in `sources`, added if new.
    fn source_id(&mut self, text: &str) -> Result<i64> {
        if let Some(id) = self.sources.get(text) {
            return Ok(*id);
        }
        let found: Option<i64> = sql::opt(
            self.tx,
            "SELECT id FROM sources WHERE text = ?1",
            params![text],
        )?;
        let id = match found {
            Some(id) => id,
            None => sql::one(
                self.tx,
                "INSERT INTO sources(text) VALUES (?1) RETURNING id",
                params![text],
            )?,
        };
        self.sources.insert(text.to_owned(), id);
        Ok(id)
    }

    /// Turns this write into a bulk one: loads every entity key (and enterprise number)
    /// of the store, then drops [`schema::DEFERRABLE_INDEXES`]; `run` builds them again.
    fn defer_indexes(&mut self) -> Result<()> {
        let tx = self.tx;
        let mut keys: HashMap<EntityKind, HashMap<Rc<str>, i64>> = HashMap::default();
        tx.query("SELECT kind, key, id FROM entities", params![], &mut |r| {
            if let Some(kind) = EntityKind::parse(r.text(0)?) {
                keys.entry(kind)
                    .or_default()
                    .insert(Rc::from(r.text(1)?), r.get(2)?);
            }
            Ok(())
        })?;
        if self.kbo_in_store {
            let store_kbo = &mut self.store_kbo;
            tx.query(
                "SELECT o.kbo, e.key FROM organisations o JOIN entities e ON e.id = o.entity_id
                 WHERE o.kbo IS NOT NULL",
                params![],
                &mut |r| {
                    // An unreadable number cannot collide with a valid one; `check` reports it.
                    if let Ok(k) = Kbo::parse(r.text(0)?) {
                        store_kbo.insert(k, r.get(1)?);
                    }
                    Ok(())
                },
            )?;
        }
        for (name, _) in schema::DEFERRABLE_INDEXES {
            tx.batch(&format!("DROP INDEX IF EXISTS {name}"))?;
        }
        self.keys = Some(keys);
        self.indexes_deferred = true;
        Ok(())
    }

    fn entity(&mut self, e: &Entity, write: bool) -> Result<(), Fail> {
        e.validate()?;
        let mut errs = ValidationErrors::default();
        let mut tag_ids = Vec::with_capacity(e.tags.len());
        for t in &e.tags {
            match self.concept_id(&t.scheme, t) {
                Ok(id) => tag_ids.push(id),
                Err(fe) => errs.push(fe),
            }
        }
        tag_ids.sort_unstable();
        tag_ids.dedup();
        // This check also guarantees what `members::Deltas` relies on: an entity is
        // written at most once per write (a second record with its key is refused).
        let key: Rc<str> = Rc::from(e.key.as_str());
        if !self
            .seen_entities
            .entry(e.kind)
            .or_default()
            .insert(Rc::clone(&key))
        {
            errs.push(FieldError::new(
                "key",
                format!(
                    "duplicate identifier: {} appears twice in this input",
                    e.reference()
                ),
            ));
        }
        let mut measures = None;
        match &e.details {
            Details::Organisation(o) => {
                if let Some(k) = o.kbo {
                    if let Some(other) = self.seen_kbo.insert(k, Rc::clone(&key)) {
                        if other != key {
                            errs.push(FieldError::new(
                                "kbo",
                                format!("duplicate identifier: enterprise number {k} is also given to organisation/{other} in this input"),
                            ));
                        }
                    }
                    let holder: Option<String> = if !self.kbo_in_store {
                        None
                    } else if self.keys.is_some() {
                        self.store_kbo.get(&k).cloned()
                    } else {
                        sql::opt(
                            self.tx,
                            "SELECT e.key FROM organisations o JOIN entities e ON e.id = o.entity_id WHERE o.kbo = ?1",
                            params![k.to_string()],
                        )?
                    };
                    if let Some(h) = holder.filter(|h| h != &e.key) {
                        errs.push(FieldError::new(
                            "kbo",
                            format!("duplicate identifier: enterprise number {k} already belongs to organisation/{h}"),
                        ));
                    }
                }
            }
            Details::Indicator(i) => match self.entity_id("measures", &i.measures) {
                Ok(id) => measures = Some(id),
                Err(Fail::Invalid(v)) => errs.0.extend(v.0),
                Err(f) => return Err(f),
            },
            _ => {}
        }
        if !errs.is_empty() {
            return Err(Fail::Invalid(errs));
        }
        if !write {
            return Ok(());
        }
        let p = &e.provenance;
        let attrs = json(&e.attributes)?;
        let (name, labels, description) = (e.name.main(), json(&e.name)?, json(&e.description)?);
        let concepts = members::encode(&tag_ids);
        let source_id = self.source_id(&p.source)?;
        let source_date = p.date.map(iso);
        // While the unique indexes stand, a new entity takes one plain INSERT and an
        // existing key fails its UNIQUE constraint (which undoes nothing: the row is
        // refused before it is written) and falls through to the update. Plain
        // single-row statements need no statement journal. In a bulk write the keys
        // are in memory instead.
        let known = match &self.keys {
            Some(keys) => keys
                .get(&e.kind)
                .and_then(|m| m.get(e.key.as_str()))
                .copied(),
            None => None,
        };
        let inserted = if known.is_some() {
            None
        } else {
            self.tx.insert_entity(
                &EntityRow {
                    kind: e.kind.as_str(),
                    key: &e.key,
                    name,
                    labels: &labels,
                    description: &description,
                    attributes: &attrs,
                    concepts: &concepts,
                    source_id,
                    source_date: source_date.as_deref(),
                    inferred: p.inferred,
                    demo: p.demo,
                    audit_id: self.audit_id,
                },
                !self.indexes_deferred,
            )?
        };
        if let Some(id) = inserted {
            if let Some(keys) = &mut self.keys {
                keys.entry(e.kind).or_default().insert(key, id);
            }
            self.entities_inserted += 1;
            if !self.indexes_deferred
                && self.tx.dialect().defers_indexes()
                && self.entities_inserted >= BULK_ENTITIES
                && self.entities_inserted * 4 >= self.entities_before
            {
                self.defer_indexes()?;
            }
        }
        let id = match inserted {
            Some(id) => id,
            None => {
                let row = match known {
                    Some(id) => self.tx.query_row(
                        "SELECT id, concepts FROM entities WHERE id = ?1",
                        params![id],
                    )?,
                    None => self.tx.query_row(
                        "SELECT id, concepts FROM entities WHERE kind = ?1 AND key = ?2",
                        params![e.kind.as_str(), e.key],
                    )?,
                };
                let row = row.ok_or_else(|| {
                    StoreError::Internal(format!("{} vanished during its update", e.reference()))
                })?;
                let (id, old): (i64, String) = (row.get(0)?, row.get(1)?);
                self.members.remove(id, &members::decode(&old)?)?;
                if self.keys.is_some() && self.kbo_in_store {
                    // Its enterprise number may change: forget the one it held.
                    let held: Option<Option<String>> = sql::opt(
                        self.tx,
                        "SELECT kbo FROM organisations WHERE entity_id = ?1",
                        params![id],
                    )?;
                    if let Some(k) = held.flatten().and_then(|k| Kbo::parse(&k).ok()) {
                        if self.store_kbo.get(&k) == Some(&e.key) {
                            self.store_kbo.remove(&k);
                        }
                    }
                }
                self.tx
                    .execute("UPDATE entities SET name = ?2, labels = ?3, description = ?4, attributes = ?5,
                           concepts = ?6, source_id = ?7, source_date = ?8, inferred = ?9, demo = ?10,
                           audit_id = ?11
                         WHERE id = ?1", params![
                        id,
                        name,
                        labels,
                        description,
                        attrs,
                        concepts,
                        source_id,
                        source_date,
                        p.inferred,
                        p.demo,
                        self.audit_id
                    ])?;
                for table in ["organisations", "actions", "indicators", "places", "events"] {
                    self.tx.execute(
                        &format!("DELETE FROM {table} WHERE entity_id = ?1"),
                        params![id],
                    )?;
                }
                id
            }
        };
        self.members.add(id, &tag_ids)?;
        let default_org = Details::Organisation(Default::default());
        let details = match (&e.details, e.kind) {
            (Details::None, EntityKind::Organisation) => &default_org,
            (d, _) => d,
        };
        match details {
            Details::None => {}
            Details::Organisation(o) => {
                self.tx.insert_organisation(
                    id,
                    o.kbo.map(|k| k.to_string()).as_deref(),
                    o.founded.map(iso).as_deref(),
                    o.employees,
                    o.website.as_deref(),
                )?;
            }
            Details::Action(a) => {
                self.tx
                    .execute("INSERT INTO actions(entity_id, status, start_date, end_date, budget_eur) VALUES (?1, ?2, ?3, ?4, ?5)", params![
                        id,
                        a.status.as_str(),
                        a.start.map(iso),
                        a.end.map(iso),
                        a.budget_eur
                    ])?;
            }
            Details::Indicator(i) => {
                self.tx
                    .execute("INSERT INTO indicators(entity_id, unit, kind, aggregation, measures_id) VALUES (?1, ?2, ?3, ?4, ?5)", params![
                        id,
                        i.unit,
                        i.kind.as_str(),
                        i.aggregation.as_str(),
                        measures
                    ])?;
            }
            Details::Place(pl) => {
                self.tx
                    .execute("INSERT INTO places(entity_id, lat, lon, address, postal_code) VALUES (?1, ?2, ?3, ?4, ?5)", params![id, pl.lat, pl.lon, pl.address, pl.postal_code])?;
            }
            Details::Event(ev) => {
                self.tx.execute(
                    "INSERT INTO events(entity_id, start_date, end_date) VALUES (?1, ?2, ?3)",
                    params![id, iso(ev.start), ev.end.map(iso)],
                )?;
            }
        }
        self.count(e.kind.as_str(), inserted.is_some());
        self.report.changed_entities.push(id);
        if self.changed_keys.len() < 50 {
            self.changed_keys.push(e.reference().to_string());
        }
        Ok(())
    }
}

/// `YYYY-MM-DD`, as chrono prints it, without the formatting machinery (several
/// dates per record of a bulk import).
fn iso(d: NaiveDate) -> String {
    let y = d.year();
    if !(0..=9999).contains(&y) {
        return d.to_string();
    }
    let (m, day) = (d.month(), d.day());
    let digits = [
        y / 1000,
        y / 100 % 10,
        y / 10 % 10,
        y % 10,
        -1,
        (m / 10) as i32,
        (m % 10) as i32,
        -1,
        (day / 10) as i32,
        (day % 10) as i32,
    ];
    digits
        .iter()
        .map(|&x| {
            if x < 0 {
                '-'
            } else {
                char::from(b'0' + x as u8)
            }
        })
        .collect()
}

fn json<T: Serialize>(v: &T) -> Result<String, StoreError> {
    Ok(serde_json::to_string(v)?)
}

fn describe(op: &Op) -> String {
    match op {
        Op::Scheme(s) => format!("scheme {}", s.id),
        Op::Concept(c) => format!("concept {}:{}", c.scheme, c.notation),
        Op::ConceptLink { from, to, .. } => format!("link {from} → {to}"),
        Op::Geometry { concept, .. } => format!("geometry of {concept}"),
        Op::PostalCode { postal_code, .. } => format!("postal code {postal_code}"),
        Op::Entity(e) => e.reference().to_string(),
        Op::Relation(r) => format!("{} {} {}", r.subject, r.kind, r.object),
        Op::StrategyVersion(v) => format!("strategy/{} version {}", v.strategy, v.id),
        Op::Edge { parent, child, .. } => format!("edge {parent} → {child}"),
        Op::EdgeRemove { parent, child, .. } => format!("removal of edge {parent} → {child}"),
        Op::Observation(o) => format!(
            "observation of indicator/{} for {}",
            o.indicator,
            territoria_model::stated_period_text(o.period.as_ref())
        ),
        Op::ClearStatedFigures { indicator } => format!("stated figures of indicator/{indicator}"),
        Op::Target(t) => format!("target of indicator/{} for {}", t.indicator, t.due),
        Op::Magnet(m) => format!("magnet {}", m.id),
        // Never the hash itself in messages: a prefix is enough to tell records apart.
        Op::DigiscoreAssessment(a) => format!(
            "digiscore assessment {}…",
            &a.link_hash[..a.link_hash.len().min(8)]
        ),
        Op::DigiscoreDelete { .. } => "digiscore assessment deletion".to_owned(),
        Op::DigiscorePurge { before } => format!("digiscore assessments updated before {before}"),
        Op::DigiscoreSupport { .. } => "digiscore support catalogue".to_owned(),
    }
}

/// Why a record failed: the user's mistake, or an internal error.
enum Fail {
    Invalid(ValidationErrors),
    Internal(StoreError),
}

impl Fail {
    fn field(field: &str, message: impl Into<String>) -> Self {
        Fail::Invalid(FieldError::new(field, message).into())
    }
}

impl From<FieldError> for Fail {
    fn from(e: FieldError) -> Self {
        Fail::Invalid(e.into())
    }
}

impl From<ValidationErrors> for Fail {
    fn from(e: ValidationErrors) -> Self {
        Fail::Invalid(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_chrono_prints_them() {
        for d in [
            NaiveDate::from_ymd_opt(2024, 1, 1),
            NaiveDate::from_ymd_opt(1999, 12, 31),
            NaiveDate::from_ymd_opt(5, 2, 9),
            NaiveDate::from_ymd_opt(12345, 6, 7),
            NaiveDate::from_ymd_opt(-44, 3, 15),
        ] {
            let d = d.unwrap();
            assert_eq!(iso(d), d.to_string());
        }
    }
}
