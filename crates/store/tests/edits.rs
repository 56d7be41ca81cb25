//! Edits: optimistic concurrency, the before and after of each change, history and
//! revert, and accounts.

use territoria_model::{
    Details, Entity, EntityKind, Labels, Observation, Organisation, Period, Provenance,
};
mod common;

use territoria_store::{
    Expectation, Located, NewUser, Op, Role, Store, StoreError, UserChange, WriteOptions,
    revert_ops,
};

fn org(key: &str, name: &str) -> Op {
    let mut e = Entity::new(
        EntityKind::Organisation,
        key,
        Labels::fr(name),
        Provenance::stated("test"),
    );
    e.details = Details::Organisation(Organisation::default());
    Op::Entity(Box::new(e))
}

fn write(store: &dyn Store, ops: Vec<Op>, options: WriteOptions) -> Result<i64, StoreError> {
    let mut it = ops.into_iter().map(|op| Ok(Located::from(op)));
    store
        .apply("alice", "edit", &mut it, &options, &mut |_| {})
        .map(|r| r.audit_id.unwrap())
}

fn edit(version: Option<i64>, key: &str) -> WriteOptions {
    WriteOptions {
        expect: vec![Expectation {
            kind: EntityKind::Organisation,
            key: key.into(),
            version,
        }],
        record_changes: true,
        ..Default::default()
    }
}

#[test]
fn a_stale_edit_is_refused_with_the_current_version_and_writes_nothing() {
    for b in common::backends("a_stale_edit_is_refused_with_t") {
        a_stale_edit_is_refused_with_the_current_version_and_writes_nothing_on(&*b.store);
    }
}

fn a_stale_edit_is_refused_with_the_current_version_and_writes_nothing_on(store: &dyn Store) {
    let v1 = write(store, vec![org("a", "Alpha")], edit(None, "a")).unwrap();
    assert_eq!(
        store.entity_version(EntityKind::Organisation, "a").unwrap(),
        Some(v1)
    );
    let v2 = write(store, vec![org("a", "Alpha 2")], edit(Some(v1), "a")).unwrap();
    // Someone else started from v1 too.
    let err = write(store, vec![org("a", "Alpha bis")], edit(Some(v1), "a")).unwrap_err();
    let StoreError::Conflict { entity, current } = &err else {
        panic!("{err}");
    };
    assert_eq!(entity, "organisation/a");
    assert_eq!(*current, Some(v2));
    assert!(err.to_string().contains("reload"), "{err}");
    let now = store
        .entity(EntityKind::Organisation, "a")
        .unwrap()
        .unwrap();
    assert_eq!(
        now.entity.name.get(territoria_model::Lang::Fr),
        Some("Alpha 2")
    );
    // Creating what exists already is stale as well.
    assert!(matches!(
        write(store, vec![org("a", "X")], edit(None, "a")),
        Err(StoreError::Conflict { .. })
    ));
}

#[test]
fn history_records_who_when_before_and_after_and_a_revert_is_itself_audited() {
    for b in common::backends("history_records_who_when_befor") {
        history_records_who_when_before_and_after_and_a_revert_is_itself_audited_on(&*b.store);
    }
}

fn history_records_who_when_before_and_after_and_a_revert_is_itself_audited_on(store: &dyn Store) {
    let v1 = write(store, vec![org("a", "Alpha")], edit(None, "a")).unwrap();
    let v2 = write(store, vec![org("a", "Alpha corrigé")], edit(Some(v1), "a")).unwrap();
    let h = store.history(EntityKind::Organisation, "a", 10).unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].change.audit_id, v2);
    assert_eq!(h[0].actor, "alice");
    assert_eq!(h[0].change.before.as_ref().unwrap()["name"]["fr"], "Alpha");
    assert_eq!(
        h[0].change.after.as_ref().unwrap()["name"]["fr"],
        "Alpha corrigé"
    );
    assert!(h[1].change.before.is_none(), "created");
    // Writing the same again records nothing new.
    write(store, vec![org("a", "Alpha corrigé")], edit(Some(v2), "a")).unwrap();
    assert_eq!(
        store
            .history(EntityKind::Organisation, "a", 10)
            .unwrap()
            .len(),
        2
    );

    // Revert v2 … but the entity has moved on since (the no-op write above): stale.
    let (ops, expect) = revert_ops(&store.changes_of(v2).unwrap()).unwrap();
    let now = store.entity_version(EntityKind::Organisation, "a").unwrap();
    assert_ne!(now, Some(v2));
    let mut it = ops.clone().into_iter().map(|op| Ok(Located::from(op)));
    let stale = store.apply(
        "admin",
        &format!("revert {v2}"),
        &mut it,
        &WriteOptions {
            expect: expect.clone(),
            record_changes: true,
            ..Default::default()
        },
        &mut |_| {},
    );
    assert!(matches!(stale, Err(StoreError::Conflict { .. })));
    // Reverting the latest change works and is audited like any edit.
    let latest = store.history(EntityKind::Organisation, "a", 1).unwrap()[0]
        .change
        .audit_id;
    assert_eq!(latest, v2);
    let v3 = write(store, vec![org("a", "Alpha faux")], edit(now, "a")).unwrap();
    let (ops, expect) = revert_ops(&store.changes_of(v3).unwrap()).unwrap();
    let mut it = ops.into_iter().map(|op| Ok(Located::from(op)));
    let r = store
        .apply(
            "admin",
            &format!("revert {v3}"),
            &mut it,
            &WriteOptions {
                expect,
                record_changes: true,
                ..Default::default()
            },
            &mut |_| {},
        )
        .unwrap();
    let e = store
        .entity(EntityKind::Organisation, "a")
        .unwrap()
        .unwrap();
    assert_eq!(
        e.entity.name.get(territoria_model::Lang::Fr),
        Some("Alpha corrigé")
    );
    let h = store.history(EntityKind::Organisation, "a", 1).unwrap();
    assert_eq!(h[0].change.audit_id, r.audit_id.unwrap());
    assert_eq!(h[0].actor, "admin");
    // A creation cannot be reverted.
    let err = revert_ops(&store.changes_of(v1).unwrap()).unwrap_err();
    assert!(err.to_string().contains("cannot be reverted"), "{err}");
}

