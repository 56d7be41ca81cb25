use std::collections::{BTreeMap, HashMap, HashSet};

use roaring::RoaringBitmap;
use serde::Serialize;
use territoria_magnet_query::{CmpOp, Field, Query, Target, Value};
use territoria_model::{EntityKind, Labels, suggest};
use territoria_store::{ScanItem, Store, StoreError};

struct EntityInfo {
    kind: EntityKind,
    key: String,
    name: String,
    /// Lower-cased names and descriptions, for text terms.
    text: String,
    demo: bool,
    /// ISO date (founding, start), compared as text.
    date: Option<String>,
    employees: Option<u32>,
}

struct ConceptInfo {
    scheme: String,
    notation: String,
    labels: Labels,
    broader: Option<u32>,
}

/// The in-memory facet index. See the crate documentation for its layout.
pub struct Index {
    entities: Vec<EntityInfo>,
    by_key: HashMap<(EntityKind, String), u32>,
    by_kind: HashMap<EntityKind, RoaringBitmap>,
    /// Entity numbers sorted by name (then key): the order of result pages.
    by_name: Vec<u32>,
    concepts: Vec<ConceptInfo>,
    concept_by_code: HashMap<(String, String), u32>,
    children: Vec<Vec<u32>>,
    /// Top-level concepts of each scheme.
    roots: BTreeMap<String, Vec<u32>>,
    tagged: Vec<RoaringBitmap>,
    related: HashMap<(String, u32), RoaringBitmap>,
    related_any: HashMap<String, RoaringBitmap>,
    /// Objects of each relation kind.
    objects: HashMap<String, RoaringBitmap>,
    parts: HashMap<u32, Vec<u32>>,
    /// Start date of the relations that have one, for counts at a past date.
    since: HashMap<(String, u32, u32), String>,
}

/// A query the index cannot answer: unknown codes, with the closest valid ones.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EvalError {
    #[error("unknown concept `{scheme}:{notation}`{}", did_you_mean(.suggestions))]
    UnknownConcept {
        scheme: String,
        notation: String,
        suggestions: Vec<String>,
    },
    #[error("unknown entity `{kind}/{key}`")]
    UnknownEntity { kind: String, key: String },
    #[error("unknown kind `{0}`")]
    UnknownKind(String),
    #[error("unknown scheme `{scheme}` for facets{}", did_you_mean(.suggestions))]
    UnknownScheme {
        scheme: String,
        suggestions: Vec<String>,
    },
}

