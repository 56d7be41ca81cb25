//! Evaluation of checked expressions against a [`Record`]. No allocation: text is borrowed from
//! the record or the compiled query.
//!
//! Nulls: arithmetic with a null is null; a comparison, `IN`, `LIKE`, a search or
//! `within_distance` on a null is false (and `NOT` of it true), as in Opendatasoft where a
//! missing value matches no filter. `IS NULL` tests for it.

use std::cmp::Ordering;

use crate::compile::{Arith, Cmp, DatePart, Node};
use crate::text::{glob, words_of};
use crate::value::{Record, ValueRef, compare, equal};

pub(crate) fn eval<'a, R: Record + ?Sized>(node: &'a Node, rec: &'a R) -> ValueRef<'a> {
    match node {
        Node::Const(v) => v.as_ref(),
        Node::Field(i) => rec.value(*i),
        Node::Neg(n) => match eval(n, rec) {
            ValueRef::Int(i) => match i.checked_neg() {
                Some(j) => ValueRef::Int(j),
                None => ValueRef::Float(-(i as f64)),
            },
            ValueRef::Float(x) => ValueRef::Float(-x),
            _ => ValueRef::Null,
        },
        Node::Arith(op, l, r) => arith(*op, eval(l, rec), eval(r, rec)),
        Node::DatePart(part, n) => {
            let date = match eval(n, rec) {
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
        Node::Words(n, words) => match eval(n, rec) {
            ValueRef::Text(t) => words.matches(t),
            _ => false,
        },
        Node::Search(fields, words) => words.patterns().iter().all(|p| {
            fields.iter().any(|&f| match rec.value(f) {
                ValueRef::Text(t) => words_of(t).any(|w| glob(p, w)),
                _ => false,
            })
        }),
        Node::StartsWith(n, prefix) => match eval(n, rec) {
            ValueRef::Text(t) => t.starts_with(prefix.as_str()),
            _ => false,
        },
        Node::InList(n, items) => {
            let v = eval(n, rec);
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
            if v.is_null() {
                return false;
            }
            let lo = compare(v, low.as_ref());
            let hi = compare(v, high.as_ref());
            (lo == Ordering::Greater || (*low_inclusive && lo == Ordering::Equal))
                && (hi == Ordering::Less || (*high_inclusive && hi == Ordering::Equal))
        }
        Node::IsNull(n, negated) => eval(n, rec).is_null() != *negated,
        Node::Within(n, center, metres) => match eval(n, rec) {
            ValueRef::Geo(p) => p.distance_m(*center) <= *metres,
            _ => false,
        },
        Node::Const(_) | Node::Field(_) => matches!(eval(node, rec), ValueRef::Bool(true)),
        Node::Neg(_) | Node::Arith(..) | Node::DatePart(..) => false,
    }
}
