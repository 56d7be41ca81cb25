//! The in-memory columnar table behind a dataset.
//!
//! ```text
//!  Table ── schema: odsql::Schema (public fields, in order)
//!        ├─ columns[i]: one per field
//!        │    Text   offsets: Vec<u32> (len + 1) ─► bytes: String        (names, keys)
//!        │    Dict   codes: u8 | u16 | u32 per row ─► values[code]: [fr, en, nl, de]
//!        │           (municipality, NACE, …; the narrowest width the dictionary allows)
//!        │    Int / Float / Bool / Date / DateTime / Geo:
//!        │           values: Vec<T> (dense) + valid: one bit per row
//!        └─ by_key: record id (the `id` field) → row (only when ids are not sorted)
//! ```
//!
//! Memory is what bounds a dataset of a million rows, so every cell is as narrow as it can
//! be. Repeated text (a municipality, a province, a NACE label, a list of codes) is
//! dictionary-encoded: a row holds a code one byte wide while the dictionary has fewer than
//! 255 values, two bytes below 65,535, four beyond (the width's largest value marks null);
//! the codes widen while building as the dictionary grows. Fixed-width values are stored
//! densely with a validity bitmap (an `Option<i64>` would take 16 bytes, an `i64` and a
//! bit take 8⅛). A missing text is
//! the empty string and reads as null. The lookup from text to code lives in the
//! [`TableBuilder`] only. At 1M organisations the table holds ≈ 89 MiB (the
//! `heap_bytes` estimate; docs/opendata.md, "Memory").
//!
//! Rows are read through [`Row`], which implements [`territoria_odsql::Record`] without
//! copying.

use std::collections::HashMap;

use std::sync::OnceLock;
use territoria_model::{Labels, Lang};

use territoria_odsql::{
    Codes as CodeView, ColumnView, Columns, Date, DateTime, FieldDef, FieldType, GeoIndex,
    GeoPoint, KeyCache, Record, Schema, ValueRef, WordIndex,
};

/// How a field is stored and shown.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    pub def: FieldDef,
    /// Label in English (the `def.label` is French).
    pub label_en: String,
    /// Dictionary-encoded text (few distinct values).
    pub dict: bool,
    /// Offered as a facet (`/facets`, `refine`, CKAN search facets).
    pub facet: bool,
    /// A sentence saying what the field holds (English).
    pub description: String,
    /// A multi-valued text field (Opendatasoft's multivalued fields): the separator that
    /// joins its values when read as one text. Each value counts in facets and matches
    /// `refine`/`exclude` on its own.
    pub multi: Option<&'static str>,
}

impl FieldSpec {
    pub fn new(name: &str, field_type: FieldType, label_fr: &str, label_en: &str) -> FieldSpec {
        FieldSpec {
            def: FieldDef::new(name, field_type, label_fr),
            label_en: label_en.to_owned(),
            dict: false,
            facet: false,
            description: String::new(),
            multi: None,
        }
    }

    /// A dictionary-encoded text field offered as a facet.
    pub fn facet(mut self) -> FieldSpec {
        self.facet = true;
        self.dictionary()
    }

    /// Dictionary-encoded text without being a facet: for text that repeats (a list of
    /// codes joined with `, `) but is not worth offering as a facet. Reads the same as
    /// plain text.
    pub fn dictionary(mut self) -> FieldSpec {
        if self.def.field_type == FieldType::Text {
            self.dict = true;
        }
        self
    }

    /// A multi-valued text field offered as a facet: its cells are lists
    /// ([`Cell::List`]), read as one text joined with `separator` (ODSQL sees that text),
    /// counted and refined value by value.
    pub fn multi(mut self, separator: &'static str) -> FieldSpec {
        if self.def.field_type == FieldType::Text {
            self.multi = Some(separator);
            self.facet = true;
            self.dict = true;
        }
        self
    }

    pub fn describe(mut self, text: &str) -> FieldSpec {
        self.description = text.to_owned();
        self
    }

    /// The label in `lang` (French for fr, nl, de; English for en).
    pub fn label(&self, lang: Lang) -> &str {
        match lang {
            Lang::En if !self.label_en.is_empty() => &self.label_en,
            _ => &self.def.label,
        }
    }
}

/// One value handed to [`TableBuilder::push`].
#[derive(Debug, Clone)]
pub enum Cell<'a> {
    Null,
    Text(&'a str),
    /// A translated value (a concept label); stored in the column's dictionary.
    Labels(&'a Labels),
    /// The values of a multi-valued field ([`FieldSpec::multi`]); elsewhere, the values
    /// joined with `, `.
    List(&'a [&'a str]),
    Int(i64),
    Float(f64),
    Bool(bool),
    Date(Date),
    DateTime(DateTime),
    Geo(GeoPoint),
}

