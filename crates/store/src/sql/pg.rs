//! [`Conn`] over a PostgreSQL client (the `postgres` crate, synchronous).
//!
//! Statements are written with `?N` placeholders and rewritten to `$N` once, when first
//! prepared on this connection. Parameters bind to whatever type PostgreSQL inferred
//! for them (an integer to `bigint`, `integer` or `boolean`; a number to `double
//! precision`), as SQLite would take them; results come back as [`Value`]s.

use std::cell::RefCell;
use std::collections::HashMap;
use std::error::Error;

use bytes::BytesMut;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, Statement};

use super::{Conn, EntityRow, Param, Row, ToParam, Value, dollar_placeholders};
use crate::{Result, StoreError};

/// A PostgreSQL client seen through [`Conn`], with the statements it prepared.
pub(crate) struct PgConn<'c> {
    client: RefCell<&'c mut Client>,
    statements: RefCell<HashMap<String, Statement>>,
}

impl<'c> PgConn<'c> {
    pub(crate) fn new(client: &'c mut Client) -> Self {
        Self {
            client: RefCell::new(client),
            statements: RefCell::new(HashMap::new()),
        }
    }

    fn client(&self) -> Result<std::cell::RefMut<'_, &'c mut Client>> {
        self.client.try_borrow_mut().map_err(|_| {
            StoreError::Internal("a query was started while another one was being read".into())
        })
    }

    fn statement(&self, client: &mut Client, sql: &str) -> Result<Statement> {
        if let Some(st) = self.statements.borrow().get(sql) {
            return Ok(st.clone());
        }
        let st = client
            .prepare(&dollar_placeholders(sql))
            .map_err(pg_error)?;
        self.statements
            .borrow_mut()
            .insert(sql.to_owned(), st.clone());
        Ok(st)
    }
}

/// A driver error as a store error, with the server's message and detail.
pub(crate) fn pg_error(e: postgres::Error) -> StoreError {
    match e.as_db_error() {
        Some(db) => StoreError::Internal(format!(
            "PostgreSQL: {}{}",
            db.message(),
            db.detail().map(|d| format!(" ({d})")).unwrap_or_default()
        )),
        None => StoreError::Internal(format!("PostgreSQL: {e}")),
    }
}

#[derive(Debug)]
struct P<'a>(Param<'a>);

fn unbindable(what: &str, ty: &Type) -> Box<dyn Error + Sync + Send> {
    format!("cannot bind {what} to a parameter of type {ty}").into()
}

