//! Resource paths and reads: entities, collections, navigation, expansion, paging.

use crate::model::{self, FEATURE_REL, Graph, Kind, Nav};
use crate::query::{Options, Record, Val};
use crate::validate::{self, Rules};
use crate::{Result, Sta, StaError, time};
use serde_json::{Map, Value, json};
use territoria_timeseries::Point;

/// An observation's address in the engine: datastream, time, and which of the
/// observations at that time (0: the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObsId {
    pub ds: i64,
    pub t: i64,
    pub k: u32,
}

impl ObsId {
    pub fn text(&self) -> String {
        if self.k == 0 {
            format!("{}_{}", self.ds, self.t)
        } else {
            format!("{}_{}_{}", self.ds, self.t, self.k)
        }
    }

    fn parse(s: &str) -> Option<ObsId> {
        let mut it = s.splitn(3, '_');
        let ds = it.next()?.parse().ok()?;
        let t = it.next()?.parse().ok()?;
        let k = match it.next() {
            Some(k) => k.parse().ok()?,
            None => 0,
        };
        Some(ObsId { ds, t, k })
    }
}

/// One entity: a stored one or an observation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ref {
    Ent(i64),
    Obs(ObsId, Point),
}

/// What a path names.
#[derive(Debug, Clone)]
pub enum Target {
    Entity(Kind, Ref),
    /// Entities of a kind: all of them, or those a parent's navigation property reaches.
    Collection(Kind, Option<(Ref, Nav)>),
    /// One property of an entity (`$value`: the bare value).
    Property(Kind, Ref, String, bool),
    /// `…/$ref`: the links only.
    Refs(Kind, Option<(Ref, Nav)>),
}

struct Seg<'a> {
    name: &'a str,
    id: Option<&'a str>,
}

fn segments(path: &str) -> Result<Vec<Seg<'_>>> {
    let bad = |message: String| StaError::Path {
        path: path.to_owned(),
        message,
    };
    let mut out = Vec::new();
    for s in path.split('/').filter(|s| !s.is_empty()) {
        match s.find('(') {
            Some(i) if s.ends_with(')') => out.push(Seg {
                name: &s[..i],
                id: Some(&s[i + 1..s.len() - 1]),
            }),
            Some(_) => return Err(bad(format!("`{s}`: the id has no closing `)`"))),
            None => out.push(Seg { name: s, id: None }),
        }
    }
    Ok(out)
}

impl Sta {
    /// Finds the entity of `kind` with the id as the URL writes it (`1`, `'5_1717…'`).
    pub(crate) fn find(&self, g: &Graph, kind: Kind, id: &str, path: &str) -> Result<Ref> {
        let not_found = || StaError::NotFound(format!("no {} with id {id}", kind.name()));
        if kind == Kind::Observation {
            let raw = id.trim_matches('\'');
            let oid = ObsId::parse(raw).ok_or_else(|| StaError::Path {
                path: path.to_owned(),
                message: format!("`{id}` is not an observation id ('datastream_time' expected)"),
            })?;
            if g.get_kind(Kind::Datastream, oid.ds).is_none() {
                return Err(not_found());
            }
            let pts = self.ts.range(oid.ds, oid.t, oid.t.saturating_add(1))?;
            let p = pts.get(oid.k as usize).copied().ok_or_else(not_found)?;
            return Ok(Ref::Obs(oid, p));
        }
        let n: i64 = id.parse().map_err(|_| StaError::Path {
            path: path.to_owned(),
            message: format!("`{id}` is not a {} id (a whole number)", kind.name()),
        })?;
        g.get_kind(kind, n).ok_or_else(not_found)?;
        Ok(Ref::Ent(n))
    }

    /// Where a single-valued navigation property leads, if anywhere.
    pub(crate) fn follow_one(&self, g: &Graph, r: &Ref, nav: Nav) -> Option<Ref> {
        match (r, nav) {
            (Ref::Obs(o, _), Nav::ObservationDatastream) => Some(Ref::Ent(o.ds)),
            (Ref::Obs(o, _), Nav::ObservationFeature) => {
                g.targets(o.ds, FEATURE_REL).first().map(|f| Ref::Ent(*f))
            }
            (Ref::Ent(id), n) => g.follow(*id, n).first().map(|i| Ref::Ent(*i)),
            _ => None,
        }
    }

