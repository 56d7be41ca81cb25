//! The write path: audit trail, references, duplicates against the store, atomicity,
//! and schema versions. The tests that use `common::backends` run on every backend
//! configured (SQLite, and PostgreSQL with `TERRITORIA_TEST_DATABASE`); the others look
//! under the trait at SQLite's file (migrations from old SQLite shapes, dropped indexes,
//! a corrupted bitmap) and say so.

use territoria_model::{
    Details, Entity, EntityKind, EntityRef, Kbo, Labels, Organisation, Provenance, Relation,
    RelationKind,
};
mod common;

use territoria_store::{Located, Op, SqliteStore, Store, StoreError, WriteOptions};

fn org(key: &str, kbo: Option<&str>) -> Op {
    let mut e = Entity::new(
        EntityKind::Organisation,
        key,
        Labels::fr(key),
        Provenance::stated("test"),
    );
    e.details = Details::Organisation(Organisation {
        kbo: kbo.map(|k| Kbo::parse(k).unwrap()),
        ..Default::default()
    });
    Op::Entity(Box::new(e))
}

fn apply(
    store: &dyn Store,
    ops: Vec<Op>,
    skip: bool,
) -> Result<territoria_store::WriteReport, StoreError> {
    let mut it = ops.into_iter().map(|op| Ok(Located::from(op)));
    store.apply(
        "alice",
        "test write",
        &mut it,
        &WriteOptions {
            skip_invalid: skip,
            ..Default::default()
        },
        &mut |_| {},
    )
}

fn open(dir: &tempfile::TempDir) -> SqliteStore {
    SqliteStore::open(&dir.path().join("s.sqlite")).unwrap()
}

#[test]
fn every_commit_appends_one_audit_entry_saying_who_and_what() {
    for b in common::backends("every_commit_appends_one_audit") {
        let store = &*b.store;
        eprintln!("on {}", b.name);
        apply(store, vec![org("a", None), org("b", None)], false).unwrap();
        apply(store, vec![org("a", None)], false).unwrap();
        let audit = store.audit(10).unwrap();
        assert_eq!(audit.len(), 2);
        assert_eq!(audit[0].actor, "alice");
        assert_eq!(audit[1].summary["inserted"]["organisation"], 2);
        assert_eq!(audit[0].summary["updated"]["organisation"], 1);
        assert_eq!(audit[0].summary["changed"][0], "organisation/a");
    }
}

#[test]
fn an_enterprise_number_held_by_another_organisation_is_refused() {
    for b in common::backends("an_enterprise_number_held_by_a") {
        let store = &*b.store;
        eprintln!("on {}", b.name);
        apply(store, vec![org("a", Some("0403.170.701"))], false).unwrap();
        // The same organisation may keep its number on update …
        apply(store, vec![org("a", Some("0403170701"))], false).unwrap();
        // … but another one may not take it.
        let Err(StoreError::Invalid(errs)) =
            apply(store, vec![org("b", Some("BE0403170701"))], false)
        else {
            panic!("expected a refusal");
        };
        assert!(
            errs[0]
                .to_string()
                .contains("already belongs to organisation/a"),
            "{}",
            errs[0]
        );
        assert!(
            store
                .entity(EntityKind::Organisation, "b")
                .unwrap()
                .is_none()
        );
    }
}

#[test]
fn a_refused_batch_leaves_nothing_and_skip_invalid_keeps_only_valid_records() {
    for b in common::backends("a_refused_batch_leaves_nothing") {
        let store = &*b.store;
        eprintln!("on {}", b.name);
        let dangling = Op::Relation(Relation {
            subject: EntityRef::new(EntityKind::Organisation, "a"),
            kind: RelationKind::Labelled,
            object: EntityRef::new(EntityKind::Label, "nope"),
            since: None,
            until: None,
            amount_eur: None,
            provenance: Provenance::stated("test"),
        });
        let wrong_kind = Op::Relation(Relation {
            subject: EntityRef::new(EntityKind::Organisation, "a"),
            kind: RelationKind::Labelled,
            object: EntityRef::new(EntityKind::Organisation, "a"),
            since: None,
            until: None,
            amount_eur: None,
            provenance: Provenance::stated("test"),
        });
        let Err(StoreError::Invalid(errs)) = apply(
            store,
            vec![org("a", None), dangling.clone(), wrong_kind.clone()],
            false,
        ) else {
            panic!("expected a refusal");
        };
        assert_eq!(errs.len(), 2);
        assert!(
            errs[0].to_string().contains("unknown label/nope"),
            "{}",
            errs[0]
        );
        assert!(
            errs[1]
                .to_string()
                .contains("cannot point to a organisation"),
            "{}",
            errs[1]
        );
        assert_eq!(store.counts().unwrap().entities.get("organisation"), None);
        assert!(
            store.audit(10).unwrap().is_empty(),
            "no audit entry for a refused write"
        );

        let report = apply(store, vec![org("a", None), dangling, wrong_kind], true).unwrap();
        assert_eq!(report.rejected.len(), 2);
        assert_eq!(store.counts().unwrap().entities["organisation"], 1);
        assert_eq!(store.counts().unwrap().relations, 0);
        assert!(store.check().unwrap().is_empty());
    }
}

