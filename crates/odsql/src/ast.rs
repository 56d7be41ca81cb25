//! The syntax tree of the four clauses, and its canonical printing.
//!
//! [`Display`](fmt::Display) prints the canonical text: keywords in upper case, function names
//! in lower case, strings in double quotes, the fewest parentheses that keep the tree. Parsing
//! that text gives back the same tree (positions aside, see [`Expr::without_positions`]).

use std::fmt;

use crate::value::{GeoPoint, Shape, Temporal};

/// An expression, with the byte offset in its clause where it starts (for binary operators,
/// `LIKE`, `IN` and `IS`: where the operator is).
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub pos: usize,
    pub kind: ExprKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    /// A field, bare (`population`) or backquoted (`` `my field` ``).
    Field(String),
    /// `*`, only as the argument of `count(*)`.
    Star,
    /// `10km`, only as the third argument of `within_distance` and `distance`.
    Distance {
        value: f64,
        unit: DistanceUnit,
    },
    /// `1 day`, only as the step of a `range()` of `group_by`.
    Interval {
        value: i64,
        unit: IntervalUnit,
    },
    /// `-x`
    Neg(Box<Expr>),
    /// `NOT x`
    Not(Box<Expr>),
    /// `a AND b AND …` (two or more).
    And(Vec<Expr>),
    /// `a OR b OR …` (two or more).
    Or(Vec<Expr>),
    /// Arithmetic and comparisons.
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `expr LIKE "pattern"`: the words of the pattern, each with `*`/`%` wildcards, all found
    /// in the value.
    Like {
        expr: Box<Expr>,
        pattern: String,
    },
    /// `expr IN (a, b, …)`
    InList {
        expr: Box<Expr>,
        items: Vec<Expr>,
    },
    /// `expr IN [low..high]`; `]` on the left or `[` on the right excludes that bound.
    InRange {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        low_inclusive: bool,
        high_inclusive: bool,
    },
    /// `expr IS NULL`, `expr IS NOT NULL`
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    /// `name(args…)`
    Call {
        func: Function,
        args: Vec<Expr>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `"text"` or `'text'`
    Text(String),
    /// Never negative: `-3` is `Neg(3)`.
    Int(i64),
    /// Never negative, always finite.
    Float(f64),
    Bool(bool),
    /// `date'2024-01-31'`, `date'2024-01-31T10:00:00Z'`
    Date(Temporal),
    /// `geom'POINT(4.35 50.85)'` (or a GeoJSON point)
    Geom(GeoPoint),
    /// `geom'POLYGON((…))'`, `geom'MULTIPOLYGON(…)'` (or GeoJSON): only as the area of
    /// `intersects()` and `polygon()`.
    Shape(Shape),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `field:value`: for text, the words of the value found in the field; otherwise `=`.
    Colon,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Eq => "=",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Colon => ":",
        }
    }

    pub fn is_comparison(self) -> bool {
        !matches!(
            self,
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div
        )
    }
}

/// The functions of the dialect (names are case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    /// `search("text")`, `search(*, "text")`, `search(field, …, "text")`: full-text search.
    Search,
    /// `suggest("te")`, `suggest(field, …, "te")`: full-text search where every word of the
    /// text is the beginning of a word (search as you type).
    Suggest,
    /// `startswith(field, …, "prefix")` (no field: any text field)
    StartsWith,
    /// `within_distance(field, geom'POINT(lon lat)', 10km)`
    WithinDistance,
    /// `distance(field, geom'POINT(lon lat)', 10km)`: the older name of `within_distance`.
    Distance,
    /// `in_bbox(field, lat1, lon1, lat2, lon2)`: a point inside the box of two corners.
    InBbox,
    /// `intersects(field, geom'POLYGON((…))')`: a point inside the area.
    Intersects,
    /// `polygon(field, geom'POLYGON((…))')`: the same as `intersects`.
    Polygon,
    /// `lower(text)`
    Lower,
    /// `upper(text)`
    Upper,
    /// `length(text)`: its number of characters.
    Length,
    /// `now()`; `now(days=-7)`, `now(years=-1, month=1)`: shifted by plural units, set by
    /// singular ones (`year`, `month`, `day`, `hour`, `minute`, `second`).
    Now,
    /// `date_format(date, "yyyy-MM")`: a date as text, in a Java/ICU-style pattern.
    DateFormat,
    Year,
    Month,
    Day,
    /// `count(*)`, `count(expr)`
    Count,
    Sum,
    Avg,
    Min,
    Max,
    Median,
    /// `percentile(expr, 90)`
    Percentile,
}