    /// Resolves a resource path (`Things(1)/Datastreams`).
    pub fn resolve(&self, g: &Graph, path: &str) -> Result<Target> {
        let segs = segments(path)?;
        let bad = |message: String| StaError::Path {
            path: path.to_owned(),
            message,
        };
        let Some(first) = segs.first() else {
            return Err(bad("an entity set expected".into()));
        };
        let kind = Kind::from_set(first.name).ok_or_else(|| {
            let sets: Vec<&str> = Kind::ALL.iter().map(|k| k.set()).collect();
            bad(format!(
                "`{}` is not an entity set (known: {})",
                first.name,
                sets.join(", ")
            ))
        })?;
        let mut cur = match first.id {
            Some(id) => Target::Entity(kind, self.find(g, kind, id, path)?),
            None => Target::Collection(kind, None),
        };
        for s in &segs[1..] {
            cur = match cur {
                Target::Entity(kind, r) => {
                    if let Some(nav) = model::nav(kind, s.name) {
                        if nav.single() {
                            if s.id.is_some() {
                                return Err(bad(format!(
                                    "`{}` is one entity: no id after it",
                                    s.name
                                )));
                            }
                            match self.follow_one(g, &r, nav) {
                                Some(t) => Target::Entity(nav.target(), t),
                                None => {
                                    return Err(StaError::NotFound(format!(
                                        "this {} has no {}",
                                        kind.name(),
                                        s.name
                                    )));
                                }
                            }
                        } else if let Some(id) = s.id {
                            let t = self.find(g, nav.target(), id, path)?;
                            if !self.reaches(g, &r, nav, &t)? {
                                return Err(StaError::NotFound(format!(
                                    "{} {id} is not among this {}'s {}",
                                    nav.target().name(),
                                    kind.name(),
                                    s.name
                                )));
                            }
                            Target::Entity(nav.target(), t)
                        } else {
                            Target::Collection(nav.target(), Some((r, nav)))
                        }
                    } else if kind.properties().contains(&s.name) || s.name == "@iot.id" {
                        Target::Property(kind, r, s.name.to_owned(), false)
                    } else {
                        return Err(bad(format!(
                            "`{}` is neither a property nor a navigation property of {} (navigation: {})",
                            s.name,
                            kind.name(),
                            kind.navigations().join(", ")
                        )));
                    }
                }
                Target::Property(k, r, p, false) if s.name == "$value" => {
                    Target::Property(k, r, p, true)
                }
                Target::Collection(k, src) if s.name == "$ref" => Target::Refs(k, src),
                _ => return Err(bad(format!("nothing can follow before `{}`", s.name))),
            };
        }
        Ok(cur)
    }

    fn reaches(&self, g: &Graph, parent: &Ref, nav: Nav, child: &Ref) -> Result<bool> {
        Ok(match (parent, child) {
            (Ref::Ent(p), Ref::Ent(c)) => g.follow(*p, nav).contains(c),
            (Ref::Ent(p), Ref::Obs(o, _)) => match nav {
                Nav::Observations => o.ds == *p,
                Nav::FeatureObservations => g.targets(o.ds, FEATURE_REL).contains(p),
                _ => false,
            },
            _ => false,
        })
    }

