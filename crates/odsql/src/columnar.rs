//! Columnar, vectorised execution over a source that exposes its columns ([`Columns`]).
//!
//! ```text
//!  where ──► selection bitmap (one bit per row), leaf by leaf, AND/OR/NOT as word operations
//!            • a leaf on one dictionary field: the condition is tested once per dictionary
//!              value (and once for null), then rows are read through their codes;
//!            • a comparison or range of a number or date field with a constant: a typed
//!              loop over the dense values, masked by the validity bitmap;
//!            • full-text search / within_distance: the source's word and grid indexes;
//!            • anything else: the row evaluator, on the rows still selected.
//!  group_by ─► every key through a dense integer code per row (a dictionary code, a day or
//!              an integer within a small span: the key is computed once per distinct value),
//!              combined into one group number; aggregates of plain fields in typed arrays
//!  order_by + limit ─► a bounded top-k over one typed column
//! ```
//!
//! Each fast path gives exactly what the row evaluator gives (the same `test`, `key_value`,
//! comparison and aggregate code decide on each distinct value; property tests check it
//! against brute force). Work over a million rows is split between the machine's cores.
//! Anything the fast paths do not cover runs through the row evaluator on the selected rows.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::OnceLock;

use crate::compile::{Cmp, Node};
use crate::eval::test;
use crate::text::{glob, words_of};
use crate::value::{Date, DateTime, GeoPoint, Record, ValueRef, compare};

/// Dictionary codes, one per row, in the narrowest width; the width's largest value is null.
#[derive(Debug, Clone, Copy)]
pub enum Codes<'a> {
    U8(&'a [u8]),
    U16(&'a [u16]),
    U32(&'a [u32]),
}

impl Codes<'_> {
    /// The code of `row` (`None`: null).
    #[inline]
    pub fn get(&self, row: usize) -> Option<u32> {
        match self {
            Codes::U8(v) => Some(v[row]).filter(|&c| c != u8::MAX).map(u32::from),
            Codes::U16(v) => Some(v[row]).filter(|&c| c != u16::MAX).map(u32::from),
            Codes::U32(v) => Some(v[row]).filter(|&c| c != u32::MAX),
        }
    }
}

/// How a source stores one column, as the vectorised paths read it. `valid` has one bit per
/// row (bit `row % 64` of word `row / 64`), set when the row holds a value.
#[derive(Debug, Clone, Copy)]
pub enum ColumnView<'a> {
    Int {
        values: &'a [i64],
        valid: &'a [u64],
    },
    Float {
        values: &'a [f64],
        valid: &'a [u64],
    },
    Bool {
        values: &'a [bool],
        valid: &'a [u64],
    },
    Date {
        values: &'a [Date],
        valid: &'a [u64],
    },
    DateTime {
        values: &'a [DateTime],
        valid: &'a [u64],
    },
    Geo {
        values: &'a [GeoPoint],
        valid: &'a [u64],
    },
    /// Dictionary-encoded text: `len` values, read with [`Columns::dict_value`].
    Dict {
        codes: Codes<'a>,
        len: usize,
    },
    /// Read row by row only.
    Other,
}

/// A columnar source of records: a dataset's table read in one language.
pub trait Columns: Sync {
    type Row<'a>: Record
    where
        Self: 'a;
    /// The number of rows.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn column(&self, field: usize) -> ColumnView<'_>;
    /// Value `code` of dictionary field `field`.
    fn dict_value(&self, field: usize, code: u32) -> ValueRef<'_>;
    fn row(&self, index: usize) -> Self::Row<'_>;
    /// The words of text field `field`, indexed (built on first use), where the source keeps
    /// such an index.
    fn word_index(&self, _field: usize) -> Option<&WordIndex> {
        None
    }
    /// A grid over the points of geo field `field` (built on first use), where the source
    /// keeps one.
    fn geo_index(&self, _field: usize) -> Option<&GeoIndex> {
        None
    }
    /// Where the numbering of group keys over this source's values can be kept between
    /// queries (the source's data never change while it lives).
    fn key_cache(&self) -> Option<&KeyCache> {
        None
    }
}

/// Group keys numbered over a source's values, kept between queries: per field and key,
/// the domain's span and per domain value its key number, and the keys' values.
#[derive(Debug, Default)]
pub struct KeyCache {
    map: std::sync::Mutex<HashMap<String, std::sync::Arc<CachedKey>>>,
}