impl Function {
    pub const ALL: [Function; 23] = [
        Function::Search,
        Function::Suggest,
        Function::StartsWith,
        Function::WithinDistance,
        Function::Distance,
        Function::InBbox,
        Function::Intersects,
        Function::Polygon,
        Function::Lower,
        Function::Upper,
        Function::Length,
        Function::Now,
        Function::DateFormat,
        Function::Year,
        Function::Month,
        Function::Day,
        Function::Count,
        Function::Sum,
        Function::Avg,
        Function::Min,
        Function::Max,
        Function::Median,
        Function::Percentile,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Function::Search => "search",
            Function::Suggest => "suggest",
            Function::StartsWith => "startswith",
            Function::WithinDistance => "within_distance",
            Function::Distance => "distance",
            Function::InBbox => "in_bbox",
            Function::Intersects => "intersects",
            Function::Polygon => "polygon",
            Function::Lower => "lower",
            Function::Upper => "upper",
            Function::Length => "length",
            Function::Now => "now",
            Function::DateFormat => "date_format",
            Function::Year => "year",
            Function::Month => "month",
            Function::Day => "day",
            Function::Count => "count",
            Function::Sum => "sum",
            Function::Avg => "avg",
            Function::Min => "min",
            Function::Max => "max",
            Function::Median => "median",
            Function::Percentile => "percentile",
        }
    }

    /// The function called `name`, ignoring case.
    pub fn from_name(name: &str) -> Option<Function> {
        Function::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }

    pub fn is_aggregate(self) -> bool {
        matches!(
            self,
            Function::Count
                | Function::Sum
                | Function::Avg
                | Function::Min
                | Function::Max
                | Function::Median
                | Function::Percentile
        )
    }

    /// Accepted argument counts (inclusive).
    pub(crate) fn arity(self) -> (usize, usize) {
        match self {
            Function::Search | Function::Suggest | Function::StartsWith => (1, MAX_FIELDS + 1),
            Function::Percentile
            | Function::Intersects
            | Function::Polygon
            | Function::DateFormat => (2, 2),
            Function::WithinDistance | Function::Distance => (3, 3),
            Function::InBbox => (5, 5),
            Function::Now => (0, 12),
            _ => (1, 1),
        }
    }

    /// Whether the function takes a distance (`10km`) as its third argument.
    pub(crate) fn takes_distance(self) -> bool {
        matches!(self, Function::WithinDistance | Function::Distance)
    }

    /// Whether the function may take `*` (every text field) before its text.
    pub(crate) fn takes_star(self) -> bool {
        matches!(
            self,
            Function::Search | Function::Suggest | Function::StartsWith
        )
    }
}

/// The most fields a `search()`, `suggest()` or `startswith()` may name.
pub const MAX_FIELDS: usize = 64;

