//! « Ce qui a changé depuis »: for a strategy, or one node of it (an ambition, a lever,
//! a programme, an action), what changed since a date — statuses that moved, figures
//! recorded, actions started or ended, and every recorded edit with who and when.
//!
//! A status "then" is the same rule applied to the figures this instance held then
//! (observations recorded before the date) against today's targets; nothing is
//! guessed. [`build`] makes the view model from the tree, its actions and the recorded
//! changes (tested without HTTP); the handler parses and renders.

use std::collections::{HashMap, HashSet};

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::json;
use territoria_model::{Details, Entity, EntityKind};
use territoria_store::{HistoryEntry, Node, StrategyTree};

use super::cache::snapshot;
use super::export::{self, Format, Table};
use super::i18n::t;
use super::status::{self, StatusView};
use super::strategy::{choose, node_url};
use super::watch::kind_label;
use super::{Frame, InLang, Lang, PageError, Text, fmt, render, text};
use crate::AppState;
use crate::params::Params;

/// At most this many recorded edits are listed (newest first).
const EDIT_LIMIT: u32 = 500;

/// A node or indicator whose status moved.
#[derive(Debug, Serialize, PartialEq)]
pub struct StatusChange {
    pub kind: &'static str,
    pub name: Text,
    pub url: String,
    pub before: StatusView,
    pub after: StatusView,
}

/// A figure recorded since the date.
#[derive(Debug, Serialize, PartialEq)]
pub struct NewFigure {
    pub indicator: Text,
    pub url: String,
    pub period: String,
    pub value: String,
    pub recorded: String,
    pub source: String,
    pub synthetic: bool,
}

/// An action that started or ended since the date.
#[derive(Debug, Serialize, PartialEq)]
pub struct ActionDate {
    pub name: Text,
    pub url: String,
    pub date: String,
    pub synthetic: bool,
}

/// A recorded edit: who, when, what.
#[derive(Debug, Serialize, PartialEq)]
pub struct Edit {
    pub at: String,
    pub actor: String,
    pub what: Text,
    pub item: String,
    pub history_url: String,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct View {
    pub since: String,
    pub statuses: Vec<StatusChange>,
    pub synthetic_statuses: Vec<StatusChange>,
    pub figures: Vec<NewFigure>,
    pub started: Vec<ActionDate>,
    pub ended: Vec<ActionDate>,
    pub edits: Vec<Edit>,
    /// More edits were recorded than listed.
    pub edits_truncated: bool,
}

impl View {
    pub fn is_empty(&self) -> bool {
        self.statuses.is_empty()
            && self.synthetic_statuses.is_empty()
            && self.figures.is_empty()
            && self.started.is_empty()
            && self.ended.is_empty()
            && self.edits.is_empty()
    }
}

fn walk<'a>(n: &'a Node, out: &mut Vec<&'a Node>) {
    out.push(n);
    for c in &n.children {
        walk(c, out);
    }
}

fn find<'a>(nodes: &'a [Node], kind: EntityKind, id: &str) -> Option<&'a Node> {
    nodes.iter().find_map(|n| {
        if n.kind == kind && n.id == id {
            Some(n)
        } else {
            find(&n.children, kind, id)
        }
    })
}

/// The tree as this instance knew it before `since`: each indicator with only the
/// observations recorded before that day.
pub fn as_of(tree: &StrategyTree, since: NaiveDate) -> StrategyTree {
    let day = since.format("%Y-%m-%d").to_string();
    fn prune(n: &mut Node, day: &str) {
        for i in &mut n.indicators {
            i.observations
                .retain(|o| o.recorded_at.get(..10).is_some_and(|d| d < day));
        }
        for c in &mut n.children {
            prune(c, day);
        }
    }
    let mut t = tree.clone();
    for n in &mut t.children {
        prune(n, &day);
    }
    t
}

/// What the view needs beyond the tree.
pub struct Inputs<'a> {
    pub tree: &'a StrategyTree,
    /// The node the view is about; `None`: the whole strategy.
    pub node: Option<(EntityKind, &'a str)>,
    pub since: NaiveDate,
    pub today: NaiveDate,
    pub contributions: &'a HashMap<String, String>,
    pub actions: &'a [Entity],
    pub edits: &'a [HistoryEntry],
    pub lang: Lang,
    /// The strategy/version query carried by links.
    pub q: &'a str,
}

