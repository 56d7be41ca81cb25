//! Lexer and recursive-descent parser. Bounded by [`MAX_LENGTH`] and [`MAX_DEPTH`]; every
//! failure is an [`OdsqlError`] with the byte offset of the offending token.
//!
//! Precedence, loosest first: `OR`, `AND`, `NOT`, comparisons (`= != < <= > >= :`, `LIKE`,
//! `IN`, `IS [NOT] NULL`), `+ -`, `* /`, unary `-`.

use crate::ast::{
    BinaryOp, DistanceUnit, Expr, ExprKind, Function, GroupItem, GroupKey, IntervalUnit, Literal,
    OrderItem, SelectItem, is_keyword,
};
use crate::error::{Clause, ErrorKind, OdsqlError, quoted};
use crate::suggest::closest;
use crate::value::{GeoPoint, Shape, parse_temporal};
use crate::{MAX_DEPTH, MAX_LENGTH};

#[derive(Debug, Clone, PartialEq)]
enum Tok<'s> {
    Ident(&'s str),
    QuotedIdent(String),
    Str(String),
    Int(i64),
    Float(f64),
    Date(crate::value::Temporal),
    Geom(GeoPoint),
    Shape(Shape),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Star,
    Plus,
    Minus,
    Slash,
    Op(BinaryOp),
    DotDot,
    Eof,
}

#[derive(Debug, Clone)]
struct Token<'s> {
    tok: Tok<'s>,
    pos: usize,
    end: usize,
}

type Result<T> = std::result::Result<T, OdsqlError>;

struct Lexer<'s> {
    src: &'s str,
    at: usize,
    clause: Clause,
}

impl<'s> Lexer<'s> {
    fn err(&self, pos: usize, message: impl Into<String>) -> OdsqlError {
        OdsqlError::new(ErrorKind::Syntax, self.clause, pos, message)
    }

    fn peek_byte(&self, ahead: usize) -> Option<u8> {
        self.src.as_bytes().get(self.at + ahead).copied()
    }

