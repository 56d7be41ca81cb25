//! The record of any entity (an organisation, a place, a label, a fund…): its names,
//! classifications, relations both ways with their provenance, and its place in the
//! strategies. Actions have their own, richer page.

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;
use territoria_model::{Details, EntityKind};

use super::export::{self, Format, Table};
use super::i18n::t;
use super::place::{CONTACT_ATTRIBUTES, contact, label};
use super::{Frame, InLang, Lang, PageError, fmt, render, source, text};
use crate::AppState;
use crate::api::with_store;
use crate::params::Params;

pub async fn page(
    State(state): State<AppState>,
    lang: Lang,
    Path((kind, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let params = Params::parse(raw.as_deref(), &["format"]).lang(lang)?;
    let format = Format::of(&params, lang, false)?;
    let kind = EntityKind::parse(&kind)
        .ok_or_else(|| PageError::not_found(lang, format!("unknown entity kind `{kind}`")))?;
    if kind == EntityKind::Action {
        return Ok(Redirect::permanent(&format!("/{}/actions/{id}", lang.code())).into_response());
    }
    let key = id.clone();
    let detail = with_store(&state, move |s| Ok(s.entity(kind, &key)?))
        .await
        .lang(lang)?
        .ok_or_else(|| PageError::not_found(lang, format!("no {kind} `{id}`")))?;
    let e = &detail.entity;
    let link = |k: EntityKind, key: &str| match k {
        EntityKind::Action => format!("/{}/actions/{key}", lang.code()),
        EntityKind::Programme => format!("/{}/programmes/{key}", lang.code()),
        EntityKind::Ambition => format!("/{}/ambitions/{key}", lang.code()),
        EntityKind::Lever => format!("/{}/leviers/{key}", lang.code()),
        k => format!("/{}/entities/{}/{key}", lang.code(), k.as_str()),
    };
    let relation = |r: &territoria_store::RelationView| {
        json!({
            "kind": label(&r.kind, lang),
            "name": text(&r.entity.name, lang),
            "target_kind": label(r.entity.kind.as_str(), lang),
            "url": link(r.entity.kind, &r.entity.id),
            "since": r.since.as_deref().map(fmt::date),
            "until": r.until.as_deref().map(fmt::date),
            "amount": r.amount_eur.map(|a| fmt::euros(a, lang)),
            "source": source(&r.provenance),
        })
    };
    if format != Format::Html {
        let mut table = Table::new(&[
            "direction",
            "relation",
            "kind",
            "id",
            "name",
            "since",
            "until",
            "amount_eur",
            "source",
            "inferred",
            "demo",
        ])
        .numeric(&["amount_eur"]);
        for (dir, list) in [
            ("out", &detail.relations),
            ("in", &detail.inverse_relations),
        ] {
            for r in list {
                table.push(vec![
                    dir.into(),
                    r.kind.clone(),
                    r.entity.kind.as_str().into(),
                    r.entity.id.clone(),
                    r.entity.name.main().into(),
                    r.since.clone().unwrap_or_default(),
                    r.until.clone().unwrap_or_default(),
                    r.amount_eur.map(|a| a.to_string()).unwrap_or_default(),
                    r.provenance.source.clone(),
                    r.provenance.inferred.to_string(),
                    r.provenance.demo.to_string(),
                ]);
            }
        }
        return Ok(export::table(
            format,
            &format!("{kind}-{id}-relations"),
            &table,
            e.provenance.demo,
            &e.provenance.source,
        ));
    }
    let mut tags: BTreeMap<String, Vec<super::Text>> = BTreeMap::new();
    for c in &detail.concepts {
        tags.entry(label(&c.scheme, lang))
            .or_default()
            .push(text(&c.labels, lang));
    }
    let facts: Vec<(String, String)> = match &e.details {
        Details::Organisation(o) => [
            o.kbo.map(|k| ("KBO/BCE".to_owned(), k.digits())),
            o.founded.map(|d| {
                (
                    match lang {
                        Lang::Fr => "Fondée le",
                        Lang::En => "Founded",
                    }
                    .to_owned(),
                    fmt::date(&d.to_string()),
                )
            }),
            o.employees.map(|n| {
                (
                    match lang {
                        Lang::Fr => "Emploi",
                        Lang::En => "Employees",
                    }
                    .to_owned(),
                    fmt::integer(n as u64, lang),
                )
            }),
            o.website.clone().map(|w| ("Web".to_owned(), w)),
        ]
        .into_iter()
        .flatten()
        .collect(),
        // A place's address and contact are its card (`place_card`), not facts.
        _ => Vec::new(),
    };
    let place_card = match &e.details {
        Details::Place(p) => {
            let municipality = detail
                .concepts
                .iter()
                .find(|c| c.scheme == "territory")
                .map(|c| text(&c.labels, lang).text)
                .unwrap_or_default();
            Some(contact(e, p, &municipality, None, lang))
        }
        _ => None,
    };
    let attributes: Vec<(String, String)> = e
        .attributes
        .iter()
        .filter(|(k, _)| place_card.is_none() || !CONTACT_ATTRIBUTES.contains(&k.as_str()))
        .map(|(k, v)| {
            (
                label(k, lang),
                v.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string()),
            )
        })
        .collect();
    // Placements name their strategy and version as readers know them.
    let strategies = super::cache::snapshot(&state)
        .strategies(&state)
        .await
        .lang(lang)?;
    let strategy_name = |id: &str| {
        strategies
            .iter()
            .find(|s| s.id == id)
            .map(|s| text(&s.name, lang).text)
            .unwrap_or_else(|| id.to_owned())
    };
    let version_label = |id: &str, v: &str| {
        strategies
            .iter()
            .find(|s| s.id == id)
            .and_then(|s| s.versions.iter().find(|x| x.id == v))
            .map(|x| text(&x.label, lang).text)
            .unwrap_or_else(|| v.to_owned())
    };
    let name = text(&e.name, lang);
    let frame = Frame::new(
        lang,
        name.text.clone(),
        &format!("entities/{}/{id}", kind.as_str()),
        raw.as_deref(),
    )
    .section(if kind == EntityKind::Place {
        "near"
    } else {
        "explorer"
    })
    .demo(e.provenance.demo)
    .downloads(lang, false)
    .crumb(t(lang, "home"), format!("/{}/", lang.code()))
    .crumb(
        t(lang, "explorer"),
        format!(
            "/{}/explorer?kind={}",
            lang.code(),
            if kind == EntityKind::Place {
                "place"
            } else {
                "organisation"
            }
        ),
    )
    .crumb(name.text.clone(), "");
    Ok(render(
        lang,
        "entity.html",
        frame,
        json!({
            "kind": label(kind.as_str(), lang),
            "place": place_card,
            "id": id,
            "name": name,
            "description": text(&e.description, lang),
            "facts": facts,
            "attributes": attributes,
            "tags": tags,
            "relations": detail.relations.iter().map(relation).collect::<Vec<_>>(),
            "inverse": detail.inverse_relations.iter().map(relation).collect::<Vec<_>>(),
            "placements": detail.placements.iter().map(|p| json!({"strategy": strategy_name(&p.strategy), "version": version_label(&p.strategy, &p.version), "parent": text(&p.parent.name, lang), "url": link(p.parent.kind, &p.parent.id), "link": source(&p.link)})).collect::<Vec<_>>(),
            "source": source(&e.provenance),
            "demo": e.provenance.demo,
        }),
    ))
}
