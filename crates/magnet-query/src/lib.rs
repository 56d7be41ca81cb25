//! The query language of Territoria's *smart magnets*: faceted cluster queries over
//! organisations and other entities.
//!
//! A query has three equivalent forms:
//!
//! - the **text** form typed by people, read by [`parse`]:
//!   `nace-bel-2008:C AND (rel:labelled=label/made-different OR founded>=2015) -"data center"`;
//! - the **AST** [`Query`], handed to the evaluator;
//! - the **JSON** form ([`Query::to_json`], [`Query::from_json`]), the serde form of the AST.
//!
//! [`Display`](std::fmt::Display) prints a canonical text form that parses back to the same
//! (normalised, see [`Query::normalized`]) AST. Parsing is bounded ([`MAX_LENGTH`],
//! [`MAX_DEPTH`], [`MAX_TERMS`], [`MAX_JSON_LENGTH`]) and never panics: every bad input is a
//! [`ParseError`] with a character position. The grammar is documented in `docs/magnets.md`.
//!
//! ```
//! use territoria_magnet_query::{Query, parse};
//!
//! let q = parse("nace-bel-2008:C (rel:labelled=label/made-different OU founded>=2015)").unwrap();
//! assert_eq!(
//!     q.to_string(),
//!     "nace-bel-2008:C AND (rel:labelled=label/made-different OR founded>=2015)"
//! );
//! assert_eq!(Query::from_json(&q.to_json()), Ok(q));
//! let e = parse("rel:fundd_by").unwrap_err();
//! assert_eq!(e.position, 4);
//! assert_eq!(e.message, "did you mean 'funded_by'?");
//! ```
//!
//! This crate only parses and validates syntax and vocabularies (relation kinds, entity kinds,
//! fields). Whether a concept, a scheme or an entity exists, and what a relation target means
//! (e.g. a programme target also covering its parts), is the evaluator's business.

mod check;
mod error;
mod parse;
mod suggest;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use error::ParseError;
pub use parse::parse;

/// Longest accepted text query, in characters (also the longest canonical text of a JSON query).
pub const MAX_LENGTH: usize = 2000;
/// Deepest accepted nesting: every `(` and every `NOT`/`-` opens one level.
pub const MAX_DEPTH: usize = 32;
/// Most leaf terms in one query (a range `founded:2015..2020` counts as two).
pub const MAX_TERMS: usize = 64;
/// Longest accepted JSON query, in bytes.
pub const MAX_JSON_LENGTH: usize = 65_536;

/// Relation kinds accepted after `rel:`.
pub const RELATION_KINDS: &[&str] = &[
    "participated_in",
    "laureate_of",
    "funded_by",
    "member_of",
    "labelled",
    "located_in",
    "operates",
    "partner_of",
    "contributes_to",
    "part_of",
];

/// Entity kinds accepted in relation targets (`rel:KIND=kind` and `rel:KIND=kind/key`).
pub const ENTITY_KINDS: &[&str] = &[
    "organisation",
    "person",
    "event",
    "publication",
    "strategy",
    "ambition",
    "value",
    "lever",
    "programme",
    "action",
    "indicator",
    "call",
    "mission",
    "fund",
    "label",
    "dataset",
    "place",
];

/// Prefixes that cannot be concept schemes because they introduce other terms.
pub const RESERVED_SCHEMES: &[&str] = &["rel", "text", "founded", "employees"];

/// A magnet query. Serialised with an `"op"` tag (see `docs/magnets.md`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Query {
    /// Every entity: the empty query or `*`.
    All,
    /// `scheme:notation`: entities tagged with this concept or any narrower one.
    Concept { scheme: String, notation: String },
    /// `rel:KIND[=target]`: entities with a relation of this kind to the target.
    Relation { kind: String, target: Target },
    /// `founded>=2015`, `employees<50`, …
    Compare {
        field: Field,
        cmp: CmpOp,
        value: Value,
    },
    /// Full-text search on names and descriptions: `"data center"` or `text:word`.
    Text { text: String },
    /// All of the terms (juxtaposition, `AND`, `ET`).
    And { terms: Vec<Query> },
    /// Any of the terms (`OR`, `OU`).
    Or { terms: Vec<Query> },
    /// Not the term (`NOT`, `-`, `NON`, `SAUF`).
    Not { term: Box<Query> },
}