impl<'a> Cell<'a> {
    pub fn text(s: Option<&'a str>) -> Cell<'a> {
        s.map_or(Cell::Null, Cell::Text)
    }
    pub fn date(d: Option<chrono::NaiveDate>) -> Cell<'a> {
        d.and_then(to_date).map_or(Cell::Null, Cell::Date)
    }
}

/// A chrono day as an ODSQL day.
pub fn to_date(d: chrono::NaiveDate) -> Option<Date> {
    use chrono::Datelike;
    Date::from_ymd(d.year(), d.month(), d.day())
}

/// A fixed-width value stored densely; [`Dense::fill`] takes a null cell's slot (never
/// read: the validity bit says null).
trait Dense: Copy {
    fn fill() -> Self;
}

impl Dense for i64 {
    fn fill() -> i64 {
        0
    }
}

impl Dense for f64 {
    fn fill() -> f64 {
        0.0
    }
}

impl Dense for bool {
    fn fill() -> bool {
        false
    }
}

impl Dense for Date {
    fn fill() -> Date {
        DateTime::from_millis(0).date()
    }
}

impl Dense for DateTime {
    fn fill() -> DateTime {
        DateTime::from_millis(0)
    }
}

impl Dense for GeoPoint {
    fn fill() -> GeoPoint {
        GeoPoint { lon: 0.0, lat: 0.0 }
    }
}

/// Nullable fixed-width values: one dense `T` per row and one validity bit per row.
#[derive(Debug, Clone)]
struct Nullable<T> {
    values: Vec<T>,
    /// Bit `row % 64` of word `row / 64` is set when the row holds a value.
    valid: Vec<u64>,
}

impl<T: Dense> Nullable<T> {
    fn new() -> Nullable<T> {
        Nullable {
            values: Vec::new(),
            valid: Vec::new(),
        }
    }

    fn push(&mut self, v: Option<T>) {
        let row = self.values.len();
        if row % 64 == 0 {
            self.valid.push(0);
        }
        match v {
            Some(v) => {
                self.values.push(v);
                self.valid[row / 64] |= 1 << (row % 64);
            }
            None => self.values.push(T::fill()),
        }
    }

    #[inline]
    fn get(&self, row: usize) -> Option<T> {
        if self.valid[row / 64] >> (row % 64) & 1 == 1 {
            Some(self.values[row])
        } else {
            None
        }
    }

    fn heap_bytes(&self) -> usize {
        self.values.capacity() * std::mem::size_of::<T>() + self.valid.capacity() * 8
    }

    fn shrink(&mut self) {
        self.values.shrink_to_fit();
        self.valid.shrink_to_fit();
    }
}

/// Dictionary codes, one per row, in the narrowest width that holds the dictionary; the
/// width's largest value is null.
#[derive(Debug, Clone)]
enum Codes {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
}

impl Codes {
    fn push(&mut self, code: Option<u32>) {
        // Widen first when the code does not fit (null codes always fit).
        if let Some(c) = code {
            match self {
                Codes::U8(v) if c >= u32::from(u8::MAX) => {
                    let wide = v
                        .iter()
                        .map(|&x| if x == u8::MAX { u16::MAX } else { u16::from(x) })
                        .collect();
                    *self = Codes::U16(wide);
                }
                _ => {}
            }
            match self {
                Codes::U16(v) if c >= u32::from(u16::MAX) => {
                    let wide = v
                        .iter()
                        .map(|&x| {
                            if x == u16::MAX {
                                u32::MAX
                            } else {
                                u32::from(x)
                            }
                        })
                        .collect();
                    *self = Codes::U32(wide);
                }
                _ => {}
            }
        }
        match self {
            // The checks above make these conversions exact.
            Codes::U8(v) => v.push(code.map_or(u8::MAX, |c| c as u8)),
            Codes::U16(v) => v.push(code.map_or(u16::MAX, |c| c as u16)),
            Codes::U32(v) => v.push(code.unwrap_or(u32::MAX)),
        }
    }

    #[inline]
    fn get(&self, row: usize) -> Option<u32> {
        match self {
            Codes::U8(v) => Some(v[row]).filter(|&c| c != u8::MAX).map(u32::from),
            Codes::U16(v) => Some(v[row]).filter(|&c| c != u16::MAX).map(u32::from),
            Codes::U32(v) => Some(v[row]).filter(|&c| c != u32::MAX),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Codes::U8(v) => v.capacity(),
            Codes::U16(v) => v.capacity() * 2,
            Codes::U32(v) => v.capacity() * 4,
        }
    }

    fn shrink(&mut self) {
        match self {
            Codes::U8(v) => v.shrink_to_fit(),
            Codes::U16(v) => v.shrink_to_fit(),
            Codes::U32(v) => v.shrink_to_fit(),
        }
    }
}

