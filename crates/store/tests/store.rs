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
