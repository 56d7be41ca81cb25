//! Statuses of a strategy's indicators and nodes, as view models: the engine
//! (`territoria-prescribe`) fed from a strategy tree, and its answers as sentences with
//! Belgian number and date formats. No HTTP here; tested on plain trees.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;
use territoria_model::{Aggregation, EntityKind};
use territoria_prescribe::{
    Accumulation, Assessment, Child, Leaf, NodeSpec, Point, Reason, Rolled, Series, Status, Target,
};
use territoria_store::{IndicatorView, Node, StrategyTree};

use super::{Lang, fmt};

/// The label of a status.
pub fn label(s: Status, lang: Lang) -> &'static str {
    match (s, lang) {
        (Status::OnTrack, Lang::Fr) => "En bonne voie",
        (Status::OnTrack, Lang::En) => "On track",
        (Status::AtRisk, Lang::Fr) => "À risque",
        (Status::AtRisk, Lang::En) => "At risk",
        (Status::OffTrack, Lang::Fr) => "Hors trajectoire",
        (Status::OffTrack, Lang::En) => "Off track",
        (Status::NotEnoughData, Lang::Fr) => "Données insuffisantes",
        (Status::NotEnoughData, Lang::En) => "Not enough data",
        (Status::NoTarget, Lang::Fr) => "Sans cible",
        (Status::NoTarget, Lang::En) => "No target",
    }
}

/// The rule in one sentence, with its version.
pub fn rule(lang: Lang) -> String {
    let text = match lang {
        Lang::Fr => territoria_prescribe::RULE_FR,
        Lang::En => territoria_prescribe::RULE_EN,
    };
    format!(
        "{text} ({} {})",
        rule_word(lang),
        territoria_prescribe::RULE_VERSION
    )
}

fn rule_word(lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => "règle",
        Lang::En => "rule",
    }
}

/// A status as a page shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StatusView {
    pub code: &'static str,
    pub label: &'static str,
    /// Why, with the figures the rule used.
    pub reason: String,
    /// From synthetic figures only (a synthetic indicator's or node's).
    pub synthetic: bool,
}

fn date(d: NaiveDate) -> String {
    fmt::date(&d.to_string())
}

/// One sentence: why an indicator has its status.
pub fn reason(a: &Assessment, unit: &str, lang: Lang) -> String {
    let v = |x: f64| fmt::with_unit(x, unit, lang);
    let due = a.target.as_ref().map(|t| date(t.due)).unwrap_or_default();
    let fr = lang == Lang::Fr;
    match &a.reason {
        Reason::NoTarget => if fr {
            "Aucune cible réelle n'est fixée pour cet indicateur."
        } else {
            "No real target is set for this indicator."
        }
        .to_owned(),
        Reason::Reached { value, target } => {
            if fr {
                format!(
                    "Cible atteinte : {} pour une cible de {} (échéance {due}).",
                    v(*value),
                    v(*target)
                )
            } else {
                format!(
                    "Target reached: {} against a target of {} (due {due}).",
                    v(*value),
                    v(*target)
                )
            }
        }
        Reason::TooFewPoints { points } => {
            if fr {
                format!(
                    "{points} valeur(s) datée(s) réelle(s) : il en faut au moins {} pour une tendance.",
                    territoria_prescribe::MIN_POINTS
                )
            } else {
                format!(
                    "{points} real dated value(s): a trend needs at least {}.",
                    territoria_prescribe::MIN_POINTS
                )
            }
        }
        Reason::Missed { value, target, on } => {
            if fr {
                format!(
                    "Échéance du {due} passée : {} au {} pour une cible de {}.",
                    v(*value),
                    date(*on),
                    v(*target)
                )
            } else {
                format!(
                    "Due date {due} passed: {} on {} against a target of {}.",
                    v(*value),
                    date(*on),
                    v(*target)
                )
            }
        }
        Reason::Projected { projected, target } => {
            if fr {
                format!(
                    "Au rythme actuel, {} à l'échéance du {due}, pour une cible de {}.",
                    v(*projected),
                    v(*target)
                )
            } else {
                format!(
                    "At the current trend, {} by the due date {due}, against a target of {}.",
                    v(*projected),
                    v(*target)
                )
            }
        }
        Reason::WithinBand {
            projected,
            favourable,
            target,
        } => {
            if fr {
                format!(
                    "Au rythme actuel, {} à l'échéance du {due} pour une cible de {} ; seule l'hypothèse favorable de la tendance ({}) l'atteint.",
                    v(*projected),
                    v(*target),
                    v(*favourable)
                )
            } else {
                format!(
                    "At the current trend, {} by the due date {due} against a target of {}; only the favourable bound of the trend ({}) reaches it.",
                    v(*projected),
                    v(*target),
                    v(*favourable)
                )
            }
        }
        Reason::BelowBand {
            projected,
            favourable,
            target,
        } => {
            if fr {
                format!(
                    "Au rythme actuel, {} à l'échéance du {due} pour une cible de {} ; même l'hypothèse favorable ({}) ne l'atteint pas.",
                    v(*projected),
                    v(*target),
                    v(*favourable)
                )
            } else {
                format!(
                    "At the current trend, {} by the due date {due} against a target of {}; even the favourable bound ({}) falls short.",
                    v(*projected),
                    v(*target),
                    v(*favourable)
                )
            }
        }
    }
}

