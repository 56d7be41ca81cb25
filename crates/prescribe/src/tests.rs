use std::collections::HashMap;

use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn series(acc: Accumulation, points: &[(NaiveDate, f64)], targets: &[(NaiveDate, f64)]) -> Series {
    Series {
        indicator: "x".into(),
        unit: "entreprises".into(),
        accumulation: acc,
        demo: false,
        points: points
            .iter()
            .map(|&(date, value)| Point {
                date,
                value,
                demo: false,
            })
            .collect(),
        targets: targets
            .iter()
            .map(|&(due, value)| Target {
                due,
                value,
                unit: None,
                baseline: None,
                at_most: false,
                demo: false,
            })
            .collect(),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// A level indicator with noise, dated every 365 days from 2021-01-01: values 0, 3,
/// 2, 5. By hand (t in units of 365 days): slopes −1, 1, 1, 5/3, 3, 3 → 4/3; residuals
/// → intercept ½; the 90 % interval of 4 points spans every slope: [−1, 3] with
/// intercepts 4 and −2. At t = 5: central 0.5 + 20/3 = 7.1667, band [−1, 13].
fn noisy_level(target: f64) -> Assessment {
    let d0 = d(2021, 1, 1);
    let at = |k: i64| d0 + chrono::Days::new((365 * k) as u64);
    let s = series(
        Accumulation::Level,
        &[(at(0), 0.0), (at(1), 3.0), (at(2), 2.0), (at(3), 5.0)],
        &[(at(5), target)],
    );
    assess(&s).unwrap()
}

#[test]
fn level_indicator_by_hand() {
    let a = noisy_level(10.0);
    let p = a.projection.unwrap();
    assert!(close(p.value, 0.5 + 20.0 / 3.0), "{p:?}");
    assert!(close(p.low, -1.0) && close(p.high, 13.0), "{p:?}");
    let t = a.trend.unwrap();
    assert!(close(t.per_year, 4.0 / 3.0 / 365.0 * 365.25));
    assert_eq!(t.points, 4);
    // 7.17 < 10 ≤ 13: only the favourable bound reaches it.
    assert_eq!(a.status, Status::AtRisk);
    assert!(matches!(a.reason, Reason::WithinBand { .. }));
    assert_eq!(a.current, Some((d(2024, 1, 1), 5.0)));
    // Progress from the first figure (0) to the target (10).
    assert!(close(a.progress.unwrap(), 50.0));
    assert_eq!(noisy_level(7.0).status, Status::OnTrack);
    assert_eq!(noisy_level(14.0).status, Status::OffTrack);
    assert!(matches!(noisy_level(14.0).reason, Reason::BelowBand { .. }));
}

#[test]
fn a_falling_target_is_reached_downwards() {
    // Values 10, 8, 6 (every 365 days) towards 3 in two more steps: −2 per step.
    let d0 = d(2021, 1, 1);
    let at = |k: u64| d0 + chrono::Days::new(365 * k);
    let s = series(
        Accumulation::Level,
        &[(at(0), 10.0), (at(1), 8.0), (at(2), 6.0)],
        &[(at(4), 2.0)],
    );
    let mut s = s;
    s.targets[0].at_most = true;
    let a = assess(&s).unwrap();
    assert!(close(a.projection.unwrap().value, 2.0));
    assert_eq!(a.status, Status::OnTrack);
    let mut s2 = s.clone();
    s2.targets[0].value = 1.0;
    assert_eq!(assess(&s2).unwrap().status, Status::OffTrack);
}

#[test]
fn cumulative_indicator_by_hand() {
    // 10 companies a year in 2021, 2022, 2023: the running total 10, 20, 30 on
    // 31 December, every 365 days → 10/365 a day; on 2025-12-31 (731 days after
    // 2023-12-31) 30 + 10·731/365 = 50.027.
    let flows = [
        (d(2021, 12, 31), 10.0),
        (d(2022, 12, 31), 10.0),
        (d(2023, 12, 31), 10.0),
    ];
    let a = assess(&series(
        Accumulation::Cumulative,
        &flows,
        &[(d(2025, 12, 31), 50.0)],
    ))
    .unwrap();
    let p = a.projection.unwrap();
    assert!(close(p.value, 30.0 + 10.0 * 731.0 / 365.0), "{p:?}");
    assert!(close(p.low, p.value) && close(p.high, p.value));
    assert_eq!(a.current, Some((d(2023, 12, 31), 30.0)));
    assert_eq!(a.status, Status::OnTrack);
    assert!(close(a.progress.unwrap(), 60.0));
    let a = assess(&series(
        Accumulation::Cumulative,
        &flows,
        &[(d(2025, 12, 31), 58.0)],
    ))
    .unwrap();
    assert_eq!(a.status, Status::OffTrack);
    // The same figures as a level stay flat at 10: far from 50.
    let a = assess(&series(
        Accumulation::Level,
        &flows,
        &[(d(2025, 12, 31), 50.0)],
    ))
    .unwrap();
    assert!(close(a.projection.unwrap().value, 10.0));
    assert_eq!(a.status, Status::OffTrack);
}

#[test]
fn a_baseline_starts_the_running_total() {
    let mut s = series(
        Accumulation::Cumulative,
        &[
            (d(2020, 12, 31), 100.0),
            (d(2021, 12, 31), 10.0),
            (d(2022, 12, 31), 10.0),
        ],
        &[(d(2024, 12, 31), 60.0)],
    );
    s.targets[0].baseline = Some(Baseline {
        date: d(2020, 12, 31),
        value: 20.0,
    });
    let a = assess(&s).unwrap();
    // The 2020 figure is the baseline's period: left out; 20 + 10 + 10.
    assert_eq!(
        a.tracked,
        vec![(d(2021, 12, 31), 30.0), (d(2022, 12, 31), 40.0)]
    );
    assert!(close(a.progress.unwrap(), 50.0));
}

#[test]
fn a_single_observation_is_not_enough() {
    let a = assess(&series(
        Accumulation::Level,
        &[(d(2023, 12, 31), 40.0)],
        &[(d(2026, 12, 31), 100.0)],
    ))
    .unwrap();
    assert_eq!(a.status, Status::NotEnoughData);
    assert_eq!(a.reason, Reason::TooFewPoints { points: 1 });
    assert!(a.trend.is_none() && a.projection.is_none());
    assert!(close(a.progress.unwrap(), 0.0));
}

#[test]
fn a_target_already_reached_is_on_track_even_from_one_figure() {
    let a = assess(&series(
        Accumulation::Level,
        &[(d(2023, 12, 31), 120.0)],
        &[(d(2026, 12, 31), 100.0)],
    ))
    .unwrap();
    assert_eq!(a.status, Status::OnTrack);
    assert_eq!(
        a.reason,
        Reason::Reached {
            value: 120.0,
            target: 100.0
        }
    );
    // Reached by a cumulative total even though the latest flow is small.
    let a = assess(&series(
        Accumulation::Cumulative,
        &[(d(2022, 12, 31), 70.0), (d(2023, 12, 31), 40.0)],
        &[(d(2026, 12, 31), 100.0)],
    ))
    .unwrap();
    assert_eq!(a.status, Status::OnTrack);
    assert!(matches!(a.reason, Reason::Reached { value, .. } if value == 110.0));
}

#[test]
fn a_missed_due_date_is_off_track_and_later_targets_are_judged_next() {
    let pts = [(d(2022, 12, 31), 50.0), (d(2024, 12, 31), 60.0)];
    let a = assess(&series(
        Accumulation::Level,
        &pts,
        &[(d(2023, 12, 31), 80.0)],
    ))
    .unwrap();
    assert_eq!(a.status, Status::OffTrack);
    assert!(matches!(a.reason, Reason::Missed { on, .. } if on == d(2024, 12, 31)));
    // With a later target too, the next milestone is the one judged.
    let a = assess(&series(
        Accumulation::Level,
        &pts,
        &[(d(2023, 12, 31), 80.0), (d(2030, 12, 31), 90.0)],
    ))
    .unwrap();
    assert_eq!(a.target.unwrap().due, d(2030, 12, 31));
}

#[test]
fn no_target_no_status() {
    let a = assess(&series(
        Accumulation::Level,
        &[(d(2022, 12, 31), 1.0), (d(2023, 12, 31), 2.0)],
        &[],
    ))
    .unwrap();
    assert_eq!(a.status, Status::NoTarget);
    assert!(a.projection.is_none());
}

#[test]
fn synthetic_figures_never_make_a_real_status() {
    let mut s = series(
        Accumulation::Level,
        &[(d(2022, 12, 31), 1.0), (d(2023, 12, 31), 2.0)],
        &[(d(2025, 12, 31), 3.0)],
    );
    for p in &mut s.points {
        p.demo = true;
    }
    let a = assess(&s).unwrap();
    assert_eq!(a.status, Status::NotEnoughData, "{a:?}");
    assert!(a.current.is_none() && !a.synthetic);
    // A synthetic target of a real indicator is no target.
    let mut s2 = series(
        Accumulation::Level,
        &[(d(2022, 12, 31), 1.0), (d(2023, 12, 31), 2.0)],
        &[(d(2025, 12, 31), 3.0)],
    );
    s2.targets[0].demo = true;
    assert_eq!(assess(&s2).unwrap().status, Status::NoTarget);
    // A synthetic indicator is judged on its own figures, and says so.
    s.demo = true;
    let a = assess(&s).unwrap();
    assert_eq!(a.status, Status::OnTrack);
    assert!(a.synthetic);
}

#[test]
fn bad_targets_are_refused_with_what_to_fix() {
    let mut s = series(Accumulation::Level, &[], &[(d(2030, 12, 31), 80.0)]);
    s.targets[0].unit = Some("%".into());
    let e = assess(&s).unwrap_err();
    assert!(matches!(e, PrescribeError::UnitMismatch { .. }));
    let m = e.to_string();
    assert!(
        m.contains("`%`") && m.contains("`entreprises`") && m.contains("2030-12-31"),
        "{m}"
    );
    s.targets[0].unit = Some("entreprises".into());
    assert!(assess(&s).is_ok());
    s.targets[0].baseline = Some(Baseline {
        date: d(2031, 1, 1),
        value: 0.0,
    });
    let e = assess(&s).unwrap_err();
    assert!(
        e.to_string().contains("before its baseline (2031-01-01)"),
        "{e}"
    );
    s.targets[0].baseline = None;
    s.targets[0].value = f64::NAN;
    assert!(matches!(assess(&s), Err(PrescribeError::NotFinite { .. })));
}

fn leaf(status: Status) -> Leaf {
    Leaf {
        status,
        demo: false,
    }
}

fn node(id: &str, children: &[(&str, f64)]) -> NodeSpec {
    NodeSpec {
        id: id.into(),
        demo: false,
        children: children
            .iter()
            .map(|(c, w)| Child {
                id: (*c).into(),
                weight: *w,
            })
            .collect(),
    }
}

#[test]
fn weighted_rollup_by_hand() {
    let leaves: HashMap<String, Leaf> = [
        ("a".to_string(), leaf(Status::OnTrack)),
        ("b".to_string(), leaf(Status::OffTrack)),
        ("c".to_string(), leaf(Status::AtRisk)),
        ("d".to_string(), leaf(Status::NoTarget)),
    ]
    .into();
    // p1: (1·3 + 0·1) / 4 = 0.75 → on track; p2: (0·1 + ½·1) / 2 = 0.25 → off track;
    // top: (1·1 + 0·1) / 2 = ½ → at risk.
    let nodes = vec![
        node("top", &[("p1", 1.0), ("p2", 1.0)]),
        node("p1", &[("a", 3.0), ("b", 1.0), ("d", 5.0)]),
        node("p2", &[("b", 1.0), ("c", 1.0)]),
        node("empty", &[]),
    ];
    let r = rollup(&nodes, &leaves).unwrap();
    assert_eq!(r["p1"].status, Status::OnTrack);
    assert!(close(r["p1"].score.unwrap(), 0.75));
    assert_eq!(r["p1"].count(Status::NoTarget), 1);
    assert_eq!(r["p2"].status, Status::OffTrack);
    assert_eq!(r["top"].status, Status::AtRisk);
    assert_eq!(r["empty"].status, Status::NoTarget);
}

#[test]
fn a_real_parent_leaves_synthetic_children_out() {
    let leaves: HashMap<String, Leaf> = [
        (
            "demo".to_string(),
            Leaf {
                status: Status::OnTrack,
                demo: true,
            },
        ),
        ("thin".to_string(), leaf(Status::NotEnoughData)),
    ]
    .into();
    let r = rollup(&[node("p", &[("demo", 1.0), ("thin", 1.0)])], &leaves).unwrap();
    assert_eq!(r["p"].status, Status::NotEnoughData);
    assert_eq!(r["p"].synthetic_left_out, 1);
    let mut synthetic = node("p", &[("demo", 1.0)]);
    synthetic.demo = true;
    let r = rollup(&[synthetic], &leaves).unwrap();
    assert_eq!(r["p"].status, Status::OnTrack);
}

#[test]
fn bad_rollups_are_refused() {
    let leaves: HashMap<String, Leaf> = [("a".to_string(), leaf(Status::OnTrack))].into();
    let e = rollup(
        &[
            node("s", &[("x", 1.0)]),
            node("x", &[("y", 1.0), ("a", 1.0)]),
            node("y", &[("x", 1.0)]),
        ],
        &leaves,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "roll-up cycle: x → y → x (a node cannot feed itself)"
    );
    let e = rollup(&[node("s", &[("nope", 1.0)])], &leaves).unwrap_err();
    assert!(e.to_string().contains("`nope`"), "{e}");
    let e = rollup(&[node("s", &[("a", -1.0)])], &leaves).unwrap_err();
    assert!(matches!(e, PrescribeError::BadWeight { .. }));
    let e = rollup(&[node("s", &[]), node("s", &[])], &leaves).unwrap_err();
    assert!(matches!(e, PrescribeError::Duplicate { .. }));
}

// ---------------------------------------------------------------------------------
// Property: after any sequence of edits, every parent's status is the rule applied
// to its children's statuses (no stale parent).

#[derive(Debug, Clone)]
enum Edit {
    SetLeaf(usize, usize, bool),
    Link(usize, usize, f64),
    Unlink(usize, usize),
    Weight(usize, usize, f64),
    NodeDemo(usize, bool),
}

const LEAVES: usize = 8;
const NODES: usize = 6;

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0..LEAVES, 0..5usize, any::<bool>()).prop_map(|(l, s, d)| Edit::SetLeaf(l, s, d)),
        (0..NODES, 0..(LEAVES + NODES), 0.0..5.0f64).prop_map(|(p, c, w)| Edit::Link(p, c, w)),
        (0..NODES, 0..8usize).prop_map(|(p, i)| Edit::Unlink(p, i)),
        (0..NODES, 0..8usize, 0.0..5.0f64).prop_map(|(p, i, w)| Edit::Weight(p, i, w)),
        (0..NODES, any::<bool>()).prop_map(|(n, d)| Edit::NodeDemo(n, d)),
    ]
}

