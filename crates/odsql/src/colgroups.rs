//! The columnar `group_by` and `order_by … limit` paths (see `columnar.rs`).
//!
//! Group keys: each key reads one field whose values fall in a small domain — a dictionary
//! (its codes and null), a day or an integer within a span of at most [`MAX_SPAN`], a
//! boolean. The key (`key_value`, as the row engine computes it) is computed once per value
//! of the domain and the values that are equal share a dense number; a row's group is the
//! mixed-radix combination of its keys' numbers. Aggregates of plain fields accumulate in
//! typed arrays, 64 rows at a time, on every core when the answer cannot depend on the order
//! of the rows (no float sums), then become the row engine's `AggState`s.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};

use crate::ast::Function;
use crate::columnar::{Bitmap, Codes, ColumnView, Columns, One, single_field};
use crate::compile::{AggSpec, Node};
use crate::query::{AggState, Groups, KeyPlan, key_value};
use crate::value::{Value, ValueRef, compare, equal, hash_value};

/// The largest span of days or integers a key is numbered over.
const MAX_SPAN: i64 = 1 << 20;
/// The largest number of combined groups kept in dense arrays.
const MAX_GROUPS: usize = 1 << 22;

/// Where a key's domain number comes from, per row.
enum Source<'a> {
    /// Code, or `len` for null.
    Dict(Codes<'a>, usize),
    /// `value - min`, or `span` for null.
    Days(&'a [crate::value::Date], &'a [u64], i64, usize),
    Ints(&'a [i64], &'a [u64], i64, usize),
    /// 0 false, 1 true, 2 null.
    Bools(&'a [bool], &'a [u64]),
}

#[inline]
fn bit(words: &[u64], row: usize) -> bool {
    words[row / 64] >> (row % 64) & 1 == 1
}

impl Source<'_> {
    fn domain(&self) -> usize {
        match self {
            Source::Dict(_, n) | Source::Days(.., n) | Source::Ints(.., n) => n + 1,
            Source::Bools(..) => 3,
        }
    }

    /// Fills `out[j]` with the domain number of `rows[j]`.
    fn numbers(&self, rows: &[u32], out: &mut [u32]) {
        match *self {
            Source::Dict(Codes::U8(c), n) => {
                for (o, &r) in out.iter_mut().zip(rows) {
                    let v = c[r as usize];
                    *o = if v == u8::MAX { n as u32 } else { u32::from(v) };
                }
            }
            Source::Dict(Codes::U16(c), n) => {
                for (o, &r) in out.iter_mut().zip(rows) {
                    let v = c[r as usize];
                    *o = if v == u16::MAX {
                        n as u32
                    } else {
                        u32::from(v)
                    };
                }
            }
            Source::Dict(Codes::U32(c), n) => {
                for (o, &r) in out.iter_mut().zip(rows) {
                    let v = c[r as usize];
                    *o = if v == u32::MAX { n as u32 } else { v };
                }
            }
            Source::Days(v, valid, min, n) => {
                for (o, &r) in out.iter_mut().zip(rows) {
                    let r = r as usize;
                    *o = if bit(valid, r) {
                        (i64::from(v[r].days_since_epoch()) - min) as u32
                    } else {
                        n as u32
                    };
                }
            }
            Source::Ints(v, valid, min, n) => {
                for (o, &r) in out.iter_mut().zip(rows) {
                    let r = r as usize;
                    *o = if bit(valid, r) {
                        (v[r] - min) as u32
                    } else {
                        n as u32
                    };
                }
            }
            Source::Bools(v, valid) => {
                for (o, &r) in out.iter_mut().zip(rows) {
                    let r = r as usize;
                    *o = if bit(valid, r) { u32::from(v[r]) } else { 2 };
                }
            }
        }
    }
}

/// The smallest and largest valid value.
fn value_span<T: Copy>(values: &[T], valid: &[u64], f: impl Fn(T) -> i64) -> Option<(i64, i64)> {
    let mut mm: Option<(i64, i64)> = None;
    for (r, &v) in values.iter().enumerate() {
        if bit(valid, r) {
            let x = f(v);
            mm = Some(mm.map_or((x, x), |(a, b)| (a.min(x), b.max(x))));
        }
    }
    mm
}

