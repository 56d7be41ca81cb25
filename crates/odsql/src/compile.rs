//! Type checking: an [`Expr`] checked against a [`Schema`] becomes a [`Node`], with field
//! names resolved to indices, literals converted to the type they are compared with, and
//! text patterns prepared. Evaluation of nodes lives in `eval.rs`.

use crate::ast::{BinaryOp, Expr, ExprKind, Function, Literal};
use crate::error::{Clause, ErrorKind, OdsqlError, quoted};
use crate::suggest::closest;
use crate::text::Words;
use crate::value::{
    DateTime, GeoPoint, MS_PER_DAY, Schema, Shape, Temporal, Value, ValueType, civil_from_days,
    days_from_civil, days_in_month, parse_temporal,
};

type Result<T> = std::result::Result<T, OdsqlError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DatePart {
    Year,
    Month,
    Day,
}

/// A checked expression, ready to evaluate against a record.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Const(Value),
    Field(usize),
    Neg(Box<Node>),
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    Arith(Arith, Box<Node>, Box<Node>),
    Cmp(Cmp, Box<Node>, Box<Node>),
    /// A text value holding all the word patterns (`:` on text, `LIKE`, `search(field, …)`).
    Words(Box<Node>, Words),
    /// Full-text search over these text fields.
    Search(Box<[usize]>, Words),
    StartsWith(Box<Node>, String),
    InList(Box<Node>, Vec<Value>),
    InRange {
        expr: Box<Node>,
        low: Value,
        high: Value,
        low_inclusive: bool,
        high_inclusive: bool,
    },
    IsNull(Box<Node>, bool),
    Within(Box<Node>, GeoPoint, f64),
    /// A point inside `[min lat, min lon, max lat, max lon]`.
    InBbox(Box<Node>, [f64; 4]),
    /// A point inside an area.
    InShape(Box<Node>, Box<Shape>),
    DatePart(DatePart, Box<Node>),
    /// `upper` (true) or `lower` (false) case.
    Case(bool, Box<Node>),
    Length(Box<Node>),
    DateFormat(Box<Node>, Box<[FmtPart]>),
}

/// A piece of a `date_format` pattern: a field with its width, or literal text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FmtPart {
    Literal(String),
    Year(u8),
    Month(u8),
    Day(u8),
    Hour(u8),
    Minute(u8),
    Second(u8),
    Millis,
}

/// A Java/ICU-style date pattern (`yyyy-MM-dd HH:mm:ss.SSS`, `MMMM yyyy`, `'week' …`):
/// `y`, `M` (1–2 digits, 3 a short month name, 4 the name), `d`, `H`, `m`, `s`, `S`; text
/// between single quotes and any character that is not a letter are copied.
fn date_pattern(pattern: &str) -> std::result::Result<Vec<FmtPart>, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut literal = String::new();
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            let close = chars[i + 1..].iter().position(|&x| x == '\'');
            match close {
                Some(0) => literal.push('\''),
                Some(n) => literal.extend(&chars[i + 1..i + 1 + n]),
                None => return Err("unterminated quote in the date pattern".into()),
            }
            i += close.unwrap_or(0) + 2;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            literal.push(c);
            i += 1;
            continue;
        }
        let run = chars[i..].iter().take_while(|&&x| x == c).count();
        let n = run.min(4) as u8;
        let part = match c {
            'y' | 'Y' | 'u' => FmtPart::Year(if run == 2 { 2 } else { 4 }),
            'M' | 'L' => FmtPart::Month(n),
            'd' => FmtPart::Day(n.min(2)),
            'H' | 'k' => FmtPart::Hour(n.min(2)),
            'm' => FmtPart::Minute(n.min(2)),
            's' => FmtPart::Second(n.min(2)),
            'S' => FmtPart::Millis,
            _ => {
                return Err(format!(
                    "unsupported letter '{c}' in the date pattern (y, M, d, H, m, s, S; quote text with ')"
                ));
            }
        };
        if !literal.is_empty() {
            out.push(FmtPart::Literal(std::mem::take(&mut literal)));
        }
        out.push(part);
        i += run;
    }
    if !literal.is_empty() {
        out.push(FmtPart::Literal(literal));
    }
    Ok(out)
}

