//! The pages that edit a strategy's structure: a new strategy from the empty template,
//! and a version's tree with, under each element, the form to add one below it and
//! the button to detach it. Handlers parse, call [`structure`], render.

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use territoria_model::EntityKind;
use territoria_store::{Node, StrategyTree};

use super::pages::{back_url, csrf_of, require, to_login};
use super::structure::{self, NewChild, NewStrategy};
use super::{MaybeSignedIn, Principal, words};
use crate::AppState;
use crate::api::with_store;
use crate::error::ApiError;
use crate::pages::{Frame, InLang, Lang, PageError, i18n_word, render_status};

/// `/fr/strategies/nouvelle`, `/en/strategies/new`.
pub fn new_path(lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => "/fr/strategies/nouvelle",
        Lang::En => "/en/strategies/new",
    }
}

/// The structure page of `strategy` (`action`: `""`, `/ajouter`, `/retirer`).
pub fn structure_path(lang: Lang, strategy: &str, action: &str) -> String {
    let action = match (lang, action) {
        (Lang::En, "/ajouter") => "/add",
        (Lang::En, "/retirer") => "/remove",
        (_, a) => a,
    };
    format!("/{}/strategies/{strategy}/structure{action}", lang.code())
}

fn frame(lang: Lang, title: String, here_fr: &str, here_en: &str) -> Frame {
    let (here, other) = match lang {
        Lang::Fr => (here_fr, here_en),
        Lang::En => (here_en, here_fr),
    };
    let mut f = Frame::new(lang, title, here.trim_start_matches('/'), None);
    f.switch_url = other.to_owned();
    f
}

fn error_text(lang: Lang, e: &ApiError) -> String {
    let sentence = match e {
        ApiError::BadParameter {
            parameter, message, ..
        } => format!("{parameter} : {message}"),
        ApiError::Invalid(records) => records
            .first()
            .and_then(|r| r["message"].as_str())
            .unwrap_or("invalid")
            .to_owned(),
        other => other.to_string(),
    };
    format!("{} {sentence}", i18n_word(lang, "acc_struct_refused"))
}

fn status_of(e: &ApiError) -> StatusCode {
    match e {
        ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::BAD_REQUEST,
    }
}

#[derive(Serialize)]
struct NewStrategyPage {
    csrf: String,
    action: &'static str,
    values: NewStrategyForm,
    error: Option<String>,
}

#[derive(Serialize, Deserialize, Default, Clone)]
pub struct NewStrategyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    name_fr: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    version_label: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    source: String,
}

fn new_strategy_page(
    lang: Lang,
    p: &Principal,
    values: NewStrategyForm,
    error: Option<(StatusCode, String)>,
) -> Response {
    let (status, error) = match error {
        Some((s, e)) => (s, Some(e)),
        None => (StatusCode::OK, None),
    };
    let page = NewStrategyPage {
        csrf: csrf_of(p),
        action: new_path(lang),
        values,
        error,
    };
    render_status(
        status,
        lang,
        "account/new_strategy.html",
        frame(
            lang,
            i18n_word(lang, "acc_struct_new").to_owned(),
            new_path(Lang::Fr),
            new_path(Lang::En),
        ),
        page,
    )
}

#[derive(Deserialize, Default)]
pub struct KeyQuery {
    #[serde(default)]
    key: Option<String>,
}

/// The empty template; `?key=` fills in a strategy the data name without describing it.
pub async fn new_strategy_form(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSignedIn(who): MaybeSignedIn,
    Query(q): Query<KeyQuery>,
) -> Result<Response, PageError> {
    let Some(p) = who else {
        let next = match &q.key {
            Some(k) => format!("{}?key={k}", new_path(lang)),
            None => new_path(lang).to_owned(),
        };
        return Ok(to_login(lang, &next));
    };
    let mut values = NewStrategyForm::default();
    if let Some(key) = q.key {
        let known = with_store(&state, {
            let key = key.clone();
            move |s| Ok(s.strategies()?.into_iter().find(|x| x.id == key))
        })
        .await
        .lang(lang)?;
        if let Some(k) = known {
            values.name_fr = k.name.0.get("fr").cloned().unwrap_or_default();
            values.name_en = k.name.0.get("en").cloned().unwrap_or_default();
            values.source = k.provenance.source;
        }
        values.key = key;
    }
    Ok(new_strategy_page(lang, &p, values, None))
}

