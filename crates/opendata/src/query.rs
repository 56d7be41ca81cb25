//! Running an Explore-style request over a dataset: `refine`/`exclude`, the ODSQL clauses,
//! `lang`, `timezone`, paging, facet counts.

use std::collections::HashMap;

use serde_json::Value as Json;
use territoria_model::Lang;
use territoria_odsql::{
    Bitmap, CompiledQuery, FieldDef, FieldType, Page, QueryText, Record, ResultSet, Schema, Value,
    ValueRef,
};

use crate::Error;
use crate::catalogue::Dataset;
use crate::table::{Row, Table};
use crate::tz::TimeZone;

/// The parameters of a records, facets or export request (already split; unparsed texts).
#[derive(Debug, Clone, Default)]
pub struct Request<'a> {
    pub select: Option<&'a str>,
    pub where_clause: Option<&'a str>,
    pub group_by: Option<&'a str>,
    pub order_by: Option<&'a str>,
    pub refine: Vec<&'a str>,
    pub exclude: Vec<&'a str>,
    pub lang: Option<&'a str>,
    pub timezone: Option<&'a str>,
}

/// The counts of one facet field, most frequent value first.
#[derive(Debug, Clone, PartialEq)]
pub struct FacetField {
    pub name: String,
    pub values: Vec<FacetValue>,
}

/// One value of a facet: `state` is `displayed`, `refined` or `excluded`.
#[derive(Debug, Clone, PartialEq)]
pub struct FacetValue {
    pub value: String,
    pub count: u64,
    pub state: &'static str,
}

/// One `refine` or `exclude` condition.
#[derive(Debug, Clone)]
struct Condition {
    field: usize,
    value: String,
    exclude: bool,
}

/// A request checked against a dataset, ready to run.
pub struct Plan<'d> {
    pub dataset: &'d Dataset,
    query: CompiledQuery,
    /// The same clauses plus `__row` (the row index) selected, for ordered exports.
    conditions: Vec<Condition>,
    pub lang: Lang,
    pub tz: TimeZone,
    /// `select` absent or `*`, no grouping: rows can be written straight from the columns.
    plain: bool,
    ordered: bool,
    text: OwnedText,
}

#[derive(Debug, Clone, Default)]
struct OwnedText {
    where_clause: Option<String>,
    order_by: Option<String>,
}

/// An output column: its name, label and type.
#[derive(Debug, Clone)]
pub struct OutColumn {
    pub name: String,
    pub label: String,
    pub field_type: Option<FieldType>,
}

/// The name of the hidden field that holds a row's index, for ordered exports.
const ROW_FIELD: &str = "__territoria_row";

struct Indexed<'a>(Row<'a>, usize);

impl Record for Indexed<'_> {
    fn value(&self, field: usize) -> ValueRef<'_> {
        if field == self.1 {
            ValueRef::Int(self.0.index() as i64)
        } else {
            self.0.get(field)
        }
    }
}

fn nonblank(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.trim().is_empty())
}

/// Parses `lang` (fr, en, nl, de; default fr).
pub fn parse_lang(lang: Option<&str>) -> Result<Lang, Error> {
    match nonblank(lang) {
        None => Ok(Lang::Fr),
        Some(l) => Lang::parse(l.get(..2).unwrap_or(l)).ok_or_else(|| {
            Error::parameter(format!(
                "Invalid value for lang API parameter: {l} was found but one of fr, en, nl, de is expected."
            ))
        }),
    }
}

/// Parses `timezone` (default UTC).
pub fn parse_timezone(tz: Option<&str>) -> Result<TimeZone, Error> {
    match nonblank(tz) {
        None => Ok(TimeZone::Utc),
        Some(z) => TimeZone::parse(z).ok_or_else(|| {
            Error::parameter(format!(
                "Invalid value for timezone API parameter: {z} is not a supported time zone \
                 (UTC, Europe/Brussels and the other EU zones, or an offset such as +02:00)."
            ))
        }),
    }
}

