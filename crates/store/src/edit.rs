//! Edits: optimistic concurrency and the before/after of each change.
//!
//! * An edit names the version it started from ([`Expectation`]): the version of an
//!   entity is the audit entry that last wrote it (`entities.audit_id`). Inside the write
//!   transaction, before anything is written, every expectation is checked; a stale
//!   one refuses the whole write with [`StoreError::Conflict`] and the current version.
//! * With [`WriteOptions::record_changes`](crate::WriteOptions), the write records, in
//!   the same transaction, the state before and after of every entity, observation and
//!   target it writes (`audit_changes`), so that an entity's page shows its history
//!   and an administrator can revert a change.

use serde::{Deserialize, Serialize};
use territoria_model::{Concept, Entity, EntityKind, EntityRef, Observation, Provenance, Target};

use crate::sql::{Conn, Row, params};
use crate::views::{ENTITY_COLS, baseline, complete, entity_row, provenance, stored_period};
use crate::write::Writer;
use crate::{Op, Record, Result, StoreError, WriteOptions, WriteReport};

/// "This entity is at this version" (`None`: "it does not exist yet").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    pub kind: EntityKind,
    pub key: String,
    pub version: Option<i64>,
}

/// "This concept (a taxonomy term) is at this version" (`None`: "it does not exist
/// yet"). The version of a concept is the audit entry that last wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConceptExpectation {
    pub scheme: String,
    pub notation: String,
    pub version: Option<i64>,
}

/// A recorded change of a concept, with its audit entry's who and when. Concepts
/// belong to schemes, not entities: their changes are kept apart from
/// [`Change`] (recorded as `kind = 'concept'`, `key = 'scheme:notation'`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConceptChange {
    pub audit_id: i64,
    pub at: String,
    pub actor: String,
    pub operation: String,
    pub scheme: String,
    pub notation: String,
    /// The concept before the change (`None`: it was created).
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// What one change did to one item, as recorded with its audit entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub audit_id: i64,
    /// The entity the item belongs to (an observation's and a target's indicator).
    pub kind: EntityKind,
    pub key: String,
    /// `entity`, `observation`, `target`, or `edge` (recorded under its child).
    pub item: String,
    /// Which observation, target or edge (period or due date and territory; the
    /// strategy, version and parent); empty for an entity.
    pub detail: String,
    /// The item before the change (`None`: it was created).
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// A recorded change with its audit entry's who and when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub at: String,
    pub actor: String,
    pub operation: String,
    #[serde(flatten)]
    pub change: Change,
}

/// The write path with an edit's extras, on either backend: the expectations checked
/// first, then the records written by the [`Writer`] — with, when asked, the before
/// and after of each item recorded under the write's audit entry. The caller owns the
/// transaction (and rolls it back for a dry run).
pub(crate) fn run_write(
    c: &dyn Conn,
    actor: &str,
    operation: &str,
    records: &mut dyn Iterator<Item = Record>,
    options: &WriteOptions,
    progress: &mut dyn FnMut(u64),
) -> Result<WriteReport> {
    check(c, &options.expect)?;
    check_concepts(c, &options.expect_concepts)?;
    if !options.record_changes {
        return Writer::new(c)?.run(actor, operation, records, options.skip_invalid, progress);
    }
    let mut recorder = Recorder::default();
    let report = {
        let mut records = records.inspect(|r| recorder.before(c, r));
        Writer::new(c)?.run(
            actor,
            operation,
            &mut records,
            options.skip_invalid,
            progress,
        )?
    };
    if let Some(id) = report.audit_id {
        recorder.finish(c, id)?;
    }
    Ok(report)
}

/// Checks the expectations in the write's transaction.
pub(crate) fn check(c: &dyn Conn, expect: &[Expectation]) -> Result<()> {
    for e in expect {
        let current = version(c, e.kind, &e.key)?;
        if current != e.version {
            return Err(StoreError::Conflict {
                entity: format!("{}/{}", e.kind.as_str(), e.key),
                current,
            });
        }
    }
    Ok(())
}

