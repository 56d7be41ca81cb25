//! The value model: field types, schemas, values (owned and borrowed), dates and points, and
//! the [`Record`] trait through which the evaluator reads a record.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;

/// The type of a dataset field, as Opendatasoft names it in a dataset's `fields`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// `text`
    Text,
    /// `int`
    Int,
    /// `double`
    Double,
    /// `boolean`
    Boolean,
    /// `date` (a calendar day)
    Date,
    /// `datetime` (an instant, UTC)
    DateTime,
    /// `geo_point_2d`
    GeoPoint,
}

impl FieldType {
    /// The Opendatasoft name (`text`, `int`, `double`, `boolean`, `date`, `datetime`,
    /// `geo_point_2d`).
    pub fn ods_name(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Int => "int",
            FieldType::Double => "double",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::DateTime => "datetime",
            FieldType::GeoPoint => "geo_point_2d",
        }
    }

    /// The type named `name` by Opendatasoft, if it is one this crate knows.
    pub fn from_ods_name(name: &str) -> Option<FieldType> {
        Some(match name {
            "text" => FieldType::Text,
            "int" => FieldType::Int,
            "double" => FieldType::Double,
            "boolean" => FieldType::Boolean,
            "date" => FieldType::Date,
            "datetime" => FieldType::DateTime,
            "geo_point_2d" => FieldType::GeoPoint,
            _ => return None,
        })
    }

    /// The type of the values this field holds.
    pub fn value_type(self) -> ValueType {
        match self {
            FieldType::Text => ValueType::Text,
            FieldType::Int => ValueType::Int,
            FieldType::Double => ValueType::Float,
            FieldType::Boolean => ValueType::Bool,
            FieldType::Date => ValueType::Date,
            FieldType::DateTime => ValueType::DateTime,
            FieldType::GeoPoint => ValueType::Geo,
        }
    }
}

/// The static type of an expression, found by the type checker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// Only ever null (no literal has this type; kept for completeness).
    Null,
    Bool,
    Int,
    Float,
    Text,
    Date,
    DateTime,
    Geo,
}

impl ValueType {
    pub(crate) fn is_numeric(self) -> bool {
        matches!(self, ValueType::Int | ValueType::Float)
    }

    pub(crate) fn is_temporal(self) -> bool {
        matches!(self, ValueType::Date | ValueType::DateTime)
    }

    /// A word for messages: `text`, `int`, `double`, `boolean`, `date`, `datetime`, `geo_point_2d`.
    pub fn name(self) -> &'static str {
        match self {
            ValueType::Null => "null",
            ValueType::Bool => "boolean",
            ValueType::Int => "int",
            ValueType::Float => "double",
            ValueType::Text => "text",
            ValueType::Date => "date",
            ValueType::DateTime => "datetime",
            ValueType::Geo => "geo_point_2d",
        }
    }
}

/// One field of a dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDef {
    /// The technical name used in queries (`population`).
    pub name: String,
    pub field_type: FieldType,
    /// The human label (`Population au 1er janvier`).
    pub label: String,
}

impl FieldDef {
    pub fn new(name: impl Into<String>, field_type: FieldType, label: impl Into<String>) -> Self {
        FieldDef {
            name: name.into(),
            field_type,
            label: label.into(),
        }
    }
}

/// The fields of a dataset, in order. A field's index in this list is the index a [`Record`]
/// is asked for.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    fields: Vec<FieldDef>,
    by_name: HashMap<String, usize>,
}

impl Schema {
    /// A schema over `fields`; when two fields share a name, the first one is found by name.
    pub fn new(fields: impl IntoIterator<Item = FieldDef>) -> Schema {
        let fields: Vec<FieldDef> = fields.into_iter().collect();
        let mut by_name = HashMap::with_capacity(fields.len());
        for (i, f) in fields.iter().enumerate() {
            by_name.entry(f.name.clone()).or_insert(i);
        }
        Schema { fields, by_name }
    }

    pub fn fields(&self) -> &[FieldDef] {
        &self.fields
    }