impl<'d> Plan<'d> {
    pub fn new(dataset: &'d Dataset, req: &Request<'_>) -> Result<Plan<'d>, Error> {
        let schema = dataset.table.schema();
        let text = QueryText {
            select: nonblank(req.select),
            where_clause: nonblank(req.where_clause),
            group_by: nonblank(req.group_by),
            order_by: nonblank(req.order_by),
        };
        let query = CompiledQuery::new(text, schema)?;
        let mut conditions = Vec::new();
        for (list, exclude) in [(&req.refine, false), (&req.exclude, true)] {
            for r in list.iter() {
                conditions.push(condition(&dataset.table, r, exclude)?);
            }
        }
        let plain = !query.is_aggregation() && text.select.is_none_or(|s| s.trim() == "*");
        Ok(Plan {
            dataset,
            ordered: text.order_by.is_some(),
            plain,
            query,
            conditions,
            lang: parse_lang(req.lang)?,
            tz: parse_timezone(req.timezone)?,
            text: OwnedText {
                where_clause: text.where_clause.map(str::to_owned),
                order_by: text.order_by.map(str::to_owned),
            },
        })
    }

    pub fn is_aggregation(&self) -> bool {
        self.query.is_aggregation()
    }

    /// The output columns with labels (a field's label in the plan's language; the column
    /// name for computed columns).
    pub fn columns(&self) -> Vec<OutColumn> {
        let specs = self.dataset.table.specs();
        if self.plain {
            return specs
                .iter()
                .map(|s| OutColumn {
                    name: s.def.name.clone(),
                    label: s.label(self.lang).to_owned(),
                    field_type: Some(s.def.field_type),
                })
                .collect();
        }
        self.query
            .columns()
            .iter()
            .map(|c| {
                let spec = specs.iter().find(|s| s.def.name == c.name);
                OutColumn {
                    name: c.name.clone(),
                    label: spec.map_or_else(|| c.name.clone(), |s| s.label(self.lang).to_owned()),
                    field_type: spec
                        .map(|s| s.def.field_type)
                        .or_else(|| FieldType::from_ods_name(c.value_type.name())),
                }
            })
            .collect()
    }

    fn passes(&self, row: &Row<'_>) -> bool {
        self.conditions.iter().all(|c| c.matches(row) != c.exclude)
    }

    /// The rows passing `refine` and `exclude` (`None`: every row, no condition).
    fn refined(&self) -> Option<Bitmap> {
        if self.conditions.is_empty() {
            return None;
        }
        let table = &self.dataset.table;
        let mut sel = Bitmap::full(table.len());
        for c in &self.conditions {
            let hit = table
                .rows_where_text(c.field, self.lang, |v| v == c.value)
                .unwrap_or_else(|| {
                    Bitmap::from_fn(table.len(), |r| c.matches(&table.row(r, self.lang)))
                });
            if c.exclude {
                sel.and_not(&hit);
            } else {
                sel.and(&hit);
            }
        }
        Some(sel)
    }

    /// The rows passing `refine`, `exclude` and `where`, evaluated column by column.
    pub fn selection(&self) -> Bitmap {
        let table = &self.dataset.table;
        let sel = self.refined().unwrap_or_else(|| Bitmap::full(table.len()));
        match self.query.filter() {
            Some(f) => f.select(&table.columns(self.lang), &sel),
            None => sel,
        }
    }

    fn rows(&self) -> impl Iterator<Item = Row<'d>> + '_ {
        let dataset: &'d Dataset = self.dataset;
        dataset
            .table
            .rows(self.lang)
            .filter(move |r| self.passes(r))
    }

    /// Runs the query and returns one page (records or groups), column by column.
    pub fn run(&self, page: Page) -> ResultSet {
        let table = &self.dataset.table;
        self.query
            .execute_columns(&table.columns(self.lang), self.refined(), page)
    }

    /// [`Plan::run`] through the row-at-a-time engine (the reference the columnar engine is
    /// tested against).
    pub fn run_rows(&self, page: Page) -> ResultSet {
        self.query.execute(self.rows(), page)
    }

    /// Whether `row` passes `refine`, `exclude` and `where`.
    pub fn matches(&self, row: &Row<'_>) -> bool {
        self.passes(row) && self.query.filter().is_none_or(|f| f.matches(row))
    }

    /// Streams every result, in order, from `offset`, at most `limit` (`None`: all), to
    /// `emit` — one call per row, values in [`Plan::columns`] order. Plain queries read the
    /// columns directly and hold nothing; ordered ones keep only row numbers.
    pub fn stream<E>(
        &self,
        offset: usize,
        limit: Option<usize>,
        emit: &mut dyn FnMut(&[ValueRef<'_>]) -> Result<(), E>,
    ) -> Result<u64, E> {
        let limit = limit.unwrap_or(usize::MAX);
        let mut n = 0u64;
        if self.query.is_aggregation() {
            let rs = self.run(Page {
                offset,
                limit: Some(limit),
            });
            for row in &rs.rows {
                let refs: Vec<ValueRef<'_>> = row.iter().map(Value::as_ref).collect();
                emit(&refs)?;
                n += 1;
            }
            return Ok(n);
        }
        let mut buf: Vec<ValueRef<'d>> = Vec::with_capacity(self.dataset.table.schema().len());
        let table: &'d Table = &self.dataset.table;
        let mut write_row = |row: &Row<'d>, buf: &mut Vec<ValueRef<'d>>| -> Result<(), E> {
            if self.plain {
                buf.clear();
                buf.extend((0..table.schema().len()).map(|f| row.get(f)));
                emit(buf)
            } else {
                let rs = self.query.execute(std::iter::once(*row), Page::default());
                match rs.rows.first() {
                    Some(values) => {
                        let refs: Vec<ValueRef<'_>> = values.iter().map(Value::as_ref).collect();
                        emit(&refs)
                    }
                    None => Ok(()),
                }
            }
        };
        if !self.ordered {
            let sel = self.selection();
            for i in sel.ones() {
                let row = table.row(i, self.lang);
                n += 1;
                if n as usize <= offset {
                    continue;
                }
                if n as usize > offset.saturating_add(limit) {
                    break;
                }
                write_row(&row, &mut buf)?;
            }
            return Ok(n.saturating_sub(offset as u64).min(limit as u64));
        }
        // Ordered: sort row numbers with the query's own order_by, then write the rows.
        let mut fields: Vec<FieldDef> = table.schema().fields().to_vec();
        let row_field = fields.len();
        fields.push(FieldDef::new(ROW_FIELD, FieldType::Int, ROW_FIELD));
        let extended = Schema::new(fields);
        let order = CompiledQuery::new(
            QueryText {
                select: Some(ROW_FIELD),
                where_clause: self.text.where_clause.as_deref(),
                group_by: None,
                order_by: self.text.order_by.as_deref(),
            },
            &extended,
        );
        let Ok(order) = order else {
            // The clauses compiled against the public schema; they compile here too.
            return Ok(0);
        };
        let rs = order.execute(
            self.rows().map(|r| Indexed(r, row_field)),
            Page {
                offset,
                limit: Some(limit),
            },
        );
        let indices: Vec<usize> = rs
            .rows
            .iter()
            .filter_map(|r| match r.first() {
                Some(Value::Int(i)) => Some(*i as usize),
                _ => None,
            })
            .collect();
        drop(rs);
        for i in indices {
            write_row(&table.row(i, self.lang), &mut buf)?;
            n += 1;
        }
        Ok(n)
    }

    /// Emits row `index` (whatever the filters) through the plan's `select`.
    pub fn stream_one<E>(
        &self,
        index: usize,
        emit: &mut dyn FnMut(&[ValueRef<'_>]) -> Result<(), E>,
    ) -> Result<(), E> {
        let table: &'d Table = &self.dataset.table;
        let row = table.row(index, self.lang);
        if self.plain {
            let values: Vec<ValueRef<'d>> = (0..table.schema().len()).map(|f| row.get(f)).collect();
            return emit(&values);
        }
        let rs = self.query.execute(std::iter::once(row), Page::default());
        match rs.rows.first() {
            Some(values) => {
                let refs: Vec<ValueRef<'_>> = values.iter().map(Value::as_ref).collect();
                emit(&refs)
            }
            None => Ok(()),
        }
    }

    /// Facet counts over the matching records, for `names` (default: the dataset's facet
    /// fields), in Opendatasoft's shape.
    pub fn facets(&self, names: &[&str]) -> Result<Vec<FacetField>, Error> {
        let table = &self.dataset.table;
        let specs = table.specs();
        let fields: Vec<usize> = if names.is_empty() {
            (0..specs.len()).filter(|&i| specs[i].facet).collect()
        } else {
            names
                .iter()
                .map(|n| {
                    table.schema().index_of(n).ok_or_else(|| {
                        Error::parameter(format!(
                            "Invalid value for facet API parameter: {n} is not a field of dataset {}.",
                            self.dataset.meta.id
                        ))
                    })
                })
                .collect::<Result<_, _>>()?
        };
        enum Counter {
            Codes(Vec<u64>),
            /// A multi-valued field: each value of a record counts.
            Multi(Vec<u64>),
            Values(HashMap<String, u64>),
        }
        let mut counters: Vec<Counter> = fields
            .iter()
            .map(|&f| match table.dictionary(f, self.lang) {
                Some(d) if table.is_multi(f) => Counter::Multi(vec![0; d.len()]),
                Some(d) => Counter::Codes(vec![0; d.len()]),
                None => Counter::Values(HashMap::new()),
            })
            .collect();
        let sel = self.selection();
        for i in sel.ones() {
            let row = table.row(i, self.lang);
            for (k, &f) in fields.iter().enumerate() {
                match &mut counters[k] {
                    Counter::Codes(c) => {
                        if let Some(code) = table.code(f, row.index()) {
                            c[code as usize] += 1;
                        }
                    }
                    Counter::Multi(c) => {
                        for &code in table.codes(f, row.index()) {
                            c[code as usize] += 1;
                        }
                    }
                    Counter::Values(m) => {
                        let v = row.get(f);
                        if !v.is_null() {
                            *m.entry(facet_text(v, self.tz)).or_insert(0) += 1;
                        }
                    }
                }
            }
        }
        let mut out = Vec::new();
        for (k, &f) in fields.iter().enumerate() {
            let mut values: Vec<(String, u64)> = match &counters[k] {
                Counter::Codes(c) | Counter::Multi(c) => {
                    let dict = table.dictionary(f, self.lang).unwrap_or_default();
                    c.iter()
                        .enumerate()
                        .filter(|(_, n)| **n > 0)
                        .map(|(i, n)| (dict[i].to_owned(), *n))
                        .collect()
                }
                Counter::Values(m) => m.iter().map(|(v, n)| (v.clone(), *n)).collect(),
            };
            values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let mut entries: Vec<FacetValue> = values
                .into_iter()
                .map(|(value, count)| {
                    let refined = self
                        .conditions
                        .iter()
                        .any(|c| c.field == f && !c.exclude && c.value == value);
                    FacetValue {
                        value,
                        count,
                        state: if refined { "refined" } else { "displayed" },
                    }
                })
                .collect();
            for c in self.conditions.iter().filter(|c| c.field == f && c.exclude) {
                entries.push(FacetValue {
                    value: c.value.clone(),
                    count: 0,
                    state: "excluded",
                });
            }
            out.push(FacetField {
                name: specs[f].def.name.clone(),
                values: entries,
            });
        }
        Ok(out)
    }
}

/// A value as Opendatasoft's JSON shows it (date-times in `tz`).
pub fn json_value(v: ValueRef<'_>, tz: TimeZone) -> Json {
    match v {
        ValueRef::DateTime(t) => Json::String(tz.format(t)),
        _ => v.to_owned().to_json(),
    }
}

/// The text a facet shows for a value: dates as `YYYY-MM-DD`, booleans `true`/`false`.
fn facet_text(v: ValueRef<'_>, tz: TimeZone) -> String {
    match v {
        ValueRef::Text(s) => s.to_owned(),
        ValueRef::Bool(b) => b.to_string(),
        ValueRef::Int(i) => i.to_string(),
        ValueRef::Float(x) => x.to_string(),
        ValueRef::Date(d) => d.to_string(),
        ValueRef::DateTime(t) => tz.format(t),
        ValueRef::Geo(p) => format!("{}, {}", p.lat, p.lon),
        ValueRef::Null => String::new(),
    }
}

fn condition(table: &Table, text: &str, exclude: bool) -> Result<Condition, Error> {
    let param = if exclude { "exclude" } else { "refine" };
    let bad = || {
        Error::parameter(format!(
            "Invalid value for {param} API parameter: {text} was found but field:value is expected."
        ))
    };
    // `field:value` or `` `field name`:value `` (a backquoted name may hold a colon).
    let trimmed = text.trim_start();
    let (name, value) = match trimmed.strip_prefix('`') {
        Some(rest) => {
            let (name, after) = rest.split_once('`').ok_or_else(bad)?;
            let value = after.trim_start().strip_prefix(':').ok_or_else(bad)?;
            (name, value)
        }
        None => text.split_once(':').ok_or_else(bad)?,
    };
    let name = name.trim();
    let value = value.trim();
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    let field = table.schema().index_of(name).ok_or_else(|| {
        let facets: Vec<&str> = table
            .specs()
            .iter()
            .filter(|s| s.facet)
            .map(|s| s.def.name.as_str())
            .collect();
        Error::parameter(format!(
            "Invalid value for {param} API parameter: {name} is not a field of this dataset \
             (facets: {}).",
            facets.join(", ")
        ))
    })?;
    Ok(Condition {
        field,
        value: value.to_owned(),
        exclude,
    })
}

impl Condition {
    fn matches(&self, row: &Row<'_>) -> bool {
        // A multi-valued field: one of its values.
        if let Some(mut items) = row.table().items(self.field, row.index()) {
            return items.any(|v| v == self.value);
        }
        match row.get(self.field) {
            ValueRef::Null => false,
            ValueRef::Text(s) => s == self.value,
            ValueRef::Bool(b) => match self.value.as_str() {
                "true" | "1" | "True" => b,
                "false" | "0" | "False" => !b,
                _ => false,
            },
            ValueRef::Int(i) => self.value.parse::<f64>().is_ok_and(|x| x == i as f64),
            ValueRef::Float(x) => self.value.parse::<f64>().is_ok_and(|y| x == y),
            // Dates refine by prefix: 2024, 2024-05 (or 2024/05), 2024-05-07.
            ValueRef::Date(d) => date_prefix(&d.to_string(), &self.value),
            ValueRef::DateTime(t) => date_prefix(&t.to_string(), &self.value),
            ValueRef::Geo(_) => false,
        }
    }
}

fn date_prefix(iso: &str, value: &str) -> bool {
    let v = value.replace('/', "-");
    !v.is_empty()
        && iso.starts_with(&v)
        && matches!(iso.as_bytes().get(v.len()), None | Some(b'-' | b'T'))
}
