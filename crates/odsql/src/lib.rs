//! The Opendatasoft Query Language (ODSQL) of the Explore API v2.1, as Territoria speaks it:
//! parsing, type checking against a dataset's fields, and evaluation over in-memory records.
//! No HTTP and no I/O: the server turns an [`OdsqlError`] into
//! `400 {"message": …, "error_code": "ODSQLError"}` and feeds records through [`Record`].
//!
//! ```text
//!  select / where / group_by / order_by texts
//!        │ parse_*            (bounded: MAX_LENGTH, MAX_DEPTH; never panics)
//!        ▼
//!  Query (AST with byte positions; Display prints the canonical text)
//!        │ compile(schema)    (unknown fields with suggestions, types, literal conversion)
//!        ▼
//!  CompiledQuery ── execute(records, page) ──► ResultSet { total_count, rows }
//!        filter → hash grouping + aggregates → order_by → offset/limit
//! ```
//!
//! The dialect:
//!
//! - literals: `"text"` or `'text'` (`\"`, `\'`, `\\` escapes), `12`, `1.5`, `true`/`false`,
//!   `date'2024-01-31'` (also `YYYY`, `YYYY-MM`, ISO 8601 date-times), `geom'POINT(lon lat)'`
//!   (or a GeoJSON point); fields bare (`population`) or backquoted (`` `my field` ``);
//! - `where`: `AND` (binds tighter) / `OR` / `NOT`, parentheses, `= != <> < <= > >=`,
//!   `field:value` (words of the value in a text field; `=` otherwise), a bare string
//!   (`"action movie*"`: full-text search over the text fields), `search(text)`,
//!   `search(*, text)`, `search(field, …, text)`, `suggest(…)` (the same, each word a
//!   prefix), `startswith([field, …,] text)`, `field LIKE "word* %ville"`,
//!   `field IN (a, b)`, `field IN [a..b]` or `field:[a TO b]` (`]a..b[` excludes the bounds;
//!   bounds may be unquoted dates `2024-01-31`), `IS [NOT] NULL`, `IS [NOT] TRUE|FALSE`,
//!   `within_distance(field, geom'POINT(4.35 50.85)', 10km)` (mm, cm, m, km, ft, yd, mi; also
//!   `distance(…)`), `in_bbox(field, lat1, lon1, lat2, lon2)`,
//!   `intersects(field, geom'POLYGON((…))')` (or `polygon(…)`; WKT or GeoJSON polygons and
//!   multipolygons, holes left out: point-in-polygon for point fields);
//! - expressions: `+ - * /`, `year(d)`, `month(d)`, `day(d)`, `lower(t)`, `upper(t)`,
//!   `length(t)`, `now()` (`now(days=-7)` shifts, `now(month=1)` sets), `date_format(d,
//!   "yyyy-MM-dd")`;
//! - `select`: `*`, expressions with `AS alias`, `include(pattern*)`, `exclude(pattern*)`,
//!   aggregates `count(*)`, `count(e)`, `sum`, `avg`, `min`, `max`, `median`,
//!   `percentile(e, p)`;
//! - `group_by`: expressions and aliases, `range(f, 10)` (equal-width buckets labelled by their
//!   lower bound), `range(f, *, 10, 20, *)` (buckets `[*, 10[`, `[10, 20[`, `[20, *[`),
//!   `range(date, 1 month)` (calendar buckets: millisecond … day, week from Monday, month,
//!   quarter, year; labelled by their start);
//! - `order_by`: expressions or aliases, `ASC`/`DESC`; nulls last.
//!
//! Keywords and function names are case-insensitive. Text matching (search, `:`, `LIKE`) works
//! on words, ignoring case and accents; `=` and `startswith` compare exactly.
//!
//! ```
//! use territoria_odsql::{CompiledQuery, FieldDef, FieldType, Page, QueryText, Schema, Value};
//!
//! let schema = Schema::new([
//!     FieldDef::new("commune", FieldType::Text, "Commune"),
//!     FieldDef::new("population", FieldType::Int, "Population"),
//! ]);
//! let rows = vec![
//!     vec![Value::Text("Namur".into()), Value::Int(113_000)],
//!     vec![Value::Text("Liège".into()), Value::Int(197_000)],
//!     vec![Value::Text("Andenne".into()), Value::Int(27_000)],
//! ];
//! let q = CompiledQuery::new(
//!     QueryText {
//!         select: Some("commune, population / 1000 AS k"),
//!         where_clause: Some("population > 50000 AND NOT commune = 'Namur'"),
//!         ..QueryText::default()
//!     },
//!     &schema,
//! )
//! .unwrap();
//! let page = q.execute(&rows, Page { offset: 0, limit: Some(10) });
//! assert_eq!(page.total_count, 1);
//! assert_eq!(page.rows[0], vec![Value::Text("Liège".into()), Value::Float(197.0)]);
//!
//! let e = CompiledQuery::new(QueryText { where_clause: Some("popultion > 3"), ..Default::default() }, &schema)
//!     .unwrap_err();
//! assert_eq!((e.clause.as_str(), e.position), ("where", 0));
//! assert_eq!(
//!     e.to_string(),
//!     "ODSQL query is malformed: Unknown field: popultion (did you mean 'population'?). \
//!      Clause(s) containing the error(s): where."
//! );
//! ```

mod ast;
mod colgroups;
mod columnar;
mod compile;
mod error;
mod eval;
mod parse;
mod query;
mod suggest;
mod text;
mod value;

#[cfg(test)]
mod tests;

pub use ast::{
    BinaryOp, DistanceUnit, Expr, ExprKind, Function, GroupItem, GroupKey, IntervalUnit, Literal,
    MAX_FIELDS, OrderItem, SelectItem, print_list,
};
pub use columnar::{Bitmap, Codes, ColumnView, Columns, GeoIndex, KeyCache, WordIndex};
pub use error::{Clause, ErrorKind, OdsqlError};
pub use parse::{parse_group_by, parse_order_by, parse_select, parse_where};
pub use query::{
    Column, CompiledQuery, Filter, Page, Query, QueryText, ResultSet, canonical_text, compile_where,
};
pub use value::{
    Date, DateTime, FieldDef, FieldType, GeoPoint, Record, Schema, Shape, Temporal, Value,
    ValueRef, ValueType, compare, parse_temporal,
};

/// Longest accepted clause, in bytes.
pub const MAX_LENGTH: usize = 16_384;
/// Deepest accepted nesting: parentheses, function arguments, `NOT`, unary `-` and each
/// operand of a chain of `+ - * /` count one level.
pub const MAX_DEPTH: usize = 64;