    /// The index of the field called `name` (exact, case-sensitive).
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

/// A record as the evaluator sees it: the value of field `index` of the [`Schema`] the query
/// was compiled against. Implement it over columns, rows or anything else; a missing value is
/// [`ValueRef::Null`].
pub trait Record {
    fn value(&self, field: usize) -> ValueRef<'_>;
}

impl Record for [Value] {
    fn value(&self, field: usize) -> ValueRef<'_> {
        self.get(field).map_or(ValueRef::Null, Value::as_ref)
    }
}

impl Record for Vec<Value> {
    fn value(&self, field: usize) -> ValueRef<'_> {
        self.as_slice().value(field)
    }
}

impl<R: Record + ?Sized> Record for &R {
    fn value(&self, field: usize) -> ValueRef<'_> {
        (**self).value(field)
    }
}

/// A point: longitude and latitude in degrees (WGS 84).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    pub lon: f64,
    pub lat: f64,
}

impl GeoPoint {
    /// Great-circle distance in metres (haversine, mean Earth radius).
    pub fn distance_m(self, other: GeoPoint) -> f64 {
        const R: f64 = 6_371_008.8;
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * R * a.sqrt().min(1.0).asin()
    }
}

/// An area: one or more polygons, each an outer ring and its holes, each ring a list of
/// `[lon, lat]` points (WGS 84). Only points are tested against it (`intersects()`), so a
/// point dataset's records fall inside or outside.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub polygons: Vec<Vec<Vec<[f64; 2]>>>,
}

impl Shape {
    /// Whether `p` lies inside the area (even–odd rule over each polygon's rings, so holes
    /// are left out; a point on an edge may fall either side).
    pub fn contains(&self, p: GeoPoint) -> bool {
        self.polygons.iter().any(|rings| {
            let mut inside = false;
            for ring in rings {
                let n = ring.len();
                for i in 0..n {
                    let [x1, y1] = ring[i];
                    let [x2, y2] = ring[(i + n - 1) % n];
                    if (y1 > p.lat) != (y2 > p.lat)
                        && p.lon < (x2 - x1) * (p.lat - y1) / (y2 - y1) + x1
                    {
                        inside = !inside;
                    }
                }
            }
            inside
        })
    }
}

impl fmt::Display for Shape {
    /// WKT: `POLYGON((lon lat, …), (…))` for one polygon, `MULTIPOLYGON(((…)), ((…)))` for more.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let polygon = |f: &mut fmt::Formatter<'_>, rings: &[Vec<[f64; 2]>]| -> fmt::Result {
            f.write_str("(")?;
            for (i, ring) in rings.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                f.write_str("(")?;
                for (j, [x, y]) in ring.iter().enumerate() {
                    if j > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{x} {y}")?;
                }
                f.write_str(")")?;
            }
            f.write_str(")")
        };
        if let [one] = self.polygons.as_slice() {
            f.write_str("POLYGON")?;
            return polygon(f, one);
        }
        f.write_str("MULTIPOLYGON(")?;
        for (i, p) in self.polygons.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            polygon(f, p)?;
        }
        f.write_str(")")
    }
}

/// A calendar day, counted from 1970-01-01. Years 0 to 9999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i32);

/// An instant in milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime(i64);

pub(crate) const MS_PER_DAY: i64 = 86_400_000;

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub(crate) fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (eras of 400 years).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

impl Date {
    /// The day `y-m-d`, if it exists and `0 <= y <= 9999`.
    pub fn from_ymd(y: i32, m: u32, d: u32) -> Option<Date> {
        if !(0..=9999).contains(&y) || d == 0 || d > days_in_month(i64::from(y), m) {
            return None;
        }
        Some(Date(days_from_civil(i64::from(y), m, d) as i32))
    }

    /// Year, month (1–12), day (1–31).
    pub fn ymd(self) -> (i32, u32, u32) {
        let (y, m, d) = civil_from_days(i64::from(self.0));
        (y as i32, m, d)
    }

    pub fn days_since_epoch(self) -> i32 {
        self.0
    }

    /// The day `days` after 1970-01-01.
    pub fn from_days(days: i32) -> Date {
        Date(days)
    }