/// What a relation points to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Target {
    /// `rel:KIND`: any target.
    Any,
    /// `rel:KIND=kind/key`: that entity.
    Entity { kind: String, key: String },
    /// `rel:KIND=kind`: any entity of that kind.
    Kind { kind: String },
    /// `rel:KIND=scheme:notation`: any target tagged with that concept (or a narrower one).
    Concept { scheme: String, notation: String },
}

/// A comparable field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// Founding date: compared with a year (`Value::Int`, 1000..=9999) or an ISO date.
    Founded,
    /// Head count: compared with a non-negative integer.
    Employees,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CmpOp {
    #[serde(rename = "=")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

/// A comparison value: a JSON number or a JSON string (`"YYYY-MM-DD"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// A year (for `founded`) or a count (for `employees`).
    Int(u64),
    /// An ISO 8601 calendar date `YYYY-MM-DD` (for `founded` only).
    Date(String),
}

impl Field {
    /// Every field, as written in queries.
    pub const ALL: [Field; 2] = [Field::Founded, Field::Employees];

    /// The name written in queries.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Founded => "founded",
            Field::Employees => "employees",
        }
    }
}

impl CmpOp {
    /// Every operator, longest spellings first (the order the parser tries them).
    pub const ALL: [CmpOp; 6] = [
        CmpOp::Ge,
        CmpOp::Le,
        CmpOp::Ne,
        CmpOp::Eq,
        CmpOp::Lt,
        CmpOp::Gt,
    ];

    /// The operator as written in queries.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for CmpOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(n) => write!(f, "{n}"),
            Value::Date(d) => f.write_str(d),
        }
    }
}

impl fmt::Display for Target {
    /// The part after `rel:KIND` (empty for [`Target::Any`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Any => Ok(()),
            Target::Entity { kind, key } => write!(f, "={kind}/{key}"),
            Target::Kind { kind } => write!(f, "={kind}"),
            Target::Concept { scheme, notation } => write!(f, "={scheme}:{notation}"),
        }
    }
}

impl fmt::Display for Query {
    /// The canonical text form: explicit `AND`/`OR`/`NOT`, `Or` parenthesised inside `And`,
    /// `And`/`Or` parenthesised inside `Not`, text always quoted. An empty `And` prints `*`,
    /// an empty `Or` prints `NOT *`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Query::All => f.write_str("*"),
            Query::Concept { scheme, notation } => write!(f, "{scheme}:{notation}"),
            Query::Relation { kind, target } => write!(f, "rel:{kind}{target}"),
            Query::Compare { field, cmp, value } => write!(f, "{field}{cmp}{value}"),
            Query::Text { text } => {
                f.write_str("\"")?;
                for c in text.chars() {
                    if c == '"' || c == '\\' {
                        f.write_str("\\")?;
                    }
                    write!(f, "{c}")?;
                }
                f.write_str("\"")
            }
            Query::And { terms } if terms.is_empty() => f.write_str("*"),
            Query::Or { terms } if terms.is_empty() => f.write_str("NOT *"),
            Query::And { terms } => write_joined(f, terms, " AND ", |t| t.is_junction()),
            Query::Or { terms } => {
                write_joined(f, terms, " OR ", |t| matches!(t, Query::Or { .. }))
            }
            Query::Not { term } if term.is_junction() => write!(f, "NOT ({term})"),
            Query::Not { term } => write!(f, "NOT {term}"),
        }
    }
}

fn write_joined(
    f: &mut fmt::Formatter<'_>,
    terms: &[Query],
    sep: &str,
    needs_parens: impl Fn(&Query) -> bool,
) -> fmt::Result {
    for (i, t) in terms.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        if needs_parens(t) {
            write!(f, "({t})")?;
        } else {
            write!(f, "{t}")?;
        }
    }
    Ok(())
}