#[derive(Debug)]
pub(crate) struct CachedKey {
    pub span: (i64, usize),
    pub map: Vec<u32>,
    pub values: Vec<crate::value::Value>,
}

/// Keys kept at most (each holds one number per value of its domain).
const KEY_CACHE_MAX: usize = 64;

impl KeyCache {
    pub(crate) fn get(&self, key: &str) -> Option<std::sync::Arc<CachedKey>> {
        self.map.lock().ok()?.get(key).cloned()
    }

    pub(crate) fn put(&self, key: String, value: std::sync::Arc<CachedKey>) {
        if let Ok(mut m) = self.map.lock() {
            if m.len() >= KEY_CACHE_MAX {
                m.clear();
            }
            m.insert(key, value);
        }
    }

    /// An estimate of the memory the cached keys hold.
    pub fn heap_bytes(&self) -> usize {
        self.map.lock().map_or(0, |m| {
            m.values()
                .map(|k| k.map.capacity() * 4 + k.values.capacity() * 32)
                .sum()
        })
    }
}

impl Clone for KeyCache {
    /// A copy starts empty (a cache, not data).
    fn clone(&self) -> KeyCache {
        KeyCache::default()
    }
}

/// One bit per row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitmap {
    words: Vec<u64>,
    len: usize,
}

/// Rows below this are evaluated on one thread.
const PAR_MIN_ROWS: usize = 1 << 16;

fn threads() -> usize {
    static N: OnceLock<usize> = OnceLock::new();
    *N.get_or_init(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(8)
    })
}

/// Runs `f(first word, words)` over `out` split between the cores.
fn par_words(out: &mut [u64], f: impl Fn(usize, &mut [u64]) + Sync) {
    let t = threads();
    if t <= 1 || out.len() * 64 < PAR_MIN_ROWS {
        f(0, out);
        return;
    }
    let per = out.len().div_ceil(t);
    std::thread::scope(|s| {
        for (i, chunk) in out.chunks_mut(per).enumerate() {
            let f = &f;
            s.spawn(move || f(i * per, chunk));
        }
    });
}

impl Bitmap {
    /// No row.
    pub fn empty(len: usize) -> Bitmap {
        Bitmap {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    /// Every row.
    pub fn full(len: usize) -> Bitmap {
        let mut b = Bitmap {
            words: vec![u64::MAX; len.div_ceil(64)],
            len,
        };
        b.trim();
        b
    }

    /// The rows for which `f` holds, every row tested (in parallel for large tables).
    pub fn from_fn(len: usize, f: impl Fn(usize) -> bool + Sync) -> Bitmap {
        let mut b = Bitmap::empty(len);
        par_words(&mut b.words, |w0, words| {
            for (k, word) in words.iter_mut().enumerate() {
                let base = (w0 + k) * 64;
                let n = (len - base).min(64);
                let mut bits = 0u64;
                for j in 0..n {
                    bits |= u64::from(f(base + j)) << j;
                }
                *word = bits;
            }
        });
        b
    }

    /// The rows of `self` for which `f` holds (only those rows are tested).
    pub fn filter(&self, f: impl Fn(usize) -> bool + Sync) -> Bitmap {
        let mut out = self.clone();
        par_words(&mut out.words, |w0, words| {
            for (k, word) in words.iter_mut().enumerate() {
                let mut bits = *word;
                let mut keep = 0u64;
                while bits != 0 {
                    let j = bits.trailing_zeros();
                    bits &= bits - 1;
                    if f((w0 + k) * 64 + j as usize) {
                        keep |= 1 << j;
                    }
                }
                *word = keep;
            }
        });
        out
    }

    /// A bitmap over validity words (`valid`, one bit per row).
    fn from_words(words: &[u64], len: usize) -> Bitmap {
        let mut w = words.to_vec();
        w.resize(len.div_ceil(64), 0);
        let mut b = Bitmap { words: w, len };
        b.trim();
        b
    }

    fn trim(&mut self) {
        if self.len % 64 != 0 {
            if let Some(last) = self.words.last_mut() {
                *last &= (1u64 << (self.len % 64)) - 1;
            }
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of rows set.
    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn contains(&self, row: usize) -> bool {
        row < self.len && self.words[row / 64] >> (row % 64) & 1 == 1
    }

    pub fn insert(&mut self, row: usize) {
        if row < self.len {
            self.words[row / 64] |= 1 << (row % 64);
        }
    }

    pub fn and(&mut self, other: &Bitmap) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= b;
        }
    }

    pub fn or(&mut self, other: &Bitmap) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
    }

    /// Keeps the rows of `self` not in `other`.
    pub fn and_not(&mut self, other: &Bitmap) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= !b;
        }
    }

    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// The rows set, in order.
    pub fn ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| {
            let mut bits = w;
            std::iter::from_fn(move || {
                if bits == 0 {
                    return None;
                }
                let j = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                Some(i * 64 + j)
            })
        })
    }
}

