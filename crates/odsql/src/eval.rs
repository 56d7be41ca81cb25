//! Evaluation of checked expressions against a [`Record`]. Text is borrowed from the record or
//! the compiled query ([`Ev::Ref`]); only the functions that make new text (`lower`, `upper`,
//! `date_format`) allocate ([`Ev::Own`]).
//!
//! Nulls: arithmetic with a null is null; a comparison, `IN`, `LIKE`, a search or
//! `within_distance` on a null is false (and `NOT` of it true), as in Opendatasoft where a
//! missing value matches no filter. `IS NULL` tests for it.

use std::cmp::Ordering;

use crate::compile::{Arith, Cmp, DatePart, FmtPart, Node};
use crate::text::{glob, words_of};
use crate::value::{Record, Value, ValueRef, compare, equal};

/// A value computed by [`eval`]: borrowed (nearly always) or made by a text function.
#[derive(Debug, Clone)]
pub(crate) enum Ev<'a> {
    Ref(ValueRef<'a>),
    Own(Value),
}

impl<'a> Ev<'a> {
    #[inline]
    pub(crate) fn get(&self) -> ValueRef<'_> {
        match self {
            Ev::Ref(v) => *v,
            Ev::Own(v) => v.as_ref(),
        }
    }

    pub(crate) fn into_owned(self) -> Value {
        match self {
            Ev::Ref(v) => v.to_owned(),
            Ev::Own(v) => v,
        }
    }

    pub(crate) fn is_null(&self) -> bool {
        self.get().is_null()
    }
}

impl<'a> From<ValueRef<'a>> for Ev<'a> {
    fn from(v: ValueRef<'a>) -> Ev<'a> {
        Ev::Ref(v)
    }
}

pub(crate) fn eval<'a, R: Record + ?Sized>(node: &'a Node, rec: &'a R) -> Ev<'a> {
    match node {
        Node::Case(upper, n) => match eval(n, rec).get() {
            ValueRef::Text(t) => Ev::Own(Value::Text(if *upper {
                t.to_uppercase()
            } else {
                t.to_lowercase()
            })),
            _ => Ev::Ref(ValueRef::Null),
        },
        Node::Length(n) => match eval(n, rec).get() {
            ValueRef::Text(t) => Ev::Ref(ValueRef::Int(t.chars().count() as i64)),
            _ => Ev::Ref(ValueRef::Null),
        },
        Node::DateFormat(n, parts) => {
            let ms = match eval(n, rec).get() {
                ValueRef::Date(d) => d.to_datetime().millis(),
                ValueRef::DateTime(t) => t.millis(),
                _ => return Ev::Ref(ValueRef::Null),
            };
            Ev::Own(Value::Text(format_date(ms, parts)))
        }
        _ => Ev::Ref(eval_ref(node, rec)),
    }
}

/// `eval` of the nodes that make no new text.
fn eval_ref<'a, R: Record + ?Sized>(node: &'a Node, rec: &'a R) -> ValueRef<'a> {
    match node {
        Node::Const(v) => v.as_ref(),
        Node::Field(i) => rec.value(*i),
        Node::Neg(n) => match eval(n, rec).get() {
            ValueRef::Int(i) => match i.checked_neg() {
                Some(j) => ValueRef::Int(j),
                None => ValueRef::Float(-(i as f64)),
            },
            ValueRef::Float(x) => ValueRef::Float(-x),
            _ => ValueRef::Null,
        },
        Node::Arith(op, l, r) => arith(*op, eval(l, rec).get(), eval(r, rec).get()),
        Node::DatePart(part, n) => {
            let date = match eval(n, rec).get() {
                ValueRef::Date(d) => d,
                ValueRef::DateTime(t) => t.date(),
                _ => return ValueRef::Null,
            };
            let (y, m, d) = date.ymd();
            ValueRef::Int(match part {
                DatePart::Year => i64::from(y),
                DatePart::Month => i64::from(m),
                DatePart::Day => i64::from(d),
            })
        }
        _ => ValueRef::Bool(test(node, rec)),
    }
}

fn arith<'a>(op: Arith, a: ValueRef<'_>, b: ValueRef<'_>) -> ValueRef<'a> {
    if let (ValueRef::Int(x), ValueRef::Int(y)) = (a, b) {
        let exact = match op {
            Arith::Add => x.checked_add(y),
            Arith::Sub => x.checked_sub(y),
            Arith::Mul => x.checked_mul(y),
            Arith::Div => None,
        };
        if let Some(v) = exact {
            return ValueRef::Int(v);
        }
    }
    let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) else {
        return ValueRef::Null;
    };
    let v = match op {
        Arith::Add => x + y,
        Arith::Sub => x - y,
        Arith::Mul => x * y,
        Arith::Div if y == 0.0 => return ValueRef::Null,
        Arith::Div => x / y,
    };
    if v.is_finite() {
        ValueRef::Float(v)
    } else {
        ValueRef::Null
    }
}

