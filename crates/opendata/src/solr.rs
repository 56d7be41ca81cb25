//! Solr/Lucene query syntax for CKAN's `package_search` (`q`, `fq`) and `sort`, evaluated
//! over documents in memory.
//!
//! The grammar and its meaning are those of Lucene's classic query parser, the one Solr
//! runs for `fq` and for a fielded `q`, with CKAN's defaults (`q.op=AND`, `df=text`):
//!
//! ```text
//! query   := clause*                          clauses joined by AND && OR || or nothing
//! clause  := [ '+' | '-' | '!' | NOT ] [ field ':' ] atom [ '^' boost ] [ '~' slop ]
//! atom    := term | "quoted phrase" | ( query ) | range | *
//! range   := ( '[' | '{' ) value TO value ( ']' | '}' )   (`*` for an open end)
//! term    := characters other than whitespace and + - ! ( ) : ^ [ ] " { } ~ \ /
//!            (`-` and `+` allowed after the first character, `\` escapes, `*` and `?`
//!            are wildcards)
//! ```
//!
//! Each clause of a list is `MUST`, `SHOULD` or `MUST_NOT` as Lucene decides it (its
//! `addClause`: `+`/no operator → MUST under `q.op=AND`, `-`/`NOT` → MUST_NOT, a clause
//! introduced by `OR` — and the one before it — SHOULD). So `a OR b` is a union, `a b` an
//! intersection, and, as in Solr, `a OR b c` requires only `c`. A list matches when every
//! MUST clause matches, no MUST_NOT clause does and, when there is no MUST clause, at
//! least one SHOULD clause does (or `min_should` of them: dismax's `mm`). A list of only
//! MUST_NOT clauses matches everything else (Solr adds `*:*` to a negative query).
//!
//! Fields have a [`FieldKind`]: `String` fields match whole values (case-insensitively),
//! `Text` fields match analysed tokens (lowercased, accents folded, a plural `s` dropped;
//! several words in a term or a phrase must follow each other), `Date` and `Number`
//! fields compare values, in ranges too (`[2024-01-01T00:00:00Z TO *]`, `NOW-1DAY`,
//! `{0 TO 5]`). Unknown fields, malformed dates and numbers, unbalanced parentheses,
//! dangling operators and unsupported syntax (regular expressions, fuzzy terms) are
//! refused with the character position of the mistake ([`SolrError`]).
//!
//! No I/O; bounded (length, nesting), never panics.

use std::cmp::Ordering;
use std::fmt;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};

/// The longest query accepted, in characters.
pub const MAX_LEN: usize = 10_000;
/// The deepest nesting of parentheses accepted.
pub const MAX_DEPTH: usize = 32;

/// A refused query: what is wrong and where (a character offset, from 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SolrError {
    pub position: usize,
    pub message: String,
}

impl SolrError {
    fn at(position: usize, message: impl Into<String>) -> SolrError {
        SolrError {
            position,
            message: message.into(),
        }
    }
}

impl fmt::Display for SolrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at position {}", self.message, self.position)
    }
}

impl std::error::Error for SolrError {}

/// How a field's values are indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Whole values (Solr `string`): `tags`, `organization`, `res_format`, …
    String,
    /// Analysed words (Solr `text`): `title`, `notes`, `text`, …
    Text,
    /// Points in time, in Solr's `2024-01-01T00:00:00Z` form (also `2024-01-01`, or naive).
    Date,
    /// Numbers.
    Number,
}

/// The fields a query may name.
pub trait Schema {
    /// The kind of `field`, `None` when there is no such field.
    fn kind(&self, field: &str) -> Option<FieldKind>;
    /// Every field name, for "did you mean" in errors.
    fn names(&self) -> Vec<&str> {
        Vec::new()
    }
}

/// A document: the values it holds for a field (none when it has none).
pub trait Document {
    fn values(&self, field: &str) -> Vec<String>;
}

/// How a query is read.
#[derive(Debug, Clone)]
pub struct Options {
    /// The fields an unfielded term searches, with their boosts (`df`, or dismax `qf`).
    pub default_fields: Vec<(String, f64)>,
    /// Dismax: plain clauses are optional and `mm=2<-1 5<80%` (CKAN's) says how many of
    /// them must match; otherwise `q.op=AND`.
    pub dismax: bool,
}

impl Options {
    /// Solr's lucene parser with CKAN's `q.op=AND` and `df=text`.
    pub fn lucene(df: &str) -> Options {
        Options {
            default_fields: vec![(df.to_owned(), 1.0)],
            dismax: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occur {
    Must,
    Should,
    MustNot,
}

/// What a leaf compares a field's values with.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    /// `field:*`: the field has a value.
    Exists,
    /// A plain term (maybe several words once analysed).
    Term(String),
    /// A quoted phrase.
    Phrase(String),
    /// A term with `*` or `?`.
    Wildcard(String),
    /// `[lo TO hi]`, `{lo TO hi}`; `None`: open end; the flag: inclusive.
    Range(Option<String>, bool, Option<String>, bool),
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    All,
    Leaf {
        fields: Vec<(String, FieldKind, f64)>,
        value: Value,
        boost: f64,
    },
    Bool {
        clauses: Vec<(Occur, Node)>,
        min_should: usize,
        boost: f64,
    },
}

/// A parsed query, ready to test documents.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    root: Node,
}

impl Query {
    /// The query that matches every document (`*:*`).
    pub fn all() -> Query {
        Query { root: Node::All }
    }

    /// Parses `text`. An empty (or blank) query is `*:*`.
    pub fn parse(text: &str, schema: &dyn Schema, options: &Options) -> Result<Query, SolrError> {
        let chars: Vec<char> = text.chars().collect();
        if chars.len() > MAX_LEN {
            return Err(SolrError::at(
                MAX_LEN,
                format!("query longer than {MAX_LEN} characters"),
            ));
        }
        if chars.iter().all(|c| c.is_whitespace()) {
            return Ok(Query::all());
        }
        let mut p = Parser {
            s: chars,
            i: 0,
            schema,
            options,
            depth: 0,
        };
        let root = p.query(None, true)?;
        Ok(Query { root })
    }

