//! Whole queries: the four clauses parsed together, checked against a schema, and executed over
//! an iterator of records (filter → hash grouping and aggregates → order → page).

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasher, Hasher, RandomState};

use crate::ast::{
    Expr, ExprKind, Function, GroupItem, GroupKey, IntervalUnit, OrderItem, SelectItem, print_list,
};
use crate::columnar::{Bitmap, Columns};
use crate::compile::{AggSpec, Grouping, Node, Scope, coerce};
use crate::error::{Clause, ErrorKind, OdsqlError};
use crate::eval::{Ev, eval, test};
use crate::parse::{parse_group_by, parse_order_by, parse_select, parse_where};
use crate::value::{
    DateTime, MS_PER_DAY, Record, Schema, Value, ValueRef, ValueType, civil_from_days, compare,
    days_from_civil, equal, hash_value,
};

type Result<T> = std::result::Result<T, OdsqlError>;

/// The text of a request's ODSQL parameters; `None` or blank means absent.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueryText<'a> {
    pub select: Option<&'a str>,
    pub where_clause: Option<&'a str>,
    pub group_by: Option<&'a str>,
    pub order_by: Option<&'a str>,
}

/// The parsed clauses of a query (empty lists and `None` for absent clauses).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    pub select: Vec<SelectItem>,
    pub where_clause: Option<Expr>,
    pub group_by: Vec<GroupItem>,
    pub order_by: Vec<OrderItem>,
}

fn present(t: Option<&str>) -> Option<&str> {
    t.filter(|s| !s.trim().is_empty())
}

impl Query {
    /// Parses every present clause; the first error wins, in the order select, where,
    /// group_by, order_by.
    pub fn parse(text: QueryText<'_>) -> Result<Query> {
        Ok(Query {
            select: present(text.select)
                .map(parse_select)
                .transpose()?
                .unwrap_or_default(),
            where_clause: present(text.where_clause).map(parse_where).transpose()?,
            group_by: present(text.group_by)
                .map(parse_group_by)
                .transpose()?
                .unwrap_or_default(),
            order_by: present(text.order_by)
                .map(parse_order_by)
                .transpose()?
                .unwrap_or_default(),
        })
    }

    /// Whether the query returns groups rather than records: it has a `group_by`, or an
    /// aggregate in `select` or `order_by` (then all matching records form one group).
    pub fn is_aggregation(&self) -> bool {
        !self.group_by.is_empty()
            || self.select.iter().any(|s| match s {
                SelectItem::Expr { expr, .. } => expr.has_aggregate(),
                _ => false,
            })
            || self.order_by.iter().any(|o| o.expr.has_aggregate())
    }

    /// Checks the query against `schema`.
    pub fn compile(&self, schema: &Schema) -> Result<CompiledQuery> {
        let filter = self
            .where_clause
            .as_ref()
            .map(|w| Filter::new(w, schema))
            .transpose()?;
        let aliases: Vec<(String, Expr)> = self
            .select
            .iter()
            .filter_map(|s| match s {
                SelectItem::Expr {
                    expr,
                    alias: Some(a),
                } => Some((a.clone(), expr.clone())),
                _ => None,
            })
            .collect();
        let (plan, columns) = if self.is_aggregation() {
            self.compile_groups(schema, &aliases)?
        } else {
            self.compile_records(schema, &aliases)?
        };
        Ok(CompiledQuery {
            filter,
            columns,
            plan,
        })
    }