/// A status after a count of children ("1 aux données insuffisantes", not
/// "1 données insuffisantes").
fn counted(s: Status, lang: Lang) -> &'static str {
    match (s, lang) {
        (Status::NotEnoughData, Lang::Fr) => "aux données insuffisantes",
        (Status::NotEnoughData, Lang::En) => "with too little data",
        (Status::NoTarget, Lang::En) => "without a target",
        (s, Lang::Fr) => match s {
            Status::OnTrack => "en bonne voie",
            Status::AtRisk => "à risque",
            Status::OffTrack => "hors trajectoire",
            _ => "sans cible",
        },
        (s, Lang::En) => match s {
            Status::OnTrack => "on track",
            Status::AtRisk => "at risk",
            _ => "off track",
        },
    }
}

/// One sentence: why a node has its status (its counted children by status).
pub fn node_reason(r: &Rolled, lang: Lang) -> String {
    let parts: Vec<String> = Status::ALL
        .iter()
        .filter(|s| r.count(**s) > 0)
        .map(|s| format!("{} {}", r.count(*s), counted(*s, lang)))
        .collect();
    let mut out = match (parts.is_empty(), lang) {
        (true, Lang::Fr) => "Aucun indicateur ni élément suivi.".to_owned(),
        (true, Lang::En) => "No indicator or part tracked.".to_owned(),
        (false, _) => parts.join(", "),
    };
    if let Some(s) = r.score {
        out.push_str(&match lang {
            Lang::Fr => format!(" — score pondéré {}", fmt::decimal(s, 2, lang)),
            Lang::En => format!(" — weighted score {}", fmt::decimal(s, 2, lang)),
        });
    }
    if r.synthetic_left_out > 0 {
        out.push_str(&match lang {
            Lang::Fr => format!(
                " ({} élément(s) synthétique(s) non compté(s))",
                r.synthetic_left_out
            ),
            Lang::En => format!(" ({} synthetic part(s) not counted)", r.synthetic_left_out),
        });
    }
    out.push('.');
    out
}