/// An aggregate found in `select` or `order_by` of an aggregating query.
#[derive(Debug, Clone)]
pub(crate) struct AggSpec {
    /// Canonical text, to share one computation between identical calls.
    pub text: String,
    pub func: Function,
    /// `None` for `count(*)`.
    pub arg: Option<Node>,
    /// For `percentile` (0–100) and `median` (50).
    pub percentile: f64,
    pub result_type: ValueType,
}

/// What an aggregating query's `select` and `order_by` may refer to: the group keys (slots
/// `0..keys.len()`) and the aggregates (slots after them).
#[derive(Debug, Default)]
pub(crate) struct Grouping {
    /// Canonical text of each key's expression (`None` for `range(…)`), its alias, its type.
    pub keys: Vec<(Option<String>, Option<String>, ValueType)>,
    pub aggs: Vec<AggSpec>,
}

/// Where an expression is compiled.
pub(crate) struct Scope<'a> {
    pub schema: &'a Schema,
    pub clause: Clause,
    /// `select` aliases an `order_by` may name (records, not groups).
    pub aliases: &'a [(String, Expr)],
    pub grouping: Option<&'a mut Grouping>,
}

impl<'a> Scope<'a> {
    pub fn new(schema: &'a Schema, clause: Clause) -> Self {
        Scope {
            schema,
            clause,
            aliases: &[],
            grouping: None,
        }
    }

    fn err(&self, kind: ErrorKind, pos: usize, message: impl Into<String>) -> OdsqlError {
        OdsqlError::new(kind, self.clause, pos, message)
    }

    fn invalid(&self, pos: usize, message: impl Into<String>) -> OdsqlError {
        self.err(ErrorKind::Invalid, pos, message)
    }

