//! The write path: audit trail, references, duplicates against the store, atomicity,
//! and schema versions.

use territoria_model::{
    Details, Entity, EntityKind, EntityRef, Kbo, Labels, Organisation, Provenance, Relation,
    RelationKind,
};
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
        &WriteOptions { skip_invalid: skip },
        &mut |_| {},
    )
}

fn open(dir: &tempfile::TempDir) -> SqliteStore {
    SqliteStore::open(&dir.path().join("s.sqlite")).unwrap()
}

#[test]
fn every_commit_appends_one_audit_entry_saying_who_and_what() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    apply(&store, vec![org("a", None), org("b", None)], false).unwrap();
    apply(&store, vec![org("a", None)], false).unwrap();
    let audit = store.audit(10).unwrap();
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0].actor, "alice");
    assert_eq!(audit[1].summary["inserted"]["organisation"], 2);
    assert_eq!(audit[0].summary["updated"]["organisation"], 1);
    assert_eq!(audit[0].summary["changed"][0], "organisation/a");
}

#[test]
fn an_enterprise_number_held_by_another_organisation_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    apply(&store, vec![org("a", Some("0403.170.701"))], false).unwrap();
    // The same organisation may keep its number on update …
    apply(&store, vec![org("a", Some("0403170701"))], false).unwrap();
    // … but another one may not take it.
    let Err(StoreError::Invalid(errs)) = apply(&store, vec![org("b", Some("BE0403170701"))], false)
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

#[test]
fn a_refused_batch_leaves_nothing_and_skip_invalid_keeps_only_valid_records() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
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
        &store,
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

    let report = apply(&store, vec![org("a", None), dangling, wrong_kind], true).unwrap();
    assert_eq!(report.rejected.len(), 2);
    assert_eq!(store.counts().unwrap().entities["organisation"], 1);
    assert_eq!(store.counts().unwrap().relations, 0);
    assert!(store.check().unwrap().is_empty());
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
        period: territoria_model::Period::year(2024).unwrap(),
        territory: territory.map(Into::into),
        value,
        qualifier: None,
        period_label: None,
        note: None,
        provenance: if territory.is_some() {
            Provenance::demo("breakdown")
        } else {
            Provenance::stated("memorandum")
        },
    })
}

#[test]
fn a_breakdown_by_territory_lives_beside_the_whole_and_never_adds_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut ops = indicator_world();
    ops.extend([
        obs(None, 3.0),
        obs(Some("62063"), 2.0),
        obs(Some("92094"), 1.0),
    ]);
    let report = apply(&store, ops, false).unwrap();
    assert_eq!(report.inserted["observation"], 3);
    // The same (indicator, period, territory) again is an update, not a second row.
    let report = apply(&store, vec![obs(Some("62063"), 5.0)], false).unwrap();
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
    let err = apply(&store, vec![obs(Some("62064"), 1.0)], false)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("territory") && err.contains("62063"), "{err}");
    assert_eq!(store.counts().unwrap().observations, 3);
}

#[test]
fn observations_survive_the_migration_to_territorial_breakdowns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    let store = SqliteStore::open(&path).unwrap();
    apply(&store, indicator_world(), false).unwrap();
    // Put the observations table back in its version-3 shape, then open again.
    apply(&store, vec![obs(None, 7.0)], false).unwrap();
    drop(store);
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "DROP INDEX observations_key; DROP INDEX observations_by_territory;
             ALTER TABLE observations RENAME TO observations_v4;
             CREATE TABLE observations AS SELECT id, indicator_id, period_start, period_end, value,
               qualifier, period_label, note, recorded_at, source, source_date, inferred, demo
               FROM observations_v4;
             DROP TABLE observations_v4;
             DELETE FROM schema_migrations WHERE version = 4;",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), 4);
    let action = store.entity(EntityKind::Action, "act").unwrap().unwrap();
    assert_eq!(action.indicators[0].observations[0].value, 7.0);
    apply(&store, vec![obs(Some("62063"), 4.0)], false).unwrap();
    assert_eq!(store.counts().unwrap().observations, 2);
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
    assert_eq!(all.len(), 2);
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