    /// Answers a GET of `path` with the URL's query string.
    pub fn get(&self, base: &str, path: &str, query: &str) -> Result<Value> {
        let g = self.graph();
        let path = path.trim_matches('/');
        if path.is_empty() {
            return Ok(root(base));
        }
        let opts = Options::from_query(query)?;
        match self.resolve(&g, path)? {
            Target::Entity(kind, r) => self.entity(&g, base, kind, &r, &opts),
            Target::Collection(kind, src) => {
                let (items, count, next) =
                    self.collection(&g, base, kind, src.as_ref(), &opts, path)?;
                let mut m = Map::new();
                if let Some(n) = count {
                    m.insert("@iot.count".into(), json!(n));
                }
                if opts.data_array && kind == Kind::Observation {
                    m.insert("value".into(), data_array(base, items));
                } else {
                    m.insert("value".into(), Value::Array(items));
                }
                if let Some(next) = next {
                    m.insert("@iot.nextLink".into(), json!(next));
                }
                Ok(Value::Object(m))
            }
            Target::Refs(kind, src) => {
                let plain = Options {
                    select: Some(vec!["@iot.selfLink".into()]),
                    ..opts.clone()
                };
                let (items, count, next) =
                    self.collection(&g, base, kind, src.as_ref(), &plain, path)?;
                let mut m = Map::new();
                if let Some(n) = count {
                    m.insert("@iot.count".into(), json!(n));
                }
                m.insert("value".into(), Value::Array(items));
                if let Some(next) = next {
                    m.insert("@iot.nextLink".into(), json!(next));
                }
                Ok(Value::Object(m))
            }
            Target::Property(kind, r, p, bare) => {
                let e = self.entity(&g, base, kind, &r, &Options::default())?;
                let v = e.get(&p).cloned().unwrap_or(Value::Null);
                Ok(if bare { v } else { json!({ p: v }) })
            }
        }
    }

    /// One entity as JSON, with its links, `$select` and `$expand`.
    pub(crate) fn entity(
        &self,
        g: &Graph,
        base: &str,
        kind: Kind,
        r: &Ref,
        opts: &Options,
    ) -> Result<Value> {
        let mut m = Map::new();
        let self_link = format!("{base}/{}({})", kind.set(), id_text(r));
        m.insert("@iot.id".into(), id_json(r));
        m.insert("@iot.selfLink".into(), json!(self_link));
        match r {
            Ref::Ent(id) => {
                let e = g
                    .get(*id)
                    .ok_or_else(|| StaError::NotFound(format!("no entity {id}")))?;
                for p in kind.properties() {
                    if let Some(v) = e.body.get(*p) {
                        m.insert((*p).to_owned(), v.clone());
                    }
                }
                if kind == Kind::Datastream {
                    let ext = self.extent(*id)?;
                    let span =
                        ext.map(|(a, b)| json!(format!("{}/{}", time::format(a), time::format(b))));
                    m.insert("phenomenonTime".into(), span.clone().unwrap_or(Value::Null));
                    m.insert("resultTime".into(), span.unwrap_or(Value::Null));
                    let area = g
                        .targets(*id, FEATURE_REL)
                        .first()
                        .and_then(|f| g.get(*f))
                        .and_then(|f| f.body.get("feature").cloned());
                    m.insert("observedArea".into(), area.unwrap_or(Value::Null));
                }
            }
            Ref::Obs(o, p) => {
                let t = json!(time::format(p.t));
                m.insert("phenomenonTime".into(), t.clone());
                m.insert("resultTime".into(), t);
                m.insert("result".into(), json!(p.v));
                let rules = Rules::of(g.get(o.ds).and_then(|d| d.body.get("properties")));
                m.insert("resultQuality".into(), validate::reasons(p.flags, &rules));
            }
        }
        for n in kind.navigations() {
            m.insert(
                format!("{n}@iot.navigationLink"),
                json!(format!("{self_link}/{n}")),
            );
        }
        if let Some(sel) = &opts.select {
            m.retain(|k, _| {
                sel.iter()
                    .any(|s| s == k || k.strip_suffix("@iot.navigationLink") == Some(s.as_str()))
            });
        }
        for x in &opts.expand {
            let nav = model::nav(kind, &x.nav).ok_or_else(|| {
                StaError::Query(crate::QueryError {
                    parameter: "$expand".into(),
                    position: 1,
                    message: format!(
                        "`{}` is not a navigation property of {} (known: {})",
                        x.nav,
                        kind.name(),
                        kind.navigations().join(", ")
                    ),
                })
            })?;
            if nav.single() {
                let v = match self.follow_one(g, r, nav) {
                    Some(t) => self.entity(g, base, nav.target(), &t, &x.options)?,
                    None => Value::Null,
                };
                m.insert(x.nav.clone(), v);
            } else {
                let link = format!("{}({})/{}", kind.set(), id_text(r), x.nav);
                let (items, count, next) =
                    self.collection(g, base, nav.target(), Some(&(*r, nav)), &x.options, &link)?;
                if let Some(n) = count {
                    m.insert(format!("{}@iot.count", x.nav), json!(n));
                }
                m.insert(x.nav.clone(), Value::Array(items));
                if let Some(next) = next {
                    m.insert(format!("{}@iot.nextLink", x.nav), json!(next));
                }
            }
        }
        Ok(Value::Object(m))
    }

