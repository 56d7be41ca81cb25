//! Vocabulary and character-set checks shared by the text parser and JSON validation.

use crate::error::{ParseError, quoted};
use crate::suggest::hint;
use crate::{
    ENTITY_KINDS, Field, MAX_DEPTH, MAX_TERMS, Query, RELATION_KINDS, RESERVED_SCHEMES, Target,
    Value,
};

pub(crate) const SCHEME: &str = "a scheme (lowercase letters, digits, '-')";
pub(crate) const NOTATION: &str = "a notation (letters, digits, '.', '-', '_')";
pub(crate) const KEY: &str = "an entity key (letters, digits, '.', '-', '_')";
pub(crate) const RELATION: &str = "a relation kind";
pub(crate) const ENTITY: &str = "an entity kind";
pub(crate) const FIELD: &str = "a field (founded, employees)";
pub(crate) const TEXT: &str = "a non-blank text";

/// A problem at a character offset relative to the checked piece.
#[derive(Debug)]
pub(crate) struct Bad {
    pub at: usize,
    pub expected: String,
    pub found: String,
    pub message: String,
}

impl Bad {
    pub(crate) fn new(
        at: usize,
        expected: impl Into<String>,
        found: impl Into<String>,
        message: impl Into<String>,
    ) -> Bad {
        Bad {
            at,
            expected: expected.into(),
            found: found.into(),
            message: message.into(),
        }
    }

    /// Shifts to an absolute position.
    pub(crate) fn at(self, base: usize) -> ParseError {
        ParseError::new(base + self.at, self.expected, self.found, self.message)
    }
}

fn nothing(expected: &str) -> Bad {
    Bad::new(0, expected, "nothing", "")
}

fn check_chars(s: &str, expected: &str, ok: impl Fn(usize, char) -> bool) -> Result<(), Bad> {
    if s.is_empty() {
        return Err(nothing(expected));
    }
    match s.chars().enumerate().find(|&(i, c)| !ok(i, c)) {
        Some((i, c)) => Err(Bad::new(i, expected, quoted(&c.to_string()), "")),
        None => Ok(()),
    }
}

pub(crate) fn check_scheme(s: &str) -> Result<(), Bad> {
    check_chars(s, SCHEME, |i, c| {
        c.is_ascii_lowercase() || (i > 0 && (c.is_ascii_digit() || c == '-'))
    })
    .map_err(|mut b| {
        if b.at == 0 && !b.found.starts_with("'-'") {
            b.message = "a scheme starts with a lowercase letter".into();
        }
        b
    })
}

fn slug_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-' | '_')
}

pub(crate) fn check_notation(s: &str) -> Result<(), Bad> {
    check_chars(s, NOTATION, |_, c| slug_char(c))
}

pub(crate) fn check_key(s: &str) -> Result<(), Bad> {
    check_chars(s, KEY, |_, c| slug_char(c))
}

fn check_vocabulary(s: &str, expected: &str, vocabulary: &[&str]) -> Result<(), Bad> {
    if s.is_empty() {
        return Err(Bad::new(0, expected, "nothing", hint(s, vocabulary)));
    }
    if vocabulary.contains(&s) {
        Ok(())
    } else {
        Err(Bad::new(0, expected, quoted(s), hint(s, vocabulary)))
    }
}

pub(crate) fn check_relation_kind(s: &str) -> Result<(), Bad> {
    check_vocabulary(s, RELATION, RELATION_KINDS)
}

pub(crate) fn check_entity_kind(s: &str) -> Result<(), Bad> {
    check_vocabulary(s, ENTITY, ENTITY_KINDS)
}

pub(crate) fn parse_field(s: &str) -> Result<Field, Bad> {
    let names = Field::ALL.map(Field::as_str);
    check_vocabulary(s, FIELD, &names)?;
    Ok(Field::ALL
        .into_iter()
        .find(|f| f.as_str() == s)
        .unwrap_or(Field::Founded))
}

pub(crate) fn check_concept(scheme: &str, notation: &str) -> Result<(), Bad> {
    check_scheme(scheme)?;
    let offset = scheme.chars().count() + 1;
    check_notation(notation).map_err(|b| Bad {
        at: b.at + offset,
        ..b
    })
}

pub(crate) fn check_text(s: &str) -> Result<(), Bad> {
    if s.trim().is_empty() {
        Err(Bad::new(0, TEXT, quoted(s), "empty full-text search"))
    } else {
        Ok(())
    }
}