    /// The indices of the text fields, for `search("…")`.
    fn text_fields(&self) -> Box<[usize]> {
        self.schema
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| f.field_type.value_type() == ValueType::Text)
            .map(|(i, _)| i)
            .collect()
    }

    fn unknown_field(&self, pos: usize, name: &str) -> OdsqlError {
        let mut e = self.err(
            ErrorKind::UnknownField,
            pos,
            format!("Unknown field: {name}"),
        );
        let names = self
            .schema
            .fields()
            .iter()
            .map(|f| f.name.as_str())
            .chain(self.aliases.iter().map(|(a, _)| a.as_str()));
        e.suggestions = closest(name, names);
        e
    }

    /// Compiles an expression that must be a condition. A bare string is a full-text search.
    pub fn condition(&mut self, e: &Expr) -> Result<Node> {
        if let ExprKind::Literal(Literal::Text(t)) = &e.kind {
            self.no_grouping(e.pos, "full-text search")?;
            return Ok(Node::Search(self.text_fields(), Words::new(t)));
        }
        let (node, ty) = self.expr(e)?;
        if ty != ValueType::Bool {
            return Err(self.invalid(
                e.pos,
                format!(
                    "expected a condition (a comparison, a search, …) but found a {} expression",
                    ty.name()
                ),
            ));
        }
        Ok(node)
    }

    fn no_grouping(&self, pos: usize, what: &str) -> Result<()> {
        if self.grouping.is_some() {
            return Err(self.invalid(pos, format!("{what} is not allowed after aggregation")));
        }
        Ok(())
    }

    /// Compiles any expression and returns its type.
    pub fn expr(&mut self, e: &Expr) -> Result<(Node, ValueType)> {
        if self.grouping.is_some() {
            if let Some(found) = self.group_slot(e)? {
                return Ok(found);
            }
        }
        match &e.kind {
            ExprKind::Literal(Literal::Shape(_)) => Err(self.invalid(
                e.pos,
                "a polygon is only allowed in intersects() and polygon()",
            )),
            ExprKind::Literal(l) => Ok(literal(l)),
            ExprKind::Field(name) => self.field(e.pos, name),
            ExprKind::Star => Err(self.invalid(e.pos, "'*' is only allowed in count(*)")),
            ExprKind::Distance { .. } => {
                Err(self.invalid(e.pos, "a distance is only allowed in within_distance()"))
            }
            ExprKind::Interval { .. } => Err(self.invalid(
                e.pos,
                "an interval such as 1 day is only allowed as the step of range() in group_by",
            )),
            ExprKind::Neg(inner) => {
                let (n, ty) = self.expr(inner)?;
                if !ty.is_numeric() {
                    return Err(
                        self.invalid(e.pos, format!("cannot negate a {} expression", ty.name()))
                    );
                }
                Ok((fold_neg(n), ty))
            }
            ExprKind::Not(inner) => {
                Ok((Node::Not(Box::new(self.condition(inner)?)), ValueType::Bool))
            }
            ExprKind::And(items) | ExprKind::Or(items) => {
                let nodes = items
                    .iter()
                    .map(|i| self.condition(i))
                    .collect::<Result<Vec<_>>>()?;
                let node = if matches!(e.kind, ExprKind::And(_)) {
                    Node::And(nodes)
                } else {
                    Node::Or(nodes)
                };
                Ok((node, ValueType::Bool))
            }
            ExprKind::Binary { op, left, right } => self.binary(e.pos, *op, left, right),
            ExprKind::Like { expr, pattern } => {
                let (n, ty) = self.expr(expr)?;
                if ty != ValueType::Text {
                    return Err(self.invalid(
                        e.pos,
                        format!("LIKE needs a text expression, not {}", ty.name()),
                    ));
                }
                Ok((
                    Node::Words(Box::new(n), Words::new(pattern)),
                    ValueType::Bool,
                ))
            }
            ExprKind::InList { expr, items } => {
                let (n, ty) = self.expr(expr)?;
                let values = items
                    .iter()
                    .map(|i| self.constant_of(i, ty, e.pos))
                    .collect::<Result<Vec<_>>>()?;
                Ok((Node::InList(Box::new(n), values), ValueType::Bool))
            }
            ExprKind::InRange {
                expr,
                low,
                high,
                low_inclusive,
                high_inclusive,
            } => {
                let (n, ty) = self.expr(expr)?;
                if !(ty.is_numeric() || ty.is_temporal() || ty == ValueType::Text) {
                    return Err(self.invalid(
                        e.pos,
                        format!(
                            "a range needs a number, a date or a text, not {}",
                            ty.name()
                        ),
                    ));
                }
                let low = self.constant_of(low, ty, e.pos)?;
                let high = self.constant_of(high, ty, e.pos)?;
                Ok((
                    Node::InRange {
                        expr: Box::new(n),
                        low,
                        high,
                        low_inclusive: *low_inclusive,
                        high_inclusive: *high_inclusive,
                    },
                    ValueType::Bool,
                ))
            }
            ExprKind::IsNull { expr, negated } => {
                let (n, _) = self.expr(expr)?;
                Ok((Node::IsNull(Box::new(n), *negated), ValueType::Bool))
            }
            ExprKind::Call { func, args } => {
                self.arity(e.pos, *func, args)?;
                self.call(e.pos, *func, args)
            }
        }
    }

    /// The parser checks argument counts; trees built by hand are checked again here.
    fn arity(&self, pos: usize, func: Function, args: &[Expr]) -> Result<()> {
        let (min, max) = func.arity();
        if args.len() < min || args.len() > max {
            return Err(self.invalid(
                pos,
                format!("{}() cannot take {} arguments", func.name(), args.len()),
            ));
        }
        Ok(())
    }

    fn field(&mut self, pos: usize, name: &str) -> Result<(Node, ValueType)> {
        if let Some((_, aliased)) = self.aliases.iter().find(|(a, _)| a == name) {
            // The aliased expression was checked with the select clause; compile it without
            // aliases so that an alias cannot refer to itself.
            let aliases = std::mem::take(&mut self.aliases);
            let r = self.expr(aliased);
            self.aliases = aliases;
            return r;
        }
        if self.grouping.is_some() {
            return Err(match self.schema.index_of(name) {
                Some(_) => self.invalid(
                    pos,
                    format!("field {name} must be in group_by or inside an aggregate function"),
                ),
                None => self.unknown_field(pos, name),
            });
        }
        match self.schema.index_of(name) {
            Some(i) => Ok((
                Node::Field(i),
                self.schema.fields()[i].field_type.value_type(),
            )),
            None => Err(self.unknown_field(pos, name)),
        }
    }

    /// In an aggregating query: a group key or an aggregate, as a slot of the group row.
    fn group_slot(&mut self, e: &Expr) -> Result<Option<(Node, ValueType)>> {
        let Some(g) = self.grouping.as_deref() else {
            return Ok(None);
        };
        let text = e.to_string();
        let by_alias = |alias: &Option<String>| match &e.kind {
            ExprKind::Field(name) => alias.as_deref() == Some(name.as_str()),
            _ => false,
        };
        if let Some(k) = g
            .keys
            .iter()
            .position(|(_, alias, _)| by_alias(alias))
            .or_else(|| {
                g.keys
                    .iter()
                    .position(|(t, _, _)| t.as_deref() == Some(&text))
            })
        {
            return Ok(Some((Node::Field(k), g.keys[k].2)));
        }
        let ExprKind::Call { func, args } = &e.kind else {
            return Ok(None);
        };
        if !func.is_aggregate() {
            return Ok(None);
        }
        self.arity(e.pos, *func, args)?;
        let n_keys = g.keys.len();
        if let Some(j) = g.aggs.iter().position(|a| a.text == text) {
            return Ok(Some((Node::Field(n_keys + j), g.aggs[j].result_type)));
        }
        // The argument is computed on records: no grouping, no aliases.
        let mut inner = Scope::new(self.schema, self.clause);
        let spec = inner.aggregate(e.pos, *func, args, text)?;
        let ty = spec.result_type;
        let g = self.grouping.as_deref_mut().expect("checked above");
        g.aggs.push(spec);
        Ok(Some((Node::Field(n_keys + g.aggs.len() - 1), ty)))
    }

    fn aggregate(
        &mut self,
        pos: usize,
        func: Function,
        args: &[Expr],
        text: String,
    ) -> Result<AggSpec> {
        let name = func.name();
        let (arg, arg_type) = match args.first().map(|a| &a.kind) {
            Some(ExprKind::Star) if func == Function::Count => (None, ValueType::Null),
            Some(_) => {
                let a = &args[0];
                if a.has_aggregate() {
                    return Err(self.invalid(a.pos, "aggregate functions cannot be nested"));
                }
                let (n, ty) = self.expr(a)?;
                (Some(n), ty)
            }
            None => return Err(self.invalid(pos, format!("{name}() needs an argument"))),
        };
        let numeric_or_date = arg_type.is_numeric() || arg_type.is_temporal();
        let result_type = match func {
            Function::Count => ValueType::Int,
            Function::Sum | Function::Avg | Function::Median | Function::Percentile
                if !arg_type.is_numeric() =>
            {
                return Err(self.invalid(
                    pos,
                    format!(
                        "{name}() only supports numeric expressions, not {}",
                        arg_type.name()
                    ),
                ));
            }
            Function::Min | Function::Max if !numeric_or_date => {
                return Err(self.invalid(
                    pos,
                    format!(
                        "{name}() only supports numeric or date expressions, not {}",
                        arg_type.name()
                    ),
                ));
            }
            Function::Sum | Function::Min | Function::Max => arg_type,
            _ => ValueType::Float,
        };
        let percentile = match func {
            Function::Percentile => {
                let p = self.constant_of(&args[1], ValueType::Float, args[1].pos)?;
                match p.as_ref().as_f64() {
                    Some(p) if (0.0..=100.0).contains(&p) => p,
                    _ => {
                        return Err(self.invalid(
                            args[1].pos,
                            "percentile() takes a percentage between 0 and 100",
                        ));
                    }
                }
            }
            _ => 50.0,
        };
        Ok(AggSpec {
            text,
            func,
            arg,
            percentile,
            result_type,
        })
    }

    fn binary(
        &mut self,
        pos: usize,
        op: BinaryOp,
        left: &Expr,
        right: &Expr,
    ) -> Result<(Node, ValueType)> {
        let (l, lt) = self.expr(left)?;
        let (r, rt) = self.expr(right)?;
        let arith = match op {
            BinaryOp::Add => Some(Arith::Add),
            BinaryOp::Sub => Some(Arith::Sub),
            BinaryOp::Mul => Some(Arith::Mul),
            BinaryOp::Div => Some(Arith::Div),
            _ => None,
        };
        if let Some(a) = arith {
            if !lt.is_numeric() || !rt.is_numeric() {
                return Err(self.invalid(
                    pos,
                    format!(
                        "'{}' needs numbers, not {} and {}",
                        op.symbol(),
                        lt.name(),
                        rt.name()
                    ),
                ));
            }
            let ty = if a != Arith::Div && lt == ValueType::Int && rt == ValueType::Int {
                ValueType::Int
            } else {
                ValueType::Float
            };
            return Ok((fold_arith(a, l, r), ty));
        }
        // A comparison: bring a literal side to the type of the other side.
        let (l, lt, r, rt) = match (&l, &r) {
            (Node::Const(_), Node::Const(_)) => (l, lt, r, rt),
            (_, Node::Const(v)) => {
                let v = self.coerce(v, lt, pos)?;
                (l, lt, Node::Const(v), lt)
            }
            (Node::Const(v), _) => {
                let v = self.coerce(v, rt, pos)?;
                (Node::Const(v), rt, r, rt)
            }
            _ => (l, lt, r, rt),
        };
        let compatible = lt == rt
            || (lt.is_numeric() && rt.is_numeric())
            || (lt.is_temporal() && rt.is_temporal());
        if !compatible {
            return Err(self.invalid(
                pos,
                format!("cannot compare {} with {}", lt.name(), rt.name()),
            ));
        }
        let cmp = match op {
            BinaryOp::Eq => Cmp::Eq,
            BinaryOp::Ne => Cmp::Ne,
            BinaryOp::Lt => Cmp::Lt,
            BinaryOp::Le => Cmp::Le,
            BinaryOp::Gt => Cmp::Gt,
            BinaryOp::Ge => Cmp::Ge,
            _ => {
                // `:` — words on text, equality otherwise.
                if lt == ValueType::Text {
                    if let Node::Const(Value::Text(t)) = &r {
                        let words = Words::new(t);
                        return Ok((Node::Words(Box::new(l), words), ValueType::Bool));
                    }
                }
                Cmp::Eq
            }
        };
        if !matches!(cmp, Cmp::Eq | Cmp::Ne) && matches!(lt, ValueType::Bool | ValueType::Geo) {
            return Err(self.invalid(pos, format!("cannot order {} values", lt.name())));
        }
        Ok((Node::Cmp(cmp, Box::new(l), Box::new(r)), ValueType::Bool))
    }

    /// A literal (possibly negated) converted to `ty`.
    fn constant_of(&mut self, e: &Expr, ty: ValueType, op_pos: usize) -> Result<Value> {
        let (n, _) = Scope::new(self.schema, self.clause).expr(e)?;
        match n {
            Node::Const(v) => self.coerce(&v, ty, op_pos),
            _ => Err(self.invalid(e.pos, "expected a literal value here")),
        }
    }

    fn coerce(&self, v: &Value, ty: ValueType, pos: usize) -> Result<Value> {
        coerce(v, ty).ok_or_else(|| {
            self.invalid(
                pos,
                format!("cannot compare {} with {}", ty.name(), describe(v)),
            )
        })
    }

    fn call(&mut self, pos: usize, func: Function, args: &[Expr]) -> Result<(Node, ValueType)> {
        let name = func.name();
        if func.is_aggregate() {
            return Err(self.invalid(
                pos,
                format!(
                    "aggregate function {name}() is not allowed in {}",
                    self.clause
                ),
            ));
        }
        let text_arg = |s: &mut Self, e: &Expr| -> Result<String> {
            match s.constant_of(e, ValueType::Text, e.pos)? {
                Value::Text(t) => Ok(t),
                _ => Err(s.invalid(e.pos, format!("{name}() expects a quoted text here"))),
            }
        };
        match func {
            Function::Search | Function::Suggest => {
                self.no_grouping(pos, &format!("{name}()"))?;
                let query = text_arg(self, &args[args.len() - 1])?;
                let mut fields: Vec<usize> = Vec::new();
                for a in &args[..args.len() - 1] {
                    if a.kind == ExprKind::Star {
                        fields.extend(self.text_fields().iter());
                        continue;
                    }
                    match self.expr(a)? {
                        (Node::Field(i), ValueType::Text) => fields.push(i),
                        (_, ty) => {
                            return Err(self.invalid(
                                a.pos,
                                format!("{name}() needs text fields or *, not {}", ty.name()),
                            ));
                        }
                    }
                }
                if args.len() == 1 {
                    fields.extend(self.text_fields().iter());
                }
                fields.sort_unstable();
                fields.dedup();
                let words = if func == Function::Suggest {
                    // Every word is the beginning of a word.
                    Words::new(&query).prefixes()
                } else {
                    Words::new(&query)
                };
                Ok((Node::Search(fields.into(), words), ValueType::Bool))
            }
            Function::StartsWith => {
                let prefix = text_arg(self, &args[args.len() - 1])?;
                let mut nodes = Vec::new();
                for a in &args[..args.len() - 1] {
                    if a.kind == ExprKind::Star {
                        nodes.extend(self.text_fields().iter().map(|&i| Node::Field(i)));
                        continue;
                    }
                    let (n, ty) = self.expr(a)?;
                    if ty != ValueType::Text {
                        return Err(self.invalid(
                            a.pos,
                            format!("startswith() needs a text expression, not {}", ty.name()),
                        ));
                    }
                    nodes.push(n);
                }
                if args.len() == 1 {
                    nodes.extend(self.text_fields().iter().map(|&i| Node::Field(i)));
                }
                let mut tests: Vec<Node> = nodes
                    .into_iter()
                    .map(|n| Node::StartsWith(Box::new(n), prefix.clone()))
                    .collect();
                let node = match tests.len() {
                    0 => Node::Const(Value::Bool(false)),
                    1 => tests.remove(0),
                    _ => Node::Or(tests),
                };
                Ok((node, ValueType::Bool))
            }
            Function::InBbox => {
                let n = self.geo_arg(name, &args[0])?;
                let mut c = [0.0; 4];
                for (k, a) in args[1..].iter().enumerate() {
                    let v = self.constant_of(a, ValueType::Float, a.pos)?;
                    c[k] = v.as_ref().as_f64().ok_or_else(|| {
                        self.invalid(a.pos, "in_bbox() takes numbers: lat1, lon1, lat2, lon2")
                    })?;
                }
                let [lat1, lon1, lat2, lon2] = c;
                Ok((
                    Node::InBbox(
                        Box::new(n),
                        [
                            lat1.min(lat2),
                            lon1.min(lon2),
                            lat1.max(lat2),
                            lon1.max(lon2),
                        ],
                    ),
                    ValueType::Bool,
                ))
            }
            Function::Intersects | Function::Polygon => {
                let n = self.geo_arg(name, &args[0])?;
                match &args[1].kind {
                    ExprKind::Literal(Literal::Shape(shape)) => Ok((
                        Node::InShape(Box::new(n), Box::new(shape.clone())),
                        ValueType::Bool,
                    )),
                    // A point intersects only itself.
                    ExprKind::Literal(Literal::Geom(p)) => Ok((
                        Node::Within(Box::new(n), *p, 0.0),
                        ValueType::Bool,
                    )),
                    _ => Err(self.invalid(
                        args[1].pos,
                        format!("{name}() expects an area such as geom'POLYGON((4 50, 5 50, 5 51, 4 50))'"),
                    )),
                }
            }
            Function::Lower | Function::Upper | Function::Length => {
                let (n, ty) = self.expr(&args[0])?;
                if ty != ValueType::Text {
                    return Err(self.invalid(
                        args[0].pos,
                        format!("{name}() needs a text expression, not {}", ty.name()),
                    ));
                }
                Ok(match func {
                    Function::Length => (Node::Length(Box::new(n)), ValueType::Int),
                    _ => (
                        Node::Case(func == Function::Upper, Box::new(n)),
                        ValueType::Text,
                    ),
                })
            }
            Function::Now => {
                let t = self.now(args)?;
                Ok((Node::Const(Value::DateTime(t)), ValueType::DateTime))
            }
            Function::DateFormat => {
                let (n, ty) = self.expr(&args[0])?;
                if !ty.is_temporal() {
                    return Err(self.invalid(
                        args[0].pos,
                        format!("date_format() needs a date or datetime, not {}", ty.name()),
                    ));
                }
                let pattern = text_arg(self, &args[1])?;
                let parts = date_pattern(&pattern).map_err(|m| self.invalid(args[1].pos, m))?;
                Ok((
                    Node::DateFormat(Box::new(n), parts.into_boxed_slice()),
                    ValueType::Text,
                ))
            }
            Function::WithinDistance | Function::Distance => {
                let (n, ty) = self.expr(&args[0])?;
                if ty != ValueType::Geo {
                    return Err(self.invalid(
                        args[0].pos,
                        format!("{name}() needs a geo_point_2d field, not {}", ty.name()),
                    ));
                }
                let ExprKind::Literal(Literal::Geom(center)) = args[1].kind else {
                    return Err(self.invalid(
                        args[1].pos,
                        format!("{name}() expects a point such as geom'POINT(4.35 50.85)'"),
                    ));
                };
                let ExprKind::Distance { value, unit } = args[2].kind else {
                    return Err(self.invalid(args[2].pos, "expected a distance such as 10km"));
                };
                Ok((
                    Node::Within(Box::new(n), center, value * unit.metres()),
                    ValueType::Bool,
                ))
            }
            Function::Year | Function::Month | Function::Day => {
                let (n, ty) = self.expr(&args[0])?;
                if !ty.is_temporal() {
                    return Err(self.invalid(
                        args[0].pos,
                        format!("{name}() needs a date or datetime, not {}", ty.name()),
                    ));
                }
                let part = match func {
                    Function::Year => DatePart::Year,
                    Function::Month => DatePart::Month,
                    _ => DatePart::Day,
                };
                Ok((Node::DatePart(part, Box::new(n)), ValueType::Int))
            }
            _ => unreachable!("aggregates are handled above"),
        }
    }
}

