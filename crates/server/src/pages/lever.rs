//! A policy lever's page (`/{lang}/leviers/{id}`): the memorandum's words for it, the
//! ambition it serves, the programmes placed under it (inferred: the memorandum names
//! the 15 levers, not the programmes that serve them), their indicators rolled up and
//! the lever's status by the same rule as every other node.

use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde_json::json;
use territoria_model::{Entity, EntityKind};

use super::cache::snapshot;
use super::export::{self, Format};
use super::i18n::t;
use super::strategy::{
    action_keys, annotate, children_of, choose, find, indicator_table, node_name, node_url,
    programme_rows, programmes_of, progress, rollup, status_counts, switch, totals_by_unit,
};
use super::{Frame, InLang, Lang, PageError, render, source, text};
use crate::AppState;
use crate::params::Params;

/// `/{lang}/leviers/{id}`.
pub async fn page(
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
    let Some((lever, ancestors)) = find(tree, EntityKind::Lever, &id) else {
        return Err(PageError::not_found(
            lang,
            match lang {
                Lang::Fr => format!(
                    "Le levier « {id} » n'existe pas dans la version {} de {} : les 15 leviers \
                     sont ceux de la version 2024-2029.",
                    chosen.version, chosen.strategy
                ),
                Lang::En => format!(
                    "There is no lever `{id}` in version {} of {}: the 15 levers are those of \
                     version 2024-2029.",
                    chosen.version, chosen.strategy
                ),
            },
        ));
    };
    let ts = chosen.statuses(&contributions);
    let mut rolled = rollup(lever, &contributions, lang, &q, false);
    annotate(&mut rolled, &ts, lang, false);
    if format != Format::Html {
        return Ok(export::table(
            format,
            &format!("lever-{id}-indicators"),
            &indicator_table(&rolled),
            rolled.iter().any(|r| r.demo),
            &lever.provenance.source,
        ));
    }
    let programmes = programme_rows(
        &programmes_of(lever),
        &contributions,
        &by_key,
        &ts,
        lang,
        &q,
    );
    let keys = action_keys(lever);
    let name = text(&lever.name, lang);
    let ambition = ancestors.iter().find(|a| a.kind == EntityKind::Ambition);
    let mut frame = Frame::new(
        lang,
        name.text.clone(),
        &format!("leviers/{id}"),
        raw.as_deref(),
    )
    .updated(snap.updated(&state).await)
    .script()
    .section("strategy")
    .demo(!keys.is_empty())
    .downloads(lang, false)
    .crumb(t(lang, "home"), format!("/{}/?{q}", lang.code()));
    if let Some(a) = ambition {
        frame = frame.crumb(
            node_name(a, &chosen.version, lang).text,
            node_url(lang, a.kind, &a.id, &q),
        );
    }
    let frame = frame.crumb(name.text.clone(), "");
    let p = progress(&rolled);
    // The Digiscore barometer beside the lever it measures (aggregates only).
    let barometer = if id == crate::digiscore::barometer::LEVER {
        let all = crate::api::with_store(&state, |s| Ok(crate::digiscore::barometer::all(s)?))
            .await
            .lang(lang)?;
        crate::digiscore::barometer::lever_block(&all, lang)
    } else {
        None
    };
    Ok(render(
        lang,
        "lever.html",
        frame,
        json!({
            "switch": switch(&chosen, lang),
            "id": id,
            "name": name,
            "description": text(&lever.description, lang),
            "source": source(&lever.provenance),
            "link": source(&lever.link),
            "note": lever.attributes.get("note").and_then(|v| v.as_str()),
            "ambition": ambition.map(|a| json!({
                "name": node_name(a, &chosen.version, lang),
                "url": node_url(lang, a.kind, &a.id, &q),
            })),
            "siblings": ambition.map(|a| children_of(a, EntityKind::Lever)
                .filter(|l| l.id != id)
                .map(|l| json!({"name": text(&l.name, lang), "url": node_url(lang, l.kind, &l.id, &q)}))
                .collect::<Vec<_>>()),
            "programmes": programmes,
            "actions": keys.len(),
            "statuses": status_counts(&keys, &by_key, lang),
            "progress": p.map(|(x, _)| super::fmt::percent(x, lang)),
            "progress_value": p.map(|(x, _)| x.round()),
            "progress_of": p.map_or(0, |(_, n)| n),
            "status": ts.node_view(EntityKind::Lever, &id, lang),
            "rule": super::status::rule(lang),
            "watch_url": format!("/{}/strategies/{}/a-surveiller?{q}", lang.code(), chosen.strategy),
            "changes_url": format!("/{}/strategies/{}/changements?{q}&node=lever/{id}", lang.code(), chosen.strategy),
            "indicators": rolled,
            "barometer": barometer,
            "totals": totals_by_unit(&rolled, lang),
            "q": q,
            "actions_url": format!("/{}/actions?{q}&lever={id}", lang.code()),
        }),
    ))
}
