//! The government's report for a strategy version: the status of the strategy, of every
//! ambition and programme, each indicator's figures with their sources, trend and
//! projection, and recommendations derived by rule from those statuses (never a figure
//! the data do not give). Printable: the page's print styles drop the site's chrome.
//! [`build`] makes the view model from a tree and its statuses (tested without HTTP).

use std::collections::BTreeSet;

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde::Serialize;
use serde_json::json;
use territoria_model::EntityKind;
use territoria_prescribe::{Reason, Status};
use territoria_store::{IndicatorView, Node, StrategyTree};

use super::cache::snapshot;
use super::export::{self, Format, Table};
use super::status::{self, StatusView, TreeStatus};
use super::strategy::choose;
use super::{Frame, InLang, Lang, PageError, Text, fmt, render, text};
use crate::AppState;
use crate::params::Params;

#[derive(Debug, Serialize)]
pub struct IndicatorLine {
    pub id: String,
    pub name: Text,
    pub measures: Text,
    pub status: Option<StatusView>,
    /// The latest real figure as the source states it, with its source.
    pub latest: Option<String>,
    pub latest_source: Option<String>,
    pub target: Option<String>,
    pub target_source: Option<String>,
    pub trend: Option<String>,
    pub projection: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Section {
    pub kind: &'static str,
    pub id: String,
    pub name: Text,
    pub status: Option<StatusView>,
    pub source: String,
    pub programmes: Vec<Section>,
    pub indicators: Vec<IndicatorLine>,
}

#[derive(Debug, Serialize)]
pub struct Recommendation {
    pub status: &'static str,
    pub label: &'static str,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub status: Option<StatusView>,
    pub ambitions: Vec<Section>,
    pub recommendations: Vec<Recommendation>,
    pub sources: Vec<String>,
}

/// The real actions under a node.
fn actions_under(n: &Node) -> usize {
    let mut keys = BTreeSet::new();
    fn walk<'a>(n: &'a Node, out: &mut BTreeSet<&'a str>) {
        for c in &n.children {
            // Real actions only: a recommendation never counts synthetic ones.
            if c.kind == EntityKind::Action && !c.provenance.demo {
                out.insert(c.id.as_str());
            }
            walk(c, out);
        }
    }
    walk(n, &mut keys);
    keys.len()
}

fn line(n: &Node, i: &IndicatorView, ts: &TreeStatus, lang: Lang) -> IndicatorLine {
    let real_obs = i.observations.iter().rev().find(|o| !o.provenance.demo);
    let real_target = i
        .targets
        .iter()
        .filter(|t| !t.provenance.demo)
        .max_by(|a, b| a.due.cmp(&b.due));
    let a = ts.indicator(&i.id);
    IndicatorLine {
        id: i.id.clone(),
        name: text(&i.name, lang),
        measures: text(&n.name, lang),
        status: ts.indicator_view(&i.id, lang),
        latest: real_obs.map(|o| {
            format!(
                "{}{} ({})",
                o.qualifier
                    .as_deref()
                    .map(|q| format!("{} ", fmt::qualifier(q, lang)))
                    .unwrap_or_default(),
                fmt::with_unit(o.value, &i.unit, lang),
                o.period
                    .clone()
                    .unwrap_or_else(|| super::i18n::t(lang, "period_unspecified").to_owned())
            )
        }),
        latest_source: real_obs.map(|o| o.provenance.source.clone()),
        target: real_target.map(|t| {
            format!(
                "{}{} ({})",
                t.qualifier
                    .as_deref()
                    .map(|q| format!("{} ", fmt::qualifier(q, lang)))
                    .unwrap_or_default(),
                fmt::with_unit(t.value, &i.unit, lang),
                fmt::date(&t.due)
            )
        }),
        target_source: real_target.map(|t| t.provenance.source.clone()),
        trend: a.filter(|a| !a.synthetic).and_then(|a| a.trend).map(|t| {
            let per = match lang {
                Lang::Fr => "par an",
                Lang::En => "a year",
            };
            format!(
                "{} {per} ({} – {}, {} {})",
                fmt::with_unit(t.per_year, &i.unit, lang),
                fmt::with_unit(t.low_per_year, &i.unit, lang),
                fmt::with_unit(t.high_per_year, &i.unit, lang),
                t.points,
                match lang {
                    Lang::Fr => "valeurs",
                    Lang::En => "values",
                }
            )
        }),
        projection: a
            .filter(|a| !a.synthetic)
            .and_then(|a| a.projection)
            .map(|p| {
                format!(
                    "{} ({} – {}) {} {}",
                    fmt::with_unit(p.value, &i.unit, lang),
                    fmt::with_unit(p.low, &i.unit, lang),
                    fmt::with_unit(p.high, &i.unit, lang),
                    match lang {
                        Lang::Fr => "au",
                        Lang::En => "by",
                    },
                    fmt::date(&p.due.to_string())
                )
            }),
    }
}