#[derive(Debug, Clone)]
enum Column {
    Text {
        offsets: Vec<u32>,
        bytes: String,
    },
    Dict {
        codes: Codes,
        /// Per code: the value in fr, en, nl, de (empty: fall back to fr).
        values: Vec<[Box<str>; 4]>,
    },
    Int(Nullable<i64>),
    Float(Nullable<f64>),
    Bool(Nullable<bool>),
    Date(Nullable<Date>),
    DateTime(Nullable<DateTime>),
    Geo(Nullable<GeoPoint>),
    /// A multi-valued text field: the joined text per row, and per row the dictionary codes
    /// of its values (`items[starts[row]..starts[row + 1]]`).
    Multi {
        joined: Box<Column>,
        starts: Vec<u32>,
        items: Vec<u32>,
        values: Vec<Box<str>>,
        separator: &'static str,
    },
}

fn lang_index(lang: Lang) -> usize {
    match lang {
        Lang::Fr => 0,
        Lang::En => 1,
        Lang::Nl => 2,
        Lang::De => 3,
    }
}

impl Column {
    fn new(spec: &FieldSpec) -> Column {
        match spec.def.field_type {
            FieldType::Text if spec.multi.is_some() => Column::Multi {
                joined: Box::new(Column::Text {
                    offsets: vec![0],
                    bytes: String::new(),
                }),
                starts: vec![0],
                items: Vec::new(),
                values: Vec::new(),
                separator: spec.multi.unwrap_or(", "),
            },
            FieldType::Text if spec.dict => Column::Dict {
                codes: Codes::U8(Vec::new()),
                values: Vec::new(),
            },
            FieldType::Text => Column::Text {
                offsets: vec![0],
                bytes: String::new(),
            },
            FieldType::Int => Column::Int(Nullable::new()),
            FieldType::Double => Column::Float(Nullable::new()),
            FieldType::Boolean => Column::Bool(Nullable::new()),
            FieldType::Date => Column::Date(Nullable::new()),
            FieldType::DateTime => Column::DateTime(Nullable::new()),
            FieldType::GeoPoint => Column::Geo(Nullable::new()),
        }
    }