/// A record holding one field (every other reads as null): to test a condition on one
/// distinct value.
pub(crate) struct One<'a>(pub usize, pub ValueRef<'a>);

impl Record for One<'_> {
    fn value(&self, field: usize) -> ValueRef<'_> {
        if field == self.0 {
            self.1
        } else {
            ValueRef::Null
        }
    }
}

/// The fields a node reads.
pub(crate) fn node_fields(node: &Node, out: &mut Vec<usize>) {
    let add = |f: usize, out: &mut Vec<usize>| {
        if !out.contains(&f) {
            out.push(f);
        }
    };
    match node {
        Node::Const(_) => {}
        Node::Field(f) => add(*f, out),
        Node::Search(fields, _) => {
            for &f in fields.iter() {
                add(f, out);
            }
        }
        Node::And(items) | Node::Or(items) => {
            for n in items {
                node_fields(n, out);
            }
        }
        Node::Arith(_, a, b) | Node::Cmp(_, a, b) => {
            node_fields(a, out);
            node_fields(b, out);
        }
        Node::Neg(n)
        | Node::Not(n)
        | Node::Words(n, _)
        | Node::StartsWith(n, _)
        | Node::InList(n, _)
        | Node::IsNull(n, _)
        | Node::Within(n, ..)
        | Node::InBbox(n, _)
        | Node::InShape(n, _)
        | Node::DatePart(_, n)
        | Node::Case(_, n)
        | Node::Length(n)
        | Node::DateFormat(n, _) => node_fields(n, out),
        Node::InRange { expr, .. } => node_fields(expr, out),
    }
}

/// The only field a node reads, if it reads exactly one.
pub(crate) fn single_field(node: &Node) -> Option<usize> {
    let mut f = Vec::new();
    node_fields(node, &mut f);
    match f.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

#[inline]
fn bit(words: &[u64], row: usize) -> bool {
    words[row / 64] >> (row % 64) & 1 == 1
}

/// Field `field` of row `row`, read straight from its column (`None`: read the row).
#[inline]
pub(crate) fn cell<'c, C: Columns>(
    cols: &'c C,
    view: &ColumnView<'c>,
    field: usize,
    row: usize,
) -> Option<ValueRef<'c>> {
    let v = |valid: &[u64], x: ValueRef<'c>| {
        if bit(valid, row) { x } else { ValueRef::Null }
    };
    Some(match *view {
        ColumnView::Int { values, valid } => v(valid, ValueRef::Int(values[row])),
        ColumnView::Float { values, valid } => v(valid, ValueRef::Float(values[row])),
        ColumnView::Bool { values, valid } => v(valid, ValueRef::Bool(values[row])),
        ColumnView::Date { values, valid } => v(valid, ValueRef::Date(values[row])),
        ColumnView::DateTime { values, valid } => v(valid, ValueRef::DateTime(values[row])),
        ColumnView::Geo { values, valid } => v(valid, ValueRef::Geo(values[row])),
        ColumnView::Dict { codes, .. } => match codes.get(row) {
            Some(c) => cols.dict_value(field, c),
            None => ValueRef::Null,
        },
        ColumnView::Other => return None,
    })
}

/// Per dictionary code (and, last, for null): whether `f` holds.
fn code_table<'c, C: Columns>(
    cols: &'c C,
    field: usize,
    len: usize,
    f: impl Fn(ValueRef<'c>) -> bool,
) -> Vec<bool> {
    let mut t: Vec<bool> = (0..len as u32)
        .map(|c| f(cols.dict_value(field, c)))
        .collect();
    t.push(f(ValueRef::Null));
    t
}