    /// Whether `doc` matches.
    pub fn matches(&self, doc: &dyn Document) -> bool {
        self.score(doc).is_some()
    }

    /// `None` when `doc` does not match; otherwise a relevance score (higher: better).
    pub fn score(&self, doc: &dyn Document) -> Option<f64> {
        eval(&self.root, doc)
    }
}

// ---------------------------------------------------------------------------------------
// Parsing

const CONJ_NONE: u8 = 0;
const CONJ_AND: u8 = 1;
const CONJ_OR: u8 = 2;
const MOD_NONE: u8 = 0;
const MOD_REQ: u8 = 1;
const MOD_NOT: u8 = 2;

const COLON: &str = "Cannot parse query: unexpected ':' (escape it as \\: or quote the value)";

struct Parser<'a> {
    s: Vec<char>,
    i: usize,
    schema: &'a dyn Schema,
    options: &'a Options,
    depth: usize,
}

fn is_special(c: char) -> bool {
    matches!(
        c,
        '+' | '-' | '!' | '(' | ')' | ':' | '^' | '[' | ']' | '"' | '{' | '}' | '~' | '\\' | '/'
    )
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    fn peek_at(&self, k: usize) -> Option<char> {
        self.s.get(self.i + k).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.i += 1;
        }
    }

    fn eof(&self) -> bool {
        self.i >= self.s.len()
    }

    /// The bare word at the cursor (up to whitespace or a special character), not consumed.
    fn word_here(&self) -> String {
        self.s[self.i..]
            .iter()
            .take_while(|c| !c.is_whitespace() && !is_special(**c))
            .collect()
    }

    /// `AND`, `&&`, `OR`, `||` or `NOT` as a whole word at the cursor: its length.
    fn keyword(&self, kw: &str) -> Option<usize> {
        let sym = match kw {
            "AND" => "&&",
            "OR" => "||",
            _ => "",
        };
        let rest: String = self.s[self.i..].iter().take(3).collect();
        if !sym.is_empty() && rest.starts_with(sym) {
            return Some(2);
        }
        if self.word_here() == kw {
            return Some(kw.len());
        }
        None
    }

    fn unexpected(&self) -> SolrError {
        match self.peek() {
            None => SolrError::at(self.i, "Cannot parse query: unexpected end of query"),
            Some(c) => SolrError::at(self.i, format!("Cannot parse query: unexpected '{c}'")),
        }
    }

    /// A list of clauses, up to the end (top) or a `)` (not consumed).
    fn query(&mut self, field: Option<&str>, top: bool) -> Result<Node, SolrError> {
        let mut clauses: Vec<(Occur, Node)> = Vec::new();
        let mut plain_should = 0usize;
        let mut explicit = false;
        loop {
            self.skip_ws();
            match self.peek() {
                None => break,
                Some(')') if !top => break,
                Some(')') => {
                    return Err(SolrError::at(self.i, "Cannot parse query: unbalanced ')'"));
                }
                _ => {}
            }
            let mut conj = CONJ_NONE;
            for (kw, c) in [("AND", CONJ_AND), ("OR", CONJ_OR)] {
                if let Some(n) = self.keyword(kw) {
                    if clauses.is_empty() {
                        return Err(SolrError::at(
                            self.i,
                            format!("Cannot parse query: '{kw}' has nothing on its left"),
                        ));
                    }
                    self.i += n;
                    conj = c;
                    self.skip_ws();
                    break;
                }
            }
            let mut mods = MOD_NONE;
            match self.peek() {
                Some('+') => {
                    mods = MOD_REQ;
                    self.i += 1;
                }
                Some('-') | Some('!') => {
                    mods = MOD_NOT;
                    self.i += 1;
                }
                _ => {
                    if let Some(n) = self.keyword("NOT") {
                        mods = MOD_NOT;
                        self.i += n;
                    }
                }
            }
            self.skip_ws();
            if self.eof() || self.peek() == Some(')') {
                return Err(self.unexpected());
            }
            if self.keyword("AND").is_some() || self.keyword("OR").is_some() {
                return Err(SolrError::at(
                    self.i,
                    "Cannot parse query: two operators in a row",
                ));
            }
            let node = self.clause(field)?;
            let plain = conj == CONJ_NONE && mods == MOD_NONE;
            explicit |= conj != CONJ_NONE;
            let occur = add_clause(&mut clauses, conj, mods, self.options.dismax && top);
            if plain && occur == Occur::Should {
                plain_should += 1;
            }
            clauses.push((occur, node));
        }
        if clauses.is_empty() {
            return Err(self.unexpected());
        }
        let min_should = if self.options.dismax && top && plain_should > 0 && !explicit {
            let n = clauses.iter().filter(|(o, _)| *o == Occur::Should).count();
            dismax_mm(n)
        } else {
            0
        };
        if clauses.len() == 1 && min_should == 0 && clauses[0].0 != Occur::MustNot {
            return Ok(clauses.pop().map(|(_, n)| n).unwrap_or(Node::All));
        }
        Ok(Node::Bool {
            clauses,
            min_should,
            boost: 1.0,
        })
    }

    /// One clause (no leading operator).
    fn clause(&mut self, field: Option<&str>) -> Result<Node, SolrError> {
        let start = self.i;
        let mut node = match self.peek() {
            Some('(') => self.group(field)?,
            Some('"') => {
                let phrase = self.phrase()?;
                self.leaf(field, Value::Phrase(phrase), start)?
            }
            Some('[') | Some('{') => {
                let v = self.range()?;
                self.leaf(field, v, start)?
            }
            _ => {
                let (term, wild) = self.term()?;
                if self.peek() == Some(':') {
                    if field.is_some() {
                        return Err(SolrError::at(
                            self.i,
                            "Cannot parse query: a field inside a field group",
                        ));
                    }
                    if wild && term != "*" {
                        return Err(SolrError::at(
                            start,
                            "Cannot parse query: invalid field name",
                        ));
                    }
                    self.i += 1;
                    let vstart = self.i;
                    if term == "*" {
                        let (v, _) = self.term()?;
                        if v != "*" {
                            return Err(SolrError::at(vstart, "Cannot parse query: expected *:*"));
                        }
                        Node::All
                    } else {
                        self.check_field(&term, start)?;
                        match self.peek() {
                            Some('(') => self.group(Some(&term))?,
                            Some('"') => {
                                let phrase = self.phrase()?;
                                self.leaf(Some(&term), Value::Phrase(phrase), vstart)?
                            }
                            Some('[') | Some('{') => {
                                let v = self.range()?;
                                self.leaf(Some(&term), v, vstart)?
                            }
                            Some(c) if c.is_whitespace() => {
                                return Err(SolrError::at(
                                    self.i,
                                    format!("Cannot parse query: no value after '{term}:'"),
                                ));
                            }
                            None => return Err(self.unexpected()),
                            _ => {
                                let (v, wild) = self.term()?;
                                if self.peek() == Some(':') {
                                    return Err(SolrError::at(self.i, COLON));
                                }
                                let value = term_value(v, wild);
                                self.leaf(Some(&term), value, vstart)?
                            }
                        }
                    }
                } else if term == "*" && field.is_none() {
                    Node::All
                } else {
                    self.leaf(field, term_value(term, wild), start)?
                }
            }
        };
        // Suffixes: boost and slop / fuzziness.
        loop {
            match self.peek() {
                Some('^') => {
                    let at = self.i;
                    self.i += 1;
                    let n = self.number();
                    let b: f64 = n.parse().map_err(|_| {
                        SolrError::at(at, "Cannot parse query: '^' needs a number (a boost)")
                    })?;
                    set_boost(&mut node, b);
                }
                Some('~') => {
                    let at = self.i;
                    self.i += 1;
                    let _ = self.number();
                    let phrase = matches!(
                        node,
                        Node::Leaf {
                            value: Value::Phrase(_),
                            ..
                        }
                    );
                    if !phrase {
                        return Err(SolrError::at(at, "fuzzy queries (term~) are not supported"));
                    }
                }
                Some(':') => {
                    return Err(SolrError::at(self.i, COLON));
                }
                _ => break,
            }
        }
        Ok(node)
    }

    fn number(&mut self) -> String {
        let mut s = String::new();
        while let Some(c) = self.peek().filter(|c| c.is_ascii_digit() || *c == '.') {
            s.push(c);
            self.i += 1;
        }
        s
    }

    fn group(&mut self, field: Option<&str>) -> Result<Node, SolrError> {
        let open = self.i;
        self.i += 1;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(SolrError::at(
                open,
                format!("query nested deeper than {MAX_DEPTH} parentheses"),
            ));
        }
        self.skip_ws();
        if self.peek() == Some(')') {
            return Err(SolrError::at(
                self.i,
                "Cannot parse query: empty parentheses",
            ));
        }
        let node = self.query(field, false)?;
        if self.peek() != Some(')') {
            return Err(SolrError::at(
                self.i,
                format!("Cannot parse query: '(' at position {open} is never closed"),
            ));
        }
        self.i += 1;
        self.depth -= 1;
        Ok(node)
    }

    fn phrase(&mut self) -> Result<String, SolrError> {
        let open = self.i;
        self.i += 1;
        let mut s = String::new();
        loop {
            match self.peek() {
                None => {
                    return Err(SolrError::at(
                        open,
                        "Cannot parse query: the quote opened here is never closed",
                    ));
                }
                Some('"') => {
                    self.i += 1;
                    return Ok(s);
                }
                Some('\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(c) => {
                            s.push(c);
                            self.i += 1;
                        }
                        None => return Err(self.unexpected()),
                    }
                }
                Some(c) => {
                    s.push(c);
                    self.i += 1;
                }
            }
        }
    }

    /// A bare term: its text (escapes resolved) and whether it holds unescaped wildcards.
    fn term(&mut self) -> Result<(String, bool), SolrError> {
        let start = self.i;
        let mut s = String::new();
        let mut wild = false;
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                break;
            }
            if c == '\\' {
                self.i += 1;
                match self.peek() {
                    Some(e) => {
                        s.push(e);
                        self.i += 1;
                        continue;
                    }
                    None => {
                        return Err(SolrError::at(start, "Cannot parse query: '\\' at the end"));
                    }
                }
            }
            if c == '/' && self.i == start {
                return Err(SolrError::at(
                    self.i,
                    "regular expressions (/…/) are not supported; escape '/' as \\/",
                ));
            }
            if (c == '+' || c == '-') && self.i > start {
                s.push(c);
                self.i += 1;
                continue;
            }
            if is_special(c) && c != '/' {
                break;
            }
            if c == '&' && self.peek_at(1) == Some('&') || c == '|' && self.peek_at(1) == Some('|')
            {
                break;
            }
            if c == '*' || c == '?' {
                wild = true;
            }
            s.push(c);
            self.i += 1;
        }
        if s.is_empty() {
            return Err(self.unexpected());
        }
        Ok((s, wild))
    }

    /// `[a TO b]`, `{a TO b}`, mixed brackets, `*` for an open end.
    fn range(&mut self) -> Result<Value, SolrError> {
        let open = self.i;
        let lo_incl = self.peek() == Some('[');
        self.i += 1;
        self.skip_ws();
        let lo = self.range_end()?;
        self.skip_ws();
        if self.word_here() != "TO" {
            return Err(SolrError::at(
                self.i,
                "Cannot parse query: a range needs 'TO' between its ends ([a TO b])",
            ));
        }
        self.i += 2;
        self.skip_ws();
        let hi = self.range_end()?;
        self.skip_ws();
        let hi_incl = match self.peek() {
            Some(']') => true,
            Some('}') => false,
            _ => {
                return Err(SolrError::at(
                    self.i,
                    format!(
                        "Cannot parse query: the range opened at position {open} needs ']' or '}}'"
                    ),
                ));
            }
        };
        self.i += 1;
        Ok(Value::Range(lo, lo_incl, hi, hi_incl))
    }

    fn range_end(&mut self) -> Result<Option<String>, SolrError> {
        let start = self.i;
        let s = if self.peek() == Some('"') {
            self.phrase()?
        } else {
            let mut s = String::new();
            while let Some(c) = self.peek() {
                if c.is_whitespace() || c == ']' || c == '}' {
                    break;
                }
                if c == '\\' {
                    self.i += 1;
                    if let Some(e) = self.peek() {
                        s.push(e);
                        self.i += 1;
                    }
                    continue;
                }
                s.push(c);
                self.i += 1;
            }
            if s == "*" {
                return Ok(None);
            }
            s
        };
        if s.is_empty() || s == "TO" {
            return Err(SolrError::at(
                start,
                "Cannot parse query: a range end is missing",
            ));
        }
        Ok(Some(s))
    }

    fn check_field(&self, field: &str, at: usize) -> Result<FieldKind, SolrError> {
        self.schema.kind(field).ok_or_else(|| {
            let names = self.schema.names();
            let close = territoria_model::suggest::closest(field, names.iter().copied(), 3);
            let hint = if close.is_empty() {
                String::new()
            } else {
                format!(" (did you mean {}?)", close.join(", "))
            };
            SolrError::at(at, format!("undefined field {field}{hint}"))
        })
    }

    /// A leaf on `field` (or the default fields), its value checked against their kinds.
    fn leaf(&self, field: Option<&str>, value: Value, at: usize) -> Result<Node, SolrError> {
        let fields: Vec<(String, FieldKind, f64)> = match field {
            Some(f) => vec![(f.to_owned(), self.check_field(f, at)?, 1.0)],
            None => self
                .options
                .default_fields
                .iter()
                .map(|(f, b)| Ok((f.clone(), self.check_field(f, at)?, *b)))
                .collect::<Result<_, SolrError>>()?,
        };
        for (name, kind, _) in &fields {
            check_value(name, *kind, &value, at)?;
        }
        Ok(Node::Leaf {
            fields,
            value,
            boost: 1.0,
        })
    }
}