/// The recommendation a rule draws from one real indicator's status, if any.
fn recommend(n: &Node, i: &IndicatorView, ts: &TreeStatus, lang: Lang) -> Option<Recommendation> {
    let a = ts.indicator(&i.id).filter(|a| !a.synthetic)?;
    let name = text(&i.name, lang).text;
    let node = text(&n.name, lang).text;
    let actions = actions_under(n);
    let why = status::reason(a, &i.unit, lang);
    let fr = lang == Lang::Fr;
    let text = match (a.status, &a.reason) {
        (Status::OffTrack | Status::AtRisk, _) => {
            if fr {
                format!(
                    "{name} ({node}) : {why} Revoir les moyens des {actions} action(s) qui l'alimentent, ou la cible."
                )
            } else {
                format!(
                    "{name} ({node}): {why} Review the means of the {actions} action(s) feeding it, or the target."
                )
            }
        }
        (Status::NotEnoughData, Reason::TooFewPoints { points }) if a.target.is_some() => {
            let t = a.target.as_ref()?;
            let expected = fmt::with_unit(t.value, &i.unit, lang);
            let due = fmt::date(&t.due.to_string());
            if fr {
                format!(
                    "{name} ({node}) : {expected} attendu(s) au {due} (cible ou projection de la source), mais {points} valeur(s) datée(s) réelle(s) seulement ; publier les valeurs atteintes pour pouvoir juger la trajectoire."
                )
            } else {
                format!(
                    "{name} ({node}): {expected} expected by {due} (the source's target or projection), but only {points} real dated value(s); publish the values reached so the trajectory can be judged."
                )
            }
        }
        _ => return None,
    };
    Some(Recommendation {
        status: a.status.as_str(),
        label: status::label(a.status, lang),
        text,
    })
}

/// Builds the report of a tree.
pub fn build(tree: &StrategyTree, ts: &TreeStatus, lang: Lang) -> Report {
    let mut sources = BTreeSet::new();
    sources.insert(tree.provenance.source.clone());
    let mut recommendations = Vec::new();
    let mut section = |n: &Node, kind: &'static str, programmes: Vec<Section>| {
        let mut indicators = Vec::new();
        for i in &n.indicators {
            if i.provenance.demo {
                continue; // the report states real figures only
            }
            let l = line(n, i, ts, lang);
            for s in [&l.latest_source, &l.target_source].into_iter().flatten() {
                sources.insert(s.clone());
            }
            if let Some(r) = recommend(n, i, ts, lang) {
                recommendations.push(r);
            }
            indicators.push(l);
        }
        sources.insert(n.provenance.source.clone());
        Section {
            kind,
            id: n.id.clone(),
            name: text(&n.name, lang),
            status: ts.node_view(n.kind, &n.id, lang),
            source: n.provenance.source.clone(),
            programmes,
            indicators,
        }
    };
    let mut ambitions = Vec::new();
    for a in tree.children.iter().filter(|n| !n.provenance.demo) {
        // Programmes sit under the ambition, or under its levers in 2024-2029.
        let programmes: Vec<Section> = super::strategy::programmes_of(a)
            .into_iter()
            .filter(|(p, _)| !p.provenance.demo)
            .map(|(p, _)| section(p, "programme", Vec::new()))
            .collect();
        ambitions.push(section(a, "ambition", programmes));
    }
    // Worst first: off track, at risk, then missing data.
    recommendations.sort_by_key(|r| match r.status {
        "off_track" => 0,
        "at_risk" => 1,
        _ => 2,
    });
    Report {
        status: ts.node_view(EntityKind::Strategy, &tree.id, lang),
        ambitions,
        recommendations,
        sources: sources.into_iter().filter(|s| !s.is_empty()).collect(),
    }
}