/// The rows whose code passes `table` (built by [`code_table`]), among `cand`.
fn rows_by_code(codes: Codes<'_>, table: &[bool], cand: &Bitmap) -> Bitmap {
    let null = table[table.len() - 1];
    let len = cand.len();
    if !table.iter().any(|&t| t) {
        return Bitmap::empty(len);
    }
    let mut b = match codes {
        Codes::U8(c) => {
            let mut t = [null; 256];
            t[..table.len() - 1].copy_from_slice(&table[..table.len() - 1]);
            Bitmap::from_fn(len, |r| t[c[r] as usize])
        }
        Codes::U16(c) => {
            let mut t = vec![null; 1 << 16];
            t[..table.len() - 1].copy_from_slice(&table[..table.len() - 1]);
            Bitmap::from_fn(len, |r| t[c[r] as usize])
        }
        Codes::U32(c) => Bitmap::from_fn(len, |r| {
            if c[r] == u32::MAX {
                null
            } else {
                table[c[r] as usize]
            }
        }),
    };
    b.and(cand);
    b
}

fn flip(op: Cmp) -> Cmp {
    match op {
        Cmp::Lt => Cmp::Gt,
        Cmp::Le => Cmp::Ge,
        Cmp::Gt => Cmp::Lt,
        Cmp::Ge => Cmp::Le,
        o => o,
    }
}

/// A typed loop: rows whose valid value `x` satisfies `f`, among `cand`.
fn dense<T: Copy + Sync>(
    values: &[T],
    valid: &[u64],
    cand: &Bitmap,
    f: impl Fn(T) -> bool + Sync,
) -> Bitmap {
    let mut b = Bitmap::from_fn(cand.len(), |r| f(values[r]));
    b.and(&Bitmap::from_words(valid, cand.len()));
    b.and(cand);
    b
}

/// `x op c` for a typed column and a constant of a kind [`compare`] orders numerically or
/// by day; `None` when the pair is not one of those.
fn compare_column(
    view: &ColumnView<'_>,
    op: Cmp,
    c: ValueRef<'_>,
    cand: &Bitmap,
) -> Option<Bitmap> {
    macro_rules! by_op {
        ($values:expr, $valid:expr, |$x:ident| $ord:expr) => {
            Some(match op {
                Cmp::Eq => dense($values, $valid, cand, |$x| $ord == Ordering::Equal),
                Cmp::Ne => dense($values, $valid, cand, |$x| $ord != Ordering::Equal),
                Cmp::Lt => dense($values, $valid, cand, |$x| $ord == Ordering::Less),
                Cmp::Le => dense($values, $valid, cand, |$x| $ord != Ordering::Greater),
                Cmp::Gt => dense($values, $valid, cand, |$x| $ord == Ordering::Greater),
                Cmp::Ge => dense($values, $valid, cand, |$x| $ord != Ordering::Less),
            })
        };
    }
    match (*view, c) {
        (ColumnView::Int { values, valid }, ValueRef::Int(c)) => {
            by_op!(values, valid, |x| x.cmp(&c))
        }
        (ColumnView::Int { values, valid }, ValueRef::Float(c)) => {
            by_op!(values, valid, |x| compare(
                ValueRef::Float(x as f64),
                ValueRef::Float(c)
            ))
        }
        (ColumnView::Float { values, valid }, ValueRef::Float(_) | ValueRef::Int(_)) => {
            by_op!(values, valid, |x| compare(ValueRef::Float(x), c))
        }
        (ColumnView::Date { values, valid }, ValueRef::Date(c)) => {
            by_op!(values, valid, |x| x.cmp(&c))
        }
        (ColumnView::DateTime { values, valid }, ValueRef::DateTime(c)) => {
            by_op!(values, valid, |x| x.millis().cmp(&c.millis()))
        }
        _ => None,
    }
}

/// The rows of `cand` that pass condition `node`.
pub(crate) fn select<C: Columns>(node: &Node, cols: &C, cand: &Bitmap) -> Bitmap {
    match node {
        Node::And(items) => {
            let mut acc = cand.clone();
            for n in items {
                if acc.count() == 0 {
                    break;
                }
                acc = select(n, cols, &acc);
            }
            acc
        }
        Node::Or(items) => {
            let mut acc = Bitmap::empty(cand.len());
            let mut rest = cand.clone();
            for n in items {
                let hit = select(n, cols, &rest);
                rest.and_not(&hit);
                acc.or(&hit);
            }
            acc
        }
        Node::Not(n) => {
            let mut out = cand.clone();
            out.and_not(&select(n, cols, cand));
            out
        }
        _ => leaf(node, cols, cand),
    }
}

