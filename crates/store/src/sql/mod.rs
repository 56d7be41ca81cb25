//! The portable connection layer the backend-neutral code (the write path, concept
//! membership) runs on: one SQL text for both dialects, written with SQLite's numbered
//! placeholders (`?1`), which the PostgreSQL connection rewrites to `$1`.
//!
//! Values cross it as [`Param`] (borrowed, no copy of texts or bitmaps) and come back
//! as [`Value`], with the few conversions the callers need ([`FromValue`]). Integers
//! and booleans are one kind, as in SQLite (`demo = 1`): the PostgreSQL schema stores
//! flags as integers so that the same statements work on both.
//!
//! Dialect-specific statements stay behind the connection's own methods
//! ([`Conn::insert_entity`]), so that a backend keeps its fast path (SQLite's held
//! statement and constraint code, PostgreSQL's `ON CONFLICT … RETURNING`).

// Without the `postgres` feature some of the layer's PostgreSQL side goes unused.
#![cfg_attr(not(feature = "postgres"), allow(dead_code, unused_imports))]

use crate::{Result, StoreError};

#[cfg(feature = "postgres")]
pub(crate) mod pg;
pub(crate) mod sqlite;

/// A borrowed statement parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Param<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
    /// A list of integers, bound as an array (PostgreSQL: `CAST(?1 AS bigint[])`).
    /// Only the PostgreSQL connection takes it.
    Ints(&'a [i64]),
}

/// Something that can be bound as a statement parameter.
pub(crate) trait ToParam {
    fn param(&self) -> Param<'_>;
}

macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl ToParam for $t {
            fn param(&self) -> Param<'_> {
                Param::Int(i64::from(*self))
            }
        }
    )*};
}
int_param!(i64, i32, u32, u16, bool);

impl ToParam for f64 {
    fn param(&self) -> Param<'_> {
        Param::Real(*self)
    }
}

impl ToParam for str {
    fn param(&self) -> Param<'_> {
        Param::Text(self)
    }
}

impl ToParam for String {
    fn param(&self) -> Param<'_> {
        Param::Text(self)
    }
}

impl ToParam for [u8] {
    fn param(&self) -> Param<'_> {
        Param::Blob(self)
    }
}

impl ToParam for [i64] {
    fn param(&self) -> Param<'_> {
        Param::Ints(self)
    }
}

impl ToParam for Vec<i64> {
    fn param(&self) -> Param<'_> {
        Param::Ints(self)
    }
}

impl ToParam for Vec<u8> {
    fn param(&self) -> Param<'_> {
        Param::Blob(self)
    }
}

impl<T: ToParam + ?Sized> ToParam for &T {
    fn param(&self) -> Param<'_> {
        (**self).param()
    }
}

impl<T: ToParam> ToParam for Option<T> {
    fn param(&self) -> Param<'_> {
        match self {
            Some(v) => v.param(),
            None => Param::Null,
        }
    }
}

impl ToParam for Value {
    fn param(&self) -> Param<'_> {
        match self {
            Value::Null => Param::Null,
            Value::Int(i) => Param::Int(*i),
            Value::Real(f) => Param::Real(*f),
            Value::Text(s) => Param::Text(s),
            Value::Blob(b) => Param::Blob(b),
        }
    }
}

/// `[&a, &b, …]` as a parameter slice.
macro_rules! params {
    () => { &[] as &[&dyn $crate::sql::ToParam] };
    ($($p:expr),+ $(,)?) => { &[$(&$p as &dyn $crate::sql::ToParam),+] as &[&dyn $crate::sql::ToParam] };
}
pub(crate) use params;

/// An owned column value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// One result row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row(pub(crate) Vec<Value>);

impl Row {
    pub(crate) fn get<T: FromValue>(&self, i: usize) -> Result<T> {
        let v = self
            .0
            .get(i)
            .ok_or_else(|| StoreError::Internal(format!("no column {i} in the row")))?;
        T::from_value(v).ok_or_else(|| {
            StoreError::Internal(format!(
                "column {i} holds {v:?}, not a {}",
                std::any::type_name::<T>()
            ))
        })
    }