#[test]
fn a_store_from_a_newer_version_is_not_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let v = SqliteStore::open(&path).unwrap().schema_version().unwrap();
    bump(&path, v + 1);
    let err = SqliteStore::open(&path).err().unwrap().to_string();
    assert!(err.contains("newer") && err.contains("upgrade"), "{err}");
    // Re-opening a current store is idempotent.
    let dir2 = tempfile::tempdir().unwrap();
    let p2 = dir2.path().join("s.sqlite");
    SqliteStore::open(&p2).unwrap();
    assert_eq!(SqliteStore::open(&p2).unwrap().schema_version().unwrap(), v);
}

/// Marks the file as migrated to `version`, as a newer Territoria would have.
fn bump(path: &std::path::Path, version: i64) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute(
        "INSERT INTO schema_migrations(version, description, applied_at) VALUES (?1, 'future', '2030-01-01')",
        [version],
    )
    .unwrap();
}

/// A `territory` scheme with two municipalities, an action and an indicator measuring it.
fn indicator_world() -> Vec<Op> {
    use territoria_model::{Action, ActionStatus, Aggregation, Indicator, IndicatorKind};
    let mut ops = vec![Op::Scheme(territoria_model::Scheme {
        id: "territory".into(),
        title: Labels::fr("Territoire"),
        description: Labels::new(),
        provenance: Provenance::stated("test"),
    })];
    for m in ["62063", "92094"] {
        ops.push(Op::Concept(territoria_model::Concept {
            scheme: "territory".into(),
            notation: m.into(),
            labels: Labels::fr(m),
            broader: None,
            attributes: Default::default(),
            provenance: Provenance::stated("test"),
        }));
    }
    let mut act = Entity::new(
        EntityKind::Action,
        "act",
        Labels::fr("Action"),
        Provenance::stated("test"),
    );
    act.details = Details::Action(Action {
        status: ActionStatus::Ongoing,
        start: None,
        end: None,
        budget_eur: None,
    });
    ops.push(Op::Entity(Box::new(act)));
    let mut ind = Entity::new(
        EntityKind::Indicator,
        "ind",
        Labels::fr("EPN"),
        Provenance::stated("test"),
    );
    ind.details = Details::Indicator(Indicator {
        unit: "EPN".into(),
        kind: IndicatorKind::Output,
        aggregation: Aggregation::Last,
        measures: EntityRef::new(EntityKind::Action, "act"),
    });
    ops.push(Op::Entity(Box::new(ind)));
    ops
}

fn obs(territory: Option<&str>, value: f64) -> Op {
    Op::Observation(territoria_model::Observation {
        indicator: "ind".into(),
        period: territoria_model::Period::year(2024),
        territory: territory.map(Into::into),
        value,
        qualifier: None,
        period_label: None,
        note: None,
        quote: None,
        provenance: if territory.is_some() {
            Provenance::demo("breakdown")
        } else {
            Provenance::stated("memorandum")
        },
    })
}