/// Checks the concept expectations in the write's transaction.
pub(crate) fn check_concepts(c: &dyn Conn, expect: &[ConceptExpectation]) -> Result<()> {
    for e in expect {
        let current = concept_version(c, &e.scheme, &e.notation)?;
        if current != e.version {
            return Err(StoreError::Conflict {
                entity: format!("concept {}:{}", e.scheme, e.notation),
                current,
            });
        }
    }
    Ok(())
}

/// The version of a concept (the audit entry that last wrote it; 0 for one loaded
/// before versions were kept), `None` if absent.
pub(crate) fn concept_version(c: &dyn Conn, scheme: &str, notation: &str) -> Result<Option<i64>> {
    match c.query_row(
        "SELECT COALESCE(k.audit_id, 0) FROM concepts k JOIN schemes s ON s.id = k.scheme_id
         WHERE s.slug = ?1 AND k.notation = ?2",
        params![scheme, notation],
    )? {
        Some(r) => Ok(Some(r.get(0)?)),
        None => Ok(None),
    }
}

/// One concept as it is written (`Op::Concept`), `None` if absent.
pub(crate) fn concept(c: &dyn Conn, scheme: &str, notation: &str) -> Result<Option<Concept>> {
    let Some(r) = c.query_row(
        "SELECT k.labels, b.notation, k.attributes, k.source, k.source_date, k.inferred, k.demo
         FROM concepts k JOIN schemes s ON s.id = k.scheme_id
         LEFT JOIN concepts b ON b.id = k.broader_id
         WHERE s.slug = ?1 AND k.notation = ?2",
        params![scheme, notation],
    )?
    else {
        return Ok(None);
    };
    let labels: String = r.get(0)?;
    let attributes: String = r.get(2)?;
    Ok(Some(Concept {
        scheme: scheme.to_owned(),
        notation: notation.to_owned(),
        labels: serde_json::from_str(&labels)?,
        broader: r.get(1)?,
        attributes: serde_json::from_str(&attributes)?,
        provenance: provenance(&r, 3)?,
    }))
}

/// The version of an entity (the audit entry that last wrote it), `None` if absent.
pub(crate) fn version(c: &dyn Conn, kind: EntityKind, key: &str) -> Result<Option<i64>> {
    match c.query_row(
        "SELECT COALESCE(audit_id, 0) FROM entities WHERE kind = ?1 AND key = ?2",
        params![kind.as_str(), key],
    )? {
        Some(r) => Ok(Some(r.get(0)?)),
        None => Ok(None),
    }
}

/// One entity as the export gives it.
pub(crate) fn entity(c: &dyn Conn, kind: EntityKind, key: &str) -> Result<Option<Entity>> {
    let Some(r) = c.query_row(
        &format!("SELECT {ENTITY_COLS} FROM entities e WHERE e.kind = ?1 AND e.key = ?2"),
        params![kind.as_str(), key],
    )?
    else {
        return Ok(None);
    };
    let (id, mut e) = entity_row(&r)?;
    complete(c, id, &mut e)?;
    Ok(Some(e))
}

fn period_texts(o: &Observation) -> (String, String) {
    o.period.map_or((String::new(), String::new()), |p| {
        (p.start.to_string(), p.end.to_string())
    })
}