/// `/{lang}/strategies/{key}/rapport`.
pub async fn page(
    State(state): State<AppState>,
    lang: Lang,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    Params::parse(raw.as_deref(), &["version", "format", "since"]).lang(lang)?;
    let mut with_key = super::query_string([("strategy", key.as_str())]);
    if let Some(r) = raw.as_deref().filter(|r| !r.is_empty()) {
        with_key = format!("{with_key}&{r}");
    }
    let params =
        Params::parse(Some(&with_key), &["strategy", "version", "format", "since"]).lang(lang)?;
    let format = Format::of(&params, lang, false)?;
    let since = super::changes::since_param(lang, &params)?;
    let snap = snapshot(&state);
    let chosen = choose(&state, &snap, lang, &params).await?;
    let contributions = snap.contributions(&state).await.lang(lang)?;
    let ts = chosen.statuses(&contributions);
    let report = chosen.tree().map(|t| build(t, &ts, lang));
    if format != Format::Html {
        let mut table = Table::new(&[
            "level",
            "id",
            "name",
            "status",
            "reason",
            "latest",
            "target",
            "trend",
            "projection",
            "source",
            "rule_version",
        ]);
        for a in report.iter().flat_map(|r| &r.ambitions) {
            for s in std::iter::once(a).chain(&a.programmes) {
                let st = s.status.as_ref();
                table.push(vec![
                    s.kind.to_owned(),
                    s.id.clone(),
                    s.name.text.clone(),
                    st.map(|x| x.code.to_owned()).unwrap_or_default(),
                    st.map(|x| x.reason.clone()).unwrap_or_default(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    s.source.clone(),
                    territoria_prescribe::RULE_VERSION.to_owned(),
                ]);
                for i in &s.indicators {
                    let st = i.status.as_ref();
                    table.push(vec![
                        "indicator".to_owned(),
                        i.id.clone(),
                        i.name.text.clone(),
                        st.map(|x| x.code.to_owned()).unwrap_or_default(),
                        st.map(|x| x.reason.clone()).unwrap_or_default(),
                        i.latest.clone().unwrap_or_default(),
                        i.target.clone().unwrap_or_default(),
                        i.trend.clone().unwrap_or_default(),
                        i.projection.clone().unwrap_or_default(),
                        i.latest_source
                            .clone()
                            .or_else(|| i.target_source.clone())
                            .unwrap_or_default(),
                        territoria_prescribe::RULE_VERSION.to_owned(),
                    ]);
                }
            }
        }
        let source = chosen
            .tree()
            .map(|t| t.provenance.source.clone())
            .unwrap_or_default();
        return Ok(export::table(
            format,
            &format!("{}-{}-rapport", chosen.strategy, chosen.version),
            &table,
            false,
            &source,
        ));
    }
    let name = chosen
        .all
        .iter()
        .find(|s| s.id == chosen.strategy)
        .map(|s| text(&s.name, lang))
        .unwrap_or(Text {
            text: chosen.strategy.clone(),
            lang: None,
        });
    let version = chosen
        .all
        .iter()
        .find(|s| s.id == chosen.strategy)
        .and_then(|s| s.versions.iter().find(|v| v.id == chosen.version))
        .map(|v| text(&v.label, lang));
    let changed = match chosen.tree() {
        Some(tree) => {
            super::changes::load(&state, &snap, tree, None, since, lang, &chosen.query()).await?
        }
        None => None,
    };
    let title = match lang {
        Lang::Fr => "Rapport au Gouvernement",
        Lang::En => "Report to the Government",
    };
    let frame = Frame::new(
        lang,
        format!("{title} — {}", name.text),
        &format!("strategies/{key}/rapport"),
        raw.as_deref(),
    )
    .updated(snap.updated(&state).await)
    .section("strategy")
    .downloads(lang, false)
    .crumb(
        super::i18n::t(lang, "home"),
        format!("/{}/?{}", lang.code(), chosen.query()),
    )
    .crumb(title, "");
    Ok(render(
        lang,
        "report.html",
        frame,
        json!({
            "title": title,
            "strategy": name,
            "version": version,
            "rule": status::rule(lang),
            "rule_version": territoria_prescribe::RULE_VERSION,
            "report": report,
            "since_iso": since.to_string(),
            "changed": changed.map(|c| json!({
                "since": c.since,
                "statuses": c.statuses,
                "real_figures": c.figures.iter().filter(|f| !f.synthetic).count(),
                "synthetic_figures": c.figures.iter().filter(|f| f.synthetic).count(),
                "started": c.started.iter().filter(|a| !a.synthetic).count(),
                "ended": c.ended.iter().filter(|a| !a.synthetic).count(),
                "edits": c.edits.len(),
            })),
            "changes_url": format!(
                "/{}/strategies/{key}/changements?since={since}&{}",
                lang.code(),
                chosen.query()
            ),
        }),
    ))
}
