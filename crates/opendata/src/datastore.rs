//! CKAN DataStore searches (`datastore_search`) over a dataset's table: `filters` (a field
//! equal to a value, or to one of a list), `q` (every word in the row's text, or per field),
//! `fields`, `sort`, `offset`, `limit`, each row numbered `_id` (from 1, in table order) as
//! CKAN's DataStore numbers them. The JSON shapes are the server's.

use std::cmp::Ordering;

use territoria_model::Lang;
use territoria_odsql::{FieldType, ValueRef, compare};

use crate::Dataset;
use crate::solr::analyse;
use crate::table::Row;

/// What a `datastore_search` asks for.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// `field` equal to one of the values.
    pub filters: Vec<(String, Vec<String>)>,
    /// Words every matching row holds (in any text field).
    pub q: Option<String>,
    /// Words a given field holds.
    pub q_fields: Vec<(String, String)>,
    /// The columns wanted (`None`: `_id` then every field).
    pub fields: Option<Vec<String>>,
    /// `(field, descending)`; empty: by `_id`.
    pub sort: Vec<(String, bool)>,
    pub offset: usize,
    pub limit: usize,
}

/// One output column: a field of the table, or `_id` (`field: None`).
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub field: Option<usize>,
    /// The DataStore (PostgreSQL) type CKAN reports: `int`, `numeric`, `text`, `bool`,
    /// `date`, `timestamp`.
    pub ds_type: &'static str,
}

/// A page of results.
pub struct Page<'d> {
    pub columns: Vec<Column>,
    pub rows: Vec<Row<'d>>,
    pub total: usize,
}

/// A request naming something the table does not have: the parameter and the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownField {
    pub parameter: &'static str,
    pub field: String,
}

/// The DataStore type of a field type.
pub fn ds_type(t: FieldType) -> &'static str {
    match t {
        FieldType::Int => "int",
        FieldType::Double => "numeric",
        FieldType::Boolean => "bool",
        FieldType::Date => "date",
        FieldType::DateTime => "timestamp",
        _ => "text",
    }
}

fn field_index(d: &Dataset, name: &str, parameter: &'static str) -> Result<usize, UnknownField> {
    d.table.schema().index_of(name).ok_or_else(|| UnknownField {
        parameter,
        field: name.to_owned(),
    })
}

/// A cell as text, the way a filter value is written.
pub fn cell_text(v: ValueRef<'_>) -> Option<String> {
    Some(match v {
        ValueRef::Null => return None,
        ValueRef::Bool(b) => b.to_string(),
        ValueRef::Int(i) => i.to_string(),
        ValueRef::Float(x) => x.to_string(),
        ValueRef::Text(s) => s.to_owned(),
        ValueRef::Date(d) => d.to_string(),
        ValueRef::DateTime(t) => t.to_string(),
        ValueRef::Geo(p) => format!("{}, {}", p.lat, p.lon),
    })
}

fn equals(cell: ValueRef<'_>, wanted: &str) -> bool {
    let wanted = wanted.trim();
    match cell {
        ValueRef::Null => false,
        ValueRef::Int(_) | ValueRef::Float(_) => {
            let x = match cell {
                ValueRef::Int(i) => i as f64,
                ValueRef::Float(x) => x,
                _ => f64::NAN,
            };
            wanted.parse::<f64>().is_ok_and(|w| w == x)
        }
        ValueRef::Bool(b) => matches!(
            (b, wanted.to_ascii_lowercase().as_str()),
            (true, "true" | "t" | "1") | (false, "false" | "f" | "0")
        ),
        ValueRef::DateTime(t) => {
            let s = t.to_string();
            let norm = |x: &str| x.trim_end_matches('Z').replace(' ', "T");
            norm(&s) == norm(wanted) || norm(&s).trim_end_matches(".000") == norm(wanted)
        }
        other => cell_text(other).is_some_and(|s| s == wanted),
    }
}