fn observation(c: &dyn Conn, o: &Observation) -> Result<Option<Observation>> {
    let (start, end) = period_texts(o);
    let territory = o.territory.clone().unwrap_or_default();
    let Some(r) = c.query_row(
        "SELECT o.period_start, o.period_end, o.value, o.qualifier, o.period_label, o.note,
                o.source, o.source_date, o.inferred, o.demo, o.quote
         FROM observations o JOIN entities e ON e.id = o.indicator_id
         LEFT JOIN concepts t ON t.id = o.territory_id
         WHERE e.kind = 'indicator' AND e.key = ?1 AND o.period_start = ?2 AND o.period_end = ?3
           AND COALESCE(t.notation, '') = ?4",
        params![o.indicator, start, end, territory],
    )?
    else {
        return Ok(None);
    };
    Ok(Some(Observation {
        indicator: o.indicator.clone(),
        period: stored_period(r.text(0)?, r.text(1)?)?,
        territory: o.territory.clone(),
        value: r.get(2)?,
        qualifier: r.get(3)?,
        period_label: r.get(4)?,
        note: r.get(5)?,
        quote: r.get(10)?,
        provenance: provenance(&r, 6)?,
    }))
}

fn target(c: &dyn Conn, t: &Target) -> Result<Option<Target>> {
    let Some(r) = c.query_row(
        "SELECT t.value, t.qualifier, t.note, t.quote, t.source, t.source_date, t.inferred, t.demo,
                t.baseline_date, t.baseline_value
         FROM targets t JOIN entities e ON e.id = t.indicator_id
         WHERE e.kind = 'indicator' AND e.key = ?1 AND t.due = ?2",
        params![t.indicator, t.due.to_string()],
    )?
    else {
        return Ok(None);
    };
    Ok(Some(Target {
        indicator: t.indicator.clone(),
        due: t.due,
        value: r.get(0)?,
        qualifier: r.get(1)?,
        note: r.get(2)?,
        quote: r.get(3)?,
        baseline: baseline(&r, 8)?,
        provenance: provenance(&r, 4)?,
    }))
}

/// An edge of a strategy tree as the history records it (under its child).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdgeRecord {
    pub strategy: String,
    pub version: String,
    pub parent: EntityRef,
    pub child: EntityRef,
    pub position: i64,
    pub provenance: Provenance,
}

impl EdgeRecord {
    fn op(self) -> Op {
        Op::Edge {
            strategy: self.strategy,
            version: self.version,
            parent: self.parent,
            child: self.child,
            position: self.position,
            provenance: self.provenance,
        }
    }

    fn removal(self) -> Op {
        Op::EdgeRemove {
            strategy: self.strategy,
            version: self.version,
            parent: self.parent,
            child: self.child,
        }
    }
}

fn edge(
    c: &dyn Conn,
    strategy: &str,
    version: &str,
    parent: &EntityRef,
    child: &EntityRef,
) -> Result<Option<EdgeRecord>> {
    let Some(r) = c.query_row(
        "SELECT se.position, se.source, se.source_date, se.inferred, se.demo
         FROM strategy_edges se
         JOIN strategy_versions v ON v.id = se.version_id
         JOIN entities s ON s.id = v.strategy_id
         JOIN entities p ON p.id = se.parent_id
         JOIN entities ch ON ch.id = se.child_id
         WHERE s.kind = 'strategy' AND s.key = ?1 AND v.slug = ?2
           AND p.kind = ?3 AND p.key = ?4 AND ch.kind = ?5 AND ch.key = ?6",
        params![
            strategy,
            version,
            parent.kind.as_str(),
            parent.key,
            child.kind.as_str(),
            child.key
        ],
    )?
    else {
        return Ok(None);
    };
    Ok(Some(EdgeRecord {
        strategy: strategy.to_owned(),
        version: version.to_owned(),
        parent: parent.clone(),
        child: child.clone(),
        position: r.get(0)?,
        provenance: provenance(&r, 1)?,
    }))
}

/// What a recorded item is: enough to read it again after the write.
#[derive(Debug, Clone)]
enum Item {
    Entity(EntityKind, String),
    Concept(String, String),
    Observation(Observation),
    Target(Target),
    Edge {
        strategy: String,
        version: String,
        parent: EntityRef,
        child: EntityRef,
    },
}