fn history_url(lang: Lang, kind: EntityKind, key: &str) -> String {
    match lang {
        Lang::Fr => format!("/fr/historique/{}/{key}", kind.as_str()),
        Lang::En => format!("/en/history/{}/{key}", kind.as_str()),
    }
}

/// Builds the view. `None` when the node is not in the tree.
pub fn build(i: &Inputs) -> Option<View> {
    let lang = i.lang;
    let roots: Vec<&Node> = match i.node {
        Some((kind, id)) => vec![find(&i.tree.children, kind, id)?],
        None => i.tree.children.iter().collect(),
    };
    let mut nodes = Vec::new();
    for r in &roots {
        walk(r, &mut nodes);
    }
    let before = status::of_tree(&as_of(i.tree, i.since), i.contributions);
    let now = status::of_tree(i.tree, i.contributions);

    let mut statuses = Vec::new();
    let mut synthetic_statuses = Vec::new();
    let mut push = |c: StatusChange| {
        if c.after.synthetic {
            synthetic_statuses.push(c)
        } else {
            statuses.push(c)
        }
    };
    if i.node.is_none()
        && let (Some(b), Some(a)) = (
            before.node_view(EntityKind::Strategy, &i.tree.id, lang),
            now.node_view(EntityKind::Strategy, &i.tree.id, lang),
        )
        && b.code != a.code
    {
        push(StatusChange {
            kind: kind_label(EntityKind::Strategy, lang),
            name: text(&i.tree.name, lang),
            url: format!("/{}/?{}", lang.code(), i.q),
            before: b,
            after: a,
        });
    }
    let mut seen = HashSet::new();
    let mut indicator_seen = HashSet::new();
    let mut figures = Vec::new();
    let day = i.since.format("%Y-%m-%d").to_string();
    for n in &nodes {
        if !seen.insert((n.kind, n.id.as_str())) {
            continue;
        }
        let url = node_url(lang, n.kind, &n.id, i.q);
        if let (Some(b), Some(a)) = (
            before.node_view(n.kind, &n.id, lang),
            now.node_view(n.kind, &n.id, lang),
        ) && b.code != a.code
        {
            push(StatusChange {
                kind: kind_label(n.kind, lang),
                name: text(&n.name, lang),
                url: url.clone(),
                before: b,
                after: a,
            });
        }
        for ind in &n.indicators {
            if !indicator_seen.insert(ind.id.as_str()) {
                continue;
            }
            let ind_url = format!("{url}#ind-{}", ind.id);
            if let (Some(b), Some(a)) = (
                before.indicator_view(&ind.id, lang),
                now.indicator_view(&ind.id, lang),
            ) && b.code != a.code
            {
                push(StatusChange {
                    kind: kind_label(EntityKind::Indicator, lang),
                    name: text(&ind.name, lang),
                    url: ind_url.clone(),
                    before: b,
                    after: a,
                });
            }
            for o in &ind.observations {
                if o.recorded_at.get(..10).is_some_and(|d| d >= day.as_str()) {
                    let value = fmt::with_unit(o.value, &ind.unit, lang);
                    figures.push(NewFigure {
                        indicator: text(&ind.name, lang),
                        url: ind_url.clone(),
                        period: o
                            .period
                            .clone()
                            .unwrap_or_else(|| t(lang, "period_unspecified").to_owned()),
                        value: match &o.qualifier {
                            Some(q) => format!("{} {value}", fmt::qualifier(q, lang)),
                            None => value,
                        },
                        recorded: fmt::datetime(&o.recorded_at),
                        source: o.provenance.source.clone(),
                        synthetic: o.provenance.demo,
                    });
                }
            }
        }
    }

    let actions: HashMap<&str, &Entity> = i.actions.iter().map(|e| (e.key.as_str(), e)).collect();
    let mut started = Vec::new();
    let mut ended = Vec::new();
    let mut action_seen = HashSet::new();
    for n in nodes.iter().filter(|n| n.kind == EntityKind::Action) {
        if !action_seen.insert(n.id.as_str()) {
            continue;
        }
        let Some(Details::Action(a)) = actions.get(n.id.as_str()).map(|e| &e.details) else {
            continue;
        };
        let within = |d: NaiveDate| d >= i.since && d <= i.today;
        let row = |d: NaiveDate| ActionDate {
            name: text(&n.name, lang),
            url: node_url(lang, n.kind, &n.id, i.q),
            date: fmt::date(&d.to_string()),
            synthetic: n.provenance.demo,
        };
        if let Some(d) = a.start.filter(|d| within(*d)) {
            started.push((d, row(d)));
        }
        if let Some(d) = a.end.filter(|d| within(*d)) {
            ended.push((d, row(d)));
        }
    }
    started.sort_by_key(|x| std::cmp::Reverse(x.0));
    ended.sort_by_key(|x| std::cmp::Reverse(x.0));

    // Edits of the entities of the subtree (their observations and targets included).
    let mut names: HashMap<(EntityKind, &str), &territoria_model::Labels> = HashMap::new();
    for n in &nodes {
        names.insert((n.kind, n.id.as_str()), &n.name);
        for ind in &n.indicators {
            names.insert((EntityKind::Indicator, ind.id.as_str()), &ind.name);
        }
    }
    let edits = i
        .edits
        .iter()
        .filter_map(|e| {
            let name = names.get(&(e.change.kind, e.change.key.as_str()))?;
            Some(Edit {
                at: fmt::datetime(&e.at),
                actor: e.actor.clone(),
                what: text(name, lang),
                item: match (e.change.item.as_str(), lang) {
                    ("observation", Lang::Fr) => format!("valeur {}", e.change.detail),
                    ("observation", Lang::En) => format!("value {}", e.change.detail),
                    ("target", Lang::Fr) => format!("cible {}", e.change.detail),
                    ("target", Lang::En) => format!("target {}", e.change.detail),
                    (_, Lang::Fr) => "fiche".to_owned(),
                    (_, Lang::En) => "record".to_owned(),
                },
                history_url: history_url(lang, e.change.kind, &e.change.key),
            })
        })
        .collect();
    Some(View {
        since: fmt::date(&i.since.to_string()),
        statuses,
        synthetic_statuses,
        figures,
        started: started.into_iter().map(|x| x.1).collect(),
        ended: ended.into_iter().map(|x| x.1).collect(),
        edits,
        edits_truncated: i.edits.len() >= EDIT_LIMIT as usize,
    })
}

