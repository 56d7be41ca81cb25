use std::collections::{BTreeMap, HashMap, HashSet};

use roaring::RoaringBitmap;
use serde::Serialize;
use territoria_magnet_query::{CmpOp, Field, Query, Target, Value};
use territoria_model::{EntityKind, Labels, suggest};
use territoria_store::{Changes, ScanItem, ScanParts, Store, StoreError};

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
    /// Store ids → entity and concept numbers, to apply changes in place.
    entity_num: HashMap<i64, u32>,
    concept_num: HashMap<i64, u32>,
    /// The store's audit entry this index reflects.
    upto: i64,
    /// Each entity's own concepts (before the hierarchy), in compressed rows: facet
    /// counts over a small result walk its members instead of intersecting every
    /// value's bitmap. Entities written since the build are in `tag_overrides`.
    tag_offsets: Vec<u32>,
    tag_values: Vec<u16>,
    tag_overrides: HashMap<u32, Vec<u16>>,
    /// The top-level ancestor of each concept.
    root_of: Vec<u32>,
    /// Per scheme, what counting its top-level values by intersection costs (values in
    /// sparse containers, plus a fixed cost per dense one).
    root_weight: HashMap<String, u64>,
    /// Top-level counts over all entities of a kind, computed once: a result larger
    /// than half its universe is counted through its (smaller) complement.
    universe_counts: std::sync::Mutex<HashMap<EntityKind, std::sync::Arc<Vec<u64>>>>,
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
    /// Founding or start date (ISO), when the entity has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SearchResult {
    pub total: u64,
    pub members: Vec<Member>,
    pub facets: Vec<Facet>,
}

/// The order of a result page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// By name, then key (the default).
    #[default]
    Name,
    /// Oldest first (founding or start date); undated entities last.
    DateAscending,
    /// Newest first; undated entities last.
    DateDescending,
    /// Most matched terms first: each positive term of the query an entity satisfies
    /// counts one, a text term found in the name one more; ties by name.
    Relevance,
}

impl Sort {
    /// `name`, `date`, `-date` or `relevance`.
    pub fn parse(s: &str) -> Option<Sort> {
        match s {
            "name" => Some(Sort::Name),
            "date" => Some(Sort::DateAscending),
            "-date" => Some(Sort::DateDescending),
            "relevance" => Some(Sort::Relevance),
            _ => None,
        }
    }
}

/// What every facet of one search shares: the universe searched, the result, and the
/// top-level counts over the result when they were walked once for all schemes.
#[derive(Clone, Copy)]
struct Answer<'a> {
    universe: &'a RoaringBitmap,
    result: &'a RoaringBitmap,
    kind: EntityKind,
    shared: Option<&'a [u64]>,
}

/// The terms of `q` that count for relevance: leaves not under a NOT.
fn positive_terms<'q>(q: &'q Query, out: &mut Vec<&'q Query>) {
    match q {
        Query::And { terms } | Query::Or { terms } => {
            for t in terms {
                positive_terms(t, out);
            }
        }
        Query::Not { .. } | Query::All => {}
        leaf => out.push(leaf),
    }
}

fn kind_named(s: &str) -> Result<EntityKind, EvalError> {
    EntityKind::parse(s).ok_or_else(|| EvalError::UnknownKind(s.to_owned()))
}

impl Index {
    fn empty() -> Index {
        Index {
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
            entity_num: HashMap::new(),
            concept_num: HashMap::new(),
            upto: 0,
            tag_offsets: Vec::new(),
            tag_values: Vec::new(),
            tag_overrides: HashMap::new(),
            root_of: Vec::new(),
            root_weight: HashMap::new(),
            universe_counts: Default::default(),
        }
    }