impl Query {
    /// Parses the JSON form, normalises it ([`Query::normalized`]) and validates it like the
    /// text form (vocabularies, character sets, limits). Serde errors carry the character
    /// position in `json`; validation errors carry position 0 (there is no text position).
    pub fn from_json(json: &str) -> Result<Query, ParseError> {
        if json.len() > MAX_JSON_LENGTH {
            return Err(ParseError::new(
                0,
                format!("a JSON query of at most {MAX_JSON_LENGTH} bytes"),
                format!("{} bytes", json.len()),
                "limit MAX_JSON_LENGTH exceeded",
            ));
        }
        let query: Query = serde_json::from_str(json).map_err(|e| {
            ParseError::new(
                json_position(json, e.line(), e.column()),
                "a JSON magnet query",
                "invalid JSON",
                e.to_string(),
            )
        })?;
        let query = query.normalized();
        query.validate()?;
        Ok(query)
    }

    /// The JSON form (compact).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Checks what [`parse`] checks, on an AST built elsewhere: relation kinds, entity kinds,
    /// schemes, notations, keys, values, non-blank text, and the limits measured on the
    /// canonical text form. Errors carry position 0.
    pub fn validate(&self) -> Result<(), ParseError> {
        let mut terms = 0;
        check::validate_tree(self, 0, &mut terms)?;
        let len = self.to_string().chars().count();
        if len > MAX_LENGTH {
            return Err(ParseError::new(
                0,
                format!("a query of at most {MAX_LENGTH} characters"),
                format!("{len} characters in its text form"),
                "limit MAX_LENGTH exceeded",
            ));
        }
        Ok(())
    }

    /// The normal form that parsing produces: nested `And`s (and `Or`s) flattened into their
    /// parent, one-term `And`/`Or` replaced by the term, empty `And` → [`Query::All`], empty
    /// `Or` → `Not(All)`. `parse(&q.to_string()) == Ok(q.normalized())` for every valid `q`.
    pub fn normalized(self) -> Query {
        match self {
            Query::And { terms } => {
                junction(true, terms.into_iter().map(Query::normalized).collect())
            }
            Query::Or { terms } => {
                junction(false, terms.into_iter().map(Query::normalized).collect())
            }
            Query::Not { term } => Query::Not {
                term: Box::new(term.normalized()),
            },
            leaf => leaf,
        }
    }

    /// The leaf terms (everything but `And`, `Or`, `Not`), left to right.
    pub fn terms(&self) -> Vec<&Query> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(q) = stack.pop() {
            match q {
                Query::And { terms } | Query::Or { terms } => stack.extend(terms.iter().rev()),
                Query::Not { term } => stack.push(term),
                leaf => out.push(leaf),
            }
        }
        out
    }

    fn is_junction(&self) -> bool {
        matches!(self, Query::And { .. } | Query::Or { .. })
    }
}

/// Builds an `And` (`is_and`) or an `Or` of already-normalised terms, flattening one level.
pub(crate) fn junction(is_and: bool, terms: Vec<Query>) -> Query {
    let mut out = Vec::with_capacity(terms.len());
    for t in terms {
        match t {
            Query::And { terms } if is_and => out.extend(terms),
            Query::Or { terms } if !is_and => out.extend(terms),
            t => out.push(t),
        }
    }
    match (out.len(), is_and) {
        (0, true) => Query::All,
        (0, false) => Query::Not {
            term: Box::new(Query::All),
        },
        (1, _) => out.pop().unwrap_or(Query::All),
        (_, true) => Query::And { terms: out },
        (_, false) => Query::Or { terms: out },
    }
}

/// Character offset of serde_json's 1-based (line, column).
fn json_position(json: &str, line: usize, column: usize) -> usize {
    let mut pos = 0;
    for (i, l) in json.split('\n').enumerate() {
        if i + 1 == line {
            return pos + l.chars().take(column.saturating_sub(1)).count();
        }
        pos += l.chars().count() + 1;
    }
    json.chars().count()
}

#[cfg(test)]
mod tests;