    /// Midnight UTC of that day.
    pub fn to_datetime(self) -> DateTime {
        DateTime(i64::from(self.0) * MS_PER_DAY)
    }

    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (`/` also separates).
    pub fn parse(text: &str) -> Option<Date> {
        match parse_temporal(text)? {
            Temporal::Date(d) => Some(d),
            Temporal::DateTime(_) => None,
        }
    }
}

impl DateTime {
    pub fn from_millis(ms: i64) -> DateTime {
        DateTime(ms)
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    /// The UTC day of this instant.
    pub fn date(self) -> Date {
        Date(self.0.div_euclid(MS_PER_DAY) as i32)
    }

    /// Parses an ISO 8601 date-time (`2024-01-31T10:00[:00[.000]][Z|±HH:MM]`, `T` or a space);
    /// a time without offset is UTC.
    pub fn parse(text: &str) -> Option<DateTime> {
        match parse_temporal(text)? {
            Temporal::DateTime(t) => Some(t),
            Temporal::Date(d) => Some(d.to_datetime()),
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl fmt::Display for DateTime {
    /// `2024-01-31T10:00:00Z`, with `.mmm` when there are milliseconds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.rem_euclid(MS_PER_DAY);
        let (h, mi, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
        write!(f, "{}T{h:02}:{mi:02}:{s:02}", self.date())?;
        if milli != 0 {
            write!(f, ".{milli:03}")?;
        }
        f.write_str("Z")
    }
}

/// A date literal's value: a day or an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Temporal {
    Date(Date),
    DateTime(DateTime),
}

impl fmt::Display for Temporal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Temporal::Date(d) => d.fmt(f),
            Temporal::DateTime(t) => t.fmt(f),
        }
    }
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    s.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

/// Parses `YYYY`, `YYYY-MM`, `YYYY-MM-DD` (or with `/`), and date-times
/// `YYYY-MM-DD[T| ]HH:MM[:SS[.fff…]][Z|±HH[:]MM]`.
pub fn parse_temporal(text: &str) -> Option<Temporal> {
    let b = text.as_bytes();
    let y = digits(b, 0, 4)? as i32;
    if b.len() == 4 {
        return Date::from_ymd(y, 1, 1).map(Temporal::Date);
    }
    let sep = *b.get(4)?;
    if sep != b'-' && sep != b'/' {
        return None;
    }
    let m = digits(b, 5, 2)?;
    if b.len() == 7 {
        return Date::from_ymd(y, m, 1).map(Temporal::Date);
    }
    if b.get(7) != Some(&sep) {
        return None;
    }
    let d = digits(b, 8, 2)?;
    let date = Date::from_ymd(y, m, d)?;
    if b.len() == 10 {
        return Some(Temporal::Date(date));
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let h = digits(b, 11, 2)?;
    if b.get(13) != Some(&b':') {
        return None;
    }
    let mi = digits(b, 14, 2)?;
    let mut at = 16;
    let mut s = 0;
    let mut milli = 0;
    if b.get(at) == Some(&b':') {
        s = digits(b, at + 1, 2)?;
        at += 3;
        if b.get(at) == Some(&b'.') {
            at += 1;
            let start = at;
            while b.get(at).is_some_and(u8::is_ascii_digit) {
                if at - start < 3 {
                    milli = milli * 10 + u32::from(b[at] - b'0');
                }
                at += 1;
            }
            if at == start {
                return None;
            }
            for _ in (at - start)..3 {
                milli *= 10;
            }
        }
    }
    if h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let offset_min: i64 = match b.get(at) {
        None => 0,
        Some(b'Z' | b'z') if at + 1 == b.len() => 0,
        Some(&c @ (b'+' | b'-')) => {
            let oh = digits(b, at + 1, 2)?;
            let rest = &b[at + 3..];
            let om = match rest {
                [] => 0,
                [b':', ..] if rest.len() == 3 => digits(rest, 1, 2)?,
                _ if rest.len() == 2 => digits(rest, 0, 2)?,
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let o = i64::from(oh * 60 + om);
            if c == b'-' { -o } else { o }
        }
        _ => return None,
    };
    let ms = i64::from(date.0) * MS_PER_DAY
        + i64::from(h) * 3_600_000
        + i64::from(mi) * 60_000
        + i64::from(s) * 1000
        + i64::from(milli)
        - offset_min * 60_000;
    Some(Temporal::DateTime(DateTime(ms)))
}

/// A value read from a record or computed by the evaluator; text is borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(&'a str),
    Date(Date),
    DateTime(DateTime),
    Geo(GeoPoint),
}

/// An owned value: a result cell, a literal, a group key.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Date(Date),
    DateTime(DateTime),
    Geo(GeoPoint),
}

impl Value {
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Null => ValueRef::Null,
            Value::Bool(b) => ValueRef::Bool(*b),
            Value::Int(i) => ValueRef::Int(*i),
            Value::Float(x) => ValueRef::Float(*x),
            Value::Text(s) => ValueRef::Text(s),
            Value::Date(d) => ValueRef::Date(*d),
            Value::DateTime(t) => ValueRef::DateTime(*t),
            Value::Geo(p) => ValueRef::Geo(*p),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The JSON Opendatasoft returns for this value: dates as `YYYY-MM-DD`, date-times as
    /// ISO 8601 with `+00:00`, points as `{"lon": …, "lat": …}`, non-finite numbers as null.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(x) => serde_json::Number::from_f64(*x).map_or(J::Null, J::Number),
            Value::Text(s) => J::String(s.clone()),
            Value::Date(d) => J::String(d.to_string()),
            Value::DateTime(t) => {
                let mut s = t.to_string();
                s.pop();
                s.push_str("+00:00");
                J::String(s)
            }
            Value::Geo(p) => serde_json::json!({ "lon": p.lon, "lat": p.lat }),
        }
    }
}