fn parse_node(lang: Lang, s: &str) -> Result<(EntityKind, String), PageError> {
    let bad = || {
        PageError::bad(
            lang,
            "node",
            match lang {
                Lang::Fr => format!(
                    "`{s}` : écrivez type/clé, par exemple programme/dw4ai (ambition, levier, programme ou action)"
                ),
                Lang::En => format!(
                    "`{s}`: write kind/key, e.g. programme/dw4ai (ambition, lever, programme or action)"
                ),
            },
        )
    };
    let (kind, key) = s.split_once('/').ok_or_else(bad)?;
    let kind = EntityKind::parse(kind).ok_or_else(bad)?;
    if key.is_empty() {
        return Err(bad());
    }
    Ok((kind, key.to_owned()))
}

fn parse_since(lang: Lang, s: Option<&str>, today: NaiveDate) -> Result<NaiveDate, PageError> {
    match s {
        // "Since last quarter": three months back by default.
        None | Some("") => Ok(today
            .checked_sub_months(chrono::Months::new(3))
            .unwrap_or(today)),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .filter(|d| *d <= today)
            .ok_or_else(|| {
                PageError::bad(
                    lang,
                    "since",
                    match lang {
                        Lang::Fr => format!(
                            "`{s}` : donnez une date passée au format AAAA-MM-JJ, par exemple 2026-09-01"
                        ),
                        Lang::En => format!(
                            "`{s}`: give a past date as YYYY-MM-DD, e.g. 2026-09-01"
                        ),
                    },
                )
            }),
    }
}

