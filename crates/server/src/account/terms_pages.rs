//! The pages that keep taxonomy terms: `/fr/compte/taxonomies` finds a term in a
//! scheme; `/fr/compte/taxonomies/{scheme}/{notation}` shows its labels in four
//! languages, its source and its history, with (for administrators) the form that
//! edits them and the buttons that revert a change. Handlers parse, call
//! [`terms`](super::terms), render.

use std::collections::BTreeMap;

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use territoria_auth::is_admin;
use territoria_model::{LANGS, Labels};
use territoria_store::ConceptChange;

use super::pages::{base_version, csrf_of, require, to_login};
use super::terms::{self, TermEdit};
use super::{MaybeSignedIn, Principal, words};
use crate::AppState;
use crate::api::with_store;
use crate::error::ApiError;
use crate::pages::{Frame, InLang, Lang, PageError, fmt, i18n_word, render_status};

/// The page of term `scheme:notation`.
pub fn term_path(lang: Lang, scheme: &str, notation: &str) -> String {
    format!("{}/{scheme}/{notation}", words::path(lang, "terms"))
}

fn frame(lang: Lang, title: String, here: &str) -> Frame {
    let mut f = Frame::new(
        lang,
        title,
        here.trim_start_matches('/').split_at(3).1,
        None,
    );
    f.switch_url = match lang {
        Lang::Fr => here.replacen(
            &words::path(Lang::Fr, "terms"),
            &words::path(Lang::En, "terms"),
            1,
        ),
        Lang::En => here.replacen(
            &words::path(Lang::En, "terms"),
            &words::path(Lang::Fr, "terms"),
            1,
        ),
    };
    f
}

#[derive(Deserialize, Default)]
pub struct FindQuery {
    #[serde(default)]
    scheme: Option<String>,
    #[serde(default)]
    q: Option<String>,
}

#[derive(Serialize)]
struct Found {
    notation: String,
    label: String,
    url: String,
}

/// `GET /fr/compte/taxonomies`: a scheme and a few letters → the matching terms.
pub async fn find(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSignedIn(who): MaybeSignedIn,
    Query(q): Query<FindQuery>,
) -> Result<Response, PageError> {
    if who.is_none() {
        return Ok(to_login(lang, &words::path(lang, "terms")));
    }
    let schemes = with_store(&state, |s| Ok(s.schemes()?)).await.lang(lang)?;
    let scheme = q.scheme.filter(|s| !s.is_empty());
    if let Some(s) = &scheme
        && !schemes.iter().any(|x| &x.id == s)
    {
        return Err(PageError::bad(lang, "scheme", format!("no scheme `{s}`")));
    }
    let text = q.q.unwrap_or_default();
    let found: Vec<Found> = match &scheme {
        Some(s) => state
            .magnets
            .read()
            .facet_search(s, text.trim(), 50)
            .into_iter()
            .map(|(notation, labels)| Found {
                label: crate::pages::text(&labels, lang).text,
                url: term_path(lang, s, &notation),
                notation,
            })
            .collect(),
        None => Vec::new(),
    };
    let choices: Vec<(String, String, bool)> = schemes
        .iter()
        .map(|s| {
            (
                s.id.clone(),
                format!("{} ({})", crate::pages::text(&s.title, lang).text, s.id),
                scheme.as_deref() == Some(s.id.as_str()),
            )
        })
        .collect();
    Ok(render_status(
        StatusCode::OK,
        lang,
        "account/terms.html",
        frame(
            lang,
            i18n_word(lang, "acc_terms_title").to_owned(),
            &words::path(lang, "terms"),
        ),
        serde_json::json!({
            "action": words::path(lang, "terms"),
            "schemes": choices,
            "scheme": scheme,
            "q": text,
            "found": found,
        }),
    ))
}

/// What the term form sends.
#[derive(Debug, Deserialize, Default, Clone, Serialize)]
pub struct TermForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    base: String,
    #[serde(default)]
    label_fr: String,
    #[serde(default)]
    label_en: String,
    #[serde(default)]
    label_nl: String,
    #[serde(default)]
    label_de: String,
    #[serde(default)]
    source: String,
}

impl TermForm {
    fn of(labels: &Labels, source: &str, base: Option<i64>) -> TermForm {
        let l = |code: &str| labels.0.get(code).cloned().unwrap_or_default();
        TermForm {
            csrf: String::new(),
            base: base.map(|v| v.to_string()).unwrap_or_default(),
            label_fr: l("fr"),
            label_en: l("en"),
            label_nl: l("nl"),
            label_de: l("de"),
            source: source.to_owned(),
        }
    }

    fn labels(&self) -> BTreeMap<String, String> {
        [
            ("fr", &self.label_fr),
            ("en", &self.label_en),
            ("nl", &self.label_nl),
            ("de", &self.label_de),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect()
    }
}

#[derive(Serialize)]
struct HistoryRow {
    audit_id: i64,
    at: String,
    actor: String,
    operation: String,
    /// (field, before, after) of what changed.
    fields: Vec<(String, String, String)>,
    revertible: bool,
}

fn history_rows(changes: &[ConceptChange]) -> Vec<HistoryRow> {
    let field = |v: &Option<serde_json::Value>, path: &[&str]| -> String {
        let mut cur = v.as_ref();
        for p in path {
            cur = cur.and_then(|c| c.get(*p));
        }
        cur.and_then(|c| c.as_str()).unwrap_or("").to_owned()
    };
    changes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut fields = Vec::new();
            for l in LANGS {
                let path = ["labels", l.code()];
                let (b, a) = (field(&c.before, &path), field(&c.after, &path));
                if b != a {
                    fields.push((format!("labels.{}", l.code()), b, a));
                }
            }
            let (b, a) = (
                field(&c.before, &["provenance", "source"]),
                field(&c.after, &["provenance", "source"]),
            );
            if b != a {
                fields.push(("source".to_owned(), b, a));
            }
            HistoryRow {
                audit_id: c.audit_id,
                at: fmt::datetime(&c.at),
                actor: c.actor.clone(),
                operation: c.operation.clone(),
                fields,
                // Only the newest change of a term can be undone as it stands.
                revertible: i == 0 && c.before.is_some(),
            }
        })
        .collect()
}