/// One key, numbered: per domain number its dense key number (`u32::MAX`: the row has no
/// bucket), and per key number its value.
struct Key<'a> {
    source: Source<'a>,
    map: Vec<u32>,
    values: Vec<Value>,
}

fn key<'c, C: Columns>(cols: &'c C, k: &KeyPlan) -> Option<Key<'c>> {
    let node = match k {
        KeyPlan::Expr(n) => n,
        KeyPlan::Step { node, .. }
        | KeyPlan::Interval { node, .. }
        | KeyPlan::Bounds { node, .. } => node,
    };
    let f = single_field(node)?;
    let view = cols.column(f);
    let cache_key = format!("{f}/{k:?}");
    let cached = cols.key_cache().and_then(|c| c.get(&cache_key));
    let span = |lo_hi: Option<(i64, i64)>| -> Option<(i64, i64)> {
        match &cached {
            Some(c) => Some((c.span.0, c.span.0 + c.span.1 as i64 - 1)),
            None => lo_hi,
        }
    };
    let source = match view {
        ColumnView::Dict { codes, len } => Source::Dict(codes, len),
        ColumnView::Date { values, valid } => {
            let (lo, hi) = span(
                cached
                    .is_none()
                    .then(|| value_span(values, valid, |d| i64::from(d.days_since_epoch())))
                    .flatten(),
            )
            .unwrap_or((0, 0));
            if hi - lo >= MAX_SPAN {
                return None;
            }
            Source::Days(values, valid, lo, (hi - lo + 1) as usize)
        }
        ColumnView::Int { values, valid } => {
            let (lo, hi) = span(
                cached
                    .is_none()
                    .then(|| value_span(values, valid, |x| x))
                    .flatten(),
            )
            .unwrap_or((0, 0));
            if hi.checked_sub(lo).is_none_or(|s| s >= MAX_SPAN) {
                return None;
            }
            Source::Ints(values, valid, lo, (hi - lo + 1) as usize)
        }
        ColumnView::Bool { values, valid } => Source::Bools(values, valid),
        _ => return None,
    };
    let value_of = |i: usize| -> ValueRef<'c> {
        match &source {
            Source::Dict(_, n) if i == *n => ValueRef::Null,
            Source::Dict(..) => cols.dict_value(f, i as u32),
            Source::Days(.., n) | Source::Ints(.., n) if i == *n => ValueRef::Null,
            Source::Days(_, _, min, _) => {
                ValueRef::Date(crate::value::Date::from_days(*min as i32 + i as i32))
            }
            Source::Ints(_, _, min, _) => ValueRef::Int(min + i as i64),
            Source::Bools(..) => match i {
                0 => ValueRef::Bool(false),
                1 => ValueRef::Bool(true),
                _ => ValueRef::Null,
            },
        }
    };
    let (span_min, span_len) = match &source {
        Source::Days(_, _, min, n) | Source::Ints(_, _, min, n) => (*min, *n),
        Source::Dict(_, n) => (0, *n),
        Source::Bools(..) => (0, 2),
    };
    if let Some(c) = cached {
        if c.span == (span_min, span_len) {
            return Some(Key {
                source,
                map: c.map.clone(),
                values: c.values.clone(),
            });
        }
    }
    let hasher = RandomState::new();
    let mut by_hash: HashMap<u64, Vec<u32>> = HashMap::new();
    let mut values: Vec<Value> = Vec::new();
    let mut map = Vec::with_capacity(source.domain());
    let mut last: Option<u32> = None;
    for i in 0..source.domain() {
        let rec = One(f, value_of(i));
        let Some(v) = key_value(k, &rec) else {
            map.push(u32::MAX);
            continue;
        };
        let v = v.get();
        // Keys of consecutive values are often equal (the year of consecutive days).
        if let Some(prev) = last {
            if equal(values[prev as usize].as_ref(), v) {
                map.push(prev);
                continue;
            }
        }
        let mut h = hasher.build_hasher();
        hash_value(v, &mut h);
        let same = by_hash.entry(h.finish()).or_default();
        let id = match same
            .iter()
            .find(|&&id| equal(values[id as usize].as_ref(), v))
        {
            Some(&id) => id,
            None => {
                let id = values.len() as u32;
                values.push(v.to_owned());
                same.push(id);
                id
            }
        };
        map.push(id);
        last = Some(id);
    }
    if let Some(c) = cols.key_cache() {
        c.put(
            cache_key,
            std::sync::Arc::new(crate::columnar::CachedKey {
                span: (span_min, span_len),
                map: map.clone(),
                values: values.clone(),
            }),
        );
    }
    Some(Key {
        source,
        map,
        values,
    })
}