    fn compile_records(
        &self,
        schema: &Schema,
        aliases: &[(String, Expr)],
    ) -> Result<(Plan, Vec<Column>)> {
        let mut outputs = Vec::new();
        let mut columns = Vec::new();
        let all = |outputs: &mut Vec<Node>, columns: &mut Vec<Column>| {
            for (i, f) in schema.fields().iter().enumerate() {
                outputs.push(Node::Field(i));
                columns.push(Column {
                    name: f.name.clone(),
                    value_type: f.field_type.value_type(),
                });
            }
        };
        // Only `exclude(…)`: every field but those.
        let only_excludes = !self.select.is_empty()
            && self
                .select
                .iter()
                .all(|s| matches!(s, SelectItem::Exclude { .. }));
        if self.select.is_empty() || only_excludes {
            all(&mut outputs, &mut columns);
        }
        for item in &self.select {
            match item {
                SelectItem::All { .. } => all(&mut outputs, &mut columns),
                SelectItem::Include { pattern, .. } => {
                    for (i, f) in schema.fields().iter().enumerate() {
                        if name_matches(pattern, &f.name)
                            && !columns.iter().any(|c| c.name == f.name)
                        {
                            outputs.push(Node::Field(i));
                            columns.push(Column {
                                name: f.name.clone(),
                                value_type: f.field_type.value_type(),
                            });
                        }
                    }
                }
                SelectItem::Exclude { .. } => {}
                SelectItem::Expr { expr, alias } => {
                    let (node, ty) = Scope::new(schema, Clause::Select).expr(expr)?;
                    outputs.push(node);
                    columns.push(Column {
                        name: alias.clone().unwrap_or_else(|| column_name(expr)),
                        value_type: ty,
                    });
                }
            }
        }
        for item in &self.select {
            if let SelectItem::Exclude { pattern, .. } = item {
                let keep: Vec<bool> = columns
                    .iter()
                    .map(|c| !name_matches(pattern, &c.name))
                    .collect();
                let mut k = keep.iter();
                outputs.retain(|_| *k.next().unwrap_or(&true));
                let mut k = keep.iter();
                columns.retain(|_| *k.next().unwrap_or(&true));
            }
        }
        let mut order = Vec::new();
        for o in &self.order_by {
            let mut scope = Scope::new(schema, Clause::OrderBy);
            scope.aliases = aliases;
            order.push((scope.expr(&o.expr)?.0, o.desc));
        }
        Ok((Plan::Records { outputs, order }, columns))
    }

    fn compile_groups(
        &self,
        schema: &Schema,
        aliases: &[(String, Expr)],
    ) -> Result<(Plan, Vec<Column>)> {
        let mut grouping = Grouping::default();
        let mut keys = Vec::new();
        let mut columns = Vec::new();
        for item in &self.group_by {
            let (key, ty, text, name) = self.group_key(schema, aliases, item)?;
            grouping
                .keys
                .push((text, item.alias.clone().or(Some(name.clone())), ty));
            keys.push(key);
            columns.push(Column {
                name,
                value_type: ty,
            });
        }
        let mut outputs: Vec<Node> = (0..keys.len()).map(Node::Field).collect();
        for item in &self.select {
            match item {
                SelectItem::All { pos } => {
                    return Err(OdsqlError::new(
                        ErrorKind::Invalid,
                        Clause::Select,
                        *pos,
                        "select * cannot be combined with group_by or aggregate functions",
                    ));
                }
                SelectItem::Include { pos, .. } | SelectItem::Exclude { pos, .. } => {
                    return Err(OdsqlError::new(
                        ErrorKind::Invalid,
                        Clause::Select,
                        *pos,
                        "include() and exclude() cannot be combined with group_by or aggregate functions",
                    ));
                }
                SelectItem::Expr { expr, alias } => {
                    let mut scope = Scope::new(schema, Clause::Select);
                    scope.grouping = Some(&mut grouping);
                    let (node, ty) = scope.expr(expr)?;
                    let name = alias.clone().unwrap_or_else(|| column_name(expr));
                    // `group_by=commune&select=commune, count(*)`: the key is already a column.
                    if let Some(i) = columns.iter().position(|c| c.name == name) {
                        if outputs[i] == node {
                            continue;
                        }
                    }
                    outputs.push(node);
                    columns.push(Column {
                        name,
                        value_type: ty,
                    });
                }
            }
        }
        let mut order = Vec::new();
        for o in &self.order_by {
            let mut scope = Scope::new(schema, Clause::OrderBy);
            scope.aliases = aliases;
            scope.grouping = Some(&mut grouping);
            order.push((scope.expr(&o.expr)?.0, o.desc));
        }
        Ok((
            Plan::Groups {
                keys,
                aggs: grouping.aggs,
                outputs,
                order,
            },
            columns,
        ))
    }