/// The unit of a `range()` step over dates (`range(date, 1 month)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntervalUnit {
    Millisecond,
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl IntervalUnit {
    pub const ALL: [IntervalUnit; 9] = [
        IntervalUnit::Millisecond,
        IntervalUnit::Second,
        IntervalUnit::Minute,
        IntervalUnit::Hour,
        IntervalUnit::Day,
        IntervalUnit::Week,
        IntervalUnit::Month,
        IntervalUnit::Quarter,
        IntervalUnit::Year,
    ];

    pub fn name(self) -> &'static str {
        match self {
            IntervalUnit::Millisecond => "millisecond",
            IntervalUnit::Second => "second",
            IntervalUnit::Minute => "minute",
            IntervalUnit::Hour => "hour",
            IntervalUnit::Day => "day",
            IntervalUnit::Week => "week",
            IntervalUnit::Month => "month",
            IntervalUnit::Quarter => "quarter",
            IntervalUnit::Year => "year",
        }
    }

    /// The unit called `name` (singular or plural, any case).
    pub fn from_name(name: &str) -> Option<IntervalUnit> {
        let lower = name.to_ascii_lowercase();
        let singular = lower.strip_suffix('s').unwrap_or(&lower);
        IntervalUnit::ALL.into_iter().find(|u| u.name() == singular)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DistanceUnit {
    Mm,
    Cm,
    M,
    Km,
    Ft,
    Yd,
    Mi,
}

impl DistanceUnit {
    pub const ALL: [DistanceUnit; 7] = [
        DistanceUnit::Mm,
        DistanceUnit::Cm,
        DistanceUnit::M,
        DistanceUnit::Km,
        DistanceUnit::Ft,
        DistanceUnit::Yd,
        DistanceUnit::Mi,
    ];

    pub fn symbol(self) -> &'static str {
        match self {
            DistanceUnit::Mm => "mm",
            DistanceUnit::Cm => "cm",
            DistanceUnit::M => "m",
            DistanceUnit::Km => "km",
            DistanceUnit::Ft => "ft",
            DistanceUnit::Yd => "yd",
            DistanceUnit::Mi => "mi",
        }
    }

    pub fn metres(self) -> f64 {
        match self {
            DistanceUnit::Mm => 0.001,
            DistanceUnit::Cm => 0.01,
            DistanceUnit::M => 1.0,
            DistanceUnit::Km => 1000.0,
            DistanceUnit::Ft => 0.3048,
            DistanceUnit::Yd => 0.9144,
            DistanceUnit::Mi => 1609.344,
        }
    }

    pub fn from_symbol(s: &str) -> Option<DistanceUnit> {
        DistanceUnit::ALL
            .into_iter()
            .find(|u| u.symbol().eq_ignore_ascii_case(s))
    }
}

/// One item of `select`.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    /// `*`: every field.
    All { pos: usize },
    /// `expr [AS alias]`
    Expr { expr: Expr, alias: Option<String> },
    /// `include(pattern)`: the fields whose names match (`*` for any run of characters).
    Include { pos: usize, pattern: String },
    /// `exclude(pattern)`: leaves out the fields whose names match (alone: every other).
    Exclude { pos: usize, pattern: String },
}

/// A field pattern of `include()`/`exclude()`, backquoted unless it is a plain name.
struct Pattern<'a>(&'a str);

impl fmt::Display for Pattern<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plain = self
            .0
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '*' | '-' | '.'));
        if plain {
            f.write_str(self.0)
        } else {
            write!(f, "`{}`", self.0)
        }
    }
}

/// One item of `group_by`.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupItem {
    pub key: GroupKey,
    pub alias: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum GroupKey {
    /// A field or any expression without aggregates (`year(date)`).
    Expr(Expr),
    /// `range(expr, step)` (one bound: equal-width buckets) or `range(expr, *, 10, 20, *)`
    /// (two or more bounds, `None` for `*`: the buckets between consecutive bounds).
    Range {
        pos: usize,
        expr: Expr,
        bounds: Vec<Option<Expr>>,
    },
}

impl GroupKey {
    pub fn pos(&self) -> usize {
        match self {
            GroupKey::Expr(e) => e.pos,
            GroupKey::Range { pos, .. } => *pos,
        }
    }
}

/// One item of `order_by`.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderItem {
    pub expr: Expr,
    pub desc: bool,
}

impl Expr {
    pub(crate) fn new(pos: usize, kind: ExprKind) -> Expr {
        Expr { pos, kind }
    }