    fn tokens(mut self) -> Result<Vec<Token<'s>>> {
        let mut out = Vec::new();
        loop {
            let t = self.next()?;
            let eof = t.tok == Tok::Eof;
            out.push(t);
            if eof {
                return Ok(out);
            }
        }
    }

    fn next(&mut self) -> Result<Token<'s>> {
        while self.peek_byte(0).is_some_and(|b| b.is_ascii_whitespace()) {
            self.at += 1;
        }
        let pos = self.at;
        let Some(b) = self.peek_byte(0) else {
            return Ok(Token {
                tok: Tok::Eof,
                pos,
                end: pos,
            });
        };
        let one = |tok| (tok, 1);
        let (tok, len) = match b {
            b'(' => one(Tok::LParen),
            b')' => one(Tok::RParen),
            b'[' => one(Tok::LBracket),
            b']' => one(Tok::RBracket),
            b',' => one(Tok::Comma),
            b'*' => one(Tok::Star),
            b'+' => one(Tok::Plus),
            b'-' => one(Tok::Minus),
            b'/' => one(Tok::Slash),
            b':' => one(Tok::Op(BinaryOp::Colon)),
            b'=' => match self.peek_byte(1) {
                Some(b'=') => (Tok::Op(BinaryOp::Eq), 2),
                _ => one(Tok::Op(BinaryOp::Eq)),
            },
            b'!' if self.peek_byte(1) == Some(b'=') => (Tok::Op(BinaryOp::Ne), 2),
            b'<' => match self.peek_byte(1) {
                Some(b'=') => (Tok::Op(BinaryOp::Le), 2),
                Some(b'>') => (Tok::Op(BinaryOp::Ne), 2),
                _ => one(Tok::Op(BinaryOp::Lt)),
            },
            b'>' => match self.peek_byte(1) {
                Some(b'=') => (Tok::Op(BinaryOp::Ge), 2),
                _ => one(Tok::Op(BinaryOp::Gt)),
            },
            b'.' if self.peek_byte(1) == Some(b'.') => (Tok::DotDot, 2),
            b'"' | b'\'' => {
                let (s, end) = self.string(pos)?;
                self.at = end;
                return Ok(Token {
                    tok: Tok::Str(s),
                    pos,
                    end,
                });
            }
            b'`' => {
                let rest = &self.src[pos + 1..];
                let Some(close) = rest.find('`') else {
                    return Err(self.err(pos, "unterminated backquoted name"));
                };
                if close == 0 {
                    return Err(self.err(pos, "empty backquoted name"));
                }
                let end = pos + 1 + close + 1;
                self.at = end;
                return Ok(Token {
                    tok: Tok::QuotedIdent(rest[..close].to_owned()),
                    pos,
                    end,
                });
            }
            b'0'..=b'9' => return self.number(pos),
            b if b.is_ascii_alphabetic() || b == b'_' => return self.word(pos),
            _ => {
                let c = self.src[pos..].chars().next().unwrap_or('?');
                return Err(self.err(
                    pos,
                    format!("unexpected character {}", quoted(&c.to_string())),
                ));
            }
        };
        self.at += len;
        Ok(Token {
            tok,
            pos,
            end: self.at,
        })
    }

    /// A quoted string starting at `start`; `\\`, `\"` and `\'` are escapes, any other
    /// backslash is kept. Returns the text and the offset after the closing quote.
    fn string(&self, start: usize) -> Result<(String, usize)> {
        let quote = self.src.as_bytes()[start] as char;
        let mut s = String::new();
        let mut chars = self.src[start + 1..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, e @ ('\\' | '"' | '\''))) => s.push(e),
                    Some((_, e)) => {
                        s.push('\\');
                        s.push(e);
                    }
                    None => break,
                },
                c if c == quote => return Ok((s, start + 1 + i + 1)),
                c => s.push(c),
            }
        }
        Err(self.err(start, "unterminated string"))
    }

    fn number(&mut self, pos: usize) -> Result<Token<'s>> {
        let b = self.src.as_bytes();
        let mut end = pos;
        while b.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        let mut float = false;
        if b.get(end) == Some(&b'.') && b.get(end + 1).is_some_and(u8::is_ascii_digit) {
            float = true;
            end += 1;
            while b.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
        }
        let text = &self.src[pos..end];
        let tok = match (float, text.parse::<i64>()) {
            (false, Ok(i)) => Tok::Int(i),
            _ => match text.parse::<f64>() {
                Ok(x) if x.is_finite() => Tok::Float(x),
                _ => return Err(self.err(pos, format!("number out of range {}", quoted(text)))),
            },
        };
        self.at = end;
        Ok(Token { tok, pos, end })
    }

    fn word(&mut self, pos: usize) -> Result<Token<'s>> {
        let b = self.src.as_bytes();
        let mut end = pos;
        while b
            .get(end)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            end += 1;
        }
        let word = &self.src[pos..end];
        let literal = matches!(b.get(end), Some(b'\'' | b'"'))
            && (word.eq_ignore_ascii_case("date") || word.eq_ignore_ascii_case("geom"));
        if !literal {
            self.at = end;
            return Ok(Token {
                tok: Tok::Ident(word),
                pos,
                end,
            });
        }
        let (content, after) = self.string(end)?;
        let tok = if word.eq_ignore_ascii_case("date") {
            match parse_temporal(content.trim()) {
                Some(t) => Tok::Date(t),
                None => {
                    return Err(self.err(
                        end,
                        format!(
                            "invalid date {}, expected YYYY[-MM[-DD]] or an ISO 8601 date-time",
                            quoted(&content)
                        ),
                    ));
                }
            }
        } else if is_area(&content) {
            match parse_shape(&content) {
                Ok(s) => Tok::Shape(s),
                Err(m) => return Err(self.err(end, m)),
            }
        } else {
            match parse_point(&content) {
                Ok(p) => Tok::Geom(p),
                Err(m) => return Err(self.err(end, m)),
            }
        };
        self.at = after;
        Ok(Token {
            tok,
            pos,
            end: after,
        })
    }
}

/// A point in WKT (`POINT(lon lat)`) or GeoJSON (`{"type": "Point", "coordinates": [lon, lat]}`).
fn parse_point(text: &str) -> std::result::Result<GeoPoint, String> {
    let t = text.trim();
    let coords: Option<(f64, f64)> = if t.starts_with('{') {
        let v: serde_json::Value =
            serde_json::from_str(t).map_err(|_| format!("invalid GeoJSON {}", quoted(t)))?;
        let is_point = v
            .get("type")
            .and_then(|x| x.as_str())
            .is_some_and(|s| s.eq_ignore_ascii_case("point"));
        if !is_point {
            return Err(format!(
                "unsupported geometry {}, only points and polygons are supported",
                quoted(t)
            ));
        }
        match v
            .get("coordinates")
            .and_then(|c| c.as_array())
            .map(Vec::as_slice)
        {
            Some([x, y]) => x.as_f64().zip(y.as_f64()),
            _ => None,
        }
    } else {
        let upper = t.get(..5).map(str::to_ascii_uppercase);
        if upper.as_deref() != Some("POINT") {
            return Err(format!(
                "unsupported geometry {}, only points and polygons are supported",
                quoted(t)
            ));
        }
        let rest = t[5..].trim_start();
        rest.strip_prefix('(')
            .and_then(|r| r.trim_end().strip_suffix(')'))
            .and_then(|inner| {
                let mut parts = inner.split_whitespace();
                let x = parts.next()?.parse::<f64>().ok()?;
                let y = parts.next()?.parse::<f64>().ok()?;
                parts.next().is_none().then_some((x, y))
            })
    };
    match coords {
        Some((lon, lat))
            if lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0 =>
        {
            Ok(GeoPoint { lon, lat })
        }
        _ => Err(format!(
            "invalid point {}, expected POINT(lon lat) with -180 <= lon <= 180 and -90 <= lat <= 90",
            quoted(t)
        )),
    }
}

