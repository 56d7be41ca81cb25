//! Type checking: an [`Expr`] checked against a [`Schema`] becomes a [`Node`], with field
//! names resolved to indices, literals converted to the type they are compared with, and
//! text patterns prepared. Evaluation of nodes lives in `eval.rs`.

use crate::ast::{BinaryOp, Expr, ExprKind, Function, Literal};
use crate::error::{Clause, ErrorKind, OdsqlError, quoted};
use crate::suggest::closest;
use crate::text::Words;
use crate::value::{GeoPoint, Schema, Temporal, Value, ValueType, parse_temporal};

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
    DatePart(DatePart, Box<Node>),
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
            ExprKind::Literal(l) => Ok(literal(l)),
            ExprKind::Field(name) => self.field(e.pos, name),
            ExprKind::Star => Err(self.invalid(e.pos, "'*' is only allowed in count(*)")),
            ExprKind::Distance { .. } => {
                Err(self.invalid(e.pos, "a distance is only allowed in within_distance()"))
            }
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
            Function::Search => {
                self.no_grouping(pos, "search()")?;
                let query = text_arg(self, &args[args.len() - 1])?;
                let fields = if args.len() == 2 {
                    match self.expr(&args[0])? {
                        (Node::Field(i), ValueType::Text) => Box::from([i]),
                        (_, ty) => {
                            return Err(self.invalid(
                                args[0].pos,
                                format!("search() needs a text field, not {}", ty.name()),
                            ));
                        }
                    }
                } else {
                    self.text_fields()
                };
                Ok((Node::Search(fields, Words::new(&query)), ValueType::Bool))
            }
            Function::StartsWith => {
                let (n, ty) = self.expr(&args[0])?;
                if ty != ValueType::Text {
                    return Err(self.invalid(
                        args[0].pos,
                        format!("startswith() needs a text expression, not {}", ty.name()),
                    ));
                }
                let prefix = text_arg(self, &args[1])?;
                Ok((Node::StartsWith(Box::new(n), prefix), ValueType::Bool))
            }
            Function::WithinDistance => {
                let (n, ty) = self.expr(&args[0])?;
                if ty != ValueType::Geo {
                    return Err(self.invalid(
                        args[0].pos,
                        format!(
                            "within_distance() needs a geo_point_2d field, not {}",
                            ty.name()
                        ),
                    ));
                }
                let ExprKind::Literal(Literal::Geom(center)) = args[1].kind else {
                    return Err(self.invalid(
                        args[1].pos,
                        "within_distance() expects a point such as geom'POINT(4.35 50.85)'",
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

fn literal(l: &Literal) -> (Node, ValueType) {
    let (v, ty) = match l {
        Literal::Text(s) => (Value::Text(s.clone()), ValueType::Text),
        Literal::Int(i) => (Value::Int(*i), ValueType::Int),
        Literal::Float(x) => (Value::Float(*x), ValueType::Float),
        Literal::Bool(b) => (Value::Bool(*b), ValueType::Bool),
        Literal::Date(Temporal::Date(d)) => (Value::Date(*d), ValueType::Date),
        Literal::Date(Temporal::DateTime(t)) => (Value::DateTime(*t), ValueType::DateTime),
        Literal::Geom(p) => (Value::Geo(*p), ValueType::Geo),
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
            Node::Const(crate::eval::eval(&node, empty).to_owned())
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