    /// A group key: its plan, type, canonical text (to match select expressions) and name.
    fn group_key(
        &self,
        schema: &Schema,
        aliases: &[(String, Expr)],
        item: &GroupItem,
    ) -> Result<(KeyPlan, ValueType, Option<String>, String)> {
        let invalid = |pos, m: String| OdsqlError::new(ErrorKind::Invalid, Clause::GroupBy, pos, m);
        let name = item.alias.clone();
        match &item.key {
            GroupKey::Expr(e) => {
                // `group_by=y` where the select says `year(date) AS y`.
                let (expr, name) = match &e.kind {
                    ExprKind::Field(f) if schema.index_of(f).is_none() => {
                        match aliases.iter().find(|(a, x)| a == f && !x.has_aggregate()) {
                            Some((a, x)) => (x, name.or(Some(a.clone()))),
                            None => (e, name),
                        }
                    }
                    _ => (e, name),
                };
                let (node, ty) = Scope::new(schema, Clause::GroupBy).expr(expr)?;
                let text = expr.to_string();
                let name = name.unwrap_or_else(|| column_name(expr));
                Ok((KeyPlan::Expr(node), ty, Some(text), name))
            }
            GroupKey::Range { pos, expr, bounds } => {
                let (node, ty) = Scope::new(schema, Clause::GroupBy).expr(expr)?;
                let name = name.unwrap_or_else(|| {
                    GroupItem {
                        key: item.key.clone(),
                        alias: None,
                    }
                    .to_string()
                });
                if !(ty.is_numeric() || ty.is_temporal()) {
                    return Err(invalid(
                        expr.pos,
                        format!("range() needs a number or a date, not {}", ty.name()),
                    ));
                }
                let constant = |e: &Expr, to: ValueType| -> Result<Value> {
                    match Scope::new(schema, Clause::GroupBy).expr(e)? {
                        (Node::Const(v), _) => coerce(&v, to).ok_or_else(|| {
                            invalid(e.pos, format!("expected a {} bound here", to.name()))
                        }),
                        _ => Err(invalid(e.pos, "expected a literal value here".to_owned())),
                    }
                };
                if let [
                    Some(Expr {
                        kind: ExprKind::Interval { value, unit },
                        pos: step_pos,
                    }),
                ] = bounds.as_slice()
                {
                    if !ty.is_temporal() {
                        return Err(invalid(
                            *step_pos,
                            format!(
                                "a range of {} needs a date or datetime field, not {}",
                                unit.name(),
                                ty.name()
                            ),
                        ));
                    }
                    if *value <= 0 || *value > 1_000_000 {
                        return Err(invalid(
                            *step_pos,
                            "a range step must be positive".to_owned(),
                        ));
                    }
                    return Ok((
                        KeyPlan::Interval {
                            node,
                            n: *value,
                            unit: *unit,
                            date: ty == ValueType::Date,
                        },
                        ty,
                        None,
                        name,
                    ));
                }
                if let [Some(step)] = bounds.as_slice() {
                    if !ty.is_numeric() {
                        return Err(invalid(
                            step.pos,
                            "a range step needs a numeric field; use year() or month() for dates, or bounds".to_owned(),
                        ));
                    }
                    let step = constant(step, ValueType::Float)?;
                    let positive = step.as_ref().as_f64().is_some_and(|s| s > 0.0);
                    if !positive {
                        return Err(invalid(*pos, "a range step must be positive".to_owned()));
                    }
                    let key_ty = if ty == ValueType::Int && matches!(step, Value::Int(_)) {
                        ValueType::Int
                    } else {
                        ValueType::Float
                    };
                    return Ok((KeyPlan::Step { node, step }, key_ty, None, name));
                }
                if bounds.len() < 2 {
                    return Err(invalid(
                        *pos,
                        "range() needs a step or at least two bounds".to_owned(),
                    ));
                }
                let mut values: Vec<Option<Value>> = Vec::with_capacity(bounds.len());
                for (i, b) in bounds.iter().enumerate() {
                    let v = b.as_ref().map(|b| constant(b, ty)).transpose()?;
                    if v.is_none() && i != 0 && i != bounds.len() - 1 {
                        return Err(invalid(
                            *pos,
                            "'*' can only be the first or the last bound".to_owned(),
                        ));
                    }
                    if let (Some(Some(prev)), Some(cur)) = (values.last(), &v) {
                        if compare(prev.as_ref(), cur.as_ref()) != Ordering::Less {
                            return Err(invalid(
                                *pos,
                                "range bounds must be increasing".to_owned(),
                            ));
                        }
                    }
                    values.push(v);
                }
                let labels = values
                    .windows(2)
                    .map(|w| {
                        let show = |v: &Option<Value>| v.as_ref().map_or("*".to_owned(), display);
                        format!("[{}, {}[", show(&w[0]), show(&w[1]))
                    })
                    .collect();
                Ok((
                    KeyPlan::Bounds {
                        node,
                        bounds: values,
                        labels,
                    },
                    ValueType::Text,
                    None,
                    name,
                ))
            }
        }
    }
}

/// A value as text in a range label.
fn display(v: &Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::Float(x) => x.to_string(),
        Value::Date(d) => d.to_string(),
        Value::DateTime(t) => t.to_string(),
        Value::Text(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_owned(),
        Value::Geo(p) => format!("{} {}", p.lon, p.lat),
    }
}

