//! Writes: create (with deep insert), update, delete, observations one by one, the
//! `dataArray` extension and JSON batches. Entity writes are one transaction each;
//! observations go to the time-series engine after their entities are committed.

use crate::model::{self, Entity, FEATURE_REL, Graph, Kind, Nav};
use crate::read::{ObsId, Ref, Target};
use crate::validate::{self, Rules};
use crate::{Result, Sta, StaError, time};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use territoria_timeseries::{Obs, Point};

/// What a create answers: where the new entity is, and the entity.
#[derive(Debug, Clone)]
pub struct Created {
    pub location: String,
    pub body: Value,
}

/// An observation waiting for its datastream's transaction to commit.
struct Pending {
    ds: i64,
    t: i64,
    v: f64,
}

/// How a new entity hangs from the entity it is created under.
#[derive(Clone, Copy)]
enum Parent {
    /// The new entity links to the parent (`Datastream -Thing-> parent`).
    ChildLinks(&'static str, i64),
    /// The parent links to the new entity (`parent -Locations-> Location`).
    ParentLinks(&'static str, i64),
}

struct Tx<'c> {
    sql: rusqlite::Transaction<'c>,
    g: Graph,
    pending: Vec<Pending>,
    /// Things whose locations changed (a HistoricalLocation each, at the commit).
    moved: Vec<i64>,
}

impl Tx<'_> {
    fn insert(&mut self, kind: Kind, body: Map<String, Value>) -> Result<i64> {
        self.sql
            .prepare_cached("INSERT INTO sta_entities(kind, body) VALUES (?1, ?2)")?
            .execute(rusqlite::params![
                kind.name(),
                Value::Object(body.clone()).to_string()
            ])?;
        let id = self.sql.last_insert_rowid();
        self.g.entities.insert(id, Entity { kind, body });
        Ok(id)
    }

    fn update(&mut self, id: i64, body: Map<String, Value>) -> Result<()> {
        self.sql
            .prepare_cached("UPDATE sta_entities SET body = ?2 WHERE id = ?1")?
            .execute(rusqlite::params![
                id,
                Value::Object(body.clone()).to_string()
            ])?;
        if let Some(e) = self.g.entities.get_mut(&id) {
            e.body = body;
        }
        Ok(())
    }

    fn link(&mut self, from: i64, rel: &'static str, to: i64) -> Result<()> {
        self.sql
            .prepare_cached(
                "INSERT OR IGNORE INTO sta_links(from_id, rel, to_id) VALUES (?1, ?2, ?3)",
            )?
            .execute(rusqlite::params![from, rel, to])?;
        self.g.link(from, rel, to);
        Ok(())
    }

    fn unlink_all(&mut self, from: i64, rel: &'static str) -> Result<()> {
        self.sql
            .prepare_cached("DELETE FROM sta_links WHERE from_id = ?1 AND rel = ?2")?
            .execute(rusqlite::params![from, rel])?;
        for t in self.g.targets(from, rel) {
            self.g.unlink(from, rel, t);
        }
        Ok(())
    }

    /// Deletes an entity and what cannot live without it (a Thing's datastreams and
    /// historical locations, a sensor's or observed property's datastreams).
    fn delete(&mut self, id: i64) -> Result<()> {
        let Some(kind) = self.g.get(id).map(|e| e.kind) else {
            return Ok(());
        };
        let dependants: Vec<i64> = match kind {
            Kind::Thing => {
                let mut d = self
                    .g
                    .follow(id, model::nav(kind, "Datastreams").expect("nav"));
                d.extend(
                    self.g
                        .follow(id, model::nav(kind, "HistoricalLocations").expect("nav")),
                );
                d
            }
            Kind::Sensor | Kind::ObservedProperty => self
                .g
                .follow(id, model::nav(kind, "Datastreams").expect("nav")),
            _ => Vec::new(),
        };
        for d in dependants {
            self.delete(d)?;
        }
        self.sql
            .prepare_cached("DELETE FROM sta_entities WHERE id = ?1")?
            .execute([id])?;
        self.g.remove(id);
        Ok(())
    }