fn leaf<C: Columns>(node: &Node, cols: &C, cand: &Bitmap) -> Bitmap {
    // A comparison of a typed column with a constant.
    if let Node::Cmp(op, l, r) = node {
        let typed = match (&**l, &**r) {
            (Node::Field(f), Node::Const(c)) => Some((*f, *op, c)),
            (Node::Const(c), Node::Field(f)) => Some((*f, flip(*op), c)),
            _ => None,
        };
        if let Some((f, op, c)) = typed {
            if !c.is_null() {
                if let Some(b) = compare_column(&cols.column(f), op, c.as_ref(), cand) {
                    return b;
                }
            }
        }
    }
    if let Node::InRange {
        expr,
        low,
        high,
        low_inclusive,
        high_inclusive,
    } = node
    {
        if let Node::Field(f) = **expr {
            let view = cols.column(f);
            let lo = if *low_inclusive { Cmp::Ge } else { Cmp::Gt };
            let hi = if *high_inclusive { Cmp::Le } else { Cmp::Lt };
            if let Some(mut a) = compare_column(&view, lo, low.as_ref(), cand) {
                if let Some(b) = compare_column(&view, hi, high.as_ref(), &a) {
                    a.and(&b);
                    return a;
                }
            }
        }
    }
    if let Node::IsNull(n, negated) = node {
        if let Node::Field(f) = **n {
            let valid = match cols.column(f) {
                ColumnView::Int { valid, .. }
                | ColumnView::Float { valid, .. }
                | ColumnView::Bool { valid, .. }
                | ColumnView::Date { valid, .. }
                | ColumnView::DateTime { valid, .. }
                | ColumnView::Geo { valid, .. } => Some(valid),
                _ => None,
            };
            if let Some(valid) = valid {
                let mut out = cand.clone();
                let v = Bitmap::from_words(valid, cand.len());
                if *negated {
                    out.and(&v);
                } else {
                    out.and_not(&v);
                }
                return out;
            }
        }
    }
    if let Node::Search(fields, words) = node {
        return search(cols, fields, words.patterns(), cand);
    }
    if let Node::Within(n, center, metres) = node {
        if let Node::Field(f) = **n {
            if let (Some(ix), ColumnView::Geo { values, .. }) = (cols.geo_index(f), cols.column(f))
            {
                if let Some(mut b) = ix.within(values, *center, *metres, cand.len()) {
                    b.and(cand);
                    return b;
                }
            }
        }
    }
    // A condition on one field: per distinct value of a dictionary, or on the cell alone.
    if let Some(f) = single_field(node) {
        let view = cols.column(f);
        if let ColumnView::Dict { codes, len } = view {
            let table = code_table(cols, f, len, |v| test(node, &One(f, v)));
            return rows_by_code(codes, &table, cand);
        }
        if !matches!(view, ColumnView::Other) {
            return cand.filter(|r| {
                let v = cell(cols, &view, f, r).unwrap_or(ValueRef::Null);
                test(node, &One(f, v))
            });
        }
    }
    cand.filter(|r| test(node, &cols.row(r)))
}

/// `search(fields, patterns)`: every pattern matches a word of one of the fields.
fn search<C: Columns>(cols: &C, fields: &[usize], patterns: &[Vec<char>], cand: &Bitmap) -> Bitmap {
    let mut acc = cand.clone();
    for p in patterns {
        if acc.count() == 0 {
            break;
        }
        let mut hit = Bitmap::empty(cand.len());
        let mut rest = acc.clone();
        for &f in fields {
            let matches = |t: &str| words_of(t).any(|w| glob(p, w));
            let found = match cols.column(f) {
                ColumnView::Dict { codes, len } => {
                    let table = code_table(cols, f, len, |v| match v {
                        ValueRef::Text(t) => matches(t),
                        _ => false,
                    });
                    rows_by_code(codes, &table, &rest)
                }
                _ => match cols.word_index(f) {
                    Some(ix) => {
                        let mut b = ix.rows(p, cand.len());
                        b.and(&rest);
                        b
                    }
                    None => rest.filter(|r| match cols.row(r).value(f) {
                        ValueRef::Text(t) => matches(t),
                        _ => false,
                    }),
                },
            };
            rest.and_not(&found);
            hit.or(&found);
        }
        acc.and(&hit);
    }
    acc
}