    /// Appends a cell; a cell of the wrong kind is stored as null (the builders are ours,
    /// and tests check every dataset's rows against its schema). `lookup` is the
    /// dictionary's text → code map (unused by other columns).
    fn push(&mut self, cell: &Cell<'_>, lookup: &mut HashMap<Box<str>, u32>) {
        match self {
            Column::Text { offsets, bytes } => {
                match cell {
                    Cell::Text(s) => bytes.push_str(s),
                    Cell::Labels(l) => bytes.push_str(l.main()),
                    Cell::List(l) => push_joined(bytes, l, ", "),
                    _ => {}
                }
                offsets.push(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
            }
            Column::Multi {
                joined,
                starts,
                items,
                values,
                separator,
            } => {
                let one;
                let list: &[&str] = match cell {
                    Cell::List(l) => l,
                    Cell::Text(s) if !s.is_empty() => {
                        one = [*s];
                        &one
                    }
                    Cell::Labels(l) => {
                        one = [l.main()];
                        &one
                    }
                    _ => &[],
                };
                let list: Vec<&str> = list.iter().copied().filter(|v| !v.is_empty()).collect();
                let mut text = String::new();
                push_joined(&mut text, &list, separator);
                joined.push(&Cell::Text(&text), lookup);
                for v in list {
                    let code = match lookup.get(v) {
                        Some(&c) => c,
                        None => {
                            let c = values.len() as u32;
                            values.push(v.into());
                            lookup.insert(v.into(), c);
                            c
                        }
                    };
                    items.push(code);
                }
                starts.push(u32::try_from(items.len()).unwrap_or(u32::MAX));
            }
            Column::Dict { codes, values } => {
                let joined;
                let (key, labels): (&str, Option<&Labels>) = match cell {
                    Cell::Text(s) => (s, None),
                    Cell::List(l) => {
                        joined = {
                            let mut t = String::new();
                            push_joined(&mut t, l, ", ");
                            t
                        };
                        (joined.as_str(), None)
                    }
                    Cell::Labels(l) => (l.main(), Some(*l)),
                    _ => ("", None),
                };
                if key.is_empty() {
                    codes.push(None);
                    return;
                }
                let code = match lookup.get(key) {
                    Some(&c) => c,
                    None => {
                        let c = values.len() as u32;
                        let tr = |lang: Lang| -> Box<str> {
                            labels
                                .and_then(|l| l.exact(lang))
                                .unwrap_or_default()
                                .into()
                        };
                        values.push([key.into(), tr(Lang::En), tr(Lang::Nl), tr(Lang::De)]);
                        lookup.insert(key.into(), c);
                        c
                    }
                };
                codes.push(Some(code));
            }
            Column::Int(v) => v.push(match *cell {
                Cell::Int(i) => Some(i),
                _ => None,
            }),
            Column::Float(v) => v.push(match *cell {
                Cell::Float(x) if x.is_finite() => Some(x),
                Cell::Int(i) => Some(i as f64),
                _ => None,
            }),
            Column::Bool(v) => v.push(match *cell {
                Cell::Bool(b) => Some(b),
                _ => None,
            }),
            Column::Date(v) => v.push(match *cell {
                Cell::Date(d) => Some(d),
                _ => None,
            }),
            Column::DateTime(v) => v.push(match *cell {
                Cell::DateTime(t) => Some(t),
                Cell::Date(d) => Some(d.to_datetime()),
                _ => None,
            }),
            Column::Geo(v) => v.push(match *cell {
                Cell::Geo(p) => Some(p),
                _ => None,
            }),
        }
    }

    fn get(&self, row: usize, lang: usize) -> ValueRef<'_> {
        match self {
            Column::Text { offsets, bytes } => {
                let (a, b) = (offsets[row] as usize, offsets[row + 1] as usize);
                if a == b {
                    ValueRef::Null
                } else {
                    ValueRef::Text(&bytes[a..b])
                }
            }
            Column::Dict { codes, values } => match codes.get(row) {
                None => ValueRef::Null,
                Some(c) => {
                    let v = &values[c as usize];
                    let t = &v[lang];
                    ValueRef::Text(if t.is_empty() { &v[0] } else { t })
                }
            },
            Column::Int(v) => v.get(row).map_or(ValueRef::Null, ValueRef::Int),
            Column::Float(v) => v.get(row).map_or(ValueRef::Null, ValueRef::Float),
            Column::Bool(v) => v.get(row).map_or(ValueRef::Null, ValueRef::Bool),
            Column::Date(v) => v.get(row).map_or(ValueRef::Null, ValueRef::Date),
            Column::DateTime(v) => v.get(row).map_or(ValueRef::Null, ValueRef::DateTime),
            Column::Geo(v) => v.get(row).map_or(ValueRef::Null, ValueRef::Geo),
            Column::Multi { joined, .. } => joined.get(row, lang),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Column::Text { offsets, bytes } => offsets.capacity() * 4 + bytes.capacity(),
            Column::Dict { codes, values } => {
                codes.heap_bytes()
                    + values.capacity() * std::mem::size_of::<[Box<str>; 4]>()
                    + values
                        .iter()
                        .map(|v| v.iter().map(|s| s.len()).sum::<usize>())
                        .sum::<usize>()
            }
            Column::Int(v) => v.heap_bytes(),
            Column::Float(v) => v.heap_bytes(),
            Column::Bool(v) => v.heap_bytes(),
            Column::Date(v) => v.heap_bytes(),
            Column::DateTime(v) => v.heap_bytes(),
            Column::Geo(v) => v.heap_bytes(),
            Column::Multi {
                joined,
                starts,
                items,
                values,
                ..
            } => {
                joined.heap_bytes()
                    + starts.capacity() * 4
                    + items.capacity() * 4
                    + values.iter().map(|v| v.len() + 16).sum::<usize>()
            }
        }
    }

    fn shrink(&mut self) {
        match self {
            Column::Text { offsets, bytes } => {
                offsets.shrink_to_fit();
                bytes.shrink_to_fit();
            }
            Column::Dict { codes, values } => {
                codes.shrink();
                values.shrink_to_fit();
            }
            Column::Int(v) => v.shrink(),
            Column::Float(v) => v.shrink(),
            Column::Bool(v) => v.shrink(),
            Column::Date(v) => v.shrink(),
            Column::DateTime(v) => v.shrink(),
            Column::Geo(v) => v.shrink(),
            Column::Multi {
                joined,
                starts,
                items,
                values,
                ..
            } => {
                joined.shrink();
                starts.shrink_to_fit();
                items.shrink_to_fit();
                values.shrink_to_fit();
            }
        }
    }
}

fn push_joined(out: &mut String, list: &[&str], separator: &str) {
    for (i, v) in list.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        out.push_str(v);
    }
}

/// Fills a [`Table`] row by row.
pub struct TableBuilder {
    specs: Vec<FieldSpec>,
    columns: Vec<Column>,
    /// Per column: text → dictionary code (empty but for dictionary columns); dropped by
    /// [`TableBuilder::finish`].
    lookups: Vec<HashMap<Box<str>, u32>>,
    len: usize,
}

impl TableBuilder {
    /// A builder over `specs`; the first field is the record id.
    pub fn new(specs: Vec<FieldSpec>) -> TableBuilder {
        let columns = specs.iter().map(Column::new).collect();
        let lookups = specs.iter().map(|_| HashMap::new()).collect();
        TableBuilder {
            specs,
            columns,
            lookups,
            len: 0,
        }
    }