    /// Creates an entity of `kind` from `obj` (or finds the one `{"@iot.id": n}` names),
    /// with every entity nested in it. `at` is the JSON path for errors.
    fn create(
        &mut self,
        kind: Kind,
        obj: &Value,
        at: &str,
        parent: Option<Parent>,
    ) -> Result<Option<i64>> {
        let Some(m) = obj.as_object() else {
            return Err(StaError::body(
                at,
                format!("a {} object expected", kind.name()),
            ));
        };
        if kind == Kind::Observation {
            let ds = match parent {
                Some(Parent::ChildLinks("Datastream", ds)) => ds,
                _ => self.ref_of(
                    m.get("Datastream"),
                    Kind::Datastream,
                    &join(at, "Datastream"),
                )?,
            };
            let (t, v) = observation_point(m, at)?;
            if let Some(f) = m.get("FeatureOfInterest") {
                let fid = self
                    .create(
                        Kind::FeatureOfInterest,
                        f,
                        &join(at, "FeatureOfInterest"),
                        None,
                    )?
                    .expect("a feature has an id");
                self.unlink_all(ds, FEATURE_REL)?;
                self.link(ds, FEATURE_REL, fid)?;
            }
            self.pending.push(Pending { ds, t, v });
            return Ok(None);
        }
        if let Some(id) = m.get("@iot.id") {
            let id = id
                .as_i64()
                .filter(|id| self.g.get_kind(kind, *id).is_some())
                .ok_or_else(|| {
                    StaError::NotFound(format!(
                        "{}: no {} with id {id}",
                        join(at, "@iot.id"),
                        kind.name()
                    ))
                })?;
            self.hang(kind, id, parent)?;
            return Ok(Some(id));
        }
        let mut body = Map::new();
        let mut navs: Vec<(&str, &Value)> = Vec::new();
        for (k, v) in m {
            if k.contains("@iot.") {
                continue;
            }
            if kind.navigations().contains(&k.as_str()) {
                navs.push((k, v));
            } else if kind.properties().contains(&k.as_str()) {
                if kind == Kind::Datastream
                    && matches!(k.as_str(), "phenomenonTime" | "resultTime" | "observedArea")
                {
                    continue; // computed from the observations
                }
                body.insert(k.clone(), v.clone());
            } else {
                let mut known: Vec<&str> = kind.properties().to_vec();
                known.extend(kind.navigations());
                return Err(StaError::body(
                    join(at, k),
                    format!(
                        "not a property of {} (known: {})",
                        kind.name(),
                        known.join(", ")
                    ),
                ));
            }
        }
        check_properties(kind, &body, at, true)?;
        let id = self.insert(kind, body)?;
        self.hang(kind, id, parent)?;
        for (name, v) in navs {
            let nav = model::nav(kind, name).expect("listed navigation");
            let field = join(at, name);
            match nav {
                Nav::Out {
                    rel,
                    target,
                    many: false,
                } => {
                    let t = self.create(target, v, &field, None)?.expect("an entity");
                    self.unlink_all(id, rel)?;
                    self.link(id, rel, t)?;
                }
                Nav::Out {
                    rel,
                    target,
                    many: true,
                } => {
                    for (i, item) in array(v, &field)?.iter().enumerate() {
                        let t = self
                            .create(target, item, &format!("{field}[{i}]"), None)?
                            .expect("an entity");
                        self.link(id, rel, t)?;
                    }
                    if kind == Kind::Thing {
                        self.moved.push(id);
                    }
                }
                Nav::In { rel, target } => {
                    for (i, item) in array(v, &field)?.iter().enumerate() {
                        self.create(
                            target,
                            item,
                            &format!("{field}[{i}]"),
                            Some(Parent::ChildLinks(rel, id)),
                        )?;
                    }
                }
                Nav::Observations => {
                    for (i, item) in array(v, &field)?.iter().enumerate() {
                        self.create(
                            Kind::Observation,
                            item,
                            &format!("{field}[{i}]"),
                            Some(Parent::ChildLinks("Datastream", id)),
                        )?;
                    }
                }
                _ => {
                    return Err(StaError::body(field, "cannot be created from here"));
                }
            }
        }
        for (rel, what) in required_links(kind) {
            if self.g.targets(id, rel).is_empty() {
                return Err(StaError::body(
                    join(at, rel),
                    format!(
                        "a {} needs its {what} (an object, or {{\"@iot.id\": n}})",
                        kind.name()
                    ),
                ));
            }
        }
        Ok(Some(id))
    }