/// Whether a geometry literal is an area (a polygon or a multipolygon, WKT or GeoJSON).
fn is_area(text: &str) -> bool {
    let t = text.trim_start();
    if t.starts_with('{') {
        let v: Option<serde_json::Value> = serde_json::from_str(t).ok();
        return v
            .as_ref()
            .and_then(|v| v.get("type"))
            .and_then(|x| x.as_str())
            .is_some_and(|s| {
                s.eq_ignore_ascii_case("polygon") || s.eq_ignore_ascii_case("multipolygon")
            });
    }
    let upper = t.get(..7).map(str::to_ascii_uppercase);
    upper.as_deref() == Some("POLYGON") || upper.as_deref() == Some("MULTIPO")
}

/// The most points an area literal may have, all rings together.
const MAX_POINTS: usize = 4096;

/// An area in WKT (`POLYGON((lon lat, …), (hole…))`, `MULTIPOLYGON(((…)), ((…)))`) or
/// GeoJSON (`{"type": "Polygon", "coordinates": [[[lon, lat], …]]}`, `MultiPolygon`).
fn parse_shape(text: &str) -> std::result::Result<Shape, String> {
    let t = text.trim();
    let bad = || {
        format!(
            "invalid area {}, expected POLYGON((lon lat, …)) or MULTIPOLYGON(((lon lat, …)), …) \
             with rings of at least three points",
            quoted(t)
        )
    };
    let polygons: Vec<Vec<Vec<[f64; 2]>>> = if t.starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(t).map_err(|_| bad())?;
        let multi = v
            .get("type")
            .and_then(|x| x.as_str())
            .is_some_and(|s| s.eq_ignore_ascii_case("multipolygon"));
        let coords = v.get("coordinates").ok_or_else(bad)?;
        let ring = |r: &serde_json::Value| -> Option<Vec<[f64; 2]>> {
            r.as_array()?
                .iter()
                .map(|p| match p.as_array().map(Vec::as_slice) {
                    Some([x, y]) => Some([x.as_f64()?, y.as_f64()?]),
                    _ => None,
                })
                .collect()
        };
        let polygon = |p: &serde_json::Value| -> Option<Vec<Vec<[f64; 2]>>> {
            p.as_array()?.iter().map(ring).collect()
        };
        let out = if multi {
            coords
                .as_array()
                .and_then(|ps| ps.iter().map(polygon).collect::<Option<Vec<_>>>())
        } else {
            polygon(coords).map(|p| vec![p])
        };
        out.ok_or_else(bad)?
    } else {
        let upper = t.to_ascii_uppercase();
        let (multi, rest) = if upper.starts_with("MULTIPOLYGON") {
            (true, &t[12..])
        } else if upper.starts_with("POLYGON") {
            (false, &t[7..])
        } else {
            return Err(bad());
        };
        let mut c = Wkt {
            s: rest.as_bytes(),
            at: 0,
        };
        let out = if multi {
            c.list(|c| c.list(|c| c.list(Wkt::pair)))
        } else {
            c.list(|c| c.list(Wkt::pair)).map(|p| vec![p])
        };
        match out {
            Some(p) if c.end() => p,
            _ => return Err(bad()),
        }
    };
    let points: usize = polygons.iter().flatten().map(Vec::len).sum();
    let valid =
        !polygons.is_empty()
            && points <= MAX_POINTS
            && polygons.iter().all(|p| !p.is_empty())
            && polygons.iter().flatten().all(|r| r.len() >= 3)
            && polygons.iter().flatten().flatten().all(|[x, y]| {
                x.is_finite() && y.is_finite() && x.abs() <= 180.0 && y.abs() <= 90.0
            });
    if !valid {
        return Err(bad());
    }
    Ok(Shape { polygons })
}

/// A cursor over WKT coordinates: `(` items `,` … `)`, items being lists or `x y` pairs.
struct Wkt<'a> {
    s: &'a [u8],
    at: usize,
}

