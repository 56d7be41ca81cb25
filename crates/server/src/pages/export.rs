//! The data behind every page, as files: CSV (`;`, UTF-8 BOM, CRLF — how Belgian
//! spreadsheets open it; numbers with a dot and ISO dates, as in `docs/exchange.md`),
//! JSON and GeoJSON. Synthetic content is flagged in the file itself.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{Lang, PageError};
use crate::api::DEMO_NOTICE;
use crate::params::Params;

/// How a page is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Csv,
    Json,
    GeoJson,
}

impl Format {
    /// `?format=` of a page; `geojson` only where the page has geometries.
    pub fn of(params: &Params, lang: Lang, geojson: bool) -> Result<Format, PageError> {
        match params.one("format").map_err(|e| PageError::new(lang, e))? {
            None | Some("html") => Ok(Format::Html),
            Some("csv") => Ok(Format::Csv),
            Some("json") => Ok(Format::Json),
            Some("geojson") if geojson => Ok(Format::GeoJson),
            Some(other) => Err(PageError::bad(
                lang,
                "format",
                format!(
                    "`{other}` is not a format of this page: use {}",
                    if geojson {
                        "html, csv, json or geojson"
                    } else {
                        "html, csv or json"
                    }
                ),
            )),
        }
    }
}

/// Rows and columns, the common shape of every table a page shows.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub columns: Vec<&'static str>,
    /// Columns whose cells are numbers (JSON numbers; codes stay strings).
    pub numeric: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(columns: &[&'static str]) -> Table {
        Table {
            columns: columns.to_vec(),
            numeric: Vec::new(),
            rows: Vec::new(),
        }
    }

    pub fn numeric(mut self, columns: &[&'static str]) -> Table {
        self.numeric = columns.to_vec();
        self
    }

    pub fn push(&mut self, row: Vec<String>) {
        debug_assert_eq!(row.len(), self.columns.len());
        self.rows.push(row);
    }

    /// The rows as JSON objects (numbers stay numbers when they parse as such).
    pub fn to_json(&self) -> Vec<Value> {
        self.rows
            .iter()
            .map(|r| {
                let mut o = serde_json::Map::new();
                for (c, v) in self.columns.iter().zip(r) {
                    let value = if self.numeric.contains(c) {
                        cell_value(v)
                    } else if v.is_empty() {
                        Value::Null
                    } else {
                        match v.as_str() {
                            "true" => Value::Bool(true),
                            "false" => Value::Bool(false),
                            _ => Value::String(v.clone()),
                        }
                    };
                    o.insert((*c).to_owned(), value);
                }
                Value::Object(o)
            })
            .collect()
    }
}

/// A numeric cell as a JSON number (integers without a fraction), or null.
fn cell_value(v: &str) -> Value {
    match v.parse::<f64>() {
        Ok(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 9e15 => Value::from(f as i64),
        Ok(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        Err(_) => Value::Null,
    }
}

/// A CSV cell: quoted when it holds `;`, a quote or a line break.
fn cell(s: &str) -> String {
    if s.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

pub fn csv_text(table: &Table) -> String {
    let mut out = String::from("\u{feff}");
    out.push_str(&table.columns.join(";"));
    out.push_str("\r\n");
    for r in &table.rows {
        let cells: Vec<String> = r.iter().map(|c| cell(c)).collect();
        out.push_str(&cells.join(";"));
        out.push_str("\r\n");
    }
    out
}

fn file(content_type: &'static str, name: &str, ext: &str, body: String) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.{ext}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

pub fn csv(name: &str, table: &Table) -> Response {
    file("text/csv; charset=utf-8", name, "csv", csv_text(table))
}

/// `{"source": …, "notice"?: …, "rows": […]}` plus any extra fields.
pub fn json(name: &str, table: &Table, demo: bool, source: &str, extra: Value) -> Response {
    let mut body = json!({ "source": source });
    if demo {
        body["notice"] = json!(DEMO_NOTICE);
    }
    if let Value::Object(extra) = extra {
        for (k, v) in extra {
            body[k] = v;
        }
    }
    body["columns"] = json!(table.columns);
    body["rows"] = Value::Array(table.to_json());
    file(
        "application/json",
        name,
        "json",
        serde_json::to_string_pretty(&body).unwrap_or_default(),
    )
}

/// A GeoJSON `FeatureCollection` (RFC 7946: WGS 84 longitude, latitude).
pub fn geojson(name: &str, features: Vec<Value>, demo: bool, source: &str) -> Response {
    let mut body = json!({
        "type": "FeatureCollection",
        "source": source,
        "features": features,
    });
    if demo {
        body["notice"] = json!(DEMO_NOTICE);
    }
    file(
        "application/geo+json",
        name,
        "geojson",
        serde_json::to_string(&body).unwrap_or_default(),
    )
}

pub fn point(lon: f64, lat: f64, properties: Value) -> Value {
    json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": properties,
    })
}

/// Serves a table in the asked format (never `Html`).
pub fn table(format: Format, name: &str, table: &Table, demo: bool, source: &str) -> Response {
    match format {
        Format::Csv => csv(name, table),
        _ => json(name, table, demo, source, Value::Null),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_is_semicolon_separated_with_a_bom() {
        let mut t = Table::new(&["id", "name", "value"]);
        t.push(vec!["a".into(), "x; \"y\"".into(), "1.5".into()]);
        let s = csv_text(&t);
        assert!(s.starts_with("\u{feff}id;name;value\r\n"));
        assert!(s.contains("a;\"x; \"\"y\"\"\";1.5\r\n"));
    }

    #[test]
    fn json_cells_keep_their_types() {
        let mut t = Table::new(&["code", "count", "share"]).numeric(&["count", "share"]);
        t.push(vec!["01000".into(), "12".into(), "1.5".into()]);
        t.push(vec!["".into(), "".into(), "x".into()]);
        let j = t.to_json();
        assert_eq!(j[0], json!({"code": "01000", "count": 12, "share": 1.5}));
        assert_eq!(j[1], json!({"code": null, "count": null, "share": null}));
    }
}
