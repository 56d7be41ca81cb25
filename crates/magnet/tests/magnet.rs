//! The facet engine against a brute-force evaluation of the same data, and the two
//! memorandum examples on the demo.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use proptest::prelude::*;
use territoria_magnet::Index;
use territoria_magnet::query::{CmpOp, Field, Query, Target, Value, parse};
use territoria_model::EntityKind;
use territoria_refdata::demo::DemoOptions;
use territoria_store::{ScanItem, SqliteStore, Store};

struct Fixture {
    _dir: tempfile::TempDir,
    store: SqliteStore,
    index: Index,
    brute: Brute,
}

/// id, kind, key, lower-cased text, date, employees
type BruteEntity = (i64, EntityKind, String, String, Option<String>, Option<u32>);

/// A deliberately naive model of the same data: per entity, its concepts with all their
/// ancestors, its relations, its fields.
#[derive(Default)]
struct Brute {
    concepts: HashMap<(String, String), i64>,
    broader: HashMap<i64, i64>,
    entities: Vec<BruteEntity>,
    keys: HashMap<(EntityKind, String), i64>,
    kind_of: HashMap<i64, EntityKind>,
    tags: HashMap<i64, HashSet<i64>>,
    relations: Vec<(i64, String, i64, Option<String>)>,
    /// When set, membership on this date: entities dated after it and relations started
    /// after it do not count.
    at: Option<String>,
}

impl Brute {
    /// The same model, sharing nothing mutable (cheap enough for tests).
    fn shallow(&self) -> Brute {
        Brute {
            concepts: self.concepts.clone(),
            broader: self.broader.clone(),
            entities: self.entities.clone(),
            keys: self.keys.clone(),
            kind_of: self.kind_of.clone(),
            tags: self.tags.clone(),
            relations: self.relations.clone(),
            at: None,
        }
    }

    fn ancestors(&self, c: i64) -> Vec<i64> {
        let mut v = vec![c];
        let mut cur = c;
        while let Some(b) = self.broader.get(&cur) {
            v.push(*b);
            cur = *b;
        }
        v
    }
    fn has_concept(&self, e: i64, c: i64) -> bool {
        self.tags
            .get(&e)
            .is_some_and(|t| t.iter().any(|x| self.ancestors(*x).contains(&c)))
    }
    fn part_of_closure(&self, o: i64) -> HashSet<i64> {
        let mut set = HashSet::from([o]);
        loop {
            let before = set.len();
            for (s, k, obj, _) in &self.relations {
                if k == "part_of" && set.contains(obj) {
                    set.insert(*s);
                }
            }
            if set.len() == before {
                return set;
            }
        }
    }
    fn matches(&self, e: usize, q: &Query) -> bool {
        let (id, _, _, text, date, employees) = &self.entities[e];
        match q {
            Query::All => true,
            Query::Concept { scheme, notation } => {
                self.has_concept(*id, self.concepts[&(scheme.clone(), notation.clone())])
            }
            Query::Relation { kind, target } => self.relations.iter().any(|(s, k, o, since)| {
                s == id
                    && k == kind
                    && self
                        .at
                        .as_ref()
                        .is_none_or(|at| since.as_ref().is_none_or(|d| d <= at))
                    && match target {
                        Target::Any => true,
                        Target::Entity { kind: ek, key } => {
                            let t = self.keys[&(EntityKind::parse(ek).unwrap(), key.clone())];
                            self.part_of_closure(t).contains(o)
                        }
                        Target::Kind { kind: ek } => {
                            self.kind_of[o] == EntityKind::parse(ek).unwrap()
                        }
                        Target::Concept { scheme, notation } => {
                            self.has_concept(*o, self.concepts[&(scheme.clone(), notation.clone())])
                        }
                    }
            }),
            Query::Compare {
                field,
                cmp: op,
                value,
            } => {
                let ord = match (field, value) {
                    (Field::Employees, Value::Int(v)) => employees.map(|x| u64::from(x).cmp(v)),
                    (Field::Founded, Value::Int(y)) => {
                        date.as_ref().map(|d| d[..4].parse::<u64>().unwrap().cmp(y))
                    }
                    _ => None,
                };
                ord.is_some_and(|o| match op {
                    CmpOp::Eq => o.is_eq(),
                    CmpOp::Ne => o.is_ne(),
                    CmpOp::Lt => o.is_lt(),
                    CmpOp::Le => o.is_le(),
                    CmpOp::Gt => o.is_gt(),
                    CmpOp::Ge => o.is_ge(),
                })
            }
            Query::Text { text: t } => t
                .split_whitespace()
                .all(|w| text.contains(&w.to_lowercase())),
            Query::And { terms: v } => v.iter().all(|x| self.matches(e, x)),
            Query::Or { terms: v } => v.iter().any(|x| self.matches(e, x)),
            Query::Not { term: x } => !self.matches(e, x),
        }
    }
    fn members(&self, q: &Query) -> Vec<String> {
        let mut v: Vec<String> = (0..self.entities.len())
            .filter(|e| self.entities[*e].1 == EntityKind::Organisation)
            .filter(|e| {
                self.at
                    .as_ref()
                    .is_none_or(|at| self.entities[*e].4.as_ref().is_none_or(|d| d <= at))
            })
            .filter(|e| self.matches(*e, q))
            .map(|e| self.entities[e].2.clone())
            .collect();
        v.sort();
        v
    }
}