    /// Appends one row: one cell per field, in order (missing trailing cells are null).
    pub fn push(&mut self, cells: &[Cell<'_>]) {
        for (i, (col, lookup)) in self.columns.iter_mut().zip(&mut self.lookups).enumerate() {
            col.push(cells.get(i).unwrap_or(&Cell::Null), lookup);
        }
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn finish(mut self) -> Table {
        for c in &mut self.columns {
            c.shrink();
        }
        let schema = Schema::new(self.specs.iter().map(|s| s.def.clone()));
        // Ids sorted (the store streams entities by key): found by binary search, no
        // index. Otherwise a hash index.
        let mut by_key = HashMap::new();
        if let Some(col) = self.columns.first() {
            let key = |row: usize| match col.get(row, 0) {
                ValueRef::Text(k) => k,
                _ => "",
            };
            let sorted = (1..self.len).all(|r| key(r - 1) < key(r));
            if !sorted {
                for row in 0..self.len {
                    by_key.entry(key(row).to_owned()).or_insert(row as u32);
                }
            }
        }
        let n = self.columns.len();
        Table {
            schema,
            specs: self.specs,
            columns: self.columns,
            len: self.len,
            by_key,
            word_ix: (0..n).map(|_| OnceLock::new()).collect(),
            geo_ix: (0..n).map(|_| OnceLock::new()).collect(),
            keys: Default::default(),
        }
    }
}

/// A dataset's records, column by column.
#[derive(Debug, Clone)]
pub struct Table {
    schema: Schema,
    specs: Vec<FieldSpec>,
    columns: Vec<Column>,
    len: usize,
    /// Only when the ids are not sorted.
    by_key: HashMap<String, u32>,
    /// Per field: the word index of a plain text field, built on first search.
    word_ix: Vec<OnceLock<Option<WordIndex>>>,
    /// Per field: the grid over a geo field's points, built on first `within_distance`.
    geo_ix: Vec<OnceLock<Option<GeoIndex>>>,
    /// Per language: group keys numbered over the columns' values, between queries.
    keys: [KeyCache; 4],
}

impl Table {
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    pub fn specs(&self) -> &[FieldSpec] {
        &self.specs
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Row `i` read in `lang`.
    pub fn row(&self, i: usize, lang: Lang) -> Row<'_> {
        Row {
            table: self,
            index: i,
            lang: lang_index(lang),
        }
    }

    /// Every row, in order (records are sorted by id when built).
    pub fn rows(&self, lang: Lang) -> impl Iterator<Item = Row<'_>> + Clone + '_ {
        let l = lang_index(lang);
        (0..self.len).map(move |index| Row {
            table: self,
            index,
            lang: l,
        })
    }

    /// The row whose id (first field) is `key`.
    pub fn find(&self, key: &str) -> Option<usize> {
        if !self.by_key.is_empty() {
            return self.by_key.get(key).map(|&r| r as usize);
        }
        let id = |row: usize| match self.columns.first().map(|c| c.get(row, 0)) {
            Some(ValueRef::Text(k)) => k,
            _ => "",
        };
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match id(mid).cmp(key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// The distinct values of a dictionary field with their codes, for facet counting (of
    /// a multi-valued field: its distinct values, one by one).
    pub fn dictionary(&self, field: usize, lang: Lang) -> Option<Vec<&str>> {
        match self.columns.get(field)? {
            Column::Multi { values, .. } => Some(values.iter().map(|v| &**v).collect()),
            Column::Dict { values, .. } => Some(
                values
                    .iter()
                    .map(|v| {
                        let t = &v[lang_index(lang)];
                        if t.is_empty() { &*v[0] } else { &**t }
                    })
                    .collect(),
            ),
            _ => None,
        }
    }

    /// The dictionary code of row `row` of dictionary field `field` (`None` when null or
    /// not a dictionary field; for a multi-valued field, its first value's).
    pub fn code(&self, field: usize, row: usize) -> Option<u32> {
        match self.columns.get(field)? {
            Column::Dict { codes, .. } => codes.get(row),
            Column::Multi { .. } => self.codes(field, row).first().copied(),
            _ => None,
        }
    }

    /// The dictionary codes of the values of row `row` of multi-valued field `field`
    /// (empty when null or not multi-valued).
    pub fn codes(&self, field: usize, row: usize) -> &[u32] {
        match self.columns.get(field) {
            Some(Column::Multi { starts, items, .. }) => {
                let (a, b) = (starts[row] as usize, starts[row + 1] as usize);
                &items[a..b]
            }
            _ => &[],
        }
    }

    /// Whether field `field` is multi-valued ([`FieldSpec::multi`]).
    pub fn is_multi(&self, field: usize) -> bool {
        matches!(self.columns.get(field), Some(Column::Multi { .. }))
    }

    /// The values of row `row` of multi-valued field `field`, one by one (`None` when the
    /// field is not multi-valued).
    pub fn items(&self, field: usize, row: usize) -> Option<impl Iterator<Item = &str> + '_> {
        match self.columns.get(field)? {
            Column::Multi { values, .. } => Some(
                self.codes(field, row)
                    .iter()
                    .map(move |&c| &*values[c as usize]),
            ),
            _ => None,
        }
    }

    /// An estimate of the memory the columns hold.
    pub fn heap_bytes(&self) -> usize {
        self.columns.iter().map(Column::heap_bytes).sum::<usize>() + self.by_key.len() * 48
    }

    /// An estimate of the memory column `field` holds (0 for no such field).
    pub fn column_heap_bytes(&self, field: usize) -> usize {
        self.columns.get(field).map_or(0, Column::heap_bytes)
    }
}

/// A table read in one language, column by column, for the columnar ODSQL engine.
#[derive(Clone, Copy)]
pub struct TableColumns<'a> {
    table: &'a Table,
    lang: usize,
}

impl Table {
    /// The table's columns read in `lang` ([`territoria_odsql::Columns`]).
    pub fn columns(&self, lang: Lang) -> TableColumns<'_> {
        TableColumns {
            table: self,
            lang: lang_index(lang),
        }
    }

    /// For a dictionary or multi-valued text field: the rows whose value (one of whose
    /// values) satisfies `pred`, read in `lang`; `None` for other fields.
    pub fn rows_where_text(
        &self,
        field: usize,
        lang: Lang,
        pred: impl Fn(&str) -> bool,
    ) -> Option<territoria_odsql::Bitmap> {
        use territoria_odsql::Bitmap;
        let l = lang_index(lang);
        match self.columns.get(field)? {
            Column::Dict { codes, values } => {
                let hit: Vec<bool> = values
                    .iter()
                    .map(|v| pred(if v[l].is_empty() { &v[0] } else { &v[l] }))
                    .collect();
                Some(Bitmap::from_fn(self.len, |r| {
                    codes.get(r).is_some_and(|c| hit[c as usize])
                }))
            }
            Column::Multi {
                starts,
                items,
                values,
                ..
            } => {
                let hit: Vec<bool> = values.iter().map(|v| pred(v)).collect();
                Some(Bitmap::from_fn(self.len, |r| {
                    items[starts[r] as usize..starts[r + 1] as usize]
                        .iter()
                        .any(|&c| hit[c as usize])
                }))
            }
            _ => None,
        }
    }

    /// The memory the search indexes built so far hold (they are built on first use).
    pub fn index_heap_bytes(&self) -> usize {
        let w: usize = self
            .word_ix
            .iter()
            .filter_map(|c| c.get().and_then(Option::as_ref))
            .map(WordIndex::heap_bytes)
            .sum();
        let g: usize = self
            .geo_ix
            .iter()
            .filter_map(|c| c.get().and_then(Option::as_ref))
            .map(GeoIndex::heap_bytes)
            .sum();
        w + g + self.keys.iter().map(KeyCache::heap_bytes).sum::<usize>()
    }
}

/// Indexes the words of a text column when they repeat (fewer distinct words than a
/// quarter of the rows): names, not identifiers.
fn word_index(col: &Column, len: usize) -> Option<WordIndex> {
    let Column::Text { offsets, bytes } = col else {
        return None;
    };
    WordIndex::build(
        len,
        |row| {
            let (a, b) = (offsets[row] as usize, offsets[row + 1] as usize);
            (a < b).then(|| &bytes[a..b])
        },
        (len / 4).max(1024),
    )
}

impl<'a> Columns for TableColumns<'a> {
    type Row<'r>
        = Row<'a>
    where
        Self: 'r;

