//! Lexer and recursive-descent parser of the text form.
//!
//! ```text
//! expr  := or
//! or    := and (('OR' | 'OU') and)*
//! and   := unary (('AND' | 'ET')? unary)*
//! unary := ('NOT' | 'NON' | 'SAUF' | '-') unary | atom
//! atom  := '(' expr ')' | term
//! ```

use crate::check::{self, Bad};
use crate::error::{ParseError, quoted};
use crate::{CmpOp, Field, MAX_DEPTH, MAX_LENGTH, MAX_TERMS, Query, RESERVED_SCHEMES, Target};

/// What the parser says when it wants a term.
pub(crate) const TERM: &str = "a term (scheme:notation, rel:..., \"text\", ...)";

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    And,
    Or,
    Not,
    /// `"..."` or `text:"..."`, unescaped.
    Quoted(String),
    Word(String),
}

#[derive(Debug)]
struct Token {
    tok: Tok,
    /// Character offset.
    pos: usize,
    /// As written, for error messages.
    raw: String,
}

fn lex(chars: &[char]) -> Result<Vec<Token>, ParseError> {
    let mut out = Vec::new();
    let mut i = 0;
    let n = chars.len();
    while i < n {
        let c = chars[i];
        let start = i;
        let tok = match c {
            _ if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => {
                i += 1;
                Tok::LParen
            }
            ')' => {
                i += 1;
                Tok::RParen
            }
            '-' => {
                i += 1;
                Tok::Not
            }
            '"' => {
                let (text, next) = quoted_string(chars, i)?;
                i = next;
                Tok::Quoted(text)
            }
            _ => {
                while i < n && !chars[i].is_whitespace() && !matches!(chars[i], '(' | ')' | '"') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                if word == "text:" && i < n && chars[i] == '"' {
                    let (text, next) = quoted_string(chars, i)?;
                    i = next;
                    Tok::Quoted(text)
                } else {
                    match word.to_ascii_uppercase().as_str() {
                        "AND" | "ET" => Tok::And,
                        "OR" | "OU" => Tok::Or,
                        "NOT" | "NON" | "SAUF" => Tok::Not,
                        _ => Tok::Word(word),
                    }
                }
            }
        };
        out.push(Token {
            tok,
            pos: start,
            raw: chars[start..i].iter().collect(),
        });
    }
    Ok(out)
}

/// Reads `"..."` starting at the quote `chars[start]`; `\x` stands for `x`.
fn quoted_string(chars: &[char], start: usize) -> Result<(String, usize), ParseError> {
    let mut text = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '"' => return Ok((text, i + 1)),
            '\\' if i + 1 < chars.len() => {
                text.push(chars[i + 1]);
                i += 2;
            }
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
    Err(ParseError::new(
        start,
        "a closing '\"'",
        "end of input",
        "unterminated quoted text",
    ))
}

/// Parses the text form of a magnet query. Empty (or blank) text and `*` give [`Query::All`].
pub fn parse(text: &str) -> Result<Query, ParseError> {
    let len = text.chars().count();
    if len > MAX_LENGTH {
        return Err(ParseError::new(
            MAX_LENGTH,
            format!("a query of at most {MAX_LENGTH} characters"),
            format!("{len} characters"),
            "limit MAX_LENGTH exceeded",
        ));
    }
    let chars: Vec<char> = text.chars().collect();
    let tokens = lex(&chars)?;
    if tokens.is_empty() {
        return Ok(Query::All);
    }
    let mut p = Parser {
        tokens,
        next: 0,
        terms: 0,
        end: len,
    };
    let query = p.or(0)?;
    if let Some(t) = p.peek() {
        let message = if t.tok == Tok::RParen {
            "unbalanced ')'"
        } else {
            ""
        };
        return Err(ParseError::new(
            t.pos,
            "an operator or the end of the query",
            describe(t),
            message,
        ));
    }
    // The canonical form (explicit AND, NOT, ranges spelled out) must parse back too.
    let canonical = query.to_string().chars().count();
    if canonical > MAX_LENGTH {
        return Err(ParseError::new(
            len,
            format!("a query of at most {MAX_LENGTH} characters"),
            format!("{canonical} characters in its canonical form"),
            "limit MAX_LENGTH exceeded (the canonical form spells out AND, NOT and ranges)",
        ));
    }
    Ok(query)
}

struct Parser {
    tokens: Vec<Token>,
    next: usize,
    terms: usize,
    end: usize,
}