    /// Builds the index from the store's bulk scan.
    pub fn build(store: &dyn Store) -> Result<Index, StoreError> {
        let mut idx = Index::empty();
        // Read before the scan: a write that lands in between is in the scan and is
        // applied again by the next catch-up, which is harmless (updates are idempotent).
        idx.upto = store.changes_since(i64::MAX)?.upto;
        let mut broader_ids: Vec<Option<i64>> = Vec::new();
        let mut relations: Vec<(u32, String, u32, Option<String>)> = Vec::new();
        // Store id → entity number as a flat table while ids are dense (they are: the
        // store numbers rows in order), a hash map otherwise.
        let mut dense: Vec<u32> = Vec::new();
        let mut linked = false;
        // Tags, by far the largest part, are read on a second thread from their own
        // connection, concept by concept, as bitmaps of store ids; they are mapped to
        // entity numbers once both scans are done. A write between the two scans is
        // caught up by the next refresh (`upto` was read before both).
        let (tag_sets, items) = std::thread::scope(|scope| {
            let tags = scope.spawn(
                || -> Result<Vec<(i64, RoaringBitmap, Vec<i64>)>, StoreError> {
                    let mut sets: Vec<(i64, RoaringBitmap, Vec<i64>)> = Vec::new();
                    store.scan_parts(ScanParts::TAGS, &mut |item| {
                        if let ScanItem::Tag { entity, concept } = item {
                            if sets.last().is_none_or(|s| s.0 != concept) {
                                sets.push((concept, RoaringBitmap::new(), Vec::new()));
                            }
                            let set = sets.last_mut().expect("pushed");
                            match u32::try_from(entity) {
                                Ok(e) if set.1.try_push(e).is_ok() => {}
                                Ok(e) => {
                                    set.1.insert(e);
                                }
                                Err(_) => set.2.push(entity),
                            }
                        }
                        Ok(())
                    })?;
                    Ok(sets)
                },
            );
            let items = store.scan_parts(ScanParts::ITEMS, &mut |item| {
                match item {
                    ScanItem::Concept {
                        id,
                        scheme,
                        notation,
                        broader,
                        labels,
                    } => {
                        let n = idx.concepts.len() as u32;
                        idx.concept_num.insert(id, n);
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
                    entity @ ScanItem::Entity { .. } => {
                        if !linked {
                            idx.link_concepts(&broader_ids);
                            linked = true;
                        }
                        let id = match &entity {
                            ScanItem::Entity { id, .. } => *id,
                            _ => unreachable!(),
                        };
                        if let Some((n, _)) = idx.put_entity(entity) {
                            if let Ok(i) = usize::try_from(id) {
                                if i < 16 * (n as usize + 1024) {
                                    if dense.len() <= i {
                                        dense.resize(i + 1, u32::MAX);
                                    }
                                    dense[i] = n;
                                }
                            }
                        }
                    }
                    ScanItem::Tag { .. } => {}
                    ScanItem::Relation {
                        subject,
                        kind,
                        object,
                        since,
                    } => {
                        if let Some((s, o)) = idx.resolve_pair(subject, object) {
                            relations.push((s, kind, o, since));
                        }
                    }
                }
                Ok(())
            });
            (tags.join().expect("tag scan panicked"), items)
        });
        items?;
        if !linked {
            idx.link_concepts(&broader_ids);
        }
        let number = |idx: &Index, id: i64| -> Option<u32> {
            usize::try_from(id)
                .ok()
                .and_then(|i| dense.get(i).copied())
                .filter(|n| *n != u32::MAX)
                .or_else(|| idx.entity_num.get(&id).copied())
        };
        for (concept, ids, large) in tag_sets? {
            let Some(&c) = idx.concept_num.get(&concept) else {
                continue;
            };
            // Numbers follow ids (both in store order): the mapped set stays sorted.
            let mapped = RoaringBitmap::from_sorted_iter(
                ids.iter().filter_map(|id| number(&idx, i64::from(id))),
            )
            .unwrap_or_else(|_| {
                ids.iter()
                    .filter_map(|id| number(&idx, i64::from(id)))
                    .collect()
            });
            idx.tagged[c as usize] |= mapped;
            for id in large {
                if let Some(e) = number(&idx, id) {
                    idx.tagged[c as usize].insert(e);
                }
            }
        }
        idx.build_tag_rows();
        idx.fold_hierarchy();
        idx.weigh_roots();
        for (s, kind, o, since) in relations {
            idx.put_relation(s, kind, o, since);
        }
        let mut order: Vec<u32> = (0..idx.entities.len() as u32).collect();
        order.sort_by(|a, b| idx.name_order(*a, *b));
        idx.by_name = order;
        Ok(idx)
    }

    /// The store's audit entry this index reflects.
    pub fn upto(&self) -> i64 {
        self.upto
    }

    /// Resolves the concepts' broader links (store ids) into numbers, children and roots.
    fn link_concepts(&mut self, broader_ids: &[Option<i64>]) {
        let n = self.concepts.len();
        self.children = vec![Vec::new(); n];
        self.tagged = vec![RoaringBitmap::new(); n];
        for (i, b) in broader_ids.iter().enumerate() {
            let b = b.and_then(|b| self.concept_num.get(&b).copied());
            self.concepts[i].broader = b;
            match b {
                Some(p) => self.children[p as usize].push(i as u32),
                None => self
                    .roots
                    .entry(self.concepts[i].scheme.clone())
                    .or_default()
                    .push(i as u32),
            }
        }
    }

    /// Fills the per-entity rows of own concepts from the (not yet folded) bitmaps.
    fn build_tag_rows(&mut self) {
        self.tag_offsets = Vec::new();
        self.tag_values = Vec::new();
        if self.concepts.len() > usize::from(u16::MAX) {
            return; // counting falls back to intersections
        }
        let n = self.entities.len();
        let mut counts = vec![0u32; n + 1];
        for b in &self.tagged {
            for e in b {
                counts[e as usize + 1] += 1;
            }
        }
        for i in 1..=n {
            counts[i] += counts[i - 1];
        }
        let mut fill = counts.clone();
        let mut values = vec![0u16; counts[n] as usize];
        for (c, b) in self.tagged.iter().enumerate() {
            for e in b {
                let slot = &mut fill[e as usize];
                values[*slot as usize] = c as u16;
                *slot += 1;
            }
        }
        self.tag_offsets = counts;
        self.tag_values = values;
    }

    /// The own concepts of entity `e`.
    fn own_concepts(&self, e: u32) -> &[u16] {
        if let Some(v) = self.tag_overrides.get(&e) {
            return v;
        }
        let i = e as usize;
        match (self.tag_offsets.get(i), self.tag_offsets.get(i + 1)) {
            (Some(a), Some(b)) => &self.tag_values[*a as usize..*b as usize],
            _ => &[],
        }
    }

    /// Top-level ancestors and their bitmap sizes per scheme (after the fold).
    fn weigh_roots(&mut self) {
        self.root_of = (0..self.concepts.len() as u32)
            .map(|mut c| {
                let mut guard = 0;
                while let Some(b) = self.concepts[c as usize].broader {
                    c = b;
                    guard += 1;
                    if guard > 32 {
                        break;
                    }
                }
                c
            })
            .collect();
        self.root_weight = self
            .roots
            .iter()
            .map(|(s, rs)| {
                (
                    s.clone(),
                    rs.iter()
                        .map(|r| {
                            let st = self.tagged[*r as usize].statistics();
                            u64::from(st.n_values_array_containers)
                                + u64::from(st.n_values_run_containers)
                                + 256 * u64::from(st.n_bitset_containers)
                        })
                        .sum(),
                )
            })
            .collect();
    }

    /// Counts, for every top-level concept, the members of `base` (a subset of
    /// `universe`) under it, walking the members' own concepts — or, for a base larger
    /// than half the universe, the complement's, subtracted from the universe's counts.
    /// `None` when intersecting the top-level bitmaps of `schemes` is cheaper, or the
    /// rows are not kept.
    fn root_counts(
        &self,
        base: &RoaringBitmap,
        universe: &RoaringBitmap,
        kind: EntityKind,
        schemes: &[&str],
    ) -> Option<Vec<u64>> {
        if self.root_of.is_empty() || (self.tag_offsets.is_empty() && !self.entities.is_empty()) {
            return None;
        }
        let per_entity = (self.tag_values.len() as u64 / self.entities.len().max(1) as u64).max(1);
        let intersect: u64 = schemes
            .iter()
            .map(|s| self.root_weight.get(*s).copied().unwrap_or(0))
            .sum();
        let (n, u) = (base.len(), universe.len());
        let complement = n > u / 2;
        let walk = if complement { u - n } else { n } * per_entity * 4;
        if walk >= intersect {
            return None;
        }
        if !complement {
            return Some(self.walk_roots(base));
        }
        let all = {
            let mut cache = self
                .universe_counts
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            cache
                .entry(kind)
                .or_insert_with(|| {
                    // Only top-level values are read: intersect those (a few hundred).
                    let mut all = vec![0u64; self.concepts.len()];
                    for r in self.roots.values().flatten() {
                        all[*r as usize] = universe.intersection_len(&self.tagged[*r as usize]);
                    }
                    std::sync::Arc::new(all)
                })
                .clone()
        };
        let rest = self.walk_roots(&(universe - base));
        Some(all.iter().zip(rest).map(|(a, r)| a - r).collect())
    }

    fn walk_roots(&self, members: &RoaringBitmap) -> Vec<u64> {
        let mut counts = vec![0u64; self.concepts.len()];
        let mut seen = vec![u32::MAX; self.concepts.len()];
        for e in members {
            for &c in self.own_concepts(e) {
                let r = self.root_of[c as usize] as usize;
                if seen[r] != e {
                    seen[r] = e;
                    counts[r] += 1;
                }
            }
        }
        counts
    }

    /// Folds the hierarchy into the bitmaps, deepest concepts first: a concept's set
    /// becomes its own members plus all its narrower concepts' (NACE 62 ⊇ 62.010).
    fn fold_hierarchy(&mut self) {
        let depth = |mut c: u32| {
            let mut d = 0u32;
            while let Some(b) = self.concepts[c as usize].broader {
                c = b;
                d += 1;
                if d > 32 {
                    break;
                }
            }
            d
        };
        let mut order: Vec<(u32, u32)> = (0..self.concepts.len() as u32)
            .map(|c| (depth(c), c))
            .collect();
        order.sort_unstable_by(|a, b| b.cmp(a));
        for (_, c) in order {
            if let Some(p) = self.concepts[c as usize].broader {
                let child = std::mem::take(&mut self.tagged[c as usize]);
                self.tagged[p as usize] |= &child;
                self.tagged[c as usize] = child;
            }
        }
    }

    /// Tags entity `e` with concept `c` and, the hierarchy folded in, every broader
    /// one: an entity tagged 62.010 is in 62.01, 62.0, 62 and J. Appending in entity
    /// order (the bulk build) is the cheap `push`; otherwise an insert.
    fn tag(&mut self, e: u32, c: u32) {
        let mut cur = Some(c);
        let mut guard = 0;
        while let Some(k) = cur {
            let b = &mut self.tagged[k as usize];
            if b.try_push(e).is_err() {
                b.insert(e);
            }
            cur = self.concepts[k as usize].broader;
            guard += 1;
            if guard > 32 {
                break;
            }
        }
    }

    fn name_order(&self, a: u32, b: u32) -> std::cmp::Ordering {
        let (x, y) = (&self.entities[a as usize], &self.entities[b as usize]);
        x.name.cmp(&y.name).then_with(|| x.key.cmp(&y.key))
    }

    fn resolve_tag(&self, entity: i64, concept: i64) -> Option<(u32, u32)> {
        Some((
            *self.entity_num.get(&entity)?,
            *self.concept_num.get(&concept)?,
        ))
    }

    fn resolve_pair(&self, subject: i64, object: i64) -> Option<(u32, u32)> {
        Some((
            *self.entity_num.get(&subject)?,
            *self.entity_num.get(&object)?,
        ))
    }

    /// Adds an entity, or replaces the facts of one already known (same store id).
    /// Returns its number and whether it is new.
    fn put_entity(&mut self, item: ScanItem) -> Option<(u32, bool)> {
        let ScanItem::Entity {
            id,
            kind,
            key,
            name,
            description,
            demo,
            date,
            employees,
        } = item
        else {
            return None;
        };
        let mut text = String::new();
        for l in name.0.values().chain(description.0.values()) {
            text.push_str(&l.to_lowercase());
            text.push(' ');
        }
        let info = EntityInfo {
            kind,
            key,
            name: name.main().to_owned(),
            text,
            demo,
            date,
            employees,
        };
        if let Some(&n) = self.entity_num.get(&id) {
            self.entities[n as usize] = info;
            return Some((n, false));
        }
        let n = self.entities.len() as u32;
        self.entity_num.insert(id, n);
        self.by_key.insert((kind, info.key.clone()), n);
        self.by_kind.entry(kind).or_default().insert(n);
        self.entities.push(info);
        Some((n, true))
    }

    fn put_relation(&mut self, s: u32, kind: String, o: u32, since: Option<String>) {
        if kind == "part_of" {
            self.parts.entry(o).or_default().push(s);
        }
        if let Some(d) = since {
            self.since.insert((kind.clone(), s, o), d);
        }
        self.related.entry((kind.clone(), o)).or_default().insert(s);
        self.related_any.entry(kind.clone()).or_default().insert(s);
        self.objects.entry(kind).or_default().insert(o);
    }

    /// Applies what `store` wrote after [`Index::upto`] to this index in place: the
    /// changed entities' facts, tags and outgoing relations replace the ones held.
    /// `items` is [`Store::scan_entities`] of `changes.entities`; see [`Live`] for the
    /// caller that decides between this and a rebuild.
    pub fn apply(&mut self, changes: &Changes, items: Vec<ScanItem>) {
        let mut changed = RoaringBitmap::new();
        let mut fresh = RoaringBitmap::new();
        let mut rest = Vec::new();
        for item in items {
            match item {
                entity @ ScanItem::Entity { .. } => {
                    if let Some((n, new)) = self.put_entity(entity) {
                        if new {
                            fresh.insert(n);
                        } else {
                            changed.insert(n);
                        }
                    }
                }
                other => rest.push(other),
            }
        }
        // Entities named only as relation subjects (their row is unchanged) lose their
        // outgoing relations too: they come back below, complete.
        for id in &changes.entities {
            if let Some(&n) = self.entity_num.get(id) {
                if !fresh.contains(n) {
                    changed.insert(n);
                }
            }
        }
        if !changed.is_empty() {
            for b in &mut self.tagged {
                *b -= &changed;
            }
            for b in self.related.values_mut() {
                *b -= &changed;
            }
            self.related.retain(|_, b| !b.is_empty());
            for b in self.related_any.values_mut() {
                *b -= &changed;
            }
            for p in self.parts.values_mut() {
                p.retain(|s| !changed.contains(*s));
            }
            self.since.retain(|(_, s, _), _| !changed.contains(*s));
        }
        // Objects of each kind: recomputed, since a relation may have gone.
        self.objects.clear();
        for (kind, o) in self.related.keys() {
            self.objects.entry(kind.clone()).or_default().insert(*o);
        }
        // Own-concept rows of the written entities: replaced, empty when untagged.
        let keep_rows = self.concepts.len() <= usize::from(u16::MAX);
        if keep_rows {
            for e in changed.iter().chain(fresh.iter()) {
                self.tag_overrides.insert(e, Vec::new());
            }
        }
        for item in rest {
            match item {
                ScanItem::Tag { entity, concept } => {
                    if let Some((e, c)) = self.resolve_tag(entity, concept) {
                        self.tag(e, c);
                        if keep_rows {
                            if let Ok(c16) = u16::try_from(c) {
                                self.tag_overrides.entry(e).or_default().push(c16);
                            }
                        }
                    }
                }
                ScanItem::Relation {
                    subject,
                    kind,
                    object,
                    since,
                } => {
                    if let Some((s, o)) = self.resolve_pair(subject, object) {
                        self.put_relation(s, kind, o, since);
                    }
                }
                ScanItem::Concept { .. } | ScanItem::Entity { .. } => {}
            }
        }
        // The name order: unchanged entities keep theirs; the changed and new ones are
        // sorted and merged in.
        let moved = &changed | &fresh;
        if !moved.is_empty() {
            let mut incoming: Vec<u32> = moved.iter().collect();
            incoming.sort_by(|a, b| self.name_order(*a, *b));
            let kept: Vec<u32> = self
                .by_name
                .iter()
                .copied()
                .filter(|n| !moved.contains(*n))
                .collect();
            let mut merged = Vec::with_capacity(kept.len() + incoming.len());
            let (mut i, mut j) = (0, 0);
            while i < kept.len() && j < incoming.len() {
                if self.name_order(kept[i], incoming[j]).is_le() {
                    merged.push(kept[i]);
                    i += 1;
                } else {
                    merged.push(incoming[j]);
                    j += 1;
                }
            }
            merged.extend_from_slice(&kept[i..]);
            merged.extend_from_slice(&incoming[j..]);
            self.by_name = merged;
        }
        self.weigh_roots();
        self.universe_counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.upto = self.upto.max(changes.upto);
    }

    /// The key of entity number `n` (as returned in bitmaps).
    pub fn key_of(&self, n: u32) -> &str {
        &self.entities[n as usize].key
    }

    pub fn len(&self) -> usize {
        self.entities.len()
    }

    /// How many entities' own concepts live in the overrides (written since the build)
    /// rather than in the compact rows.
    pub fn overridden(&self) -> usize {
        self.tag_overrides.len()
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

    /// Evaluates `q` within all entities of `kind`.
    pub fn eval_in(&self, q: &Query, kind: EntityKind) -> Result<RoaringBitmap, EvalError> {
        self.eval(q, &self.universe(kind))
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
        self.search_sorted(q, kind, schemes, Sort::Name, limit, offset, facet_limit)
    }

    /// [`Index::search`] with the page in another order.
    #[allow(clippy::too_many_arguments)]
    pub fn search_sorted(
        &self,
        q: &Query,
        kind: EntityKind,
        schemes: &[String],
        sort: Sort,
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
        let members = match sort {
            Sort::Name => self.page(&result, limit, offset),
            other => self.page_by(q, &universe, &result, other, limit, offset)?,
        };
        // One walk over a small result counts the top level of every scheme at once.
        let names: Vec<&str> = schemes.iter().map(String::as_str).collect();
        let shared = if names.is_empty() {
            None
        } else {
            self.root_counts(&result, &universe, kind, &names)
        };
        let facets = schemes
            .iter()
            .map(|s| {
                let answer = Answer {
                    universe: &universe,
                    result: &result,
                    kind,
                    shared: shared.as_deref(),
                };
                self.facet(q, &answer, s, facet_limit)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SearchResult {
            total,
            members,
            facets,
        })
    }

    /// A page in date or relevance order: the first `offset + limit` are selected
    /// (linear), then sorted.
    fn page_by(
        &self,
        q: &Query,
        universe: &RoaringBitmap,
        result: &RoaringBitmap,
        sort: Sort,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Member>, EvalError> {
        let want = offset.saturating_add(limit);
        let mut members: Vec<u32> = result.iter().collect();
        let scores: HashMap<u32, u32> = if sort == Sort::Relevance {
            let mut terms = Vec::new();
            positive_terms(q, &mut terms);
            let mut scores: HashMap<u32, u32> = HashMap::new();
            for t in terms {
                let hits = self.eval(t, universe)?;
                let in_name = match t {
                    Query::Text { text } => Some(text.to_lowercase()),
                    _ => None,
                };
                for n in result & &hits {
                    let bonus = in_name.as_ref().is_some_and(|t| {
                        self.entities[n as usize]
                            .name
                            .to_lowercase()
                            .contains(t.as_str())
                    });
                    *scores.entry(n).or_default() += 1 + u32::from(bonus);
                }
            }
            scores
        } else {
            HashMap::new()
        };
        let order = |a: &u32, b: &u32| -> std::cmp::Ordering {
            let (x, y) = (&self.entities[*a as usize], &self.entities[*b as usize]);
            let first = match sort {
                Sort::DateAscending | Sort::DateDescending => match (&x.date, &y.date) {
                    (Some(p), Some(q)) if sort == Sort::DateAscending => p.cmp(q),
                    (Some(p), Some(q)) => q.cmp(p),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                },
                Sort::Relevance => scores
                    .get(b)
                    .copied()
                    .unwrap_or(0)
                    .cmp(&scores.get(a).copied().unwrap_or(0)),
                Sort::Name => std::cmp::Ordering::Equal,
            };
            first.then_with(|| self.name_order(*a, *b))
        };
        if want < members.len() {
            members.select_nth_unstable_by(want, order);
            members.truncate(want);
        }
        members.sort_by(order);
        Ok(members
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|n| self.member(n))
            .collect())
    }

    fn member(&self, n: u32) -> Member {
        let e = &self.entities[n as usize];
        Member {
            kind: e.kind,
            id: e.key.clone(),
            name: e.name.clone(),
            demo: e.demo,
            date: e.date.clone(),
        }
    }

    fn page(&self, result: &RoaringBitmap, limit: usize, offset: usize) -> Vec<Member> {
        let member = |n: u32| self.member(n);
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
        answer: &Answer<'_>,
        scheme: &str,
        limit: usize,
    ) -> Result<Facet, EvalError> {
        let Answer {
            universe,
            result,
            kind,
            shared,
        } = *answer;
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
        // Top-level counts over the result come from the shared walk when it was made;
        // a refined scheme's own base is walked alone when that is cheaper.
        let own_counts;
        let walked = match (parent.is_none(), own.is_empty()) {
            (true, true) => shared,
            (true, false) => {
                own_counts = self.root_counts(base, universe, kind, &[scheme]);
                own_counts.as_deref()
            }
            _ => None,
        };
        let mut values: Vec<FacetValue> = candidates
            .into_iter()
            .filter_map(|c| {
                let info = &self.concepts[c as usize];
                let count = match walked {
                    Some(counts) => counts[c as usize],
                    None => base.intersection_len(&self.tagged[c as usize]),
                };
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