fn holds_words(row: &Row<'_>, fields: &[usize], words: &[String]) -> bool {
    if words.is_empty() {
        return true;
    }
    let mut tokens = Vec::new();
    for &f in fields {
        if let Some(s) = cell_text(row.get(f)) {
            tokens.extend(analyse(&s));
        }
    }
    words.iter().all(|w| tokens.contains(w))
}

/// Runs `search` over `d`.
pub fn search<'d>(d: &'d Dataset, s: &Search) -> Result<Page<'d>, UnknownField> {
    let schema = d.table.schema().fields();
    let columns: Vec<Column> = match &s.fields {
        None => std::iter::once(Column {
            name: "_id".into(),
            field: None,
            ds_type: "int",
        })
        .chain(schema.iter().enumerate().map(|(i, f)| Column {
            name: f.name.clone(),
            field: Some(i),
            ds_type: ds_type(f.field_type),
        }))
        .collect(),
        Some(names) => names
            .iter()
            .map(|n| {
                if n == "_id" {
                    return Ok(Column {
                        name: n.clone(),
                        field: None,
                        ds_type: "int",
                    });
                }
                let i = field_index(d, n, "fields")?;
                Ok(Column {
                    name: n.clone(),
                    field: Some(i),
                    ds_type: ds_type(schema[i].field_type),
                })
            })
            .collect::<Result<_, _>>()?,
    };
    let filters: Vec<(Option<usize>, &[String])> = s
        .filters
        .iter()
        .map(|(f, vals)| {
            if f == "_id" {
                Ok((None, vals.as_slice()))
            } else {
                Ok((Some(field_index(d, f, "filters")?), vals.as_slice()))
            }
        })
        .collect::<Result<_, _>>()?;
    let text_fields: Vec<usize> = schema
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(f.field_type, FieldType::Text))
        .map(|(i, _)| i)
        .collect();
    let q_words = s.q.as_deref().map(analyse).unwrap_or_default();
    let q_fields: Vec<(usize, Vec<String>)> = s
        .q_fields
        .iter()
        .map(|(f, text)| Ok((field_index(d, f, "q")?, analyse(text))))
        .collect::<Result<_, _>>()?;
    let sort: Vec<(Option<usize>, bool)> = s
        .sort
        .iter()
        .map(|(f, desc)| {
            if f == "_id" {
                Ok((None, *desc))
            } else {
                Ok((Some(field_index(d, f, "sort")?), *desc))
            }
        })
        .collect::<Result<_, _>>()?;

    let mut rows: Vec<Row<'d>> = d
        .table
        .rows(Lang::Fr)
        .filter(|row| {
            filters.iter().all(|(f, vals)| match f {
                None => vals
                    .iter()
                    .any(|v| v.trim().parse::<usize>() == Ok(row.index() + 1)),
                Some(f) => vals.iter().any(|v| equals(row.get(*f), v)),
            }) && holds_words(row, &text_fields, &q_words)
                && q_fields
                    .iter()
                    .all(|(f, words)| holds_words(row, &[*f], words))
        })
        .collect();
    if !sort.is_empty() {
        rows.sort_by(|a, b| {
            for (f, desc) in &sort {
                let o = match f {
                    None => a.index().cmp(&b.index()),
                    // PostgreSQL: nulls last ascending, first descending.
                    Some(f) => match (a.get(*f), b.get(*f)) {
                        (ValueRef::Null, ValueRef::Null) => Ordering::Equal,
                        (ValueRef::Null, _) => Ordering::Greater,
                        (_, ValueRef::Null) => Ordering::Less,
                        (x, y) => compare(x, y),
                    },
                };
                let o = if *desc { o.reverse() } else { o };
                if o != Ordering::Equal {
                    return o;
                }
            }
            a.index().cmp(&b.index())
        });
    }
    let total = rows.len();
    let rows = rows.into_iter().skip(s.offset).take(s.limit).collect();
    Ok(Page {
        columns,
        rows,
        total,
    })
}
