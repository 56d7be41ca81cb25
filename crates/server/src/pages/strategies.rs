//! Every strategy of the instance on one page (`/{lang}/strategies`): the memorandum
//! asks to extend governance by data "à toutes les politiques de la Déclaration de
//! Politique Régionale". Each strategy with its current version, what its tree holds,
//! its status by the same rule as every node (never from synthetic figures), and where
//! to go next — its dashboard, what to watch, its report, or the template that gives a
//! structure to a strategy the data only name.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde::Serialize;
use serde_json::json;
use territoria_model::EntityKind;

use super::cache::snapshot;
use super::export::{self, Format, Table};
use super::i18n::t;
use super::status::StatusView;
use super::{Frame, InLang, Lang, PageError, Text, render, text};
use crate::AppState;
use crate::params::Params;

#[derive(Serialize)]
struct Row {
    id: String,
    name: Text,
    url: String,
    /// The current version (the latest by year), if any.
    version: Option<Text>,
    version_id: Option<String>,
    versions: usize,
    ambitions: u64,
    levers: u64,
    programmes: u64,
    actions: u64,
    status: Option<StatusView>,
    watch_url: Option<String>,
    report_url: Option<String>,
    structure_url: String,
    source: String,
}

/// `/{lang}/strategies`.
pub async fn page(
    State(state): State<AppState>,
    lang: Lang,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let params = Params::parse(raw.as_deref(), &["format"]).lang(lang)?;
    let format = Format::of(&params, lang, false)?;
    let snap = snapshot(&state);
    let all = snap.strategies(&state).await.lang(lang)?;
    let contributions = snap.contributions(&state).await.lang(lang)?;
    let mut rows = Vec::new();
    for s in all.iter() {
        // The version a strategy's pages show by default (see `strategy::choose`).
        let current = s.versions.iter().max_by_key(|v| v.year.unwrap_or(0));
        let tree = match current {
            Some(v) => snap.tree(&state, &s.id, &v.id).await.lang(lang)?,
            None => std::sync::Arc::new(None),
        };
        let tree = tree.as_ref().as_ref();
        let n = |kind: &str| {
            tree.and_then(|t| t.node_counts.get(kind).copied())
                .unwrap_or(0)
        };
        let status = tree.and_then(|t| {
            super::status::of_tree(t, &contributions).node_view(EntityKind::Strategy, &s.id, lang)
        });
        let q = current.map(|v| format!("strategy={}&version={}", s.id, v.id));
        rows.push(Row {
            id: s.id.clone(),
            name: text(&s.name, lang),
            url: format!("/{}/?strategy={}", lang.code(), s.id),
            version: current.map(|v| text(&v.label, lang)),
            version_id: current.map(|v| v.id.clone()),
            versions: s.versions.len(),
            ambitions: n("ambition"),
            levers: n("lever"),
            programmes: n("programme"),
            actions: n("action"),
            watch_url: q
                .as_ref()
                .map(|q| format!("/{}/strategies/{}/a-surveiller?{q}", lang.code(), s.id)),
            report_url: q
                .as_ref()
                .map(|q| format!("/{}/strategies/{}/rapport?{q}", lang.code(), s.id)),
            structure_url: match current {
                None => format!("{}?key={}", crate::account::structure_new_path(lang), s.id),
                Some(v) => format!(
                    "{}?version={}",
                    crate::account::structure_path(lang, &s.id, ""),
                    v.id
                ),
            },
            status,
            source: s.provenance.source.clone(),
        });
    }
    if format != Format::Html {
        let mut table = Table::new(&[
            "id",
            "name",
            "version",
            "versions",
            "ambitions",
            "levers",
            "programmes",
            "actions",
            "status",
            "status_reason",
            "status_from_synthetic_figures",
            "source",
        ]);
        table.numeric = vec!["versions", "ambitions", "levers", "programmes", "actions"];
        for r in &rows {
            table.rows.push(vec![
                r.id.clone(),
                r.name.text.clone(),
                r.version_id.clone().unwrap_or_default(),
                r.versions.to_string(),
                r.ambitions.to_string(),
                r.levers.to_string(),
                r.programmes.to_string(),
                r.actions.to_string(),
                r.status.as_ref().map(|s| s.code).unwrap_or("").to_owned(),
                r.status
                    .as_ref()
                    .map(|s| s.reason.clone())
                    .unwrap_or_default(),
                r.status
                    .as_ref()
                    .map(|s| s.synthetic.to_string())
                    .unwrap_or_default(),
                r.source.clone(),
            ]);
        }
        let demo = rows
            .iter()
            .any(|r| r.status.as_ref().is_some_and(|s| s.synthetic));
        return Ok(export::table(
            format,
            "strategies",
            &table,
            demo,
            "Territoria: every strategy's current version and status",
        ));
    }
    let frame = Frame::new(
        lang,
        t(lang, "strategies_title"),
        "strategies",
        raw.as_deref(),
    )
    .updated(snap.updated(&state).await)
    .section("strategy")
    .downloads(lang, false)
    .crumb(t(lang, "home"), format!("/{}/", lang.code()))
    .crumb(t(lang, "strategies_title"), "");
    Ok(render(
        lang,
        "strategies.html",
        frame,
        json!({
            "rows": rows,
            "rule": super::status::rule(lang),
            "new_url": crate::account::structure_new_path(lang),
        }),
    ))
}
