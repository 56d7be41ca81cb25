//! Digiscore assessments (migration 9): save and resume through a link hash, update,
//! reassessment series, delete, retention purge, shape checks — on every backend.

mod common;

use territoria_store::{DigiscoreRecord, Located, Op, Store, StoreError, WriteOptions};

fn apply(store: &dyn Store, ops: Vec<Op>) -> Result<territoria_store::WriteReport, StoreError> {
    let mut it = ops.into_iter().map(|op| Ok(Located::from(op)));
    store.apply(
        "digiscore",
        "digiscore test",
        &mut it,
        &WriteOptions::default(),
        &mut |_| {},
    )
}

fn hash(c: char) -> String {
    std::iter::repeat_n(c, 64).collect()
}

fn record(link: char, series: char, overall: Option<f64>) -> DigiscoreRecord {
    DigiscoreRecord {
        link_hash: hash(link),
        series: hash(series),
        questionnaire: "digiscore".into(),
        questionnaire_version: 1,
        kbo: Some("0203201340".into()),
        nace_section: "G".into(),
        size_class: "micro".into(),
        municipality: Some("92094".into()),
        answers: r#"{"infra-connexion":"rapide"}"#.into(),
        overall,
        axes: overall.map(|_| "[40.0, 25.0, 26.7, 20.0]".into()),
        completed_at: overall.map(|_| "2026-12-03T10:00:00Z".into()),
        demo: false,
    }
}

