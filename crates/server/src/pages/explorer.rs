//! The ecosystem explorer over smart magnets: facets with counts (concept schemes and
//! relations), search inside a facet, the result list, a map of the results, and
//! saving, sharing and exporting the magnet.
//!
//! The selection lives in the URL: each `f=` is one facet value (`nace-bel-2008:C`,
//! `rel:labelled=label/made-different`); values of one facet are ORed, facets ANDed,
//! then `text` and an optional hand-written magnet `q` are ANDed too. The canonical
//! text of that query is what the API's `/api/magnets/search?q=` answers the same.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use roaring::RoaringBitmap;
use serde::Serialize;
use serde_json::json;
use territoria_magnet::Index;
use territoria_magnet::query::Query;
use territoria_model::{EntityKind, Labels};
use territoria_store::{MagnetRecord, Op, SavedMagnet, SchemeSummary, StoreError, WriteOptions};

use super::cache::snapshot;
use super::export::{self, Format, Table};
use super::i18n::t;
use super::maps::{
    AreaFigure, Combine, LegendItem, as_values, classify, figures, municipality_counts, parse_kind,
    parse_magnet, svg,
};
use super::{Frame, InLang, Lang, PageError, Text, fmt, render, text};
use crate::AppState;
use crate::api::with_store;
use crate::params::Params;

const PAGE_SIZE: usize = 20;

/// A relation facet and its values: (term, name, count, selected).
type RelView = (&'static RelFacet, Vec<(String, Text, u64, bool)>);
const FACET_VALUES: usize = 8;
const MAX_MEMBERS_EXPORT: usize = 200_000;

/// A facet over relations: its values are relation terms.
struct RelFacet {
    id: &'static str,
    fr: &'static str,
    en: &'static str,
    relation: &'static str,
    /// Targets: every entity of this kind (and, for a concept, "any target tagged …").
    target_kind: EntityKind,
    /// Targets restricted to those matching this magnet (e.g. only poles).
    target_filter: Option<&'static str>,
    /// A first value that groups every target: `(term, fr, en)`.
    any: Option<(&'static str, &'static str, &'static str)>,
}

const ORG_REL_FACETS: [RelFacet; 5] = [
    RelFacet {
        id: "label",
        fr: "Labels",
        en: "Labels",
        relation: "labelled",
        target_kind: EntityKind::Label,
        target_filter: None,
        any: None,
    },
    RelFacet {
        id: "pole",
        fr: "Membre d'un pôle de compétitivité",
        en: "Member of a competitiveness pole",
        relation: "member_of",
        target_kind: EntityKind::Organisation,
        target_filter: Some("organisation-kind:pole-de-competitivite"),
        any: Some((
            "rel:member_of=organisation-kind:pole-de-competitivite",
            "Un pôle de compétitivité (quel qu'il soit)",
            "Any competitiveness pole",
        )),
    },
    RelFacet {
        id: "fund",
        fr: "Financée par",
        en: "Funded by",
        relation: "funded_by",
        target_kind: EntityKind::Fund,
        target_filter: None,
        any: None,
    },
    RelFacet {
        id: "call",
        fr: "Lauréate de l'appel",
        en: "Laureate of the call",
        relation: "laureate_of",
        target_kind: EntityKind::Call,
        target_filter: None,
        any: None,
    },
    RelFacet {
        id: "mission",
        fr: "A participé à la mission",
        en: "Took part in the mission",
        relation: "participated_in",
        target_kind: EntityKind::Mission,
        target_filter: None,
        any: Some((
            "rel:participated_in=mission",
            "Une mission (quelle qu'elle soit)",
            "Any mission",
        )),
    },
];

fn concept_facets(kind: EntityKind) -> &'static [&'static str] {
    match kind {
        EntityKind::Action => &[
            "action-type",
            "target-audience",
            "funding-source",
            "territory",
        ],
        EntityKind::Place => &["organisation-kind", "inclusion-service", "territory"],
        _ => &[
            "nace-bel-2008",
            "organisation-kind",
            "territory",
            "size-class",
            "digital-offer",
            "legal-form",
        ],
    }
}

fn rel_facets(kind: EntityKind) -> &'static [RelFacet] {
    match kind {
        EntityKind::Organisation => &ORG_REL_FACETS,
        _ => &[],
    }
}

/// Which facet a selected term belongs to: a concept scheme, a relation facet, or
/// none (then it is a condition of its own).
fn group_of(term: &Query, kind: EntityKind) -> Option<String> {
    match term {
        Query::Concept { scheme, .. } => Some(format!("c:{scheme}")),
        other => {
            let text = other.to_string();
            rel_facets(kind)
                .iter()
                .find(|f| {
                    text.starts_with(&format!("rel:{}=", f.relation))
                        || text == format!("rel:{}", f.relation)
                })
                .map(|f| format!("r:{}", f.id))
        }
    }
}

/// A saved magnet's query taken apart as the explorer shows it: each facet (one value
/// or an `OR` of values of one facet) becomes ticks, one quoted text the text box, the
/// rest stays a hand-written query ANDed with them — the same set as the query.
/// When a facet appears twice (`nace:C AND nace:J`), ticking both would mean `OR`:
/// the whole query then stays hand-written.
type Term = (String, Query, Option<String>);

fn split_saved(query: &Query, kind: EntityKind) -> (Vec<Term>, Option<String>, Option<String>) {
    let whole = || (Vec::new(), None, Some(query.to_string()));
    let parts: Vec<&Query> = match query {
        Query::All => return (Vec::new(), None, None),
        Query::And { terms } => terms.iter().collect(),
        other => vec![other],
    };
    let single = |q: &Query| -> Option<Term> {
        if matches!(q, Query::And { .. } | Query::Or { .. } | Query::Not { .. }) {
            return None;
        }
        let g = group_of(q, kind)?;
        Some((q.to_string(), q.clone(), Some(g)))
    };
    let (mut terms, mut text, mut rest) = (Vec::<Term>::new(), None, Vec::new());
    let mut groups: Vec<String> = Vec::new();
    for part in parts {
        let facet: Option<Vec<Term>> = match part {
            Query::Or { terms: alts } => {
                let v: Option<Vec<Term>> = alts.iter().map(single).collect();
                v.filter(|v| v.windows(2).all(|w| w[0].2 == w[1].2))
            }
            other => single(other).map(|t| vec![t]),
        };
        match (facet, part) {
            (Some(v), _) => {
                let g = v[0].2.clone().unwrap_or_default();
                if groups.contains(&g) {
                    return whole();
                }
                groups.push(g);
                terms.extend(v);
            }
            (None, Query::Text { text: t }) if text.is_none() => text = Some(t.clone()),
            (None, other) => rest.push(other.to_string()),
        }
    }
    let rest = (!rest.is_empty()).then(|| {
        rest.iter()
            .map(|r| format!("({r})"))
            .collect::<Vec<_>>()
            .join(" AND ")
    });
    (terms, text, rest)
}