/// The words of a text column and the rows holding each (words as they appear in the text,
/// so that the search's own word match decides).
#[derive(Debug, Clone)]
pub struct WordIndex {
    words: Vec<Box<str>>,
    /// Rows of word `i`: `rows[starts[i]..starts[i + 1]]`, ascending.
    starts: Vec<u32>,
    rows: Vec<u32>,
}

impl WordIndex {
    /// Indexes `len` rows of text (`None` or empty: no words). Gives up (`None`) when the
    /// words are mostly distinct (more than `max_words`): the index would not be smaller
    /// than a scan.
    pub fn build<'t>(
        len: usize,
        text: impl Fn(usize) -> Option<&'t str>,
        max_words: usize,
    ) -> Option<WordIndex> {
        let mut ids: HashMap<&'t str, u32> = HashMap::new();
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        let mut counts: Vec<u32> = Vec::new();
        // Per word: the last row that held it (a word twice in one text counts once).
        let mut last: Vec<u32> = Vec::new();
        for row in 0..len {
            let Some(t) = text(row) else { continue };
            for w in words_of(t) {
                let next = ids.len() as u32;
                let id = *ids.entry(w).or_insert(next);
                if id == next {
                    counts.push(0);
                    last.push(u32::MAX);
                    if ids.len() > max_words {
                        return None;
                    }
                }
                if last[id as usize] != row as u32 {
                    last[id as usize] = row as u32;
                    pairs.push((id, row as u32));
                    counts[id as usize] += 1;
                }
            }
        }
        let mut starts = Vec::with_capacity(counts.len() + 1);
        starts.push(0u32);
        for c in &counts {
            starts.push(starts[starts.len() - 1] + c);
        }
        let mut fill: Vec<u32> = starts[..counts.len()].to_vec();
        let mut rows = vec![0u32; pairs.len()];
        for (id, row) in pairs {
            let at = &mut fill[id as usize];
            rows[*at as usize] = row;
            *at += 1;
        }
        let mut words: Vec<Box<str>> = vec![Box::from(""); counts.len()];
        for (w, id) in ids {
            words[id as usize] = w.into();
        }
        Some(WordIndex {
            words,
            starts,
            rows,
        })
    }

    /// The rows holding a word that matches the folded `pattern`.
    pub(crate) fn rows(&self, pattern: &[char], len: usize) -> Bitmap {
        let mut b = Bitmap::empty(len);
        for (i, w) in self.words.iter().enumerate() {
            if glob(pattern, w) {
                for &r in &self.rows[self.starts[i] as usize..self.starts[i + 1] as usize] {
                    b.insert(r as usize);
                }
            }
        }
        b
    }

    /// An estimate of the memory the index holds.
    pub fn heap_bytes(&self) -> usize {
        self.words.iter().map(|w| w.len() + 16).sum::<usize>()
            + self.starts.capacity() * 4
            + self.rows.capacity() * 4
    }
}

/// A regular latitude/longitude grid over the points of a geo column: the rows of each cell.
#[derive(Debug, Clone)]
pub struct GeoIndex {
    lat0: f64,
    lon0: f64,
    /// Cell size, degrees.
    step: f64,
    nlat: usize,
    nlon: usize,
    /// Rows of cell `i`: `rows[starts[i]..starts[i + 1]]`, by point.
    starts: Vec<u32>,
    rows: Vec<u32>,
}