/// Whether a condition holds for `rec`.
pub(crate) fn test<R: Record + ?Sized>(node: &Node, rec: &R) -> bool {
    match node {
        Node::And(items) => items.iter().all(|n| test(n, rec)),
        Node::Or(items) => items.iter().any(|n| test(n, rec)),
        Node::Not(n) => !test(n, rec),
        Node::Cmp(op, l, r) => {
            let (a, b) = (eval(l, rec), eval(r, rec));
            let (a, b) = (a.get(), b.get());
            if a.is_null() || b.is_null() {
                return false;
            }
            let o = compare(a, b);
            match op {
                Cmp::Eq => o == Ordering::Equal,
                Cmp::Ne => o != Ordering::Equal,
                Cmp::Lt => o == Ordering::Less,
                Cmp::Le => o != Ordering::Greater,
                Cmp::Gt => o == Ordering::Greater,
                Cmp::Ge => o != Ordering::Less,
            }
        }
        Node::Words(n, words) => match eval(n, rec).get() {
            ValueRef::Text(t) => words.matches(t),
            _ => false,
        },
        Node::Search(fields, words) => words.patterns().iter().all(|p| {
            fields.iter().any(|&f| match rec.value(f) {
                ValueRef::Text(t) => words_of(t).any(|w| glob(p, w)),
                _ => false,
            })
        }),
        Node::StartsWith(n, prefix) => match eval(n, rec).get() {
            ValueRef::Text(t) => t.starts_with(prefix.as_str()),
            _ => false,
        },
        Node::InList(n, items) => {
            let v = eval(n, rec);
            let v = v.get();
            !v.is_null() && items.iter().any(|i| equal(v, i.as_ref()))
        }
        Node::InRange {
            expr,
            low,
            high,
            low_inclusive,
            high_inclusive,
        } => {
            let v = eval(expr, rec);
            let v = v.get();
            if v.is_null() {
                return false;
            }
            let lo = compare(v, low.as_ref());
            let hi = compare(v, high.as_ref());
            (lo == Ordering::Greater || (*low_inclusive && lo == Ordering::Equal))
                && (hi == Ordering::Less || (*high_inclusive && hi == Ordering::Equal))
        }
        Node::IsNull(n, negated) => eval(n, rec).is_null() != *negated,
        Node::Within(n, center, metres) => match eval(n, rec).get() {
            ValueRef::Geo(p) => p.distance_m(*center) <= *metres,
            _ => false,
        },
        Node::InBbox(n, [lat0, lon0, lat1, lon1]) => match eval(n, rec).get() {
            ValueRef::Geo(p) => {
                (*lat0..=*lat1).contains(&p.lat) && (*lon0..=*lon1).contains(&p.lon)
            }
            _ => false,
        },
        Node::InShape(n, shape) => match eval(n, rec).get() {
            ValueRef::Geo(p) => shape.contains(p),
            _ => false,
        },
        Node::Const(_) | Node::Field(_) => matches!(eval(node, rec).get(), ValueRef::Bool(true)),
        Node::Neg(_)
        | Node::Arith(..)
        | Node::DatePart(..)
        | Node::Case(..)
        | Node::Length(_)
        | Node::DateFormat(..) => false,
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// An instant (UTC) written with a `date_format` pattern.
fn format_date(ms: i64, parts: &[FmtPart]) -> String {
    use std::fmt::Write;
    let t = crate::value::DateTime::from_millis(ms);
    let (y, m, d) = t.date().ymd();
    let in_day = ms.rem_euclid(crate::value::MS_PER_DAY);
    let (h, mi, s, milli) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    let mut out = String::new();
    for p in parts {
        let _ = match p {
            FmtPart::Literal(l) => {
                out.push_str(l);
                Ok(())
            }
            FmtPart::Year(2) => write!(out, "{:02}", y % 100),
            FmtPart::Year(n) => write!(out, "{y:0width$}", width = *n as usize),
            FmtPart::Month(1) => write!(out, "{m}"),
            FmtPart::Month(2) => write!(out, "{m:02}"),
            FmtPart::Month(3) => write!(out, "{}", &MONTHS[m as usize - 1][..3]),
            FmtPart::Month(_) => write!(out, "{}", MONTHS[m as usize - 1]),
            FmtPart::Day(1) => write!(out, "{d}"),
            FmtPart::Day(_) => write!(out, "{d:02}"),
            FmtPart::Hour(1) => write!(out, "{h}"),
            FmtPart::Hour(_) => write!(out, "{h:02}"),
            FmtPart::Minute(1) => write!(out, "{mi}"),
            FmtPart::Minute(_) => write!(out, "{mi:02}"),
            FmtPart::Second(1) => write!(out, "{s}"),
            FmtPart::Second(_) => write!(out, "{s:02}"),
            FmtPart::Millis => write!(out, "{milli:03}"),
        };
    }
    out
}