pub async fn create_strategy(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSignedIn(who): MaybeSignedIn,
    headers: HeaderMap,
    Form(f): Form<NewStrategyForm>,
) -> Result<Response, PageError> {
    let p = require(lang, who, &headers, &f.csrf)?;
    let year = match f.year.trim() {
        "" => None,
        y => match y.parse() {
            Ok(y) => Some(y),
            Err(_) => {
                let e = ApiError::bad_parameter("year", format!("`{y}` is not a year"));
                return Ok(new_strategy_page(
                    lang,
                    &p,
                    f,
                    Some((StatusCode::BAD_REQUEST, error_text(lang, &e))),
                ));
            }
        },
    };
    let new = NewStrategy {
        key: f.key.clone(),
        name_fr: f.name_fr.clone(),
        name_en: f.name_en.clone(),
        version: f.version.clone(),
        version_label: f.version_label.clone(),
        year,
        source: f.source.clone(),
    };
    let pp = p.clone();
    match with_store(&state, move |s| structure::create_strategy(s, &pp, &new)).await {
        Ok(done) => {
            state.refresh_soon();
            Ok(Redirect::to(&format!(
                "{}?version={}",
                structure_path(lang, &done.strategy, ""),
                done.version
            ))
            .into_response())
        }
        Err(e @ (ApiError::BadParameter { .. } | ApiError::Invalid(_))) => Ok(new_strategy_page(
            lang,
            &p,
            f,
            Some((status_of(&e), error_text(lang, &e))),
        )),
        Err(e) => Err(PageError::new(lang, e)),
    }
}

/// One element of the tree as the structure page shows it.
#[derive(Serialize)]
struct Element {
    kind: &'static str,
    kind_word: &'static str,
    id: String,
    /// `kind/key`, what the forms send.
    reference: String,
    /// `kind/key` of the element it sits under.
    parent: String,
    name: String,
    url: String,
    edit_url: String,
    history_url: String,
    /// No children: it can be detached.
    removable: bool,
    /// Kinds that may be added under it: (kind, word).
    adds: Vec<(&'static str, &'static str)>,
    children: Vec<Element>,
}

fn element(lang: Lang, parent: &str, n: &Node) -> Element {
    let adds = structure::children_kinds(n.kind)
        .iter()
        .map(|k| (k.as_str(), i18n_word(lang, k.as_str())))
        .collect();
    Element {
        kind: n.kind.as_str(),
        kind_word: i18n_word(lang, n.kind.as_str()),
        id: n.id.clone(),
        reference: format!("{}/{}", n.kind.as_str(), n.id),
        parent: parent.to_owned(),
        name: crate::pages::text(&n.name, lang).text,
        url: back_url(lang, n.kind, &n.id),
        edit_url: format!("{}/{}/{}", words::path(lang, "edit"), n.kind.as_str(), n.id),
        history_url: format!(
            "{}/{}/{}",
            words::path(lang, "history"),
            n.kind.as_str(),
            n.id
        ),
        removable: n.children.is_empty(),
        adds,
        children: {
            let me = format!("{}/{}", n.kind.as_str(), n.id);
            n.children.iter().map(|c| element(lang, &me, c)).collect()
        },
    }
}

#[derive(Serialize)]
struct StructurePage {
    csrf: String,
    strategy: String,
    strategy_name: String,
    strategy_url: String,
    version: String,
    versions: Vec<(String, String, bool)>,
    add_action: String,
    remove_action: String,
    may_change: bool,
    /// The strategy's own top-level kinds.
    adds: Vec<(&'static str, &'static str)>,
    elements: Vec<Element>,
    count: usize,
    error: Option<String>,
    done: Option<String>,
}

fn find(nodes: &[Element], reference: &str) -> Option<String> {
    nodes.iter().find_map(|n| {
        if n.reference == reference {
            Some(n.name.clone())
        } else {
            find(&n.children, reference)
        }
    })
}

fn count(nodes: &[Element]) -> usize {
    nodes.iter().map(|n| 1 + count(&n.children)).sum()
}