fn child_id(c: usize) -> String {
    if c < LEAVES {
        format!("leaf{c}")
    } else {
        format!("node{}", c - LEAVES)
    }
}

proptest! {
    #[test]
    fn parents_always_follow_the_rule(edits in proptest::collection::vec(edit(), 1..40)) {
        let mut leaves: HashMap<String, Leaf> =
            (0..LEAVES).map(|i| (child_id(i), leaf(Status::NoTarget))).collect();
        let mut nodes: Vec<NodeSpec> =
            (0..NODES).map(|i| node(&format!("node{i}"), &[])).collect();
        for e in edits {
            match e {
                Edit::SetLeaf(l, s, demo) => {
                    leaves.insert(child_id(l), Leaf { status: Status::ALL[s], demo });
                }
                Edit::Link(p, c, weight) => {
                    let id = child_id(c);
                    if !nodes[p].children.iter().any(|x| x.id == id) {
                        nodes[p].children.push(Child { id, weight });
                    }
                }
                Edit::Unlink(p, i) => {
                    if i < nodes[p].children.len() {
                        nodes[p].children.remove(i);
                    }
                }
                Edit::Weight(p, i, w) => {
                    if let Some(c) = nodes[p].children.get_mut(i) {
                        c.weight = w;
                    }
                }
                Edit::NodeDemo(n, demo) => nodes[n].demo = demo,
            }
            match rollup(&nodes, &leaves) {
                Ok(r) => {
                    for n in &nodes {
                        let counted: Vec<(Status, f64)> = n
                            .children
                            .iter()
                            .filter_map(|c| {
                                let (s, demo) = match r.get(&c.id) {
                                    Some(x) => (x.status, x.demo),
                                    None => (leaves[&c.id].status, leaves[&c.id].demo),
                                };
                                (!demo || n.demo).then_some((s, c.weight))
                            })
                            .collect();
                        prop_assert_eq!(r[&n.id].status, combine(&counted).0, "{}", n.id);
                        prop_assert_eq!(r[&n.id].counts.iter().sum::<usize>(), counted.len());
                    }
                }
                Err(PrescribeError::Cycle { path }) => {
                    // A refused edit names a real loop: each step is a child link.
                    prop_assert!(path.len() >= 2 && path.first() == path.last());
                    for w in path.windows(2) {
                        let parent = nodes.iter().find(|n| n.id == w[0]).unwrap();
                        prop_assert!(parent.children.iter().any(|c| c.id == w[1]));
                    }
                    // Undo it, as an editor's refused edit would be.
                    for n in &mut nodes {
                        n.children.retain(|c| !c.id.starts_with("node") || c.id < n.id);
                    }
                }
                Err(e) => prop_assert!(false, "{e}"),
            }
        }
    }
}