/// The explorer's state, read from the query string.
struct Selection {
    kind: EntityKind,
    /// Facet values in the order given, with their facet.
    terms: Vec<(String, Query, Option<String>)>,
    text: Option<String>,
    q: Option<String>,
    /// The member table's columns, as given (`None`: the default set).
    cols: Option<String>,
}

impl Selection {
    /// The query of the whole selection, leaving out the facet `skip`.
    fn query_without(&self, skip: Option<&str>) -> Result<Query, String> {
        let mut parts: Vec<String> = Vec::new();
        let mut groups: Vec<(Option<String>, Vec<&str>)> = Vec::new();
        for (raw, _, g) in &self.terms {
            if g.is_some() && g.as_deref() == skip {
                continue;
            }
            match groups.iter_mut().find(|(k, _)| k.is_some() && k == g) {
                Some((_, v)) => v.push(raw),
                None => groups.push((g.clone(), vec![raw])),
            }
        }
        for (_, terms) in groups {
            parts.push(if terms.len() == 1 {
                terms[0].to_owned()
            } else {
                format!("({})", terms.join(" OR "))
            });
        }
        if let Some(t) = &self.text {
            parts.push(format!(
                "\"{}\"",
                t.replace('\\', "\\\\").replace('"', "\\\"")
            ));
        }
        if let Some(q) = &self.q {
            parts.push(format!("({q})"));
        }
        let text = if parts.is_empty() {
            "*".to_owned()
        } else {
            parts.join(" AND ")
        };
        territoria_magnet::query::parse(&text).map_err(|e| e.to_string())
    }

    fn has(&self, raw: &str) -> bool {
        self.terms.iter().any(|(r, _, _)| r == raw)
    }

    /// URL pairs of this selection, with `f` values changed by `edit`.
    fn pairs(&self, edit: impl Fn(&mut Vec<String>)) -> Vec<(String, String)> {
        let mut fs: Vec<String> = self.terms.iter().map(|(r, _, _)| r.clone()).collect();
        edit(&mut fs);
        let mut out = vec![("kind".to_owned(), self.kind.as_str().to_owned())];
        out.extend(fs.into_iter().map(|f| ("f".to_owned(), f)));
        if let Some(t) = &self.text {
            out.push(("text".into(), t.clone()));
        }
        if let Some(q) = &self.q {
            out.push(("q".into(), q.clone()));
        }
        if let Some(c) = &self.cols {
            out.push(("cols".into(), c.clone()));
        }
        out
    }

    /// The explorer's URL of this selection, with `f` values changed by `edit`.
    fn url(&self, lang: Lang, edit: impl Fn(&mut Vec<String>)) -> String {
        explorer_url(lang, &self.pairs(edit))
    }

    /// The explorer's URL of this selection, with `extra` parameters after it.
    fn url_with(&self, lang: Lang, extra: &[(&str, &str)]) -> String {
        let mut pairs = self.pairs(|_| {});
        for (k, v) in extra {
            pairs.push(((*k).into(), (*v).into()));
        }
        explorer_url(lang, &pairs)
    }
}