#[test]
fn observation_changes_belong_to_their_indicator() {
    for b in common::backends("observation_changes_belong_to_") {
        observation_changes_belong_to_their_indicator_on(&*b.store);
    }
}

fn observation_changes_belong_to_their_indicator_on(store: &dyn Store) {
    use territoria_model::{Aggregation, EntityRef, Indicator, IndicatorKind};
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
        measures: EntityRef::new(EntityKind::Organisation, "a"),
    });
    write(
        store,
        vec![org("a", "A"), Op::Entity(Box::new(ind))],
        WriteOptions::default(),
    )
    .unwrap();
    let o = |v: f64| {
        Op::Observation(Observation {
            indicator: "ind".into(),
            period: Period::year(2024),
            territory: None,
            value: v,
            qualifier: None,
            period_label: None,
            note: None,
            quote: None,
            provenance: Provenance::stated("rapport"),
        })
    };
    let rec = || WriteOptions {
        record_changes: true,
        ..Default::default()
    };
    write(store, vec![o(10.0)], rec()).unwrap();
    let id = write(store, vec![o(12.0)], rec()).unwrap();
    let h = store.history(EntityKind::Indicator, "ind", 10).unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].change.item, "observation");
    assert_eq!(h[0].change.detail, "2024");
    assert_eq!(h[0].change.before.as_ref().unwrap()["value"], 10.0);
    assert_eq!(h[0].change.after.as_ref().unwrap()["value"], 12.0);
    let (ops, _) = revert_ops(&store.changes_of(id).unwrap()).unwrap();
    write(store, ops, rec()).unwrap();
    let mut values = vec![];
    store
        .export_observations(&mut |o| {
            values.push(o.value);
            Ok(())
        })
        .unwrap();
    assert_eq!(values, [10.0]);
}

#[test]
fn accounts_sessions_and_tokens() {
    for b in common::backends("accounts_sessions_and_tokens") {
        eprintln!("backend: {}", b.name);
        accounts_sessions_and_tokens_on(b.store.as_ref());
    }
}

