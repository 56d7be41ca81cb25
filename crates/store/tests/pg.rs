//! The PostgreSQL backend against a real server: the database named by
//! `TERRITORIA_TEST_DATABASE` (`.ci/postgres.sh` starts one and prints its URL), each
//! test in a fresh schema dropped at its end. Without that variable these tests say so
//! and pass vacuously; `.ci/run` always sets it (and `TERRITORIA_TEST_REQUIRE_DATABASE`,
//! which turns a missing database into a failure).
#![cfg(feature = "postgres")]

use std::sync::atomic::{AtomicU32, Ordering};

use territoria_model::entity::EntityRef;
use territoria_model::{
    Details, Entity, EntityKind, Kbo, Labels, Organisation, Provenance, Relation, RelationKind,
};
use territoria_store::{Located, Op, PgStore, Store, StoreError, WriteOptions, WriteReport};

struct Fresh {
    url: String,
    schema: String,
    store: PgStore,
}

impl Drop for Fresh {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.url, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

fn url() -> Option<String> {
    match std::env::var("TERRITORIA_TEST_DATABASE") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var_os("TERRITORIA_TEST_REQUIRE_DATABASE").is_none(),
                "TERRITORIA_TEST_REQUIRE_DATABASE is set but TERRITORIA_TEST_DATABASE is not"
            );
            eprintln!("skipped: TERRITORIA_TEST_DATABASE is not set (see .ci/postgres.sh)");
            None
        }
    }
}

fn fresh(test: &str) -> Option<Fresh> {
    static N: AtomicU32 = AtomicU32::new(0);
    let url = url()?;
    let schema = format!(
        "t_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        test
    );
    let store = PgStore::open_in_schema(&url, &schema).unwrap();
    Some(Fresh { url, schema, store })
}

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

fn apply(store: &PgStore, ops: Vec<Op>, skip: bool) -> Result<WriteReport, StoreError> {
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

#[test]
fn a_fresh_database_is_migrated_to_the_latest_version_and_opens_again() {
    let Some(f) = fresh("migrate") else { return };
    let latest = territoria_store::schema::PG_MIGRATIONS
        .last()
        .unwrap()
        .version;
    assert_eq!(f.store.schema_version().unwrap(), latest);
    let again = PgStore::open_in_schema(&f.url, &f.schema).unwrap();
    assert_eq!(again.schema_version().unwrap(), latest);
}

#[test]
fn a_database_from_a_newer_version_is_not_opened() {
    let Some(f) = fresh("newer") else { return };
    let mut c = postgres::Client::connect(&f.url, postgres::NoTls).unwrap();
    c.batch_execute(&format!(
        "INSERT INTO {}.schema_migrations VALUES (999, 'future', 'x')",
        f.schema
    ))
    .unwrap();
    let err = PgStore::open_in_schema(&f.url, &f.schema)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("newer than this program knows"), "{err}");
}

#[test]
fn a_bad_address_or_schema_is_refused_clearly() {
    let err = PgStore::open("postgres://u@h/d?sslmode=bogus")
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("not a PostgreSQL URL"), "{err}");
    let err = PgStore::open_in_schema("postgres://u@h/d", "Bad; DROP")
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("not a usable schema name"), "{err}");
}

#[test]
fn every_commit_appends_one_audit_entry_and_notifies() {
    let Some(f) = fresh("audit") else { return };
    let mut listener = postgres::Client::connect(&f.url, postgres::NoTls).unwrap();
    listener.batch_execute("LISTEN territoria_audit").unwrap();
    let first = apply(&f.store, vec![org("a", None), org("b", None)], false).unwrap();
    apply(&f.store, vec![org("a", None)], false).unwrap();
    let audit = f.store.audit(10).unwrap();
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0].actor, "alice");
    assert_eq!(audit[1].id, first.audit_id.unwrap());
    assert_eq!(audit[1].summary["inserted"]["organisation"], 2);
    assert_eq!(audit[0].summary["updated"]["organisation"], 1);
    assert_eq!(audit[0].summary["changed"][0], "organisation/a");
    // Both notifications were sent before this point (at each commit); the timeout
    // only bounds a failure.
    let mut got: Vec<String> = Vec::new();
    let mut notes = listener.notifications();
    let mut it = notes.timeout_iter(std::time::Duration::from_secs(10));
    while got
        .iter()
        .filter(|p| p.starts_with(&format!("{} ", f.schema)))
        .count()
        < 2
    {
        match postgres::fallible_iterator::FallibleIterator::next(&mut it).unwrap() {
            Some(n) => got.push(n.payload().to_owned()),
            None => break,
        }
    }
    let expected: Vec<String> = [audit[1].id, audit[0].id]
        .iter()
        .map(|id| format!("{} {id}", f.schema))
        .collect();
    // Other tests write to other schemas of the same database meanwhile.
    got.retain(|p| p.starts_with(&format!("{} ", f.schema)));
    assert_eq!(got, expected);
    let counts = f.store.counts().unwrap();
    assert_eq!(counts.entities["organisation"], 2);
    assert_eq!(counts.audit_entries, 2);
}

