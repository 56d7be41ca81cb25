//! The query options of SensorThings v1.1 (`$filter`, `$orderby`, `$top`, `$skip`,
//! `$count`, `$select`, `$expand` with nested `;` options, `$resultFormat`): parsing
//! with the parameter and character position of each mistake, and evaluation of a
//! filter over any [`Record`].
//!
//! Filter grammar (OData's subset that SensorThings names), loosest first:
//! `or` · `and` · `not` · `eq ne gt ge lt le` · `add sub` · `mul div mod` · unary `-` ·
//! literals (`'text'` with `''` for a quote, numbers, `true`/`false`/`null`, unquoted
//! ISO 8601 instants), paths (`result`, `properties/range`, `Datastream/@iot.id`),
//! parentheses and functions ([`FUNCTIONS`]).

use crate::time;
use std::cmp::Ordering;

/// A query mistake: which option, where in it (1-based character), what.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{parameter} at character {position}: {message}")]
pub struct QueryError {
    pub parameter: String,
    pub position: usize,
    pub message: String,
}

/// A value during evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    /// Milliseconds since the epoch.
    Time(i64),
}

impl Val {
    pub fn from_json(v: &serde_json::Value) -> Val {
        match v {
            serde_json::Value::Null => Val::Null,
            serde_json::Value::Bool(b) => Val::Bool(*b),
            serde_json::Value::Number(n) => n.as_f64().map_or(Val::Null, Val::Num),
            serde_json::Value::String(s) => Val::Str(s.clone()),
            other => Val::Str(other.to_string()),
        }
    }

    fn truthy(&self) -> bool {
        matches!(self, Val::Bool(true))
    }