static FIX: LazyLock<Fixture> = LazyLock::new(|| {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("m.sqlite")).unwrap();
    territoria_refdata::load(
        &store,
        "test",
        territoria_refdata::bootstrap_ops(Some(&DemoOptions {
            seed: 7,
            organisations: 3000,
        })),
        &mut |_| {},
    )
    .unwrap();
    let index = Index::build(&store).unwrap();
    let mut b = Brute::default();
    store
        .scan(&mut |item| {
            match item {
                ScanItem::Concept {
                    id,
                    scheme,
                    notation,
                    broader,
                    ..
                } => {
                    b.concepts.insert((scheme, notation), id);
                    if let Some(p) = broader {
                        b.broader.insert(id, p);
                    }
                }
                ScanItem::Entity {
                    id,
                    kind,
                    key,
                    name,
                    description,
                    date,
                    employees,
                    ..
                } => {
                    let text = name
                        .0
                        .values()
                        .chain(description.0.values())
                        .map(|s| s.to_lowercase())
                        .collect::<Vec<_>>()
                        .join(" ");
                    b.keys.insert((kind, key.clone()), id);
                    b.kind_of.insert(id, kind);
                    b.entities.push((id, kind, key, text, date, employees));
                }
                ScanItem::Tag { entity, concept } => {
                    b.tags.entry(entity).or_default().insert(concept);
                }
                ScanItem::Relation {
                    subject,
                    kind,
                    object,
                    since,
                } => b.relations.push((subject, kind, object, since)),
            }
            Ok(())
        })
        .unwrap();
    Fixture {
        _dir: dir,
        store,
        index,
        brute: b,
    }
});

fn members(q: &Query) -> Vec<String> {
    let r = FIX
        .index
        .search(q, EntityKind::Organisation, &[], usize::MAX, 0, 0)
        .unwrap();
    let mut v: Vec<String> = r.members.into_iter().map(|m| m.id).collect();
    v.sort();
    assert_eq!(v.len() as u64, r.total);
    v
}

const TERMS: &[&str] = &[
    "territory:03000",
    "territory:62063",
    "territory:60000",
    "nace-bel-2008:62",
    "nace-bel-2008:C",
    "nace-bel-2008:J",
    "organisation-kind:startup",
    "organisation-kind:entreprise",
    "digital-offer:ia",
    "rel:participated_in=mission",
    "rel:funded_by=fund/fonds-wing",
    "rel:laureate_of=programme/dw4ai",
    "rel:labelled",
    "rel:member_of=organisation-kind:pole-de-competitivite",
    "founded>=2015",
    "employees<10",
    "\"tech\"",
];

fn arb_query() -> impl Strategy<Value = String> {
    let leaf = proptest::sample::select(TERMS).prop_map(str::to_owned);
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 2..4)
                .prop_map(|v| format!("({})", v.join(" AND "))),
            proptest::collection::vec(inner.clone(), 2..4)
                .prop_map(|v| format!("({})", v.join(" OR "))),
            inner.prop_map(|q| format!("NOT {q}")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, .. ProptestConfig::default() })]

    #[test]
    fn members_and_facet_counts_equal_a_brute_force_scan(text in arb_query()) {
        let q = parse(&text).unwrap();
        prop_assert_eq!(members(&q), FIX.brute.members(&q));
        // Membership on a past date, against the same naive model restricted to that date.
        let at = "2020-06-30";
        let mut then: Vec<String> = FIX
            .index
            .members_at(&q, EntityKind::Organisation, at)
            .unwrap()
            .iter()
            .map(|n| FIX.index.key_of(n).to_owned())
            .collect();
        then.sort();
        let past = Brute { at: Some(at.to_owned()), ..FIX.brute.shallow() };
        prop_assert_eq!(then, past.members(&q));
        // Facets of schemes the query does not mention count the result itself.
        let schemes = vec!["size-class".to_owned()];
        let r = FIX.index.search(&q, EntityKind::Organisation, &schemes, 0, 0, 1000).unwrap();
        for f in r.facets {
            for v in f.values {
                let filter = Query::And { terms: vec![q.clone(), Query::Concept { scheme: f.scheme.clone(), notation: v.notation.clone() }] };
                prop_assert_eq!(v.count, FIX.brute.members(&filter).len() as u64, "{}:{}", f.scheme, v.notation);
            }
        }
    }
}