impl Item {
    fn of(op: &Op) -> Option<Item> {
        match op {
            Op::Entity(e) => Some(Item::Entity(e.kind, e.key.clone())),
            Op::Concept(k) => Some(Item::Concept(k.scheme.clone(), k.notation.clone())),
            Op::Observation(o) => Some(Item::Observation(o.clone())),
            Op::Target(t) => Some(Item::Target(t.clone())),
            Op::Edge {
                strategy,
                version,
                parent,
                child,
                ..
            }
            | Op::EdgeRemove {
                strategy,
                version,
                parent,
                child,
            } => Some(Item::Edge {
                strategy: strategy.clone(),
                version: version.clone(),
                parent: parent.clone(),
                child: child.clone(),
            }),
            _ => None,
        }
    }

    fn read(&self, c: &dyn Conn) -> Result<Option<serde_json::Value>> {
        Ok(match self {
            Item::Entity(kind, key) => entity(c, *kind, key)?
                .map(serde_json::to_value)
                .transpose()?,
            Item::Concept(scheme, notation) => concept(c, scheme, notation)?
                .map(serde_json::to_value)
                .transpose()?,
            Item::Observation(o) => observation(c, o)?.map(serde_json::to_value).transpose()?,
            Item::Target(t) => target(c, t)?.map(serde_json::to_value).transpose()?,
            Item::Edge {
                strategy,
                version,
                parent,
                child,
            } => edge(c, strategy, version, parent, child)?
                .map(serde_json::to_value)
                .transpose()?,
        })
    }

    /// `(kind, key, item, detail)` as `audit_changes` records them.
    fn owner(&self) -> (&'static str, String, &'static str, String) {
        match self {
            Item::Entity(kind, key) => (kind.as_str(), key.clone(), "entity", String::new()),
            Item::Concept(scheme, notation) => (
                "concept",
                format!("{scheme}:{notation}"),
                "concept",
                String::new(),
            ),
            Item::Observation(o) => {
                let period = o
                    .period
                    .map_or_else(|| "unspecified".to_owned(), |p| p.to_string());
                let detail = match &o.territory {
                    Some(t) => format!("{period} · {t}"),
                    None => period,
                };
                ("indicator", o.indicator.clone(), "observation", detail)
            }
            Item::Target(t) => (
                "indicator",
                t.indicator.clone(),
                "target",
                t.due.to_string(),
            ),
            Item::Edge {
                strategy,
                version,
                parent,
                child,
            } => (
                child.kind.as_str(),
                child.key.clone(),
                "edge",
                format!("{strategy} {version} · {parent}"),
            ),
        }
    }
}

/// Records the state before of each item a write is about to write, then (after the
/// write, in the same transaction) the state after.
#[derive(Default)]
pub(crate) struct Recorder {
    items: Vec<(Item, Option<serde_json::Value>)>,
    failed: Option<StoreError>,
}

impl Recorder {
    /// Called with each record before the writer sees it.
    pub(crate) fn before(&mut self, c: &dyn Conn, record: &Record) {
        let Ok(located) = record else { return };
        let Some(item) = Item::of(&located.op) else {
            return;
        };
        match item.read(c) {
            Ok(before) => self.items.push((item, before)),
            Err(e) => {
                self.failed.get_or_insert(e);
            }
        }
    }

    /// Writes the recorded changes (those that changed something) under `audit_id`.
    pub(crate) fn finish(self, c: &dyn Conn, audit_id: i64) -> Result<()> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        for (item, before) in self.items {
            let after = item.read(c)?;
            if after == before {
                continue;
            }
            let (kind, key, what, detail) = item.owner();
            c.execute(
                "INSERT INTO audit_changes(audit_id, kind, key, item, detail, before, after)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    audit_id,
                    kind,
                    key,
                    what,
                    detail,
                    before.map(|v| v.to_string()),
                    after.map(|v| v.to_string())
                ],
            )?;
        }
        Ok(())
    }
}