fn iso(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn accumulation(rule: &str) -> Accumulation {
    Accumulation::of(Aggregation::parse(rule).unwrap_or(Aggregation::Sum))
}

/// The engine's view of an indicator: its own whole figures (dated by the end of
/// their period; a figure without a period has no place in a trend) and targets, or,
/// when it has none of its own, its contributors' figures combined by period by its
/// rule (synthetic when any contributor is).
pub fn series_of(i: &IndicatorView, contributors: &[&IndicatorView]) -> Series {
    let rule = i.aggregation.as_str();
    let mut points: Vec<Point> = i
        .observations
        .iter()
        .filter_map(|o| {
            Some(Point {
                date: iso(o.end.as_deref()?)?,
                value: o.value,
                demo: o.provenance.demo,
            })
        })
        .collect();
    if points.is_empty() && !contributors.is_empty() {
        let demo = contributors.iter().any(|c| c.provenance.demo);
        let mut by_end: BTreeMap<NaiveDate, Vec<f64>> = BTreeMap::new();
        for c in contributors {
            for o in &c.observations {
                if let Some(d) = o.end.as_deref().and_then(iso) {
                    by_end.entry(d).or_default().push(o.value);
                }
            }
        }
        points = by_end
            .into_iter()
            .map(|(date, v)| Point {
                date,
                value: super::maps::Combine::of_aggregation(rule)
                    .of(&v)
                    .unwrap_or(0.0),
                demo,
            })
            .collect();
    }
    Series {
        indicator: i.id.clone(),
        unit: i.unit.clone(),
        accumulation: accumulation(rule),
        demo: i.provenance.demo,
        points,
        targets: i
            .targets
            .iter()
            .filter_map(|t| {
                Some(Target {
                    due: iso(&t.due)?,
                    value: t.value,
                    unit: None,
                    baseline: t.baseline.map(|b| territoria_prescribe::Baseline {
                        date: b.date,
                        value: b.value,
                    }),
                    at_most: matches!(
                        t.qualifier.as_deref(),
                        Some("moins de" | "at most" | "less than")
                    ),
                    demo: t.provenance.demo,
                })
            })
            .collect(),
    }
}

/// Assesses an indicator; a series the engine refuses gets no status (and the
/// message says why).
pub fn assess(i: &IndicatorView, contributors: &[&IndicatorView]) -> Result<Assessment, String> {
    territoria_prescribe::assess(&series_of(i, contributors)).map_err(|e| e.to_string())
}

pub fn view_of(a: &Assessment, unit: &str, lang: Lang) -> StatusView {
    StatusView {
        code: a.status.as_str(),
        label: label(a.status, lang),
        reason: reason(a, unit, lang),
        synthetic: a.synthetic,
    }
}

fn node_key(kind: EntityKind, id: &str) -> String {
    format!("{}/{id}", kind.as_str())
}

fn indicator_key(id: &str) -> String {
    format!("indicator/{id}")
}

/// The weight of a node under its parent: its `weight` attribute, 1 otherwise.
fn weight(n: &Node) -> f64 {
    n.attributes
        .get("weight")
        .and_then(|w| w.as_f64())
        .unwrap_or(1.0)
}

/// Statuses of every indicator and node of a strategy version.
#[derive(Debug, Default)]
pub struct TreeStatus {
    /// By indicator key.
    pub indicators: HashMap<String, (Assessment, String)>,
    /// Indicators the engine refused, with why.
    pub refused: Vec<(String, String)>,
    /// By `kind/key`, and `strategy/key` for the whole.
    pub nodes: HashMap<String, Rolled>,
}

impl TreeStatus {
    pub fn node(&self, kind: EntityKind, id: &str) -> Option<&Rolled> {
        self.nodes.get(&node_key(kind, id))
    }

    pub fn indicator(&self, id: &str) -> Option<&Assessment> {
        self.indicators.get(id).map(|x| &x.0)
    }

    pub fn node_view(&self, kind: EntityKind, id: &str, lang: Lang) -> Option<StatusView> {
        self.node(kind, id).map(|r| StatusView {
            code: r.status.as_str(),
            label: label(r.status, lang),
            reason: node_reason(r, lang),
            synthetic: r.demo,
        })
    }

    pub fn indicator_view(&self, id: &str, lang: Lang) -> Option<StatusView> {
        self.indicators
            .get(id)
            .map(|(a, unit)| view_of(a, unit, lang))
    }
}

/// Rolls a tree up: each indicator assessed (an indicator fed by others of the tree is
/// assessed on its own figures, or theirs combined when it has none), each node the
/// rule over its children and its own indicators; the strategy over its top nodes.
pub fn of_tree(tree: &StrategyTree, contributions: &HashMap<String, String>) -> TreeStatus {
    let mut all: Vec<&Node> = Vec::new();
    fn walk<'a>(n: &'a Node, out: &mut Vec<&'a Node>) {
        out.push(n);
        for c in &n.children {
            walk(c, out);
        }
    }
    for n in &tree.children {
        walk(n, &mut all);
    }
    let mut inds: HashMap<&str, &IndicatorView> = HashMap::new();
    for n in &all {
        for i in &n.indicators {
            inds.entry(i.id.as_str()).or_insert(i);
        }
    }
    let mut feeders: HashMap<&str, Vec<&IndicatorView>> = HashMap::new();
    for i in inds.values() {
        if let Some(t) = contributions.get(&i.id)
            && inds.contains_key(t.as_str())
        {
            feeders.entry(t.as_str()).or_default().push(i);
        }
    }
    let mut out = TreeStatus::default();
    let mut leaves = HashMap::new();
    let mut ids: Vec<&&str> = inds.keys().collect();
    ids.sort();
    for id in ids {
        let i = inds[*id];
        let fed = feeders.get(*id).map(Vec::as_slice).unwrap_or(&[]);
        match assess(i, fed) {
            Ok(a) => {
                leaves.insert(
                    indicator_key(id),
                    Leaf {
                        status: a.status,
                        demo: a.synthetic,
                    },
                );
                out.indicators.insert((*id).to_owned(), (a, i.unit.clone()));
            }
            Err(e) => out.refused.push(((*id).to_owned(), e)),
        }
    }
    let mut seen = HashSet::new();
    let mut specs = Vec::new();
    for n in &all {
        let key = node_key(n.kind, &n.id);
        if !seen.insert(key.clone()) {
            continue; // a node under several parents is rolled up once
        }
        let mut children: Vec<Child> = n
            .children
            .iter()
            .map(|c| Child {
                id: node_key(c.kind, &c.id),
                weight: weight(c),
            })
            .collect();
        children.extend(
            n.indicators
                .iter()
                .filter(|i| leaves.contains_key(&indicator_key(&i.id)))
                // An indicator that feeds another of the tree counts through it.
                .filter(|i| {
                    contributions
                        .get(&i.id)
                        .is_none_or(|t| !inds.contains_key(t.as_str()))
                })
                .map(|i| Child {
                    id: indicator_key(&i.id),
                    weight: 1.0,
                }),
        );
        specs.push(NodeSpec {
            id: key,
            demo: n.provenance.demo,
            children,
        });
    }
    specs.push(NodeSpec {
        id: node_key(EntityKind::Strategy, &tree.id),
        demo: tree.provenance.demo,
        children: tree
            .children
            .iter()
            .map(|c| Child {
                id: node_key(c.kind, &c.id),
                weight: weight(c),
            })
            .collect(),
    });
    match territoria_prescribe::rollup(&specs, &leaves) {
        Ok(nodes) => out.nodes = nodes,
        Err(e) => out.refused.push((tree.id.clone(), e.to_string())),
    }
    out
}

