//! « À surveiller »: what of a strategy is off track or at risk, worst first, each
//! with the reason the rule gives. The handler parses and renders; the list is built
//! by [`view`] from a tree and its statuses (tested without HTTP).

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde::Serialize;
use serde_json::json;
use territoria_model::EntityKind;
use territoria_store::{Node, StrategyTree};

use super::cache::snapshot;
use super::export::{self, Format, Table};
use super::i18n::t;
use super::status::{self, StatusView, TreeStatus};
use super::strategy::{choose, node_url};
use super::{Frame, InLang, Lang, PageError, Text, render, text};
use crate::AppState;
use crate::params::Params;
use territoria_prescribe::Status;

/// One line of the view.
#[derive(Debug, Serialize, PartialEq)]
pub struct Row {
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub id: String,
    pub name: Text,
    pub url: String,
    pub status: StatusView,
    /// For an indicator: the node it measures.
    pub measures: Option<(Text, String)>,
}

/// The whole view: the rows, and how many items have no status to judge.
#[derive(Debug, Serialize, PartialEq)]
pub struct View {
    /// From real figures and targets.
    pub rows: Vec<Row>,
    /// Synthetic (demo) items, judged on their own synthetic figures: shown apart,
    /// marked, and never counted in a real status.
    pub synthetic_rows: Vec<Row>,
    pub indicators: usize,
    pub no_target: usize,
    pub not_enough_data: usize,
    pub refused: Vec<(String, String)>,
}

/// The reader's word for a node's kind (shared with the changes view).
pub(super) fn kind_label(kind: EntityKind, lang: Lang) -> &'static str {
    match (kind, lang) {
        (EntityKind::Strategy, Lang::Fr) => "Stratégie",
        (EntityKind::Ambition, Lang::Fr) => "Ambition",
        (EntityKind::Programme, Lang::Fr) => "Programme",
        (EntityKind::Lever, Lang::Fr) => "Levier",
        (EntityKind::Action, Lang::Fr) => "Action",
        (EntityKind::Indicator, Lang::Fr) => "Indicateur",
        (EntityKind::Strategy, Lang::En) => "Strategy",
        (EntityKind::Ambition, Lang::En) => "Ambition",
        (EntityKind::Programme, Lang::En) => "Programme",
        (EntityKind::Lever, Lang::En) => "Lever",
        (EntityKind::Action, Lang::En) => "Action",
        (EntityKind::Indicator, Lang::En) => "Indicator",
        (_, Lang::Fr) => "Élément",
        (_, Lang::En) => "Item",
    }
}

fn nodes(tree: &StrategyTree) -> Vec<&Node> {
    fn walk<'a>(n: &'a Node, out: &mut Vec<&'a Node>) {
        out.push(n);
        for c in &n.children {
            walk(c, out);
        }
    }
    let mut out = Vec::new();
    for n in &tree.children {
        walk(n, &mut out);
    }
    out
}