fn change_row(r: &Row, i: usize) -> Result<Change> {
    let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    Ok(Change {
        audit_id: r.get(i)?,
        kind: EntityKind::parse(r.text(i + 1)?).unwrap_or(EntityKind::Organisation),
        key: r.get(i + 2)?,
        item: r.get(i + 3)?,
        detail: r.get(i + 4)?,
        before: json(r.get(i + 5)?),
        after: json(r.get(i + 6)?),
    })
}

/// The recorded changes of an entity (its observations and targets included), newest first.
pub(crate) fn history(
    c: &dyn Conn,
    kind: EntityKind,
    key: &str,
    limit: u32,
) -> Result<Vec<HistoryEntry>> {
    let mut out = Vec::new();
    c.query(
        "SELECT a.at, a.actor, a.operation, x.audit_id, x.kind, x.key, x.item, x.detail, x.before, x.after
         FROM audit_changes x JOIN audit a ON a.id = x.audit_id
         WHERE x.kind = ?1 AND x.key = ?2 ORDER BY x.audit_id DESC, x.id DESC LIMIT ?3",
        params![kind.as_str(), key, limit],
        &mut |r| {
            out.push(HistoryEntry {
                at: r.get(0)?,
                actor: r.get(1)?,
                operation: r.get(2)?,
                change: change_row(r, 3)?,
            });
            Ok(())
        },
    )?;
    Ok(out)
}

/// Every recorded change made at or after `since` (an RFC 3339 instant or a date,
/// compared as the audit's UTC text), newest first, at most `limit`.
pub(crate) fn recent_changes(c: &dyn Conn, since: &str, limit: u32) -> Result<Vec<HistoryEntry>> {
    let mut out = Vec::new();
    c.query(
        "SELECT a.at, a.actor, a.operation, x.audit_id, x.kind, x.key, x.item, x.detail, x.before, x.after
         FROM audit_changes x JOIN audit a ON a.id = x.audit_id
         WHERE a.at >= ?1 AND x.kind <> 'concept' ORDER BY x.audit_id DESC, x.id DESC LIMIT ?2",
        params![since, limit],
        &mut |r| {
            out.push(HistoryEntry {
                at: r.get(0)?,
                actor: r.get(1)?,
                operation: r.get(2)?,
                change: change_row(r, 3)?,
            });
            Ok(())
        },
    )?;
    Ok(out)
}

/// The changes recorded with one audit entry, in the order they were made.
pub(crate) fn changes_of(c: &dyn Conn, audit_id: i64) -> Result<Vec<Change>> {
    let mut out = Vec::new();
    c.query(
        "SELECT audit_id, kind, key, item, detail, before, after FROM audit_changes
         WHERE audit_id = ?1 AND kind <> 'concept' ORDER BY id",
        params![audit_id],
        &mut |r| {
            out.push(change_row(r, 0)?);
            Ok(())
        },
    )?;
    Ok(out)
}

fn concept_change_row(r: &Row) -> Result<ConceptChange> {
    let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    let key: String = r.get(4)?;
    let (scheme, notation) = key.split_once(':').unwrap_or((key.as_str(), ""));
    Ok(ConceptChange {
        at: r.get(0)?,
        actor: r.get(1)?,
        operation: r.get(2)?,
        audit_id: r.get(3)?,
        scheme: scheme.to_owned(),
        notation: notation.to_owned(),
        before: json(r.get(5)?),
        after: json(r.get(6)?),
    })
}

/// The recorded changes of a concept, newest first.
pub(crate) fn concept_history(
    c: &dyn Conn,
    scheme: &str,
    notation: &str,
    limit: u32,
) -> Result<Vec<ConceptChange>> {
    let mut out = Vec::new();
    c.query(
        "SELECT a.at, a.actor, a.operation, x.audit_id, x.key, x.before, x.after
         FROM audit_changes x JOIN audit a ON a.id = x.audit_id
         WHERE x.kind = 'concept' AND x.key = ?1 ORDER BY x.audit_id DESC, x.id DESC LIMIT ?2",
        params![format!("{scheme}:{notation}"), limit],
        &mut |r| {
            out.push(concept_change_row(r)?);
            Ok(())
        },
    )?;
    Ok(out)
}