impl Wkt<'_> {
    fn skip(&mut self) {
        while self.s.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }
    fn eat(&mut self, b: u8) -> bool {
        self.skip();
        if self.s.get(self.at) == Some(&b) {
            self.at += 1;
            true
        } else {
            false
        }
    }
    fn end(&mut self) -> bool {
        self.skip();
        self.at == self.s.len()
    }
    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        if !self.eat(b'(') {
            return None;
        }
        let mut out = vec![item(self)?];
        while self.eat(b',') {
            if out.len() >= MAX_POINTS {
                return None;
            }
            out.push(item(self)?);
        }
        self.eat(b')').then_some(out)
    }
    fn number(&mut self) -> Option<f64> {
        self.skip();
        let start = self.at;
        while self
            .s
            .get(self.at)
            .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
        {
            self.at += 1;
        }
        std::str::from_utf8(&self.s[start..self.at])
            .ok()?
            .parse()
            .ok()
    }
    fn pair(&mut self) -> Option<[f64; 2]> {
        Some([self.number()?, self.number()?])
    }
}

struct Parser<'s> {
    src: &'s str,
    toks: Vec<Token<'s>>,
    i: usize,
    depth: usize,
    clause: Clause,
}

fn parser(src: &str, clause: Clause) -> Result<Parser<'_>> {
    if src.len() > MAX_LENGTH {
        return Err(OdsqlError::new(
            ErrorKind::Limit,
            clause,
            MAX_LENGTH,
            format!("query too long ({} bytes, at most {MAX_LENGTH})", src.len()),
        ));
    }
    let toks = Lexer { src, at: 0, clause }.tokens()?;
    Ok(Parser {
        src,
        toks,
        i: 0,
        depth: 0,
        clause,
    })
}

/// Parses a `where` clause.
pub fn parse_where(text: &str) -> Result<Expr> {
    let mut p = parser(text, Clause::Where)?;
    let e = p.expr()?;
    p.expect_end("AND, OR or the end of the clause")?;
    Ok(e)
}

/// Parses a `select` clause: `*`, `expr [AS alias]`, comma-separated.
pub fn parse_select(text: &str) -> Result<Vec<SelectItem>> {
    let mut p = parser(text, Clause::Select)?;
    let items = p.list(|p| {
        let pos = p.peek().pos;
        if p.peek().tok == Tok::Star && matches!(p.peek_at(1).tok, Tok::Comma | Tok::Eof) {
            p.i += 1;
            return Ok(SelectItem::All { pos });
        }
        if let Tok::Ident(w) = p.peek().tok {
            let include = w.eq_ignore_ascii_case("include");
            if (include || w.eq_ignore_ascii_case("exclude")) && p.peek_at(1).tok == Tok::LParen {
                let pattern = p.field_pattern()?;
                return Ok(if include {
                    SelectItem::Include { pos, pattern }
                } else {
                    SelectItem::Exclude { pos, pattern }
                });
            }
        }
        let expr = p.expr()?;
        let alias = p.alias()?;
        Ok(SelectItem::Expr { expr, alias })
    })?;
    Ok(items)
}

/// Parses a `group_by` clause: fields, expressions, `range(…)`, each with an optional alias.
pub fn parse_group_by(text: &str) -> Result<Vec<GroupItem>> {
    let mut p = parser(text, Clause::GroupBy)?;
    p.list(|p| {
        let t = p.peek();
        let pos = t.pos;
        let key = match t.tok {
            Tok::Ident(w) if w.eq_ignore_ascii_case("range") && p.peek_at(1).tok == Tok::LParen => {
                p.i += 2;
                let expr = p.expr()?;
                let mut bounds = Vec::new();
                while p.eat(&Tok::Comma) {
                    if p.peek().tok == Tok::Star {
                        p.i += 1;
                        bounds.push(None);
                    } else if let Some(interval) = p.interval() {
                        bounds.push(Some(interval));
                    } else {
                        bounds.push(Some(p.expr()?));
                    }
                }
                if bounds.is_empty() {
                    return Err(p.err_at(
                        pos,
                        "range() takes a field and a step (range(f, 10)) or bounds (range(f, *, 10, 20, *))",
                    ));
                }
                p.expect(&Tok::RParen, "',' or ')'")?;
                GroupKey::Range { pos, expr, bounds }
            }
            _ => GroupKey::Expr(p.expr()?),
        };
        let alias = p.alias()?;
        Ok(GroupItem { key, alias })
    })
}

/// Parses an `order_by` clause: `expr [ASC|DESC]`, comma-separated.
pub fn parse_order_by(text: &str) -> Result<Vec<OrderItem>> {
    let mut p = parser(text, Clause::OrderBy)?;
    p.list(|p| {
        let expr = p.expr()?;
        let desc = if p.keyword("desc") {
            true
        } else {
            p.keyword("asc");
            false
        };
        Ok(OrderItem { expr, desc })
    })
}