    /// The direct sub-expressions.
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Literal(_)
            | ExprKind::Field(_)
            | ExprKind::Star
            | ExprKind::Distance { .. }
            | ExprKind::Interval { .. } => Vec::new(),
            ExprKind::Neg(e) | ExprKind::Not(e) => vec![e],
            ExprKind::And(v) | ExprKind::Or(v) => v.iter().collect(),
            ExprKind::Binary { left, right, .. } => vec![left, right],
            ExprKind::Like { expr, .. } | ExprKind::IsNull { expr, .. } => vec![expr],
            ExprKind::InList { expr, items } => std::iter::once(&**expr).chain(items).collect(),
            ExprKind::InRange {
                expr, low, high, ..
            } => vec![expr, low, high],
            ExprKind::Call { args, .. } => args.iter().collect(),
        }
    }

    fn children_mut(&mut self) -> Vec<&mut Expr> {
        match &mut self.kind {
            ExprKind::Literal(_)
            | ExprKind::Field(_)
            | ExprKind::Star
            | ExprKind::Distance { .. }
            | ExprKind::Interval { .. } => Vec::new(),
            ExprKind::Neg(e) | ExprKind::Not(e) => vec![e],
            ExprKind::And(v) | ExprKind::Or(v) => v.iter_mut().collect(),
            ExprKind::Binary { left, right, .. } => vec![left, right],
            ExprKind::Like { expr, .. } | ExprKind::IsNull { expr, .. } => vec![expr],
            ExprKind::InList { expr, items } => std::iter::once(&mut **expr)
                .chain(items.iter_mut())
                .collect(),
            ExprKind::InRange {
                expr, low, high, ..
            } => vec![expr, low, high],
            ExprKind::Call { args, .. } => args.iter_mut().collect(),
        }
    }

    /// The same tree with every position set to 0, to compare trees parsed from different
    /// texts.
    pub fn without_positions(&self) -> Expr {
        let mut e = self.clone();
        e.clear_positions();
        e
    }

    pub(crate) fn clear_positions(&mut self) {
        self.pos = 0;
        for c in self.children_mut() {
            c.clear_positions();
        }
    }

    /// Whether an aggregate function occurs in this expression.
    pub fn has_aggregate(&self) -> bool {
        matches!(&self.kind, ExprKind::Call { func, .. } if func.is_aggregate())
            || self.children().into_iter().any(Expr::has_aggregate)
    }

    fn precedence(&self) -> u8 {
        match &self.kind {
            ExprKind::Or(_) => 1,
            ExprKind::And(_) => 2,
            ExprKind::Not(_) => 3,
            ExprKind::Binary { op, .. } if op.is_comparison() => 4,
            ExprKind::Like { .. }
            | ExprKind::InList { .. }
            | ExprKind::InRange { .. }
            | ExprKind::IsNull { .. } => 4,
            ExprKind::Binary {
                op: BinaryOp::Add | BinaryOp::Sub,
                ..
            } => 5,
            ExprKind::Binary { .. } => 6,
            ExprKind::Neg(_) => 7,
            _ => 8,
        }
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, min: u8) -> fmt::Result {
        let paren = self.precedence() < min;
        if paren {
            f.write_str("(")?;
        }
        match &self.kind {
            ExprKind::Literal(l) => fmt::Display::fmt(l, f)?,
            ExprKind::Field(name) => write_ident(f, name)?,
            ExprKind::Star => f.write_str("*")?,
            ExprKind::Distance { value, unit } => write!(f, "{value}{}", unit.symbol())?,
            ExprKind::Interval { value, unit } => write!(f, "{value} {}", unit.name())?,
            ExprKind::Neg(e) => {
                f.write_str("-")?;
                e.write(f, 7)?;
            }
            ExprKind::Not(e) => {
                f.write_str("NOT ")?;
                e.write(f, 3)?;
            }
            ExprKind::And(items) | ExprKind::Or(items) => {
                let (sep, min) = if matches!(self.kind, ExprKind::And(_)) {
                    (" AND ", 3)
                } else {
                    (" OR ", 2)
                };
                for (i, e) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(sep)?;
                    }
                    e.write(f, min)?;
                }
            }
            ExprKind::Binary { op, left, right } => {
                let (l, r) = match op {
                    BinaryOp::Add | BinaryOp::Sub => (5, 6),
                    BinaryOp::Mul | BinaryOp::Div => (6, 7),
                    _ => (5, 5),
                };
                left.write(f, l)?;
                write!(f, " {} ", op.symbol())?;
                right.write(f, r)?;
            }
            ExprKind::Like { expr, pattern } => {
                expr.write(f, 5)?;
                f.write_str(" LIKE ")?;
                write_string(f, pattern)?;
            }
            ExprKind::InList { expr, items } => {
                expr.write(f, 5)?;
                f.write_str(" IN (")?;
                for (i, e) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    e.write(f, 1)?;
                }
                f.write_str(")")?;
            }
            ExprKind::InRange {
                expr,
                low,
                high,
                low_inclusive,
                high_inclusive,
            } => {
                expr.write(f, 5)?;
                f.write_str(if *low_inclusive { " IN [" } else { " IN ]" })?;
                low.write(f, 1)?;
                f.write_str("..")?;
                high.write(f, 1)?;
                f.write_str(if *high_inclusive { "]" } else { "[" })?;
            }
            ExprKind::IsNull { expr, negated } => {
                expr.write(f, 5)?;
                f.write_str(if *negated { " IS NOT NULL" } else { " IS NULL" })?;
            }
            ExprKind::Call { func, args } => {
                write!(f, "{}(", func.name())?;
                for (i, e) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    e.write(f, 1)?;
                }
                f.write_str(")")?;
            }
        }
        if paren {
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, 1)
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Text(s) => write_string(f, s),
            Literal::Int(i) => write!(f, "{i}"),
            Literal::Float(x) => {
                let s = x.to_string();
                f.write_str(&s)?;
                if !s.contains(['.', 'e', 'E', 'N', 'n']) {
                    f.write_str(".0")?;
                }
                Ok(())
            }
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Date(t) => write!(f, "date'{t}'"),
            Literal::Geom(p) => write!(f, "geom'POINT({} {})'", p.lon, p.lat),
            Literal::Shape(s) => write!(f, "geom'{s}'"),
        }
    }
}