/// The concept changes recorded with one audit entry, in the order they were made.
pub(crate) fn concept_changes_of(c: &dyn Conn, audit_id: i64) -> Result<Vec<ConceptChange>> {
    let mut out = Vec::new();
    c.query(
        "SELECT a.at, a.actor, a.operation, x.audit_id, x.key, x.before, x.after
         FROM audit_changes x JOIN audit a ON a.id = x.audit_id
         WHERE x.audit_id = ?1 AND x.kind = 'concept' ORDER BY x.id",
        params![audit_id],
        &mut |r| {
            out.push(concept_change_row(r)?);
            Ok(())
        },
    )?;
    Ok(out)
}

/// Every target, by indicator key then due date.
pub(crate) fn export_targets(
    c: &dyn Conn,
    visit: &mut dyn FnMut(Target) -> Result<()>,
) -> Result<u64> {
    let mut n = 0;
    c.query(
        "SELECT e.key, t.due, t.value, t.qualifier, t.note, t.quote,
                t.source, t.source_date, t.inferred, t.demo, t.baseline_date, t.baseline_value
         FROM targets t JOIN entities e ON e.id = t.indicator_id
         ORDER BY e.key, t.due",
        params![],
        &mut |r| {
            let due = r.text(1)?;
            visit(Target {
                indicator: r.get(0)?,
                due: chrono::NaiveDate::parse_from_str(due, "%Y-%m-%d")
                    .map_err(|e| StoreError::Internal(format!("target due date `{due}`: {e}")))?,
                value: r.get(2)?,
                qualifier: r.get(3)?,
                note: r.get(4)?,
                quote: r.get(5)?,
                baseline: baseline(r, 10)?,
                provenance: provenance(r, 6)?,
            })?;
            n += 1;
            Ok(())
        },
    )?;
    Ok(n)
}

/// The operations that undo `changes` (newest change undone first), and the
/// expectations that they apply to the state those changes left. A change that created
/// an entity, observation or target cannot be undone this way (deleting is not an
/// edit), and is refused; an edge's creation is undone by removing the edge.
pub fn revert_ops(changes: &[Change]) -> Result<(Vec<Op>, Vec<Expectation>)> {
    let mut ops = Vec::new();
    let mut expect = Vec::new();
    for c in changes.iter().rev() {
        if c.item == "edge" {
            // An edge's creation is undone by removing it, its removal by adding it back.
            let op = match (&c.before, &c.after) {
                (Some(before), _) => serde_json::from_value::<EdgeRecord>(before.clone())?.op(),
                (None, Some(after)) => {
                    serde_json::from_value::<EdgeRecord>(after.clone())?.removal()
                }
                (None, None) => continue,
            };
            ops.push(op);
            continue;
        }
        let Some(before) = &c.before else {
            return Err(StoreError::Unusable(format!(
                "change {} created {} {}/{}{}: a creation cannot be reverted (there is no deletion yet); edit the item instead",
                c.audit_id,
                c.item,
                c.kind.as_str(),
                c.key,
                if c.detail.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", c.detail)
                }
            )));
        };
        let op = match c.item.as_str() {
            "entity" => {
                expect.push(Expectation {
                    kind: c.kind,
                    key: c.key.clone(),
                    version: Some(c.audit_id),
                });
                Op::Entity(Box::new(serde_json::from_value(before.clone())?))
            }
            "observation" => Op::Observation(serde_json::from_value(before.clone())?),
            "target" => Op::Target(serde_json::from_value(before.clone())?),
            other => {
                return Err(StoreError::Internal(format!(
                    "unknown recorded item {other}"
                )));
            }
        };
        ops.push(op);
    }
    expect.dedup();
    Ok((ops, expect))
}