    pub(crate) fn text(&self, i: usize) -> Result<&str> {
        match self.0.get(i) {
            Some(Value::Text(s)) => Ok(s),
            other => Err(StoreError::Internal(format!(
                "column {i} holds {other:?}, not a text"
            ))),
        }
    }

    pub(crate) fn blob(&self, i: usize) -> Result<&[u8]> {
        match self.0.get(i) {
            Some(Value::Blob(b)) => Ok(b),
            other => Err(StoreError::Internal(format!(
                "column {i} holds {other:?}, not bytes"
            ))),
        }
    }
}

/// Conversion of a column value.
pub(crate) trait FromValue: Sized {
    fn from_value(v: &Value) -> Option<Self>;
}

impl FromValue for i64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
}

impl FromValue for u32 {
    fn from_value(v: &Value) -> Option<Self> {
        i64::from_value(v).and_then(|i| u32::try_from(i).ok())
    }
}

impl FromValue for u64 {
    fn from_value(v: &Value) -> Option<Self> {
        i64::from_value(v).and_then(|i| u64::try_from(i).ok())
    }
}

impl FromValue for bool {
    fn from_value(v: &Value) -> Option<Self> {
        i64::from_value(v).map(|i| i != 0)
    }
}

impl FromValue for f64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Real(f) => Some(*f),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
}

impl FromValue for String {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Blob(b) => Some(b.clone()),
            _ => None,
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Null => Some(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// The columns of an entity row the write path inserts, in statement order.
pub(crate) struct EntityRow<'a> {
    pub kind: &'a str,
    pub key: &'a str,
    pub name: &'a str,
    pub labels: &'a str,
    pub description: &'a str,
    pub attributes: &'a str,
    pub concepts: &'a str,
    pub source_id: i64,
    pub source_date: Option<&'a str>,
    pub inferred: bool,
    pub demo: bool,
    pub audit_id: i64,
}

/// The insert of an entity row, shared by both dialects but for the conflict clause.
macro_rules! insert_entity_sql {
    () => {
        "INSERT INTO entities(kind, key, name, labels, description, attributes, concepts, source_id, source_date, inferred, demo, audit_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
    };
}
pub(crate) use insert_entity_sql;
pub(crate) const INSERT_ENTITY: &str = insert_entity_sql!();

/// The insert of an organisation's details.
pub(crate) const INSERT_ORGANISATION: &str = "INSERT INTO organisations(entity_id, kbo, founded, employees, website) VALUES (?1, ?2, ?3, ?4, ?5)";

/// Which SQL a connection speaks, for the few statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// Whether a bulk write drops its deferrable indexes and builds them again
    /// (`write.rs`): on SQLite readers keep their snapshot meanwhile; on PostgreSQL the
    /// drop would lock the table against every reader until the commit.
    pub(crate) fn defers_indexes(self) -> bool {
        self == Dialect::Sqlite
    }

    /// A table expression of the ids in a JSON array column (`[12,407]`), one row each
    /// in a column `value`, to follow `CROSS JOIN` and be aliased.
    pub(crate) fn json_ids(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => format!("json_each({column})"),
            Dialect::Postgres => format!(
                "LATERAL (SELECT j.value::bigint AS value FROM jsonb_array_elements_text({column}::jsonb) AS j(value))"
            ),
        }
    }
}

/// A connection (inside a transaction, for writes) of either backend.
pub(crate) trait Conn {
    fn dialect(&self) -> Dialect;

    /// Runs a statement; the number of rows it changed.
    fn execute(&self, sql: &str, params: &[&dyn ToParam]) -> Result<u64>;
    /// Visits every row of a query, in order.
    fn query(
        &self,
        sql: &str,
        params: &[&dyn ToParam],
        visit: &mut dyn FnMut(&Row) -> Result<()>,
    ) -> Result<()>;
    /// Several statements without parameters.
    fn batch(&self, sql: &str) -> Result<()>;