    fn len(&self) -> usize {
        self.table.len
    }

    fn column(&self, field: usize) -> ColumnView<'_> {
        match self.table.columns.get(field) {
            Some(Column::Int(v)) => ColumnView::Int {
                values: &v.values,
                valid: &v.valid,
            },
            Some(Column::Float(v)) => ColumnView::Float {
                values: &v.values,
                valid: &v.valid,
            },
            Some(Column::Bool(v)) => ColumnView::Bool {
                values: &v.values,
                valid: &v.valid,
            },
            Some(Column::Date(v)) => ColumnView::Date {
                values: &v.values,
                valid: &v.valid,
            },
            Some(Column::DateTime(v)) => ColumnView::DateTime {
                values: &v.values,
                valid: &v.valid,
            },
            Some(Column::Geo(v)) => ColumnView::Geo {
                values: &v.values,
                valid: &v.valid,
            },
            Some(Column::Dict { codes, values }) => ColumnView::Dict {
                codes: match codes {
                    Codes::U8(c) => CodeView::U8(c),
                    Codes::U16(c) => CodeView::U16(c),
                    Codes::U32(c) => CodeView::U32(c),
                },
                len: values.len(),
            },
            _ => ColumnView::Other,
        }
    }

    fn dict_value(&self, field: usize, code: u32) -> ValueRef<'_> {
        match self.table.columns.get(field) {
            Some(Column::Dict { values, .. }) => match values.get(code as usize) {
                Some(v) => {
                    let t = &v[self.lang];
                    ValueRef::Text(if t.is_empty() { &v[0] } else { t })
                }
                None => ValueRef::Null,
            },
            _ => ValueRef::Null,
        }
    }

    fn row(&self, index: usize) -> Row<'a> {
        Row {
            table: self.table,
            index,
            lang: self.lang,
        }
    }

    fn word_index(&self, field: usize) -> Option<&WordIndex> {
        let t = self.table;
        t.word_ix
            .get(field)?
            .get_or_init(|| word_index(t.columns.get(field)?, t.len))
            .as_ref()
    }

    fn key_cache(&self) -> Option<&KeyCache> {
        self.table.keys.get(self.lang)
    }

    fn geo_index(&self, field: usize) -> Option<&GeoIndex> {
        let t = self.table;
        t.geo_ix
            .get(field)?
            .get_or_init(|| match t.columns.get(field)? {
                Column::Geo(v) => Some(GeoIndex::build(&v.values, &v.valid)),
                _ => None,
            })
            .as_ref()
    }
}