struct Loaded {
    labels: Labels,
    source: String,
    broader: Option<String>,
    version: i64,
    history: Vec<ConceptChange>,
}

async fn load(
    state: &AppState,
    lang: Lang,
    scheme: &str,
    notation: &str,
) -> Result<Loaded, PageError> {
    let (scheme, notation) = (scheme.to_owned(), notation.to_owned());
    with_store(state, move |s| {
        let c = s
            .concept_record(&scheme, &notation)?
            .ok_or_else(|| ApiError::not_found(format!("no term `{scheme}:{notation}`")))?;
        Ok(Loaded {
            version: s.concept_version(&scheme, &notation)?.unwrap_or_default(),
            history: s.concept_history(&scheme, &notation, 50)?,
            labels: c.labels,
            source: c.provenance.source,
            broader: c.broader,
        })
    })
    .await
    .lang(lang)
}

#[allow(clippy::too_many_arguments)]
fn term_page(
    lang: Lang,
    p: &Principal,
    scheme: &str,
    notation: &str,
    loaded: &Loaded,
    form: TermForm,
    status: StatusCode,
    message: Option<String>,
    saved: bool,
) -> Response {
    let here = term_path(lang, scheme, notation);
    let title = format!(
        "{}:{notation} — {}",
        scheme,
        crate::pages::text(&loaded.labels, lang).text
    );
    render_status(
        status,
        lang,
        "account/term.html",
        frame(lang, title.clone(), &here),
        serde_json::json!({
            "title": title,
            "scheme": scheme,
            "notation": notation,
            "broader": loaded.broader,
            "action": here,
            "back": words::path(lang, "terms") + "?scheme=" + scheme,
            "admin": is_admin(&p.user),
            "csrf": csrf_of(p),
            "revert": words::path(lang, "revert"),
            "form": form,
            "history": history_rows(&loaded.history),
            "message": message,
            "saved": saved,
        }),
    )
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /fr/compte/taxonomies/{scheme}/{notation}`.
pub async fn show(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSignedIn(who): MaybeSignedIn,
    Path((scheme, notation)): Path<(String, String)>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let Some(p) = who else {
        return Ok(to_login(lang, &term_path(lang, &scheme, &notation)));
    };
    let loaded = load(&state, lang, &scheme, &notation).await?;
    let form = TermForm::of(&loaded.labels, &loaded.source, Some(loaded.version));
    Ok(term_page(
        lang,
        &p,
        &scheme,
        &notation,
        &loaded,
        form,
        StatusCode::OK,
        None,
        q.saved.is_some(),
    ))
}

/// `POST /fr/compte/taxonomies/{scheme}/{notation}`: saves the labels and source.
pub async fn save(
    State(state): State<AppState>,
    lang: Lang,
    MaybeSignedIn(who): MaybeSignedIn,
    headers: HeaderMap,
    Path((scheme, notation)): Path<(String, String)>,
    Form(f): Form<TermForm>,
) -> Result<Response, PageError> {
    let p = require(lang, who, &headers, &f.csrf)?;
    let base = base_version(lang, &f.base)?;
    let edit = TermEdit {
        base_version: base,
        labels: f.labels(),
        broader: None,
        source: Some(f.source.clone()),
    };
    let (pp, s2, n2) = (p.clone(), scheme.clone(), notation.clone());
    let done = with_store(&state, move |s| terms::edit_term(s, &pp, &s2, &n2, edit)).await;
    let refused = match done {
        Ok(_) => {
            state.refresh_soon();
            return Ok(
                Redirect::to(&format!("{}?saved=1", term_path(lang, &scheme, &notation)))
                    .into_response(),
            );
        }
        Err(
            e @ (ApiError::BadParameter { .. } | ApiError::Invalid(_) | ApiError::Conflict { .. }),
        ) => e,
        Err(e) => return Err(PageError::new(lang, e)),
    };
    let loaded = load(&state, lang, &scheme, &notation).await?;
    let (status, message, mut form) = match &refused {
        ApiError::Conflict { .. } => (
            StatusCode::CONFLICT,
            format!(
                "{} {}",
                i18n_word(lang, "acc_term_conflict"),
                loaded.history.first().map_or(String::new(), |h| format!(
                    "({}, {})",
                    h.actor,
                    fmt::datetime(&h.at)
                ))
            ),
            // The reader's text is kept; the base moves to the version now.
            TermForm {
                base: loaded.version.to_string(),
                ..f
            },
        ),
        other => (
            match other {
                ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                _ => StatusCode::BAD_REQUEST,
            },
            format!("{} {other}", i18n_word(lang, "acc_struct_refused")),
            f,
        ),
    };
    form.csrf = String::new();
    Ok(term_page(
        lang,
        &p,
        &scheme,
        &notation,
        &loaded,
        form,
        status,
        Some(message),
        false,
    ))
}