impl ToSql for P<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self.0 {
            Param::Null => Ok(IsNull::Yes),
            Param::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(i)?.to_sql(ty, out),
                Type::BOOL => (i != 0).to_sql(ty, out),
                Type::FLOAT8 => (i as f64).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => i.to_string().as_str().to_sql(ty, out),
                _ => Err(unbindable("an integer", ty)),
            },
            Param::Real(f) => match *ty {
                Type::FLOAT8 => f.to_sql(ty, out),
                Type::FLOAT4 => (f as f32).to_sql(ty, out),
                _ => Err(unbindable("a number", ty)),
            },
            Param::Text(s) => match *ty {
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    s.to_sql(ty, out)
                }
                _ => Err(unbindable("a text", ty)),
            },
            Param::Ints(list) => match *ty {
                Type::INT8_ARRAY => list.to_sql(ty, out),
                _ => Err(unbindable("an integer list", ty)),
            },
            Param::Blob(b) => match *ty {
                Type::BYTEA => b.to_sql(ty, out),
                _ => Err(unbindable("bytes", ty)),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

struct V(Value);

impl<'a> FromSql<'a> for V {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
        Ok(V(match *ty {
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Value::Int(i16::from_sql(ty, raw)?.into()),
            Type::BOOL => Value::Int(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::BYTEA => Value::Blob(raw.to_vec()),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                Value::Text(<&str>::from_sql(ty, raw)?.to_owned())
            }
            _ => return Err(format!("a column of type {ty} is not read by the store").into()),
        }))
    }

    fn from_sql_null(_: &Type) -> Result<Self, Box<dyn Error + Sync + Send>> {
        Ok(V(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

fn row(r: &postgres::Row, into: &mut Row) -> Result<()> {
    into.0.clear();
    for i in 0..r.len() {
        let v: V = r
            .try_get(i)
            .map_err(|e| StoreError::Internal(format!("PostgreSQL column {i}: {e}")))?;
        into.0.push(v.0);
    }
    Ok(())
}

impl Conn for PgConn<'_> {
    fn dialect(&self) -> super::Dialect {
        super::Dialect::Postgres
    }

    fn execute(&self, sql: &str, params: &[&dyn ToParam]) -> Result<u64> {
        let mut client = self.client()?;
        let st = self.statement(&mut client, sql)?;
        let bound: Vec<P<'_>> = params.iter().map(|p| P(p.param())).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = bound.iter().map(|p| p as _).collect();
        client.execute(&st, &refs).map_err(pg_error)
    }

    fn query(
        &self,
        sql: &str,
        params: &[&dyn ToParam],
        visit: &mut dyn FnMut(&Row) -> Result<()>,
    ) -> Result<()> {
        let mut client = self.client()?;
        let st = self.statement(&mut client, sql)?;
        let mut rows = client
            .query_raw(&st, params.iter().map(|p| P(p.param())))
            .map_err(pg_error)?;
        let mut out = Row(Vec::with_capacity(st.columns().len()));
        while let Some(r) = rows.next().map_err(pg_error)? {
            row(&r, &mut out)?;
            visit(&out)?;
        }
        Ok(())
    }

    fn batch(&self, sql: &str) -> Result<()> {
        self.client()?.batch_execute(sql).map_err(pg_error)
    }

    fn copy_in(&self, table: &str, columns: &[String], rows: &[Vec<Value>]) -> Result<()> {
        use std::io::Write;
        if rows.is_empty() {
            return Ok(());
        }
        let mut client = self.client()?;
        let mut w = client
            .copy_in(&format!("COPY {table} ({}) FROM STDIN", columns.join(", ")))
            .map_err(pg_error)?;
        let mut line = String::new();
        for row in rows {
            line.clear();
            for (i, v) in row.iter().enumerate() {
                if i > 0 {
                    line.push('\t');
                }
                copy_text(v, &mut line);
            }
            line.push('\n');
            w.write_all(line.as_bytes())
                .map_err(|e| StoreError::Internal(format!("COPY {table}: {e}")))?;
        }
        w.finish().map_err(pg_error)?;
        Ok(())
    }

    fn insert_entity(&self, e: &EntityRow<'_>, unique_indexes: bool) -> Result<Option<i64>> {
        // With the unique index standing it arbitrates; while it is dropped (a bulk
        // write) the write path has checked the key against every key it loaded.
        let sql = if unique_indexes {
            concat!(
                super::insert_entity_sql!(),
                " ON CONFLICT (kind, key) DO NOTHING RETURNING id"
            )
        } else {
            concat!(super::insert_entity_sql!(), " RETURNING id")
        };
        super::opt(
            self,
            sql,
            super::params![
                e.kind,
                e.key,
                e.name,
                e.labels,
                e.description,
                e.attributes,
                e.concepts,
                e.source_id,
                e.source_date,
                e.inferred,
                e.demo,
                e.audit_id
            ],
        )
    }
}

/// A value in `COPY`'s text format: `\N` for null, backslash escapes for the
/// separators, `\\x…` hex for bytes.
pub(crate) fn copy_text(v: &Value, out: &mut String) {
    use std::fmt::Write;
    match v {
        Value::Null => out.push_str("\\N"),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Real(f) if f.is_nan() => out.push_str("NaN"),
        Value::Real(f) if f.is_infinite() => {
            out.push_str(if *f > 0.0 { "Infinity" } else { "-Infinity" })
        }
        // Rust's shortest round-trip form: the same double comes back.
        Value::Real(f) => {
            let _ = write!(out, "{f:?}");
        }
        Value::Text(s) => {
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
        }
        Value::Blob(b) => {
            out.push_str("\\\\x");
            for byte in b {
                let _ = write!(out, "{byte:02x}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_what_copy_reads_specially() {
        let mut s = String::new();
        for v in [
            Value::Null,
            Value::Int(-3),
            Value::Real(0.1),
            Value::Text("a\tb\nc\\d\re".into()),
            Value::Blob(vec![0, 255]),
        ] {
            copy_text(&v, &mut s);
            s.push('|');
        }
        assert_eq!(s, "\\N|-3|0.1|a\\tb\\nc\\\\d\\re|\\\\x00ff|");
    }
}