    /// The first row of a query, if any.
    fn query_row(&self, sql: &str, params: &[&dyn ToParam]) -> Result<Option<Row>> {
        let mut first = None;
        self.query(sql, params, &mut |r| {
            if first.is_none() {
                first = Some(r.clone());
            }
            Ok(())
        })?;
        Ok(first)
    }

    /// Inserts an entity row: its new id, or `None` when `(kind, key)` is taken. While
    /// `unique_indexes` is false the write path has checked the key itself.
    fn insert_entity(&self, row: &EntityRow<'_>, unique_indexes: bool) -> Result<Option<i64>>;

    /// Inserts an organisation's details.
    /// Appends rows (values in `columns` order) to a table, for whole-store copies.
    /// One INSERT per row here; PostgreSQL streams them with `COPY … FROM STDIN`.
    fn copy_in(&self, table: &str, columns: &[String], rows: &[Vec<Value>]) -> Result<()> {
        let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
        let insert = format!(
            "INSERT INTO {table}({}) VALUES ({})",
            columns.join(", "),
            marks.join(", ")
        );
        for row in rows {
            let ps: Vec<&dyn ToParam> = row.iter().map(|v| v as &dyn ToParam).collect();
            self.execute(&insert, &ps)?;
        }
        Ok(())
    }

    fn insert_organisation(
        &self,
        entity_id: i64,
        kbo: Option<&str>,
        founded: Option<&str>,
        employees: Option<u32>,
        website: Option<&str>,
    ) -> Result<()> {
        self.execute(
            INSERT_ORGANISATION,
            params![entity_id, kbo, founded, employees, website],
        )?;
        Ok(())
    }
}

/// The first column of the first row (an error when there is no row).
pub(crate) fn one<T: FromValue>(c: &dyn Conn, sql: &str, params: &[&dyn ToParam]) -> Result<T> {
    match c.query_row(sql, params)? {
        Some(r) => r.get(0),
        None => Err(StoreError::Internal(format!("no row from `{sql}`"))),
    }
}

/// The first column of the first row, if there is a row.
pub(crate) fn opt<T: FromValue>(
    c: &dyn Conn,
    sql: &str,
    params: &[&dyn ToParam],
) -> Result<Option<T>> {
    c.query_row(sql, params)?.map(|r| r.get(0)).transpose()
}

/// Rewrites SQLite's placeholders to PostgreSQL's: `?N` to `$N`, and a bare `?` to
/// the number after the largest one so far, as SQLite numbers it (the statements hold
/// no question mark anywhere else: no string literal of them contains one).
pub(crate) fn dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    let mut largest = 0u32;
    while let Some(c) = chars.next() {
        if c != '?' {
            out.push(c);
            continue;
        }
        let mut n = 0u32;
        let mut digits = false;
        while let Some(d) = chars.peek().and_then(|d| d.to_digit(10)) {
            n = n * 10 + d;
            digits = true;
            chars.next();
        }
        if !digits {
            n = largest + 1;
        }
        largest = largest.max(n);
        out.push('$');
        out.push_str(&n.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_rewritten_for_postgresql() {
        assert_eq!(
            dollar_placeholders("SELECT id FROM t WHERE a = ?1 AND b = COALESCE(?12, 0)"),
            "SELECT id FROM t WHERE a = $1 AND b = COALESCE($12, 0)"
        );
        assert_eq!(
            dollar_placeholders("WHERE k = ? AND id IN (?,?,?)"),
            "WHERE k = $1 AND id IN ($2,$3,$4)"
        );
    }

    #[test]
    fn values_convert_as_sqlite_stores_them() {
        let r = Row(vec![
            Value::Int(1),
            Value::Null,
            Value::Text("x".into()),
            Value::Real(2.5),
        ]);
        assert!(r.get::<bool>(0).unwrap());
        assert_eq!(r.get::<Option<i64>>(1).unwrap(), None);
        assert_eq!(r.get::<String>(2).unwrap(), "x");
        assert_eq!(r.get::<f64>(0).unwrap(), 1.0);
        assert!(r.get::<i64>(2).is_err());
        assert!(r.get::<i64>(3).is_err());
        assert!(r.get::<i64>(9).is_err());
    }
}