fn did_you_mean(s: &[String]) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", s.join(", "))
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FacetValue {
    pub notation: String,
    pub labels: Labels,
    pub count: u64,
    /// `selected`, `excluded`, or absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<&'static str>,
    /// Whether the value has narrower values to refine into.
    pub narrower: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Facet {
    pub scheme: String,
    /// The value whose narrower values are listed (one level below the refinement).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Number of values with a non-zero count (before the limit).
    pub values_total: u64,
    pub values: Vec<FacetValue>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Member {
    pub kind: EntityKind,
    pub id: String,
    pub name: String,
    pub demo: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SearchResult {
    pub total: u64,
    pub members: Vec<Member>,
    pub facets: Vec<Facet>,
}

fn kind_named(s: &str) -> Result<EntityKind, EvalError> {
    EntityKind::parse(s).ok_or_else(|| EvalError::UnknownKind(s.to_owned()))
}

impl Index {
    /// Builds the index from the store's bulk scan.
    pub fn build(store: &dyn Store) -> Result<Index, StoreError> {
        let mut idx = Index {
            entities: Vec::new(),
            by_key: HashMap::new(),
            by_kind: HashMap::new(),
            by_name: Vec::new(),
            concepts: Vec::new(),
            concept_by_code: HashMap::new(),
            children: Vec::new(),
            roots: BTreeMap::new(),
            tagged: Vec::new(),
            related: HashMap::new(),
            related_any: HashMap::new(),
            objects: HashMap::new(),
            parts: HashMap::new(),
            since: HashMap::new(),
        };
        let mut concept_num: HashMap<i64, u32> = HashMap::new();
        let mut broader_ids: Vec<Option<i64>> = Vec::new();
        let mut entity_num: HashMap<i64, u32> = HashMap::new();
        let mut raw_tags: Vec<(u32, u32)> = Vec::new();
        let mut relations: Vec<(u32, String, u32, Option<String>)> = Vec::new();
        store.scan(&mut |item| {
            match item {
                ScanItem::Concept {
                    id,
                    scheme,
                    notation,
                    broader,
                    labels,
                } => {
                    let n = idx.concepts.len() as u32;
                    concept_num.insert(id, n);
                    broader_ids.push(broader);
                    idx.concept_by_code
                        .insert((scheme.clone(), notation.clone()), n);
                    idx.concepts.push(ConceptInfo {
                        scheme,
                        notation,
                        labels,
                        broader: None,
                    });
                }
                ScanItem::Entity {
                    id,
                    kind,
                    key,
                    name,
                    description,
                    demo,
                    date,
                    employees,
                } => {
                    let n = idx.entities.len() as u32;
                    entity_num.insert(id, n);
                    let mut text = String::new();
                    for l in name.0.values().chain(description.0.values()) {
                        text.push_str(&l.to_lowercase());
                        text.push(' ');
                    }
                    idx.by_key.insert((kind, key.clone()), n);
                    idx.by_kind.entry(kind).or_default().insert(n);
                    idx.entities.push(EntityInfo {
                        kind,
                        key,
                        name: name.main().to_owned(),
                        text,
                        demo,
                        date,
                        employees,
                    });
                }
                ScanItem::Tag { entity, concept } => {
                    if let (Some(e), Some(c)) = (entity_num.get(&entity), concept_num.get(&concept))
                    {
                        raw_tags.push((*e, *c));
                    }
                }
                ScanItem::Relation {
                    subject,
                    kind,
                    object,
                    since,
                } => {
                    if let (Some(s), Some(o)) = (entity_num.get(&subject), entity_num.get(&object))
                    {
                        relations.push((*s, kind, *o, since));
                    }
                }
            }
            Ok(())
        })?;
        let n = idx.concepts.len();
        idx.children = vec![Vec::new(); n];
        for (i, b) in broader_ids.iter().enumerate() {
            let b = b.and_then(|b| concept_num.get(&b).copied());
            idx.concepts[i].broader = b;
            match b {
                Some(p) => idx.children[p as usize].push(i as u32),
                None => idx
                    .roots
                    .entry(idx.concepts[i].scheme.clone())
                    .or_default()
                    .push(i as u32),
            }
        }
        // Fold the hierarchy in: an entity tagged 62.010 is in 62.01, 62.0, 62 and J.
        let mut tagged: Vec<Vec<u32>> = vec![Vec::new(); n];
        for (e, c) in raw_tags {
            let mut cur = Some(c);
            let mut guard = 0;
            while let Some(k) = cur {
                tagged[k as usize].push(e);
                cur = idx.concepts[k as usize].broader;
                guard += 1;
                if guard > 32 {
                    break;
                }
            }
        }
        idx.tagged = tagged
            .into_iter()
            .map(|mut v| {
                v.sort_unstable();
                v.dedup();
                RoaringBitmap::from_sorted_iter(v).expect("sorted")
            })
            .collect();
        for (s, kind, o, since) in relations {
            if kind == "part_of" {
                idx.parts.entry(o).or_default().push(s);
            }
            if let Some(d) = since {
                idx.since.insert((kind.clone(), s, o), d);
            }
            idx.related.entry((kind.clone(), o)).or_default().insert(s);
            idx.related_any.entry(kind.clone()).or_default().insert(s);
            idx.objects.entry(kind).or_default().insert(o);
        }
        let mut order: Vec<u32> = (0..idx.entities.len() as u32).collect();
        order.sort_by(|a, b| {
            let (x, y) = (&idx.entities[*a as usize], &idx.entities[*b as usize]);
            x.name.cmp(&y.name).then_with(|| x.key.cmp(&y.key))
        });
        idx.by_name = order;
        Ok(idx)
    }

    /// The key of entity number `n` (as returned in bitmaps).
    pub fn key_of(&self, n: u32) -> &str {
        &self.entities[n as usize].key
    }

    pub fn len(&self) -> usize {
        self.entities.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
    }

    /// All entities of a kind: the universe a magnet searches in.
    pub fn universe(&self, kind: EntityKind) -> RoaringBitmap {
        self.by_kind.get(&kind).cloned().unwrap_or_default()
    }

    fn concept(&self, scheme: &str, notation: &str) -> Result<u32, EvalError> {
        self.concept_by_code
            .get(&(scheme.to_owned(), notation.to_owned()))
            .copied()
            .ok_or_else(|| {
                let candidates = self
                    .concepts
                    .iter()
                    .filter(|c| c.scheme == scheme)
                    .map(|c| c.notation.as_str());
                let mut suggestions = suggest::closest(notation, candidates, 3);
                if suggestions.is_empty() && !self.roots.contains_key(scheme) {
                    suggestions =
                        suggest::closest(scheme, self.roots.keys().map(String::as_str), 3)
                            .into_iter()
                            .map(|s| format!("{s}:{notation}"))
                            .collect();
                }
                EvalError::UnknownConcept {
                    scheme: scheme.to_owned(),
                    notation: notation.to_owned(),
                    suggestions,
                }
            })
    }

    /// Entities that are `target` or part of it (transitively): a call of a programme.
    fn with_parts(&self, target: u32) -> Vec<u32> {
        let mut out = vec![target];
        let mut seen: HashSet<u32> = HashSet::from([target]);
        let mut i = 0;
        while i < out.len() {
            if let Some(p) = self.parts.get(&out[i]) {
                for x in p {
                    if seen.insert(*x) {
                        out.push(*x);
                    }
                }
            }
            i += 1;
        }
        out
    }

    fn subjects_of(&self, kind: &str, objects: impl IntoIterator<Item = u32>) -> RoaringBitmap {
        let mut out = RoaringBitmap::new();
        for o in objects {
            if let Some(b) = self.related.get(&(kind.to_owned(), o)) {
                out |= b;
            }
        }
        out
    }

    /// Evaluates `q` within `universe`.
    pub fn eval(&self, q: &Query, universe: &RoaringBitmap) -> Result<RoaringBitmap, EvalError> {
        self.eval_at(q, universe, None)
    }

    /// The members `q` had on date `at` (ISO `YYYY-MM-DD`): entities that existed then
    /// (founded or started on or before it, or undated) and relations that had started
    /// (or carry no start date). Tags are taken as they are now.
    pub fn members_at(
        &self,
        q: &Query,
        kind: EntityKind,
        at: &str,
    ) -> Result<RoaringBitmap, EvalError> {
        let universe: RoaringBitmap = self
            .universe(kind)
            .iter()
            .filter(|n| {
                self.entities[*n as usize]
                    .date
                    .as_deref()
                    .is_none_or(|d| d <= at)
            })
            .collect();
        self.eval_at(q, &universe, Some(at))
    }

    fn eval_at(
        &self,
        q: &Query,
        universe: &RoaringBitmap,
        at: Option<&str>,
    ) -> Result<RoaringBitmap, EvalError> {
        Ok(match q {
            Query::All => universe.clone(),
            Query::Concept { scheme, notation } => {
                &self.tagged[self.concept(scheme, notation)? as usize] & universe
            }
            Query::Relation { kind, target } => {
                let subjects = match target {
                    Target::Any => self.related_any.get(kind).cloned().unwrap_or_default(),
                    Target::Entity { kind: ek, key } => {
                        let k = kind_named(ek)?;
                        let o = *self.by_key.get(&(k, key.clone())).ok_or_else(|| {
                            EvalError::UnknownEntity {
                                kind: ek.clone(),
                                key: key.clone(),
                            }
                        })?;
                        self.subjects_of(kind, self.with_parts(o))
                    }
                    Target::Kind { kind: ek } => {
                        let k = kind_named(ek)?;
                        let objects = self.objects.get(kind).cloned().unwrap_or_default()
                            & self.by_kind.get(&k).cloned().unwrap_or_default();
                        self.subjects_of(kind, objects)
                    }
                    Target::Concept { scheme, notation } => {
                        let objects = self.objects.get(kind).cloned().unwrap_or_default()
                            & &self.tagged[self.concept(scheme, notation)? as usize];
                        self.subjects_of(kind, objects)
                    }
                };
                match at {
                    Some(date) => self.started_by(kind, subjects & universe, target, date),
                    None => subjects & universe,
                }
            }
            Query::Compare {
                field,
                cmp: op,
                value,
            } => universe
                .iter()
                .filter(|n| self.compare(*n, field, op, value))
                .collect(),
            Query::Text { text: t } => {
                let words: Vec<String> = t.split_whitespace().map(str::to_lowercase).collect();
                universe
                    .iter()
                    .filter(|n| {
                        let text = &self.entities[*n as usize].text;
                        words.iter().all(|w| text.contains(w.as_str()))
                    })
                    .collect()
            }
            Query::And { terms: parts } => {
                let mut acc = universe.clone();
                for p in parts {
                    acc &= self.eval_at(p, &acc, at)?;
                    if acc.is_empty() {
                        break;
                    }
                }
                acc
            }
            Query::Or { terms: parts } => {
                let mut acc = RoaringBitmap::new();
                for p in parts {
                    acc |= self.eval_at(p, universe, at)?;
                }
                acc
            }
            Query::Not { term: inner } => universe - self.eval_at(inner, universe, at)?,
        })
    }

    /// Keeps the subjects with at least one `kind` relation to a matching target that had
    /// started by `date` (undated relations count as always there).
    fn started_by(
        &self,
        kind: &str,
        subjects: RoaringBitmap,
        target: &Target,
        date: &str,
    ) -> RoaringBitmap {
        let objects: Option<HashSet<u32>> = match target {
            Target::Entity { kind: ek, key } => EntityKind::parse(ek)
                .and_then(|k| self.by_key.get(&(k, key.clone())))
                .map(|o| self.with_parts(*o).into_iter().collect()),
            Target::Kind { kind: ek } => EntityKind::parse(ek).map(|k| {
                self.by_kind
                    .get(&k)
                    .map(|b| b.iter().collect())
                    .unwrap_or_default()
            }),
            Target::Concept { scheme, notation } => self
                .concept(scheme, notation)
                .ok()
                .map(|c| self.tagged[c as usize].iter().collect()),
            Target::Any => None,
        };
        let related = self.objects.get(kind).cloned().unwrap_or_default();
        subjects
            .iter()
            .filter(|s| {
                related.iter().any(|o| {
                    objects.as_ref().is_none_or(|set| set.contains(&o))
                        && self
                            .related
                            .get(&(kind.to_owned(), o))
                            .is_some_and(|b| b.contains(*s))
                        && self
                            .since
                            .get(&(kind.to_owned(), *s, o))
                            .is_none_or(|d| d.as_str() <= date)
                })
            })
            .collect()
    }

    fn compare(&self, n: u32, field: &Field, op: &CmpOp, value: &Value) -> bool {
        let e = &self.entities[n as usize];
        let ord = match (field, value) {
            (Field::Employees, Value::Int(v)) => e.employees.map(|x| u64::from(x).cmp(v)),
            (Field::Founded, Value::Int(year)) => e
                .date
                .as_deref()
                .and_then(|d| d.get(..4)?.parse::<u64>().ok())
                .map(|y| y.cmp(year)),
            (Field::Founded, Value::Date(d)) => e.date.as_deref().map(|x| x.cmp(d.as_str())),
            _ => None,
        };
        let Some(ord) = ord else { return false };
        use std::cmp::Ordering::*;
        match op {
            CmpOp::Eq => ord == Equal,
            CmpOp::Ne => ord != Equal,
            CmpOp::Lt => ord == Less,
            CmpOp::Le => ord != Greater,
            CmpOp::Gt => ord == Greater,
            CmpOp::Ge => ord != Less,
        }
    }

    /// Answers a magnet: total, a page of members sorted by name, and facet counts for
    /// `schemes` (each disjunctive: a scheme's own terms are left out of its counts).
    pub fn search(
        &self,
        q: &Query,
        kind: EntityKind,
        schemes: &[String],
        limit: usize,
        offset: usize,
        facet_limit: usize,
    ) -> Result<SearchResult, EvalError> {
        if let Some(bad) = schemes
            .iter()
            .find(|s| !self.roots.contains_key(s.as_str()))
        {
            return Err(EvalError::UnknownScheme {
                scheme: bad.clone(),
                suggestions: suggest::closest(bad, self.roots.keys().map(String::as_str), 3),
            });
        }
        let universe = self.universe(kind);
        let result = self.eval(q, &universe)?;
        let total = result.len();
        let members = self.page(&result, limit, offset);
        let facets = schemes
            .iter()
            .map(|s| self.facet(q, &universe, &result, s, facet_limit))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SearchResult {
            total,
            members,
            facets,
        })
    }

    fn page(&self, result: &RoaringBitmap, limit: usize, offset: usize) -> Vec<Member> {
        let member = |n: u32| {
            let e = &self.entities[n as usize];
            Member {
                kind: e.kind,
                id: e.key.clone(),
                name: e.name.clone(),
                demo: e.demo,
            }
        };
        // Walking the global name order costs about (offset + limit) × N / |result|
        // membership tests; sorting the result costs |result| × log |result| string
        // comparisons (each worth several tests). Take the cheaper.
        let (r, n) = (result.len().max(1) as f64, self.entities.len() as f64);
        let walk = offset.saturating_add(limit).saturating_add(1) as f64 * n / r;
        let sort = r * (r.log2() + 1.0) * 8.0;
        if walk < sort {
            self.by_name
                .iter()
                .filter(|n| result.contains(**n))
                .skip(offset)
                .take(limit)
                .map(|n| member(*n))
                .collect()
        } else {
            let mut v: Vec<u32> = result.iter().collect();
            v.sort_by(|a, b| {
                let (x, y) = (&self.entities[*a as usize], &self.entities[*b as usize]);
                x.name.cmp(&y.name).then_with(|| x.key.cmp(&y.key))
            });
            v.into_iter().skip(offset).take(limit).map(member).collect()
        }
    }

    /// The concepts of `scheme` a conjunct refers to, positively or negated; `None` when
    /// the conjunct is not made of that scheme's concepts only.
    fn scheme_terms<'q>(
        q: &'q Query,
        scheme: &str,
        positive: bool,
        out: &mut Vec<(&'q str, bool)>,
    ) -> bool {
        match q {
            Query::Concept {
                scheme: s,
                notation,
            } if s == scheme => {
                out.push((notation.as_str(), positive));
                true
            }
            Query::Or { terms: parts } | Query::And { terms: parts } => parts
                .iter()
                .all(|p| Self::scheme_terms(p, scheme, positive, out)),
            Query::Not { term: inner } => Self::scheme_terms(inner, scheme, !positive, out),
            _ => false,
        }
    }

    fn facet(
        &self,
        q: &Query,
        universe: &RoaringBitmap,
        result: &RoaringBitmap,
        scheme: &str,
        limit: usize,
    ) -> Result<Facet, EvalError> {
        // Disjunctive: the top-level conjuncts about this scheme are left out of the base.
        let conjuncts: Vec<&Query> = match q {
            Query::And { terms: parts } => parts.iter().collect(),
            other => vec![other],
        };
        let mut own: Vec<(&str, bool)> = Vec::new();
        let mut others: Vec<Query> = Vec::new();
        for c in conjuncts {
            let mut terms = Vec::new();
            if Self::scheme_terms(c, scheme, true, &mut terms) {
                own.extend(terms);
            } else {
                others.push(c.clone());
            }
        }
        // A scheme the query does not refine counts over the result itself.
        let own_base;
        let base = if own.is_empty() {
            result
        } else {
            own_base = self.eval(&Query::And { terms: others }, universe)?;
            &own_base
        };
        // One level below the refinement: the children of the single selected value.
        let selected: Vec<&str> = own.iter().filter(|t| t.1).map(|t| t.0).collect();
        let (parent, candidates) = match selected.as_slice() {
            [one] => {
                let c = self.concept(scheme, one)?;
                if self.children[c as usize].is_empty() {
                    (None, self.roots.get(scheme).cloned().unwrap_or_default())
                } else {
                    (Some((*one).to_owned()), self.children[c as usize].clone())
                }
            }
            _ => (None, self.roots.get(scheme).cloned().unwrap_or_default()),
        };
        let mut values: Vec<FacetValue> = candidates
            .into_iter()
            .filter_map(|c| {
                let info = &self.concepts[c as usize];
                let count = base.intersection_len(&self.tagged[c as usize]);
                let state = own
                    .iter()
                    .find(|t| t.0 == info.notation)
                    .map(|t| if t.1 { "selected" } else { "excluded" });
                (count > 0 || state.is_some()).then(|| FacetValue {
                    notation: info.notation.clone(),
                    labels: info.labels.clone(),
                    count,
                    state,
                    narrower: !self.children[c as usize].is_empty(),
                })
            })
            .collect();
        values.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.notation.cmp(&b.notation))
        });
        let values_total = values.len() as u64;
        values.truncate(limit);
        Ok(Facet {
            scheme: scheme.to_owned(),
            parent,
            values_total,
            values,
        })
    }

    /// Values of a scheme whose label or notation contains `text` (search inside a facet).
    pub fn facet_search(&self, scheme: &str, text: &str, limit: usize) -> Vec<(String, Labels)> {
        let t = text.to_lowercase();
        self.concepts
            .iter()
            .filter(|c| c.scheme == scheme)
            .filter(|c| {
                c.notation.to_lowercase().contains(&t)
                    || c.labels.0.values().any(|l| l.to_lowercase().contains(&t))
            })
            .take(limit)
            .map(|c| (c.notation.clone(), c.labels.clone()))
            .collect()
    }
}