fn describe(t: &Token) -> String {
    match t.tok {
        Tok::Quoted(_) => format!("the text {}", quoted(&t.raw)),
        _ => quoted(&t.raw),
    }
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    fn error_here(&self, expected: &str, message: &str) -> ParseError {
        match self.peek() {
            Some(t) => ParseError::new(t.pos, expected, describe(t), message),
            None => ParseError::new(self.end, expected, "end of input", message),
        }
    }

    fn or(&mut self, depth: usize) -> Result<Query, ParseError> {
        let mut terms = vec![self.and(depth)?];
        while self.peek().is_some_and(|t| t.tok == Tok::Or) {
            self.next += 1;
            terms.push(self.and(depth)?);
        }
        Ok(crate::junction(false, terms))
    }

    fn and(&mut self, depth: usize) -> Result<Query, ParseError> {
        let mut terms = vec![self.unary(depth)?];
        loop {
            match self.peek().map(|t| &t.tok) {
                Some(Tok::And) => self.next += 1,
                Some(Tok::LParen | Tok::Not | Tok::Quoted(_) | Tok::Word(_)) => {}
                _ => break,
            }
            terms.push(self.unary(depth)?);
        }
        Ok(crate::junction(true, terms))
    }

    fn deeper(&self, depth: usize, pos: usize) -> Result<usize, ParseError> {
        if depth >= MAX_DEPTH {
            return Err(ParseError::new(
                pos,
                format!("at most {MAX_DEPTH} nesting levels"),
                format!("level {}", depth + 1),
                "limit MAX_DEPTH exceeded",
            ));
        }
        Ok(depth + 1)
    }

    fn unary(&mut self, depth: usize) -> Result<Query, ParseError> {
        let Some(token) = self.peek() else {
            return Err(self.error_here(TERM, ""));
        };
        let pos = token.pos;
        match &token.tok {
            Tok::Not => {
                let depth = self.deeper(depth, pos)?;
                self.next += 1;
                let inner_pos = self.peek().map_or(self.end, |t| t.pos);
                let term = self.unary(depth)?;
                if term.is_junction() {
                    // `NOT founded:2015..2020` prints as `NOT (… AND …)`: one level more.
                    self.deeper(depth, inner_pos)?;
                }
                Ok(Query::Not {
                    term: Box::new(term),
                })
            }
            Tok::LParen => {
                let depth = self.deeper(depth, pos)?;
                self.next += 1;
                let inner = self.or(depth)?;
                if self.peek().is_some_and(|t| t.tok == Tok::RParen) {
                    self.next += 1;
                    Ok(inner)
                } else {
                    Err(self.error_here("')'", &format!("to close '(' at position {pos}")))
                }
            }
            Tok::Quoted(text) => {
                let text = text.clone();
                check::check_text(&text).map_err(|b| b.at(pos))?;
                self.count(1, pos)?;
                self.next += 1;
                Ok(Query::Text { text })
            }
            Tok::Word(word) => {
                let query = term(word).map_err(|b| b.at(pos))?;
                self.count(if query.is_junction() { 2 } else { 1 }, pos)?;
                self.next += 1;
                Ok(query)
            }
            Tok::RParen | Tok::And | Tok::Or => Err(self.error_here(TERM, "")),
        }
    }

    fn count(&mut self, n: usize, pos: usize) -> Result<(), ParseError> {
        self.terms += n;
        if self.terms > MAX_TERMS {
            return Err(ParseError::new(
                pos,
                format!("at most {MAX_TERMS} terms"),
                format!("term {}", self.terms),
                "limit MAX_TERMS exceeded",
            ));
        }
        Ok(())
    }
}

/// Character count of `s[..byte]`.
fn offset(s: &str, byte: usize) -> usize {
    s[..byte].chars().count()
}

/// Shifts a [`Bad`] found in `s[byte..]` to be relative to `s`.
fn shift(s: &str, byte: usize) -> impl Fn(Bad) -> Bad + '_ {
    move |b| Bad {
        at: b.at + offset(s, byte),
        ..b
    }
}