/// `/{lang}/explorer?` with these parameters.
fn explorer_url(lang: Lang, pairs: &[(String, String)]) -> String {
    format!(
        "/{}/explorer?{}",
        lang.code(),
        super::query_string(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    )
}

#[derive(Serialize)]
struct FacetValueView {
    label: Text,
    notation: String,
    count: String,
    count_n: u64,
    selected: bool,
    url: String,
    narrower: bool,
}

#[derive(Serialize)]
struct FacetView {
    id: String,
    title: Text,
    values: Vec<FacetValueView>,
    more: Option<String>,
    fewer: Option<String>,
    up: Option<String>,
    parent: Option<Text>,
    searchable: bool,
    search_text: Option<String>,
    expanded: bool,
}

/// Relation-facet targets: `(term, name)`.
fn rel_targets(index: &Index, f: &RelFacet, lang: Lang) -> Vec<(String, Text)> {
    let mut out = Vec::new();
    if let Some((term, fr, en)) = f.any {
        out.push((
            term.to_owned(),
            Text {
                text: match lang {
                    Lang::Fr => fr,
                    Lang::En => en,
                }
                .to_owned(),
                lang: None,
            },
        ));
    }
    let q = f
        .target_filter
        .and_then(|t| territoria_magnet::query::parse(t).ok())
        .unwrap_or(Query::All);
    if let Ok(r) = index.search(&q, f.target_kind, &[], 500, 0, 0) {
        for m in r.members {
            out.push((
                format!("rel:{}={}/{}", f.relation, f.target_kind.as_str(), m.id),
                Text {
                    text: m.name,
                    lang: None,
                },
            ));
        }
    }
    out
}

/// The explorer's query-string parameters.
const PARAMS: [&str; 13] = [
    "kind", "f", "text", "q", "page", "expand", "fs", "fq", "format", "data", "magnet", "saved",
    "cols",
];

/// Where the explorer's members come from, for exports.
const SOURCE: &str = "Territoria magnet index over the store (synthetic demo organisations, actions and places; reference taxonomies from cited public sources)";

/// `GET /{lang}/explorer`: the facets, members, map and exports of a selection.
pub async fn page(
    State(state): State<AppState>,
    lang: Lang,
    RawQuery(raw): RawQuery,
) -> Result<Response, PageError> {
    let params = Params::parse(raw.as_deref(), &PARAMS).lang(lang)?;
    let ask = Ask::read(&state, &params, lang).await?;
    let kind = ask.sel.kind;
    let query = ask
        .sel
        .query_without(None)
        .map_err(|e| PageError::bad(lang, "f", e))?;
    let canonical = query.to_string();
    let schemes_all = snapshot(&state).schemes(&state).await.lang(lang)?;
    let concept_schemes = ask.concept_schemes(&schemes_all, lang)?;
    let geo = super::geo::geo(&state).await.lang(lang)?;
    let answer = Answer::of(&state.magnets.read(), &ask, &query, &concept_schemes, lang)?;
    let demo = answer.search.members.iter().any(|m| m.demo) || kind != EntityKind::Organisation;
    let data = params.one("data").lang(lang)?.unwrap_or("members");
    if ask.format != Format::Html {
        let directory = match (kind, data, ask.cols.is_empty()) {
            (EntityKind::Organisation, "members", false) => {
                Some(snapshot(&state).directory(&state).await.lang(lang)?)
            }
            _ => None,
        };
        let members = MemberColumns {
            cols: &ask.cols,
            directory: directory.as_deref(),
        };
        let name = format!("magnet-{}", kind.plural());
        let out = Export {
            format: ask.format,
            data,
            name: &name,
            kind,
            canonical: &canonical,
            demo,
        };
        return out.render(lang, &state, &geo, &answer, &members);
    }

    let mut facets = concept_facet_views(&state, &ask, &answer, &schemes_all, lang);
    facets.extend(rel_facet_views(&ask, &answer.rel_views, lang));
    order_facets(&mut facets, kind, concept_schemes.len());
    let hits = hit_views(answer.facet_hits.as_deref(), &ask, lang);
    let chips = chip_views(&ask.sel, &facets, lang);
    let directory = if ask.cols.is_empty() {
        None
    } else {
        Some(snapshot(&state).directory(&state).await.lang(lang)?)
    };
    let member_columns = MemberColumns {
        cols: &ask.cols,
        directory: directory.as_deref(),
    };
    let members = member_views(&answer.search, &member_columns, &geo, lang);
    let (page, pages) = (ask.page, page_count(answer.search.total, ask.page, lang)?);
    let (map_svg, legend, figs) = results_map(&state, &geo, kind, &answer, lang);
    let saved_all = with_store(&state, |s| Ok(s.magnets()?)).await.lang(lang)?;
    let just_saved = params
        .one("saved")
        .lang(lang)?
        .map(|id| saved_name(&saved_all, id, lang));
    let sel = &ask.sel;
    let share_pairs = sel.pairs(|_| {});
    let frame = Frame::new(lang, t(lang, "explorer"), "explorer", raw.as_deref())
        .section("explorer")
        .demo(demo)
        .script()
        .crumb(t(lang, "home"), format!("/{}/", lang.code()))
        .crumb(t(lang, "explorer"), "");
    Ok(render(
        lang,
        "explorer.html",
        frame,
        json!({
            "kind": kind.as_str(),
            "kinds": kind_views(kind, lang),
            "facets": facets,
            "chips": chips,
            "clear_url": format!("/{}/explorer?kind={}", lang.code(), kind.as_str()),
            "text": sel.text,
            "q": sel.q,
            "query": canonical,
            "api_url": format!("/api/magnets/search?{}", super::query_string([("q", canonical.as_str()), ("kind", kind.as_str())])),
            "map_url": format!("/{}/map?{}", lang.code(), super::query_string([("kind", kind.as_str()), ("q", canonical.as_str())])),
            "total": fmt::integer(answer.search.total, lang),
            "total_n": answer.search.total,
            "members": members,
            "page": page,
            "pages": pages,
            "prev_url": (page > 1).then(|| sel.url_with(lang, &[("page", &(page - 1).to_string())])),
            "next_url": (page < pages).then(|| sel.url_with(lang, &[("page", &(page + 1).to_string())])),
            "hits": hits,
            "hits_scheme": ask.fs,
            "map": map_svg,
            "legend": legend,
            "figures": figs,
            "share_url": sel.url_with(lang, &[]),
            "exports": export_links(sel, lang),
            "saved": saved_views(&saved_all, lang),
            "just_saved": just_saved,
            "can_save": state.write_token.is_none(),
            "hidden": share_pairs.iter().filter(|(k, _)| k != "text").collect::<Vec<_>>(),
            "hidden_but_cols": share_pairs.iter().filter(|(k, _)| k != "cols").collect::<Vec<_>>(),
            "view": super::query_string(share_pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            "columns": column_choice(kind, &ask.cols, lang),
            "headers": ask.cols.iter().map(|c| super::members::header(c, lang)).collect::<Vec<_>>(),
        }),
    ))
}

/// What the explorer is asked: the selection, and how to show it.
struct Ask {
    format: Format,
    sel: Selection,
    /// The page of members shown (from 1).
    page: usize,
    /// The facet shown with all its values.
    expand: Option<String>,
    /// The facet searched inside (`fs`) and the text searched for (`fq`).
    fs: Option<String>,
    fq: Option<String>,
    /// The member table's extra columns (organisations only).
    cols: Vec<&'static str>,
}

impl Ask {
    /// Reads and checks the query string; `magnet=` reopens a saved magnet as ticks,
    /// chips and text.
    async fn read(state: &AppState, params: &Params, lang: Lang) -> Result<Ask, PageError> {
        let format = Format::of(params, lang, true)?;
        let mut kind = parse_kind(lang, params.one("kind").lang(lang)?)?;
        let mut q = params
            .one("q")
            .lang(lang)?
            .map(str::trim)
            .filter(|s| !s.is_empty() && *s != "*")
            .map(str::to_owned);
        let mut text_q = params
            .one("text")
            .lang(lang)?
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let mut terms = Vec::new();
        if let Some(id) = params.one("magnet").lang(lang)? {
            let id = id.to_owned();
            let record = with_store(state, move |s| Ok(s.magnet(&id)?))
                .await
                .lang(lang)?
                .ok_or_else(|| PageError::not_found(lang, "no such saved magnet"))?;
            kind = record.kind;
            // Reopened with its ticks, chips and text, not as one hand-written query.
            if let Some(v) = record.versions.last() {
                let (t, text, rest) = split_saved(&parse_magnet(lang, &v.query)?, kind);
                terms = t;
                q = rest;
                if text_q.is_none() {
                    text_q = text;
                }
            }
        }
        if let Some(text) = &q {
            parse_magnet(lang, text)?;
        }
        if text_q
            .as_ref()
            .is_some_and(|t| t.chars().count() > crate::api::MAX_TEXT)
        {
            return Err(PageError::bad(lang, "text", "the text is too long"));
        }
        add_facet_values(&mut terms, params.all("f"), kind, lang)?;
        let page: usize = params.integer("page", 1, 1, 10_000).lang(lang)?;
        let expand = params.one("expand").lang(lang)?.map(str::to_owned);
        let fs = params.one("fs").lang(lang)?.map(str::to_owned);
        let fq = params
            .one("fq")
            .lang(lang)?
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let organisations = kind == EntityKind::Organisation;
        let cols = if organisations {
            super::members::chosen(params.all("cols"), lang)?
        } else {
            Vec::new()
        };
        let sel = Selection {
            kind,
            terms,
            text: text_q,
            q,
            cols: (params.all("cols").next().is_some() && organisations).then(|| cols.join(",")),
        };
        Ok(Ask {
            format,
            sel,
            page,
            expand,
            fs,
            fq,
            cols,
        })
    }

    /// The concept schemes faceted on this page (those the store has); `fs` must be one.
    fn concept_schemes(
        &self,
        schemes_all: &[SchemeSummary],
        lang: Lang,
    ) -> Result<Vec<String>, PageError> {
        let concept_schemes: Vec<String> = concept_facets(self.sel.kind)
            .iter()
            .filter(|s| schemes_all.iter().any(|x| x.id == **s))
            .map(|s| (*s).to_owned())
            .collect();
        if let Some(s) = &self.fs
            && !concept_schemes.contains(s)
        {
            return Err(PageError::bad(
                lang,
                "fs",
                format!("`{s}` is not a facet of this page"),
            ));
        }
        Ok(concept_schemes)
    }
}

/// Adds each `f=` value to `terms` (once), with its facet; each must be a single
/// facet value, not a combination.
fn add_facet_values<'a>(
    terms: &mut Vec<Term>,
    values: impl Iterator<Item = &'a str>,
    kind: EntityKind,
    lang: Lang,
) -> Result<(), PageError> {
    for f in values {
        let parsed = parse_magnet(lang, f)?;
        if matches!(
            parsed,
            Query::And { .. } | Query::Or { .. } | Query::Not { .. }
        ) {
            return Err(PageError::bad(
                lang,
                "f",
                format!("`{f}` is not a single facet value"),
            ));
        }
        let canonical = parsed.to_string();
        if terms.iter().any(|(r, _, _)| *r == canonical) {
            continue;
        }
        let g = group_of(&parsed, kind);
        terms.push((canonical, parsed, g));
    }
    Ok(())
}

/// Search inside one facet: `(notation, labels, count)`.
type FacetHit = (String, Labels, u64);

/// Everything the magnet index answers for a selection.
struct Answer {
    /// Every member of the selection.
    result: RoaringBitmap,
    /// The page of members (or all of them, for exports) and the concept facets.
    search: territoria_magnet::SearchResult,
    rel_views: Vec<RelView>,
    facet_hits: Option<Vec<FacetHit>>,
}

impl Answer {
    /// Asks the index, under one read guard.
    fn of(
        index: &Index,
        ask: &Ask,
        query: &Query,
        concept_schemes: &[String],
        lang: Lang,
    ) -> Result<Answer, PageError> {
        let kind = ask.sel.kind;
        let (limit, offset) = if ask.format == Format::Html {
            (PAGE_SIZE, (ask.page - 1) * PAGE_SIZE)
        } else {
            (MAX_MEMBERS_EXPORT, 0)
        };
        let search = index
            .search(query, kind, concept_schemes, limit, offset, 200)
            .map_err(|e| PageError::bad(lang, "f", e.to_string()))?;
        let result = index
            .eval_in(query, kind)
            .map_err(|e| PageError::bad(lang, "f", e.to_string()))?;
        let rel_views = rel_facet_counts(index, &ask.sel, lang);
        let facet_hits = match (&ask.fs, &ask.fq) {
            (Some(scheme), Some(text)) => Some(facet_search(index, &ask.sel, scheme, text)),
            _ => None,
        };
        Ok(Answer {
            result,
            search,
            rel_views,
            facet_hits,
        })
    }
}

/// The members of the selection without the facet `skip`: the base of that facet's
/// disjunctive counts.
fn base_without(index: &Index, sel: &Selection, skip: &str) -> RoaringBitmap {
    sel.query_without(Some(skip))
        .ok()
        .and_then(|q| index.eval_in(&q, sel.kind).ok())
        .unwrap_or_default()
}

/// Relation facets: disjunctive counts by hand, keeping values counted or selected.
fn rel_facet_counts(index: &Index, sel: &Selection, lang: Lang) -> Vec<RelView> {
    let mut rel_views = Vec::new();
    for f in rel_facets(sel.kind) {
        let base = base_without(index, sel, &format!("r:{}", f.id));
        let mut values = Vec::new();
        for (term, name) in rel_targets(index, f, lang) {
            let Ok(tq) = territoria_magnet::query::parse(&term) else {
                continue;
            };
            let n = index
                .eval_in(&tq, sel.kind)
                .map(|b| b.intersection_len(&base))
                .unwrap_or(0);
            let selected = sel.has(&term);
            if n > 0 || selected {
                values.push((term, name, n, selected));
            }
        }
        rel_views.push((f, values));
    }
    rel_views
}

/// The values of `scheme` matching `text`, counted given the other facets.
fn facet_search(index: &Index, sel: &Selection, scheme: &str, text: &str) -> Vec<FacetHit> {
    let base = base_without(index, sel, &format!("c:{scheme}"));
    index
        .facet_search(scheme, text, 30)
        .into_iter()
        .map(|(n, l)| {
            let c = index
                .eval_in(
                    &Query::Concept {
                        scheme: scheme.to_owned(),
                        notation: n.clone(),
                    },
                    sel.kind,
                )
                .map(|b| b.intersection_len(&base))
                .unwrap_or(0);
            (n, l, c)
        })
        .collect()
}

/// The labels of one concept, as the index knows them.
fn concept_labels(state: &AppState, scheme: &str, notation: &str) -> Labels {
    state
        .magnets
        .read()
        .facet_search(scheme, notation, 50)
        .into_iter()
        .find(|(x, _)| x == notation)
        .map(|(_, l)| l)
        .unwrap_or_default()
}

/// The concept facets as the page shows them: values with counts and the links that
/// tick, untick or refine them, folded to the first few unless expanded.
fn concept_facet_views(
    state: &AppState,
    ask: &Ask,
    answer: &Answer,
    schemes_all: &[SchemeSummary],
    lang: Lang,
) -> Vec<FacetView> {
    let sel = &ask.sel;
    let scheme_title = |id: &str| -> Text {
        schemes_all
            .iter()
            .find(|s| s.id == id)
            .map(|s| text(&s.title, lang))
            .unwrap_or(Text {
                text: id.to_owned(),
                lang: None,
            })
    };
    let mut facets: Vec<FacetView> = Vec::new();
    for f in &answer.search.facets {
        let gid = format!("c:{}", f.scheme);
        let expanded = ask.expand.as_deref() == Some(f.scheme.as_str());
        let selected_here: Vec<String> = sel
            .terms
            .iter()
            .filter(|(_, _, g)| g.as_deref() == Some(gid.as_str()))
            .map(|(r, _, _)| r.clone())
            .collect();
        let value_view = |notation: &str, labels: &Labels, count: u64, narrower: bool| {
            let term = format!("{}:{}", f.scheme, notation);
            let selected = sel.has(&term);
            let url = if selected {
                sel.url(lang, |fs| fs.retain(|x| *x != term))
            } else if f.parent.is_some() {
                // Refining: the narrower value replaces its parent.
                let parent = format!("{}:{}", f.scheme, f.parent.as_deref().unwrap_or(""));
                sel.url(lang, |fs| {
                    fs.retain(|x| *x != parent);
                    fs.push(term.clone());
                })
            } else {
                sel.url(lang, |fs| fs.push(term.clone()))
            };
            FacetValueView {
                label: text(labels, lang),
                notation: notation.to_owned(),
                count: fmt::integer(count, lang),
                count_n: count,
                selected,
                url,
                narrower,
            }
        };
        let mut values: Vec<FacetValueView> = f
            .values
            .iter()
            .map(|v| value_view(&v.notation, &v.labels, v.count, v.narrower))
            .collect();
        // Selected values stay visible even when the facet lists their children.
        for s in &selected_here {
            if !values
                .iter()
                .any(|v| format!("{}:{}", f.scheme, v.notation) == *s)
                && let Some(n) = s.split_once(':').map(|x| x.1)
            {
                let labels = concept_labels(state, &f.scheme, n);
                values.insert(0, value_view(n, &labels, answer.result.len(), false));
            }
        }
        let total = values.len();
        if !expanded {
            values.truncate(FACET_VALUES.max(selected_here.len()));
        }
        let more = (!expanded && total > values.len()).then(|| {
            sel.url_with(lang, &[("expand", &f.scheme)]) + &format!("#facet-{}", f.scheme)
        });
        let fewer = expanded.then(|| sel.url(lang, |_| {}) + &format!("#facet-{}", f.scheme));
        let up = f.parent.as_ref().map(|p| {
            let term = format!("{}:{p}", f.scheme);
            sel.url(lang, |fs| fs.retain(|x| *x != term))
        });
        let parent = f
            .parent
            .as_ref()
            .map(|p| text(&concept_labels(state, &f.scheme, p), lang));
        facets.push(FacetView {
            id: f.scheme.clone(),
            title: scheme_title(&f.scheme),
            values,
            more,
            fewer,
            up,
            parent,
            searchable: true,
            search_text: (ask.fs.as_deref() == Some(f.scheme.as_str()))
                .then(|| ask.fq.clone())
                .flatten(),
            expanded,
        });
    }
    facets
}

/// The relation facets that have values, as the page shows them.
fn rel_facet_views(ask: &Ask, rel_views: &[RelView], lang: Lang) -> Vec<FacetView> {
    let sel = &ask.sel;
    let mut facets = Vec::new();
    for (f, values) in rel_views.iter().filter(|(_, v)| !v.is_empty()) {
        let expanded = ask.expand.as_deref() == Some(f.id);
        let views: Vec<FacetValueView> = values
            .iter()
            .map(|(term, name, n, selected)| FacetValueView {
                label: name.clone(),
                notation: term.clone(),
                count: fmt::integer(*n, lang),
                count_n: *n,
                selected: *selected,
                url: if *selected {
                    sel.url(lang, |fs| fs.retain(|x| x != term))
                } else {
                    sel.url(lang, |fs| fs.push(term.clone()))
                },
                narrower: false,
            })
            .collect();
        let total = views.len();
        let views = if expanded {
            views
        } else {
            selected_first(views)
        };
        let more = (!expanded && total > views.len())
            .then(|| sel.url_with(lang, &[("expand", f.id)]) + &format!("#facet-{}", f.id));
        let fewer = expanded.then(|| sel.url(lang, |_| {}) + &format!("#facet-{}", f.id));
        facets.push(FacetView {
            id: f.id.to_owned(),
            title: Text {
                text: match lang {
                    Lang::Fr => f.fr,
                    Lang::En => f.en,
                }
                .to_owned(),
                lang: None,
            },
            values: views,
            more,
            fewer,
            up: None,
            parent: None,
            searchable: false,
            search_text: None,
            expanded,
        });
    }
    facets
}

/// A folded facet's values: the selected ones, then the first others up to
/// [`FACET_VALUES`] in all.
fn selected_first(views: Vec<FacetValueView>) -> Vec<FacetValueView> {
    let (mut kept, rest): (Vec<_>, Vec<_>) = views.into_iter().partition(|v| v.selected);
    let room = FACET_VALUES.saturating_sub(kept.len());
    kept.extend(rest.into_iter().take(room));
    kept
}

/// Puts the relation facets (after the `concept_count` concept facets) right after the
/// first facet (the sector) for organisations.
fn order_facets(facets: &mut Vec<FacetView>, kind: EntityKind, concept_count: usize) {
    if kind == EntityKind::Organisation && facets.len() > 2 {
        let rels: Vec<FacetView> = facets.drain(concept_count..).collect();
        let tail: Vec<FacetView> = facets.drain(1..).collect();
        facets.extend(rels);
        facets.extend(tail);
    }
}

/// The values found by searching inside a facet, each with the link that ticks it.
fn hit_views(hits: Option<&[FacetHit]>, ask: &Ask, lang: Lang) -> Option<Vec<serde_json::Value>> {
    let sel = &ask.sel;
    hits.map(|h| {
        h.iter()
            .map(|(n, l, c)| {
                let scheme = ask.fs.clone().unwrap_or_default();
                let term = format!("{scheme}:{n}");
                json!({
                    "label": text(l, lang), "notation": n, "count": fmt::integer(*c, lang),
                    "selected": sel.has(&term),
                    "url": sel.url(lang, |f| if !f.contains(&term) { f.push(term.clone()) }),
                })
            })
            .collect()
    })
}

/// One chip per selected value, named `facet : value` where the facets show it.
fn chip_views(sel: &Selection, facets: &[FacetView], lang: Lang) -> Vec<serde_json::Value> {
    sel.terms
        .iter()
        .map(|(raw_t, _, _)| {
            let label = facets
                .iter()
                .flat_map(|f| f.values.iter().map(move |v| (f, v)))
                .find(|(f, v)| v.notation == *raw_t || format!("{}:{}", f.id, v.notation) == *raw_t)
                .map(|(f, v)| format!("{} : {}", f.title.text, v.label.text))
                .unwrap_or_else(|| raw_t.clone());
            json!({"label": label, "term": raw_t, "remove": sel.url(lang, |fs| fs.retain(|x| x != raw_t))})
        })
        .collect()
}

/// The page of members, each with its link and chosen columns.
fn member_views(
    search: &territoria_magnet::SearchResult,
    columns: &MemberColumns,
    geo: &super::geo::Geo,
    lang: Lang,
) -> Vec<serde_json::Value> {
    search
        .members
        .iter()
        .map(|m| {
            let url = match m.kind {
                EntityKind::Action => format!("/{}/actions/{}", lang.code(), m.id),
                k => format!("/{}/entities/{}/{}", lang.code(), k.as_str(), m.id),
            };
            json!({"id": m.id, "name": m.name, "demo": m.demo, "url": url, "cells": columns.cells(&m.id, geo, lang)})
        })
        .collect()
}

/// How many pages `total` members fill; `page` must be one of them.
fn page_count(total: u64, page: usize, lang: Lang) -> Result<usize, PageError> {
    let pages = (total as usize).div_ceil(PAGE_SIZE).max(1);
    if page > pages {
        return Err(PageError::bad(
            lang,
            "page",
            format!("page {page} is past the last page ({pages})"),
        ));
    }
    Ok(pages)
}

/// The members on a map, by judicial arrondissement: the SVG, its legend and figures.
fn results_map(
    state: &AppState,
    geo: &super::geo::Geo,
    kind: EntityKind,
    answer: &Answer,
    lang: Lang,
) -> (String, Vec<LegendItem>, Vec<AreaFigure>) {
    let counts = municipality_counts(state, geo, kind, &answer.result);
    let mut figs = figures(
        &geo.arrondissements,
        geo,
        &as_values(&counts),
        Combine::Sum,
        0,
        lang,
    );
    let legend = classify(&mut figs, |f| f.value, 0, lang);
    let total = fmt::integer(answer.search.total, lang);
    let map_title = match lang {
        Lang::Fr => format!("Membres de l'aimant par arrondissement judiciaire ({total})"),
        Lang::En => format!("Members of the magnet by judicial arrondissement ({total})"),
    };
    let map_desc = match lang {
        Lang::Fr => "Carte choroplèthe ; les chiffres sont dans le tableau qui suit.",
        Lang::En => "Choropleth map; the figures are in the table that follows.",
    };
    let map_svg = svg(
        "explorer-map",
        &map_title,
        map_desc,
        geo,
        &geo.arrondissements,
        &figs,
        &[],
        |f| f.value_shown.clone(),
    );
    (map_svg, legend, figs)
}

/// The kinds of entity the explorer can list, as tabs.
fn kind_views(kind: EntityKind, lang: Lang) -> Vec<serde_json::Value> {
    ["organisation", "action", "place"]
        .iter()
        .map(|k| json!({"value": k, "label": t(lang, &format!("kind_{k}")), "selected": *k == kind.as_str(), "url": format!("/{}/explorer?kind={k}", lang.code())}))
        .collect()
}

/// The export links of the selection: members, facet counts, counts by municipality.
fn export_links(sel: &Selection, lang: Lang) -> serde_json::Value {
    let with = |extra: &[(&str, &str)]| sel.url_with(lang, extra);
    json!([
        {"label": t(lang, "members_all"), "csv": with(&[("format", "csv")]), "json": with(&[("format", "json")])},
        {"label": t(lang, "facet_counts"), "csv": with(&[("format", "csv"), ("data", "facets")]), "json": with(&[("format", "json"), ("data", "facets")])},
        {"label": t(lang, "counts_by_municipality"), "csv": with(&[("format", "csv"), ("data", "municipalities")]), "json": with(&[("format", "json"), ("data", "municipalities")]), "geojson": with(&[("format", "geojson")])},
    ])
}

/// The last 20 saved magnets, newest first.
fn saved_views(saved_all: &[MagnetRecord], lang: Lang) -> Vec<serde_json::Value> {
    saved_all
        .iter()
        .rev()
        .take(20)
        .map(|m| json!({"name": text(&m.name, lang), "url": format!("/{}/explorer?magnet={}", lang.code(), m.id), "query": m.versions.last().map(|v| v.query.clone())}))
        .collect()
}

/// The name of the magnet just saved (its id when it cannot be found).
fn saved_name(saved_all: &[MagnetRecord], id: &str, lang: Lang) -> Text {
    saved_all
        .iter()
        .find(|m| m.id == id)
        .map(|m| text(&m.name, lang))
        .unwrap_or(Text {
            text: id.to_owned(),
            lang: None,
        })
}

/// The member columns one can choose (organisations only), ticked when chosen.
fn column_choice(kind: EntityKind, cols: &[&str], lang: Lang) -> Vec<serde_json::Value> {
    if kind != EntityKind::Organisation {
        return Vec::new();
    }
    super::members::COLUMNS
        .iter()
        .map(|(id, _, _)| json!({"id": id, "label": super::members::header(id, lang), "checked": cols.contains(id)}))
        .collect()
}

/// The chosen member columns and what fills them.
struct MemberColumns<'a> {
    cols: &'a [&'static str],
    directory: Option<&'a super::cache::Directory>,
}