impl Scope<'_> {
    /// A geo_point_2d argument.
    fn geo_arg(&mut self, name: &str, e: &Expr) -> Result<Node> {
        let (n, ty) = self.expr(e)?;
        if ty != ValueType::Geo {
            return Err(self.invalid(
                e.pos,
                format!("{name}() needs a geo_point_2d field, not {}", ty.name()),
            ));
        }
        Ok(n)
    }

    /// `now()`, shifted (`days=-7`: plural units) or set (`year=2024`: singular units).
    fn now(&mut self, args: &[Expr]) -> Result<DateTime> {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let mut days = ms.div_euclid(MS_PER_DAY);
        let mut in_day = ms.rem_euclid(MS_PER_DAY);
        let (mut y, mut m, mut d) = civil_from_days(days);
        for a in args {
            let bad = || {
                self.invalid(
                    a.pos,
                    "now() takes unit=number arguments: years, months, weeks, days, hours, \
                     minutes, seconds to shift, year, month, day, hour, minute, second to set",
                )
            };
            let ExprKind::Binary {
                op: BinaryOp::Eq,
                left,
                right,
            } = &a.kind
            else {
                return Err(bad());
            };
            let ExprKind::Field(unit) = &left.kind else {
                return Err(bad());
            };
            let n = match Scope::new(self.schema, self.clause).expr(right)? {
                (Node::Const(Value::Int(n)), _) if n.abs() <= 100_000 => n,
                _ => return Err(bad()),
            };
            let unit = unit.to_ascii_lowercase();
            let hms = |k: i64| (in_day / k) % if k == 3_600_000 { 24 } else { 60 };
            match unit.as_str() {
                "years" => y += n,
                "months" => {
                    let total = y * 12 + i64::from(m) - 1 + n;
                    y = total.div_euclid(12);
                    m = total.rem_euclid(12) as u32 + 1;
                }
                "weeks" | "days" | "hours" | "minutes" | "seconds" => {
                    // Shift the instant: fold the calendar day back in first.
                    let day = days_from_civil(y, m, d.min(days_in_month(y, m)));
                    let unit_ms = match unit.as_str() {
                        "weeks" => 7 * MS_PER_DAY,
                        "days" => MS_PER_DAY,
                        "hours" => 3_600_000,
                        "minutes" => 60_000,
                        _ => 1000,
                    };
                    let t = day * MS_PER_DAY + in_day + n * unit_ms;
                    days = t.div_euclid(MS_PER_DAY);
                    in_day = t.rem_euclid(MS_PER_DAY);
                    (y, m, d) = civil_from_days(days);
                }
                "year" => y = n,
                "month" if (1..=12).contains(&n) => m = n as u32,
                "day" if (1..=31).contains(&n) => d = n as u32,
                "hour" if (0..24).contains(&n) => in_day += (n - hms(3_600_000)) * 3_600_000,
                "minute" if (0..60).contains(&n) => in_day += (n - hms(60_000)) * 60_000,
                "second" if (0..60).contains(&n) => in_day += (n - hms(1000)) * 1000,
                _ => return Err(bad()),
            }
        }
        if !(0..=9999).contains(&y) {
            return Err(self.invalid(
                args.first().map_or(0, |a| a.pos),
                "now() shifted outside years 0 to 9999",
            ));
        }
        let day = days_from_civil(y, m, d.min(days_in_month(y, m)));
        Ok(DateTime::from_millis(day * MS_PER_DAY + in_day))
    }
}