/// One record of a [`Table`], read in one language.
#[derive(Clone, Copy)]
pub struct Row<'a> {
    table: &'a Table,
    index: usize,
    lang: usize,
}

impl<'a> Row<'a> {
    pub fn index(&self) -> usize {
        self.index
    }

    pub fn table(&self) -> &'a Table {
        self.table
    }

    /// Field `field`, borrowed from the table (outlives the row).
    pub fn get(&self, field: usize) -> ValueRef<'a> {
        self.table
            .columns
            .get(field)
            .map_or(ValueRef::Null, |c| c.get(self.index, self.lang))
    }
}

impl Record for Row<'_> {
    fn value(&self, field: usize) -> ValueRef<'_> {
        self.get(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionary_columns_translate_and_share_values() {
        let mut b = TableBuilder::new(vec![
            FieldSpec::new("id", FieldType::Text, "Identifiant", "Identifier"),
            FieldSpec::new("province", FieldType::Text, "Province", "Province").facet(),
            FieldSpec::new("n", FieldType::Int, "N", "N"),
        ]);
        let liege = Labels::fr("Liège").with(Lang::Nl, "Luik");
        b.push(&[Cell::Text("a"), Cell::Labels(&liege), Cell::Int(1)]);
        b.push(&[Cell::Text("b"), Cell::Null, Cell::Null]);
        b.push(&[Cell::Text("c"), Cell::Labels(&liege), Cell::Int(3)]);
        let t = b.finish();
        assert_eq!(t.len(), 3);
        assert_eq!(t.row(0, Lang::Fr).get(1), ValueRef::Text("Liège"));
        assert_eq!(t.row(2, Lang::Nl).get(1), ValueRef::Text("Luik"));
        assert_eq!(t.row(2, Lang::En).get(1), ValueRef::Text("Liège"));
        assert_eq!(t.row(1, Lang::Fr).get(1), ValueRef::Null);
        assert_eq!(t.row(1, Lang::Fr).get(2), ValueRef::Null);
        assert_eq!(t.find("c"), Some(2));
        assert_eq!(t.dictionary(1, Lang::Fr).unwrap(), vec!["Liège"]);
        assert_eq!(t.code(1, 2), Some(0));
        assert_eq!(t.code(1, 1), None);
    }

    /// Every column type gives back what was pushed, nulls included, across more than one
    /// word of the validity bitmap.
    #[test]
    fn every_column_type_round_trips_with_nulls() {
        let specs = vec![
            FieldSpec::new("id", FieldType::Text, "Id", "Id"),
            FieldSpec::new("codes", FieldType::Text, "Codes", "Codes").dictionary(),
            FieldSpec::new("i", FieldType::Int, "I", "I"),
            FieldSpec::new("f", FieldType::Double, "F", "F"),
            FieldSpec::new("b", FieldType::Boolean, "B", "B"),
            FieldSpec::new("d", FieldType::Date, "D", "D"),
            FieldSpec::new("t", FieldType::DateTime, "T", "T"),
            FieldSpec::new("g", FieldType::GeoPoint, "G", "G"),
        ];
        assert!(specs[1].dict && !specs[1].facet);
        let mut b = TableBuilder::new(specs);
        let n = 200;
        let day = |i: usize| Date::from_ymd(1900 + i as i32, 1 + (i % 12) as u32, 28).unwrap();
        // Row i: null where i % 3 == 1 (and, for the int, also a zero and i64::MIN, values
        // a sentinel would confuse with null).
        let expect = |i: usize, field: usize| -> Option<Cell<'static>> {
            if i % 3 == 1 {
                return None;
            }
            Some(match field {
                2 => Cell::Int(match i {
                    0 => 0,
                    3 => i64::MIN,
                    _ => i as i64 - 100,
                }),
                3 => Cell::Float(i as f64 / 4.0 - 7.0),
                4 => Cell::Bool(i % 2 == 0),
                5 => Cell::Date(day(i)),
                6 => Cell::DateTime(DateTime::from_millis(i as i64 * 1_000_003 - 5)),
                7 => Cell::Geo(GeoPoint {
                    lon: i as f64 / 100.0,
                    lat: 50.0 + i as f64 / 1000.0,
                }),
                _ => unreachable!(),
            })
        };
        let ids: Vec<String> = (0..n).map(|i| format!("r{i:04}")).collect();
        let codes = ["A01, B02", "C03", ""];
        for (i, id) in ids.iter().enumerate() {
            let mut cells = vec![Cell::Text(id), Cell::Text(codes[i % 3])];
            cells.extend((2..8).map(|f| expect(i, f).unwrap_or(Cell::Null)));
            b.push(&cells);
        }
        let t = b.finish();
        assert_eq!(t.len(), n);
        for i in 0..n {
            let row = t.row(i, Lang::En);
            assert_eq!(row.get(0), ValueRef::Text(&ids[i]));
            let text = codes[i % 3];
            let want = if text.is_empty() {
                ValueRef::Null
            } else {
                ValueRef::Text(text)
            };
            assert_eq!(row.get(1), want, "row {i}");
            for f in 2..8 {
                let want = match expect(i, f) {
                    None => ValueRef::Null,
                    Some(Cell::Int(v)) => ValueRef::Int(v),
                    Some(Cell::Float(v)) => ValueRef::Float(v),
                    Some(Cell::Bool(v)) => ValueRef::Bool(v),
                    Some(Cell::Date(v)) => ValueRef::Date(v),
                    Some(Cell::DateTime(v)) => ValueRef::DateTime(v),
                    Some(Cell::Geo(v)) => ValueRef::Geo(v),
                    Some(_) => unreachable!(),
                };
                assert_eq!(row.get(f), want, "row {i}, field {f}");
            }
        }
        assert_eq!(t.find("r0150"), Some(150));
        assert_eq!(t.dictionary(1, Lang::Fr).unwrap(), vec!["A01, B02", "C03"]);
        // Dense values and a bit per row: 8 bytes and a bit per int, 16 per point.
        assert_eq!(t.column_heap_bytes(2), n * 8 + n.div_ceil(64) * 8);
        assert_eq!(t.column_heap_bytes(7), n * 16 + n.div_ceil(64) * 8);
    }

    /// Codes start one byte wide and widen to two, then four bytes as the dictionary
    /// grows, keeping every earlier code and null.
    #[test]
    fn dictionary_codes_widen_as_the_dictionary_grows() {
        let mut b = TableBuilder::new(vec![
            FieldSpec::new("id", FieldType::Text, "Id", "Id"),
            FieldSpec::new("v", FieldType::Text, "V", "V").facet(),
        ]);
        let distinct = 80_000;
        let value = |i: usize| -> Option<String> { (i % 7 != 3).then(|| format!("v{i}")) };
        let width = |b: &TableBuilder| match &b.columns[1] {
            Column::Dict { codes, .. } => match codes {
                Codes::U8(_) => 1,
                Codes::U16(_) => 2,
                Codes::U32(_) => 4,
            },
            _ => 0,
        };
        let mut widths = Vec::new();
        for i in 0..distinct {
            let v = value(i);
            b.push(&[Cell::Text(&format!("{i:06}")), Cell::text(v.as_deref())]);
            if widths.last() != Some(&width(&b)) {
                widths.push(width(&b));
            }
        }
        assert_eq!(widths, vec![1, 2, 4]);
        let t = b.finish();
        let mut code = 0;
        for i in 0..distinct {
            match value(i) {
                Some(v) => {
                    assert_eq!(t.row(i, Lang::Fr).get(1), ValueRef::Text(&v), "row {i}");
                    assert_eq!(t.code(1, i), Some(code), "row {i}");
                    code += 1;
                }
                None => {
                    assert_eq!(t.row(i, Lang::Fr).get(1), ValueRef::Null, "row {i}");
                    assert_eq!(t.code(1, i), None, "row {i}");
                }
            }
        }
        assert_eq!(t.dictionary(1, Lang::Fr).unwrap().len(), code as usize);
    }
}
