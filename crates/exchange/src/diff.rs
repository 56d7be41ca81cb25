//! Bulk updates: what a file would change, before it changes anything.
//!
//! [`preview`] reads a file in the import layout, compares every record with the
//! store — an entity field by field, an observation by its (indicator, period,
//! territory), a relation or a placement by its existence — and classifies it as
//! added, changed or unchanged; rows that cannot be read are rejected with their
//! place. Only added and changed records are ever written, so applying the same file
//! twice changes nothing the second time.

use std::collections::HashMap;
use std::io::Read;

use serde::Serialize;
use serde_json::Value;
use territoria_model::entity::EntityRef;
use territoria_model::{EntityKind, Observation};
use territoria_store::{Located, Op, RecordError, Store, StoreError};

use crate::{Collection, ExchangeError, Format};

/// What a record would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Added,
    Changed,
    Unchanged,
}

/// One field that a record changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// One record of the file, compared with the store.
#[derive(Debug, Serialize)]
pub struct Row {
    /// Line of the file (1-based, the header is line 1), when known.
    pub line: Option<u64>,
    /// What it is: `organisation/x`, `observation indicator/y 2024`, `relation …`.
    pub record: String,
    pub status: Status,
    pub fields: Vec<FieldChange>,
    /// The entity the record belongs to (an observation's indicator, a relation's
    /// object when it is an action, a placement's child): who may edit it is decided on it.
    pub owner: EntityRef,
    /// The owner's version when the file was compared (`None`: it does not exist).
    pub owner_version: Option<i64>,
    #[serde(skip)]
    pub located: Located,
}

/// A whole file compared with the store.
#[derive(Debug, Default)]
pub struct Preview {
    pub rows: Vec<Row>,
    pub rejected: Vec<RecordError>,
}

impl Preview {
    pub fn count(&self, status: Status) -> usize {
        self.rows.iter().filter(|r| r.status == status).count()
    }
}

/// Compares the file with the store (reads only).
pub fn preview(
    store: &dyn Store,
    collection: Collection,
    format: Format,
    file: &str,
    input: &mut (dyn Read + Send),
) -> Result<Preview, ExchangeError> {
    let records = match format {
        Format::Csv => crate::csv_format::records(collection, file, input)?,
        Format::Json => crate::json_format::records(collection, file, input)?,
    };
    let mut out = Preview::default();
    let mut observations: Option<HashMap<ObsKey, Observation>> = None;
    let mut targets: Option<HashMap<(String, chrono::NaiveDate), territoria_model::Target>> = None;
    for record in records {
        let located = match record {
            Ok(l) => l,
            Err(e) => {
                out.rejected.push(e);
                continue;
            }
        };
        let line = located.location.as_ref().map(|l| l.line);
        let (record, owner, status, fields) = match &located.op {
            Op::Entity(e) => {
                let before = store.entity(e.kind, &e.key)?.map(|d| d.entity);
                let after = normalised(json(e.as_ref())?);
                let (status, fields) = match before {
                    None => (Status::Added, field_changes(None, &after)),
                    Some(b) => {
                        let b = normalised(json(&b)?);
                        let fields = field_changes(Some(&b), &after);
                        let status = if fields.is_empty() {
                            Status::Unchanged
                        } else {
                            Status::Changed
                        };
                        (status, fields)
                    }
                };
                (
                    format!("{}/{}", e.kind.as_str(), e.key),
                    e.reference(),
                    status,
                    fields,
                )
            }
            Op::Observation(o) => {
                let existing = match &mut observations {
                    Some(m) => m,
                    None => observations.insert(all_observations(store)?),
                };
                let after = json(o)?;
                let (status, fields) = match existing.get(&ObsKey::of(o)) {
                    None => (Status::Added, field_changes(None, &after)),
                    Some(b) => {
                        let fields = field_changes(Some(&json(b)?), &after);
                        let status = if fields.is_empty() {
                            Status::Unchanged
                        } else {
                            Status::Changed
                        };
                        (status, fields)
                    }
                };
                let period = o
                    .period
                    .map_or_else(|| "unspecified".to_owned(), |p| p.to_string());
                let what = match &o.territory {
                    Some(t) => format!("observation indicator/{} {period} · {t}", o.indicator),
                    None => format!("observation indicator/{} {period}", o.indicator),
                };
                (
                    what,
                    EntityRef::new(EntityKind::Indicator, o.indicator.clone()),
                    status,
                    fields,
                )
            }
            Op::Target(t) => {
                let existing = match &mut targets {
                    Some(m) => m,
                    None => targets.insert(all_targets(store)?),
                };
                let after = json(t)?;
                let (status, fields) = match existing.get(&(t.indicator.clone(), t.due)) {
                    None => (Status::Added, field_changes(None, &after)),
                    Some(b) => {
                        let fields = field_changes(Some(&json(b)?), &after);
                        let status = if fields.is_empty() {
                            Status::Unchanged
                        } else {
                            Status::Changed
                        };
                        (status, fields)
                    }
                };
                (
                    format!("target indicator/{} {}", t.indicator, t.due),
                    EntityRef::new(EntityKind::Indicator, t.indicator.clone()),
                    status,
                    fields,
                )
            }
            Op::Relation(r) => {
                let exists = store
                    .entity(r.subject.kind, &r.subject.key)?
                    .is_some_and(|d| {
                        d.relations.iter().any(|v| {
                            v.kind == r.kind.as_str()
                                && v.entity.kind == r.object.kind
                                && v.entity.id == r.object.key
                        })
                    });
                let owner = if r.object.kind == EntityKind::Action {
                    r.object.clone()
                } else {
                    r.subject.clone()
                };
                (
                    format!(
                        "relation {}/{} {} {}/{}",
                        r.subject.kind.as_str(),
                        r.subject.key,
                        r.kind.as_str(),
                        r.object.kind.as_str(),
                        r.object.key
                    ),
                    owner,
                    if exists {
                        Status::Unchanged
                    } else {
                        Status::Added
                    },
                    Vec::new(),
                )
            }
            Op::Edge {
                strategy,
                version,
                parent,
                child,
                ..
            } => {
                let exists = store.entity(child.kind, &child.key)?.is_some_and(|d| {
                    d.placements.iter().any(|p| {
                        &p.strategy == strategy
                            && &p.version == version
                            && p.parent.kind == parent.kind
                            && p.parent.id == parent.key
                    })
                });
                (
                    format!(
                        "placement {strategy}@{version}>{}/{} of {}/{}",
                        parent.kind.as_str(),
                        parent.key,
                        child.kind.as_str(),
                        child.key
                    ),
                    child.clone(),
                    if exists {
                        Status::Unchanged
                    } else {
                        Status::Added
                    },
                    Vec::new(),
                )
            }
            other => {
                return Err(ExchangeError::Store(StoreError::Internal(format!(
                    "a {} file produced an unexpected record {other:?}",
                    collection.as_str()
                ))));
            }
        };
        let owner_version = store.entity_version(owner.kind, &owner.key)?;
        out.rows.push(Row {
            line,
            record,
            status,
            fields,
            owner,
            owner_version,
            located,
        });
    }
    Ok(out)
}

