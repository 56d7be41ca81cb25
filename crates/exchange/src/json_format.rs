//! JSON reading and writing: an array of objects, one per line.

use std::io::{Read, Write};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use territoria_model::{
    Entity, EntityKind, EntityRef, FieldError, Observation, Provenance, Relation, RelationKind,
};
use territoria_store::{Located, Location, Op, Record, RecordError, Store, StoreError};

use crate::{Collection, ExchangeError};

/// An outgoing relation as written in an entity's `relations`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutRelation {
    kind: RelationKind,
    object: EntityRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    since: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    until: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    amount_eur: Option<f64>,
    provenance: Provenance,
}

impl From<Relation> for OutRelation {
    fn from(r: Relation) -> Self {
        OutRelation {
            kind: r.kind,
            object: r.object,
            since: r.since,
            until: r.until,
            amount_eur: r.amount_eur,
            provenance: r.provenance,
        }
    }
}

impl OutRelation {
    /// The relation again, from `subject`.
    fn with_subject(self, subject: &EntityRef) -> Relation {
        Relation {
            subject: subject.clone(),
            kind: self.kind,
            object: self.object,
            since: self.since,
            until: self.until,
            amount_eur: self.amount_eur,
            provenance: self.provenance,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Item {
    #[serde(flatten)]
    entity: Entity,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    relations: Vec<OutRelation>,
    /// `strategy@version>kind/key`: where an action sits in strategy trees.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    placements: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    lead: Vec<EntityRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    partners: Vec<EntityRef>,
}

fn internal(e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(e.to_string())
}

pub fn export(store: &dyn Store, c: Collection, out: &mut dyn Write) -> Result<u64, ExchangeError> {
    out.write_all(b"[")?;
    let mut first = true;
    let mut sep = |out: &mut dyn Write| -> std::io::Result<()> {
        out.write_all(if first { b"\n" } else { b",\n" })?;
        first = false;
        Ok(())
    };
    let n = match c {
        Collection::Observations => store.export_observations(&mut |o| {
            sep(out).map_err(internal)?;
            serde_json::to_writer(&mut *out, &o).map_err(internal)
        })?,
        Collection::Targets => store.export_targets(&mut |t| {
            sep(out).map_err(internal)?;
            serde_json::to_writer(&mut *out, &t).map_err(internal)
        })?,
        _ => {
            let kind = c.kind().expect("entity collection");
            store.export_entities(kind, &mut |entity, relations| {
                let mut item = Item {
                    relations: relations
                        .into_iter()
                        .filter(crate::travels_with_subject)
                        .map(OutRelation::from)
                        .collect(),
                    placements: vec![],
                    lead: vec![],
                    partners: vec![],
                    entity,
                };
                if kind == EntityKind::Action {
                    let links = crate::action_links(store, &item.entity.key)?;
                    item.placements = links.placements;
                    item.lead = links.lead;
                    item.partners = links.partners;
                }
                sep(out).map_err(internal)?;
                serde_json::to_writer(&mut *out, &item).map_err(internal)
            })?
        }
    };
    out.write_all(b"\n]\n")?;
    Ok(n)
}

/// Byte ranges of the top-level array's elements, with the line each starts on.
fn elements(text: &str) -> Result<Vec<(usize, usize, u64, u64)>, String> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut line = 1u64;
    let mut line_start = 0usize;
    let skip_ws = |i: &mut usize, line: &mut u64, line_start: &mut usize| {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            if b[*i] == b'\n' {
                *line += 1;
                *line_start = *i + 1;
            }
            *i += 1;
        }
    };
    skip_ws(&mut i, &mut line, &mut line_start);
    if i >= b.len() || b[i] != b'[' {
        return Err(format!("line {line}: expected a JSON array `[` of records"));
    }
    i += 1;
    let mut out = Vec::new();
    loop {
        skip_ws(&mut i, &mut line, &mut line_start);
        if i >= b.len() {
            return Err(format!(
                "line {line}: the array is not closed (truncated file?)"
            ));
        }
        if b[i] == b']' {
            return Ok(out);
        }
        if !out.is_empty() {
            if b[i] != b',' {
                return Err(format!(
                    "line {line}, column {}: expected `,` or `]` between records",
                    i - line_start + 1
                ));
            }
            i += 1;
            skip_ws(&mut i, &mut line, &mut line_start);
        }
        let (start, start_line, start_col) = (i, line, (i - line_start + 1) as u64);
        let mut depth = 0i32;
        let mut in_str = false;
        let mut escaped = false;
        while i < b.len() {
            let c = b[i];
            if c == b'\n' {
                line += 1;
                line_start = i + 1;
            }
            if in_str {
                if escaped {
                    escaped = false;
                } else if c == b'\\' {
                    escaped = true;
                } else if c == b'"' {
                    in_str = false;
                }
            } else {
                match c {
                    b'"' => in_str = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth < 0 {
                            break;
                        }
                    }
                    b',' if depth == 0 => break,
                    _ => {}
                }
            }
            i += 1;
            if depth == 0 && !in_str && (c == b'}' || c == b']' || c == b'"') {
                break;
            }
        }
        out.push((start, i, start_line, start_col));
    }
}