    fn hang(&mut self, kind: Kind, id: i64, parent: Option<Parent>) -> Result<()> {
        match parent {
            Some(Parent::ChildLinks(rel, p)) => {
                self.unlink_all(id, rel)?;
                self.link(id, rel, p)
            }
            Some(Parent::ParentLinks(rel, p)) => {
                self.link(p, rel, id)?;
                if kind == Kind::Location && self.g.get_kind(Kind::Thing, p).is_some() {
                    self.moved.push(p);
                }
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn ref_of(&self, v: Option<&Value>, kind: Kind, at: &str) -> Result<i64> {
        let id = v.and_then(|v| v.get("@iot.id")).ok_or_else(|| {
            StaError::body(
                at,
                format!("the {} expected, as {{\"@iot.id\": n}}", kind.name()),
            )
        })?;
        id.as_i64()
            .filter(|id| self.g.get_kind(kind, *id).is_some())
            .ok_or_else(|| StaError::NotFound(format!("{at}: no {} with id {id}", kind.name())))
    }

    /// A HistoricalLocation for each Thing whose locations changed; a feature of
    /// interest (from its Thing's location) for each datastream that receives
    /// observations without one.
    fn finish(&mut self) -> Result<()> {
        let now = json!(time::format(time::now()));
        let mut moved = std::mem::take(&mut self.moved);
        moved.sort_unstable();
        moved.dedup();
        for thing in moved {
            let locs = self.g.targets(thing, "Locations");
            if locs.is_empty() {
                continue;
            }
            let mut body = Map::new();
            body.insert("time".into(), now.clone());
            let hl = self.insert(Kind::HistoricalLocation, body)?;
            self.link(hl, "Thing", thing)?;
            for l in locs {
                self.link(hl, "Locations", l)?;
            }
        }
        let mut streams: Vec<i64> = self.pending.iter().map(|p| p.ds).collect();
        streams.sort_unstable();
        streams.dedup();
        for ds in streams {
            self.default_feature(ds)?;
        }
        Ok(())
    }

    fn default_feature(&mut self, ds: i64) -> Result<()> {
        if !self.g.targets(ds, FEATURE_REL).is_empty() {
            return Ok(());
        }
        let Some(thing) = self.g.targets(ds, "Thing").first().copied() else {
            return Ok(());
        };
        let Some(loc) = self.g.targets(thing, "Locations").first().copied() else {
            return Ok(());
        };
        let l = &self.g.get(loc).expect("linked location").body;
        let mut body = Map::new();
        for (to, from) in [
            ("name", "name"),
            ("description", "description"),
            ("encodingType", "encodingType"),
            ("feature", "location"),
        ] {
            body.insert(to.into(), l.get(from).cloned().unwrap_or(Value::Null));
        }
        let f = self.insert(Kind::FeatureOfInterest, body)?;
        self.link(ds, FEATURE_REL, f)
    }
}

fn required_links(kind: Kind) -> &'static [(&'static str, &'static str)] {
    match kind {
        Kind::Datastream => &[
            ("Thing", "Thing"),
            ("Sensor", "Sensor"),
            ("ObservedProperty", "ObservedProperty"),
        ],
        Kind::HistoricalLocation => &[("Thing", "Thing")],
        _ => &[],
    }
}

fn join(at: &str, k: &str) -> String {
    if at.is_empty() {
        k.to_owned()
    } else {
        format!("{at}.{k}")
    }
}

fn array<'v>(v: &'v Value, at: &str) -> Result<&'v Vec<Value>> {
    v.as_array()
        .ok_or_else(|| StaError::body(at, "an array expected"))
}

/// Checks the own properties of an entity (all required ones when `new`).
fn check_properties(kind: Kind, body: &Map<String, Value>, at: &str, new: bool) -> Result<()> {
    if new {
        for r in kind.required() {
            if body.get(*r).is_none_or(Value::is_null) {
                return Err(StaError::body(
                    join(at, r),
                    format!("a {} needs its {r}", kind.name()),
                ));
            }
        }
    }
    for (k, v) in body {
        let field = join(at, k);
        let ok = match k.as_str() {
            "name" | "description" | "encodingType" | "definition" | "observationType" => {
                v.is_string()
            }
            "properties" | "unitOfMeasurement" => v.is_object(),
            "time" => v.as_str().and_then(time::parse).is_some(),
            _ => true,
        };
        if !ok {
            let what = match k.as_str() {
                "properties" | "unitOfMeasurement" => "a JSON object",
                "time" => "an ISO 8601 instant",
                _ => "a text",
            };
            return Err(StaError::body(field, format!("{what} expected")));
        }
        if k == "properties" && kind == Kind::Datastream {
            Rules::check(v).map_err(|(f, m)| StaError::body(join(at, &f), m))?;
        }
    }
    Ok(())
}