    /// A page of a collection: the entities, the count (when asked) and the next page's
    /// link (when there is one). `link_path` is the collection's path, for that link.
    pub(crate) fn collection(
        &self,
        g: &Graph,
        base: &str,
        kind: Kind,
        src: Option<&(Ref, Nav)>,
        opts: &Options,
        link_path: &str,
    ) -> Result<(Vec<Value>, Option<usize>, Option<String>)> {
        let mut refs: Vec<Ref> = if kind == Kind::Observation {
            let streams: Vec<i64> = match src {
                Some((Ref::Ent(d), Nav::Observations)) => vec![*d],
                Some((Ref::Ent(f), Nav::FeatureObservations)) => g.sources(*f, FEATURE_REL),
                Some(_) => Vec::new(),
                None => g.of_kind(Kind::Datastream).map(|(id, _)| id).collect(),
            };
            let (from, to) = opts
                .filter
                .as_ref()
                .map_or((i64::MIN, i64::MAX), |f| f.time_bounds());
            let mut out = Vec::new();
            for ds in streams {
                let pts = self.ts.range(ds, from, to)?;
                let mut k = 0u32;
                for (i, p) in pts.iter().enumerate() {
                    k = if i > 0 && pts[i - 1].t == p.t {
                        k + 1
                    } else {
                        0
                    };
                    out.push(Ref::Obs(ObsId { ds, t: p.t, k }, *p));
                }
            }
            out
        } else {
            match src {
                None => g.of_kind(kind).map(|(id, _)| Ref::Ent(id)).collect(),
                Some((Ref::Ent(p), nav)) => g.follow(*p, *nav).into_iter().map(Ref::Ent).collect(),
                Some(_) => Vec::new(),
            }
        };
        if let Some(f) = &opts.filter {
            refs.retain(|r| {
                f.eval(&Rec {
                    sta: self,
                    g,
                    kind,
                    r: *r,
                }) == Val::Bool(true)
            });
        }
        if !opts.orderby.is_empty() {
            let mut keyed: Vec<(Vec<Val>, Ref)> = refs
                .into_iter()
                .map(|r| {
                    let rec = Rec {
                        sta: self,
                        g,
                        kind,
                        r,
                    };
                    (opts.orderby.iter().map(|(p, _)| rec.field(p)).collect(), r)
                })
                .collect();
            keyed.sort_by(|(a, _), (b, _)| {
                for (i, (_, desc)) in opts.orderby.iter().enumerate() {
                    let o = a[i].order(&b[i]);
                    let o = if *desc { o.reverse() } else { o };
                    if o.is_ne() {
                        return o;
                    }
                }
                std::cmp::Ordering::Equal
            });
            refs = keyed.into_iter().map(|(_, r)| r).collect();
        }
        let total = refs.len();
        let top = opts.page();
        let page: Vec<Ref> = refs.into_iter().skip(opts.skip).take(top).collect();
        let mut items = Vec::with_capacity(page.len());
        for r in &page {
            items.push(self.entity(g, base, kind, r, opts_for_items(opts))?);
        }
        let next = (opts.skip + top < total).then(|| next_link(base, link_path, opts, top));
        Ok((items, opts.count.then_some(total), next))
    }
}

/// The options an item of a collection is rendered with (its `$select`, `$expand`).
fn opts_for_items(o: &Options) -> &Options {
    o
}

fn next_link(base: &str, path: &str, o: &Options, top: usize) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &o.raw {
        if k != "$skip" && k != "$top" {
            q.append_pair(k, v);
        }
    }
    q.append_pair("$top", &top.to_string());
    q.append_pair("$skip", &(o.skip + top).to_string());
    format!("{base}/{path}?{}", q.finish())
}

fn id_text(r: &Ref) -> String {
    match r {
        Ref::Ent(id) => id.to_string(),
        Ref::Obs(o, _) => format!("'{}'", o.text()),
    }
}

