//! The in-memory columnar table behind a dataset.
//!
//! ```text
//!  Table ── schema: odsql::Schema (public fields, in order)
//!        ├─ columns[i]: one per field
//!        │    Text   offsets: Vec<u32> (len + 1) ─► bytes: String      (names, keys)
//!        │    Dict   codes: Vec<u32> ─► values[code]: [fr, en, nl, de]  (municipality, NACE, …)
//!        │    Int / Float / Bool / Date / DateTime / Geo: Vec<Option<_>>
//!        └─ by_key: record id (the `id` field) → row
//! ```
//!
//! Repeated text (a municipality, a province, a NACE label) is dictionary-encoded: a row
//! holds a `u32` code, so a million organisations weigh a few tens of MiB. A missing text
//! is the empty string and reads as null. Rows are read through [`Row`], which implements
//! [`territoria_odsql::Record`] without copying.

use std::collections::HashMap;

use territoria_model::{Labels, Lang};
use territoria_odsql::{Date, DateTime, FieldDef, FieldType, GeoPoint, Record, Schema, ValueRef};

/// `NO_CODE` marks a null dictionary cell.
const NO_CODE: u32 = u32::MAX;

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
}

impl FieldSpec {
    pub fn new(name: &str, field_type: FieldType, label_fr: &str, label_en: &str) -> FieldSpec {
        FieldSpec {
            def: FieldDef::new(name, field_type, label_fr),
            label_en: label_en.to_owned(),
            dict: false,
            facet: false,
            description: String::new(),
        }
    }

    /// A dictionary-encoded text field offered as a facet.
    pub fn facet(mut self) -> FieldSpec {
        self.facet = true;
        if self.def.field_type == FieldType::Text {
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

#[derive(Debug, Clone)]
enum Column {
    Text {
        offsets: Vec<u32>,
        bytes: String,
    },
    Dict {
        codes: Vec<u32>,
        /// Per code: the value in fr, en, nl, de (empty: fall back to fr).
        values: Vec<[Box<str>; 4]>,
        lookup: HashMap<Box<str>, u32>,
    },
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Date(Vec<Option<Date>>),
    DateTime(Vec<Option<DateTime>>),
    Geo(Vec<Option<GeoPoint>>),
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
            FieldType::Text if spec.dict => Column::Dict {
                codes: Vec::new(),
                values: Vec::new(),
                lookup: HashMap::new(),
            },
            FieldType::Text => Column::Text {
                offsets: vec![0],
                bytes: String::new(),
            },
            FieldType::Int => Column::Int(Vec::new()),
            FieldType::Double => Column::Float(Vec::new()),
            FieldType::Boolean => Column::Bool(Vec::new()),
            FieldType::Date => Column::Date(Vec::new()),
            FieldType::DateTime => Column::DateTime(Vec::new()),
            FieldType::GeoPoint => Column::Geo(Vec::new()),
        }
    }

    /// Appends a cell; a cell of the wrong kind is stored as null (the builders are ours,
    /// and tests check every dataset's rows against its schema).
    fn push(&mut self, cell: &Cell<'_>) {
        match self {
            Column::Text { offsets, bytes } => {
                match cell {
                    Cell::Text(s) => bytes.push_str(s),
                    Cell::Labels(l) => bytes.push_str(l.main()),
                    _ => {}
                }
                offsets.push(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
            }
            Column::Dict {
                codes,
                values,
                lookup,
            } => {
                let (key, labels): (&str, Option<&Labels>) = match cell {
                    Cell::Text(s) => (s, None),
                    Cell::Labels(l) => (l.main(), Some(*l)),
                    _ => ("", None),
                };
                if key.is_empty() {
                    codes.push(NO_CODE);
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
                codes.push(code);
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
            Column::Dict { codes, values, .. } => match codes[row] {
                NO_CODE => ValueRef::Null,
                c => {
                    let v = &values[c as usize];
                    let t = &v[lang];
                    ValueRef::Text(if t.is_empty() { &v[0] } else { t })
                }
            },
            Column::Int(v) => v[row].map_or(ValueRef::Null, ValueRef::Int),
            Column::Float(v) => v[row].map_or(ValueRef::Null, ValueRef::Float),
            Column::Bool(v) => v[row].map_or(ValueRef::Null, ValueRef::Bool),
            Column::Date(v) => v[row].map_or(ValueRef::Null, ValueRef::Date),
            Column::DateTime(v) => v[row].map_or(ValueRef::Null, ValueRef::DateTime),
            Column::Geo(v) => v[row].map_or(ValueRef::Null, ValueRef::Geo),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Column::Text { offsets, bytes } => offsets.capacity() * 4 + bytes.capacity(),
            Column::Dict { codes, values, .. } => {
                codes.capacity() * 4
                    + values
                        .iter()
                        .map(|v| v.iter().map(|s| s.len() * 2 + 16).sum::<usize>())
                        .sum::<usize>()
            }
            Column::Int(v) => v.capacity() * 16,
            Column::Float(v) => v.capacity() * 16,
            Column::Bool(v) => v.capacity(),
            Column::Date(v) => v.capacity() * 8,
            Column::DateTime(v) => v.capacity() * 16,
            Column::Geo(v) => v.capacity() * 24,
        }
    }

    fn shrink(&mut self) {
        match self {
            Column::Text { offsets, bytes } => {
                offsets.shrink_to_fit();
                bytes.shrink_to_fit();
            }
            Column::Dict { codes, .. } => codes.shrink_to_fit(),
            Column::Int(v) => v.shrink_to_fit(),
            Column::Float(v) => v.shrink_to_fit(),
            Column::Bool(v) => v.shrink_to_fit(),
            Column::Date(v) => v.shrink_to_fit(),
            Column::DateTime(v) => v.shrink_to_fit(),
            Column::Geo(v) => v.shrink_to_fit(),
        }
    }
}

/// Fills a [`Table`] row by row.
pub struct TableBuilder {
    specs: Vec<FieldSpec>,
    columns: Vec<Column>,
    len: usize,
}

impl TableBuilder {
    /// A builder over `specs`; the first field is the record id.
    pub fn new(specs: Vec<FieldSpec>) -> TableBuilder {
        let columns = specs.iter().map(Column::new).collect();
        TableBuilder {
            specs,
            columns,
            len: 0,
        }
    }

    /// Appends one row: one cell per field, in order (missing trailing cells are null).
    pub fn push(&mut self, cells: &[Cell<'_>]) {
        for (i, col) in self.columns.iter_mut().enumerate() {
            col.push(cells.get(i).unwrap_or(&Cell::Null));
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
        Table {
            schema,
            specs: self.specs,
            columns: self.columns,
            len: self.len,
            by_key,
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

    /// The distinct values of a dictionary field with their codes, for facet counting.
    pub fn dictionary(&self, field: usize, lang: Lang) -> Option<Vec<&str>> {
        match self.columns.get(field)? {
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
    /// not a dictionary field).
    pub fn code(&self, field: usize, row: usize) -> Option<u32> {
        match self.columns.get(field)? {
            Column::Dict { codes, .. } => Some(codes[row]).filter(|&c| c != NO_CODE),
            _ => None,
        }
    }

    /// An estimate of the memory the columns hold.
    pub fn heap_bytes(&self) -> usize {
        self.columns.iter().map(Column::heap_bytes).sum::<usize>() + self.by_key.len() * 48
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
}
