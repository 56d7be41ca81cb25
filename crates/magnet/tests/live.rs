//! The index kept current in place ([`Live::refresh`]) answers exactly like an index
//! rebuilt from scratch, after every one of a long series of random writes: rewritten
//! organisations (names, tags, founding dates), new ones, new relations.

use std::collections::BTreeSet;

use territoria_magnet::query::parse;
use territoria_magnet::{Index, Live, Refreshed};
use territoria_model::{ConceptRef, Details, Entity, EntityKind, EntityRef, Labels, Relation};
use territoria_refdata::demo::DemoOptions;
use territoria_store::{Op, Record, SqliteStore, Store, WriteOptions};

/// A small deterministic generator (SplitMix64): the test is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

const QUERIES: &[&str] = &[
    "*",
    "nace-bel-2008:C",
    "nace-bel-2008:62 OR territory:03000",
    "organisation-kind:startup AND NOT territory:62063",
    "rel:member_of=organisation-kind:pole-de-competitivite",
    "rel:participated_in=mission AND founded>=2015",
    "rel:labelled OR \"zz-renamed\"",
    "(digital-offer:ia OR nace-bel-2008:J) AND employees<50",
];
const FACETS: &[&str] = &[
    "size-class",
    "organisation-kind",
    "nace-bel-2008",
    "territory",
];

fn apply(store: &SqliteStore, ops: Vec<Op>) {
    let mut records = ops.into_iter().map(|op| -> Record { Ok(op.into()) });
    store
        .apply(
            "test",
            "random write",
            &mut records,
            &WriteOptions::default(),
            &mut |_| {},
        )
        .unwrap();
}

fn same_answers(live: &Live, store: &SqliteStore, step: usize) {
    let fresh = Index::build(store).unwrap();
    let idx = live.read();
    assert_eq!(idx.len(), fresh.len(), "step {step}: entity count");
    let facets: Vec<String> = FACETS.iter().map(|s| (*s).to_owned()).collect();
    for text in QUERIES {
        let q = parse(text).unwrap();
        let a = idx
            .search(&q, EntityKind::Organisation, &facets, 40, 0, 50)
            .unwrap();
        let b = fresh
            .search(&q, EntityKind::Organisation, &facets, 40, 0, 50)
            .unwrap();
        assert_eq!(a, b, "step {step}: `{text}`");
        let keys = |i: &Index| -> BTreeSet<String> {
            i.members_at(&q, EntityKind::Organisation, "2019-12-31")
                .unwrap()
                .iter()
                .map(|n| i.key_of(n).to_owned())
                .collect()
        };
        assert_eq!(keys(&idx), keys(&fresh), "step {step}: `{text}` at a date");
    }
}

#[test]
fn in_place_updates_answer_like_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("live.sqlite")).unwrap();
    territoria_refdata::load(
        &store,
        "test",
        territoria_refdata::bootstrap_ops(Some(&DemoOptions {
            seed: 11,
            organisations: 400,
        })),
        &mut |_| {},
    )
    .unwrap();
    let live = Live::build(&store).unwrap();
    assert_eq!(live.refresh(&store).unwrap(), Refreshed::Unchanged);

    let mut orgs: Vec<Entity> = Vec::new();
    store
        .export_entities(EntityKind::Organisation, &mut |e, _| {
            orgs.push(e);
            Ok(())
        })
        .unwrap();
    let tag_pool: Vec<ConceptRef> = orgs
        .iter()
        .flat_map(|e| e.tags.iter().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut targets: Vec<(territoria_model::RelationKind, EntityRef)> = Vec::new();
    for kind in [EntityKind::Mission, EntityKind::Label] {
        store
            .export_entities(kind, &mut |e, _| {
                let rel = match kind {
                    EntityKind::Mission => territoria_model::RelationKind::ParticipatedIn,
                    _ => territoria_model::RelationKind::Labelled,
                };
                targets.push((rel, e.reference()));
                Ok(())
            })
            .unwrap();
    }
    store
        .export_entities(EntityKind::Organisation, &mut |e, _| {
            if e.tags.iter().any(|t| t.notation == "pole-de-competitivite") {
                targets.push((territoria_model::RelationKind::MemberOf, e.reference()));
            }
            Ok(())
        })
        .unwrap();
    assert!(!targets.is_empty() && tag_pool.len() > 20);

    let mut rng = Rng(42);
    for step in 0..25 {
        let mut ops = Vec::new();
        // Rewrite a few organisations: other tags, sometimes a new name or date.
        for _ in 0..1 + rng.below(6) {
            let mut e = rng.pick(&orgs).clone();
            e.tags = (0..rng.below(6))
                .map(|_| rng.pick(&tag_pool).clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            if rng.below(3) == 0 {
                e.name = Labels::fr(format!("zz-renamed {} {step}", e.key));
            }
            if let Details::Organisation(o) = &mut e.details {
                if rng.below(2) == 0 {
                    o.founded = chrono::NaiveDate::from_ymd_opt(2010 + rng.below(15) as i32, 6, 1);
                }
            }
            ops.push(Op::Entity(Box::new(e)));
        }
        // New organisations, some with relations.
        for i in 0..rng.below(4) {
            let mut e = rng.pick(&orgs).clone();
            e.key = format!("live-{step}-{i}");
            e.name = Labels::fr(format!("Nouvelle {step}-{i}"));
            if let Details::Organisation(o) = &mut e.details {
                o.kbo = None;
            }
            let subject = e.reference();
            orgs.push(e.clone());
            ops.push(Op::Entity(Box::new(e)));
            if rng.below(2) == 0 {
                let (kind, object) = rng.pick(&targets).clone();
                ops.push(Op::Relation(relation(subject, kind, object, &mut rng)));
            }
        }
        // New relations of existing organisations.
        for _ in 0..rng.below(4) {
            let subject = rng.pick(&orgs).reference();
            let (kind, object) = rng.pick(&targets).clone();
            if subject != object {
                ops.push(Op::Relation(relation(subject, kind, object, &mut rng)));
            }
        }
        apply(&store, ops);
        match live.refresh(&store).unwrap() {
            Refreshed::Updated { entities } => assert!(entities > 0),
            other => panic!("step {step}: expected an in-place update, got {other:?}"),
        }
        same_answers(&live, &store, step);
    }
    // A write of concepts (a reloaded taxonomy) rebuilds.
    apply(
        &store,
        territoria_refdata::bootstrap_ops(None)
            .filter(|op| matches!(op, Op::Concept(_)))
            .take(3)
            .collect(),
    );
    assert_eq!(live.refresh(&store).unwrap(), Refreshed::Rebuilt);
    same_answers(&live, &store, 99);
}

fn relation(
    subject: EntityRef,
    kind: territoria_model::RelationKind,
    object: EntityRef,
    rng: &mut Rng,
) -> Relation {
    Relation {
        subject,
        kind,
        object,
        since: chrono::NaiveDate::from_ymd_opt(2016 + rng.below(10) as i32, 1, 15),
        until: None,
        amount_eur: None,
        provenance: territoria_model::Provenance::demo("live-update test"),
    }
}