/// A column's default name: the field's name, or the canonical text of the expression
/// (`count(*)`, `year(date)`).
fn column_name(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Field(f) => f.clone(),
        _ => e.to_string(),
    }
}

/// A compiled `where` clause.
#[derive(Debug, Clone)]
pub struct Filter {
    node: Node,
}

impl Filter {
    /// Checks a parsed `where` expression against `schema`.
    pub fn new(expr: &Expr, schema: &Schema) -> Result<Filter> {
        Ok(Filter {
            node: Scope::new(schema, Clause::Where).condition(expr)?,
        })
    }

    /// Whether `record` passes the filter.
    pub fn matches<R: Record + ?Sized>(&self, record: &R) -> bool {
        test(&self.node, record)
    }

    /// The rows of `candidates` that pass the filter, evaluated column by column.
    pub fn select<C: Columns>(&self, cols: &C, candidates: &Bitmap) -> Bitmap {
        crate::columnar::select(&self.node, cols, candidates)
    }
}

/// Parses and checks a `where` clause.
pub fn compile_where(text: &str, schema: &Schema) -> Result<Filter> {
    Filter::new(&parse_where(text)?, schema)
}

/// An output column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The alias, the field name, or the canonical text of the expression.
    pub name: String,
    pub value_type: ValueType,
}

/// `offset` and `limit` (`None`: everything, as exports do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Page {
    pub offset: usize,
    pub limit: Option<usize>,
}

/// What a query returns.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultSet {
    /// Matching records, or groups for an aggregation.
    pub total_count: u64,
    /// The page of rows, one value per [`CompiledQuery::columns`] entry.
    pub rows: Vec<Vec<Value>>,
}

#[derive(Debug, Clone)]
pub(crate) enum KeyPlan {
    Expr(Node),
    /// `range(f, step)`: the lower bound of the bucket.
    Step {
        node: Node,
        step: Value,
    },
    /// `range(date, 3 months)`: the start of the bucket (buckets of whole units, counted from
    /// 1970-01-01, a Thursday — weeks start on Mondays).
    Interval {
        node: Node,
        n: i64,
        unit: IntervalUnit,
        /// A date field (the key is a date), not a datetime.
        date: bool,
    },
    /// `range(f, b0, b1, …)`: the index of the bucket `[b(i), b(i+1)[`, shown as its label.
    Bounds {
        node: Node,
        bounds: Vec<Option<Value>>,
        labels: Vec<String>,
    },
}

#[derive(Debug, Clone)]
enum Plan {
    Records {
        outputs: Vec<Node>,
        order: Vec<(Node, bool)>,
    },
    /// Outputs and order are evaluated over a group row: keys, then aggregates.
    Groups {
        keys: Vec<KeyPlan>,
        aggs: Vec<AggSpec>,
        outputs: Vec<Node>,
        order: Vec<(Node, bool)>,
    },
}

/// A query checked against a schema, ready to run.
#[derive(Debug, Clone)]
pub struct CompiledQuery {
    filter: Option<Filter>,
    columns: Vec<Column>,
    plan: Plan,
}

impl CompiledQuery {
    /// Parses and checks in one step.
    pub fn new(text: QueryText<'_>, schema: &Schema) -> Result<CompiledQuery> {
        Query::parse(text)?.compile(schema)
    }

    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    pub fn filter(&self) -> Option<&Filter> {
        self.filter.as_ref()
    }

    pub fn is_aggregation(&self) -> bool {
        matches!(self.plan, Plan::Groups { .. })
    }

    /// Whether `r` passes the filter (always, for records already filtered).
    fn keep<R: Record + ?Sized>(&self, r: &R, filtered: bool) -> bool {
        filtered || self.filter.as_ref().is_none_or(|f| f.matches(r))
    }

    /// Runs the query over `records` and returns one page.
    ///
    /// Without `order_by`, records keep their input order and only the page is materialised;
    /// with it, a bounded heap keeps the best `offset + limit` records. Aggregations group
    /// with a hash table (one allocation per new group, none per record) and are ordered by
    /// `order_by`, then by their keys.
    pub fn execute<I>(&self, records: I, page: Page) -> ResultSet
    where
        I: IntoIterator,
        I::Item: Record,
    {
        self.execute_rows(records, page, false)
    }