#[test]
fn a_breakdown_by_territory_lives_beside_the_whole_and_never_adds_to_it() {
    for b in common::backends("a_breakdown_by_territory_lives") {
        let store = &*b.store;
        eprintln!("on {}", b.name);
        let mut ops = indicator_world();
        ops.extend([
            obs(None, 3.0),
            obs(Some("62063"), 2.0),
            obs(Some("92094"), 1.0),
        ]);
        let report = apply(store, ops, false).unwrap();
        assert_eq!(report.inserted["observation"], 3);
        // The same (indicator, period, territory) again is an update, not a second row.
        let report = apply(store, vec![obs(Some("62063"), 5.0)], false).unwrap();
        assert_eq!(report.updated["observation"], 1);
        assert_eq!(store.counts().unwrap().observations, 3);

        // Pages and the API see the whole only.
        let action = store.entity(EntityKind::Action, "act").unwrap().unwrap();
        let values: Vec<f64> = action.indicators[0]
            .observations
            .iter()
            .map(|o| o.value)
            .collect();
        assert_eq!(values, [3.0]);

        // Maps see the breakdown, with the whole it breaks down.
        let list = store.territorial_indicators().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].id, "ind");
        assert_eq!(list[0].periods.len(), 1);
        assert_eq!(list[0].periods[0].period.period, "2024");
        let whole = list[0].periods[0].whole.as_ref().unwrap();
        assert_eq!(
            (whole.value, whole.provenance.source.as_str()),
            (3.0, "memorandum")
        );
        let parts = store.territorial_observations("ind").unwrap().unwrap();
        let parts: Vec<(&str, f64, bool)> = parts
            .iter()
            .map(|o| (o.territory.as_str(), o.value, o.provenance.demo))
            .collect();
        assert_eq!(parts, [("62063", 5.0, true), ("92094", 1.0, true)]);
        assert!(store.territorial_observations("nope").unwrap().is_none());

        // Exports carry the territory: the whole first, then its breakdown.
        let mut exported = Vec::new();
        store
            .export_observations(&mut |o| {
                exported.push(o.territory);
                Ok(())
            })
            .unwrap();
        assert_eq!(exported, [None, Some("62063".into()), Some("92094".into())]);

        // An unknown territory is refused, with a suggestion, and nothing is written.
        let err = apply(store, vec![obs(Some("62064"), 1.0)], false)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("territory") && err.contains("62063"), "{err}");
        assert_eq!(store.counts().unwrap().observations, 3);
    }
}

#[test]
fn a_schema_3_store_migrates_with_its_observations_tags_and_keys() {
    use territoria_model::ConceptRef;
    use territoria_store::EntityQuery;
    use territoria_store::schema::MIGRATIONS;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    // A store as version 3 wrote it: tags in the `entity_concepts` table, observations
    // without territory, the entity key and the enterprise number as table constraints.
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL,
               applied_at TEXT NOT NULL)",
        )
        .unwrap();
        for m in MIGRATIONS.iter().filter(|m| m.version <= 3) {
            c.execute_batch(&m.sql.replace("/*CLUSTERED*/", "WITHOUT ROWID"))
                .unwrap();
            c.execute(
                "INSERT INTO schema_migrations VALUES (?1, ?2, '2026-01-01')",
                rusqlite::params![m.version, m.description],
            )
            .unwrap();
        }
        c.execute_batch(
            r#"INSERT INTO schemes(id, slug, title, source) VALUES (1, 'size-class', '{"fr":"Taille"}', 't');
               INSERT INTO concepts(id, scheme_id, notation, labels, source) VALUES
                 (1, 1, 'small', '{"fr":"petite"}', 't'), (2, 1, 'micro', '{"fr":"micro"}', 't');
               INSERT INTO entities(id, kind, key, name, labels, source, updated_at) VALUES
                 (1, 'organisation', 'org', 'Org', '{"fr":"Org"}', 't', '2026-01-01'),
                 (2, 'action', 'act', 'Action', '{"fr":"Action"}', 't', '2026-01-01'),
                 (3, 'indicator', 'ind', 'EPN', '{"fr":"EPN"}', 't', '2026-01-01');
               INSERT INTO organisations(entity_id, kbo) VALUES (1, '0123.456.749');
               INSERT INTO actions(entity_id, status) VALUES (2, 'ongoing');
               INSERT INTO indicators(entity_id, unit, kind, aggregation, measures_id)
                 VALUES (3, 'EPN', 'output', 'last', 2);
               -- The old table declared no foreign key: a tag may name no concept.
               INSERT INTO entity_concepts VALUES (1, 2), (1, 1), (2, 1), (1, 999);
               INSERT INTO observations(indicator_id, period_start, period_end, value, recorded_at, source)
                 VALUES (3, '2024-01-01', '2024-12-31', 7, '2026-01-01', 't');"#,
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store.schema_version().unwrap(),
        MIGRATIONS.last().unwrap().version
    );
    assert_eq!(store.check().unwrap(), Vec::<String>::new());
    let tags = |kind, key| {
        store
            .entity(kind, key)
            .unwrap()
            .unwrap()
            .entity
            .tags
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        tags(EntityKind::Organisation, "org"),
        ["size-class:micro", "size-class:small"]
    );
    assert_eq!(tags(EntityKind::Action, "act"), ["size-class:small"]);
    let org_row = store
        .entity(EntityKind::Organisation, "org")
        .unwrap()
        .unwrap();
    assert_eq!(org_row.entity.provenance.source, "t");
    let small = |kind| {
        store
            .entities(&EntityQuery {
                kind,
                concepts: vec![ConceptRef::new("size-class", "small")],
                text: None,
                demo: None,
                limit: 10,
                offset: 0,
            })
            .unwrap()
            .total
    };
    assert_eq!(
        (small(EntityKind::Organisation), small(EntityKind::Action)),
        (1, 1)
    );
    let action = store.entity(EntityKind::Action, "act").unwrap().unwrap();
    assert_eq!(action.indicators[0].observations[0].value, 7.0);
    // The keys still hold: the enterprise number is taken, a territorial observation fits.
    let err = apply(&store, vec![org("other", Some("0123.456.749"))], false)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("already belongs to organisation/org"), "{err}");
    apply(&store, indicator_world(), false).unwrap();
    apply(&store, vec![obs(Some("62063"), 4.0)], false).unwrap();
    assert_eq!(store.counts().unwrap().observations, 2);
    // Rewriting the organisation without tags takes it out of the concept's members.
    apply(&store, vec![org("org", Some("0123.456.749"))], false).unwrap();
    assert_eq!(small(EntityKind::Organisation), 0);
    assert_eq!(store.check().unwrap(), Vec::<String>::new());
}