impl fmt::Display for SelectItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectItem::All { .. } => f.write_str("*"),
            SelectItem::Expr { expr, alias } => {
                expr.fmt(f)?;
                write_alias(f, alias.as_deref())
            }
            SelectItem::Include { pattern, .. } => write!(f, "include({})", Pattern(pattern)),
            SelectItem::Exclude { pattern, .. } => write!(f, "exclude({})", Pattern(pattern)),
        }
    }
}

impl fmt::Display for GroupItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            GroupKey::Expr(e) => e.fmt(f)?,
            GroupKey::Range { expr, bounds, .. } => {
                write!(f, "range({expr}")?;
                for b in bounds {
                    match b {
                        Some(b) => write!(f, ", {b}")?,
                        None => f.write_str(", *")?,
                    }
                }
                f.write_str(")")?;
            }
        }
        write_alias(f, self.alias.as_deref())
    }
}

impl fmt::Display for OrderItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)?;
        if self.desc {
            f.write_str(" DESC")?;
        }
        Ok(())
    }
}

fn write_alias(f: &mut fmt::Formatter<'_>, alias: Option<&str>) -> fmt::Result {
    if let Some(a) = alias {
        f.write_str(" AS ")?;
        write_ident(f, a)?;
    }
    Ok(())
}

/// Words that cannot be bare field names.
pub(crate) const KEYWORDS: [&str; 12] = [
    "and", "or", "not", "like", "in", "is", "null", "true", "false", "as", "asc", "desc",
];

pub(crate) fn is_keyword(word: &str) -> bool {
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// Whether `name` can be written without backquotes.
pub(crate) fn is_bare_ident(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !is_keyword(name)
}

fn write_ident(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    if is_bare_ident(name) {
        f.write_str(name)
    } else {
        write!(f, "`{name}`")
    }
}

fn write_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

/// Joins items with `, ` (the canonical text of a whole clause).
pub fn print_list<T: fmt::Display>(items: &[T]) -> String {
    let mut s = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&item.to_string());
    }
    s
}