/// One line of the « à surveiller » view.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WatchItem {
    pub kind: EntityKind,
    pub id: String,
    pub status: StatusView,
    /// Sort key: off track first, then at risk; within, the lowest score or progress.
    #[serde(skip)]
    pub rank: (u8, i64),
}

/// What is off track or at risk, worst first: off track before at risk, then by the
/// lowest weighted score (nodes) or progress towards the target (indicators), then by
/// kind and key. Synthetic statuses are left out unless `synthetic`.
pub fn watch_list(
    ts: &TreeStatus,
    lang: Lang,
    synthetic: bool,
) -> Vec<(WatchItem, Option<String>)> {
    let severity = |s: Status| match s {
        Status::OffTrack => Some(0u8),
        Status::AtRisk => Some(1),
        _ => None,
    };
    let mut out = Vec::new();
    for (key, r) in &ts.nodes {
        let Some(sev) = severity(r.status) else {
            continue;
        };
        if r.demo && !synthetic {
            continue;
        }
        let Some((kind, id)) = key.split_once('/') else {
            continue;
        };
        let Some(kind) = EntityKind::parse(kind) else {
            continue;
        };
        out.push((
            WatchItem {
                kind,
                id: id.to_owned(),
                status: StatusView {
                    code: r.status.as_str(),
                    label: label(r.status, lang),
                    reason: node_reason(r, lang),
                    synthetic: r.demo,
                },
                rank: (sev, (r.score.unwrap_or(0.0) * 1000.0).round() as i64),
            },
            None,
        ));
    }
    for (id, (a, unit)) in &ts.indicators {
        let Some(sev) = severity(a.status) else {
            continue;
        };
        if a.synthetic && !synthetic {
            continue;
        }
        out.push((
            WatchItem {
                kind: EntityKind::Indicator,
                id: id.clone(),
                status: view_of(a, unit, lang),
                rank: (sev, (a.progress.unwrap_or(0.0) * 10.0).round() as i64),
            },
            Some(unit.clone()),
        ));
    }
    out.sort_by(|a, b| (a.0.rank, a.0.kind, &a.0.id).cmp(&(b.0.rank, b.0.kind, &b.0.id)));
    out
}

#[cfg(test)]
mod tests {
    use territoria_model::{Labels, Provenance};
    use territoria_store::{ObservationView, TargetView, VersionSummary};