/// How one aggregate reads its argument.
#[derive(Clone, Copy)]
enum Arg<'a> {
    Star,
    Int(&'a [i64], &'a [u64]),
    Float(&'a [f64], &'a [u64]),
    /// Any other column with a validity bitmap (count, min, max).
    Valid(ColumnView<'a>, &'a [u64]),
}

/// The running arrays of one aggregate, per group.
enum Acc<'a> {
    Count(Vec<u64>),
    /// Exact integer sum, sum of magnitudes (to know the float sum is exact), count.
    IntSum(Vec<i128>, Vec<u128>, Vec<u64>),
    FloatSum(Vec<f64>, Vec<u64>),
    Extreme(Vec<Option<ValueRef<'a>>>),
    Values(Vec<Vec<f64>>),
}

/// Accumulates the selected rows of words `w0..w0 + words.len()`.
fn accumulate<'c>(
    keys: &[Key<'c>],
    strides: &[u32],
    aggs: &[(&AggSpec, Arg<'c>)],
    n: usize,
    sel: &[u64],
    w0: usize,
) -> (Vec<u64>, Vec<Acc<'c>>) {
    let mut rows_in = vec![0u64; n];
    let mut accs: Vec<Acc<'c>> = aggs
        .iter()
        .map(|(a, arg)| match (a.func, arg) {
            (Function::Count, _) => Acc::Count(vec![0; n]),
            (Function::Sum | Function::Avg, Arg::Int(..)) => {
                Acc::IntSum(vec![0; n], vec![0; n], vec![0; n])
            }
            (Function::Sum | Function::Avg, _) => Acc::FloatSum(vec![0.0; n], vec![0; n]),
            (Function::Min | Function::Max, _) => Acc::Extreme(vec![None; n]),
            _ => Acc::Values(vec![Vec::new(); n]),
        })
        .collect();
    let mut rows = [0u32; 64];
    let mut num = [0u32; 64];
    let mut gid = [0u32; 64];
    for (k, &word) in sel.iter().enumerate() {
        if word == 0 {
            continue;
        }
        let base = ((w0 + k) * 64) as u32;
        let mut m = 0;
        if word == u64::MAX {
            for (j, r) in rows.iter_mut().enumerate() {
                *r = base + j as u32;
            }
            m = 64;
        } else {
            let mut bits = word;
            while bits != 0 {
                rows[m] = base + bits.trailing_zeros();
                bits &= bits - 1;
                m += 1;
            }
        }
        gid[..m].fill(0);
        for (key, &stride) in keys.iter().zip(strides) {
            key.source.numbers(&rows[..m], &mut num[..m]);
            for j in 0..m {
                let id = key.map[num[j] as usize];
                gid[j] = if id == u32::MAX || gid[j] == u32::MAX {
                    u32::MAX
                } else {
                    gid[j] + id * stride
                };
            }
        }
        // Rows with no bucket drop out.
        let mut kept = 0;
        for j in 0..m {
            if gid[j] != u32::MAX {
                rows[kept] = rows[j];
                gid[kept] = gid[j];
                kept += 1;
            }
        }
        let (rows, gid) = (&rows[..kept], &gid[..kept]);
        for &g in gid {
            rows_in[g as usize] += 1;
        }
        for ((spec, arg), acc) in aggs.iter().zip(&mut accs) {
            match (acc, *arg) {
                // count(*) is the group's number of rows, counted above.
                (Acc::Count(_), Arg::Star) => {}
                (
                    Acc::Count(c),
                    Arg::Int(_, valid) | Arg::Float(_, valid) | Arg::Valid(_, valid),
                ) => {
                    for (&r, &g) in rows.iter().zip(gid) {
                        c[g as usize] += u64::from(bit(valid, r as usize));
                    }
                }
                (Acc::IntSum(s, abs, c), Arg::Int(v, valid)) => {
                    for (&r, &g) in rows.iter().zip(gid) {
                        let r = r as usize;
                        if bit(valid, r) {
                            let x = v[r];
                            s[g as usize] += i128::from(x);
                            abs[g as usize] += u128::from(x.unsigned_abs());
                            c[g as usize] += 1;
                        }
                    }
                }
                (Acc::FloatSum(s, c), Arg::Float(v, valid)) => {
                    for (&r, &g) in rows.iter().zip(gid) {
                        let r = r as usize;
                        if bit(valid, r) {
                            s[g as usize] += v[r];
                            c[g as usize] += 1;
                        }
                    }
                }
                (Acc::Values(vals), Arg::Int(v, valid)) => {
                    for (&r, &g) in rows.iter().zip(gid) {
                        let r = r as usize;
                        if bit(valid, r) {
                            vals[g as usize].push(v[r] as f64);
                        }
                    }
                }
                (Acc::Values(vals), Arg::Float(v, valid)) => {
                    for (&r, &g) in rows.iter().zip(gid) {
                        let r = r as usize;
                        if bit(valid, r) {
                            vals[g as usize].push(v[r]);
                        }
                    }
                }
                (Acc::Extreme(best), arg) => {
                    let min = spec.func == Function::Min;
                    for (&r, &g) in rows.iter().zip(gid) {
                        let r = r as usize;
                        let v = match arg {
                            Arg::Int(v, valid) if bit(valid, r) => ValueRef::Int(v[r]),
                            Arg::Float(v, valid) if bit(valid, r) => ValueRef::Float(v[r]),
                            Arg::Valid(view, valid) if bit(valid, r) => typed(&view, r),
                            _ => continue,
                        };
                        better(&mut best[g as usize], v, min);
                    }
                }
                _ => {}
            }
        }
    }
    (rows_in, accs)
}

fn typed<'a>(view: &ColumnView<'a>, r: usize) -> ValueRef<'a> {
    match *view {
        ColumnView::Date { values, .. } => ValueRef::Date(values[r]),
        ColumnView::DateTime { values, .. } => ValueRef::DateTime(values[r]),
        ColumnView::Bool { values, .. } => ValueRef::Bool(values[r]),
        _ => ValueRef::Null,
    }
}