/// One word: `*`, `rel:…`, `text:…`, `field:range`, `scheme:notation` or `field<op>value`.
fn term(w: &str) -> Result<Query, Bad> {
    if w == "*" {
        return Ok(Query::All);
    }
    if let Some(rest) = w.strip_prefix("rel:") {
        return relation(rest).map_err(shift(w, 4));
    }
    if let Some(rest) = w.strip_prefix("text:") {
        check::check_text(rest).map_err(shift(w, 5))?;
        return Ok(Query::Text {
            text: rest.to_owned(),
        });
    }
    let colon = w.find(':');
    let op = w.find(['<', '>', '=', '!']);
    match (colon, op) {
        (_, Some(o)) if colon.is_none_or(|c| o < c) => compare(w, o),
        (Some(c), _) => {
            let (scheme, notation) = (&w[..c], &w[c + 1..]);
            if let Ok(field) = check::parse_field(scheme) {
                return range(field, notation).map_err(shift(w, c + 1));
            }
            if RESERVED_SCHEMES.contains(&scheme) {
                return Err(Bad::new(0, check::SCHEME, quoted(scheme), "reserved word"));
            }
            check::check_concept(scheme, notation)?;
            Ok(Query::Concept {
                scheme: scheme.to_owned(),
                notation: notation.to_owned(),
            })
        }
        (None, _) => {
            let message = if check::parse_field(w).is_ok() {
                format!("write comparisons without spaces, e.g. {w}>=10")
            } else {
                format!("for a full-text search write \"{w}\" or text:{w}")
            };
            Err(Bad::new(0, TERM, quoted(w), message))
        }
    }
}

/// After `rel:`: `KIND` or `KIND=target`.
fn relation(rest: &str) -> Result<Query, Bad> {
    let (kind, target) = match rest.find('=') {
        Some(eq) => (&rest[..eq], Some((eq + 1, &rest[eq + 1..]))),
        None => (rest, None),
    };
    check::check_relation_kind(kind)?;
    let target = match target {
        None => Target::Any,
        Some((at, t)) => relation_target(t).map_err(shift(rest, at))?,
    };
    Ok(Query::Relation {
        kind: kind.to_owned(),
        target,
    })
}

fn relation_target(t: &str) -> Result<Target, Bad> {
    if t.is_empty() {
        return Err(Bad::new(
            0,
            "a target (kind/key, kind or scheme:notation)",
            "nothing",
            "",
        ));
    }
    if let Some(c) = t.find(':') {
        let (scheme, notation) = (&t[..c], &t[c + 1..]);
        check::check_concept(scheme, notation)?;
        return Ok(Target::Concept {
            scheme: scheme.to_owned(),
            notation: notation.to_owned(),
        });
    }
    if let Some(s) = t.find('/') {
        let (kind, key) = (&t[..s], &t[s + 1..]);
        check::check_entity_kind(kind)?;
        check::check_key(key).map_err(shift(t, s + 1))?;
        return Ok(Target::Entity {
            kind: kind.to_owned(),
            key: key.to_owned(),
        });
    }
    check::check_entity_kind(t)?;
    Ok(Target::Kind { kind: t.to_owned() })
}

/// `field<op>value`, `op` being the byte offset of the first operator character.
fn compare(w: &str, op: usize) -> Result<Query, Bad> {
    let name = &w[..op];
    if name.is_empty() {
        return Err(Bad::new(0, check::FIELD, "nothing", ""));
    }
    let field = check::parse_field(name)?;
    let rest = &w[op..];
    let Some(cmp) = CmpOp::ALL
        .into_iter()
        .find(|c| rest.starts_with(c.as_str()))
    else {
        return Err(Bad::new(
            offset(w, op),
            "an operator (=, !=, <, <=, >, >=)",
            quoted(rest),
            "",
        ));
    };
    let at = op + cmp.as_str().len();
    let value = check::parse_value(field, &w[at..]).map_err(shift(w, at))?;
    Ok(Query::Compare { field, cmp, value })
}

/// After `field:`: `low..high` (both inclusive) or a single value (equality).
fn range(field: Field, s: &str) -> Result<Query, Bad> {
    let Some(dots) = s.find("..") else {
        let value = check::parse_value(field, s)?;
        return Ok(Query::Compare {
            field,
            cmp: CmpOp::Eq,
            value,
        });
    };
    let low = check::parse_value(field, &s[..dots])?;
    let high = check::parse_value(field, &s[dots + 2..]).map_err(shift(s, dots + 2))?;
    let inverted = match (&low, &high) {
        (crate::Value::Int(a), crate::Value::Int(b)) => a > b,
        (crate::Value::Date(a), crate::Value::Date(b)) => a > b,
        _ => false,
    };
    if inverted {
        return Err(Bad::new(
            0,
            "a range low..high with low <= high",
            quoted(s),
            "empty range",
        ));
    }
    Ok(Query::And {
        terms: vec![
            Query::Compare {
                field,
                cmp: CmpOp::Ge,
                value: low,
            },
            Query::Compare {
                field,
                cmp: CmpOp::Le,
                value: high,
            },
        ],
    })
}