/// An observation's time and numeric result.
fn observation_point(m: &Map<String, Value>, at: &str) -> Result<(i64, f64)> {
    let v = match m.get("result") {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        Some(Value::Bool(b)) => f64::from(u8::from(*b)),
        Some(other) => {
            return Err(StaError::body(
                join(at, "result"),
                format!("a number expected (results are stored as numbers), not {other}"),
            ));
        }
        None => {
            return Err(StaError::body(
                join(at, "result"),
                "an observation needs its result",
            ));
        }
    };
    let t = match m.get("phenomenonTime") {
        None | Some(Value::Null) => time::now(),
        Some(v) => instant(v, &join(at, "phenomenonTime"))?,
    };
    Ok((t, v))
}

fn instant(v: &Value, at: &str) -> Result<i64> {
    let s = v
        .as_str()
        .ok_or_else(|| StaError::body(at, "an ISO 8601 instant expected"))?;
    if s.contains('/') {
        return Err(StaError::body(
            at,
            format!("`{s}` is an interval: give the instant of the observation"),
        ));
    }
    time::parse(s).ok_or_else(|| StaError::body(at, format!("`{s}` is not an ISO 8601 instant")))
}

impl Sta {
    /// Runs `f` in one transaction on a copy of the graph; commits, swaps the copy in,
    /// then stores the observations it gathered.
    fn write<T>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<(T, Vec<ObsId>)> {
        let (out, pending) = {
            let mut conn = self.writer.lock().expect("writer poisoned");
            let g = (*self.graph()).clone();
            let sql = conn.transaction()?;
            let mut tx = Tx {
                sql,
                g,
                pending: Vec::new(),
                moved: Vec::new(),
            };
            let out = f(&mut tx)?;
            tx.finish()?;
            let Tx {
                sql, g, pending, ..
            } = tx;
            sql.commit()?;
            *self.graph.write().expect("graph poisoned") = Arc::new(g);
            (out, pending)
        };
        let ids = self.ingest(pending.into_iter().map(|p| (p.ds, p.t, p.v)).collect())?;
        Ok((out, ids))
    }

    /// Validates observations (each gets its flags, none is dropped) and appends them;
    /// returns their ids once they are on disk.
    fn ingest(&self, obs: Vec<(i64, i64, f64)>) -> Result<Vec<ObsId>> {
        if obs.is_empty() {
            return Ok(Vec::new());
        }
        let g = self.graph();
        let mut out = Vec::with_capacity(obs.len());
        let mut ids = Vec::with_capacity(obs.len());
        {
            let mut tails = self.tails.lock().expect("tails poisoned");
            let mut rules_of: foldhash::HashMap<i64, Rules> = Default::default();
            // (datastream, time) -> observations at that time in this batch
            let mut seen: foldhash::HashMap<(i64, i64), u32> = Default::default();
            for (i, (ds, t, v)) in obs.into_iter().enumerate() {
                if !v.is_finite() {
                    return Err(StaError::body(
                        format!("[{i}].result"),
                        "a finite number expected",
                    ));
                }
                let rules = *rules_of
                    .entry(ds)
                    .or_insert_with(|| Rules::of(g.get(ds).and_then(|d| d.body.get("properties"))));
                let mut tail = match tails.get(&ds) {
                    Some(t) => Some(*t),
                    None => match self.ts.latest(ds) {
                        Some(l) => {
                            let recent = self.ts.range(
                                ds,
                                l.t.saturating_sub(86_400_000),
                                l.t.saturating_add(1),
                            )?;
                            validate::tail_of(&recent)
                        }
                        None => None,
                    },
                };
                let in_batch = seen.get(&(ds, t)).copied().unwrap_or(0);
                let mut stored: Option<u32> = None;
                let flags = validate::check(&rules, &mut tail, t, v, |t| {
                    let n = self
                        .ts
                        .range(ds, t, t.saturating_add(1))
                        .map_or(0, |p| p.len() as u32);
                    stored = Some(n);
                    n + in_batch > 0
                });
                let k = if flags & territoria_timeseries::flag::DUPLICATE != 0 {
                    let n = match stored {
                        Some(n) => n,
                        None => self.ts.range(ds, t, t.saturating_add(1))?.len() as u32,
                    };
                    n + in_batch
                } else {
                    in_batch
                };
                if let Some(tl) = tail {
                    tails.insert(ds, tl);
                }
                *seen.entry((ds, t)).or_insert(0) += 1;
                out.push(Obs {
                    datastream: ds,
                    point: Point { t, v, flags },
                });
                ids.push(ObsId { ds, t, k });
            }
        }
        self.ts.append(out)?;
        Ok(ids)
    }