    /// Runs the query over a columnar source, on the rows of `candidates` (`None`: every
    /// row): the filter into a selection bitmap, then the columnar grouping or ordering
    /// where they apply, otherwise the row engine on the selected rows. Gives exactly what
    /// [`CompiledQuery::execute`] gives over the same rows.
    pub fn execute_columns<C: Columns>(
        &self,
        cols: &C,
        candidates: Option<Bitmap>,
        page: Page,
    ) -> ResultSet {
        let mut sel = candidates.unwrap_or_else(|| Bitmap::full(cols.len()));
        if let Some(f) = &self.filter {
            sel = f.select(cols, &sel);
        }
        let rows = |sel: &Bitmap| sel.ones().map(|r| cols.row(r)).collect::<Vec<_>>();
        match &self.plan {
            Plan::Records { outputs, order } if order.is_empty() => {
                let limit = page.limit.unwrap_or(usize::MAX);
                ResultSet {
                    total_count: sel.count() as u64,
                    rows: sel
                        .ones()
                        .skip(page.offset)
                        .take(limit)
                        .map(|r| project(outputs, &cols.row(r)))
                        .collect(),
                }
            }
            Plan::Records { outputs, order } => {
                let keep = page.limit.map(|l| page.offset.saturating_add(l));
                let fast = match order.as_slice() {
                    [(Node::Field(f), desc)] => {
                        crate::colgroups::top_k(cols, &sel, *f, *desc, keep)
                    }
                    _ => None,
                };
                match fast {
                    Some(best) => ResultSet {
                        total_count: sel.count() as u64,
                        rows: best
                            .into_iter()
                            .skip(page.offset)
                            .map(|r| project(outputs, &cols.row(r)))
                            .collect(),
                    },
                    None => self.sorted_records(rows(&sel), outputs, order, page, true),
                }
            }
            Plan::Groups {
                keys,
                aggs,
                outputs,
                order,
            } => {
                let acc = match crate::colgroups::groups(cols, &sel, keys, aggs) {
                    Some(acc) => acc,
                    None => self.groups(rows(&sel), keys, aggs, true),
                };
                finish_groups(acc, keys, aggs, outputs, order, page)
            }
        }
    }

    /// [`CompiledQuery::execute`] over records that passed the filter already when
    /// `filtered`.
    fn execute_rows<I>(&self, records: I, page: Page, filtered: bool) -> ResultSet
    where
        I: IntoIterator,
        I::Item: Record,
    {
        match &self.plan {
            Plan::Records { outputs, order } if order.is_empty() => {
                let mut total = 0u64;
                let mut rows = Vec::new();
                let limit = page.limit.unwrap_or(usize::MAX);
                for r in records {
                    if !self.keep(&r, filtered) {
                        continue;
                    }
                    if total >= page.offset as u64 && rows.len() < limit {
                        rows.push(project(outputs, &r));
                    }
                    total += 1;
                }
                ResultSet {
                    total_count: total,
                    rows,
                }
            }
            Plan::Records { outputs, order } => {
                self.sorted_records(records, outputs, order, page, filtered)
            }
            Plan::Groups {
                keys,
                aggs,
                outputs,
                order,
            } => {
                let acc = self.groups(records, keys, aggs, filtered);
                finish_groups(acc, keys, aggs, outputs, order, page)
            }
        }
    }

    fn sorted_records<I>(
        &self,
        records: I,
        outputs: &[Node],
        order: &[(Node, bool)],
        page: Page,
        filtered: bool,
    ) -> ResultSet
    where
        I: IntoIterator,
        I::Item: Record,
    {
        let desc: Vec<bool> = order.iter().map(|o| o.1).collect();
        let keep = page.limit.map(|l| page.offset.saturating_add(l));
        let mut heap: BinaryHeap<Entry<'_, I::Item>> = BinaryHeap::new();
        let mut total = 0u64;
        for r in records {
            if !self.keep(&r, filtered) {
                continue;
            }
            total += 1;
            if keep == Some(0) {
                continue;
            }
            let keys: Vec<Value> = order
                .iter()
                .map(|(n, _)| eval(n, &r).into_owned())
                .collect();
            let entry = Entry {
                keys,
                seq: total,
                rec: r,
                desc: &desc,
            };
            if let Some(k) = keep {
                if heap.len() >= k {
                    if heap.peek().is_some_and(|worst| entry < *worst) {
                        heap.pop();
                    } else {
                        continue;
                    }
                }
            }
            heap.push(entry);
        }
        let rows = heap
            .into_sorted_vec()
            .into_iter()
            .skip(page.offset)
            .map(|e| project(outputs, &e.rec))
            .collect();
        ResultSet {
            total_count: total,
            rows,
        }
    }