impl MemberColumns<'_> {
    fn cells(&self, key: &str, geo: &super::geo::Geo, lang: Lang) -> Vec<String> {
        match self
            .directory
            .and_then(|d| Some((d, d.organisations.get(key)?)))
        {
            Some((d, (e, rels))) => super::members::cells(e, rels, self.cols, geo, &d.names, lang),
            None => vec![String::new(); self.cols.len()],
        }
    }
}

/// An export of the selection: its members, facet counts or counts by municipality.
struct Export<'a> {
    format: Format,
    /// What is exported: `members`, `facets` or `municipalities`.
    data: &'a str,
    /// The file's name, without its extension.
    name: &'a str,
    kind: EntityKind,
    /// The selection's canonical query.
    canonical: &'a str,
    demo: bool,
}

impl Export<'_> {
    fn render(
        &self,
        lang: Lang,
        state: &AppState,
        geo: &super::geo::Geo,
        answer: &Answer,
        members: &MemberColumns,
    ) -> Result<Response, PageError> {
        let Export {
            format,
            data,
            name,
            kind,
            canonical,
            demo,
        } = *self;
        let (result, search, rel_views) = (&answer.result, &answer.search, &answer.rel_views);
        let source = SOURCE;
        let counts = || municipality_counts(state, geo, kind, result);
        if format == Format::GeoJson {
            let counts = counts();
            let features = geo
            .municipalities
            .values()
            .filter_map(|m| {
                let n = *counts.get(&m.refnis)?;
                Some(export::point(
                    m.lon,
                    m.lat,
                    json!({"refnis": m.refnis, "municipality": m.labels.main(), "count": n, "magnet": canonical, "kind": kind.as_str(), "location": "municipality centre"}),
                ))
            })
            .collect();
            return Ok(export::geojson(name, features, demo, source));
        }
        let extra = json!({"query": canonical, "kind": kind.as_str(), "total": search.total});
        let table = match data {
            "members" => {
                let mut head = vec!["id", "kind", "name"];
                head.extend(members.cols.iter().copied());
                head.push("demo");
                let mut t = Table::new(&head);
                for m in &search.members {
                    let mut row = vec![m.id.clone(), m.kind.as_str().into(), m.name.clone()];
                    row.extend(members.cells(&m.id, geo, lang));
                    row.push(m.demo.to_string());
                    t.push(row);
                }
                t
            }
            "facets" => {
                let mut t = Table::new(&["facet", "value", "label", "count"]).numeric(&["count"]);
                for f in &search.facets {
                    for v in &f.values {
                        t.push(vec![
                            f.scheme.clone(),
                            v.notation.clone(),
                            text(&v.labels, lang).text,
                            v.count.to_string(),
                        ]);
                    }
                }
                for (f, values) in rel_views {
                    for (term, label, n, _) in values {
                        t.push(vec![
                            f.id.to_owned(),
                            term.clone(),
                            label.text.clone(),
                            n.to_string(),
                        ]);
                    }
                }
                t
            }
            "municipalities" => {
                let counts = counts();
                let mut t = Table::new(&["refnis", "municipality", "count"]).numeric(&["count"]);
                for m in geo.municipalities.values() {
                    if let Some(n) = counts.get(&m.refnis) {
                        t.push(vec![
                            m.refnis.clone(),
                            m.labels.main().to_owned(),
                            n.to_string(),
                        ]);
                    }
                }
                t
            }
            other => {
                return Err(PageError::bad(
                    lang,
                    "data",
                    format!("`{other}`: use members, facets or municipalities"),
                ));
            }
        };
        Ok(match format {
            Format::Csv => export::csv(name, &table),
            _ => export::json(name, &table, demo, source, extra),
        })
    }
}

