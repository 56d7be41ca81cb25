//! A streaming Apache Parquet writer for the record exports: typed, nullable columns,
//! PLAIN-encoded values, uncompressed pages (`compressed=true` gzips the whole file),
//! rows written by row groups of [`ROWS_PER_GROUP`] so that memory stays bounded whatever
//! the number of rows.
//!
//! ```text
//!  "PAR1" │ row group 1: column chunk 1 … n │ row group 2 … │ FileMetaData │ len │ "PAR1"
//!  column chunk = PageHeader (Thrift compact) + data page:
//!                 definition levels (4-byte length + RLE/bit-packed hybrid, bit width 1)
//!                 + the non-null values, PLAIN
//! ```
//!
//! Types: text → BYTE_ARRAY (UTF8 / STRING), int → INT64, double → DOUBLE, boolean →
//! BOOLEAN, date → INT32 (DATE), datetime → INT64 (TIMESTAMP, milliseconds, UTC), geo_point
//! → BYTE_ARRAY text `lat, lon` (as the CSV export writes it). Every column is OPTIONAL.

use std::io::{self, Write};

use territoria_odsql::{FieldType, ValueRef};

/// Rows buffered before a row group is written.
pub const ROWS_PER_GROUP: usize = 16_384;

const MAGIC: &[u8] = b"PAR1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Physical {
    Boolean = 0,
    Int32 = 1,
    Int64 = 2,
    Double = 5,
    ByteArray = 6,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Logical {
    None,
    String,
    Date,
    TimestampMillisUtc,
}

fn types(t: Option<FieldType>) -> (Physical, Logical) {
    match t {
        Some(FieldType::Int) => (Physical::Int64, Logical::None),
        Some(FieldType::Double) => (Physical::Double, Logical::None),
        Some(FieldType::Boolean) => (Physical::Boolean, Logical::None),
        Some(FieldType::Date) => (Physical::Int32, Logical::Date),
        Some(FieldType::DateTime) => (Physical::Int64, Logical::TimestampMillisUtc),
        _ => (Physical::ByteArray, Logical::String),
    }
}

/// The Thrift compact protocol, as much of it as Parquet's metadata needs.
struct Thrift {
    out: Vec<u8>,
    /// The last field id of each open struct.
    last: Vec<i16>,
}

const T_TRUE: u8 = 1;
const T_FALSE: u8 = 2;
const T_I32: u8 = 5;
const T_I64: u8 = 6;
const T_BINARY: u8 = 8;
const T_LIST: u8 = 9;
const T_STRUCT: u8 = 12;

impl Thrift {
    fn new() -> Thrift {
        Thrift {
            out: Vec::new(),
            last: vec![0],
        }
    }

    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.out.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.out.push(v as u8);
    }

    fn zigzag(&mut self, v: i64) {
        self.varint(((v << 1) ^ (v >> 63)) as u64);
    }

    fn header(&mut self, id: i16, ty: u8) {
        let last = self.last.last_mut().expect("an open struct");
        let delta = id - *last;
        *last = id;
        if (1..=15).contains(&delta) {
            self.out.push(((delta as u8) << 4) | ty);
        } else {
            self.out.push(ty);
            self.zigzag(i64::from(id));
        }
    }

    fn i32(&mut self, id: i16, v: i32) {
        self.header(id, T_I32);
        self.zigzag(i64::from(v));
    }

    fn i64(&mut self, id: i16, v: i64) {
        self.header(id, T_I64);
        self.zigzag(v);
    }

    fn bool(&mut self, id: i16, v: bool) {
        self.header(id, if v { T_TRUE } else { T_FALSE });
    }

    fn binary(&mut self, id: i16, v: &[u8]) {
        self.header(id, T_BINARY);
        self.varint(v.len() as u64);
        self.out.extend_from_slice(v);
    }

    fn begin(&mut self, id: i16) {
        self.header(id, T_STRUCT);
        self.last.push(0);
    }

    /// A struct as a list element (no field header).
    fn begin_element(&mut self) {
        self.last.push(0);
    }

    fn end(&mut self) {
        self.out.push(0);
        self.last.pop();
    }

    fn list(&mut self, id: i16, elem: u8, n: usize) {
        self.header(id, T_LIST);
        if n < 15 {
            self.out.push(((n as u8) << 4) | elem);
        } else {
            self.out.push(0xF0 | elem);
            self.varint(n as u64);
        }
    }

    fn list_i32_item(&mut self, v: i32) {
        self.zigzag(i64::from(v));
    }

    fn list_binary_item(&mut self, v: &[u8]) {
        self.varint(v.len() as u64);
        self.out.extend_from_slice(v);
    }
}