    /// Creates an entity in the collection `path` names (`Things`, `Things(1)/Datastreams`).
    pub fn post(&self, base: &str, path: &str, body: &Value) -> Result<Created> {
        let path = path.trim_matches('/');
        let g = self.graph();
        let (kind, parent) = match self.resolve(&g, path)? {
            Target::Collection(kind, None) => (kind, None),
            Target::Collection(kind, Some((Ref::Ent(p), nav))) => match nav {
                Nav::In { rel, .. } => (kind, Some(Parent::ChildLinks(rel, p))),
                Nav::Out {
                    rel, many: true, ..
                } => (kind, Some(Parent::ParentLinks(rel, p))),
                Nav::Observations => (kind, Some(Parent::ChildLinks("Datastream", p))),
                _ => {
                    return Err(StaError::Method(format!(
                        "cannot create entities at {path}"
                    )));
                }
            },
            _ => {
                return Err(StaError::Method(format!(
                    "POST creates entities in a collection; {path} is not one"
                )));
            }
        };
        drop(g);
        let (id, obs) = self.write(|tx| tx.create(kind, body, "", parent))?;
        let g = self.graph();
        let r = match (id, obs.first()) {
            (Some(id), _) => Ref::Ent(id),
            (None, Some(o)) => {
                let p = self
                    .ts
                    .range(o.ds, o.t, o.t + 1)?
                    .get(o.k as usize)
                    .copied()
                    .ok_or_else(|| {
                        StaError::Internal("an observation just written is not found".into())
                    })?;
                Ref::Obs(*o, p)
            }
            (None, None) => return Err(StaError::Internal("nothing was created".into())),
        };
        let body = self.entity(&g, base, kind, &r, &crate::Options::default())?;
        let location = body["@iot.selfLink"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        Ok(Created { location, body })
    }

    /// Changes the properties (and single links, and a Thing's locations) of one entity.
    pub fn patch(&self, base: &str, path: &str, body: &Value) -> Result<Value> {
        let path = path.trim_matches('/');
        let g = self.graph();
        let (kind, id) = match self.resolve(&g, path)? {
            Target::Entity(Kind::Observation, _) => {
                return Err(StaError::Method(
                    "observations are kept as they arrived (the time series is append-only): post a new one".into(),
                ));
            }
            Target::Entity(kind, Ref::Ent(id)) => (kind, id),
            _ => {
                return Err(StaError::Method(format!(
                    "PATCH changes one entity; {path} is not one"
                )));
            }
        };
        drop(g);
        let Some(m) = body.as_object() else {
            return Err(StaError::body(
                "",
                format!("a {} object expected", kind.name()),
            ));
        };
        self.write(|tx| {
            let mut own = tx.g.get(id).expect("resolved").body.clone();
            for (k, v) in m {
                if k.contains("@iot.") {
                    continue;
                }
                if let Some(nav) = model::nav(kind, k) {
                    match nav {
                        Nav::Out {
                            rel,
                            target,
                            many: false,
                        } => {
                            let t = tx.ref_of(Some(v), target, k)?;
                            tx.unlink_all(id, rel)?;
                            tx.link(id, rel, t)?;
                        }
                        Nav::Out {
                            rel,
                            target,
                            many: true,
                        } => {
                            let mut ts = Vec::new();
                            for (i, item) in array(v, k)?.iter().enumerate() {
                                ts.push(tx.ref_of(Some(item), target, &format!("{k}[{i}]"))?);
                            }
                            tx.unlink_all(id, rel)?;
                            for t in ts {
                                tx.link(id, rel, t)?;
                            }
                            if kind == Kind::Thing {
                                tx.moved.push(id);
                            }
                        }
                        _ => {
                            return Err(StaError::body(
                                k.clone(),
                                "this link is changed from the other side",
                            ));
                        }
                    }
                } else if kind.properties().contains(&k.as_str()) {
                    if v.is_null() && kind.required().contains(&k.as_str()) {
                        return Err(StaError::body(
                            k.clone(),
                            format!("a {} needs its {k}", kind.name()),
                        ));
                    }
                    own.insert(k.clone(), v.clone());
                } else {
                    return Err(StaError::body(
                        k.clone(),
                        format!("not a property of {}", kind.name()),
                    ));
                }
            }
            check_properties(kind, &own, "", false)?;
            tx.update(id, own)
        })?;
        let g = self.graph();
        self.entity(&g, base, kind, &Ref::Ent(id), &crate::Options::default())
    }

    /// Deletes one entity (and its dependants).
    pub fn delete(&self, path: &str) -> Result<()> {
        let path = path.trim_matches('/');
        let g = self.graph();
        let id = match self.resolve(&g, path)? {
            Target::Entity(Kind::Observation, _) => {
                return Err(StaError::Method(
                    "observations are kept as they arrived (the time series is append-only)".into(),
                ));
            }
            Target::Entity(_, Ref::Ent(id)) => id,
            _ => {
                return Err(StaError::Method(format!(
                    "DELETE removes one entity; {path} is not one"
                )));
            }
        };
        drop(g);
        self.write(|tx| tx.delete(id))?;
        self.tails.lock().expect("tails poisoned").remove(&id);
        Ok(())
    }

    /// The `dataArray` extension (`CreateObservations`): blocks of rows per datastream.
    /// The whole request is refused (400, naming the block, row and component) or
    /// stored; answers the new observations' links in order.
    pub fn create_observations(&self, base: &str, body: &Value) -> Result<Vec<String>> {
        let blocks = body
            .as_array()
            .ok_or_else(|| StaError::body("", "an array of dataArray blocks expected"))?;
        let g = self.graph();
        let mut obs: Vec<(i64, i64, f64)> = Vec::new();
        let mut features: Vec<(i64, i64)> = Vec::new();
        for (b, block) in blocks.iter().enumerate() {
            let at = format!("[{b}]");
            let ds_v = block.get("Datastream").and_then(|d| d.get("@iot.id"));
            let ds = ds_v.and_then(Value::as_i64).ok_or_else(|| {
                StaError::body(
                    format!("{at}.Datastream"),
                    "the datastream expected, as {\"@iot.id\": n}",
                )
            })?;
            if g.get_kind(Kind::Datastream, ds).is_none() {
                return Err(StaError::NotFound(format!(
                    "{at}.Datastream: no Datastream with id {ds}"
                )));
            }
            let comps = block
                .get("components")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    StaError::body(
                        format!("{at}.components"),
                        "an array of component names expected",
                    )
                })?;
            let (mut ti, mut ri, mut fi) = (None, None, None);
            for (i, c) in comps.iter().enumerate() {
                match c.as_str() {
                    Some("phenomenonTime") => ti = Some(i),
                    Some("result") => ri = Some(i),
                    Some("FeatureOfInterest/id") => fi = Some(i),
                    Some("resultTime" | "id" | "parameters" | "validTime" | "resultQuality") => {}
                    _ => {
                        return Err(StaError::body(
                            format!("{at}.components[{i}]"),
                            format!(
                                "{c} is not a component (phenomenonTime, result, resultTime, FeatureOfInterest/id)"
                            ),
                        ));
                    }
                }
            }
            let ri = ri.ok_or_else(|| {
                StaError::body(
                    format!("{at}.components"),
                    "the result component is missing",
                )
            })?;
            let rows = block
                .get("dataArray")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    StaError::body(format!("{at}.dataArray"), "an array of rows expected")
                })?;
            obs.reserve(rows.len());
            for (r, row) in rows.iter().enumerate() {
                let row_at = format!("{at}.dataArray[{r}]");
                let cells = row
                    .as_array()
                    .filter(|c| c.len() == comps.len())
                    .ok_or_else(|| {
                        StaError::body(&row_at, format!("a row of {} values expected", comps.len()))
                    })?;
                let v = match &cells[ri] {
                    Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
                    Value::Bool(b) => f64::from(u8::from(*b)),
                    other => {
                        return Err(StaError::body(
                            format!("{row_at}[{ri}]"),
                            format!("a number expected, not {other}"),
                        ));
                    }
                };
                let t = match ti {
                    Some(i) => instant(&cells[i], &format!("{row_at}[{i}]"))?,
                    None => time::now(),
                };
                if let Some(i) = fi {
                    let f = cells[i].as_i64().ok_or_else(|| {
                        StaError::body(format!("{row_at}[{i}]"), "a FeatureOfInterest id expected")
                    })?;
                    if g.get_kind(Kind::FeatureOfInterest, f).is_none() {
                        return Err(StaError::NotFound(format!(
                            "{row_at}[{i}]: no FeatureOfInterest with id {f}"
                        )));
                    }
                    if features.last() != Some(&(ds, f)) {
                        features.push((ds, f));
                    }
                }
                obs.push((ds, t, v));
            }
        }
        // Features: a datastream without one takes the first named, or its Thing's location.
        let mut streams: Vec<i64> = obs.iter().map(|o| o.0).collect();
        streams.sort_unstable();
        streams.dedup();
        let needs: Vec<i64> = streams
            .into_iter()
            .filter(|d| g.targets(*d, FEATURE_REL).is_empty())
            .collect();
        drop(g);
        if !needs.is_empty() {
            self.write(|tx| {
                for ds in needs {
                    match features.iter().find(|(d, _)| *d == ds) {
                        Some((_, f)) => tx.link(ds, FEATURE_REL, *f)?,
                        None => tx.default_feature(ds)?,
                    }
                }
                Ok(())
            })?;
        }
        let ids = self.ingest(obs)?;
        Ok(ids
            .into_iter()
            .map(|o| format!("{base}/Observations('{}')", o.text()))
            .collect())
    }

    /// A JSON batch (`{"requests": [{id, method, url, body}]}`): each request is
    /// answered in order, each write in its own transaction.
    pub fn batch(&self, base: &str, body: &Value) -> Result<Value> {
        let reqs = body
            .get("requests")
            .and_then(Value::as_array)
            .ok_or_else(|| StaError::body("requests", "an array of requests expected"))?;
        let mut out = Vec::new();
        for (i, r) in reqs.iter().enumerate() {
            let id = r.get("id").cloned().unwrap_or(json!(i.to_string()));
            let method = r
                .get("method")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_ascii_lowercase();
            let url = r.get("url").and_then(Value::as_str).ok_or_else(|| {
                StaError::body(format!("requests[{i}].url"), "the request's URL expected")
            })?;
            let url = url
                .strip_prefix(base)
                .unwrap_or(url)
                .trim_start_matches('/');
            let (path, query) = url.split_once('?').unwrap_or((url, ""));
            let empty = Value::Null;
            let b = r.get("body").unwrap_or(&empty);
            let answer = match method.as_str() {
                "get" => self.get(base, path, query).map(|v| (200, v, None)),
                "post" if path == "CreateObservations" => self
                    .create_observations(base, b)
                    .map(|v| (201, json!(v), None)),
                "post" => self
                    .post(base, path, b)
                    .map(|c| (201, c.body, Some(c.location))),
                "patch" => self.patch(base, path, b).map(|v| (200, v, None)),
                "delete" => self.delete(path).map(|()| (200, Value::Null, None)),
                other => Err(StaError::body(
                    format!("requests[{i}].method"),
                    format!("`{other}`: get, post, patch or delete expected"),
                )),
            };
            out.push(match answer {
                Ok((status, body, location)) => {
                    let mut m = json!({"id": id, "status": status, "body": body});
                    if let Some(l) = location {
                        m["headers"] = json!({"location": l});
                    }
                    m
                }
                Err(e) => json!({"id": id, "status": e.status(), "body": {"error": {"message": e.to_string()}}}),
            });
        }
        Ok(json!({"responses": out}))
    }
}

impl StaError {
    /// The HTTP status this error stands for.
    pub fn status(&self) -> u16 {
        match self {
            StaError::Query(_) | StaError::Path { .. } | StaError::Body { .. } => 400,
            StaError::NotFound(_) => 404,
            StaError::Method(_) => 405,
            StaError::Internal(_) => 500,
        }
    }
}