fn term_value(term: String, wild: bool) -> Value {
    if term == "*" {
        Value::Exists
    } else if wild {
        Value::Wildcard(term)
    } else {
        Value::Term(term)
    }
}

fn set_boost(node: &mut Node, b: f64) {
    match node {
        Node::All => {}
        Node::Leaf { boost, .. } | Node::Bool { boost, .. } => *boost = b,
    }
}

/// Lucene's `QueryParserBase.addClause` under `q.op=AND` (or OR, for dismax's top level):
/// the occurrence of the new clause, having adjusted the previous one.
fn add_clause(clauses: &mut [(Occur, Node)], conj: u8, mods: u8, default_or: bool) -> Occur {
    if let Some(last) = clauses.last_mut() {
        if conj == CONJ_AND && last.0 != Occur::MustNot {
            last.0 = Occur::Must;
        }
        if !default_or && conj == CONJ_OR && last.0 != Occur::MustNot {
            last.0 = Occur::Should;
        }
    }
    let prohibited = mods == MOD_NOT;
    let required = if default_or {
        mods == MOD_REQ || (conj == CONJ_AND && !prohibited)
    } else {
        !prohibited && conj != CONJ_OR
    };
    if prohibited {
        Occur::MustNot
    } else if required {
        Occur::Must
    } else {
        Occur::Should
    }
}