impl ValueRef<'_> {
    pub fn to_owned(self) -> Value {
        match self {
            ValueRef::Null => Value::Null,
            ValueRef::Bool(b) => Value::Bool(b),
            ValueRef::Int(i) => Value::Int(i),
            ValueRef::Float(x) => Value::Float(x),
            ValueRef::Text(s) => Value::Text(s.to_owned()),
            ValueRef::Date(d) => Value::Date(d),
            ValueRef::DateTime(t) => Value::DateTime(t),
            ValueRef::Geo(p) => Value::Geo(p),
        }
    }

    pub fn is_null(self) -> bool {
        matches!(self, ValueRef::Null)
    }

    fn rank(self) -> u8 {
        match self {
            ValueRef::Null => 0,
            ValueRef::Bool(_) => 1,
            ValueRef::Int(_) | ValueRef::Float(_) => 2,
            ValueRef::Text(_) => 3,
            ValueRef::Date(_) | ValueRef::DateTime(_) => 4,
            ValueRef::Geo(_) => 5,
        }
    }

    pub(crate) fn as_f64(self) -> Option<f64> {
        match self {
            ValueRef::Int(i) => Some(i as f64),
            ValueRef::Float(x) => Some(x),
            _ => None,
        }
    }

    pub(crate) fn as_millis(self) -> Option<i64> {
        match self {
            ValueRef::Date(d) => Some(d.to_datetime().millis()),
            ValueRef::DateTime(t) => Some(t.millis()),
            _ => None,
        }
    }
}

/// A total order over values: null first, then booleans, numbers (ints and floats together),
/// text (by bytes), dates and date-times together, points. Used by `order_by`, `min`, `max`
/// and comparisons (which the type checker only allows within one kind).
pub fn compare(a: ValueRef<'_>, b: ValueRef<'_>) -> Ordering {
    use ValueRef as V;
    match (a, b) {
        (V::Int(x), V::Int(y)) => x.cmp(&y),
        (V::Bool(x), V::Bool(y)) => x.cmp(&y),
        (V::Text(x), V::Text(y)) => x.cmp(y),
        (V::Date(x), V::Date(y)) => x.cmp(&y),
        (V::Geo(p), V::Geo(q)) => p.lon.total_cmp(&q.lon).then(p.lat.total_cmp(&q.lat)),
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => compare_f64(x, y),
            _ => match (a.as_millis(), b.as_millis()) {
                (Some(x), Some(y)) => x.cmp(&y),
                _ => a.rank().cmp(&b.rank()),
            },
        },
    }
}