/// `POST /{lang}/explorer/save` (a form: `name`, `q`, `kind`): saves the magnet
/// through the write path, then shows it.
pub async fn save(
    State(state): State<AppState>,
    lang: Lang,
    body: Bytes,
) -> Result<Response, PageError> {
    if state.write_token.is_some() {
        return Err(PageError::new(
            lang,
            crate::error::ApiError::Forbidden(match lang {
                Lang::Fr => "l'enregistrement d'aimants est réservé sur cette instance : partagez plutôt le lien de la recherche".into(),
                Lang::En => "saving magnets is reserved on this instance: share the search's link instead".into(),
            }),
        ));
    }
    let fields: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let name = fields.get("name").map(|s| s.trim()).unwrap_or("");
    if name.is_empty() || name.chars().count() > 200 {
        return Err(PageError::bad(
            lang,
            "name",
            "give the magnet a name (at most 200 characters)",
        ));
    }
    let kind = parse_kind(lang, fields.get("kind").map(String::as_str))?;
    let q = fields.get("q").map(String::as_str).unwrap_or("*");
    let query = parse_magnet(lang, q)?;
    state
        .magnets
        .read()
        .eval_in(&query, kind)
        .map_err(|e| PageError::bad(lang, "q", e.to_string()))?;
    let mut id: String = super::strategy::fold(name)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while id.contains("--") {
        id = id.replace("--", "-");
    }
    let id = id.trim_matches('-').chars().take(60).collect::<String>();
    let id = if id.is_empty() {
        "magnet".to_owned()
    } else {
        id
    };
    let labels = match lang {
        Lang::Fr => Labels::fr(name),
        Lang::En => Labels::new().with(territoria_model::Lang::En, name),
    };
    let op = Op::Magnet(SavedMagnet {
        id: id.clone(),
        name: labels,
        kind,
        query: query.to_string(),
        source: "saved from the dashboard".into(),
    });
    with_store(&state, move |s| {
        let mut records = std::iter::once(Ok(op.into()));
        match s.apply(
            "dashboard",
            "save magnet",
            &mut records,
            &WriteOptions::default(),
            &mut |_| {},
        ) {
            Ok(_) => Ok(()),
            Err(StoreError::Invalid(errors)) => {
                let e = &errors[0].errors.0[0];
                Err(crate::error::ApiError::bad_parameter(
                    e.field.clone(),
                    e.message.clone(),
                ))
            }
            Err(other) => Err(other.into()),
        }
    })
    .await
    .lang(lang)?;
    // Back to the very view that was saved (its ticks and chips), with a confirmation.
    let mut back: Vec<(String, String)> = fields
        .get("view")
        .map(|v| {
            form_urlencoded::parse(v.as_bytes())
                .into_owned()
                .filter(|(k, _)| matches!(k.as_str(), "kind" | "f" | "text" | "q" | "cols"))
                .collect()
        })
        .unwrap_or_default();
    if back.is_empty() {
        back.push(("magnet".into(), id.clone()));
    }
    back.push(("saved".into(), id.clone()));
    let to = format!(
        "/{}/explorer?{}",
        lang.code(),
        super::query_string(back.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    );
    Ok((StatusCode::SEE_OTHER, Redirect::to(&to)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(q: &str) -> (Vec<String>, Option<String>, Option<String>) {
        let parsed = territoria_magnet::query::parse(q).unwrap();
        let (terms, text, rest) = split_saved(&parsed, EntityKind::Organisation);
        (terms.into_iter().map(|t| t.0).collect(), text, rest)
    }

    #[test]
    fn a_saved_query_comes_apart_into_ticks_text_and_the_rest() {
        let (terms, text, rest) =
            split("(nace-bel-2008:C OR nace-bel-2008:J) AND \"robot\" AND employees<50");
        assert_eq!(terms, ["nace-bel-2008:C", "nace-bel-2008:J"]);
        assert_eq!(text.as_deref(), Some("robot"));
        assert_eq!(rest.as_deref(), Some("(employees<50)"));
        // One facet twice means AND, which ticks cannot say: kept whole.
        let (terms, _, rest) = split("nace-bel-2008:C AND nace-bel-2008:J");
        assert!(terms.is_empty());
        assert_eq!(rest.as_deref(), Some("nace-bel-2008:C AND nace-bel-2008:J"));
        // An OR across facets stays hand-written.
        let (terms, _, rest) = split("nace-bel-2008:C OR rel:labelled=label/made-different");
        assert!(terms.is_empty());
        assert!(rest.is_some());
    }

    fn selection(fs: &[&str]) -> Selection {
        let mut terms = Vec::new();
        add_facet_values(
            &mut terms,
            fs.iter().copied(),
            EntityKind::Organisation,
            Lang::En,
        )
        .ok()
        .expect("single facet values");
        Selection {
            kind: EntityKind::Organisation,
            terms,
            text: Some("robot".into()),
            q: None,
            cols: None,
        }
    }

    #[test]
    fn facet_values_are_ored_within_a_facet_and_anded_across() {
        let sel = selection(&[
            "nace-bel-2008:C",
            "rel:labelled=label/made-different",
            "nace-bel-2008:J",
            "nace-bel-2008:C",
        ]);
        // Given twice, kept once.
        assert_eq!(sel.terms.len(), 3);
        let all = sel.query_without(None).unwrap().to_string();
        let expected = territoria_magnet::query::parse(
            "(nace-bel-2008:C OR nace-bel-2008:J) AND rel:labelled=label/made-different AND \"robot\"",
        )
        .unwrap()
        .to_string();
        assert_eq!(all, expected);
        let without = sel
            .query_without(Some("c:nace-bel-2008"))
            .unwrap()
            .to_string();
        assert!(!without.contains("nace-bel-2008"), "{without}");
        assert!(
            add_facet_values(
                &mut Vec::new(),
                ["a AND b"].into_iter(),
                EntityKind::Organisation,
                Lang::En
            )
            .is_err()
        );
    }

    #[test]
    fn links_keep_the_selection_and_add_their_parameters() {
        let sel = selection(&["nace-bel-2008:C"]);
        assert_eq!(
            sel.url_with(Lang::Fr, &[("page", "2")]),
            "/fr/explorer?kind=organisation&f=nace-bel-2008%3AC&text=robot&page=2"
        );
        assert_eq!(sel.url_with(Lang::En, &[]), sel.url(Lang::En, |_| {}));
        assert_eq!(page_count(41, 3, Lang::En).ok(), Some(3));
        assert_eq!(page_count(0, 1, Lang::En).ok(), Some(1));
        assert!(page_count(41, 4, Lang::En).is_err());
    }

    fn value(notation: &str, selected: bool) -> FacetValueView {
        FacetValueView {
            label: Text {
                text: notation.to_owned(),
                lang: None,
            },
            notation: notation.to_owned(),
            count: String::new(),
            count_n: 0,
            selected,
            url: String::new(),
            narrower: false,
        }
    }

    fn facet(id: &str) -> FacetView {
        FacetView {
            id: id.to_owned(),
            title: Text {
                text: id.to_owned(),
                lang: None,
            },
            values: Vec::new(),
            more: None,
            fewer: None,
            up: None,
            parent: None,
            searchable: false,
            search_text: None,
            expanded: false,
        }
    }

    #[test]
    fn a_folded_facet_keeps_its_selected_values_first() {
        let views: Vec<FacetValueView> = (0..12)
            .map(|i| value(&i.to_string(), i == 10 || i == 11))
            .collect();
        let kept: Vec<String> = selected_first(views)
            .into_iter()
            .map(|v| v.notation)
            .collect();
        assert_eq!(kept, ["10", "11", "0", "1", "2", "3", "4", "5"]);
    }

    #[test]
    fn relation_facets_come_right_after_the_sector_for_organisations() {
        let ids = |f: &[FacetView]| f.iter().map(|f| f.id.clone()).collect::<Vec<_>>();
        let mut facets: Vec<FacetView> = ["nace", "kind", "territory", "label", "pole"]
            .into_iter()
            .map(facet)
            .collect();
        order_facets(&mut facets, EntityKind::Organisation, 3);
        assert_eq!(ids(&facets), ["nace", "label", "pole", "kind", "territory"]);
        let mut facets: Vec<FacetView> = ["a", "b", "c"].into_iter().map(facet).collect();
        order_facets(&mut facets, EntityKind::Action, 1);
        assert_eq!(ids(&facets), ["a", "b", "c"]);
    }
}
