//! Streaming writers for the record exports: CSV, JSON, JSON Lines, GeoJSON, Parquet
//! (`parquet.rs`).
//!
//! A writer receives the rows one by one from [`Plan::stream`] and writes them to any
//! `io::Write` (the server hands a writer that ships 64 KiB chunks to the HTTP body):
//! nothing but the current row is held (Parquet: the current row group).

use std::io::{self, Write};

use territoria_odsql::{FieldType, ValueRef};

use crate::query::{OutColumn, Plan};
use crate::tz::TimeZone;

/// An export format of `/exports/{format}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    Jsonl,
    GeoJson,
    Parquet,
    Xlsx,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Csv,
        Format::Json,
        Format::Jsonl,
        Format::GeoJson,
        Format::Parquet,
        Format::Xlsx,
    ];

    pub fn parse(name: &str) -> Option<Format> {
        Some(match name {
            "csv" => Format::Csv,
            "json" => Format::Json,
            "jsonl" => Format::Jsonl,
            "geojson" => Format::GeoJson,
            "parquet" => Format::Parquet,
            "xlsx" => Format::Xlsx,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::GeoJson => "geojson",
            Format::Parquet => "parquet",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json; charset=utf-8",
            Format::Jsonl => "application/jsonl; charset=utf-8",
            Format::GeoJson => "application/geo+json; charset=utf-8",
            Format::Parquet => "application/vnd.apache.parquet",
            Format::Xlsx => XLSX,
        }
    }

    /// The EU file-type authority code.
    pub fn eu_file_type(self) -> &'static str {
        match self {
            Format::Csv => "CSV",
            Format::Json => "JSON",
            Format::Jsonl => "JSON",
            Format::GeoJson => "GEOJSON",
            Format::Parquet => "PARQUET",
            Format::Xlsx => "XLSX",
        }
    }

    /// The IANA media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv",
            Format::Json => "application/json",
            Format::Jsonl => "application/jsonl",
            Format::GeoJson => "application/geo+json",
            Format::Parquet => "application/vnd.apache.parquet",
            Format::Xlsx => XLSX,
        }
    }
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Export options (Opendatasoft's names and defaults).
#[derive(Debug, Clone, Copy)]
pub struct ExportOptions {
    /// CSV field separator (default `;`).
    pub delimiter: u8,
    /// CSV: start with a UTF-8 byte-order mark (default true).
    pub with_bom: bool,
    /// Column labels instead of names (CSV header, JSON keys).
    pub use_labels: bool,
    /// CSV: quote every field.
    pub quote_all: bool,
    /// The separator that joins the values of a multivalued field (default: the field's
    /// own, `, `).
    pub list_separator: Option<&'static str>,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            delimiter: b';',
            with_bom: true,
            use_labels: false,
            quote_all: false,
            list_separator: None,
        }
    }
}

/// Writes the whole export of `plan` to `out`; returns the number of records.
pub fn export(
    plan: &Plan<'_>,
    format: Format,
    options: ExportOptions,
    offset: usize,
    limit: Option<usize>,
    out: &mut dyn Write,
) -> io::Result<u64> {
    let columns = plan.columns();
    let names: Vec<&str> = columns
        .iter()
        .map(|c| {
            if options.use_labels {
                c.label.as_str()
            } else {
                c.name.as_str()
            }
        })
        .collect();
    let tz = plan.tz;
    // Multivalued columns, with the separator that joins their values in a row's text.
    let multi: Vec<Option<&str>> = columns
        .iter()
        .map(|c| {
            plan.dataset
                .table
                .specs()
                .iter()
                .find(|s| s.def.name == c.name)
                .and_then(|s| s.multi)
        })
        .collect();
    let relist = |i: usize, buf: &mut String| {
        if let (Some(Some(from)), Some(to)) = (multi.get(i), options.list_separator) {
            if *from != to && buf.contains(*from) {
                *buf = buf.split(*from).collect::<Vec<_>>().join(to);
            }
        }
    };
    match format {
        Format::Csv => {
            if options.with_bom {
                out.write_all("\u{feff}".as_bytes())?;
            }
            let mut first = true;
            for n in &names {
                if !first {
                    out.write_all(&[options.delimiter])?;
                }
                first = false;
                csv_field(out, n, options)?;
            }
            out.write_all(b"\r\n")?;
            let mut text = String::new();
            plan.stream(
                offset,
                limit,
                &mut |row: &[ValueRef<'_>]| -> io::Result<()> {
                    for (i, v) in row.iter().enumerate() {
                        if i > 0 {
                            out.write_all(&[options.delimiter])?;
                        }
                        text.clear();
                        plain_text(&mut text, *v, tz);
                        relist(i, &mut text);
                        csv_field(out, &text, options)?;
                    }
                    out.write_all(b"\r\n")
                },
            )
        }
        Format::Json | Format::Jsonl => {
            let lines = format == Format::Jsonl;
            if !lines {
                out.write_all(b"[")?;
            }
            let mut first = true;
            let n = plan.stream(
                offset,
                limit,
                &mut |row: &[ValueRef<'_>]| -> io::Result<()> {
                    if !lines && !first {
                        out.write_all(b", ")?;
                    }
                    first = false;
                    json_object(out, &names, &columns, row, tz, None)?;
                    if lines {
                        out.write_all(b"\n")?;
                    }
                    Ok(())
                },
            )?;
            if !lines {
                out.write_all(b"]")?;
            }
            Ok(n)
        }
        Format::Parquet => {
            let cols: Vec<(String, Option<FieldType>)> = names
                .iter()
                .zip(&columns)
                .map(|(n, c)| ((*n).to_owned(), c.field_type))
                .collect();
            let mut w = crate::parquet::ParquetWriter::new(out, &cols)?;
            plan.stream(
                offset,
                limit,
                &mut |row: &[ValueRef<'_>]| -> io::Result<()> {
                    w.push(row, |buf, i, v| {
                        plain_text(buf, v, tz);
                        relist(i, buf);
                    })
                },
            )?;
            w.finish()
        }
        Format::Xlsx => {
            // Labels as the header, whatever `use_labels` says (a sheet is read by people).
            let labels: Vec<&str> = columns.iter().map(|c| c.label.as_str()).collect();
            let mut w = crate::xlsx::XlsxWriter::new(out, &plan.dataset.meta.id)?;
            let n = w.sheet(
                &labels,
                &mut |emit| plan.stream(offset, limit, emit),
                &|buf, i, v| {
                    plain_text(buf, v, tz);
                    relist(i, buf);
                },
            )?;
            w.finish()?;
            Ok(n)
        }
        Format::GeoJson => {
            let geo = columns
                .iter()
                .position(|c| c.field_type == Some(FieldType::GeoPoint));
            out.write_all(b"{\"type\": \"FeatureCollection\", \"features\": [")?;
            let mut first = true;
            let n = plan.stream(
                offset,
                limit,
                &mut |row: &[ValueRef<'_>]| -> io::Result<()> {
                    if !first {
                        out.write_all(b", ")?;
                    }
                    first = false;
                    out.write_all(b"{\"type\": \"Feature\", \"geometry\": ")?;
                    match geo.and_then(|g| row.get(g)) {
                        Some(ValueRef::Geo(p)) => {
                            out.write_all(b"{\"type\": \"Point\", \"coordinates\": [")?;
                            json_f64(out, p.lon)?;
                            out.write_all(b", ")?;
                            json_f64(out, p.lat)?;
                            out.write_all(b"]}")?;
                        }
                        _ => out.write_all(b"null")?,
                    }
                    out.write_all(b", \"properties\": ")?;
                    json_object(out, &names, &columns, row, tz, geo)?;
                    out.write_all(b"}")
                },
            )?;
            out.write_all(b"]}")?;
            Ok(n)
        }
    }
}

