//! [`Conn`] over a rusqlite connection (or transaction).

use std::cell::RefCell;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, Statement, params_from_iter};

use super::{Conn, EntityRow, INSERT_ENTITY, INSERT_ORGANISATION, Param, Row, ToParam, Value};
use crate::Result;

/// A rusqlite connection seen through [`Conn`]; statements come from its cache, but for
/// the bulk path's two inserts, prepared once and held (the cache would hash their text
/// on every row).
pub(crate) struct SqliteConn<'c> {
    conn: &'c Connection,
    insert_entity: RefCell<Option<Statement<'c>>>,
    insert_organisation: RefCell<Option<Statement<'c>>>,
}

impl<'c> SqliteConn<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Self {
        Self {
            conn,
            insert_entity: RefCell::new(None),
            insert_organisation: RefCell::new(None),
        }
    }
}

struct P<'a>(Param<'a>);

impl rusqlite::ToSql for P<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Param::Ints(_) => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    "an integer list is bound through rarray on SQLite".into(),
                ));
            }
            Param::Null => ValueRef::Null,
            Param::Int(i) => ValueRef::Integer(i),
            Param::Real(f) => ValueRef::Real(f),
            Param::Text(s) => ValueRef::Text(s.as_bytes()),
            Param::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

fn bind<'a>(params: &'a [&'a dyn ToParam]) -> impl Iterator<Item = P<'a>> {
    params.iter().map(|p| P(p.param()))
}

fn value(v: ValueRef<'_>) -> Result<Value> {
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(
            std::str::from_utf8(t)
                .map_err(|e| {
                    crate::StoreError::Internal(format!("a text column is not UTF-8: {e}"))
                })?
                .to_owned(),
        ),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    })
}

impl Conn for SqliteConn<'_> {
    fn dialect(&self) -> super::Dialect {
        super::Dialect::Sqlite
    }

    fn execute(&self, sql: &str, params: &[&dyn ToParam]) -> Result<u64> {
        let n = self
            .conn
            .prepare_cached(sql)?
            .execute(params_from_iter(bind(params)))?;
        Ok(n as u64)
    }

    fn query(
        &self,
        sql: &str,
        params: &[&dyn ToParam],
        visit: &mut dyn FnMut(&Row) -> Result<()>,
    ) -> Result<()> {
        let mut st = self.conn.prepare_cached(sql)?;
        let n = st.column_count();
        let mut rows = st.query(params_from_iter(bind(params)))?;
        let mut row = Row(Vec::with_capacity(n));
        while let Some(r) = rows.next()? {
            row.0.clear();
            for i in 0..n {
                row.0.push(value(r.get_ref(i)?)?);
            }
            visit(&row)?;
        }
        Ok(())
    }

    fn batch(&self, sql: &str) -> Result<()> {
        Ok(self.conn.execute_batch(sql)?)
    }

    fn insert_entity(&self, e: &EntityRow<'_>, _unique_indexes: bool) -> Result<Option<i64>> {
        let mut held = self.insert_entity.borrow_mut();
        let st = match &mut *held {
            Some(st) => st,
            None => held.insert(self.conn.prepare(INSERT_ENTITY)?),
        };
        // While the unique indexes stand, an existing key fails its UNIQUE constraint
        // (which undoes nothing: the row is refused before it is written). Plain
        // single-row statements need no statement journal.
        let insert = st.execute(rusqlite::params![
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
        ]);
        match insert {
            Ok(_) => Ok(Some(self.conn.last_insert_rowid())),
            Err(rusqlite::Error::SqliteFailure(f, _))
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
            {
                Ok(None)
            }
            Err(other) => Err(other.into()),
        }
    }

    fn insert_organisation(
        &self,
        entity_id: i64,
        kbo: Option<&str>,
        founded: Option<&str>,
        employees: Option<u32>,
        website: Option<&str>,
    ) -> Result<()> {
        let mut held = self.insert_organisation.borrow_mut();
        let st = match &mut *held {
            Some(st) => st,
            None => held.insert(self.conn.prepare(INSERT_ORGANISATION)?),
        };
        st.execute(rusqlite::params![
            entity_id, kbo, founded, employees, website
        ])?;
        Ok(())
    }
}