/// Parses a comparison value for `field`.
pub(crate) fn parse_value(field: Field, s: &str) -> Result<Value, Bad> {
    let digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let found = || {
        if s.is_empty() {
            "nothing".to_owned()
        } else {
            quoted(s)
        }
    };
    match field {
        Field::Employees => {
            const EXPECTED: &str = "a non-negative integer";
            if !digits {
                return Err(Bad::new(0, EXPECTED, found(), ""));
            }
            s.parse()
                .map(Value::Int)
                .map_err(|_| Bad::new(0, EXPECTED, found(), "number too large"))
        }
        Field::Founded => {
            const EXPECTED: &str = "a year (YYYY) or a date (YYYY-MM-DD)";
            let bytes = s.as_bytes();
            if digits && s.len() == 4 && bytes[0] != b'0' {
                return s
                    .parse()
                    .map(Value::Int)
                    .map_err(|_| Bad::new(0, EXPECTED, found(), ""));
            }
            let shape = s.len() == 10
                && bytes.iter().enumerate().all(|(i, b)| {
                    if i == 4 || i == 7 {
                        *b == b'-'
                    } else {
                        b.is_ascii_digit()
                    }
                });
            if !shape {
                return Err(Bad::new(0, EXPECTED, found(), ""));
            }
            let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(0);
            let (y, m, d) = (num(0..4), num(5..7), num(8..10));
            let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
            let days = match m {
                1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
                4 | 6 | 9 | 11 => 30,
                2 if leap => 29,
                2 => 28,
                _ => 0,
            };
            if y < 1000 || d == 0 || d > days {
                return Err(Bad::new(0, EXPECTED, found(), "no such date"));
            }
            Ok(Value::Date(s.to_owned()))
        }
    }
}

fn limit_depth() -> ParseError {
    ParseError::new(
        0,
        format!("at most {MAX_DEPTH} nesting levels"),
        "deeper nesting",
        "limit MAX_DEPTH exceeded",
    )
}

fn limit_terms() -> ParseError {
    ParseError::new(
        0,
        format!("at most {MAX_TERMS} terms"),
        "more terms",
        "limit MAX_TERMS exceeded",
    )
}

/// Validates a tree built outside the parser. `depth` counts the nesting levels its
/// canonical text has (each `NOT` and each parenthesis), so that JSON and text agree.
pub(crate) fn validate_tree(q: &Query, depth: usize, terms: &mut usize) -> Result<(), ParseError> {
    if depth > MAX_DEPTH {
        return Err(limit_depth());
    }
    let leaf = |terms: &mut usize, r: Result<(), Bad>| {
        *terms += 1;
        if *terms > MAX_TERMS {
            return Err(limit_terms());
        }
        r.map_err(|b| ParseError {
            position: 0,
            ..b.at(0)
        })
    };
    match q {
        Query::All => leaf(terms, Ok(())),
        Query::Concept { scheme, notation } => {
            let reserved = if RESERVED_SCHEMES.contains(&scheme.as_str()) {
                Err(Bad::new(
                    0,
                    SCHEME,
                    quoted(scheme),
                    "reserved word, not a scheme",
                ))
            } else {
                Ok(())
            };
            leaf(
                terms,
                reserved.and_then(|()| check_concept(scheme, notation)),
            )
        }
        Query::Relation { kind, target } => {
            let r = check_relation_kind(kind).and_then(|()| match target {
                Target::Any => Ok(()),
                Target::Kind { kind } => check_entity_kind(kind),
                Target::Entity { kind, key } => {
                    check_entity_kind(kind).and_then(|()| check_key(key))
                }
                Target::Concept { scheme, notation } => check_concept(scheme, notation),
            });
            leaf(terms, r)
        }
        Query::Compare { field, value, .. } => {
            let r = match parse_value(*field, &value.to_string()) {
                Ok(v) if v == *value => Ok(()),
                Ok(_) => Err(Bad::new(
                    0,
                    "a date string YYYY-MM-DD or a year number",
                    quoted(&value.to_string()),
                    "",
                )),
                Err(b) => Err(b),
            };
            leaf(terms, r)
        }
        Query::Text { text } => leaf(terms, check_text(text)),
        Query::And { terms: ts } => {
            for t in ts {
                let d = if t.is_junction() { depth + 1 } else { depth };
                validate_tree(t, d, terms)?;
            }
            Ok(())
        }
        Query::Or { terms: ts } => {
            for t in ts {
                let d = if matches!(t, Query::Or { .. }) {
                    depth + 1
                } else {
                    depth
                };
                validate_tree(t, d, terms)?;
            }
            Ok(())
        }
        Query::Not { term } => {
            let d = if term.is_junction() {
                depth + 2
            } else {
                depth + 1
            };
            validate_tree(term, d, terms)
        }
    }
}