/// Builds the view from a tree and its statuses; `q` is the strategy/version query
/// carried by links.
pub fn view(tree: &StrategyTree, ts: &TreeStatus, lang: Lang, q: &str) -> View {
    let all = nodes(tree);
    let mut rows = Vec::new();
    let mut synthetic_rows = Vec::new();
    for (item, _) in status::watch_list(ts, lang, true) {
        let row = if item.kind == EntityKind::Indicator {
            let Some((n, i)) = all.iter().find_map(|n| {
                n.indicators
                    .iter()
                    .find(|i| i.id == item.id)
                    .map(|i| (*n, i))
            }) else {
                continue;
            };
            Row {
                kind: "indicator",
                kind_label: kind_label(EntityKind::Indicator, lang),
                id: item.id.clone(),
                name: text(&i.name, lang),
                url: format!("{}#ind-{}", node_url(lang, n.kind, &n.id, q), i.id),
                status: item.status,
                measures: Some((text(&n.name, lang), node_url(lang, n.kind, &n.id, q))),
            }
        } else if item.kind == EntityKind::Strategy {
            Row {
                kind: "strategy",
                kind_label: kind_label(EntityKind::Strategy, lang),
                id: item.id.clone(),
                name: text(&tree.name, lang),
                url: format!("/{}/?{q}", lang.code()),
                status: item.status,
                measures: None,
            }
        } else {
            let Some(n) = all.iter().find(|n| n.kind == item.kind && n.id == item.id) else {
                continue;
            };
            Row {
                kind: item.kind.as_str(),
                kind_label: kind_label(item.kind, lang),
                id: item.id.clone(),
                name: text(&n.name, lang),
                url: node_url(lang, n.kind, &n.id, q),
                status: item.status,
                measures: None,
            }
        };
        if row.status.synthetic {
            synthetic_rows.push(row);
        } else {
            rows.push(row);
        }
    }
    let real: Vec<_> = ts
        .indicators
        .values()
        .filter(|(a, _)| !a.synthetic)
        .collect();
    View {
        rows,
        synthetic_rows,
        indicators: real.len(),
        no_target: real
            .iter()
            .filter(|(a, _)| a.status == Status::NoTarget)
            .count(),
        not_enough_data: real
            .iter()
            .filter(|(a, _)| a.status == Status::NotEnoughData)
            .count(),
        refused: ts.refused.clone(),
    }
}

/// `/{lang}/strategies/{key}/a-surveiller`.
pub async fn page(
    State(state): State<AppState>,
    lang: Lang,
    Path(key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    Params::parse(raw.as_deref(), &["version", "format"]).lang(lang)?;
    let mut with_key = super::query_string([("strategy", key.as_str())]);
    if let Some(r) = raw.as_deref().filter(|r| !r.is_empty()) {
        with_key = format!("{with_key}&{r}");
    }
    let params = Params::parse(Some(&with_key), &["strategy", "version", "format"]).lang(lang)?;
    let format = Format::of(&params, lang, false)?;
    let snap = snapshot(&state);
    let chosen = choose(&state, &snap, lang, &params).await?;
    let contributions = snap.contributions(&state).await.lang(lang)?;
    let q = chosen.query();
    let ts = chosen.statuses(&contributions);
    let v = chosen
        .tree()
        .map(|tree| view(tree, &ts, lang, &q))
        .unwrap_or(View {
            rows: Vec::new(),
            synthetic_rows: Vec::new(),
            indicators: 0,
            no_target: 0,
            not_enough_data: 0,
            refused: Vec::new(),
        });
    if format != Format::Html {
        let mut table = Table::new(&[
            "kind",
            "id",
            "name",
            "status",
            "reason",
            "synthetic",
            "rule_version",
        ]);
        for r in v.rows.iter().chain(&v.synthetic_rows) {
            table.push(vec![
                r.kind.to_owned(),
                r.id.clone(),
                r.name.text.clone(),
                r.status.code.to_owned(),
                r.status.reason.clone(),
                r.status.synthetic.to_string(),
                territoria_prescribe::RULE_VERSION.to_owned(),
            ]);
        }
        let source = chosen
            .tree()
            .map(|t| t.provenance.source.clone())
            .unwrap_or_default();
        return Ok(export::table(
            format,
            &format!("{}-a-surveiller", chosen.strategy),
            &table,
            !v.synthetic_rows.is_empty(),
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
    let title = match lang {
        Lang::Fr => "À surveiller",
        Lang::En => "To watch",
    };
    let frame = Frame::new(
        lang,
        format!("{title} — {}", name.text),
        &format!("strategies/{key}/a-surveiller"),
        raw.as_deref(),
    )
    .section("strategy")
    .demo(!v.synthetic_rows.is_empty())
    .downloads(lang, false)
    .crumb(t(lang, "home"), format!("/{}/?{q}", lang.code()))
    .crumb(title, "");
    Ok(render(
        lang,
        "watch.html",
        frame,
        json!({
            "title": title,
            "strategy": name,
            "strategy_key": key,
            "has_tree": chosen.tree().is_some(),
            "rule": status::rule(lang),
            "view": v,
        }),
    ))
}