    fn as_time(&self) -> Option<i64> {
        match self {
            Val::Time(t) => Some(*t),
            Val::Str(s) => time::parse(s.split('/').next().unwrap_or(s)),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    fn as_num(&self) -> Option<f64> {
        match self {
            Val::Num(n) => Some(*n),
            _ => None,
        }
    }

    /// How two values compare, when they can be (a number and a text cannot).
    pub fn compare(&self, other: &Val) -> Option<Ordering> {
        match (self, other) {
            (Val::Num(a), Val::Num(b)) => a.partial_cmp(b),
            (Val::Bool(a), Val::Bool(b)) => Some(a.cmp(b)),
            (Val::Str(a), Val::Str(b)) => Some(a.cmp(b)),
            (Val::Time(a), Val::Time(b)) => Some(a.cmp(b)),
            (Val::Time(_), Val::Str(_)) | (Val::Str(_), Val::Time(_)) => {
                Some(self.as_time()?.cmp(&other.as_time()?))
            }
            _ => None,
        }
    }

    /// The order `$orderby` uses: nulls first, then by [`Val::compare`].
    pub fn order(&self, other: &Val) -> Ordering {
        match (self, other) {
            (Val::Null, Val::Null) => Ordering::Equal,
            (Val::Null, _) => Ordering::Less,
            (_, Val::Null) => Ordering::Greater,
            _ => self.compare(other).unwrap_or(Ordering::Equal),
        }
    }
}

/// What a filter reads: the value at a path (`["properties", "range"]`).
pub trait Record {
    fn field(&self, path: &[String]) -> Val;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Lit(Val),
    Path(Vec<String>),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cmp(Cmp, Box<Expr>, Box<Expr>),
    Arith(Arith, Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
    Call(&'static str, Vec<Expr>),
}

/// The functions a filter may call, with their number of arguments.
pub const FUNCTIONS: &[(&str, usize)] = &[
    ("substringof", 2),
    ("startswith", 2),
    ("endswith", 2),
    ("length", 1),
    ("indexof", 2),
    ("tolower", 1),
    ("toupper", 1),
    ("trim", 1),
    ("concat", 2),
    ("year", 1),
    ("month", 1),
    ("day", 1),
    ("hour", 1),
    ("minute", 1),
    ("second", 1),
    ("fractionalseconds", 1),
    ("now", 0),
    ("mindatetime", 0),
    ("maxdatetime", 0),
    ("round", 1),
    ("floor", 1),
    ("ceiling", 1),
];

impl Expr {
    pub fn eval(&self, r: &dyn Record) -> Val {
        match self {
            Expr::Lit(v) => v.clone(),
            Expr::Path(p) => r.field(p),
            Expr::Not(e) => Val::Bool(!e.eval(r).truthy()),
            Expr::And(a, b) => Val::Bool(a.eval(r).truthy() && b.eval(r).truthy()),
            Expr::Or(a, b) => Val::Bool(a.eval(r).truthy() || b.eval(r).truthy()),
            Expr::Cmp(op, a, b) => {
                let (a, b) = (a.eval(r), b.eval(r));
                let ord = match (&a, &b) {
                    (Val::Null, Val::Null) => Some(Ordering::Equal),
                    (Val::Null, _) | (_, Val::Null) => None,
                    _ => a.compare(&b),
                };
                Val::Bool(match op {
                    Cmp::Eq => ord == Some(Ordering::Equal),
                    Cmp::Ne => ord != Some(Ordering::Equal),
                    Cmp::Gt => ord == Some(Ordering::Greater),
                    Cmp::Ge => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
                    Cmp::Lt => ord == Some(Ordering::Less),
                    Cmp::Le => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
                })
            }
            Expr::Arith(op, a, b) => match (a.eval(r).as_num(), b.eval(r).as_num()) {
                (Some(a), Some(b)) => Val::Num(match op {
                    Arith::Add => a + b,
                    Arith::Sub => a - b,
                    Arith::Mul => a * b,
                    Arith::Div => a / b,
                    Arith::Mod => a % b,
                }),
                _ => Val::Null,
            },
            Expr::Neg(e) => e.eval(r).as_num().map_or(Val::Null, |n| Val::Num(-n)),
            Expr::Call(f, args) => {
                let a: Vec<Val> = args.iter().map(|e| e.eval(r)).collect();
                call(f, &a)
            }
        }
    }

    /// The instants a filter bounds `phenomenonTime` to (`[from, to)`), read from its
    /// top-level `and`s: a range read of the time series need not scan beyond them.
    pub fn time_bounds(&self) -> (i64, i64) {
        let mut b = (i64::MIN, i64::MAX);
        self.narrow(&mut b);
        b
    }

    fn narrow(&self, b: &mut (i64, i64)) {
        match self {
            Expr::And(x, y) => {
                x.narrow(b);
                y.narrow(b);
            }
            Expr::Cmp(op, x, y) => {
                let (op, t) = match (&**x, &**y) {
                    (Expr::Path(p), Expr::Lit(v)) if is_time_path(p) => (*op, v.as_time()),
                    (Expr::Lit(v), Expr::Path(p)) if is_time_path(p) => (flip(*op), v.as_time()),
                    _ => return,
                };
                let Some(t) = t else { return };
                match op {
                    Cmp::Gt => b.0 = b.0.max(t.saturating_add(1)),
                    Cmp::Ge => b.0 = b.0.max(t),
                    Cmp::Lt => b.1 = b.1.min(t),
                    Cmp::Le => b.1 = b.1.min(t.saturating_add(1)),
                    Cmp::Eq => {
                        b.0 = b.0.max(t);
                        b.1 = b.1.min(t.saturating_add(1));
                    }
                    Cmp::Ne => {}
                }
            }
            _ => {}
        }
    }
}

fn is_time_path(p: &[String]) -> bool {
    p.len() == 1 && (p[0] == "phenomenonTime" || p[0] == "resultTime")
}

fn flip(op: Cmp) -> Cmp {
    match op {
        Cmp::Gt => Cmp::Lt,
        Cmp::Ge => Cmp::Le,
        Cmp::Lt => Cmp::Gt,
        Cmp::Le => Cmp::Ge,
        other => other,
    }
}

fn call(f: &str, a: &[Val]) -> Val {
    let s = |i: usize| a.get(i).and_then(Val::as_str);
    let n = |i: usize| a.get(i).and_then(Val::as_num);
    let part = |k: usize| {
        a.first()
            .and_then(Val::as_time)
            .and_then(time::parts)
            .map_or(Val::Null, |p| Val::Num(p[k] as f64))
    };
    match f {
        "substringof" => match (s(0), s(1)) {
            (Some(x), Some(y)) => Val::Bool(y.contains(x)),
            _ => Val::Bool(false),
        },
        "startswith" => match (s(0), s(1)) {
            (Some(x), Some(y)) => Val::Bool(x.starts_with(y)),
            _ => Val::Bool(false),
        },
        "endswith" => match (s(0), s(1)) {
            (Some(x), Some(y)) => Val::Bool(x.ends_with(y)),
            _ => Val::Bool(false),
        },
        "length" => s(0).map_or(Val::Null, |x| Val::Num(x.chars().count() as f64)),
        "indexof" => match (s(0), s(1)) {
            (Some(x), Some(y)) => {
                Val::Num(x.find(y).map_or(-1.0, |i| x[..i].chars().count() as f64))
            }
            _ => Val::Null,
        },
        "tolower" => s(0).map_or(Val::Null, |x| Val::Str(x.to_lowercase())),
        "toupper" => s(0).map_or(Val::Null, |x| Val::Str(x.to_uppercase())),
        "trim" => s(0).map_or(Val::Null, |x| Val::Str(x.trim().to_owned())),
        "concat" => match (s(0), s(1)) {
            (Some(x), Some(y)) => Val::Str(format!("{x}{y}")),
            _ => Val::Null,
        },
        "year" => part(0),
        "month" => part(1),
        "day" => part(2),
        "hour" => part(3),
        "minute" => part(4),
        "second" => part(5),
        "fractionalseconds" => a
            .first()
            .and_then(Val::as_time)
            .and_then(time::parts)
            .map_or(Val::Null, |p| Val::Num(p[6] as f64 / 1000.0)),
        "now" => Val::Time(time::now()),
        "mindatetime" => Val::Time(i64::MIN),
        "maxdatetime" => Val::Time(i64::MAX),
        "round" => n(0).map_or(Val::Null, |x| Val::Num(x.round())),
        "floor" => n(0).map_or(Val::Null, |x| Val::Num(x.floor())),
        "ceiling" => n(0).map_or(Val::Null, |x| Val::Num(x.ceil())),
        _ => Val::Null,
    }
}

// ---------------------------------------------------------------- filter parsing

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Num(f64),
    Time(i64),
    Open,
    Close,
    Comma,
}

struct Lexer {
    toks: Vec<(Tok, usize)>,
}

fn lex(text: &str, param: &str) -> Result<Lexer, QueryError> {
    let err = |pos: usize, message: String| QueryError {
        parameter: param.to_owned(),
        position: pos + 1,
        message,
    };
    let chars: Vec<char> = text.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            toks.push((Tok::Open, start));
            i += 1;
        } else if c == ')' {
            toks.push((Tok::Close, start));
            i += 1;
        } else if c == ',' {
            toks.push((Tok::Comma, start));
            i += 1;
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(err(start, "this text has no closing quote (')".into())),
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        s.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(ch) => {
                        s.push(*ch);
                        i += 1;
                    }
                }
            }
            toks.push((Tok::Str(s), start));
        } else if c.is_ascii_digit() {
            // A date (YYYY-MM-DD...) or a number.
            let is_date = chars.len() >= i + 10
                && chars[i..i + 4].iter().all(char::is_ascii_digit)
                && chars[i + 4] == '-';
            if is_date {
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric()
                        || matches!(chars[i], ':' | '.' | '-' | '+'))
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let Some(t) = time::parse(&word) else {
                    return Err(err(start, format!("`{word}` is not an ISO 8601 instant")));
                };
                toks.push((Tok::Time(t), start));
            } else {
                while i < chars.len()
                    && (chars[i].is_ascii_digit()
                        || matches!(chars[i], '.' | 'e' | 'E')
                        || (matches!(chars[i], '-' | '+') && matches!(chars[i - 1], 'e' | 'E')))
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let Ok(n) = word.parse::<f64>() else {
                    return Err(err(start, format!("`{word}` is not a number")));
                };
                toks.push((Tok::Num(n), start));
            }
        } else if c.is_alphabetic() || matches!(c, '@' | '_' | '$') {
            while i < chars.len()
                && (chars[i].is_alphanumeric() || matches!(chars[i], '@' | '_' | '.' | '/' | '$'))
            {
                i += 1;
            }
            toks.push((Tok::Word(chars[start..i].iter().collect()), start));
        } else if c == '-' {
            toks.push((Tok::Word("-".into()), start));
            i += 1;
        } else {
            return Err(err(start, format!("unexpected character `{c}`")));
        }
    }
    Ok(Lexer { toks })
}