fn serde_location(file: &str, base_line: u64, base_col: u64, e: &serde_json::Error) -> Location {
    let l = e.line() as u64;
    Location {
        file: file.into(),
        line: base_line + l.saturating_sub(1),
        column: Some(if l <= 1 {
            base_col + e.column() as u64 - 1
        } else {
            e.column() as u64
        }),
    }
}

pub fn records(
    c: Collection,
    file: &str,
    input: &mut (dyn Read + Send),
) -> Result<Box<dyn Iterator<Item = Record> + Send>, ExchangeError> {
    let mut bytes = Vec::new();
    input.read_to_end(&mut bytes)?;
    let text = String::from_utf8(bytes).map_err(|e| ExchangeError::Unreadable {
        file: file.into(),
        message: format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to()),
    })?;
    let text = text.trim_start_matches('\u{feff}').to_owned();
    let spans = elements(&text).map_err(|message| ExchangeError::Unreadable {
        file: file.into(),
        message,
    })?;
    let file = file.to_owned();
    let mut out: Vec<Record> = Vec::with_capacity(spans.len());
    let mut deferred: Vec<Record> = Vec::new();
    for (start, end, line, col) in spans {
        let slice = &text[start..end];
        let location = Location {
            file: file.clone(),
            line,
            column: Some(col),
        };
        if c == Collection::Observations {
            match serde_json::from_str::<Observation>(slice) {
                Ok(o) => out.push(Ok(Located {
                    op: Op::Observation(o),
                    location: Some(location),
                    column_of: None,
                })),
                Err(e) => out.push(Err(RecordError {
                    location: Some(serde_location(&file, line, col, &e)),
                    record: String::new(),
                    errors: FieldError::new("record", e.to_string()).into(),
                })),
            }
            continue;
        }
        if c == Collection::Targets {
            match serde_json::from_str::<territoria_model::Target>(slice) {
                Ok(t) => out.push(Ok(Located {
                    op: Op::Target(t),
                    location: Some(location),
                    column_of: None,
                })),
                Err(e) => out.push(Err(RecordError {
                    location: Some(serde_location(&file, line, col, &e)),
                    record: String::new(),
                    errors: FieldError::new("record", e.to_string()).into(),
                })),
            }
            continue;
        }
        match serde_json::from_str::<Item>(slice) {
            Ok(item) => {
                let kind = c.kind().expect("entity collection");
                if item.entity.kind != kind {
                    out.push(Err(RecordError {
                        location: Some(location),
                        record: item.entity.reference().to_string(),
                        errors: FieldError::new(
                            "kind",
                            format!("a {} in a file of {}", item.entity.kind, c.as_str()),
                        )
                        .into(),
                    }));
                    continue;
                }
                if kind == EntityKind::Person {
                    let errors = crate::person_minimal(&item.entity);
                    if !errors.is_empty() {
                        out.push(Err(RecordError {
                            location: Some(location),
                            record: item.entity.reference().to_string(),
                            errors: territoria_model::ValidationErrors(errors),
                        }));
                        continue;
                    }
                }
                let subject = item.entity.reference();
                let prov = item.entity.provenance.clone();
                let at = |op| {
                    Ok(Located {
                        op,
                        location: Some(location.clone()),
                        column_of: None,
                    })
                };
                for r in item.relations {
                    deferred.push(at(Op::Relation(r.with_subject(&subject))));
                }
                let (ops, errors) = crate::action_link_ops(
                    &subject,
                    "placements",
                    &item.placements,
                    item.lead,
                    item.partners,
                    &prov,
                );
                deferred.extend(ops.into_iter().map(at));
                if !errors.is_empty() {
                    deferred.push(Err(RecordError {
                        location: Some(location.clone()),
                        record: subject.to_string(),
                        errors: territoria_model::ValidationErrors(errors),
                    }));
                }
                out.push(at(Op::Entity(Box::new(item.entity))));
            }
            Err(e) => out.push(Err(RecordError {
                location: Some(serde_location(&file, line, col, &e)),
                record: String::new(),
                errors: FieldError::new("record", e.to_string()).into(),
            })),
        }
    }
    out.extend(deferred);
    Ok(Box::new(out.into_iter()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_split_top_level_records_with_lines() {
        let t = "[\n{\"a\": \"x,]\"},\n{\"b\": [1, {\"c\": 2}]}\n]";
        let e = elements(t).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(&t[e[0].0..e[0].1], "{\"a\": \"x,]\"}");
        assert_eq!(e[1].2, 3);
        assert!(elements("[{\"a\":1}").is_err());
        assert!(elements("{}").is_err());
        assert_eq!(elements("[]").unwrap().len(), 0);
    }
}