#[test]
fn the_same_validation_refuses_the_same_records() {
    let Some(f) = fresh("validation") else { return };
    apply(&f.store, vec![org("a", Some("0403.170.701"))], false).unwrap();
    apply(&f.store, vec![org("a", Some("0403170701"))], false).unwrap();
    let Err(StoreError::Invalid(errs)) =
        apply(&f.store, vec![org("b", Some("BE0403170701"))], false)
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
    // A relation to an unknown entity refuses the batch: nothing of it is written.
    let rel = Op::Relation(Relation {
        subject: EntityRef::new(EntityKind::Organisation, "c"),
        kind: RelationKind::MemberOf,
        object: EntityRef::new(EntityKind::Organisation, "nobody"),
        since: None,
        until: None,
        amount_eur: None,
        provenance: Provenance::stated("test"),
    });
    let Err(StoreError::Invalid(errs)) = apply(&f.store, vec![org("c", None), rel.clone()], false)
    else {
        panic!("expected a refusal");
    };
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].to_string().contains("unknown organisation/nobody"),
        "{}",
        errs[0]
    );
    assert_eq!(f.store.counts().unwrap().entities["organisation"], 1);
    // With skip_invalid the valid record is committed and the other reported.
    let report = apply(&f.store, vec![org("c", None), rel], true).unwrap();
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(f.store.counts().unwrap().entities["organisation"], 2);
}

#[test]
fn a_bulk_write_keeps_its_indexes_and_catches_duplicates() {
    let Some(f) = fresh("bulk") else { return };
    let ops: Vec<Op> = (0..6_000).map(|i| org(&format!("o{i:05}"), None)).collect();
    let report = apply(&f.store, ops, false).unwrap();
    assert_eq!(report.inserted["organisation"], 6_000);
    let mut c = postgres::Client::connect(&f.url, postgres::NoTls).unwrap();
    let indexes: Vec<String> = c
        .query(
            "SELECT indexname FROM pg_indexes WHERE schemaname = $1
             AND indexname IN ('entities_key', 'entities_by_name', 'organisations_kbo')
             ORDER BY indexname",
            &[&f.schema],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        indexes,
        ["entities_by_name", "entities_key", "organisations_kbo"]
    );
    // The same keys again, with one duplicate inside the batch: refused whole.
    let mut ops: Vec<Op> = (0..6_000).map(|i| org(&format!("o{i:05}"), None)).collect();
    ops.push(org("o00042", None));
    let Err(StoreError::Invalid(errs)) = apply(&f.store, ops, false) else {
        panic!("expected a refusal");
    };
    assert!(errs[0].to_string().contains("appears twice"), "{}", errs[0]);
    assert_eq!(f.store.counts().unwrap().entities["organisation"], 6_000);
}

#[test]
fn changes_since_names_the_entities_written_after_an_audit_entry() {
    let Some(f) = fresh("changes") else { return };
    let first = apply(&f.store, vec![org("a", None), org("b", None)], false).unwrap();
    apply(&f.store, vec![org("b", None)], false).unwrap();
    let all = f.store.changes_since(0).unwrap();
    assert_eq!(all.entities.len(), 2);
    let later = f.store.changes_since(first.audit_id.unwrap()).unwrap();
    assert_eq!(later.upto, first.audit_id.unwrap() + 1);
    assert_eq!(later.entities.len(), 1);
    assert!(!later.concepts);
}