fn literal(l: &Literal) -> (Node, ValueType) {
    let (v, ty) = match l {
        Literal::Text(s) => (Value::Text(s.clone()), ValueType::Text),
        Literal::Int(i) => (Value::Int(*i), ValueType::Int),
        Literal::Float(x) => (Value::Float(*x), ValueType::Float),
        Literal::Bool(b) => (Value::Bool(*b), ValueType::Bool),
        Literal::Date(Temporal::Date(d)) => (Value::Date(*d), ValueType::Date),
        Literal::Date(Temporal::DateTime(t)) => (Value::DateTime(*t), ValueType::DateTime),
        Literal::Geom(p) => (Value::Geo(*p), ValueType::Geo),
        // Refused before (only intersects() and polygon() take an area).
        Literal::Shape(_) => (Value::Null, ValueType::Null),
    };
    (Node::Const(v), ty)
}

fn fold_neg(n: Node) -> Node {
    match n {
        Node::Const(Value::Int(i)) => Node::Const(match i.checked_neg() {
            Some(j) => Value::Int(j),
            None => Value::Float(-(i as f64)),
        }),
        Node::Const(Value::Float(x)) => Node::Const(Value::Float(-x)),
        n => Node::Neg(Box::new(n)),
    }
}

fn fold_arith(a: Arith, l: Node, r: Node) -> Node {
    let node = Node::Arith(a, Box::new(l), Box::new(r));
    match &node {
        Node::Arith(_, l, r) if matches!(**l, Node::Const(_)) && matches!(**r, Node::Const(_)) => {
            let empty: &[Value] = &[];
            Node::Const(crate::eval::eval(&node, empty).into_owned())
        }
        _ => node,
    }
}