    use super::*;

    fn prov(demo: bool) -> Provenance {
        if demo {
            Provenance::demo("Territoria demo generator (synthetic)")
        } else {
            Provenance::stated("A real source")
        }
    }

    fn obs(end: &str, value: f64, demo: bool) -> ObservationView {
        ObservationView {
            period: Some(end[..4].to_owned()),
            start: Some(format!("{}-01-01", &end[..4])),
            end: Some(end.to_owned()),
            value,
            qualifier: None,
            period_label: None,
            note: None,
            quote: None,
            recorded_at: "2026-01-01".into(),
            provenance: prov(demo),
        }
    }

    fn ind(
        id: &str,
        rule: &str,
        o: Vec<ObservationView>,
        t: Option<(&str, f64)>,
        demo: bool,
    ) -> IndicatorView {
        IndicatorView {
            id: id.into(),
            name: Labels::fr(id),
            unit: "entreprises".into(),
            kind: "output".into(),
            aggregation: rule.into(),
            provenance: prov(demo),
            observations: o,
            targets: t
                .map(|(due, value)| TargetView {
                    due: due.into(),
                    value,
                    qualifier: None,
                    note: None,
                    quote: None,
                    baseline: None,
                    provenance: prov(demo),
                })
                .into_iter()
                .collect(),
        }
    }

    fn node(
        kind: EntityKind,
        id: &str,
        demo: bool,
        indicators: Vec<IndicatorView>,
        children: Vec<Node>,
    ) -> Node {
        Node {
            kind,
            id: id.into(),
            name: Labels::fr(id),
            description: Labels::default(),
            attributes: serde_json::Map::new(),
            provenance: prov(demo),
            link: prov(demo),
            indicators,
            children,
        }
    }

    fn tree(children: Vec<Node>) -> StrategyTree {
        let v = VersionSummary {
            id: "v".into(),
            label: Labels::fr("v"),
            year: Some(2024),
            note: None,
            source: "s".into(),
        };
        StrategyTree {
            id: "s".into(),
            name: Labels::fr("S"),
            description: Labels::default(),
            attributes: serde_json::Map::new(),
            provenance: prov(false),
            version: v.clone(),
            versions: vec![v],
            node_counts: BTreeMap::new(),
            children,
        }
    }

    /// Programme P: I1 (a level already at its target: on track) and I2 (10 a year
    /// towards 100 by 2025: off track) → score ½ → at risk; the demo action under it,
    /// on track on its own synthetic figures, is left out of every real status.
    fn fixture() -> (StrategyTree, HashMap<String, String>) {
        let i1 = ind(
            "i1",
            "last",
            vec![
                obs("2022-12-31", 40.0, false),
                obs("2023-12-31", 55.0, false),
            ],
            Some(("2025-12-31", 50.0)),
            false,
        );
        let i2 = ind(
            "i2",
            "sum",
            vec![
                obs("2022-12-31", 10.0, false),
                obs("2023-12-31", 10.0, false),
            ],
            Some(("2025-12-31", 100.0)),
            false,
        );
        let d = ind(
            "demo-i",
            "sum",
            vec![obs("2022-12-31", 5.0, true), obs("2023-12-31", 5.0, true)],
            Some(("2023-12-31", 10.0)),
            true,
        );
        let action = node(EntityKind::Action, "demo-action", true, vec![d], vec![]);
        let p = node(
            EntityKind::Programme,
            "p",
            false,
            vec![i1, i2],
            vec![action],
        );
        let a = node(EntityKind::Ambition, "a", false, vec![], vec![p]);
        (tree(vec![a]), HashMap::new())
    }

    #[test]
    fn a_stored_baseline_starts_the_running_total_of_a_cumulative_indicator() {
        // 10 a year towards 100 by 2025 is off track from zero; from a baseline of 80
        // at the end of 2021, the two figures since reach the target.
        let (mut t, c) = fixture();
        assert_eq!(
            of_tree(&t, &c).indicator("i2").unwrap().status,
            Status::OffTrack
        );
        let i2 = &mut t.children[0].children[0].indicators[1];
        assert_eq!(i2.id, "i2");
        i2.targets[0].baseline = Some(territoria_model::Baseline {
            date: NaiveDate::from_ymd_opt(2021, 12, 31).unwrap(),
            value: 80.0,
        });
        assert_eq!(
            of_tree(&t, &c).indicator("i2").unwrap().status,
            Status::OnTrack
        );
    }