fn accounts_sessions_and_tokens_on(store: &dyn Store) {
    write(store, vec![org("org-a", "A")], WriteOptions::default()).unwrap();
    let new = |login: &str, role, organisation: Option<&str>| NewUser {
        login: login.into(),
        display_name: login.into(),
        email: None,
        password_hash: Some("$argon2id$fake".into()),
        role,
        organisation: organisation.map(Into::into),
        strategy: None,
        oidc_subject: None,
    };
    let p = store
        .create_user("cli", &new("Marie", Role::Partner, Some("org-a")))
        .unwrap();
    assert_eq!(p.login, "marie", "logins are case-insensitive");
    assert!(
        store
            .create_user("cli", &new("marie", Role::Admin, None))
            .is_err()
    );
    assert!(
        store
            .create_user("cli", &new("x", Role::Partner, None))
            .unwrap_err()
            .to_string()
            .contains("organisation")
    );
    assert!(
        store
            .create_user("cli", &new("y", Role::Partner, Some("nowhere")))
            .unwrap_err()
            .to_string()
            .contains("no such organisation")
    );
    assert_eq!(store.audit(1).unwrap()[0].operation, "account: create");
    // Lock-out after 3 failures.
    for _ in 0..3 {
        store.login_failed(p.id, 3, "2999-01-01T00:00:00Z").unwrap();
    }
    let c = store.credentials("MARIE").unwrap().unwrap();
    assert_eq!(c.failed_logins, 3);
    assert_eq!(c.locked_until.as_deref(), Some("2999-01-01T00:00:00Z"));
    store.login_succeeded(p.id).unwrap();
    assert_eq!(
        store.credentials("marie").unwrap().unwrap().failed_logins,
        0
    );
    // Sessions expire and end with the account.
    store
        .create_session("h1", p.id, "csrf", "2030-01-01T00:00:00Z")
        .unwrap();
    assert!(
        store
            .session("h1", "2029-12-31T00:00:00Z")
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .session("h1", "2030-01-02T00:00:00Z")
            .unwrap()
            .is_none()
    );
    store
        .update_user(
            "admin",
            p.id,
            &UserChange {
                disabled: Some(true),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(
        store
            .session("h1", "2029-12-31T00:00:00Z")
            .unwrap()
            .is_none()
    );
    store
        .update_user(
            "admin",
            p.id,
            &UserChange {
                disabled: Some(false),
                ..Default::default()
            },
        )
        .unwrap();
    // Tokens: hashed, scoped, revocable.
    let t = store
        .create_token("marie", p.id, "script", "th", "write", None)
        .unwrap();
    assert!(
        store
            .create_token("marie", p.id, "bad", "th2", "all", None)
            .is_err()
    );
    let (u, tok) = store.token("th", "2026-12-03T10:00:00Z").unwrap().unwrap();
    assert_eq!((u.id, tok.scope.as_str()), (p.id, "write"));
    assert_eq!(
        store.tokens_of(p.id).unwrap()[0].last_used_at.as_deref(),
        Some("2026-12-03T10:00:00Z")
    );
    assert!(store.revoke_token("marie", p.id, t.id).unwrap());
    assert!(!store.revoke_token("marie", p.id, t.id).unwrap());
    assert!(store.token("th", "2026-12-03T10:00:00Z").unwrap().is_none());
}

fn node(kind: EntityKind, key: &str) -> Op {
    Op::Entity(Box::new(Entity::new(
        kind,
        key,
        Labels::fr(key),
        Provenance::stated("test"),
    )))
}

fn edge(parent: (EntityKind, &str), child: (EntityKind, &str)) -> Op {
    Op::Edge {
        strategy: "s".into(),
        version: "v1".into(),
        parent: territoria_model::EntityRef::new(parent.0, parent.1),
        child: territoria_model::EntityRef::new(child.0, child.1),
        position: 0,
        provenance: Provenance::stated("test"),
    }
}

fn removal(parent: (EntityKind, &str), child: (EntityKind, &str)) -> Op {
    Op::EdgeRemove {
        strategy: "s".into(),
        version: "v1".into(),
        parent: territoria_model::EntityRef::new(parent.0, parent.1),
        child: territoria_model::EntityRef::new(child.0, child.1),
    }
}

fn recorded() -> WriteOptions {
    WriteOptions {
        record_changes: true,
        ..Default::default()
    }
}

fn children(store: &dyn Store, of: &str) -> Vec<String> {
    let t = store.strategy("s", Some("v1")).unwrap().unwrap();
    let mut out = Vec::new();
    fn walk(nodes: &[territoria_store::Node], of: &str, parent: &str, out: &mut Vec<String>) {
        for n in nodes {
            if parent == of {
                out.push(n.id.clone());
            }
            walk(&n.children, of, &n.id, out);
        }
    }
    walk(&t.children, of, "s", &mut out);
    out
}

#[test]
fn a_tree_is_edited_edge_by_edge_with_cycles_refused_history_and_revert() {
    for b in common::backends("a_tree_is_edited_edge_by_edge") {
        a_tree_is_edited_edge_by_edge_with_cycles_refused_history_and_revert_on(&*b.store);
    }
}

fn a_tree_is_edited_edge_by_edge_with_cycles_refused_history_and_revert_on(store: &dyn Store) {
    use EntityKind::{Ambition, Programme, Strategy};
    write(
        store,
        vec![
            node(Strategy, "s"),
            Op::StrategyVersion(territoria_store::StrategyVersion {
                strategy: "s".into(),
                id: "v1".into(),
                label: Labels::fr("V1"),
                year: Some(2026),
                note: None,
                position: 0,
                source: "test".into(),
            }),
            node(Ambition, "a1"),
            node(Programme, "p1"),
            edge((Strategy, "s"), (Ambition, "a1")),
        ],
        recorded(),
    )
    .unwrap();
    assert_eq!(children(store, "s"), ["a1"]);
    let added = write(
        store,
        vec![edge((Ambition, "a1"), (Programme, "p1"))],
        recorded(),
    )
    .unwrap();
    assert_eq!(children(store, "a1"), ["p1"]);
    // The link is in the child's history, with where it sits.
    let h = store.history(Programme, "p1", 10).unwrap();
    assert_eq!(h[0].change.item, "edge");
    assert!(h[0].change.detail.contains("ambition/a1"), "{:?}", h[0]);
    assert!(h[0].change.before.is_none());

    // A cycle is refused, naming the child.
    let err = write(
        store,
        vec![edge((Programme, "p1"), (Ambition, "a1"))],
        recorded(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("cycle"), "{err}");
    // A node with children cannot be detached; nothing is written.
    let err = write(
        store,
        vec![removal((Strategy, "s"), (Ambition, "a1"))],
        recorded(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("remove them first"), "{err}");
    assert_eq!(children(store, "s"), ["a1"]);
    // An edge that is not there is refused.
    let err = write(
        store,
        vec![removal((Strategy, "s"), (Programme, "p1"))],
        recorded(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("is not under"), "{err}");

    // Reverting the addition removes the edge; reverting the removal adds it back.
    let (ops, _) = revert_ops(&store.changes_of(added).unwrap()).unwrap();
    let undone = write(store, ops, recorded()).unwrap();
    assert!(children(store, "a1").is_empty());
    assert!(
        store.entity(Programme, "p1").unwrap().is_some(),
        "the child entity stays"
    );
    let (ops, _) = revert_ops(&store.changes_of(undone).unwrap()).unwrap();
    write(store, ops, recorded()).unwrap();
    assert_eq!(children(store, "a1"), ["p1"]);
    // Its creation, then the link added, removed by the revert and added back.
    let items: Vec<String> = store
        .history(Programme, "p1", 10)
        .unwrap()
        .into_iter()
        .map(|h| h.change.item)
        .collect();
    assert_eq!(items, ["edge", "edge", "edge", "entity"]);
}

fn term(fr: &str) -> Op {
    Op::Concept(territoria_model::Concept {
        scheme: "audience".into(),
        notation: "jeunes".into(),
        labels: Labels::fr(fr),
        broader: None,
        attributes: serde_json::Map::new(),
        provenance: Provenance::stated("test"),
    })
}

fn term_edit(version: Option<i64>) -> WriteOptions {
    WriteOptions {
        expect_concepts: vec![territoria_store::ConceptExpectation {
            scheme: "audience".into(),
            notation: "jeunes".into(),
            version,
        }],
        record_changes: true,
        ..Default::default()
    }
}

#[test]
fn a_taxonomy_term_is_versioned_and_its_changes_are_kept_apart() {
    for b in common::backends("a_taxonomy_term_is_versioned") {
        a_taxonomy_term_is_versioned_and_its_changes_are_kept_apart_on(&*b.store);
    }
}

fn a_taxonomy_term_is_versioned_and_its_changes_are_kept_apart_on(store: &dyn Store) {
    let scheme = Op::Scheme(territoria_model::Scheme {
        id: "audience".into(),
        title: Labels::fr("Publics"),
        description: Labels::default(),
        provenance: Provenance::stated("test"),
    });
    write(store, vec![scheme], WriteOptions::default()).unwrap();
    assert_eq!(store.concept_version("audience", "jeunes").unwrap(), None);
    let v1 = write(store, vec![term("Jeunes")], term_edit(None)).unwrap();
    assert_eq!(
        store.concept_version("audience", "jeunes").unwrap(),
        Some(v1)
    );
    let v2 = write(store, vec![term("Jeunes adultes")], term_edit(Some(v1))).unwrap();
    // A second edit from v1 is stale: refused, nothing written.
    let err = write(store, vec![term("Ados")], term_edit(Some(v1))).unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict { current, .. } if *current == Some(v2)),
        "{err:?}"
    );
    let now = store.concept_record("audience", "jeunes").unwrap().unwrap();
    assert_eq!(now.labels.0["fr"], "Jeunes adultes");
    // The history has both changes, newest first, with before and after; they are
    // not taken for an entity's changes.
    let h = store.concept_history("audience", "jeunes", 10).unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].audit_id, v2);
    assert_eq!(h[0].before.as_ref().unwrap()["labels"]["fr"], "Jeunes");
    assert_eq!(
        h[0].after.as_ref().unwrap()["labels"]["fr"],
        "Jeunes adultes"
    );
    assert!(h[1].before.is_none());
    assert_eq!(store.concept_changes_of(v2).unwrap().len(), 1);
    assert!(store.changes_of(v2).unwrap().is_empty());
    assert!(
        store
            .recent_changes("2000-01-01", 100)
            .unwrap()
            .iter()
            .all(|c| c.change.item != "concept")
    );
}