/// One column of the row group being filled.
struct Chunk {
    physical: Physical,
    /// Definition levels, bit-packed: 1 where the row holds a value.
    defs: Vec<u8>,
    values: Vec<u8>,
    /// BOOLEAN values are bit-packed: the bits of the current byte.
    bools: u8,
    nbools: usize,
}

impl Chunk {
    fn clear(&mut self) {
        self.defs.clear();
        self.values.clear();
        self.bools = 0;
        self.nbools = 0;
    }
}

/// Metadata of a written column chunk.
struct ChunkMeta {
    offset: i64,
    size: i64,
    values: i64,
}

/// Writes rows as a Parquet file to `out`, row group by row group.
pub struct ParquetWriter<'w> {
    out: &'w mut dyn Write,
    pos: i64,
    names: Vec<String>,
    kinds: Vec<(Physical, Logical)>,
    chunks: Vec<Chunk>,
    rows_in_group: usize,
    groups: Vec<(i64, Vec<ChunkMeta>)>,
    rows: i64,
    text: String,
}

impl<'w> ParquetWriter<'w> {
    /// A writer of columns `names` with their types (`None`: text).
    pub fn new(
        out: &'w mut dyn Write,
        columns: &[(String, Option<FieldType>)],
    ) -> io::Result<ParquetWriter<'w>> {
        out.write_all(MAGIC)?;
        let kinds: Vec<(Physical, Logical)> = columns.iter().map(|(_, t)| types(*t)).collect();
        Ok(ParquetWriter {
            out,
            pos: MAGIC.len() as i64,
            names: columns.iter().map(|(n, _)| n.clone()).collect(),
            chunks: kinds
                .iter()
                .map(|&(physical, _)| Chunk {
                    physical,
                    defs: Vec::new(),
                    values: Vec::new(),
                    bools: 0,
                    nbools: 0,
                })
                .collect(),
            kinds,
            rows_in_group: 0,
            groups: Vec::new(),
            rows: 0,
            text: String::new(),
        })
    }

    /// Appends one row (one value per column).
    pub fn push(
        &mut self,
        row: &[ValueRef<'_>],
        text: impl Fn(&mut String, usize, ValueRef<'_>),
    ) -> io::Result<()> {
        let r = self.rows_in_group;
        for (i, chunk) in self.chunks.iter_mut().enumerate() {
            let v = row.get(i).copied().unwrap_or(ValueRef::Null);
            let present = match (chunk.physical, v) {
                (_, ValueRef::Null) => false,
                (Physical::Int64, ValueRef::Int(x)) => {
                    chunk.values.extend_from_slice(&x.to_le_bytes());
                    true
                }
                (Physical::Int64, ValueRef::DateTime(t)) => {
                    chunk.values.extend_from_slice(&t.millis().to_le_bytes());
                    true
                }
                // An integer column's value that overflowed into a float (arithmetic):
                // kept when it is a whole number in range, null otherwise.
                (Physical::Int64, ValueRef::Float(x)) if x.fract() == 0.0 && x.abs() < 9.2e18 => {
                    chunk.values.extend_from_slice(&(x as i64).to_le_bytes());
                    true
                }
                (Physical::Double, ValueRef::Float(x)) if x.is_finite() => {
                    chunk.values.extend_from_slice(&x.to_le_bytes());
                    true
                }
                (Physical::Double, ValueRef::Int(x)) => {
                    chunk.values.extend_from_slice(&(x as f64).to_le_bytes());
                    true
                }
                (Physical::Int32, ValueRef::Date(d)) => {
                    chunk
                        .values
                        .extend_from_slice(&d.days_since_epoch().to_le_bytes());
                    true
                }
                (Physical::Boolean, ValueRef::Bool(b)) => {
                    chunk.bools |= u8::from(b) << chunk.nbools;
                    chunk.nbools += 1;
                    if chunk.nbools == 8 {
                        chunk.values.push(chunk.bools);
                        chunk.bools = 0;
                        chunk.nbools = 0;
                    }
                    true
                }
                (Physical::ByteArray, v) => {
                    self.text.clear();
                    text(&mut self.text, i, v);
                    chunk
                        .values
                        .extend_from_slice(&(self.text.len() as u32).to_le_bytes());
                    chunk.values.extend_from_slice(self.text.as_bytes());
                    true
                }
                _ => false,
            };
            if r % 8 == 0 {
                chunk.defs.push(0);
            }
            if present {
                let last = chunk.defs.len() - 1;
                chunk.defs[last] |= 1 << (r % 8);
            }
        }
        self.rows_in_group += 1;
        self.rows += 1;
        if self.rows_in_group == ROWS_PER_GROUP {
            self.flush_group()?;
        }
        Ok(())
    }

    fn flush_group(&mut self) -> io::Result<()> {
        let n = self.rows_in_group;
        if n == 0 {
            return Ok(());
        }
        let mut metas = Vec::with_capacity(self.chunks.len());
        for chunk in &mut self.chunks {
            if chunk.nbools > 0 {
                chunk.values.push(chunk.bools);
                chunk.bools = 0;
                chunk.nbools = 0;
            }
            // Definition levels: one bit-packed run of ceil(n / 8) groups of 8.
            let mut levels = Vec::with_capacity(chunk.defs.len() + 5);
            let mut header = Thrift::new();
            header.varint(((chunk.defs.len() as u64) << 1) | 1);
            levels.extend_from_slice(&header.out);
            levels.extend_from_slice(&chunk.defs);
            let page_len = 4 + levels.len() + chunk.values.len();
            let mut h = Thrift::new();
            h.i32(1, 0); // DATA_PAGE
            h.i32(2, page_len as i32);
            h.i32(3, page_len as i32);
            h.begin(5); // DataPageHeader
            h.i32(1, n as i32);
            h.i32(2, 0); // PLAIN
            h.i32(3, 3); // RLE definition levels
            h.i32(4, 3); // RLE repetition levels (none)
            h.end();
            h.out.push(0);
            let offset = self.pos;
            self.out.write_all(&h.out)?;
            self.out.write_all(&(levels.len() as u32).to_le_bytes())?;
            self.out.write_all(&levels)?;
            self.out.write_all(&chunk.values)?;
            let size = (h.out.len() + page_len) as i64;
            self.pos += size;
            metas.push(ChunkMeta {
                offset,
                size,
                values: n as i64,
            });
            chunk.clear();
        }
        self.groups.push((n as i64, metas));
        self.rows_in_group = 0;
        Ok(())
    }

    /// Writes the last row group and the footer; returns the number of rows.
    pub fn finish(mut self) -> io::Result<u64> {
        self.flush_group()?;
        let mut t = Thrift::new();
        t.i32(1, 1); // version
        t.list(2, T_STRUCT, self.names.len() + 1);
        t.begin_element();
        t.binary(4, b"schema");
        t.i32(5, self.names.len() as i32);
        t.end();
        for (name, &(physical, logical)) in self.names.iter().zip(&self.kinds) {
            t.begin_element();
            t.i32(1, physical as i32);
            t.i32(3, 1); // OPTIONAL
            t.binary(4, name.as_bytes());
            match logical {
                Logical::None => {}
                Logical::String => t.i32(6, 0),             // UTF8
                Logical::Date => t.i32(6, 6),               // DATE
                Logical::TimestampMillisUtc => t.i32(6, 9), // TIMESTAMP_MILLIS
            }
            match logical {
                Logical::None => {}
                Logical::String => {
                    t.begin(10);
                    t.begin(1); // StringType
                    t.end();
                    t.end();
                }
                Logical::Date => {
                    t.begin(10);
                    t.begin(6); // DateType
                    t.end();
                    t.end();
                }
                Logical::TimestampMillisUtc => {
                    t.begin(10);
                    t.begin(8); // TimestampType
                    t.bool(1, true);
                    t.begin(2); // TimeUnit
                    t.begin(1); // MILLIS
                    t.end();
                    t.end();
                    t.end();
                    t.end();
                }
            }
            t.end();
        }
        t.i64(3, self.rows);
        t.list(4, T_STRUCT, self.groups.len());
        for (rows, metas) in &self.groups {
            t.begin_element();
            t.list(1, T_STRUCT, metas.len());
            let mut total = 0;
            for (m, (name, &(physical, _))) in metas.iter().zip(self.names.iter().zip(&self.kinds))
            {
                total += m.size;
                t.begin_element();
                t.i64(2, m.offset);
                t.begin(3); // ColumnMetaData
                t.i32(1, physical as i32);
                t.list(2, T_I32, 2);
                t.list_i32_item(0); // PLAIN
                t.list_i32_item(3); // RLE
                t.list(3, T_BINARY, 1);
                t.list_binary_item(name.as_bytes());
                t.i32(4, 0); // UNCOMPRESSED
                t.i64(5, m.values);
                t.i64(6, m.size);
                t.i64(7, m.size);
                t.i64(9, m.offset);
                t.end();
                t.end();
            }
            t.i64(2, total);
            t.i64(3, *rows);
            t.end();
        }
        t.binary(6, b"Territoria");
        t.out.push(0);
        self.out.write_all(&t.out)?;
        self.out.write_all(&(t.out.len() as u32).to_le_bytes())?;
        self.out.write_all(MAGIC)?;
        Ok(self.rows as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use territoria_odsql::{Date, DateTime};

    /// Writes `n` rows of every type, nulls included, across several row groups.
    pub(crate) fn sample(n: usize) -> Vec<u8> {
        let cols = vec![
            ("id".to_owned(), Some(FieldType::Text)),
            ("n".to_owned(), Some(FieldType::Int)),
            ("x".to_owned(), Some(FieldType::Double)),
            ("b".to_owned(), Some(FieldType::Boolean)),
            ("d".to_owned(), Some(FieldType::Date)),
            ("t".to_owned(), Some(FieldType::DateTime)),
            ("g".to_owned(), Some(FieldType::GeoPoint)),
        ];
        let mut out = Vec::new();
        let mut w = ParquetWriter::new(&mut out, &cols).unwrap();
        for i in 0..n {
            let id = format!("r{i}");
            let null = i % 5 == 3;
            let v = |x: ValueRef<'static>| if null { ValueRef::Null } else { x };
            let row = [
                ValueRef::Text(&id),
                v(ValueRef::Int(i as i64 - 7)),
                v(ValueRef::Float(i as f64 / 4.0)),
                v(ValueRef::Bool(i % 3 == 0)),
                v(ValueRef::Date(Date::from_days(i as i32))),
                v(ValueRef::DateTime(DateTime::from_millis(i as i64 * 1000))),
                v(ValueRef::Geo(territoria_odsql::GeoPoint {
                    lon: 4.5,
                    lat: 50.5,
                })),
            ];
            w.push(&row, |buf, _, v| match v {
                ValueRef::Text(t) => buf.push_str(t),
                ValueRef::Geo(p) => buf.push_str(&format!("{}, {}", p.lat, p.lon)),
                _ => {}
            })
            .unwrap();
        }
        assert_eq!(w.finish().unwrap(), n as u64);
        out
    }

    #[test]
    fn files_start_and_end_with_the_magic_and_a_footer_that_fits() {
        for n in [0, 1, 9, ROWS_PER_GROUP + 3] {
            let f = sample(n);
            assert_eq!(&f[..4], MAGIC);
            assert_eq!(&f[f.len() - 4..], MAGIC);
            let len = u32::from_le_bytes(f[f.len() - 8..f.len() - 4].try_into().unwrap()) as usize;
            assert!(len > 0 && len + 12 <= f.len(), "n = {n}");
            // The footer ends with the row count's field before created_by and the stop.
            assert_eq!(f[f.len() - 9], 0, "footer stop byte, n = {n}");
        }
        if let Ok(path) = std::env::var("TERRITORIA_PARQUET_SAMPLE") {
            std::fs::write(path, sample(ROWS_PER_GROUP * 2 + 5)).unwrap();
        }
    }
}