impl GeoIndex {
    /// A grid over the valid points (at most about 65,000 cells).
    pub fn build(points: &[GeoPoint], valid: &[u64]) -> GeoIndex {
        let (mut lat0, mut lat1, mut lon0, mut lon1) = (90.0f64, -90.0f64, 180.0f64, -180.0f64);
        let ok = |r: usize, p: &GeoPoint| bit(valid, r) && p.lat.is_finite() && p.lon.is_finite();
        for (r, p) in points.iter().enumerate() {
            if ok(r, p) {
                lat0 = lat0.min(p.lat);
                lat1 = lat1.max(p.lat);
                lon0 = lon0.min(p.lon);
                lon1 = lon1.max(p.lon);
            }
        }
        if lat0 > lat1 {
            (lat0, lat1, lon0, lon1) = (0.0, 0.0, 0.0, 0.0);
        }
        let span = (lat1 - lat0).max(lon1 - lon0).max(1e-6);
        let step = span / 256.0;
        let nlat = ((lat1 - lat0) / step) as usize + 1;
        let nlon = ((lon1 - lon0) / step) as usize + 1;
        let cell_of = |p: &GeoPoint| {
            let y = (((p.lat - lat0) / step) as usize).min(nlat - 1);
            let x = (((p.lon - lon0) / step) as usize).min(nlon - 1);
            y * nlon + x
        };
        let mut counts = vec![0u32; nlat * nlon + 1];
        for (r, p) in points.iter().enumerate() {
            if ok(r, p) {
                counts[cell_of(p) + 1] += 1;
            }
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let starts = counts;
        let mut fill = starts.clone();
        let mut rows = vec![0u32; starts[starts.len() - 1] as usize];
        for (r, p) in points.iter().enumerate() {
            if ok(r, p) {
                let c = cell_of(p);
                rows[fill[c] as usize] = r as u32;
                fill[c] += 1;
            }
        }
        // Within a cell, rows sharing a point side by side (each point is measured once).
        for c in 0..nlat * nlon {
            let cell = &mut rows[starts[c] as usize..starts[c + 1] as usize];
            cell.sort_unstable_by_key(|&r| {
                let p = points[r as usize];
                (p.lon.to_bits(), p.lat.to_bits(), r)
            });
        }
        GeoIndex {
            lat0,
            lon0,
            step,
            nlat,
            nlon,
            starts,
            rows,
        }
    }

    /// The rows within `metres` of `center` (great-circle distance, as `within_distance`
    /// measures it); `None` when the circle is too large for a box (near a pole, or half
    /// the Earth).
    /// `points` are the column's values the index was built from.
    pub(crate) fn within(
        &self,
        points: &[GeoPoint],
        center: GeoPoint,
        metres: f64,
        len: usize,
    ) -> Option<Bitmap> {
        const R: f64 = 6_371_008.8;
        if !(metres.is_finite() && center.lat.is_finite() && center.lon.is_finite()) {
            return None;
        }
        // The bounding box of the circle (Matuschek), widened by a margin for rounding.
        let r = metres / R * 1.001 + 1e-9;
        let dlat = r.to_degrees();
        let (la0, la1) = (center.lat - dlat, center.lat + dlat);
        if la0 <= -89.0 || la1 >= 89.0 || r >= 1.0 {
            return None;
        }
        let s = r.sin() / center.lat.to_radians().cos();
        if s >= 1.0 {
            return None;
        }
        let dlon = s.asin().to_degrees() * 1.001 + 1e-9;
        let (lo0, lo1) = (center.lon - dlon, center.lon + dlon);
        if lo0 < -180.0 || lo1 > 180.0 {
            return None;
        }
        let mut out = Bitmap::empty(len);
        let idx = |v: f64, v0: f64, n: usize| -> usize {
            (((v - v0) / self.step).floor().max(0.0) as usize).min(n - 1)
        };
        let (y0, y1) = (
            idx(la0, self.lat0, self.nlat),
            idx(la1, self.lat0, self.nlat),
        );
        let (x0, x1) = (
            idx(lo0, self.lon0, self.nlon),
            idx(lo1, self.lon0, self.nlon),
        );
        for y in y0..=y1 {
            for x in x0..=x1 {
                let c = y * self.nlon + x;
                // Rows often share a point (a municipality's centre): measure each run once.
                let mut last: Option<(GeoPoint, bool)> = None;
                for &row in &self.rows[self.starts[c] as usize..self.starts[c + 1] as usize] {
                    let p = points[row as usize];
                    let inside = match last {
                        Some((q, inside)) if q == p => inside,
                        _ => {
                            let inside = p.distance_m(center) <= metres;
                            last = Some((p, inside));
                            inside
                        }
                    };
                    if inside {
                        out.insert(row as usize);
                    }
                }
            }
        }
        Some(out)
    }

    /// An estimate of the memory the index holds.
    pub fn heap_bytes(&self) -> usize {
        self.starts.capacity() * 4 + self.rows.capacity() * 4
    }
}