#[test]
fn the_memorandum_examples_return_what_the_data_says() {
    let q1 = parse("organisation-kind:startup AND digital-offer:ia AND rel:participated_in=mission AND rel:funded_by=fund/fonds-wing AND rel:laureate_of=programme/dw4ai").unwrap();
    let m1 = members(&q1);
    assert!(m1.len() >= 3, "{}", m1.len());
    assert_eq!(m1, FIX.brute.members(&q1));
    let q2 = parse("nace-bel-2008:C AND (rel:labelled=label/factory-of-the-future OR rel:labelled=label/made-different) AND rel:member_of=organisation-kind:pole-de-competitivite").unwrap();
    let m2 = members(&q2);
    assert!(m2.len() >= 10, "{}", m2.len());
    assert_eq!(m2, FIX.brute.members(&q2));
    // Every member of the second magnet is shown by the store to hold a label.
    let d = FIX
        .store
        .entity(EntityKind::Organisation, &m2[0])
        .unwrap()
        .unwrap();
    assert!(d.relations.iter().any(|r| r.kind == "labelled"));
}

#[test]
fn facets_are_hierarchical_and_disjunctive_with_states() {
    let q = parse("nace-bel-2008:62 AND NOT organisation-kind:asbl").unwrap();
    let schemes = vec!["nace-bel-2008".to_owned(), "organisation-kind".to_owned()];
    let r = FIX
        .index
        .search(&q, EntityKind::Organisation, &schemes, 10, 0, 50)
        .unwrap();
    let nace = &r.facets[0];
    // One level below the refinement: 62 → 62.0.
    assert_eq!(nace.parent.as_deref(), Some("62"));
    assert!(
        nace.values.iter().all(|v| v.notation.starts_with("62.")),
        "{:?}",
        nace.values
    );
    // Disjunctive: the kind facet counts ignore the kind terms; asbl is shown as excluded.
    let kinds = &r.facets[1];
    let asbl = kinds.values.iter().find(|v| v.notation == "asbl");
    if let Some(a) = asbl {
        assert_eq!(a.state, Some("excluded"));
    }
    let base = parse("nace-bel-2008:62").unwrap();
    let total_base = members(&base).len() as u64;
    let sum: u64 = kinds
        .values
        .iter()
        .filter(|v| {
            [
                "entreprise",
                "asbl",
                "recherche-enseignement",
                "secteur-public",
                "reseau-accompagnement",
            ]
            .contains(&v.notation.as_str())
        })
        .map(|v| v.count)
        .sum();
    assert!(
        sum >= total_base,
        "top-level kinds cover the base ({sum} vs {total_base})"
    );
}

#[test]
fn unknown_codes_get_suggestions() {
    let e = FIX
        .index
        .eval(
            &parse("nace-bel-2008:62.011").unwrap(),
            &FIX.index.universe(EntityKind::Organisation),
        )
        .unwrap_err();
    assert!(e.to_string().contains("62.010"), "{e}");
}

#[test]
fn pages_sort_by_date_and_relevance() {
    use territoria_magnet::Sort;
    let all = |text: &str, sort: Sort| {
        FIX.index
            .search_sorted(
                &parse(text).unwrap(),
                EntityKind::Organisation,
                &[],
                sort,
                usize::MAX,
                0,
                0,
            )
            .unwrap()
            .members
    };
    for text in [
        "nace-bel-2008:J OR organisation-kind:startup",
        "territory:03000",
    ] {
        let by_name = all(text, Sort::Name);
        let keys = |m: &[territoria_magnet::Member]| {
            let mut k: Vec<String> = m.iter().map(|m| m.id.clone()).collect();
            k.sort();
            k
        };
        for sort in [Sort::DateAscending, Sort::DateDescending, Sort::Relevance] {
            let page = all(text, sort);
            // The same members, in another order.
            assert_eq!(keys(&page), keys(&by_name), "{text} {sort:?}");
            // Each page of 7 is the matching slice of the whole order.
            let q = parse(text).unwrap();
            let second = FIX
                .index
                .search_sorted(&q, EntityKind::Organisation, &[], sort, 7, 7, 0)
                .unwrap()
                .members;
            assert_eq!(second, page[7..14].to_vec(), "{text} {sort:?} page 2");
        }
        let dated = all(text, Sort::DateAscending);
        let first_undated = dated
            .iter()
            .position(|m| m.date.is_none())
            .unwrap_or(dated.len());
        assert!(dated[first_undated..].iter().all(|m| m.date.is_none()));
        assert!(
            dated[..first_undated]
                .windows(2)
                .all(|w| w[0].date <= w[1].date)
        );
        let newest = all(text, Sort::DateDescending);
        let cut = newest
            .iter()
            .position(|m| m.date.is_none())
            .unwrap_or(newest.len());
        assert!(newest[..cut].windows(2).all(|w| w[0].date >= w[1].date));
    }
    // Relevance: organisations matching both terms come before those matching one.
    let text = "nace-bel-2008:J OR organisation-kind:startup";
    let both: std::collections::HashSet<String> =
        members(&parse("nace-bel-2008:J AND organisation-kind:startup").unwrap())
            .into_iter()
            .collect();
    assert!(!both.is_empty());
    let ranked = all(text, Sort::Relevance);
    assert!(ranked[..both.len()].iter().all(|m| both.contains(&m.id)));
    assert!(ranked[both.len()..].iter().all(|m| !both.contains(&m.id)));
}