    #[test]
    fn a_tree_rolls_up_by_the_rule_and_leaves_synthetic_parts_out() {
        let (t, c) = fixture();
        let ts = of_tree(&t, &c);
        assert_eq!(ts.indicator("i1").unwrap().status, Status::OnTrack);
        assert_eq!(ts.indicator("i2").unwrap().status, Status::OffTrack);
        let demo = ts.indicator("demo-i").unwrap();
        assert_eq!(demo.status, Status::OnTrack);
        assert!(demo.synthetic);
        let p = ts.node(EntityKind::Programme, "p").unwrap();
        assert_eq!((p.status, p.score), (Status::AtRisk, Some(0.5)));
        assert_eq!(p.synthetic_left_out, 1);
        assert_eq!(
            ts.node(EntityKind::Ambition, "a").unwrap().status,
            Status::AtRisk
        );
        assert_eq!(
            ts.node(EntityKind::Strategy, "s").unwrap().status,
            Status::AtRisk
        );
        let v = ts.node_view(EntityKind::Programme, "p", Lang::Fr).unwrap();
        assert_eq!(v.label, "À risque");
        assert!(
            v.reason.contains("1 en bonne voie, 1 hors trajectoire"),
            "{}",
            v.reason
        );
        assert!(v.reason.contains("score pondéré 0,50"), "{}", v.reason);
        assert!(
            v.reason
                .contains("1 élément(s) synthétique(s) non compté(s)"),
            "{}",
            v.reason
        );
    }

    #[test]
    fn the_watch_list_is_worst_first_and_real_unless_asked() {
        let (t, c) = fixture();
        let ts = of_tree(&t, &c);
        let real: Vec<(EntityKind, String)> = watch_list(&ts, Lang::Fr, false)
            .into_iter()
            .map(|(w, _)| (w.kind, w.id))
            .collect();
        assert_eq!(
            real,
            [
                (EntityKind::Indicator, "i2".to_owned()),
                (EntityKind::Strategy, "s".to_owned()),
                (EntityKind::Ambition, "a".to_owned()),
                (EntityKind::Programme, "p".to_owned()),
            ]
        );
        // The demo action is on track: nothing synthetic to watch either.
        assert_eq!(watch_list(&ts, Lang::Fr, true).len(), 4);
    }

    #[test]
    fn a_real_indicator_fed_only_by_synthetic_figures_has_no_real_status() {
        // A real indicator with a real target and no figures of its own, fed by a demo
        // action's indicator: its series is the contributors' — synthetic, ignored.
        let real = ind("real", "sum", vec![], Some(("2025-12-31", 10.0)), false);
        let d = ind(
            "demo-i",
            "sum",
            vec![obs("2022-12-31", 50.0, true), obs("2023-12-31", 50.0, true)],
            None,
            true,
        );
        let action = node(EntityKind::Action, "demo-action", true, vec![d], vec![]);
        let p = node(EntityKind::Programme, "p", false, vec![real], vec![action]);
        let c: HashMap<String, String> = [("demo-i".to_owned(), "real".to_owned())].into();
        let ts = of_tree(&tree(vec![p]), &c);
        let a = ts.indicator("real").unwrap();
        assert_eq!(a.status, Status::NotEnoughData, "{a:?}");
        assert!(a.current.is_none());
        assert_eq!(
            ts.node(EntityKind::Programme, "p").unwrap().status,
            Status::NotEnoughData
        );
    }

    #[test]
    fn reasons_use_belgian_numbers_and_dates() {
        let i = ind(
            "x",
            "sum",
            vec![
                obs("2022-12-31", 1000.0, false),
                obs("2023-12-31", 1000.0, false),
            ],
            Some(("2025-12-31", 10_000.0)),
            false,
        );
        let a = assess(&i, &[]).unwrap();
        let fr = reason(&a, "entreprises", Lang::Fr);
        assert!(fr.contains("10\u{202f}000 entreprises"), "{fr}");
        assert!(fr.contains("31/12/2025"), "{fr}");
        let en = reason(&a, "entreprises", Lang::En);
        assert!(en.contains("10,000 entreprises"), "{en}");
        assert!(rule(Lang::Fr).contains(territoria_prescribe::RULE_VERSION));
    }
}