    /// Groups `records` with a hash table.
    fn groups<I>(&self, records: I, keys: &[KeyPlan], aggs: &[AggSpec], filtered: bool) -> Groups
    where
        I: IntoIterator,
        I::Item: Record,
    {
        let nk = keys.len();
        let hasher = RandomState::new();
        // hash → first group with that hash; `next` chains groups sharing a hash.
        let mut first: HashMap<u64, usize> = HashMap::new();
        let mut next: Vec<usize> = Vec::new();
        let mut group_keys: Vec<Value> = Vec::new();
        let mut states: Vec<AggState> = Vec::new();
        'records: for r in records {
            if !self.keep(&r, filtered) {
                continue;
            }
            let mut h = hasher.build_hasher();
            for k in keys {
                match key_value(k, &r) {
                    Some(v) => hash_value(v.get(), &mut h),
                    None => continue 'records,
                }
            }
            let hash = h.finish();
            let mut g = first.get(&hash).copied();
            while let Some(gi) = g {
                let same = keys.iter().enumerate().all(|(i, k)| {
                    key_value(k, &r)
                        .is_some_and(|v| equal(v.get(), group_keys[gi * nk + i].as_ref()))
                });
                if same {
                    break;
                }
                g = (next[gi] != usize::MAX).then_some(next[gi]);
            }
            let gi = match g {
                Some(gi) => gi,
                None => {
                    let gi = next.len();
                    group_keys.extend(
                        keys.iter()
                            .map(|k| key_value(k, &r).map_or(Value::Null, Ev::into_owned)),
                    );
                    states.extend(aggs.iter().map(AggState::new));
                    next.push(first.insert(hash, gi).unwrap_or(usize::MAX));
                    gi
                }
            };
            for (j, a) in aggs.iter().enumerate() {
                let v = a
                    .arg
                    .as_ref()
                    .map_or(Ev::Ref(ValueRef::Null), |n| eval(n, &r));
                states[gi * aggs.len() + j].add(a, v.get());
            }
        }
        Groups {
            n_groups: next.len(),
            keys: group_keys,
            states,
        }
    }
}

/// Accumulated groups: `keys` (one value per key and group) and `states` (one per aggregate
/// and group), group after group.
pub(crate) struct Groups {
    pub n_groups: usize,
    pub keys: Vec<Value>,
    pub states: Vec<AggState>,
}

/// Groups made rows: ordered by `order_by`, then by their keys, and paged.
fn finish_groups(
    acc: Groups,
    keys: &[KeyPlan],
    aggs: &[AggSpec],
    outputs: &[Node],
    order: &[(Node, bool)],
    page: Page,
) -> ResultSet {
    let nk = keys.len();
    let Groups {
        mut n_groups,
        keys: mut group_keys,
        mut states,
    } = acc;
    if nk == 0 && n_groups == 0 {
        // Aggregates over no records: one row (count 0, the others null).
        states.extend(aggs.iter().map(AggState::new));
        n_groups = 1;
    }
    let desc: Vec<bool> = order
        .iter()
        .map(|o| o.1)
        .chain(keys.iter().map(|_| false))
        .collect();
    let mut rows: Vec<(Vec<Value>, Vec<Value>)> = Vec::with_capacity(n_groups);
    let mut slots: Vec<Value> = Vec::with_capacity(nk + aggs.len());
    let mut state_iter = states.into_iter();
    for gi in 0..n_groups {
        slots.clear();
        // Groups sort by `order_by`, then by their raw keys (a range bucket by its index).
        let mut raw_keys: Vec<Value> = Vec::with_capacity(nk);
        for (i, k) in keys.iter().enumerate() {
            let raw = std::mem::replace(&mut group_keys[gi * nk + i], Value::Null);
            slots.push(match (k, &raw) {
                (KeyPlan::Bounds { labels, .. }, Value::Int(b)) => {
                    Value::Text(labels.get(*b as usize).cloned().unwrap_or_default())
                }
                _ => raw.clone(),
            });
            raw_keys.push(raw);
        }
        for a in aggs {
            let s = state_iter
                .next()
                .expect("one state per aggregate and group");
            slots.push(s.finish(a));
        }
        let mut sort: Vec<Value> = order
            .iter()
            .map(|(n, _)| eval(n, slots.as_slice()).into_owned())
            .collect();
        sort.extend(raw_keys);
        rows.push((sort, project(outputs, slots.as_slice())));
    }
    rows.sort_by(|a, b| compare_keys(&a.0, &b.0, &desc));
    let limit = page.limit.unwrap_or(usize::MAX);
    ResultSet {
        total_count: n_groups as u64,
        rows: rows
            .into_iter()
            .skip(page.offset)
            .take(limit)
            .map(|(_, row)| row)
            .collect(),
    }
}