/// The indexes named in `DEFERRABLE_INDEXES` that the file holds.
fn deferrable_indexes(path: &std::path::Path) -> Vec<String> {
    let c = rusqlite::Connection::open(path).unwrap();
    territoria_store::schema::DEFERRABLE_INDEXES
        .iter()
        .filter(|(name, _)| {
            c.query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?1",
                [name],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
                == 1
        })
        .map(|(name, _)| name.to_string())
        .collect()
}

#[test]
fn a_bulk_write_builds_its_deferred_indexes_again_or_leaves_them_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let path = dir.path().join("s.sqlite");
    let all = deferrable_indexes(&path);
    assert_eq!(all.len(), 3);
    let many = |prefix: &str| -> Vec<Op> {
        (0..20_001)
            .map(|i| org(&format!("{prefix}-{i:05}"), None))
            .collect()
    };
    // A refused bulk write (its last record is invalid) rolls the drop back too.
    let mut ops = many("a");
    ops.push(org("BAD KEY", None));
    assert!(apply(&store, ops, false).is_err());
    assert_eq!(deferrable_indexes(&path), all);
    assert_eq!(store.counts().unwrap().entities.get("organisation"), None);
    // A committed one builds them again, and they hold every row.
    apply(&store, many("b"), false).unwrap();
    assert_eq!(deferrable_indexes(&path), all);
    let c = rusqlite::Connection::open(&path).unwrap();
    let by_name: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM entities INDEXED BY entities_by_name WHERE kind = 'organisation' AND name >= ''",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(by_name, 20_001);
    assert_eq!(
        c.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0))
            .unwrap(),
        "ok"
    );
}