/// `total_cmp`, except that `0.0` and `-0.0` are equal.
fn compare_f64(x: f64, y: f64) -> Ordering {
    if x == y {
        Ordering::Equal
    } else {
        x.total_cmp(&y)
    }
}

/// Equality as `compare` sees it (so `1 = 1.0` and `date'2024-01-01' = date'2024-01-01T00:00'`).
pub(crate) fn equal(a: ValueRef<'_>, b: ValueRef<'_>) -> bool {
    compare(a, b) == Ordering::Equal
}

/// Hashes a value consistently with [`equal`] for values of one static type (ints and floats
/// of equal value hash alike; dates hash as their instant).
pub(crate) fn hash_value<H: std::hash::Hasher>(v: ValueRef<'_>, h: &mut H) {
    use std::hash::Hash;
    match v {
        ValueRef::Null => 0u8.hash(h),
        ValueRef::Bool(b) => (1u8, b).hash(h),
        ValueRef::Int(_) | ValueRef::Float(_) => {
            let x = v.as_f64().unwrap_or(0.0);
            let x = if x == 0.0 { 0.0 } else { x };
            (2u8, x.to_bits()).hash(h);
        }
        ValueRef::Text(s) => (3u8, s).hash(h),
        ValueRef::Date(_) | ValueRef::DateTime(_) => (4u8, v.as_millis()).hash(h),
        ValueRef::Geo(p) => (5u8, p.lon.to_bits(), p.lat.to_bits()).hash(h),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_round_trip() {
        for z in [-719_528, -1, 0, 1, 59, 60, 10_957, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z, "{y}-{m}-{d}");
        }
        assert_eq!(Date::from_ymd(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!(
            Date::from_ymd(2000, 3, 1).unwrap().to_string(),
            "2000-03-01"
        );
        assert_eq!(Date::from_ymd(2023, 2, 29), None);
        assert_eq!(Date::from_ymd(2024, 2, 29).unwrap().ymd(), (2024, 2, 29));
        assert_eq!(Date::from_ymd(0, 1, 1).unwrap().to_string(), "0000-01-01");
    }

    #[test]
    fn temporal_forms() {
        let d = |s| parse_temporal(s).map(|t| t.to_string());
        assert_eq!(d("2024"), Some("2024-01-01".into()));
        assert_eq!(d("2024-05"), Some("2024-05-01".into()));
        assert_eq!(d("2024/05/07"), Some("2024-05-07".into()));
        assert_eq!(d("2024-05-07T10:11"), Some("2024-05-07T10:11:00Z".into()));
        assert_eq!(
            d("2024-05-07 10:11:12.5+02:00"),
            Some("2024-05-07T08:11:12.500Z".into())
        );
        assert_eq!(
            d("2024-01-01T00:30-0100"),
            Some("2024-01-01T01:30:00Z".into())
        );
        assert_eq!(d("2024-13-01"), None);
        assert_eq!(d("2024-05/07"), None);
        assert_eq!(d("2024-05-07T25:00"), None);
        assert_eq!(d("2024-05-07T10:11Zx"), None);
        assert_eq!(d("24"), None);
        assert_eq!(d("2024-05-07T10:11:12."), None);
    }

    #[test]
    fn json_forms() {
        assert_eq!(
            Value::DateTime(DateTime::parse("2024-01-02T03:04:05Z").unwrap()).to_json(),
            serde_json::json!("2024-01-02T03:04:05+00:00")
        );
        assert_eq!(
            Value::Geo(GeoPoint {
                lon: 4.35,
                lat: 50.85
            })
            .to_json(),
            serde_json::json!({"lon": 4.35, "lat": 50.85})
        );
        assert_eq!(Value::Float(f64::NAN).to_json(), serde_json::Value::Null);
    }

    #[test]
    fn distances() {
        let brussels = GeoPoint {
            lon: 4.3517,
            lat: 50.8503,
        };
        let namur = GeoPoint {
            lon: 4.8719,
            lat: 50.4674,
        };
        let d = brussels.distance_m(namur);
        assert!((54_000.0..58_000.0).contains(&d), "{d}");
        assert_eq!(brussels.distance_m(brussels), 0.0);
    }
}