fn project<R: Record + ?Sized>(outputs: &[Node], r: &R) -> Vec<Value> {
    outputs.iter().map(|n| eval(n, r).into_owned()).collect()
}

/// A group key's value for a record; `None` when a `range()` has no bucket for it.
pub(crate) fn key_value<'a, R: Record + ?Sized>(k: &'a KeyPlan, r: &'a R) -> Option<Ev<'a>> {
    match k {
        KeyPlan::Expr(n) => Some(eval(n, r)),
        KeyPlan::Interval {
            node,
            n,
            unit,
            date,
        } => {
            let ms = match eval(node, r).get() {
                ValueRef::Date(d) => d.to_datetime().millis(),
                ValueRef::DateTime(t) => t.millis(),
                _ => return Some(Ev::Ref(ValueRef::Null)),
            };
            let start = bucket_start(ms, *n, *unit);
            Some(Ev::Ref(if *date {
                ValueRef::Date(DateTime::from_millis(start).date())
            } else {
                ValueRef::DateTime(DateTime::from_millis(start))
            }))
        }
        KeyPlan::Step { node, step } => Some(Ev::Ref(match (eval(node, r).get(), step) {
            (ValueRef::Int(v), Value::Int(s)) => ValueRef::Int(v.div_euclid(*s).saturating_mul(*s)),
            (ValueRef::Null, _) => ValueRef::Null,
            (v, s) => {
                let (v, s) = (v.as_f64()?, s.as_ref().as_f64()?);
                ValueRef::Float((v / s).floor() * s)
            }
        })),
        KeyPlan::Bounds { node, bounds, .. } => {
            let v = eval(node, r);
            let v = v.get();
            if v.is_null() {
                return None;
            }
            let above = |b: &Option<Value>| {
                b.as_ref()
                    .is_none_or(|b| compare(v, b.as_ref()) != Ordering::Less)
            };
            let below = |b: &Option<Value>| {
                b.as_ref()
                    .is_none_or(|b| compare(v, b.as_ref()) == Ordering::Less)
            };
            bounds
                .windows(2)
                .position(|w| above(&w[0]) && below(&w[1]))
                .map(|i| Ev::Ref(ValueRef::Int(i as i64)))
        }
    }
}

/// The start (ms since the epoch, UTC) of the bucket of `n` `unit`s holding instant `ms`.
fn bucket_start(ms: i64, n: i64, unit: IntervalUnit) -> i64 {
    let fixed = |len: i64| {
        let w = len.saturating_mul(n).max(1);
        ms.div_euclid(w).saturating_mul(w)
    };
    match unit {
        IntervalUnit::Millisecond => fixed(1),
        IntervalUnit::Second => fixed(1000),
        IntervalUnit::Minute => fixed(60_000),
        IntervalUnit::Hour => fixed(3_600_000),
        IntervalUnit::Day => fixed(MS_PER_DAY),
        IntervalUnit::Week => {
            // 1970-01-05 was a Monday.
            let monday = 4 * MS_PER_DAY;
            let w = (7 * MS_PER_DAY).saturating_mul(n);
            (ms - monday).div_euclid(w).saturating_mul(w) + monday
        }
        IntervalUnit::Month | IntervalUnit::Quarter | IntervalUnit::Year => {
            let months = n.saturating_mul(match unit {
                IntervalUnit::Month => 1,
                IntervalUnit::Quarter => 3,
                _ => 12,
            });
            let (y, m, _) = civil_from_days(ms.div_euclid(MS_PER_DAY));
            let index = (y * 12 + i64::from(m) - 1).div_euclid(months) * months;
            let (y, m) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
            days_from_civil(y, m, 1) * MS_PER_DAY
        }
    }
}