#[test]
fn an_assessment_is_saved_resumed_completed_reassessed_and_deleted() {
    for b in common::backends("digiscore_lifecycle") {
        let store = &*b.store;
        eprintln!("on {}", b.name);
        let report = apply(
            store,
            vec![Op::DigiscoreAssessment(Box::new(record('a', 'a', None)))],
        )
        .unwrap();
        assert_eq!(report.inserted.get("digiscore_assessment"), Some(&1));
        let got = store.digiscore_assessment(&hash('a')).unwrap().unwrap();
        assert_eq!(got.answers, r#"{"infra-connexion":"rapide"}"#);
        assert!(got.completed_at.is_none());
        assert!(store.digiscore_completed("digiscore").unwrap().is_empty());
        // Resumed and completed: the same row, updated.
        let report = apply(
            store,
            vec![Op::DigiscoreAssessment(Box::new(record(
                'a',
                'a',
                Some(27.9),
            )))],
        )
        .unwrap();
        assert_eq!(report.updated.get("digiscore_assessment"), Some(&1));
        assert_eq!(store.digiscore_completed("digiscore").unwrap().len(), 1);
        // A reassessment (T1) in the same series, through its own link.
        apply(
            store,
            vec![Op::DigiscoreAssessment(Box::new(record(
                'b',
                'a',
                Some(41.0),
            )))],
        )
        .unwrap();
        let series = store.digiscore_series(&hash('a')).unwrap();
        assert_eq!(
            series.iter().map(|s| s.overall).collect::<Vec<_>>(),
            [Some(27.9), Some(41.0)]
        );
        // A tampered (unknown) link reads nothing and deletes nothing.
        assert!(store.digiscore_assessment(&hash('c')).unwrap().is_none());
        let err = apply(
            store,
            vec![Op::DigiscoreDelete {
                link_hash: hash('c'),
            }],
        )
        .unwrap_err();
        assert!(
            format!("{err:?}").contains("no assessment has this private link"),
            "{err:?}"
        );
        apply(
            store,
            vec![Op::DigiscoreDelete {
                link_hash: hash('a'),
            }],
        )
        .unwrap();
        assert!(store.digiscore_assessment(&hash('a')).unwrap().is_none());
        assert_eq!(store.digiscore_series(&hash('a')).unwrap().len(), 1);
    }
}

#[test]
fn bad_shapes_are_refused_by_field_and_leave_nothing() {
    for b in common::backends("digiscore_shapes") {
        let store = &*b.store;
        eprintln!("on {}", b.name);
        let cases: Vec<(&str, DigiscoreRecord)> = vec![
            (
                "link_hash",
                DigiscoreRecord {
                    link_hash: "secret".into(),
                    ..record('a', 'a', None)
                },
            ),
            (
                "nace_section",
                DigiscoreRecord {
                    nace_section: "Z".into(),
                    ..record('a', 'a', None)
                },
            ),
            (
                "size_class",
                DigiscoreRecord {
                    size_class: "tiny".into(),
                    ..record('a', 'a', None)
                },
            ),
            (
                "answers",
                DigiscoreRecord {
                    answers: "[1]".into(),
                    ..record('a', 'a', None)
                },
            ),
            (
                "overall",
                DigiscoreRecord {
                    overall: Some(120.0),
                    ..record('a', 'a', Some(1.0))
                },
            ),
            (
                "completed_at",
                DigiscoreRecord {
                    completed_at: None,
                    ..record('a', 'a', Some(1.0))
                },
            ),
        ];
        for (field, r) in cases {
            let err = apply(
                store,
                vec![
                    Op::DigiscoreAssessment(Box::new(record('d', 'd', None))),
                    Op::DigiscoreAssessment(Box::new(r)),
                ],
            )
            .unwrap_err();
            assert!(format!("{err:?}").contains(field), "{field}: {err:?}");
            assert!(
                store.digiscore_assessment(&hash('d')).unwrap().is_none(),
                "nothing half-written"
            );
        }
    }
}

#[test]
fn retention_purges_old_real_assessments_and_keeps_demo_ones() {
    for b in common::backends("digiscore_retention") {
        let store = &*b.store;
        eprintln!("on {}", b.name);
        let demo = DigiscoreRecord {
            demo: true,
            ..record('e', 'e', Some(30.0))
        };
        apply(
            store,
            vec![
                Op::DigiscoreAssessment(Box::new(record('a', 'a', Some(20.0)))),
                Op::DigiscoreAssessment(Box::new(demo)),
            ],
        )
        .unwrap();
        // Nothing was updated before 2000.
        apply(
            store,
            vec![Op::DigiscorePurge {
                before: "2000-01-01".into(),
            }],
        )
        .unwrap();
        assert_eq!(store.digiscore_completed("digiscore").unwrap().len(), 2);
        apply(
            store,
            vec![Op::DigiscorePurge {
                before: "9999-12-31".into(),
            }],
        )
        .unwrap();
        let left = store.digiscore_completed("digiscore").unwrap();
        assert_eq!(left.len(), 1);
        assert!(left[0].demo);
    }
}

#[test]
fn the_support_catalogue_is_versioned_and_a_stale_save_is_refused() {
    for b in common::backends("digiscore_support") {
        let store = &*b.store;
        eprintln!("on {}", b.name);
        assert!(store.digiscore_support().unwrap().is_empty());
        let save = |base: Option<i64>, body: &str| {
            apply(
                store,
                vec![Op::DigiscoreSupport {
                    base,
                    body: body.into(),
                }],
            )
        };
        save(None, "[[aids]]\nid = \"a\"\n").unwrap();
        save(Some(1), "[[aids]]\nid = \"b\"\n").unwrap();
        // A save that started before version 2 is refused and writes nothing.
        let err = save(Some(1), "[[aids]]\nid = \"c\"\n").unwrap_err();
        let StoreError::Conflict { entity, current } = &err else {
            panic!("{err}");
        };
        assert_eq!((entity.as_str(), *current), ("digiscore/support", Some(2)));
        let err = save(None, "[[aids]]\nid = \"c\"\n").unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Conflict {
                    current: Some(2),
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            save(Some(2), "  \n").is_err(),
            "an empty catalogue is refused"
        );
        let versions = store.digiscore_support().unwrap();
        let got: Vec<_> = versions
            .iter()
            .map(|v| (v.version, v.body.as_str(), v.actor.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (1, "[[aids]]\nid = \"a\"\n", "digiscore"),
                (2, "[[aids]]\nid = \"b\"\n", "digiscore")
            ]
        );
        assert!(!versions[1].created_at.is_empty());
    }
}