/// Keeps the first of equal extremes, as the row engine does.
fn better<'a>(best: &mut Option<ValueRef<'a>>, v: ValueRef<'a>, min: bool) {
    let replace = match best {
        None => true,
        Some(b) => {
            let o = compare(v, *b);
            if min {
                o == Ordering::Less
            } else {
                o == Ordering::Greater
            }
        }
    };
    if replace {
        *best = Some(v);
    }
}

/// Adds the arrays of a later range of rows to those of an earlier one.
fn merge<'a>(
    into: &mut (Vec<u64>, Vec<Acc<'a>>),
    from: (Vec<u64>, Vec<Acc<'a>>),
    aggs: &[(&AggSpec, Arg<'a>)],
) {
    for (a, b) in into.0.iter_mut().zip(from.0) {
        *a += b;
    }
    for ((acc, other), (spec, _)) in into.1.iter_mut().zip(from.1).zip(aggs) {
        match (acc, other) {
            (Acc::Count(a), Acc::Count(b)) => a.iter_mut().zip(b).for_each(|(x, y)| *x += y),
            (Acc::IntSum(s, abs, c), Acc::IntSum(s2, abs2, c2)) => {
                s.iter_mut().zip(s2).for_each(|(x, y)| *x += y);
                abs.iter_mut().zip(abs2).for_each(|(x, y)| *x += y);
                c.iter_mut().zip(c2).for_each(|(x, y)| *x += y);
            }
            (Acc::Extreme(a), Acc::Extreme(b)) => {
                for (x, y) in a.iter_mut().zip(b) {
                    if let Some(y) = y {
                        better(x, y, spec.func == Function::Min);
                    }
                }
            }
            (Acc::Values(a), Acc::Values(b)) => {
                for (x, y) in a.iter_mut().zip(b) {
                    x.extend(y);
                }
            }
            // Float sums are never split (their value depends on the order of the rows).
            _ => {}
        }
    }
}

/// Groups the selected rows column by column; `None` when a key or an aggregate is not one
/// this path covers (the row engine then runs).
pub(crate) fn groups<C: Columns>(
    cols: &C,
    sel: &Bitmap,
    keys: &[KeyPlan],
    aggs: &[AggSpec],
) -> Option<Groups> {
    let keys: Vec<Key<'_>> = keys.iter().map(|k| key(cols, k)).collect::<Option<_>>()?;
    let mut strides = Vec::with_capacity(keys.len());
    let mut n: usize = 1;
    for k in &keys {
        strides.push(u32::try_from(n).ok()?);
        n = n.checked_mul(k.values.len().max(1))?;
        if n > MAX_GROUPS {
            return None;
        }
    }
    let mut args = Vec::with_capacity(aggs.len());
    let mut ordered = false;
    for a in aggs {
        let arg = match &a.arg {
            None => Arg::Star,
            Some(Node::Field(f)) => match cols.column(*f) {
                ColumnView::Int { values, valid } => Arg::Int(values, valid),
                ColumnView::Float { values, valid } => Arg::Float(values, valid),
                v @ (ColumnView::Date { valid, .. }
                | ColumnView::DateTime { valid, .. }
                | ColumnView::Bool { valid, .. }) => Arg::Valid(v, valid),
                _ => return None,
            },
            Some(_) => return None,
        };
        match (a.func, arg) {
            (Function::Count | Function::Min | Function::Max, _) => {}
            (Function::Sum | Function::Avg, Arg::Int(..)) => {}
            (Function::Sum | Function::Avg, Arg::Float(..)) => ordered = true,
            (Function::Median | Function::Percentile, Arg::Int(..) | Arg::Float(..)) => {}
            _ => return None,
        }
        args.push((a, arg));
    }
    let words = sel.words();
    let threads = if ordered || sel.len() < 1 << 16 {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(1, |t| t.get())
            .min(8)
    };
    let per = words.len().div_ceil(threads).max(1);
    let mut parts: Vec<(Vec<u64>, Vec<Acc<'_>>)> = if threads == 1 {
        vec![accumulate(&keys, &strides, &args, n, words, 0)]
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = words
                .chunks(per)
                .enumerate()
                .map(|(i, chunk)| {
                    let (keys, strides, args) = (&keys, &strides, &args);
                    s.spawn(move || accumulate(keys, strides, args, n, chunk, i * per))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a grouping thread panicked"))
                .collect()
        })
    };
    let mut total = parts.remove(0);
    for p in parts {
        merge(&mut total, p, &args);
    }
    let (rows_in, mut accs) = total;
    let mut out = Groups {
        n_groups: 0,
        keys: Vec::new(),
        states: Vec::new(),
    };
    for g in 0..n {
        if rows_in[g] == 0 {
            continue;
        }
        out.n_groups += 1;
        // Decode the mixed-radix group number, key by key.
        let mut rest = g as u32;
        let mut parts = Vec::with_capacity(keys.len());
        for (k, &stride) in keys.iter().zip(&strides).rev() {
            parts.push(&k.values[(rest / stride) as usize]);
            rest %= stride;
        }
        out.keys.extend(parts.into_iter().rev().cloned());
        for ((spec, arg), acc) in args.iter().zip(&mut accs) {
            let state = match acc {
                Acc::Count(_) if matches!(arg, Arg::Star) => AggState::Count(rows_in[g]),
                Acc::Count(c) => AggState::Count(c[g]),
                Acc::IntSum(s, abs, c) => {
                    // Below 2^53 every partial sum is exact in f64 as in i64.
                    if abs[g] >= 1 << 53 {
                        return None;
                    }
                    let sum = s[g] as i64;
                    if spec.func == Function::Avg {
                        AggState::Avg {
                            sum: sum as f64,
                            n: c[g],
                        }
                    } else {
                        AggState::Sum {
                            int: sum,
                            exact: true,
                            float: sum as f64,
                            n: c[g],
                        }
                    }
                }
                Acc::FloatSum(s, c) => {
                    if spec.func == Function::Avg {
                        AggState::Avg { sum: s[g], n: c[g] }
                    } else {
                        AggState::Sum {
                            int: 0,
                            exact: false,
                            float: s[g],
                            n: c[g],
                        }
                    }
                }
                Acc::Extreme(b) => AggState::Extreme(b[g].map(ValueRef::to_owned)),
                Acc::Values(v) => AggState::Values(std::mem::take(&mut v[g])),
            };
            out.states.push(state);
        }
    }
    Some(out)
}

/// The first `keep` selected rows in the order of one typed column (nulls last, then row
/// order), or `None` when the column is not a number or a date.
pub(crate) fn top_k<C: Columns>(
    cols: &C,
    sel: &Bitmap,
    field: usize,
    desc: bool,
    keep: Option<usize>,
) -> Option<Vec<usize>> {
    // A sort key per row: (null, value as an order-preserving integer, row).
    let view = cols.column(field);
    let key = |r: usize| -> (bool, i64, usize) {
        let (valid, k) = match view {
            ColumnView::Int { values, valid } => (valid, values[r]),
            ColumnView::Date { values, valid } => (valid, i64::from(values[r].days_since_epoch())),
            ColumnView::DateTime { values, valid } => (valid, values[r].millis()),
            ColumnView::Float { values, valid } => {
                let x = values[r];
                // `compare` holds 0.0 and -0.0 equal, and orders the rest as total_cmp.
                let x = if x == 0.0 { 0.0 } else { x };
                let b = x.to_bits() as i64;
                (valid, b ^ ((((b >> 63) as u64) >> 1) as i64))
            }
            _ => (&[][..], 0),
        };
        if !bit(valid, r) {
            return (true, 0, r);
        }
        (false, if desc { !k } else { k }, r)
    };
    if !matches!(
        view,
        ColumnView::Int { .. }
            | ColumnView::Date { .. }
            | ColumnView::DateTime { .. }
            | ColumnView::Float { .. }
    ) {
        return None;
    }
    // The best `k` of the selected rows of words `w0..`, unordered.
    let best = |words: &[u64], w0: usize, k: usize| -> Vec<(bool, i64, usize)> {
        let rows = words.iter().enumerate().flat_map(|(i, &w)| {
            let mut bits = w;
            std::iter::from_fn(move || {
                if bits == 0 {
                    return None;
                }
                let j = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                Some((w0 + i) * 64 + j)
            })
        });
        let mut heap = std::collections::BinaryHeap::with_capacity(k.min(1 << 16) + 1);
        if k == 0 {
            return Vec::new();
        }
        for r in rows {
            let e = key(r);
            if heap.len() < k {
                heap.push(e);
            } else if heap.peek().is_some_and(|w| e < *w) {
                heap.pop();
                heap.push(e);
            }
        }
        heap.into_vec()
    };
    let mut keys: Vec<(bool, i64, usize)> = match keep {
        Some(k) if k < sel.count() / 4 => {
            let words = sel.words();
            let threads = if sel.len() < 1 << 16 {
                1
            } else {
                std::thread::available_parallelism()
                    .map_or(1, |t| t.get())
                    .min(8)
            };
            let per = words.len().div_ceil(threads).max(1);
            std::thread::scope(|s| {
                let handles: Vec<_> = words
                    .chunks(per)
                    .enumerate()
                    .map(|(i, chunk)| {
                        let best = &best;
                        s.spawn(move || best(chunk, i * per, k))
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().expect("a top-k thread panicked"))
                    .collect()
            })
        }
        _ => sel.ones().map(key).collect(),
    };
    keys.sort_unstable();
    if let Some(k) = keep {
        keys.truncate(k);
    }
    Some(keys.into_iter().map(|(_, _, r)| r).collect())
}