#[derive(Deserialize, Default)]
pub struct VersionQuery {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

fn structure_view(
    lang: Lang,
    p: &Principal,
    t: &StrategyTree,
    may_change: bool,
    error: Option<String>,
    done: Option<String>,
) -> StructurePage {
    let root = format!("strategy/{}", t.id);
    let elements: Vec<Element> = t.children.iter().map(|c| element(lang, &root, c)).collect();
    StructurePage {
        csrf: csrf_of(p),
        strategy: t.id.clone(),
        strategy_name: crate::pages::text(&t.name, lang).text,
        strategy_url: format!("/{}/?strategy={}", lang.code(), t.id),
        version: t.version.id.clone(),
        versions: t
            .versions
            .iter()
            .map(|v| {
                (
                    v.id.clone(),
                    format!("{}?version={}", structure_path(lang, &t.id, ""), v.id),
                    v.id == t.version.id,
                )
            })
            .collect(),
        add_action: structure_path(lang, &t.id, "/ajouter"),
        remove_action: structure_path(lang, &t.id, "/retirer"),
        may_change,
        adds: structure::children_kinds(EntityKind::Strategy)
            .iter()
            .map(|k| (k.as_str(), i18n_word(lang, k.as_str())))
            .collect(),
        count: count(&elements),
        elements,
        error,
        done,
    }
}

async fn structure_page(
    state: &AppState,
    lang: Lang,
    p: &Principal,
    strategy: &str,
    version: Option<String>,
    outcome: (StatusCode, Option<String>, Option<String>),
) -> Result<Response, PageError> {
    let (pp, key) = (p.clone(), strategy.to_owned());
    let (tree, may_change) = with_store(state, move |s| {
        let t = s.strategy(&key, version.as_deref())?.ok_or_else(|| {
            ApiError::NotFound(format!(
                "no strategy `{key}`, or it has no version yet: create it from the empty template"
            ))
        })?;
        Ok((t, structure::may_change(s, &pp, &key)?))
    })
    .await
    .lang(lang)?;
    let (status, error, done) = outcome;
    let mut page = structure_view(lang, p, &tree, may_change, error, None);
    // "Saved: <its name>" (the key only when it is no longer in the tree).
    page.done = done.map(|reference| {
        let name = find(&page.elements, &reference).unwrap_or(reference);
        format!("{} {name}", i18n_word(lang, "acc_struct_done"))
    });
    let title = format!(
        "{} — {}",
        i18n_word(lang, "acc_struct_title"),
        page.strategy_name
    );
    let here_fr = structure_path(Lang::Fr, strategy, "");
    let here_en = structure_path(Lang::En, strategy, "");
    Ok(render_status(
        status,
        lang,
        "account/structure.html",
        frame(lang, title, &here_fr, &here_en),
        page,
    ))
}

pub async fn structure(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSignedIn(who): MaybeSignedIn,
    Path(strategy): Path<String>,
    Query(q): Query<VersionQuery>,
) -> Result<Response, PageError> {
    let Some(p) = who else {
        return Ok(to_login(lang, &structure_path(lang, &strategy, "")));
    };
    structure_page(
        &state,
        lang,
        &p,
        &strategy,
        q.version,
        (StatusCode::OK, None, q.done),
    )
    .await
}

#[derive(Deserialize)]
pub struct AddForm {
    csrf: String,
    version: String,
    parent: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name_fr: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    existing: String,
}

#[derive(Deserialize)]
pub struct RemoveForm {
    csrf: String,
    version: String,
    parent: String,
    child: String,
}

/// After a change: back to the page (303), or the page with the refusal.
async fn after(
    state: &AppState,
    lang: Lang,
    p: &Principal,
    strategy: &str,
    version: String,
    result: Result<structure::Changed, ApiError>,
) -> Result<Response, PageError> {
    match result {
        Ok(done) => {
            state.refresh_soon();
            Ok(Redirect::to(&format!(
                "{}?version={}&done={}",
                structure_path(lang, strategy, ""),
                done.version,
                done.element
            ))
            .into_response())
        }
        Err(e @ (ApiError::BadParameter { .. } | ApiError::Invalid(_))) => {
            let outcome = (status_of(&e), Some(error_text(lang, &e)), None);
            structure_page(state, lang, p, strategy, Some(version), outcome).await
        }
        Err(e) => Err(PageError::new(lang, e)),
    }
}

pub async fn add(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSignedIn(who): MaybeSignedIn,
    headers: HeaderMap,
    Path(strategy): Path<String>,
    Form(f): Form<AddForm>,
) -> Result<Response, PageError> {
    let p = require(lang, who, &headers, &f.csrf)?;
    let new = NewChild {
        version: f.version.clone(),
        parent: f.parent,
        kind: f.kind,
        key: String::new(),
        name_fr: f.name_fr,
        name_en: f.name_en,
        existing: f.existing,
    };
    let (pp, key) = (p.clone(), strategy.clone());
    let result = with_store(&state, move |s| structure::add_child(s, &pp, &key, &new)).await;
    after(&state, lang, &p, &strategy, f.version, result).await
}

pub async fn remove(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSignedIn(who): MaybeSignedIn,
    headers: HeaderMap,
    Path(strategy): Path<String>,
    Form(f): Form<RemoveForm>,
) -> Result<Response, PageError> {
    let p = require(lang, who, &headers, &f.csrf)?;
    let (pp, key, version) = (p.clone(), strategy.clone(), f.version.clone());
    let result = with_store(&state, move |s| {
        structure::remove_child(s, &pp, &key, &f.version, &f.parent, &f.child)
    })
    .await;
    after(&state, lang, &p, &strategy, version, result).await
}