fn id_json(r: &Ref) -> Value {
    match r {
        Ref::Ent(id) => json!(id),
        Ref::Obs(o, _) => json!(o.text()),
    }
}

/// The observations of a page in the `dataArray` form, one block per datastream.
fn data_array(base: &str, items: Vec<Value>) -> Value {
    let mut blocks: Vec<(String, Vec<Value>)> = Vec::new();
    for it in items {
        let ds = it["@iot.id"]
            .as_str()
            .and_then(|s| s.split('_').next())
            .unwrap_or("")
            .to_owned();
        let row = json!([
            it["@iot.id"],
            it["phenomenonTime"],
            it["result"],
            it["resultQuality"]
        ]);
        match blocks.last_mut() {
            Some((d, rows)) if *d == ds => rows.push(row),
            _ => blocks.push((ds, vec![row])),
        }
    }
    Value::Array(
        blocks
            .into_iter()
            .map(|(ds, rows)| {
                json!({
                    "Datastream@iot.navigationLink": format!("{base}/Datastreams({ds})"),
                    "components": ["id", "phenomenonTime", "result", "resultQuality"],
                    "dataArray@iot.count": rows.len(),
                    "dataArray": rows,
                })
            })
            .collect(),
    )
}

/// What a filter or an ordering reads of an entity.
struct Rec<'a> {
    sta: &'a Sta,
    g: &'a Graph,
    kind: Kind,
    r: Ref,
}

impl Record for Rec<'_> {
    fn field(&self, path: &[String]) -> Val {
        let Some(head) = path.first() else {
            return Val::Null;
        };
        if head == "@iot.id" || head == "id" {
            return match &self.r {
                Ref::Ent(id) => Val::Num(*id as f64),
                Ref::Obs(o, _) => Val::Str(o.text()),
            };
        }
        if let Some(nav) = model::nav(self.kind, head) {
            if !nav.single() {
                return Val::Null;
            }
            return match self.sta.follow_one(self.g, &self.r, nav) {
                Some(r) => Rec {
                    sta: self.sta,
                    g: self.g,
                    kind: nav.target(),
                    r,
                }
                .field(&path[1..]),
                None => Val::Null,
            };
        }
        match &self.r {
            Ref::Obs(_, p) => match head.as_str() {
                "phenomenonTime" | "resultTime" => Val::Time(p.t),
                "result" => Val::Num(p.v),
                "resultQuality" => {
                    if p.flags == 0 {
                        Val::Null
                    } else {
                        Val::Num(f64::from(p.flags))
                    }
                }
                _ => Val::Null,
            },
            Ref::Ent(id) => {
                if self.kind == Kind::Datastream
                    && (head == "phenomenonTime" || head == "resultTime")
                {
                    return match self.sta.extent(*id) {
                        Ok(Some((a, _))) => Val::Time(a),
                        _ => Val::Null,
                    };
                }
                let Some(e) = self.g.get(*id) else {
                    return Val::Null;
                };
                let mut v = match e.body.get(head.as_str()) {
                    Some(v) => v,
                    None => return Val::Null,
                };
                for p in &path[1..] {
                    v = match v {
                        Value::Object(m) => match m.get(p.as_str()) {
                            Some(x) => x,
                            None => return Val::Null,
                        },
                        Value::Array(a) => match p.parse::<usize>().ok().and_then(|i| a.get(i)) {
                            Some(x) => x,
                            None => return Val::Null,
                        },
                        _ => return Val::Null,
                    };
                }
                Val::from_json(v)
            }
        }
    }
}

/// The service root: the entity sets and the server's settings.
pub fn root(base: &str) -> Value {
    let sets: Vec<Value> = Kind::ALL
        .iter()
        .map(|k| json!({"name": k.set(), "url": format!("{base}/{}", k.set())}))
        .collect();
    json!({
        "value": sets,
        "serverSettings": {
            "conformance": [
                "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
                "http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities",
                "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
                "http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete",
                "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array",
                "http://www.opengis.net/spec/iot_sensing/1.1/req/batch-request/batch-request",
            ],
        },
    })
}