/// CKAN's `mm=2<-1 5<80%`: of `n` optional clauses, how many must match.
fn dismax_mm(n: usize) -> usize {
    match n {
        0..=2 => n,
        3..=5 => n - 1,
        _ => n * 8 / 10,
    }
}

fn check_value(field: &str, kind: FieldKind, value: &Value, at: usize) -> Result<(), SolrError> {
    let ends: Vec<&str> = match value {
        Value::Exists => return Ok(()),
        Value::Term(t) | Value::Phrase(t) => vec![t],
        Value::Wildcard(_) => {
            return match kind {
                FieldKind::String | FieldKind::Text => Ok(()),
                _ => Err(SolrError::at(
                    at,
                    format!("wildcards are not supported on the {field} field (only {field}:*)"),
                )),
            };
        }
        Value::Range(lo, _, hi, _) => lo.iter().chain(hi.iter()).map(String::as_str).collect(),
    };
    for e in ends {
        match kind {
            FieldKind::Date if parse_date_math(e).is_none() => {
                return Err(SolrError::at(
                    at,
                    format!(
                        "Invalid Date String:'{e}' (expected 2024-01-01T00:00:00Z, or NOW-1DAY) on {field}"
                    ),
                ));
            }
            FieldKind::Number if e.trim().parse::<f64>().is_err() => {
                return Err(SolrError::at(
                    at,
                    format!("Invalid Number: {e} (on {field})"),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Values

/// Lowercase, accents folded.
fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        if c == 'œ' {
            out.push_str("oe");
            continue;
        }
        out.push(match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ý' | 'ÿ' => 'y',
            c => c,
        });
    }
    out
}

fn stem(w: &str) -> String {
    if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") {
        w[..w.len() - 1].to_owned()
    } else {
        w.to_owned()
    }
}

/// A text field's analysis: words, lowercased, accents folded, a plural `s` dropped.
pub fn analyse(s: &str) -> Vec<String> {
    fold(s)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(stem)
        .collect()
}

/// Glob matching with `*` (any run) and `?` (one character).
fn glob(pattern: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// A Solr date, `NOW` with date math (`NOW-1DAY`, `NOW/DAY`, `NOW+2HOURS`), a date or a
/// (naive, UTC) date-time.
pub fn parse_date_math(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix("NOW") {
        return date_math(Utc::now().naive_utc(), rest);
    }
    // An anchor date, maybe followed by math ("2024-01-01T00:00:00Z+1DAY").
    let (anchor, math) = match s.find(['+', '/']).or_else(|| {
        // '-' also starts math, but only after the date part.
        s.get(10..).and_then(|tail| tail.find('-').map(|k| k + 10))
    }) {
        Some(k) if k >= 10 => (&s[..k], &s[k..]),
        _ => (s, ""),
    };
    let a = anchor.trim_end_matches('Z');
    let t = NaiveDateTime::parse_from_str(a, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(a, "%Y-%m-%d %H:%M:%S%.f"))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(a, "%Y-%m-%d")
                .ok()
                .map(|d| d.and_time(NaiveTime::MIN))
        })?;
    date_math(t, math)
}

fn date_math(mut t: NaiveDateTime, mut rest: &str) -> Option<NaiveDateTime> {
    while let Some(op) = rest.chars().next() {
        rest = &rest[1..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        rest = &rest[digits.len()..];
        let unit: String = rest.chars().take_while(char::is_ascii_alphabetic).collect();
        rest = &rest[unit.len()..];
        let unit = unit.trim_end_matches('S');
        match op {
            '/' if digits.is_empty() => {
                t = match unit {
                    "YEAR" => NaiveDate::from_ymd_opt(t.year(), 1, 1)?.and_time(NaiveTime::MIN),
                    "MONTH" => {
                        NaiveDate::from_ymd_opt(t.year(), t.month(), 1)?.and_time(NaiveTime::MIN)
                    }
                    "DAY" => t.date().and_time(NaiveTime::MIN),
                    "HOUR" => t.date().and_hms_opt(t.hour(), 0, 0)?,
                    "MINUTE" => t.date().and_hms_opt(t.hour(), t.minute(), 0)?,
                    "SECOND" => t.date().and_hms_opt(t.hour(), t.minute(), t.second())?,
                    _ => return None,
                }
            }
            '+' | '-' if !digits.is_empty() => {
                let n: i64 = digits.parse().ok()?;
                let n = if op == '-' { -n } else { n };
                t = match unit {
                    "YEAR" => add_months(t, n.checked_mul(12)?)?,
                    "MONTH" => add_months(t, n)?,
                    "DAY" => t.checked_add_signed(Duration::try_days(n)?)?,
                    "HOUR" => t.checked_add_signed(Duration::try_hours(n)?)?,
                    "MINUTE" => t.checked_add_signed(Duration::try_minutes(n)?)?,
                    "SECOND" => t.checked_add_signed(Duration::try_seconds(n)?)?,
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
    Some(t)
}

fn add_months(t: NaiveDateTime, n: i64) -> Option<NaiveDateTime> {
    let m = i64::from(t.year()) * 12 + i64::from(t.month0()) + n;
    let (y, m0) = (
        i32::try_from(m.div_euclid(12)).ok()?,
        m.rem_euclid(12) as u32,
    );
    let mut d = t.day();
    loop {
        if let Some(date) = NaiveDate::from_ymd_opt(y, m0 + 1, d) {
            return Some(date.and_time(t.time()));
        }
        d = d.checked_sub(1).filter(|d| *d > 0)?;
    }
}

/// Compares a document's value with a query's value for a field kind (`None`: not
/// comparable, e.g. a malformed stored date).
fn compare(kind: FieldKind, stored: &str, wanted: &str) -> Option<Ordering> {
    match kind {
        FieldKind::Date => parse_date_math(stored)?.partial_cmp(&parse_date_math(wanted)?),
        FieldKind::Number => stored
            .trim()
            .parse::<f64>()
            .ok()?
            .partial_cmp(&wanted.trim().parse::<f64>().ok()?),
        FieldKind::String => Some(fold(stored).cmp(&fold(wanted))),
        FieldKind::Text => Some(fold(stored).cmp(&fold(wanted))),
    }
}

fn in_range(
    kind: FieldKind,
    v: &str,
    lo: &Option<String>,
    lo_incl: bool,
    hi: &Option<String>,
    hi_incl: bool,
) -> bool {
    let lo_ok = match lo {
        None => true,
        Some(l) => match compare(kind, v, l) {
            Some(Ordering::Greater) => true,
            Some(Ordering::Equal) => lo_incl,
            _ => false,
        },
    };
    let hi_ok = match hi {
        None => true,
        Some(h) => match compare(kind, v, h) {
            Some(Ordering::Less) => true,
            Some(Ordering::Equal) => hi_incl,
            _ => false,
        },
    };
    lo_ok && hi_ok
}

/// Whether `words` appear one after the other in `tokens`.
fn contains_run(tokens: &[String], words: &[String]) -> bool {
    words.is_empty() || tokens.windows(words.len()).any(|w| w == words)
}

fn leaf_matches(kind: FieldKind, values: &[String], value: &Value) -> bool {
    match value {
        Value::Exists => values.iter().any(|v| !v.trim().is_empty()),
        Value::Term(t) | Value::Phrase(t) => match kind {
            FieldKind::String => {
                let t = fold(t);
                values.iter().any(|v| fold(v) == t)
            }
            FieldKind::Text => {
                let words = analyse(t);
                values.iter().any(|v| contains_run(&analyse(v), &words))
            }
            FieldKind::Date | FieldKind::Number => values
                .iter()
                .any(|v| compare(kind, v, t) == Some(Ordering::Equal)),
        },
        Value::Wildcard(p) => {
            let pat: Vec<char> = fold(p).chars().collect();
            match kind {
                FieldKind::Text => values.iter().any(|v| {
                    fold(v)
                        .split(|c: char| !c.is_alphanumeric())
                        .any(|w| glob(&pat, &w.chars().collect::<Vec<_>>()))
                }),
                _ => values
                    .iter()
                    .any(|v| glob(&pat, &fold(v).chars().collect::<Vec<_>>())),
            }
        }
        Value::Range(lo, li, hi, hi_incl) => values
            .iter()
            .any(|v| in_range(kind, v, lo, *li, hi, *hi_incl)),
    }
}

fn eval(node: &Node, doc: &dyn Document) -> Option<f64> {
    match node {
        Node::All => Some(1.0),
        Node::Leaf {
            fields,
            value,
            boost,
        } => {
            // Dismax: the best field, plus a tenth (CKAN's tie=0.1) of the others.
            let mut best: f64 = 0.0;
            let mut rest = 0.0;
            let mut hit = false;
            for (name, kind, b) in fields {
                if leaf_matches(*kind, &doc.values(name), value) {
                    hit = true;
                    if *b > best {
                        rest += best;
                        best = *b;
                    } else {
                        rest += *b;
                    }
                }
            }
            hit.then(|| (best + 0.1 * rest) * boost)
        }
        Node::Bool {
            clauses,
            min_should,
            boost,
        } => {
            let mut score = 0.0;
            let (mut musts, mut shoulds, mut matched_should) = (0, 0, 0);
            for (occur, n) in clauses {
                let s = eval(n, doc);
                match occur {
                    Occur::Must => {
                        musts += 1;
                        score += s?;
                    }
                    Occur::MustNot => {
                        if s.is_some() {
                            return None;
                        }
                    }
                    Occur::Should => {
                        shoulds += 1;
                        if let Some(s) = s {
                            matched_should += 1;
                            score += s;
                        }
                    }
                }
            }
            let needed = if musts == 0 && shoulds > 0 {
                (*min_should).max(1)
            } else {
                *min_should
            };
            if matched_should < needed {
                return None;
            }
            Some(score.max(0.0001) * boost)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Sort

/// A `sort` parameter (`"id asc, metadata_modified desc"`): `(field, descending)` pairs,
/// each field one `sortable` accepts.
pub fn parse_sort(text: &str, sortable: &[&str]) -> Result<Vec<(String, bool)>, SolrError> {
    let mut out = Vec::new();
    let mut at = 0;
    for part in text.split(',') {
        let lead = part.len() - part.trim_start().len();
        let words: Vec<&str> = part.split_whitespace().collect();
        let pos = text[..at].chars().count() + part[..lead].chars().count();
        match words.as_slice() {
            [] => {
                return Err(SolrError::at(
                    pos,
                    "Invalid \"sort\" parameter: an empty sort key",
                ));
            }
            [field, dir] => {
                let desc = match dir.to_ascii_lowercase().as_str() {
                    "asc" => false,
                    "desc" => true,
                    other => {
                        return Err(SolrError::at(
                            pos,
                            format!(
                                "Invalid \"sort\" parameter: Unknown sort order '{other}' (asc or desc)"
                            ),
                        ));
                    }
                };
                if !sortable.contains(field) {
                    let close =
                        territoria_model::suggest::closest(field, sortable.iter().copied(), 3);
                    let hint = if close.is_empty() {
                        String::new()
                    } else {
                        format!(" (did you mean {}?)", close.join(", "))
                    };
                    return Err(SolrError::at(
                        pos,
                        format!("can not sort on undefined field: {field}{hint}"),
                    ));
                }
                out.push(((*field).to_owned(), desc));
            }
            [field] => {
                return Err(SolrError::at(
                    pos,
                    format!(
                        "Invalid \"sort\" parameter: Can't determine a Sort Order (asc or desc) in sort spec '{field}'"
                    ),
                ));
            }
            _ => {
                return Err(SolrError::at(
                    pos,
                    format!("Invalid \"sort\" parameter: '{}'", part.trim()),
                ));
            }
        }
        at += part.len() + 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    struct S;
    impl Schema for S {
        fn kind(&self, f: &str) -> Option<FieldKind> {
            Some(match f {
                "org" | "tag" | "name" => FieldKind::String,
                "title" | "text" => FieldKind::Text,
                "modified" => FieldKind::Date,
                "n" => FieldKind::Number,
                _ => return None,
            })
        }
        fn names(&self) -> Vec<&str> {
            vec!["org", "tag", "name", "title", "text", "modified", "n"]
        }
    }

    #[derive(Debug, Clone, Default)]
    struct D(HashMap<String, Vec<String>>);
    impl Document for D {
        fn values(&self, f: &str) -> Vec<String> {
            self.0.get(f).cloned().unwrap_or_default()
        }
    }

    fn doc(pairs: &[(&str, &str)]) -> D {
        let mut m: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in pairs {
            m.entry((*k).to_owned()).or_default().push((*v).to_owned());
        }
        D(m)
    }

    fn q(s: &str) -> Query {
        Query::parse(s, &S, &Options::lucene("text")).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &str) -> SolrError {
        Query::parse(s, &S, &Options::lucene("text")).expect_err(s)
    }

    fn docs() -> Vec<D> {
        vec![
            doc(&[
                ("org", "a"),
                ("tag", "x"),
                ("n", "1"),
                ("modified", "2023-06-01T10:00:00.000000"),
                ("title", "Les Organisations wallonnes"),
            ]),
            doc(&[
                ("org", "b"),
                ("tag", "y"),
                ("n", "5"),
                ("modified", "2024-03-01T00:00:00Z"),
                ("title", "Actions of the strategy"),
            ]),
            doc(&[
                ("org", "c"),
                ("tag", "x"),
                ("tag", "y"),
                ("n", "10"),
                ("modified", "2025-01-01"),
                ("title", "Données des lieux"),
            ]),
        ]
    }

    fn hits(s: &str) -> Vec<usize> {
        let query = q(s);
        docs()
            .iter()
            .enumerate()
            .filter(|(_, d)| query.matches(*d))
            .map(|(i, _)| i)
            .collect()
    }

    #[test]
    fn boolean_operators_follow_lucene() {
        assert_eq!(hits("org:a OR org:b"), [0, 1]);
        assert_eq!(hits("org:a || org:b"), [0, 1]);
        assert_eq!(hits("org:a org:b"), Vec::<usize>::new());
        assert_eq!(hits("org:a AND tag:x"), [0]);
        assert_eq!(hits("tag:x -org:a"), [2]);
        assert_eq!(hits("tag:x AND NOT org:a"), [2]);
        assert_eq!(hits("tag:x NOT org:a"), [2]);
        assert_eq!(hits("-org:a"), [1, 2]);
        assert_eq!(hits("!org:a"), [1, 2]);
        assert_eq!(hits("NOT org:a NOT org:b"), [2]);
        assert_eq!(hits("+tag:y +(org:b OR org:a)"), [1]);
        assert_eq!(hits("org:(a OR c)"), [0, 2]);
        assert_eq!(hits("tag:(x y)"), [2]);
        // Lucene's flat lists: `a OR b c` requires c only.
        assert_eq!(hits("org:a OR org:b tag:y"), [1, 2]);
        assert_eq!(hits("*:*"), [0, 1, 2]);
        assert_eq!(hits("  "), [0, 1, 2]);
        assert_eq!(hits("*:* -tag:x"), [1]);
        assert_eq!(hits("(-org:a)"), [1, 2]);
    }

    #[test]
    fn values_ranges_and_wildcards() {
        assert_eq!(hits("org:A"), [0]);
        assert_eq!(hits("org:\"a\""), [0]);
        assert_eq!(hits("title:organisation"), [0]);
        assert_eq!(hits("title:\"organisations wallonnes\""), [0]);
        assert_eq!(
            hits("title:\"wallonnes organisations\""),
            Vec::<usize>::new()
        );
        assert_eq!(hits("title:donnees"), [2]);
        assert_eq!(hits("title:org*"), [0]);
        assert_eq!(hits("org:?"), [0, 1, 2]);
        assert_eq!(hits("tag:*"), [0, 1, 2]);
        assert_eq!(hits("n:[1 TO 5]"), [0, 1]);
        assert_eq!(hits("n:{1 TO 5]"), [1]);
        assert_eq!(hits("n:[5 TO *]"), [1, 2]);
        assert_eq!(hits("n:{* TO 5}"), [0]);
        assert_eq!(hits("n:10"), [2]);
        assert_eq!(hits("modified:[2024-01-01T00:00:00Z TO *]"), [1, 2]);
        assert_eq!(hits("modified:[* TO 2024-03-01T00:00:00Z}"), [0]);
        assert_eq!(
            hits("modified:[\"2023-01-01\" TO \"2024-12-31T23:59:59Z\"]"),
            [0, 1]
        );
        assert_eq!(hits("modified:[2000-01-01T00:00:00Z TO NOW]"), [0, 1, 2]);
        assert_eq!(hits("modified:[NOW/DAY-100YEARS TO NOW+1DAY]"), [0, 1, 2]);
        assert_eq!(hits("modified:[NOW TO *]"), Vec::<usize>::new());
        assert_eq!(hits("org:[a TO b]"), [0, 1]);
        assert_eq!(hits("title:a\\-b"), Vec::<usize>::new());
        assert_eq!(hits("org:a^2 OR org:b"), [0, 1]);
        assert_eq!(hits("title:\"organisations wallonnes\"~2"), [0]);
    }

    #[test]
    fn errors_say_where() {
        let e = err("org:(a OR b");
        assert_eq!(e.position, 11, "{e}");
        assert!(e.message.contains("never closed"), "{e}");
        assert_eq!(err("org:a OR").position, 8);
        assert_eq!(err("OR org:a").position, 0);
        assert_eq!(err("org:a AND OR org:b").position, 10);
        assert_eq!(err("nope:a").position, 0);
        assert!(err("orgg:a").message.contains("did you mean org"));
        assert_eq!(err("org:a)").position, 5);
        assert_eq!(err("title:\"abc").position, 6);
        let e = err("modified:[2024-13-01 TO *]");
        assert!(e.message.contains("Invalid Date String"), "{e}");
        assert_eq!(e.position, 9);
        assert!(err("n:[a TO 2]").message.contains("Invalid Number"));
        assert_eq!(err("n:[1 2]").position, 5);
        assert_eq!(err("n:[1 TO 2").position, 9);
        assert!(err("modified:2024-01-01T00:00:00Z").message.contains("':'"));
        assert!(err("org:/a.*/").message.contains("regular"));
        assert!(err("org:abc~1").message.contains("fuzzy"));
        assert_eq!(err("org: a").position, 4);
        assert_eq!(err("()").position, 1);
        let deep = "(".repeat(40) + "org:a" + &")".repeat(40);
        assert!(err(&deep).message.contains("nested"));
        assert!(err(&"a ".repeat(6000)).message.contains("longer"));
    }

    #[test]
    fn dismax_needs_most_words() {
        let opts = Options {
            default_fields: vec![("title".into(), 4.0), ("text".into(), 1.0)],
            dismax: true,
        };
        let m = |s: &str| {
            let query = Query::parse(s, &S, &opts).unwrap();
            docs()
                .iter()
                .enumerate()
                .filter(|(_, d)| query.matches(*d))
                .map(|(i, _)| i)
                .collect::<Vec<_>>()
        };
        assert_eq!(m("organisations"), [0]);
        assert_eq!(m("organisations strategy"), Vec::<usize>::new());
        assert_eq!(m("organisations OR strategy"), [0, 1]);
        assert_eq!(m("les organisations wallonnes zzz"), [0]);
        assert_eq!(m("organisations -wallonnes"), Vec::<usize>::new());
    }

    #[test]
    fn scores_prefer_boosted_fields() {
        let opts = Options {
            default_fields: vec![("name".into(), 4.0), ("title".into(), 1.0)],
            dismax: true,
        };
        let query = Query::parse("actions", &S, &opts).unwrap();
        let named = doc(&[("name", "actions"), ("title", "x")]);
        let titled = doc(&[("name", "x"), ("title", "actions")]);
        assert!(query.score(&named).unwrap() > query.score(&titled).unwrap());
    }

    #[test]
    fn sort_specs() {
        let f = ["id", "name", "metadata_modified"];
        assert_eq!(
            parse_sort("id asc, metadata_modified desc", &f).unwrap(),
            vec![("id".into(), false), ("metadata_modified".into(), true)]
        );
        let e = parse_sort("id asc, nope desc", &f).unwrap_err();
        assert_eq!(e.position, 8);
        assert!(e.message.contains("undefined field: nope"));
        assert!(
            parse_sort("id", &f)
                .unwrap_err()
                .message
                .contains("Sort Order")
        );
        assert!(
            parse_sort("id up", &f)
                .unwrap_err()
                .message
                .contains("Unknown sort order")
        );
    }

    #[test]
    fn date_math() {
        let t = parse_date_math("2024-01-31T10:00:00Z+1MONTH").unwrap();
        assert_eq!(t.to_string(), "2024-02-29 10:00:00");
        let t = parse_date_math("2024-01-31T10:20:30Z/DAY").unwrap();
        assert_eq!(t.to_string(), "2024-01-31 00:00:00");
        let t = parse_date_math("2024-03-01-1DAY").unwrap();
        assert_eq!(t.to_string(), "2024-02-29 00:00:00");
        assert!(parse_date_math("NOW-1DAYS/HOUR").is_some());
        assert!(parse_date_math("yesterday").is_none());
        assert!(parse_date_math("NOW-1FORTNIGHT").is_none());
    }

    // A reference: boolean expressions evaluated directly, printed as Solr queries in
    // several equivalent spellings.
    #[derive(Debug, Clone)]
    enum E {
        Org(u8),
        Tag(u8),
        N(Option<u8>, bool, Option<u8>, bool),
        Not(Box<E>),
        And(Box<E>, Box<E>),
        Or(Box<E>, Box<E>),
    }

    const ORGS: [&str; 3] = ["a", "b", "c"];
    const TAGS: [&str; 3] = ["x", "y", "z w"];

    fn truth(e: &E, d: &(u8, Vec<u8>, u8)) -> bool {
        match e {
            E::Org(o) => d.0 == *o,
            E::Tag(t) => d.1.contains(t),
            E::N(lo, li, hi, hi_incl) => {
                lo.is_none_or(|l| if *li { d.2 >= l } else { d.2 > l })
                    && hi.is_none_or(|h| if *hi_incl { d.2 <= h } else { d.2 < h })
            }
            E::Not(a) => !truth(a, d),
            E::And(a, b) => truth(a, d) && truth(b, d),
            E::Or(a, b) => truth(a, d) || truth(b, d),
        }
    }

    fn print(e: &E, style: u8) -> String {
        let end = |v: &Option<u8>| v.map_or("*".to_owned(), |v| v.to_string());
        match e {
            E::Org(o) => format!("org:{}", ORGS[*o as usize]),
            E::Tag(t) => format!("tag:\"{}\"", TAGS[*t as usize]),
            E::N(lo, li, hi, hi_incl) => format!(
                "n:{}{} TO {}{}",
                if *li { '[' } else { '{' },
                end(lo),
                end(hi),
                if *hi_incl { ']' } else { '}' }
            ),
            E::Not(a) => match style % 3 {
                0 => format!("(NOT {})", print(a, style / 3)),
                1 => format!("(-{})", print(a, style / 3)),
                _ => format!("(*:* -{})", print(a, style / 3)),
            },
            E::And(a, b) => match style % 3 {
                0 => format!("({} AND {})", print(a, style / 3), print(b, style / 7)),
                1 => format!("(+{} +{})", print(a, style / 3), print(b, style / 7)),
                _ => format!("({} {})", print(a, style / 3), print(b, style / 7)),
            },
            E::Or(a, b) => match style % 2 {
                0 => format!("({} OR {})", print(a, style / 3), print(b, style / 7)),
                _ => format!("({} || {})", print(a, style / 3), print(b, style / 7)),
            },
        }
    }

    fn expr() -> impl Strategy<Value = E> {
        let end = proptest::option::of(0u8..12);
        let leaf = prop_oneof![
            (0u8..3).prop_map(E::Org),
            (0u8..3).prop_map(E::Tag),
            (end.clone(), any::<bool>(), end, any::<bool>())
                .prop_map(|(lo, li, hi, hh)| E::N(lo, li, hi, hh)),
        ];
        leaf.prop_recursive(5, 24, 2, |inner| {
            prop_oneof![
                inner.clone().prop_map(|a| E::Not(Box::new(a))),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| E::And(Box::new(a), Box::new(b))),
                (inner.clone(), inner).prop_map(|(a, b)| E::Or(Box::new(a), Box::new(b))),
            ]
        })
    }

    fn to_doc(d: &(u8, Vec<u8>, u8)) -> D {
        let mut m = HashMap::new();
        m.insert("org".to_owned(), vec![ORGS[d.0 as usize].to_owned()]);
        m.insert(
            "tag".to_owned(),
            d.1.iter().map(|t| TAGS[*t as usize].to_owned()).collect(),
        );
        m.insert("n".to_owned(), vec![d.2.to_string()]);
        D(m)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn parsed_queries_agree_with_brute_force(
            e in expr(),
            style in any::<u8>(),
            docs in proptest::collection::vec((0u8..3, proptest::collection::vec(0u8..3, 0..3), 0u8..12), 1..12),
        ) {
            let text = print(&e, style);
            let query = Query::parse(&text, &S, &Options::lucene("text"))
                .map_err(|err| TestCaseError::fail(format!("{text}: {err}")))?;
            for d in &docs {
                prop_assert_eq!(query.matches(&to_doc(d)), truth(&e, d), "{} on {:?}", text, d);
            }
        }

        #[test]
        fn never_panics_and_errors_point_inside(s in "[a-z:()\\[\\]{}\"*?+\\-! ^~\\\\/ANDORT]{0,40}") {
            match Query::parse(&s, &S, &Options::lucene("text")) {
                Ok(query) => { let _ = query.matches(&to_doc(&(0, vec![1], 3))); }
                Err(e) => prop_assert!(e.position <= s.chars().count(), "{s}: {e}"),
            }
        }
    }
}