struct Parser<'a> {
    toks: Vec<(Tok, usize)>,
    at: usize,
    param: &'a str,
    end: usize,
    depth: usize,
}

const MAX_DEPTH: usize = 64;

impl Parser<'_> {
    fn err(&self, pos: usize, message: impl Into<String>) -> QueryError {
        QueryError {
            parameter: self.param.to_owned(),
            position: pos + 1,
            message: message.into(),
        }
    }

    fn pos(&self) -> usize {
        self.toks.get(self.at).map_or(self.end, |t| t.1)
    }

    fn peek_word(&self) -> Option<&str> {
        match self.toks.get(self.at) {
            Some((Tok::Word(w), _)) => Some(w),
            _ => None,
        }
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if self.peek_word() == Some(w) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expr(&mut self) -> Result<Expr, QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(self.pos(), "the expression is nested too deeply"));
        }
        let mut left = self.and()?;
        while self.eat_word("or") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.not()?;
        while self.eat_word("and") {
            left = Expr::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, QueryError> {
        if self.eat_word("not") {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, QueryError> {
        let left = self.additive()?;
        let op = match self.peek_word() {
            Some("eq") => Cmp::Eq,
            Some("ne") => Cmp::Ne,
            Some("gt") => Cmp::Gt,
            Some("ge") => Cmp::Ge,
            Some("lt") => Cmp::Lt,
            Some("le") => Cmp::Le,
            _ => return Ok(left),
        };
        self.at += 1;
        let right = self.additive()?;
        Ok(Expr::Cmp(op, Box::new(left), Box::new(right)))
    }

    fn additive(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.multiplicative()?;
        loop {
            let op = match self.peek_word() {
                Some("add") => Arith::Add,
                Some("sub") => Arith::Sub,
                _ => return Ok(left),
            };
            self.at += 1;
            left = Expr::Arith(op, Box::new(left), Box::new(self.multiplicative()?));
        }
    }

    fn multiplicative(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek_word() {
                Some("mul") => Arith::Mul,
                Some("div") => Arith::Div,
                Some("mod") => Arith::Mod,
                _ => return Ok(left),
            };
            self.at += 1;
            left = Expr::Arith(op, Box::new(left), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        if self.eat_word("-") {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, QueryError> {
        let pos = self.pos();
        let Some((tok, _)) = self.toks.get(self.at).cloned() else {
            return Err(self.err(pos, "the expression ends where a value was expected"));
        };
        self.at += 1;
        match tok {
            Tok::Str(s) => Ok(Expr::Lit(Val::Str(s))),
            Tok::Num(n) => Ok(Expr::Lit(Val::Num(n))),
            Tok::Time(t) => Ok(Expr::Lit(Val::Time(t))),
            Tok::Open => {
                let e = self.expr()?;
                match self.toks.get(self.at) {
                    Some((Tok::Close, _)) => {
                        self.at += 1;
                        Ok(e)
                    }
                    _ => Err(self.err(self.pos(), "a closing parenthesis was expected here")),
                }
            }
            Tok::Close | Tok::Comma => Err(self.err(pos, "a value was expected here")),
            Tok::Word(w) => {
                match w.as_str() {
                    "true" => return Ok(Expr::Lit(Val::Bool(true))),
                    "false" => return Ok(Expr::Lit(Val::Bool(false))),
                    "null" => return Ok(Expr::Lit(Val::Null)),
                    "eq" | "ne" | "gt" | "ge" | "lt" | "le" | "and" | "or" | "add" | "sub"
                    | "mul" | "div" | "mod" => {
                        return Err(self.err(pos, format!("a value was expected before `{w}`")));
                    }
                    _ => {}
                }
                if matches!(self.toks.get(self.at), Some((Tok::Open, _))) {
                    let Some(&(name, arity)) = FUNCTIONS.iter().find(|(f, _)| *f == w) else {
                        let known: Vec<&str> = FUNCTIONS.iter().map(|f| f.0).collect();
                        return Err(self.err(
                            pos,
                            format!("unknown function `{w}` (known: {})", known.join(", ")),
                        ));
                    };
                    self.at += 1;
                    let mut args = Vec::new();
                    if !matches!(self.toks.get(self.at), Some((Tok::Close, _))) {
                        loop {
                            args.push(self.expr()?);
                            match self.toks.get(self.at) {
                                Some((Tok::Comma, _)) => self.at += 1,
                                Some((Tok::Close, _)) => break,
                                _ => {
                                    return Err(self.err(
                                        self.pos(),
                                        format!("`,` or `)` expected in the arguments of {name}"),
                                    ));
                                }
                            }
                        }
                    }
                    self.at += 1;
                    if args.len() != arity {
                        return Err(self.err(
                            pos,
                            format!("{name} takes {arity} argument(s), not {}", args.len()),
                        ));
                    }
                    return Ok(Expr::Call(name, args));
                }
                let path: Vec<String> = w.split('/').map(str::to_owned).collect();
                if path.iter().any(String::is_empty) {
                    return Err(self.err(pos, format!("`{w}` is not a property path")));
                }
                Ok(Expr::Path(path))
            }
        }
    }
}

/// Parses a `$filter` expression (`param` names it in errors).
pub fn parse_filter(text: &str, param: &str) -> Result<Expr, QueryError> {
    let lexer = lex(text, param)?;
    let mut p = Parser {
        toks: lexer.toks,
        at: 0,
        param,
        end: text.chars().count(),
        depth: 0,
    };
    let e = p.expr()?;
    if p.at < p.toks.len() {
        return Err(p.err(p.pos(), "unexpected text after the end of the expression"));
    }
    Ok(e)
}

// ---------------------------------------------------------------- query options

/// One `$expand` item: a navigation property and its own options.
#[derive(Debug, Clone, PartialEq)]
pub struct Expand {
    pub nav: String,
    pub options: Options,
}

/// Every query option of a request (or of one `$expand` item).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Options {
    pub filter: Option<Expr>,
    /// (path, descending)
    pub orderby: Vec<(Vec<String>, bool)>,
    pub top: Option<usize>,
    pub skip: usize,
    pub count: bool,
    pub select: Option<Vec<String>>,
    pub expand: Vec<Expand>,
    /// `$resultFormat=dataArray`
    pub data_array: bool,
    /// The options as given (`$filter`, its text), for the next page's link.
    pub raw: Vec<(String, String)>,
}

/// The most entities one page may hold; the default page size.
pub const MAX_TOP: usize = 10_000;
pub const DEFAULT_TOP: usize = 100;

/// Splits at `sep` outside parentheses and quotes; each part with its character offset.
fn split_top(text: &str, sep: char) -> Vec<(usize, String)> {
    let mut parts = Vec::new();
    let (mut depth, mut quoted, mut cur, mut start) = (0i32, false, String::new(), 0);
    for (i, c) in text.chars().enumerate() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            _ => {}
        }
        if c == sep && depth == 0 && !quoted {
            parts.push((start, std::mem::take(&mut cur)));
            start = i + 1;
        } else {
            cur.push(c);
        }
    }
    parts.push((start, cur));
    parts
}

fn shift(mut e: QueryError, by: usize, param: &str) -> QueryError {
    e.position += by;
    e.parameter = param.to_owned();
    e
}

impl Options {
    /// Reads the query options of a URL query string. Parameters not starting with `$`
    /// are left alone; an unknown `$` option is an error.
    pub fn from_query(query: &str) -> Result<Options, QueryError> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut o = Options::default();
        for (k, v) in &pairs {
            if k.starts_with('$') {
                o.set(k, v, k, 0)?;
            }
        }
        Ok(o)
    }

    /// Sets option `key` from `value`; errors name `param` and shift positions by `at`.
    fn set(&mut self, key: &str, value: &str, param: &str, at: usize) -> Result<(), QueryError> {
        let err = |pos: usize, message: String| QueryError {
            parameter: param.to_owned(),
            position: at + pos + 1,
            message,
        };
        let number = |v: &str| -> Result<usize, QueryError> {
            v.trim()
                .parse::<usize>()
                .map_err(|_| err(0, format!("`{v}` is not a whole number ≥ 0")))
        };
        self.raw.push((key.to_owned(), value.to_owned()));
        match key {
            "$filter" => {
                self.filter = Some(parse_filter(value, param).map_err(|e| shift(e, at, param))?)
            }
            "$top" => {
                let n = number(value)?;
                if n > MAX_TOP {
                    return Err(err(
                        0,
                        format!("at most {MAX_TOP} entities per page, not {n}"),
                    ));
                }
                self.top = Some(n);
            }
            "$skip" => self.skip = number(value)?,
            "$count" => {
                self.count = match value.trim() {
                    "true" => true,
                    "false" => false,
                    other => return Err(err(0, format!("`{other}`: true or false expected"))),
                }
            }
            "$select" => {
                let mut list = Vec::new();
                for (off, item) in split_top(value, ',') {
                    let item = item.trim();
                    if item.is_empty()
                        || !item
                            .chars()
                            .all(|c| c.is_alphanumeric() || matches!(c, '@' | '.' | '_'))
                    {
                        return Err(err(off, format!("`{item}` is not a property name")));
                    }
                    list.push(item.to_owned());
                }
                self.select = Some(list);
            }
            "$orderby" => {
                for (off, item) in split_top(value, ',') {
                    let words: Vec<&str> = item.split_whitespace().collect();
                    let desc = match words.as_slice() {
                        [_] => false,
                        [_, "asc"] => false,
                        [_, "desc"] => true,
                        _ => {
                            return Err(err(
                                off,
                                format!("`{}`: a property then asc or desc expected", item.trim()),
                            ));
                        }
                    };
                    let path: Vec<String> = words[0].split('/').map(str::to_owned).collect();
                    if path.iter().any(String::is_empty) {
                        return Err(err(off, format!("`{}` is not a property path", words[0])));
                    }
                    self.orderby.push((path, desc));
                }
            }
            "$expand" => {
                for (off, item) in split_top(value, ',') {
                    self.expand_item(&item, param, at + off)?;
                }
            }
            "$resultFormat" => match value {
                "dataArray" => self.data_array = true,
                "default" => self.data_array = false,
                other => {
                    return Err(err(0, format!("`{other}`: dataArray or default expected")));
                }
            },
            other => {
                return Err(err(
                    0,
                    format!(
                        "unknown query option `{other}` (known: $filter, $orderby, $top, $skip, $count, $select, $expand, $resultFormat)"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// One `$expand` item: `Nav`, `Nav(opt=v;opt=v)` or `Nav/Nav2…`.
    fn expand_item(&mut self, item: &str, param: &str, at: usize) -> Result<(), QueryError> {
        let lead = item.len() - item.trim_start().len();
        let item = item.trim();
        let at = at + lead;
        let err = |pos: usize, message: String| QueryError {
            parameter: param.to_owned(),
            position: at + pos + 1,
            message,
        };
        let (head, inner) = match item.find('(') {
            Some(i) => {
                if !item.ends_with(')') {
                    return Err(err(
                        i,
                        "the options of this expansion have no closing `)`".into(),
                    ));
                }
                (&item[..i], Some((i + 1, &item[i + 1..item.len() - 1])))
            }
            None => (item, None),
        };
        let names: Vec<&str> = head.split('/').collect();
        if names
            .iter()
            .any(|n| n.is_empty() || !n.chars().all(char::is_alphanumeric))
        {
            return Err(err(0, format!("`{head}` is not a navigation property")));
        }
        // Walk (and create) the chain; the options go on its last item.
        let mut level = self;
        for (k, name) in names.iter().enumerate() {
            let pos = match level.expand.iter().position(|e| e.nav == *name) {
                Some(p) => p,
                None => {
                    level.expand.push(Expand {
                        nav: (*name).to_owned(),
                        options: Options::default(),
                    });
                    level.expand.len() - 1
                }
            };
            level = &mut level.expand[pos].options;
            if k + 1 == names.len() {
                if let Some((off, inner)) = inner {
                    for (o, opt) in split_top(inner, ';') {
                        let Some((key, value)) = opt.split_once('=') else {
                            return Err(err(
                                off + o,
                                format!("`{opt}`: an option=value pair expected"),
                            ));
                        };
                        let key = key.trim();
                        let value_at = at + off + o + key.len() + 1;
                        level.set(key, value, param, value_at)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The page size.
    pub fn page(&self) -> usize {
        self.top.unwrap_or(DEFAULT_TOP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rec(serde_json::Value);
    impl Record for Rec {
        fn field(&self, path: &[String]) -> Val {
            let mut v = &self.0;
            for p in path {
                match v.get(p) {
                    Some(x) => v = x,
                    None => return Val::Null,
                }
            }
            Val::from_json(v)
        }
    }

    fn check(filter: &str, rec: serde_json::Value) -> bool {
        parse_filter(filter, "$filter").unwrap().eval(&Rec(rec)) == Val::Bool(true)
    }

    #[test]
    fn filters_evaluate_as_odata_says() {
        let r = serde_json::json!({"name": "Sambre à Namur", "result": 12.5,
            "phenomenonTime": "2024-06-01T10:00:00Z", "properties": {"n": 3}});
        assert!(check("result gt 12 and result le 12.5", r.clone()));
        assert!(check("not (result lt 12) or name eq 'x'", r.clone()));
        assert!(check("substringof('Namur', name)", r.clone()));
        assert!(check("startswith(name, 'Sambre')", r.clone()));
        assert!(check("properties/n add 1 eq 4", r.clone()));
        assert!(check("phenomenonTime ge 2024-06-01T09:00:00Z", r.clone()));
        assert!(check(
            "(phenomenonTime lt 2024-06-01T12:00:00+02:00) eq false",
            r.clone()
        ));
        assert!(check(
            "year(phenomenonTime) eq 2024 and hour(phenomenonTime) eq 10",
            r.clone()
        ));
        assert!(check("missing eq null and name ne null", r.clone()));
        assert!(check(
            "name eq 'it''s'",
            serde_json::json!({"name": "it's"})
        ));
        assert!(!check("result eq 'text'", r));
    }

    #[test]
    fn mistakes_name_the_parameter_and_the_character() {
        let e = parse_filter("result gt", "$filter").unwrap_err();
        assert_eq!((e.parameter.as_str(), e.position), ("$filter", 10));
        let e = parse_filter("result gt 3 3", "$filter").unwrap_err();
        assert_eq!(e.position, 13);
        let e = parse_filter("nope(name)", "$filter").unwrap_err();
        assert!(e.message.contains("unknown function"), "{e}");
        let e = parse_filter("name eq 'open", "$filter").unwrap_err();
        assert_eq!(e.position, 9);
        let e = Options::from_query("$top=x").unwrap_err();
        assert_eq!(e.parameter, "$top");
        let e = Options::from_query("$expand=Datastreams($top=2;$filter=result gt)").unwrap_err();
        assert_eq!(e.parameter, "$expand");
        // "Datastreams(" is 12 characters, "$top=2;" 7, "$filter=" 8, "result gt" 9: the end is at 37.
        assert_eq!(e.position, 37, "{e}");
        assert!(
            Options::from_query("$bogus=1")
                .unwrap_err()
                .message
                .contains("unknown")
        );
    }

    #[test]
    fn expansions_nest_with_their_options() {
        let o = Options::from_query(
            "$expand=Datastreams($top=1;$expand=Observations($orderby=phenomenonTime desc)),Locations,Datastreams/Sensor&$count=true",
        )
        .unwrap();
        assert!(o.count);
        assert_eq!(o.expand.len(), 2);
        let ds = &o.expand[0];
        assert_eq!((ds.nav.as_str(), ds.options.top), ("Datastreams", Some(1)));
        assert!(ds.options.expand[0].options.orderby[0].1);
        assert_eq!(ds.options.expand[1].nav, "Sensor");
        let b = parse_filter("phenomenonTime ge 2024-01-01T00:00:00Z and phenomenonTime lt 2024-02-01T00:00:00Z and result gt 1", "$filter").unwrap().time_bounds();
        assert_eq!(
            b,
            (
                crate::time::parse("2024-01-01").unwrap(),
                crate::time::parse("2024-02-01").unwrap()
            )
        );
    }
}