/// Whether a field name matches an `include()`/`exclude()` pattern (`*`: any characters).
fn name_matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == name;
    };
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    for m in middle {
        match rest.find(m) {
            Some(i) => rest = &rest[i + m.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Sort keys, nulls last in both directions.
fn compare_keys(a: &[Value], b: &[Value], desc: &[bool]) -> Ordering {
    for ((x, y), d) in a.iter().zip(b).zip(desc) {
        let o = match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            _ => {
                let o = compare(x.as_ref(), y.as_ref());
                if *d { o.reverse() } else { o }
            }
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// A record waiting in the `order_by` heap; the greatest is the worst kept.
struct Entry<'d, R> {
    keys: Vec<Value>,
    seq: u64,
    rec: R,
    desc: &'d [bool],
}

impl<R> Ord for Entry<'_, R> {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_keys(&self.keys, &other.keys, self.desc).then(self.seq.cmp(&other.seq))
    }
}

impl<R> PartialOrd for Entry<'_, R> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<R> PartialEq for Entry<'_, R> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<R> Eq for Entry<'_, R> {}

/// The running state of one aggregate in one group.
#[derive(Debug)]
pub(crate) enum AggState {
    Count(u64),
    Sum {
        int: i64,
        exact: bool,
        float: f64,
        n: u64,
    },
    Avg {
        sum: f64,
        n: u64,
    },
    Extreme(Option<Value>),
    Values(Vec<f64>),
}

impl AggState {
    fn new(a: &AggSpec) -> AggState {
        match a.func {
            Function::Count => AggState::Count(0),
            Function::Sum => AggState::Sum {
                int: 0,
                exact: true,
                float: 0.0,
                n: 0,
            },
            Function::Avg => AggState::Avg { sum: 0.0, n: 0 },
            Function::Min | Function::Max => AggState::Extreme(None),
            _ => AggState::Values(Vec::new()),
        }
    }

    fn add(&mut self, a: &AggSpec, v: ValueRef<'_>) {
        match self {
            AggState::Count(n) => {
                if a.arg.is_none() || !v.is_null() {
                    *n += 1;
                }
            }
            AggState::Sum {
                int,
                exact,
                float,
                n,
            } => {
                let Some(x) = v.as_f64() else { return };
                *n += 1;
                *float += x;
                match v {
                    ValueRef::Int(i) if *exact => match int.checked_add(i) {
                        Some(s) => *int = s,
                        None => *exact = false,
                    },
                    _ => *exact = false,
                }
            }
            AggState::Avg { sum, n } => {
                if let Some(x) = v.as_f64() {
                    *sum += x;
                    *n += 1;
                }
            }
            AggState::Extreme(best) => {
                if v.is_null() {
                    return;
                }
                let better = match best {
                    None => true,
                    Some(b) => {
                        let o = compare(v, b.as_ref());
                        if a.func == Function::Min {
                            o == Ordering::Less
                        } else {
                            o == Ordering::Greater
                        }
                    }
                };
                if better {
                    *best = Some(v.to_owned());
                }
            }
            AggState::Values(values) => {
                if let Some(x) = v.as_f64() {
                    values.push(x);
                }
            }
        }
    }

    fn finish(self, a: &AggSpec) -> Value {
        match self {
            AggState::Count(n) => Value::Int(n as i64),
            AggState::Sum { n: 0, .. } | AggState::Avg { n: 0, .. } => Value::Null,
            AggState::Sum {
                int, exact, float, ..
            } => {
                if exact && a.result_type == ValueType::Int {
                    Value::Int(int)
                } else {
                    finite(float)
                }
            }
            AggState::Avg { sum, n } => finite(sum / n as f64),
            AggState::Extreme(v) => v.unwrap_or(Value::Null),
            AggState::Values(mut values) => {
                if values.is_empty() {
                    return Value::Null;
                }
                // The two values around the rank, as a full sort would place them.
                let rank = a.percentile / 100.0 * (values.len() - 1) as f64;
                let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
                let hi = hi.min(values.len() - 1);
                let (_, &mut x, above) = values.select_nth_unstable_by(lo, f64::total_cmp);
                let y = if hi == lo {
                    x
                } else {
                    above.iter().copied().min_by(f64::total_cmp).unwrap_or(x)
                };
                finite(x + (y - x) * (rank - lo as f64))
            }
        }
    }
}

fn finite(x: f64) -> Value {
    if x.is_finite() {
        Value::Float(x)
    } else {
        Value::Null
    }
}

/// The canonical text of a parsed query, clause by clause (absent clauses are `None`).
pub fn canonical_text(q: &Query) -> [Option<String>; 4] {
    let list = |s: String| (!s.is_empty()).then_some(s);
    [
        list(print_list(&q.select)),
        q.where_clause.as_ref().map(Expr::to_string),
        list(print_list(&q.group_by)),
        list(print_list(&q.order_by)),
    ]
}