/// Everything a store exports, as comparable text.
fn exports(store: &dyn Store) -> Vec<String> {
    let mut out = Vec::new();
    for kind in [
        EntityKind::Organisation,
        EntityKind::Strategy,
        EntityKind::Indicator,
    ] {
        store
            .export_entities(kind, &mut |e, rels| {
                out.push(format!("{e:?} {rels:?}"));
                Ok(())
            })
            .unwrap();
    }
    store
        .export_observations(&mut |o| {
            out.push(format!("{o:?}"));
            Ok(())
        })
        .unwrap();
    out.push(format!("{:?}", store.counts().unwrap()));
    out.push(format!("{:?}", store.audit(100).unwrap()));
    out
}

#[test]
fn a_store_copied_to_postgresql_and_back_exports_the_same_and_checks_clean() {
    let Some(f) = fresh("copy") else { return };
    let dir = tempfile::tempdir().unwrap();
    let embedded = territoria_store::SqliteStore::open(&dir.path().join("a.sqlite")).unwrap();
    let mut ops: Vec<Op> = (0..300)
        .map(|i| org(&format!("o{i:03}"), (i == 7).then_some("0403.170.701")))
        .collect();
    // What COPY's text format reads specially travels as it is.
    let mut odd = Entity::new(
        EntityKind::Organisation,
        "odd",
        Labels::fr("tab\there, new\nline, back\\slash, \\N, cr\r"),
        Provenance::stated("test"),
    );
    odd.description = Labels::fr("« guillemets » et é");
    ops.push(Op::Entity(Box::new(odd)));
    ops.push(Op::Relation(Relation {
        subject: EntityRef::new(EntityKind::Organisation, "o001"),
        kind: RelationKind::MemberOf,
        object: EntityRef::new(EntityKind::Organisation, "o002"),
        since: None,
        until: None,
        amount_eur: Some(12.5),
        provenance: Provenance::stated("test"),
    }));
    let mut it = ops.into_iter().map(|op| Ok(Located::from(op)));
    embedded
        .apply(
            "alice",
            "seed",
            &mut it,
            &WriteOptions::default(),
            &mut |_| {},
        )
        .unwrap();
    let mut seen = (0, 0);
    let rows = territoria_store::sqlite_to_postgres(&embedded, &f.store, &mut |d, t| seen = (d, t))
        .unwrap();
    assert_eq!(seen, (rows, rows));
    assert_eq!(exports(&embedded), exports(&f.store));
    assert_eq!(f.store.check().unwrap(), Vec::<String>::new());
    // The copy is not a second write: its generated ids continue after the copied ones.
    let report = apply(&f.store, vec![org("new", None)], false).unwrap();
    assert_eq!(report.audit_id, Some(2));
    assert_eq!(report.changed_entities, [302]);
    // A store that holds data is not overwritten.
    let err = territoria_store::sqlite_to_postgres(&embedded, &f.store, &mut |_, _| {})
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("already holds data"), "{err}");
    // And back.
    let back = territoria_store::SqliteStore::open(&dir.path().join("b.sqlite")).unwrap();
    territoria_store::postgres_to_sqlite(&f.store, &back, &mut |_, _| {}).unwrap();
    assert_eq!(exports(&back), exports(&f.store));
    assert_eq!(back.check().unwrap(), Vec::<String>::new());
}

#[test]
fn a_write_by_one_process_is_announced_to_the_others() {
    let Some(f) = fresh("announce") else { return };
    // Another server on the same database.
    let other = PgStore::open_in_schema(&f.url, &f.schema).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    other.on_write(move |id| tx.send(id).unwrap()).unwrap();
    let report = apply(&f.store, vec![org("a", None)], false).unwrap();
    // The timeout only bounds a failure: the notification is sent at the commit.
    let got = rx.recv_timeout(std::time::Duration::from_secs(30)).unwrap();
    assert_eq!(Some(got), report.audit_id);
    let changes = other.changes_since(got - 1).unwrap();
    assert_eq!(changes.entities.len(), 1);
}