impl<'s> Parser<'s> {
    fn peek(&self) -> &Token<'s> {
        self.peek_at(0)
    }

    fn peek_at(&self, n: usize) -> &Token<'s> {
        let last = self.toks.len() - 1;
        &self.toks[(self.i + n).min(last)]
    }

    fn bump(&mut self) -> Token<'s> {
        let t = self.peek().clone();
        if t.tok != Tok::Eof {
            self.i += 1;
        }
        t
    }

    fn eat(&mut self, tok: &Tok<'_>) -> bool {
        if &self.peek().tok == tok {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn is_keyword(&self, kw: &str) -> bool {
        matches!(self.peek().tok, Tok::Ident(w) if w.eq_ignore_ascii_case(kw))
    }

    fn keyword(&mut self, kw: &str) -> bool {
        let yes = self.is_keyword(kw);
        if yes {
            self.i += 1;
        }
        yes
    }

    fn err_at(&self, pos: usize, message: impl Into<String>) -> OdsqlError {
        OdsqlError::new(ErrorKind::Syntax, self.clause, pos, message)
    }

    fn found(&self) -> String {
        let t = self.peek();
        if t.tok == Tok::Eof {
            "end of input".to_owned()
        } else {
            quoted(&self.src[t.pos..t.end])
        }
    }

    fn unexpected(&self, expected: &str) -> OdsqlError {
        self.err_at(
            self.peek().pos,
            format!("unexpected {}, expected {expected}", self.found()),
        )
    }

    fn expect(&mut self, tok: &Tok<'_>, expected: &str) -> Result<()> {
        if self.eat(tok) {
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn expect_end(&self, expected: &str) -> Result<()> {
        if self.peek().tok == Tok::Eof {
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Result<T>) -> Result<Vec<T>> {
        let mut items = vec![item(self)?];
        while self.eat(&Tok::Comma) {
            items.push(item(self)?);
        }
        self.expect_end("',' or the end of the clause")?;
        Ok(items)
    }

    fn alias(&mut self) -> Result<Option<String>> {
        if !self.keyword("as") {
            return Ok(None);
        }
        let alias = match &self.peek().tok {
            Tok::Ident(w) if !is_keyword(w) => (*w).to_owned(),
            Tok::QuotedIdent(s) => s.clone(),
            _ => return Err(self.unexpected("an alias after AS")),
        };
        self.i += 1;
        Ok(Some(alias))
    }

    /// `include(pattern)` or `exclude(pattern)`, at the function name: the pattern as
    /// written (a field name, with `*` wildcards, backquotes removed).
    fn field_pattern(&mut self) -> Result<String> {
        let name_pos = self.peek().pos;
        self.i += 1;
        let open = self.bump();
        let mut close = None;
        while !matches!(self.peek().tok, Tok::Eof | Tok::Comma) {
            let t = self.bump();
            if t.tok == Tok::RParen {
                close = Some(t);
                break;
            }
        }
        let Some(close) = close else {
            return Err(self.unexpected("')' after the field pattern"));
        };
        let raw = self.src[open.end..close.pos].trim();
        let (pattern, quoted) = match raw.strip_prefix('`').and_then(|r| r.strip_suffix('`')) {
            Some(inner) => (inner.to_owned(), true),
            None => (raw.to_owned(), false),
        };
        let valid = !pattern.is_empty()
            && !pattern.contains('`')
            && (quoted
                || pattern
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '*' | '-' | '.')));
        if !valid {
            return Err(self.err_at(
                name_pos,
                "include() and exclude() take one field name, with * for any characters",
            ));
        }
        Ok(pattern)
    }

    /// `1 day`, `3 months` (a range step over dates), when that comes next.
    fn interval(&mut self) -> Option<Expr> {
        let t = self.peek().clone();
        let Tok::Int(value) = t.tok else {
            return None;
        };
        let Tok::Ident(w) = self.peek_at(1).tok else {
            return None;
        };
        let unit = IntervalUnit::from_name(w)?;
        self.i += 2;
        Some(Expr::new(t.pos, ExprKind::Interval { value, unit }))
    }

    /// A bound of a range: an expression, or an unquoted date (`2024-01-31`, `2024-01`), as
    /// Opendatasoft's `field:[2024-01-01 TO 2024-12-31]` writes it.
    fn bound(&mut self) -> Result<Expr> {
        let first = self.peek().clone();
        if let Tok::Int(_) = first.tok {
            if first.end - first.pos == 4 {
                let mut end = first.end;
                let mut n = 0;
                while n < 4 {
                    let (sep, part) = (self.peek_at(n + 1), self.peek_at(n + 2));
                    let adjacent = sep.pos == end && part.pos == sep.end;
                    if !(adjacent
                        && matches!(sep.tok, Tok::Minus | Tok::Slash)
                        && matches!(part.tok, Tok::Int(_)))
                    {
                        break;
                    }
                    end = part.end;
                    n += 2;
                }
                if n > 0 {
                    if let Some(t) = parse_temporal(&self.src[first.pos..end]) {
                        self.i += n + 1;
                        return Ok(Expr::new(first.pos, ExprKind::Literal(Literal::Date(t))));
                    }
                }
            }
        }
        self.expr()
    }

    /// `[a..b]`, `[a TO b]` (`]` on the left, `[` on the right exclude the bound) after
    /// `left IN` or `left:`.
    fn range(&mut self, pos: usize, left: Box<Expr>) -> Result<Expr> {
        let low_inclusive = self.bump().tok == Tok::LBracket;
        let low = self.bound()?;
        if !self.eat(&Tok::DotDot) && !self.keyword("to") {
            return Err(self.unexpected("'..' or TO"));
        }
        let high = self.bound()?;
        let high_inclusive = match self.peek().tok {
            Tok::RBracket => true,
            Tok::LBracket => false,
            _ => return Err(self.unexpected("']' or '['")),
        };
        self.i += 1;
        Ok(Expr::new(
            pos,
            ExprKind::InRange {
                expr: left,
                low: Box::new(low),
                high: Box::new(high),
                low_inclusive,
                high_inclusive,
            },
        ))
    }

    /// One more level of nesting, refused past [`MAX_DEPTH`].
    fn enter(&mut self, pos: usize) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(OdsqlError::new(
                ErrorKind::Limit,
                self.clause,
                pos,
                format!("expression nested too deeply (more than {MAX_DEPTH} levels)"),
            ));
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Expr> {
        self.enter(self.peek().pos)?;
        let e = self.or();
        self.depth -= 1;
        e
    }

    fn or(&mut self) -> Result<Expr> {
        let first = self.and()?;
        if !self.is_keyword("or") {
            return Ok(first);
        }
        let pos = first.pos;
        let mut items = vec![first];
        while self.keyword("or") {
            items.push(self.and()?);
        }
        Ok(Expr::new(pos, ExprKind::Or(items)))
    }

    fn and(&mut self) -> Result<Expr> {
        let first = self.not()?;
        if !self.is_keyword("and") {
            return Ok(first);
        }
        let pos = first.pos;
        let mut items = vec![first];
        while self.keyword("and") {
            items.push(self.not()?);
        }
        Ok(Expr::new(pos, ExprKind::And(items)))
    }

    fn not(&mut self) -> Result<Expr> {
        let pos = self.peek().pos;
        if !self.keyword("not") {
            return self.predicate();
        }
        self.enter(pos)?;
        let inner = self.not();
        self.depth -= 1;
        Ok(Expr::new(pos, ExprKind::Not(Box::new(inner?))))
    }

    fn predicate(&mut self) -> Result<Expr> {
        let left = self.additive()?;
        let t = self.peek().clone();
        match t.tok {
            Tok::Op(op) => {
                self.i += 1;
                if op == BinaryOp::Colon && matches!(self.peek().tok, Tok::LBracket | Tok::RBracket)
                {
                    return self.range(t.pos, Box::new(left));
                }
                let right = self.additive()?;
                Ok(Expr::new(
                    t.pos,
                    ExprKind::Binary {
                        op,
                        left: Box::new(left),
                        right: Box::new(right),
                    },
                ))
            }
            Tok::Ident(w) if w.eq_ignore_ascii_case("not") => {
                // `x NOT LIKE …`, `x NOT IN …`: sugar for `NOT (x …)`.
                let next = self.peek_at(1).tok.clone();
                if !matches!(next, Tok::Ident(w) if w.eq_ignore_ascii_case("like") || w.eq_ignore_ascii_case("in"))
                {
                    return Ok(left);
                }
                self.i += 1;
                let inner = self.suffix(left)?;
                Ok(Expr::new(t.pos, ExprKind::Not(Box::new(inner))))
            }
            Tok::Ident(w)
                if ["like", "in", "is"]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k)) =>
            {
                self.suffix(left)
            }
            _ => Ok(left),
        }
    }

    /// `LIKE "…"`, `IN (…)`, `IN [a..b]`, `IS [NOT] NULL` after `left`.
    fn suffix(&mut self, left: Expr) -> Result<Expr> {
        let t = self.bump();
        let pos = t.pos;
        let Tok::Ident(w) = t.tok else {
            unreachable!("suffix() is called on a keyword")
        };
        let left = Box::new(left);
        if w.eq_ignore_ascii_case("like") {
            let Tok::Str(pattern) = self.peek().tok.clone() else {
                return Err(self.unexpected("a quoted pattern after LIKE"));
            };
            self.i += 1;
            return Ok(Expr::new(
                pos,
                ExprKind::Like {
                    expr: left,
                    pattern,
                },
            ));
        }
        if w.eq_ignore_ascii_case("is") {
            let negated = self.keyword("not");
            // `x IS TRUE` is `x = true`; `x IS NOT FALSE` is `NOT x = false` (true for null).
            for value in [true, false] {
                if self.keyword(if value { "true" } else { "false" }) {
                    let literal = Expr::new(
                        self.toks[self.i - 1].pos,
                        ExprKind::Literal(Literal::Bool(value)),
                    );
                    let eq = Expr::new(
                        pos,
                        ExprKind::Binary {
                            op: BinaryOp::Eq,
                            left,
                            right: Box::new(literal),
                        },
                    );
                    return Ok(if negated {
                        Expr::new(pos, ExprKind::Not(Box::new(eq)))
                    } else {
                        eq
                    });
                }
            }
            if !self.keyword("null") {
                return Err(self.unexpected(if negated {
                    "NULL, TRUE or FALSE"
                } else {
                    "NULL, NOT NULL, TRUE or FALSE"
                }));
            }
            return Ok(Expr::new(
                pos,
                ExprKind::IsNull {
                    expr: left,
                    negated,
                },
            ));
        }
        // IN
        match self.peek().tok {
            Tok::LParen => {
                self.i += 1;
                let mut items = vec![self.expr()?];
                while self.eat(&Tok::Comma) {
                    items.push(self.expr()?);
                }
                self.expect(&Tok::RParen, "',' or ')'")?;
                Ok(Expr::new(pos, ExprKind::InList { expr: left, items }))
            }
            Tok::LBracket | Tok::RBracket => self.range(pos, left),
            _ => Err(self.unexpected("'(' (a list) or '[' or ']' (a range) after IN")),
        }
    }

    fn additive(&mut self) -> Result<Expr> {
        self.left_associative(Self::multiplicative, |t| match t {
            Tok::Plus => Some(BinaryOp::Add),
            Tok::Minus => Some(BinaryOp::Sub),
            _ => None,
        })
    }

    fn multiplicative(&mut self) -> Result<Expr> {
        self.left_associative(Self::unary, |t| match t {
            Tok::Star => Some(BinaryOp::Mul),
            Tok::Slash => Some(BinaryOp::Div),
            _ => None,
        })
    }

    /// `operand (op operand)*`, folded to the left; each operator counts one level of
    /// depth (restored on every exit) so long chains stay within the limit.
    fn left_associative(
        &mut self,
        operand: fn(&mut Self) -> Result<Expr>,
        op_of: fn(&Tok) -> Option<BinaryOp>,
    ) -> Result<Expr> {
        let mut left = operand(self)?;
        let base = self.depth;
        let out = loop {
            let Some(op) = op_of(&self.peek().tok) else {
                break Ok(left);
            };
            let pos = self.bump().pos;
            if let Err(e) = self.enter(pos) {
                break Err(e);
            }
            let right = match operand(self) {
                Ok(r) => r,
                Err(e) => break Err(e),
            };
            left = Expr::new(
                pos,
                ExprKind::Binary {
                    op,
                    left: Box::new(left),
                    right: Box::new(right),
                },
            );
        };
        self.depth = base;
        out
    }

    fn unary(&mut self) -> Result<Expr> {
        let pos = self.peek().pos;
        if !self.eat(&Tok::Minus) {
            return self.primary();
        }
        self.enter(pos)?;
        let inner = self.unary();
        self.depth -= 1;
        Ok(Expr::new(pos, ExprKind::Neg(Box::new(inner?))))
    }

    fn primary(&mut self) -> Result<Expr> {
        const EXPECTED: &str = "an expression";
        let t = self.peek().clone();
        let pos = t.pos;
        let lit = |l| Ok(Expr::new(pos, ExprKind::Literal(l)));
        let kind = match t.tok {
            Tok::Int(i) => lit(Literal::Int(i)),
            Tok::Float(x) => lit(Literal::Float(x)),
            Tok::Str(s) => lit(Literal::Text(s)),
            Tok::Date(d) => lit(Literal::Date(d)),
            Tok::Geom(g) => lit(Literal::Geom(g)),
            Tok::Shape(s) => lit(Literal::Shape(s)),
            Tok::QuotedIdent(name) => Ok(Expr::new(pos, ExprKind::Field(name))),
            Tok::LParen => {
                self.i += 1;
                let e = self.expr()?;
                self.expect(&Tok::RParen, "')'")?;
                return Ok(e);
            }
            Tok::Ident(w) if w.eq_ignore_ascii_case("true") => lit(Literal::Bool(true)),
            Tok::Ident(w) if w.eq_ignore_ascii_case("false") => lit(Literal::Bool(false)),
            Tok::Ident(w) if is_keyword(w) => return Err(self.unexpected(EXPECTED)),
            Tok::Ident(w) if self.peek_at(1).tok == Tok::LParen => {
                self.i += 2;
                return self.call(pos, w);
            }
            Tok::Ident(w) => Ok(Expr::new(pos, ExprKind::Field(w.to_owned()))),
            _ => return Err(self.unexpected(EXPECTED)),
        };
        self.i += 1;
        kind
    }

    /// Arguments of `name(`, the `(` already read.
    fn call(&mut self, pos: usize, name: &str) -> Result<Expr> {
        let Some(func) = Function::from_name(name) else {
            let mut e = OdsqlError::new(
                ErrorKind::UnknownFunction,
                self.clause,
                pos,
                format!("Unknown function: {name}()"),
            );
            e.suggestions = closest(name, Function::ALL.iter().map(|f| f.name()));
            if name.eq_ignore_ascii_case("range") {
                e.message.push_str(", range() is only allowed in group_by");
            }
            return Err(e);
        };
        let mut args = Vec::new();
        if self.peek().tok != Tok::RParen {
            loop {
                // `count(*)`; `search(*, "text")` (every text field).
                let after = &self.peek_at(1).tok;
                let star = self.peek().tok == Tok::Star
                    && ((func == Function::Count && args.is_empty() && *after == Tok::RParen)
                        || (func.takes_star() && *after == Tok::Comma));
                let arg = if star {
                    let p = self.bump().pos;
                    Expr::new(p, ExprKind::Star)
                } else if func.takes_distance() && args.len() == 2 {
                    self.distance()?
                } else {
                    self.expr()?
                };
                args.push(arg);
                if !self.eat(&Tok::Comma) {
                    break;
                }
            }
        }
        self.expect(&Tok::RParen, "',' or ')'")?;
        let (min, max) = func.arity();
        if args.len() < min || args.len() > max {
            let n = if min == max {
                format!("{min}")
            } else {
                format!("{min} to {max}")
            };
            let s = if max == 1 { "" } else { "s" };
            return Err(self.err_at(
                pos,
                format!(
                    "{}() takes {n} argument{s}, not {}",
                    func.name(),
                    args.len()
                ),
            ));
        }
        Ok(Expr::new(pos, ExprKind::Call { func, args }))
    }

    /// `10km`, `2.5 mi`, `300` (metres).
    fn distance(&mut self) -> Result<Expr> {
        let t = self.peek().clone();
        let value = match t.tok {
            Tok::Int(i) => i as f64,
            Tok::Float(x) => x,
            _ => return Err(self.unexpected("a distance such as 10km")),
        };
        self.i += 1;
        let unit = match self.peek().tok {
            Tok::Ident(w) => match DistanceUnit::from_symbol(w) {
                Some(u) => {
                    self.i += 1;
                    u
                }
                None => {
                    return Err(self.unexpected("a distance unit (mm, cm, m, km, ft, yd, mi)"));
                }
            },
            _ => DistanceUnit::M,
        };
        Ok(Expr::new(t.pos, ExprKind::Distance { value, unit }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points() {
        assert_eq!(
            parse_point("POINT(4.35 50.85)"),
            Ok(GeoPoint {
                lon: 4.35,
                lat: 50.85
            })
        );
        assert_eq!(
            parse_point(" point ( -1e0  2 ) "),
            Ok(GeoPoint {
                lon: -1.0,
                lat: 2.0
            })
        );
        assert_eq!(
            parse_point(r#"{"type": "Point", "coordinates": [4, 50]}"#),
            Ok(GeoPoint {
                lon: 4.0,
                lat: 50.0
            })
        );
        assert!(
            parse_point("POINT(4 95)")
                .unwrap_err()
                .starts_with("invalid point")
        );
        assert!(parse_point("POINT(4)").is_err());
        assert!(parse_point("POINT(4 5 6)").is_err());
        assert!(
            parse_point("POLYGON((0 0, 1 1, 1 0, 0 0))")
                .unwrap_err()
                .starts_with("unsupported geometry")
        );
        assert!(parse_point(r#"{"type": "LineString"}"#).is_err());
        assert!(parse_point("{").is_err());
        assert!(parse_point("PO").is_err());
        assert!(parse_point("pOiNt(NaN 1)").is_err());
    }
}