fn json(v: impl Serialize) -> Result<Value, StoreError> {
    serde_json::to_value(v).map_err(StoreError::from)
}

#[derive(Hash, PartialEq, Eq)]
struct ObsKey(
    String,
    Option<(chrono::NaiveDate, chrono::NaiveDate)>,
    Option<String>,
);

impl ObsKey {
    fn of(o: &Observation) -> ObsKey {
        ObsKey(
            o.indicator.clone(),
            o.period.map(|p| (p.start, p.end)),
            o.territory.clone(),
        )
    }
}

fn all_observations(store: &dyn Store) -> Result<HashMap<ObsKey, Observation>, StoreError> {
    let mut m = HashMap::new();
    store.export_observations(&mut |o| {
        m.insert(ObsKey::of(&o), o);
        Ok(())
    })?;
    Ok(m)
}

fn all_targets(
    store: &dyn Store,
) -> Result<HashMap<(String, chrono::NaiveDate), territoria_model::Target>, StoreError> {
    let mut m = HashMap::new();
    store.export_targets(&mut |t| {
        m.insert((t.indicator.clone(), t.due), t);
        Ok(())
    })?;
    Ok(m)
}

/// Tags compare as a set: sorted.
fn normalised(mut v: Value) -> Value {
    if let Some(Value::Array(tags)) = v.get_mut("tags") {
        tags.sort_by_key(|t| t.to_string());
    }
    v
}

/// The fields (top-level, and one level down into `details`, `name`, `description`,
/// `provenance`) whose values differ between two JSON forms of a record.
pub fn changes(before: Option<&Value>, after: &Value) -> Vec<FieldChange> {
    field_changes(before, after)
}

fn field_changes(before: Option<&Value>, after: &Value) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let b = before.and_then(Value::as_object).unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for k in keys {
        let (bv, av) = (b.get(k), a.get(k));
        if bv == av {
            continue;
        }
        let nested = |v: Option<&Value>| v.and_then(Value::as_object).cloned();
        match (nested(bv), nested(av)) {
            (Some(bo), Some(ao)) if before.is_some() => {
                // One level down, with the details' variant name folded away.
                let (bo, ao) = match (single(&bo), single(&ao)) {
                    (Some((bn, bi)), Some((an, ai))) if bn == an => (bi.clone(), ai.clone()),
                    _ => (bo, ao),
                };
                for sub in field_changes(Some(&Value::Object(bo)), &Value::Object(ao)) {
                    out.push(FieldChange {
                        field: format!("{k}.{}", sub.field),
                        ..sub
                    });
                }
            }
            _ => out.push(FieldChange {
                field: k.clone(),
                before: bv.cloned(),
                after: av.cloned(),
            }),
        }
    }
    out
}

/// `{"organisation": {...}}` → `("organisation", {...})`.
fn single(
    m: &serde_json::Map<String, Value>,
) -> Option<(&String, &serde_json::Map<String, Value>)> {
    if m.len() != 1 {
        return None;
    }
    let (k, v) = m.iter().next()?;
    Some((k, v.as_object()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_changes_name_the_fields_one_level_down() {
        let b = json!({"key": "a", "name": {"fr": "A"}, "details": {"action": {"status": "planned", "budget_eur": 10}}});
        let a = json!({"key": "a", "name": {"fr": "A", "en": "A"}, "details": {"action": {"status": "ongoing", "budget_eur": 10}}});
        let f = field_changes(Some(&b), &a);
        let names: Vec<&str> = f.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(names, ["details.status", "name.en"]);
        assert_eq!(f[0].before, Some(json!("planned")));
        assert_eq!(f[0].after, Some(json!("ongoing")));
        assert!(field_changes(Some(&a), &a).is_empty());
        assert_eq!(field_changes(None, &json!({"x": 1})).len(), 1);
    }
}