/// A literal for messages: `text 'abc'`, `int 3`.
fn describe(v: &Value) -> String {
    match v {
        Value::Text(s) => format!("text {}", quoted(s)),
        Value::Int(i) => format!("int {i}"),
        Value::Float(x) => format!("double {x}"),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Date(d) => format!("date {d}"),
        Value::DateTime(t) => format!("datetime {t}"),
        Value::Geo(_) => "a point".to_owned(),
        Value::Null => "null".to_owned(),
    }
}

/// A literal converted to `ty` for a comparison: `"2024"` to a date, `1000` to text, …
pub(crate) fn coerce(v: &Value, ty: ValueType) -> Option<Value> {
    use ValueType as T;
    Some(match (v, ty) {
        (Value::Int(_) | Value::Float(_), T::Int | T::Float) => v.clone(),
        (Value::Date(_) | Value::DateTime(_), T::Date | T::DateTime) => v.clone(),
        (Value::Text(_), T::Text) | (Value::Bool(_), T::Bool) | (Value::Geo(_), T::Geo) => {
            v.clone()
        }
        (Value::Text(s), T::Int | T::Float) => {
            let s = s.trim();
            match s.parse::<i64>() {
                Ok(i) => Value::Int(i),
                Err(_) => Value::Float(s.parse::<f64>().ok().filter(|x| x.is_finite())?),
            }
        }
        (Value::Text(s), T::Date | T::DateTime) => match parse_temporal(s.trim())? {
            Temporal::Date(d) => Value::Date(d),
            Temporal::DateTime(t) => Value::DateTime(t),
        },
        (Value::Text(s), T::Bool) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return None,
        },
        (Value::Int(i), T::Text) => Value::Text(i.to_string()),
        (Value::Float(x), T::Text) => Value::Text(x.to_string()),
        (Value::Bool(b), T::Text) => Value::Text(b.to_string()),
        _ => return None,
    })
}