/// Reads what [`build`] needs (contributions, actions, the edits recorded since) and
/// builds the view; `None` when the node is not in the tree.
pub(super) async fn load(
    state: &AppState,
    snap: &super::cache::Snapshot,
    tree: &StrategyTree,
    node: Option<(EntityKind, &str)>,
    since: NaiveDate,
    lang: Lang,
    q: &str,
) -> Result<Option<View>, PageError> {
    let contributions = snap.contributions(state).await.lang(lang)?;
    let actions = snap.actions(state).await.lang(lang)?;
    let since_text = since.format("%Y-%m-%d").to_string();
    let edits = crate::api::with_store(state, move |s| {
        Ok(s.recent_changes(&since_text, EDIT_LIMIT)?)
    })
    .await
    .lang(lang)?;
    Ok(build(&Inputs {
        tree,
        node,
        since,
        today: chrono::Utc::now().date_naive(),
        contributions: &contributions,
        actions: &actions,
        edits: &edits,
        lang,
        q,
    }))
}

/// The default and checked `since` of a page (three months back when not given).
pub(super) fn since_param(lang: Lang, params: &Params) -> Result<NaiveDate, PageError> {
    parse_since(
        lang,
        params.one("since").lang(lang)?,
        chrono::Utc::now().date_naive(),
    )
}