#[test]
fn a_bulk_write_checks_keys_and_enterprise_numbers_against_the_store_without_its_indexes() {
    use territoria_model::ConceptRef;
    for b in common::backends("a_bulk_write_checks_keys_and_e") {
        let store = &*b.store;
        eprintln!("on {}", b.name);
        let scheme = |id: &str| {
            Op::Scheme(territoria_model::Scheme {
                id: id.into(),
                title: Labels::fr(id),
                description: Labels::new(),
                provenance: Provenance::stated("test"),
            })
        };
        let concept = |n: &str| {
            Op::Concept(territoria_model::Concept {
                scheme: "size-class".into(),
                notation: n.into(),
                labels: Labels::fr(n),
                broader: None,
                attributes: Default::default(),
                provenance: Provenance::stated("test"),
            })
        };
        let tagged = |key: &str, kbo: Option<&str>, size: &str| {
            let Op::Entity(mut e) = org(key, kbo) else {
                unreachable!()
            };
            e.tags = vec![ConceptRef::new("size-class", size)];
            Op::Entity(e)
        };
        apply(
            store,
            vec![
                scheme("size-class"),
                concept("micro"),
                concept("small"),
                tagged("x", Some("0123.456.749"), "micro"),
                tagged("w", Some("0100.000.070"), "micro"),
            ],
            false,
        )
        .unwrap();
        // 20,001 new organisations make the write a bulk one; what follows is checked
        // against keys in memory.
        let mut ops: Vec<Op> = (0..20_001)
            .map(|i| tagged(&format!("b-{i:05}"), None, "micro"))
            .collect();
        ops.push(tagged("x", Some("0123.456.749"), "small")); // an update of a stored one
        ops.push(tagged("z", Some("0100.000.070"), "small")); // a number already held
        ops.push(tagged("b-00005", None, "small")); // a duplicate in this input
        ops.push(Op::Relation(Relation {
            subject: EntityRef::new(EntityKind::Organisation, "b-00010"),
            kind: RelationKind::MemberOf,
            object: EntityRef::new(EntityKind::Organisation, "x"),
            since: None,
            until: None,
            amount_eur: None,
            provenance: Provenance::stated("test"),
        }));
        let report = apply(store, ops, true).unwrap();
        let rejected: Vec<String> = report.rejected.iter().map(ToString::to_string).collect();
        assert_eq!(rejected.len(), 2, "{rejected:?}");
        assert!(
            rejected[0].contains("already belongs to organisation/w"),
            "{rejected:?}"
        );
        assert!(rejected[1].contains("appears twice"), "{rejected:?}");
        assert_eq!(report.updated.get("organisation"), Some(&1));
        assert_eq!(report.inserted.get("relation"), Some(&1));
        assert_eq!(
            store.counts().unwrap().entities.get("organisation"),
            Some(&20_003)
        );
        let x = store
            .entity(EntityKind::Organisation, "x")
            .unwrap()
            .unwrap();
        assert_eq!(x.entity.tags, [ConceptRef::new("size-class", "small")]);
        let count = |size: &str| {
            store
                .entities(&territoria_store::EntityQuery {
                    kind: EntityKind::Organisation,
                    concepts: vec![ConceptRef::new("size-class", size)],
                    text: None,
                    demo: None,
                    limit: 1,
                    offset: 0,
                })
                .unwrap()
                .total
        };
        assert_eq!((count("micro"), count("small")), (20_002, 1));
        // Pages by name, from many members (walked by name) and from few (sorted).
        let page = |size: &str, text: Option<&str>, offset: u64| {
            let p = store
                .entities(&territoria_store::EntityQuery {
                    kind: EntityKind::Organisation,
                    concepts: vec![ConceptRef::new("size-class", size)],
                    text: text.map(Into::into),
                    demo: None,
                    limit: 2,
                    offset,
                })
                .unwrap();
            (
                p.total,
                p.items.into_iter().map(|i| i.id).collect::<Vec<_>>(),
            )
        };
        assert_eq!(
            page("micro", None, 1),
            (20_002, vec!["b-00001".into(), "b-00002".into()])
        );
        assert_eq!(page("micro", None, 20_001), (20_002, vec!["w".into()]));
        assert_eq!(
            page("micro", Some("b-1999"), 0),
            (10, vec!["b-19990".into(), "b-19991".into()])
        );
        assert_eq!(page("small", None, 0), (1, vec!["x".into()]));
        // The unique indexes are back and hold: the number cannot be given twice.
        assert_eq!(store.check().unwrap(), Vec::<String>::new());
        // (SQLite only: looks at the file under the trait.)
        if let Some(path) = &b.sqlite_path {
            let c = rusqlite::Connection::open(path).unwrap();
            let twice = c.execute(
            "UPDATE organisations SET kbo = '0123.456.749' WHERE entity_id = (SELECT id FROM entities WHERE key = 'b-00001')",
            [],
        );
            assert!(twice.is_err());
        }
    }
}

#[test]
fn check_finds_concept_members_that_disagree_with_the_tags() {
    use territoria_model::ConceptRef;
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let Op::Entity(mut e) = org("a", None) else {
        unreachable!()
    };
    e.tags = vec![ConceptRef::new("size-class", "micro")];
    apply(
        &store,
        vec![
            Op::Scheme(territoria_model::Scheme {
                id: "size-class".into(),
                title: Labels::fr("Taille"),
                description: Labels::new(),
                provenance: Provenance::stated("test"),
            }),
            Op::Concept(territoria_model::Concept {
                scheme: "size-class".into(),
                notation: "micro".into(),
                labels: Labels::fr("micro"),
                broader: None,
                attributes: Default::default(),
                provenance: Provenance::stated("test"),
            }),
            Op::Entity(e),
        ],
        false,
    )
    .unwrap();
    assert_eq!(store.check().unwrap(), Vec::<String>::new());
    // Lose the bitmap behind the store's back: check says so.
    let c = rusqlite::Connection::open(dir.path().join("s.sqlite")).unwrap();
    c.execute("DELETE FROM concept_members", []).unwrap();
    let problems = store.check().unwrap();
    assert!(
        problems.iter().any(|p| p.contains("1 are missing")),
        "{problems:?}"
    );
}