fn csv_field(out: &mut dyn Write, text: &str, o: ExportOptions) -> io::Result<()> {
    let needs = o.quote_all
        || text
            .bytes()
            .any(|b| b == o.delimiter || b == b'"' || b == b'\n' || b == b'\r');
    if !needs {
        return out.write_all(text.as_bytes());
    }
    out.write_all(b"\"")?;
    let mut rest = text;
    while let Some(i) = rest.find('"') {
        out.write_all(&rest.as_bytes()[..=i])?;
        out.write_all(b"\"")?;
        rest = &rest[i + 1..];
    }
    out.write_all(rest.as_bytes())?;
    out.write_all(b"\"")
}

/// A value as CSV text: dates ISO 8601, points `lat, lon` (as Opendatasoft writes
/// `geo_point_2d`), null empty.
fn plain_text(buf: &mut String, v: ValueRef<'_>, tz: TimeZone) {
    use std::fmt::Write as _;
    let _ = match v {
        ValueRef::Null => Ok(()),
        ValueRef::Bool(b) => write!(buf, "{b}"),
        ValueRef::Int(i) => write!(buf, "{i}"),
        ValueRef::Float(x) if x.is_finite() => write!(buf, "{x}"),
        ValueRef::Float(_) => Ok(()),
        ValueRef::Text(s) => {
            buf.push_str(s);
            Ok(())
        }
        ValueRef::Date(d) => write!(buf, "{d}"),
        ValueRef::DateTime(t) => {
            buf.push_str(&tz.format(t));
            Ok(())
        }
        ValueRef::Geo(p) => write!(buf, "{}, {}", p.lat, p.lon),
    };
}

fn json_f64(out: &mut dyn Write, x: f64) -> io::Result<()> {
    if x.is_finite() {
        serde_json::to_writer(&mut *out, &x).map_err(io::Error::other)
    } else {
        out.write_all(b"null")
    }
}

fn json_str(out: &mut dyn Write, s: &str) -> io::Result<()> {
    serde_json::to_writer(&mut *out, s).map_err(io::Error::other)
}

fn json_object(
    out: &mut dyn Write,
    names: &[&str],
    _columns: &[OutColumn],
    row: &[ValueRef<'_>],
    tz: TimeZone,
    skip: Option<usize>,
) -> io::Result<()> {
    out.write_all(b"{")?;
    let mut first = true;
    for (i, (name, v)) in names.iter().zip(row).enumerate() {
        if Some(i) == skip {
            continue;
        }
        if !first {
            out.write_all(b", ")?;
        }
        first = false;
        json_str(out, name)?;
        out.write_all(b": ")?;
        match *v {
            ValueRef::Null => out.write_all(b"null")?,
            ValueRef::Bool(b) => out.write_all(if b { b"true" } else { b"false" })?,
            ValueRef::Int(n) => write!(out, "{n}")?,
            ValueRef::Float(x) => json_f64(out, x)?,
            ValueRef::Text(s) => json_str(out, s)?,
            ValueRef::Date(d) => write!(out, "\"{d}\"")?,
            ValueRef::DateTime(t) => json_str(out, &tz.format(t))?,
            ValueRef::Geo(p) => {
                out.write_all(b"{\"lon\": ")?;
                json_f64(out, p.lon)?;
                out.write_all(b", \"lat\": ")?;
                json_f64(out, p.lat)?;
                out.write_all(b"}")?;
            }
        }
    }
    out.write_all(b"}")
}