/// `/{lang}/strategies/{key}/changements?since=YYYY-MM-DD&node=kind/key`.
pub async fn page(
    State(state): State<AppState>,
    lang: Lang,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    const ACCEPTED: [&str; 4] = ["version", "format", "since", "node"];
    Params::parse(raw.as_deref(), &ACCEPTED).lang(lang)?;
    let mut with_key = super::query_string([("strategy", key.as_str())]);
    if let Some(r) = raw.as_deref().filter(|r| !r.is_empty()) {
        with_key = format!("{with_key}&{r}");
    }
    let params = Params::parse(
        Some(&with_key),
        &["strategy", "version", "format", "since", "node"],
    )
    .lang(lang)?;
    let format = Format::of(&params, lang, false)?;
    let since = since_param(lang, &params)?;
    let node = params
        .one("node")
        .lang(lang)?
        .filter(|s| !s.is_empty())
        .map(|s| parse_node(lang, s))
        .transpose()?;
    let snap = snapshot(&state);
    let chosen = choose(&state, &snap, lang, &params).await?;
    let q = chosen.query();
    let Some(tree) = chosen.tree() else {
        return Err(PageError::not_found(lang, t(lang, "no_tree")));
    };
    let node_ref = node.as_ref().map(|(k, id)| (*k, id.as_str()));
    let Some(v) = load(&state, &snap, tree, node_ref, since, lang, &q).await? else {
        let (k, id) = node
            .as_ref()
            .map(|(k, id)| (k.as_str(), id.as_str()))
            .unwrap_or_default();
        return Err(PageError::not_found(
            lang,
            match lang {
                Lang::Fr => format!("{k}/{id} n'est pas dans cette version de la stratégie"),
                Lang::En => format!("{k}/{id} is not in this version of the strategy"),
            },
        ));
    };
    let synthetic = v.synthetic_statuses.len()
        + v.figures.iter().filter(|f| f.synthetic).count()
        + v.started
            .iter()
            .chain(&v.ended)
            .filter(|a| a.synthetic)
            .count()
        > 0;
    if format != Format::Html {
        let mut table = Table::new(&[
            "change",
            "kind",
            "name",
            "before",
            "after",
            "date",
            "synthetic",
        ]);
        for c in v.statuses.iter().chain(&v.synthetic_statuses) {
            table.push(vec![
                "status".into(),
                c.kind.into(),
                c.name.text.clone(),
                c.before.code.into(),
                c.after.code.into(),
                String::new(),
                c.after.synthetic.to_string(),
            ]);
        }
        for f in &v.figures {
            table.push(vec![
                "figure".into(),
                "indicator".into(),
                f.indicator.text.clone(),
                String::new(),
                format!("{} ({})", f.value, f.period),
                f.recorded.clone(),
                f.synthetic.to_string(),
            ]);
        }
        for (what, list) in [("started", &v.started), ("ended", &v.ended)] {
            for a in list {
                table.push(vec![
                    what.into(),
                    "action".into(),
                    a.name.text.clone(),
                    String::new(),
                    String::new(),
                    a.date.clone(),
                    a.synthetic.to_string(),
                ]);
            }
        }
        return Ok(export::table(
            format,
            &format!("{}-changements-{}", chosen.strategy, since),
            &table,
            synthetic,
            &tree.provenance.source,
        ));
    }
    let about = match &node {
        Some((k, id)) => find(&tree.children, *k, id).map(|n| {
            (
                kind_label(n.kind, lang),
                text(&n.name, lang),
                node_url(lang, n.kind, &n.id, &q),
            )
        }),
        None => None,
    };
    let title = match lang {
        Lang::Fr => format!("Ce qui a changé depuis le {}", v.since),
        Lang::En => format!("What changed since {}", v.since),
    };
    let name = text(&tree.name, lang);
    let mut frame = Frame::new(
        lang,
        format!("{title} — {}", name.text),
        &format!("strategies/{key}/changements"),
        raw.as_deref(),
    )
    .section("strategy")
    .demo(synthetic)
    .downloads(lang, false)
    .crumb(t(lang, "home"), format!("/{}/?{q}", lang.code()));
    if let Some((_, n, url)) = &about {
        frame = frame.crumb(n.text.clone(), url.clone());
    }
    let frame = frame.crumb(title.clone(), "");
    Ok(render(
        lang,
        "changes.html",
        frame,
        json!({
            "title": title,
            "strategy": name,
            "about": about,
            "since_iso": since.to_string(),
            "node": node.as_ref().map(|(k, id)| format!("{}/{id}", k.as_str())),
            "rule": status::rule(lang),
            "view": v,
            "empty": v.is_empty(),
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use territoria_model::{Action, ActionStatus, Labels, Lang as ML, Provenance};
    use territoria_store::{IndicatorView, ObservationView, TargetView, VersionSummary};

    fn prov(demo: bool) -> Provenance {
        Provenance {
            demo,
            ..Provenance::stated("test")
        }
    }

    fn labels(s: &str) -> Labels {
        let mut l = Labels::default();
        l.set(ML::Fr, s);
        l
    }

    fn obs(year: i32, value: f64, recorded: &str) -> ObservationView {
        ObservationView {
            period: Some(year.to_string()),
            start: Some(format!("{year}-01-01")),
            end: Some(format!("{year}-12-31")),
            value,
            qualifier: None,
            period_label: None,
            note: None,
            quote: None,
            recorded_at: recorded.into(),
            provenance: prov(false),
        }
    }

    fn tree() -> StrategyTree {
        let indicator = IndicatorView {
            id: "ind".into(),
            name: labels("Entreprises accompagnées"),
            unit: "".into(),
            kind: "level".into(),
            aggregation: "last".into(),
            provenance: prov(false),
            observations: vec![
                obs(2022, 100.0, "2026-01-10T10:00:00Z"),
                obs(2023, 120.0, "2026-01-10T10:00:00Z"),
                obs(2024, 140.0, "2026-01-10T10:00:00Z"),
                // Recorded later, and far below the trend.
                obs(2025, 20.0, "2026-11-20T10:00:00Z"),
            ],
            targets: vec![TargetView {
                due: "2027-12-31".into(),
                value: 150.0,
                qualifier: None,
                note: None,
                quote: None,
                baseline: None,
                provenance: prov(false),
            }],
        };
        let node = |kind, id: &str, children, indicators| Node {
            kind,
            id: id.into(),
            name: labels(id),
            description: Labels::default(),
            attributes: Default::default(),
            provenance: prov(false),
            link: prov(false),
            indicators,
            children,
        };
        let action = node(EntityKind::Action, "act", vec![], vec![]);
        let programme = node(EntityKind::Programme, "prog", vec![action], vec![indicator]);
        let other = node(EntityKind::Programme, "other", vec![], vec![]);
        StrategyTree {
            id: "s".into(),
            name: labels("Stratégie"),
            description: Labels::default(),
            attributes: Default::default(),
            provenance: prov(false),
            version: VersionSummary {
                id: "v1".into(),
                label: labels("v1"),
                year: None,
                note: None,
                source: "test".into(),
            },
            versions: vec![],
            node_counts: Default::default(),
            children: vec![node(
                EntityKind::Ambition,
                "amb",
                vec![programme, other],
                vec![],
            )],
        }
    }

    fn action_entity(start: &str, end: &str) -> Entity {
        let mut e = Entity::new(EntityKind::Action, "act", labels("act"), prov(false));
        e.details = Details::Action(Action {
            status: ActionStatus::Ongoing,
            start: Some(start.parse().unwrap()),
            end: Some(end.parse().unwrap()),
            budget_eur: None,
        });
        e
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_figure_recorded_since_moves_the_status_and_is_listed_and_older_ones_are_not() {
        let tree = tree();
        let actions = [action_entity("2026-10-01", "2026-11-30")];
        let edits = [HistoryEntry {
            at: "2026-11-20T10:00:00Z".into(),
            actor: "marie (partner)".into(),
            operation: "bulk observations".into(),
            change: territoria_store::Change {
                audit_id: 9,
                kind: EntityKind::Indicator,
                key: "ind".into(),
                item: "observation".into(),
                detail: "2025".into(),
                before: None,
                after: Some(json!({"value": 60.0})),
            },
        }];
        let contributions = HashMap::new();
        let v = build(&Inputs {
            tree: &tree,
            node: Some((EntityKind::Programme, "prog")),
            since: d("2026-09-01"),
            today: d("2026-12-03"),
            contributions: &contributions,
            actions: &actions,
            edits: &edits,
            lang: Lang::Fr,
            q: "strategy=s&version=v1",
        })
        .unwrap();
        // Only the 2025 figure was recorded since.
        assert_eq!(v.figures.len(), 1);
        assert_eq!(v.figures[0].period, "2025");
        // The indicator's status was judged on 2022-2024 then (rising towards 150) and
        // on all four now (the 2025 drop): it moved (on track → not), and so did its programme.
        let moved: Vec<(&str, &str, &str)> = v
            .statuses
            .iter()
            .map(|c| (c.kind, c.before.code, c.after.code))
            .collect();
        assert!(
            moved.iter().any(|m| m.0 == "Indicateur" && m.1 != m.2),
            "{moved:?}"
        );
        assert!(moved.iter().any(|m| m.0 == "Programme"), "{moved:?}");
        assert_eq!(v.started.len(), 1);
        assert_eq!(v.started[0].date, "01/10/2026");
        assert_eq!(v.ended.len(), 1);
        assert_eq!(v.edits.len(), 1);
        assert_eq!(v.edits[0].actor, "marie (partner)");
        assert_eq!(v.edits[0].history_url, "/fr/historique/indicator/ind");

        // Since a day after the last figure: nothing moved, nothing recorded, the
        // action's start is before and its end after.
        let v = build(&Inputs {
            since: d("2026-11-21"),
            edits: &[],
            ..Inputs {
                tree: &tree,
                node: Some((EntityKind::Programme, "prog")),
                since: d("2026-11-21"),
                today: d("2026-12-03"),
                contributions: &contributions,
                actions: &actions,
                edits: &[],
                lang: Lang::Fr,
                q: "",
            }
        })
        .unwrap();
        assert!(v.statuses.is_empty() && v.figures.is_empty() && v.started.is_empty());
        assert_eq!(v.ended.len(), 1);
    }

    #[test]
    fn another_node_sees_none_of_it_and_an_unknown_node_is_none() {
        let tree = tree();
        let contributions = HashMap::new();
        let inputs = |node| Inputs {
            tree: &tree,
            node,
            since: d("2026-09-01"),
            today: d("2026-12-03"),
            contributions: &contributions,
            actions: &[],
            edits: &[],
            lang: Lang::En,
            q: "",
        };
        let v = build(&inputs(Some((EntityKind::Programme, "other")))).unwrap();
        assert!(v.is_empty());
        assert!(build(&inputs(Some((EntityKind::Programme, "nowhere")))).is_none());
        // The whole strategy sees the programme's change.
        let v = build(&inputs(None)).unwrap();
        assert_eq!(v.figures.len(), 1);
    }

    #[test]
    fn bad_parameters_name_themselves() {
        let today = d("2026-12-03");
        assert!(parse_since(Lang::Fr, Some("2026-13-01"), today).is_err());
        assert!(parse_since(Lang::Fr, Some("2027-01-01"), today).is_err());
        assert_eq!(
            parse_since(Lang::Fr, None, today).ok(),
            Some(d("2026-09-03"))
        );
        assert!(parse_node(Lang::Fr, "programme").is_err());
        assert!(parse_node(Lang::Fr, "nothing/x").is_err());
        assert_eq!(
            parse_node(Lang::Fr, "programme/dw4ai").ok(),
            Some((EntityKind::Programme, "dw4ai".to_owned()))
        );
    }
}
